"""`kappa plan`: fetch what the resolver needs from the Forge, resolve locally, and compare with the Forge.

The resolver (app/core/resolver.py) is pure; this service gives it a catalog. It first runs the update check
(which maps installed mods to Forge mods and installed strings to Forge version strings), then fetches the
dependency closure — every version, with dependencies, of every mod that can take part — concurrently,
within the rate limits and from the HTTP cache when fresh. Mods are keyed by lower-cased Forge GUID (the
installed GUID for mods the Forge does not have), so that a DLL GUID that differs from the Forge's still
meets the dependencies other mods declare.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from app.core.errors import KappaError
from app.core.forge_matching import group_installed
from app.core.mods import ScanResult
from app.core.resolver import (
    Dependency,
    Install,
    Installed,
    Pin,
    Plan,
    Release,
    Remove,
    Unsatisfiable,
    Update,
    resolve,
)
from app.core.versions import satisfies
from app.net.forge import ForgeClient, ForgeNotFound
from app.net.forge_models import ModFilters, ModVersion
from app.services.update_check import CheckedMod, CheckReport, UpdateChecker

Request = Install | Update | Remove | Pin
FETCH_CONCURRENCY = 4
# SPT's own client plugins (BepInEx/plugins/spt/): mods depend on them, and they come with SPT itself.
SPT_PLUGIN_GUIDS = ("com.spt.core", "com.spt.custom", "com.spt.singleplayer", "com.spt.debugging")
ID_CHUNK = 50


@dataclass(frozen=True)
class ModSpec:
    """What the player typed after `kappa plan install`: a Forge id or GUID, optionally `@constraint`."""

    identifier: str
    constraint: str | None = None

    @classmethod
    def parse(cls, text: str) -> ModSpec:
        identifier, _, constraint = text.partition("@")
        if not identifier.strip():
            raise KappaError(f"{text!r} names no mod; give a Forge id or GUID, optionally with @constraint")
        return cls(identifier.strip(), constraint.strip() or None)


@dataclass(frozen=True)
class Disagreement:
    """Where Kappa's plan and the Forge's `/mods/updates` answer differ about one installed mod."""

    guid: str
    name: str
    forge: str  # what the Forge said, in words
    kappa: str  # what the plan does

    def to_json(self) -> dict[str, str]:
        return {"guid": self.guid, "name": self.name, "forge": self.forge, "kappa": self.kappa}


@dataclass(frozen=True)
class PlanOutcome:
    spt_version: str
    plan: Plan | None
    explanation: Any = None  # resolver Explanation when no plan exists
    disagreements: tuple[Disagreement, ...] = ()

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"spt_version": self.spt_version, "ok": self.plan is not None}
        if self.plan is not None:
            document.update(self.plan.to_json())
            document["forge_disagreements"] = [d.to_json() for d in self.disagreements]
        else:
            document["conflict"] = self.explanation.to_json()
        return document


@dataclass
class ForgeCatalog:
    """Releases fetched from the Forge, keyed by lower-cased GUID."""

    spt_version: str
    releases_by_mod: dict[str, list[Release]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    def releases(self, mod: str) -> Sequence[Release]:
        return self.releases_by_mod.get(mod, [])

    def name(self, mod: str) -> str:
        return self.names.get(mod, mod)


@dataclass
class _Known:
    """What the closure fetch learnt about one Forge mod."""

    forge_id: int
    guid: str
    name: str
    versions: list[ModVersion] | None = None


class Planner:
    def __init__(self, forge: ForgeClient, mappings: dict[str, int] | None = None) -> None:
        self.forge = forge
        self.mappings = mappings or {}
        self.known: dict[int, _Known] = {}
        self.key_of_installed: dict[str, str] = {}  # installed group GUID (lower case) -> plan key

    async def plan(self, scan: ScanResult, *, install: Sequence[ModSpec] = (), update: Sequence[str] | None = None,
                   update_all: bool = False, remove: Sequence[str] = (), pins: Sequence[ModSpec] = (),
                   with_optional: bool = False, spt_version: str | None = None) -> PlanOutcome:
        """Plan installs, updates (`update_all` or the installed GUIDs in `update`), removals and pins."""
        report = await UpdateChecker(self.forge, self.mappings).check(scan, spt_version)
        spt = report.spt_version
        requested = [await self._find_requested(spec) for spec in install]
        await self._fetch_closure([m.forge_id for m in report.mods if m.forge_id is not None] +
                                  [known.forge_id for known in requested])
        key_of_installed = {checked.guid.lower(): self._key(checked) for checked in report.mods}
        self.key_of_installed = key_of_installed
        requests: list[Request] = [
            Install(known.guid.lower(), spec.constraint, with_optional)
            for known, spec in zip(requested, install, strict=True)]
        if update_all:
            requests.append(Update(None))
        elif update:
            requests.append(Update(frozenset(self._installed_key(guid, key_of_installed) for guid in update)))
        requests += [Remove(self._installed_key(guid, key_of_installed)) for guid in remove]
        installed = self._installed(scan, report)
        versions = {item.mod: item.version for item in installed}
        for pin in pins:
            key = self._installed_key(pin.identifier, key_of_installed)
            requests.append(Pin(key, pin.constraint or versions[key]))
        catalog = self._catalog(spt)
        installed, waived = waive_hopeless_dependencies(installed, catalog)
        try:
            plan = resolve(installed, requests, catalog)
        except Unsatisfiable as impossible:
            return PlanOutcome(spt, None, impossible.explanation)
        updating = update_all or bool(update)
        return PlanOutcome(spt, replace(plan, warnings=(*waived, *plan.warnings)),
                           disagreements=tuple(self._cross_check(report, plan)) if updating else ())

    def installed_guids_by_key(self, scan: ScanResult) -> dict[str, set[str]]:
        """After `plan`: each plan key's installed GUIDs (lower case, every half of the mod)."""
        guids: dict[str, set[str]] = {}
        for group in group_installed(scan.mods):
            key = self.key_of_installed.get(group.key, group.key)
            guids.setdefault(key, set()).update(member.guid.lower() for member in group.members)
        return guids

    @staticmethod
    def _installed_key(guid: str, key_of_installed: dict[str, str]) -> str:
        key = key_of_installed.get(guid.lower())
        if key is None:
            raise KappaError(f"{guid} is not installed (see `kappa scan` for the installed GUIDs)")
        return key

    # -- what the player asked for
    async def _find_requested(self, spec: ModSpec) -> _Known:
        if spec.identifier.isdigit():
            filters = ModFilters(id=[int(spec.identifier)], include_legacy=True)
        else:
            filters = ModFilters(guid=[spec.identifier], include_legacy=True)
        result = await self.forge.mods(filters, per_page=1)
        if not result.data.items:
            raise KappaError(f"no mod on the Forge is {spec.identifier}")
        mod = result.data.items[0]
        known = self.known.setdefault(mod.id, _Known(mod.id, mod.guid or str(mod.id), mod.name or str(mod.id)))
        return known

    # -- the dependency closure
    async def _fetch_closure(self, forge_ids: Iterable[int]) -> None:
        pending = set(forge_ids)
        limit = asyncio.Semaphore(FETCH_CONCURRENCY)
        while pending:
            await self._learn_identities(pending)
            batch = [self.known[i] for i in pending if i in self.known and self.known[i].versions is None]
            await asyncio.gather(*(self._fetch_versions(known, limit) for known in batch))
            pending = {dep.mod_id for known in batch for version in known.versions or ()
                       for dep in version.dependencies or () if dep.mod_id is not None} - set(self.known)

    async def _learn_identities(self, forge_ids: set[int]) -> None:
        unknown = sorted(i for i in forge_ids if i not in self.known)
        for start in range(0, len(unknown), ID_CHUNK):
            chunk = unknown[start:start + ID_CHUNK]
            result = await self.forge.mods(ModFilters(id=chunk, include_legacy=True), per_page=ID_CHUNK)
            for mod in result.data.items:
                self.known[mod.id] = _Known(mod.id, mod.guid or str(mod.id), mod.name or str(mod.id))

    async def _fetch_versions(self, known: _Known, limit: asyncio.Semaphore) -> None:
        async with limit:
            try:
                result = await self.forge.iter_mod_versions(known.forge_id, include=("dependencies",)).collect()
                known.versions = result.data
            except ForgeNotFound:
                known.versions = []

    # -- resolver input
    def _catalog(self, spt: str) -> ForgeCatalog:
        catalog = ForgeCatalog(spt, names=dict.fromkeys(SPT_PLUGIN_GUIDS, "SPT"))
        key_of = {known.forge_id: known.guid.lower() for known in self.known.values()}
        for known in self.known.values():
            key = known.guid.lower()
            catalog.names[key] = known.name
            catalog.releases_by_mod[key] = [
                Release(mod=key, version=v.version, for_target_spt=_published_for(v, spt),
                        dependencies=tuple(_dependency(d, key_of) for d in v.dependencies or ()),
                        download_size=v.content_length, forge_id=known.forge_id)
                for v in known.versions or ()]
        return catalog

    def _installed(self, scan: ScanResult, report: CheckReport) -> list[Installed]:
        """The resolver's view of the install, with SPT's own plugins as fixed nodes at the SPT version."""
        key_by_guid = {mod.guid.lower(): self._key(mod) for mod in report.mods}
        groups = {group.key: group for group in group_installed(scan.mods)}
        installed = [Installed(mod=guid, version=report.spt_version, name="SPT") for guid in SPT_PLUGIN_GUIDS]
        for checked in report.mods:
            members = groups[checked.guid.lower()].members
            # The Forge's dependency data speaks for mods it has; files only for mods it does not.
            local_deps = () if checked.forge_id is not None else tuple(
                Dependency(key_by_guid.get(guid.lower(), guid.lower()), constraint)
                for member in members for guid, constraint in member.dependencies.items())
            incompatible = tuple(key_by_guid.get(guid.lower(), guid.lower())
                                 for member in members for guid in member.incompatibilities)
            installed.append(Installed(mod=self._key(checked), version=checked.forge_version or checked.installed,
                                       name=checked.name, dependencies=local_deps, incompatibilities=incompatible))
        return installed

    def _key(self, checked: CheckedMod) -> str:
        known = self.known.get(checked.forge_id) if checked.forge_id is not None else None
        return (known.guid if known else checked.guid).lower()

    # -- comparing with the Forge
    def _cross_check(self, report: CheckReport, plan: Plan) -> Iterable[Disagreement]:
        steps = {step.mod: step for step in plan.steps}
        for checked in report.mods:
            step = steps.get(self._key(checked))
            if step is None or checked.status not in ("update_available", "blocked", "up_to_date"):
                continue
            moves = step.action in ("upgrade", "downgrade")
            if checked.status == "update_available" and not moves:
                yield Disagreement(checked.guid, checked.name, f"update to {checked.latest}",
                                   f"keep {step.from_version}: " + "; ".join(step.reasons))
            elif checked.status == "update_available" and step.to_version != checked.latest:
                yield Disagreement(checked.guid, checked.name, f"update to {checked.latest}",
                                   f"{step.action} to {step.to_version}")
            elif checked.status in ("blocked", "up_to_date") and moves:
                forge_said = "update blocked" if checked.status == "blocked" else "up to date"
                yield Disagreement(checked.guid, checked.name, forge_said, f"{step.action} to {step.to_version}")


def waive_hopeless_dependencies(installed: Sequence[Installed],
                                catalog: ForgeCatalog) -> tuple[list[Installed], list[str]]:
    """Set aside dependencies of installed mods that are missing now and that no release for this SPT can meet.

    Such a mod was broken before any plan (a dependency never installed, or one that has no version for this SPT)
    and no plan can mend it; holding every other change hostage to it would help nobody. The mod is kept as it
    is, and the plan says so. Dependencies that can be met stay, so a plan installs what is missing when it can.
    """
    present = {item.mod: item.version for item in installed}
    waived: list[str] = []
    result = []

    def met_now(dependency: Dependency) -> bool:
        version = present.get(dependency.mod)
        return version is not None and _allows(version, dependency.constraint)

    def can_be_met(dependency: Dependency) -> bool:
        return any(r.for_target_spt and _allows(r.version, dependency.constraint)
                   for r in catalog.releases(dependency.mod))

    for item in installed:
        release = next((r for r in catalog.releases(item.mod) if r.version == item.version), None)
        declared = release.dependencies if release is not None else item.dependencies
        hopeless = [d for d in declared if not d.optional and not met_now(d) and not can_be_met(d)]
        if not hopeless:
            result.append(item)
            continue
        kept = tuple(d for d in declared if d not in hopeless)
        if release is not None:
            catalog.releases_by_mod[item.mod] = [replace(r, dependencies=kept) if r is release else r
                                                 for r in catalog.releases(item.mod)]
            result.append(item)
        else:
            result.append(replace(item, dependencies=kept))
        for dependency in hopeless:
            have = present.get(dependency.mod)
            state = f"installed at {have}" if have else "not installed"
            waived.append(f"{item.name} {item.version} needs {catalog.name(dependency.mod)} {dependency.constraint}, "
                          f"which is {state} and has no fitting version for SPT {catalog.spt_version}: it was "
                          "broken before this plan and stays so")
    return result, waived


def _allows(version: str, constraint: str) -> bool:
    try:
        return satisfies(version, constraint, "composer")
    except ValueError:
        return False


def _published_for(version: ModVersion, spt: str) -> bool:
    if not version.spt_version_constraint:
        return False  # legacy versions name no SPT version; the Forge links them to none
    try:
        return satisfies(spt, version.spt_version_constraint, "composer")
    except ValueError:
        return False


def _dependency(dependency: Any, key_of: dict[int, str]) -> Dependency:
    key = key_of.get(dependency.mod_id) if dependency.mod_id is not None else None
    return Dependency(mod=key or (dependency.mod_guid or str(dependency.mod_id)).lower(),
                      constraint=dependency.version_constraint or "*", optional=bool(dependency.is_optional))
