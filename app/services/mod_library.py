"""The installed-mods table's rows: one per mod (its server and client halves together), with one status each.

A row joins three sources: the scan (what is on disk, enabled or in Kappa's disabled store), the update check (what
the Forge says), and the Forge's mod records (Fika compatibility). `build_rows` is pure; `ModLibrary` fetches
what it needs off the GUI thread.

Status, most urgent first, so that a row shows the thing the player must act on: disabled, missing dependency,
incompatible with this SPT, blocked, update available, not on the Forge, up to date (or not checked yet).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path

from app.core.data_dir import DataDir
from app.core.forge_matching import InstalledGroup, group_installed
from app.core.mods import InstalledMod, ScanResult
from app.core.scan import files_of
from app.core.versions import meets_declared
from app.net.forge import ForgeClient
from app.net.forge_models import FikaCompatibility, Mod, ModFilters
from app.services.installed_mods import InstalledModsService
from app.services.planner import SPT_PLUGIN_GUIDS
from app.services.update_check import CheckedMod, CheckReport, UpdateChecker

FORGE_ID_CHUNK = 50


class ModStatus(StrEnum):
    DISABLED = "disabled"
    MISSING_DEPENDENCY = "missing_dependency"
    INCOMPATIBLE = "incompatible"
    BLOCKED = "blocked"
    UPDATE = "update"
    NOT_ON_FORGE = "not_on_forge"
    UP_TO_DATE = "up_to_date"
    UNCHECKED = "unchecked"


@dataclass(frozen=True)
class Dependency:
    """One dependency of an installed mod, and how the install meets it."""

    guid: str
    constraint: str
    needed_by: str  # "SAIN 3.2.0"
    state: str  # "installed" | "missing" | "conflicting" (installed, but the version does not fit) | "disabled"
    installed: str | None = None  # the installed version, when there is one
    name: str | None = None  # the installed mod's name, when there is one

    def describe(self) -> str:
        who = self.name or self.guid
        wanted = f" {self.constraint}" if self.constraint not in ("", "*") else ""
        if self.state == "missing":
            return f"needs {who}{wanted}, which is not installed"
        if self.state == "disabled":
            return f"needs {who}{wanted}, which is disabled"
        if self.state == "conflicting":
            return f"needs {who}{wanted}, but {self.installed} is installed"
        return f"needs {who}{wanted} ({self.installed} is installed)"


@dataclass(frozen=True)
class ModRow:
    key: str  # the group's lower-case GUID: the name actions use
    name: str
    version: str
    members: tuple[InstalledMod, ...]  # the server half first, then the client plugins
    enabled: bool
    status: ModStatus
    status_text: str  # the chip's words: "Update to 0.9.15", "Blocked by Better Scav Karma"
    status_detail: str  # a sentence for the tooltip and the details pane
    checked: CheckedMod | None = None
    forge_mod: Mod | None = None
    dependencies: tuple[Dependency, ...] = ()
    files: tuple[str, ...] = ()  # relative to the game root
    size: int | None = None  # bytes on disk; None until measured

    @property
    def parts(self) -> str:
        kinds = {m.kind for m in self.members}
        return " + ".join(k for k in ("server", "client") if k in kinds)

    @property
    def guids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m.guid for m in self.members))

    @property
    def forge_id(self) -> int | None:
        return self.checked.forge_id if self.checked else None

    @property
    def latest(self) -> str | None:
        return self.checked.latest if self.checked else None

    @property
    def fika(self) -> FikaCompatibility | None:
        """None when the Forge does not know the mod (or was not asked)."""
        if self.forge_mod is None:
            return None
        return FikaCompatibility.COMPATIBLE if self.forge_mod.fika_compatibility else FikaCompatibility.UNKNOWN

    @property
    def can_update(self) -> bool:
        return self.enabled and self.status == ModStatus.UPDATE


@dataclass(frozen=True)
class Library:
    """Everything the table shows for one install."""

    scan: ScanResult
    rows: tuple[ModRow, ...]
    report: CheckReport | None = None
    forge_mods: Mapping[int, Mod] = field(default_factory=dict)

    def row(self, key: str) -> ModRow | None:
        return next((row for row in self.rows if row.key == key), None)

    @property
    def updates(self) -> list[ModRow]:
        return [row for row in self.rows if row.can_update]


def build_rows(scan: ScanResult, report: CheckReport | None = None, forge_mods: Mapping[int, Mod] | None = None,
               files: Mapping[str, tuple[tuple[str, ...], int]] | None = None) -> tuple[ModRow, ...]:
    """One row per installed mod. `files` maps a row key to (its files, their size in bytes)."""
    groups = group_installed(scan.mods)
    checked = _checked_by_guid(report)
    present = _present_versions(groups)
    rows = []
    for group in groups:
        check = next((checked[m.guid.lower()] for m in group.members if m.guid.lower() in checked), None)
        forge_mod = (forge_mods or {}).get(check.forge_id) if check and check.forge_id is not None else None
        dependencies = tuple(_dependencies(group, present))
        status, text, detail = _status(group, check, dependencies, report is not None, present)
        owned, size = (files or {}).get(group.key, ((), None))
        rows.append(ModRow(key=group.key, name=group.name, version=group.version, members=group.members,
                           enabled=any(m.enabled for m in group.members), status=status, status_text=text,
                           status_detail=detail, checked=check, forge_mod=forge_mod, dependencies=dependencies,
                           files=owned, size=size))
    return tuple(rows)


class ModLibrary:
    """Reads an install into a `Library` and asks the Forge about it; the heavy parts run off the event loop."""

    def __init__(self, data_dir: DataDir) -> None:
        self.scanner = InstalledModsService(data_dir)

    async def load(self, root: Path) -> Library:
        scan = await self.scanner.scan(root)
        files = await asyncio.to_thread(measure_files, scan)
        return Library(scan, build_rows(scan, files=files))

    async def check(self, library: Library, forge: ForgeClient, mappings: dict[str, int] | None = None) -> Library:
        """Ask the Forge for updates and for the mods' records (Fika compatibility, description, links)."""
        report = await UpdateChecker(forge, mappings).check(library.scan)
        forge_mods = await fetch_forge_mods(forge, [m.forge_id for m in report.mods if m.forge_id is not None])
        files = {row.key: (row.files, row.size or 0) for row in library.rows}
        return replace(library, report=report, forge_mods=forge_mods,
                       rows=build_rows(library.scan, report, forge_mods, files))


async def fetch_forge_mods(forge: ForgeClient, ids: Iterable[int]) -> dict[int, Mod]:
    wanted = sorted(set(ids))
    found: dict[int, Mod] = {}
    for start in range(0, len(wanted), FORGE_ID_CHUNK):
        chunk = wanted[start:start + FORGE_ID_CHUNK]
        result = await forge.mods(ModFilters(id=chunk, include_legacy=True), per_page=FORGE_ID_CHUNK)
        found.update({mod.id: mod for mod in result.data.items})
    return found


def measure_files(scan: ScanResult) -> dict[str, tuple[tuple[str, ...], int]]:
    """Each row's files and their total size: file system work, for a worker thread."""
    measured: dict[str, tuple[tuple[str, ...], int]] = {}
    for group in group_installed(scan.mods):
        paths = tuple(dict.fromkeys(path for mod in group.members for path in _files_on_disk(scan, mod)))
        size = 0
        for path in paths:
            try:
                size += (scan.install.root / path).stat().st_size
            except OSError:
                continue  # gone since the scan: the next scan drops it
        measured[group.key] = (paths, size)
    return measured


def _files_on_disk(scan: ScanResult, mod: InstalledMod) -> list[str]:
    try:
        return files_of(scan, mod) if mod.enabled else []
    except OSError:
        return []


def _checked_by_guid(report: CheckReport | None) -> dict[str, CheckedMod]:
    return {mod.guid.lower(): mod for mod in report.mods} if report else {}


def _present_versions(groups: Sequence[InstalledGroup]) -> dict[str, tuple[str, str, bool]]:
    """GUID (lower case) -> (version, name, enabled) of every installed mod and plugin."""
    present: dict[str, tuple[str, str, bool]] = {}
    for group in groups:
        for mod in group.members:
            present[mod.guid.lower()] = (mod.version, group.name, mod.enabled)
    return present


def _dependencies(group: InstalledGroup, present: Mapping[str, tuple[str, str, bool]]) -> Iterable[Dependency]:
    own = {m.guid.lower() for m in group.members}
    seen: set[str] = set()
    for mod in group.members:
        for guid, constraint in mod.dependencies.items():
            key = guid.lower()
            if key in own or key in SPT_PLUGIN_GUIDS or key in seen:
                continue
            seen.add(key)
            needed_by = f"{mod.name} {mod.version}"
            if key not in present:
                yield Dependency(guid, constraint, needed_by, "missing")
                continue
            version, name, enabled = present[key]
            state = "installed" if meets_declared(version, constraint) else "conflicting"
            yield Dependency(guid, constraint, needed_by, state if enabled else "disabled", version, name)


def _status(group: InstalledGroup, check: CheckedMod | None, dependencies: Sequence[Dependency], checked: bool,
            present: Mapping[str, tuple[str, str, bool]]) -> tuple[ModStatus, str, str]:
    if not any(m.enabled for m in group.members):
        return ModStatus.DISABLED, "Disabled", "Disabled: its files are in Kappa's disabled store, not in the game."
    broken = [d for d in dependencies if d.state != "installed"]
    if broken:
        first = broken[0]
        return (ModStatus.MISSING_DEPENDENCY, f"Needs {first.name or first.guid}",
                "It will not load: it " + "; it ".join(d.describe() for d in broken) + ".")
    if check is None:
        if checked:
            return ModStatus.NOT_ON_FORGE, "Not on the Forge", "The Forge has no mod with this GUID or name."
        return ModStatus.UNCHECKED, "Not checked", "Not checked against the Forge yet."
    if check.status == "incompatible":
        return (ModStatus.INCOMPATIBLE, "Incompatible with this SPT",
                "The Forge lists no version of it for this SPT version.")
    if check.status == "blocked":
        names = [present.get(b.guid.lower(), ("", b.guid, True))[1] for b in check.blocked_by]
        blockers = ", ".join(f"{name}, which needs {b.constraint}" for name, b in zip(names, check.blocked_by,
                                                                                     strict=True))
        reason = f" by {blockers}" if blockers else (f" ({check.block_reason})" if check.block_reason else "")
        return (ModStatus.BLOCKED, f"Blocked by {names[0]}" if names else "Blocked",
                f"{check.latest or 'A newer version'} exists, but updating is blocked{reason}.")
    if check.status == "update_available":
        return (ModStatus.UPDATE, f"Update to {check.latest}",
                f"{check.latest} is on the Forge (installed: {check.installed}).")
    if check.status == "not_on_forge":
        return ModStatus.NOT_ON_FORGE, "Not on the Forge", "The Forge has no mod with this GUID or name."
    return ModStatus.UP_TO_DATE, "Up to date", "The installed version is the newest for this SPT version."
