"""Installing, updating, uninstalling, disabling and undoing mods: the one service the CLI and the GUI share.

Every install goes the same way. First gather what is wanted: archives the player gave, or a resolver plan whose
releases are downloaded from the Forge. Each archive is inspected (hostile ones are refused before anything is
written), extracted into the vault's staging area in the install's own layout, and read with the same static scan
as installed mods, so Kappa knows which mod it holds, its version and what it needs. The result is a `Proposal`:
the changes, the files two mods would both write, dependencies nobody provides, warnings. The player confirms
(the CLI asks, the GUI shows a dialog), and `commit` hands the changes to the install engine, which applies them
as one transaction that can be rolled back and later undone. `discard` throws the staged files away instead.

Nothing here writes into the SPT root itself: the engine is the only writer.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from app.core.archive import extract, inspect_archive, plan_layout
from app.core.data_dir import DataDir
from app.core.errors import KappaError
from app.core.forge_matching import group_installed, same_release
from app.core.install import (
    Conflict,
    ConflictPolicy,
    InstallEngine,
    ModChange,
    NewFile,
    ProcessRunning,
    PruneReport,
    TransactionRecord,
)
from app.core.mods import InstalledMod, ScanResult
from app.core.processes import running_spt_processes
from app.core.resolver import Plan, Step
from app.core.scan import files_of, scan_install
from app.core.settings import SettingsStore
from app.core.spt_install import SptInstall
from app.core.versions import meets_declared
from app.net.download import DownloadedFile, Downloader, DownloadProgress
from app.net.forge import ForgeClient
from app.net.forge_models import ModFilters, ModVersion
from app.services.installed_mods import InstalledModsService
from app.services.planner import SPT_PLUGIN_GUIDS, ModSpec, Planner, PlanOutcome

ProgressCallback = Callable[[str, DownloadProgress], None]


class NothingToInstall(KappaError):
    pass


@dataclass(frozen=True)
class StagedMod:
    """One archive, extracted into staging and read: what it would install."""

    key: str  # the mod key the install engine records ownership under (lower-case GUID, the Forge's when known)
    name: str
    version: str
    source: str  # the archive's file name
    sha256: str  # of the archive, as downloaded or as given
    files: tuple[NewFile, ...]
    contents: tuple[InstalledMod, ...]  # every server mod and plugin the staged files read as
    skipped: tuple[str, ...] = ()  # readme and text files left out of the game
    forge_id: int | None = None
    replaces: str | None = None  # the installed version it replaces, when it does

    @property
    def kind(self) -> str:
        kinds = {mod.kind for mod in self.contents}
        return "both" if len(kinds) > 1 else next(iter(kinds), "client")

    def to_json(self) -> dict[str, Any]:
        return {"guid": self.key, "name": self.name, "version": self.version, "source": self.source,
                "sha256": self.sha256,
                "forge_id": self.forge_id, "replaces": self.replaces, "files": [f.target for f in self.files],
                "skipped": list(self.skipped)}


@dataclass(frozen=True)
class MissingDependency:
    guid: str
    constraint: str
    needed_by: str  # "SAIN 3.2.0"
    installed: str | None  # the installed version that does not fit, or None when it is not installed at all

    def describe(self) -> str:
        have = f"installed {self.installed} does not fit" if self.installed else "not installed"
        return f"{self.needed_by} needs {self.guid} {self.constraint} ({have})"

    def to_json(self) -> dict[str, Any]:
        return {"guid": self.guid, "constraint": self.constraint, "needed_by": self.needed_by,
                "installed": self.installed}


@dataclass
class Proposal:
    """Everything one command is about to change, for the player to confirm before anything is written."""

    kind: str  # "install" | "update"
    staged: list[StagedMod] = field(default_factory=list)
    removals: list[ModChange] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    missing: list[MissingDependency] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    plan: Plan | None = None
    staging_areas: list[Path] = field(default_factory=list)
    old_files: dict[str, tuple[str, ...] | None] = field(default_factory=dict)

    @property
    def changes(self) -> list[ModChange]:
        installs = [ModChange(key=mod.key, name=mod.name, version=mod.version, new_files=mod.files,
                              old_files=self.old_files.get(mod.key), forge_id=mod.forge_id, kind=mod.kind)
                    for mod in self.staged]
        return [*self.removals, *installs]

    @property
    def summary(self) -> str:
        parts = [f"remove {change.name}" for change in self.removals]
        for mod in self.staged:
            verb = f"update {mod.name} {mod.replaces} -> {mod.version}" if mod.replaces else \
                f"install {mod.name} {mod.version}"
            parts.append(verb)
        return ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "mods": [mod.to_json() for mod in self.staged],
                "remove": [change.key for change in self.removals],
                "conflicts": [_conflict_json(c) for c in self.conflicts],
                "missing_dependencies": [m.to_json() for m in self.missing], "warnings": list(self.warnings)}


@dataclass(frozen=True)
class PlannedChange:
    """A resolver plan and what it was made from, kept so that staging it later downloads exactly that plan."""

    outcome: PlanOutcome
    planner: Planner
    scan: ScanResult
    kind: str  # "install" | "update"


class Installer:
    """Installs, updates and removals for one SPT install."""

    def __init__(self, install: SptInstall, data_dir: DataDir, *, forge: ForgeClient | None = None,
                 downloader: Downloader | None = None, mappings: dict[str, int] | None = None,
                 on_download: ProgressCallback | None = None,
                 on_extract: Callable[[str, int, int], None] | None = None,
                 cancelled: Callable[[], bool] | None = None) -> None:
        self.install = install
        self.data_dir = data_dir
        self.forge = forge
        self.downloader = downloader
        self.mappings = mappings or {}
        self.on_download = on_download
        self.on_extract = on_extract
        self.cancelled = cancelled  # asked while unpacking, which runs on a worker thread that cannot be cancelled
        self.engine = InstallEngine(install.root, data_dir)

    # -- reading the install
    def recover(self) -> list[str]:
        """Finish or roll back a transaction a crash interrupted; sentences of what was done."""
        return self.engine.recover()

    def scan(self) -> ScanResult:
        return InstalledModsService(self.data_dir).scan_now(self.install.root)

    def ensure_nothing_running(self) -> None:
        """Refuse early, before any download; the engine checks again before it writes."""
        running = running_spt_processes(self.install.root)
        if running:
            raise ProcessRunning(running, self.install.root)

    # -- proposals
    async def propose_archives(self, archives: Sequence[Path]) -> Proposal:
        """Stage archives the player gave; their missing dependencies are listed, to be offered from the Forge."""
        await asyncio.to_thread(self.ensure_nothing_running)  # psutil walks every process: not on the loop
        scan = await asyncio.to_thread(self.scan)
        proposal = Proposal("install")
        try:
            for archive in archives:
                staged = await self._stage(archive, proposal)
                staged = await self._match_on_forge(staged, proposal)
                self._attach_to_installed(staged, scan, proposal)
            self._check_duplicates(proposal)
            proposal.missing = self._missing_dependencies(scan, proposal)
            proposal.conflicts = await asyncio.to_thread(self.engine.conflicts, proposal.changes)
        except BaseException:
            self.discard(proposal)
            raise
        return proposal

    async def propose_plan(self, *, install: Sequence[ModSpec] = (), update: Sequence[str] | None = None,
                           update_all: bool = False, with_optional: bool = False,
                           extend: Proposal | None = None) -> Proposal | PlanOutcome:
        """Plan with the resolver, download what the plan installs, and stage it. An unsatisfiable plan is
        returned as the PlanOutcome (its explanation is for the player); an empty one raises NothingToInstall."""
        planned = await self.plan(install=install, update=update, update_all=update_all, with_optional=with_optional)
        if planned.outcome.plan is None:
            return planned.outcome
        return await self.stage_plan(planned, extend=extend)

    async def plan(self, *, install: Sequence[ModSpec] = (), update: Sequence[str] | None = None,
                   update_all: bool = False, with_optional: bool = False) -> PlannedChange:
        """The resolver's plan, before anything is downloaded: the GUI shows it (sizes, new dependencies) first."""
        if self.forge is None or self.downloader is None:
            raise KappaError("installing from the Forge needs the network")
        await asyncio.to_thread(self.ensure_nothing_running)  # psutil walks every process: not on the loop
        scan = await asyncio.to_thread(self.scan)
        planner = Planner(self.forge, self.mappings)
        outcome = await planner.plan(scan, install=install, update=update, update_all=update_all,
                                     with_optional=with_optional)
        return PlannedChange(outcome, planner, scan, "update" if update or update_all else "install")

    async def stage_plan(self, planned: PlannedChange, *, extend: Proposal | None = None) -> Proposal:
        """Download what a plan installs and stage it; an empty plan raises NothingToInstall."""
        plan, planner, scan = planned.outcome.plan, planned.planner, planned.scan
        if plan is None:
            raise KappaError("no plan satisfies every constraint")
        changes = list(plan.changes())
        if not changes:
            raise NothingToInstall("nothing to do: every mod is already as the plan wants it")
        proposal = extend or Proposal(planned.kind)
        proposal.plan = plan
        proposal.warnings += list(plan.warnings)
        try:
            installed_of = planner.installed_guids_by_key(scan)
            downloads = [step for step in changes if step.action != "remove"]
            files = await asyncio.gather(*(self._download(planner, step) for step in downloads))
            for step in changes:
                if step.action == "remove":
                    proposal.removals.append(ModChange(key=step.mod, name=step.name, version=None,
                                                       old_files=self._old_files(step.mod, installed_of, scan)))
            for step, downloaded in zip(downloads, files, strict=True):
                staged = await self._stage(downloaded.path, proposal, sha256=downloaded.sha256, key=step.mod,
                                           name=step.name, version=step.to_version, forge_id=step.forge_id)
                if step.from_version is not None:
                    proposal.old_files[staged.key] = self._old_files(step.mod, installed_of, scan)
                    staged = replace(staged, replaces=step.from_version)
                    proposal.kind = "update"
                proposal.staged.append(staged)
            proposal.conflicts = await asyncio.to_thread(self.engine.conflicts, proposal.changes)
        except BaseException:
            self.discard(proposal)
            raise
        return proposal

    async def add_missing_from_forge(self, proposal: Proposal) -> Proposal | PlanOutcome:
        """Extend an archive proposal with the Forge releases that provide its missing dependencies."""
        specs = [ModSpec(m.guid, m.constraint if m.constraint not in ("", "*") else None) for m in proposal.missing]
        before = len(proposal.staged)
        outcome = await self.propose_plan(install=specs, extend=proposal)
        if isinstance(outcome, Proposal):
            outcome.missing = [m for m in outcome.missing
                               if not any(m.guid.lower() in _guids(s) | {s.key} for s in outcome.staged[before:])]
        return outcome

    # -- applying
    async def commit(self, proposal: Proposal, on_conflict: ConflictPolicy = ConflictPolicy.FAIL) -> TransactionRecord:
        try:
            return await self._transaction(self.engine.apply, proposal.changes, kind=proposal.kind,
                                           summary=proposal.summary, on_conflict=on_conflict)
        finally:
            self.discard(proposal)

    def discard(self, proposal: Proposal) -> None:
        """Throw away what was staged for `proposal` (after a commit the engine has moved it already)."""
        for area in proposal.staging_areas:
            self.engine.discard_staging_area(area)
        proposal.staging_areas.clear()

    async def uninstall(self, guid: str) -> TransactionRecord:
        await asyncio.to_thread(self.ensure_nothing_running)  # psutil walks every process: not on the loop
        key, name, files = await asyncio.to_thread(self._find_installed, guid)
        return await self._transaction(self.engine.uninstall, key, name, files)

    async def disable(self, guid: str) -> TransactionRecord:
        await asyncio.to_thread(self.ensure_nothing_running)  # psutil walks every process: not on the loop
        key, name, files = await asyncio.to_thread(self._find_installed, guid)
        return await self._transaction(self.engine.disable, key, name, files)

    async def enable(self, guid: str) -> TransactionRecord:
        await asyncio.to_thread(self.ensure_nothing_running)  # psutil walks every process: not on the loop
        wanted = guid.lower()
        for record in await asyncio.to_thread(self.engine.disabled_mods):
            if wanted in (record.key, record.name.lower()):
                return await self._transaction(self.engine.enable, record.key)
        scan = await asyncio.to_thread(self.scan)
        if any(mod.guid.lower() == wanted and not mod.enabled for mod in scan.mods):
            raise KappaError(f"{guid} was disabled by another tool (it is not in Kappa's disabled store); "
                             "move it back by hand")
        raise KappaError(f"{guid} is not a disabled mod (see `kappa scan`)")

    async def undo(self) -> TransactionRecord:
        await asyncio.to_thread(self.ensure_nothing_running)  # psutil walks every process: not on the loop
        return await self._transaction(self.engine.undo)

    def history(self) -> list[TransactionRecord]:
        return self.engine.history()

    def prune_backups(self) -> PruneReport:
        """Apply the backup policy in the settings (size and age); the last transaction's backup is kept."""
        settings = SettingsStore(self.data_dir).load()
        return self.engine.prune_backups(settings.backup_max_mb * 2**20, settings.backup_max_days)

    async def _transaction(self, operation: Callable[..., TransactionRecord], *args: Any,
                           **options: Any) -> TransactionRecord:
        """Run one engine transaction off the event loop, then keep the backup store within its policy."""
        record = await asyncio.to_thread(operation, *args, **options)
        await asyncio.to_thread(self.prune_backups)
        return record

    def dependants(self, guid: str, scan: ScanResult) -> list[str]:
        """Installed, enabled mods that need `guid`: removing or disabling it breaks them."""
        group = next((g for g in group_installed(scan.mods) if guid.lower() in {m.guid.lower() for m in g.members}),
                     None)
        guids = {m.guid.lower() for m in group.members} if group else {guid.lower()}
        return sorted({f"{mod.name} {mod.version}" for mod in scan.mods if mod.enabled
                       and mod.guid.lower() not in guids
                       and any(dep.lower() in guids for dep in mod.dependencies)})

    # -- staging one archive
    async def _stage(self, archive: Path, proposal: Proposal, *, sha256: str | None = None, key: str | None = None,
                     name: str | None = None,
                     version: str | None = None, forge_id: int | None = None) -> StagedMod:
        area = self.engine.new_staging_area()
        proposal.staging_areas.append(area)

        def progress(done: int, total: int) -> None:
            if self.on_extract is not None:
                self.on_extract(archive.name, done, total)

        def work() -> tuple[list[Any], tuple[str, ...], ScanResult, str]:
            listing = inspect_archive(archive)
            layout = plan_layout(listing, self.install.layout)
            files = extract(listing, layout, area, progress=progress, cancelled=self.cancelled)
            contents = scan_install(self.install.moved_to(area), parallel=False)
            return files, layout.skipped, contents, sha256 or _sha256_of(archive)

        staged_files, skipped, contents, digest = await asyncio.to_thread(work)
        new_files = tuple(NewFile(f.target, f.path, f.sha256, f.size) for f in staged_files)
        lead = _lead(contents.mods)
        if lead is None and key is None:
            problems = "; ".join(str(p) for p in contents.problems) or "no server mod, plugin or patcher inside"
            raise KappaError(f"{archive.name}: Kappa cannot tell which mod this is ({problems})")
        for problem in contents.problems:
            proposal.warnings.append(f"{archive.name}: {problem}")
        if lead is not None and version is not None and not same_release(lead.version, version):
            proposal.warnings.append(f"{archive.name} is {name} {version} on the Forge, but its files say "
                                     f"{lead.version}")
        return StagedMod(key=key or (lead.guid.lower() if lead else ""), name=name or (lead.name if lead else ""),
                         version=version or (lead.version if lead else ""), source=archive.name, sha256=digest,
                         files=new_files, contents=tuple(contents.mods), skipped=skipped, forge_id=forge_id)

    async def _download(self, planner: Planner, step: Step) -> DownloadedFile:
        assert self.downloader is not None
        release = _release(planner, step)
        if release is None or not release.link:
            raise KappaError(f"the Forge gives no download link for {step.name} {step.to_version}")

        def progress(update: DownloadProgress) -> None:
            if self.on_download is not None:
                self.on_download(f"{step.name} {step.to_version}", update)

        mod_key = str(step.forge_id) if step.forge_id is not None else None
        return await self.downloader.download(release.link, expected_size=release.content_length, mod_key=mod_key,
                                              progress=progress)

    async def _match_on_forge(self, staged: StagedMod, proposal: Proposal) -> StagedMod:
        """Key an archive's mod by its Forge GUID when the Forge knows it, so later updates find it."""
        if self.forge is None:
            return staged
        guids = sorted(_guids(staged))
        mapped = [self.mappings[g] for g in guids if g in self.mappings]
        filters = ModFilters(id=mapped, include_legacy=True) if mapped else ModFilters(guid=guids, include_legacy=True)
        try:
            result = await self.forge.mods(filters, per_page=5)
        except KappaError as exc:
            proposal.warnings.append(f"could not look {staged.name} up on the Forge ({exc}); installed as is")
            return staged
        match = next((mod for mod in result.data.items if mapped or (mod.guid and mod.guid.lower() in guids)), None)
        if match is None:
            return staged
        return replace(staged, key=(match.guid or staged.key).lower(), forge_id=match.id,
                     name=match.name or staged.name)

    def _attach_to_installed(self, staged: StagedMod, scan: ScanResult, proposal: Proposal) -> None:
        """An archive of a mod that is already installed replaces it: its old files go, the new ones come."""
        guids = _guids(staged) | {staged.key}
        for group in group_installed(scan.mods):
            members = {m.guid.lower() for m in group.members}
            if members & guids:
                proposal.old_files[staged.key] = self._old_files(staged.key, {staged.key: members}, scan)
                proposal.kind = "update"
                proposal.staged.append(replace(staged, replaces=group.version))
                return
        proposal.staged.append(staged)

    def _check_duplicates(self, proposal: Proposal) -> None:
        seen: dict[str, StagedMod] = {}
        for mod in proposal.staged:
            if mod.key in seen:
                raise KappaError(f"{seen[mod.key].source} and {mod.source} are both {mod.name}: give only one")
            seen[mod.key] = mod

    def _old_files(self, key: str, installed_of: dict[str, set[str]], scan: ScanResult) -> tuple[str, ...] | None:
        """The files of the installed version: None lets the engine use its own ownership record."""
        if any(record.key == key for record in self.engine.managed_mods()):
            return None
        guids = installed_of.get(key, {key})
        mods = [mod for mod in scan.mods if mod.guid.lower() in guids and mod.enabled]
        return tuple(sorted({path for mod in mods for path in files_of(scan, mod)}))

    def _find_installed(self, guid: str) -> tuple[str, str, tuple[str, ...] | None]:
        wanted = guid.lower()
        for record in self.engine.managed_mods():
            if wanted == record.key and record.enabled:
                return record.key, record.name, None
        scan = self.scan()
        for group in group_installed(scan.mods):
            members = [m for m in group.members if m.enabled]
            if wanted in {m.guid.lower() for m in members}:
                owner = next((self.engine.owner_of(path) for m in members for path in files_of(scan, m)
                              if self.engine.owner_of(path)), None)
                if owner is not None:
                    record = next(r for r in self.engine.managed_mods() if r.key == owner)
                    return record.key, record.name, None
                files = tuple(sorted({p for m in members for p in files_of(scan, m)}))
                return group.guid.lower(), group.name, files
        raise KappaError(f"{guid} is not an installed, enabled mod (see `kappa scan` for the GUIDs)")

    def _missing_dependencies(self, scan: ScanResult, proposal: Proposal) -> list[MissingDependency]:
        replaced = {key for key in proposal.old_files}
        present: dict[str, str] = {}
        for group in group_installed(scan.mods):
            if group.guid.lower() in replaced:
                continue
            for mod in group.members:
                if mod.enabled:
                    present[mod.guid.lower()] = mod.version
        for staged in proposal.staged:
            for mod in staged.contents:
                present[mod.guid.lower()] = mod.version
            present[staged.key] = staged.version
        missing: list[MissingDependency] = []
        for staged in proposal.staged:
            for mod in staged.contents:
                for guid, constraint in mod.dependencies.items():
                    if guid.lower() in SPT_PLUGIN_GUIDS:
                        continue
                    have = present.get(guid.lower())
                    if have is None or not meets_declared(have, constraint):
                        missing.append(MissingDependency(guid, constraint, f"{mod.name} {mod.version}", have))
        return missing


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(2**20):
            digest.update(chunk)
    return digest.hexdigest()


def _lead(mods: Iterable[InstalledMod]) -> InstalledMod | None:
    groups = group_installed(mods)
    if not groups:
        return None
    lead = groups[0]
    return next(m for m in lead.members if m.guid == lead.guid)


def _guids(staged: StagedMod) -> set[str]:
    return {mod.guid.lower() for mod in staged.contents}


def _release(planner: Planner, step: Step) -> ModVersion | None:
    known = planner.known.get(step.forge_id) if step.forge_id is not None else None
    if known is None:
        return None
    return next((v for v in known.versions or () if v.version == step.to_version), None)


def _conflict_json(conflict: Conflict) -> dict[str, Any]:
    return {"path": conflict.target, "owner": conflict.owner, "owner_name": conflict.owner_name,
            "wanted_by": conflict.wanted_by}
