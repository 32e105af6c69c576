"""`kappa check`: which installed mods have updates on the Forge, told truthfully.

The Forge's `/mods/updates` answers by exact stored version string and GUID, and silently drops pairs it
cannot resolve. So the check asks in rounds and only asks again about what is still unknown:

1. every installed mod (server and client halves grouped) as `GUID-or-remembered-id : installed version`,
   in chunks of 50 — for an install whose mods are all on the Forge under the same strings, this is all;
2. for mods the Forge did not answer: find the Forge mod by GUID (`filter[guid]`, 50 at a time), then by
   name similarity; find the Forge's own string for the installed release (`1.0.2` -> `1.0.2+a`);
3. ask `/mods/updates` once more with every pair now known, so that constraints between all installed mods
   are judged together; mods whose installed release is not on the Forge at all are judged from the version
   list directly.
Every GET goes through the HTTP layer's cache and limiter, so a repeated check within five minutes is free.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from app.core.errors import KappaError
from app.core.forge_matching import (
    InstalledGroup,
    NameCandidate,
    NameMatch,
    best_name_match,
    group_installed,
    match_forge_version,
    search_phrases,
)
from app.core.mods import ScanResult
from app.core.versions import parse_version, satisfies
from app.net.forge import ForgeClient, ForgeNotFound, ForgeValidationFailed, ResponseSource
from app.net.forge_models import ModFilters, ModVersion, UpdateCheck

Status = Literal["update_available", "blocked", "up_to_date", "incompatible", "not_on_forge"]
GUID_CHUNK = 50
NAME_SEARCH_RESULTS = 10


@dataclass(frozen=True)
class BlockedBy:
    guid: str
    constraint: str


@dataclass(frozen=True)
class CheckedMod:
    guid: str
    name: str
    installed: str
    forge_id: int | None
    status: Status
    latest: str | None
    blocked_by: tuple[BlockedBy, ...] = ()
    # Beyond the JSON contract, for the table and the GUI:
    matched_by: str = ""  # "guid", "mapping" (confirmed by the user), "name", or "" when not on the Forge
    confidence: float | None = None  # of a name match
    suggestion: NameMatch | None = None  # a doubtful name match, for the user to confirm
    forge_version: str | None = None  # the Forge's own string for the installed release
    block_reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"guid": self.guid, "name": self.name, "installed": self.installed, "forge_id": self.forge_id,
                "status": self.status, "latest": self.latest,
                "blocked_by": [{"guid": b.guid, "constraint": b.constraint} for b in self.blocked_by]}


@dataclass(frozen=True)
class CheckReport:
    spt_version: str
    mods: tuple[CheckedMod, ...]
    source: ResponseSource | None = None  # offline / cache / mirror, combined over every answer used
    requests: int = 0  # HTTP requests actually sent

    def to_json(self) -> dict[str, Any]:
        return {"spt_version": self.spt_version, "mods": [mod.to_json() for mod in self.mods]}


@dataclass
class _Candidate:
    """What the check knows about one installed group while it works."""

    group: InstalledGroup
    forge_id: int | None = None
    matched_by: str = ""
    confidence: float | None = None
    suggestion: NameMatch | None = None
    forge_version: str | None = None  # the string to ask /mods/updates with
    versions: list[ModVersion] = field(default_factory=list)


class UpdateChecker:
    def __init__(self, forge: ForgeClient, mappings: dict[str, int] | None = None) -> None:
        self.forge = forge
        self.mappings = {guid.lower(): forge_id for guid, forge_id in (mappings or {}).items()}
        self.sources: list[ResponseSource] = []

    async def check(self, scan: ScanResult, spt_version: str | None = None) -> CheckReport:
        spt = spt_version or scan.install.version
        if not spt:
            raise KappaError("the SPT version of this install is unknown; pass --spt-version")
        sent_before = self.forge.api.requests_sent
        candidates = [self._start(group) for group in group_installed(scan.mods)]
        answer = await self._updates(candidates, spt, use_guid=True)
        unanswered = []
        for candidate in candidates:
            found = _answer_for(answer, candidate)
            if found is None:
                unanswered.append(candidate)
            else:  # from now on the Forge id speaks for it, whatever its GUID
                candidate.forge_id, candidate.matched_by = found["forge_id"], candidate.matched_by or "guid"
        if unanswered:
            await self._find_on_forge(unanswered)
            await self._find_forge_versions([c for c in unanswered if c.forge_id is not None])
            if any(c.forge_id is not None and c.forge_version for c in unanswered):
                answer = await self._updates(candidates, spt, use_guid=False)
        mods = tuple(sorted((self._verdict(c, answer, spt) for c in candidates), key=lambda m: m.name.lower()))
        source = ResponseSource.combine(self.sources) if self.sources else None
        return CheckReport(spt, mods, source, self.forge.api.requests_sent - sent_before)

    def _start(self, group: InstalledGroup) -> _Candidate:
        remembered = self.mappings.get(group.key)
        if remembered is not None:
            return _Candidate(group, forge_id=remembered, matched_by="mapping", forge_version=group.version)
        return _Candidate(group, forge_version=group.version)

    # -- asking
    async def _updates(self, candidates: Sequence[_Candidate], spt: str, *, use_guid: bool) -> UpdateCheck:
        pairs = []
        for candidate in candidates:
            if candidate.forge_version is None:
                continue
            identifier: str | int | None = candidate.forge_id if candidate.forge_id is not None else (
                candidate.group.guid if use_guid else None)
            if identifier is not None:
                pairs.append((identifier, candidate.forge_version))
        if not pairs:
            return UpdateCheck(spt_version=spt)
        try:
            result = await self.forge.updates(pairs, spt)
        except ForgeValidationFailed as exc:
            raise KappaError(f"the Forge cannot check updates for SPT {spt}: {exc.message}") from None
        self.sources.append(result.source)
        return result.data

    async def _find_on_forge(self, candidates: list[_Candidate]) -> None:
        """Forge ids for candidates without one: by GUID first, then by name similarity."""
        unknown = [c for c in candidates if c.forge_id is None]
        by_guid: dict[str, int] = {}
        for start in range(0, len(unknown), GUID_CHUNK):
            chunk = unknown[start:start + GUID_CHUNK]
            # include_legacy: a mod whose versions are all for old SPT releases is still the same mod.
            filters = ModFilters(guid=[c.group.guid for c in chunk], include_legacy=True)
            result = await self.forge.mods(filters, per_page=GUID_CHUNK)
            self.sources.append(result.source)
            by_guid.update({mod.guid.lower(): mod.id for mod in result.data.items if mod.guid})
        by_name = []
        for candidate in unknown:
            forge_id = by_guid.get(candidate.group.key)
            if forge_id is not None:
                candidate.forge_id, candidate.matched_by = forge_id, "guid"
            else:
                by_name.append(candidate)
        await _bounded(self._match_by_name(candidate) for candidate in by_name)

    async def _match_by_name(self, candidate: _Candidate) -> None:
        """Search the Forge for the installed name; a confident match is used, a doubtful one only suggested."""
        best: NameMatch | None = None
        for phrase in search_phrases(candidate.group.name):
            result = await self.forge.mods(ModFilters(include_legacy=True), query=phrase, per_page=NAME_SEARCH_RESULTS)
            self.sources.append(result.source)
            match = best_name_match(candidate.group.name, (
                NameCandidate(mod.id, mod.name or "", mod.slug or "", mod.guid) for mod in result.data.items))
            if match is not None and (best is None or match.confidence > best.confidence):
                best = match
            if best is not None and best.is_confident:
                candidate.forge_id, candidate.matched_by, candidate.confidence = (
                    best.candidate.forge_id, "name", best.confidence)
                return
        candidate.suggestion = best

    async def _find_forge_versions(self, candidates: Iterable[_Candidate]) -> None:
        """The Forge's own string for each installed release (or None when the Forge does not have it)."""
        await _bounded(self._find_forge_version(candidate) for candidate in candidates)

    async def _find_forge_version(self, candidate: _Candidate) -> None:
        assert candidate.forge_id is not None
        iterator = self.forge.iter_mod_versions(candidate.forge_id, include=())
        try:
            async for version in iterator:
                candidate.versions.append(version)
        except ForgeNotFound:
            candidate.forge_id = None  # the mod exists but shows no version: as good as absent
            return
        finally:
            self.sources.append(iterator.source)
        candidate.forge_version = match_forge_version(
            candidate.group.version, [(v.id, v.version) for v in candidate.versions])

    # -- judging
    def _verdict(self, candidate: _Candidate, answer: UpdateCheck, spt: str) -> CheckedMod:
        group = candidate.group
        found = _answer_for(answer, candidate)
        base: dict[str, Any] = {
            "guid": group.guid, "name": group.name, "installed": group.version, "confidence": candidate.confidence,
            "suggestion": candidate.suggestion, "forge_version": candidate.forge_version,
            "matched_by": candidate.matched_by or ("guid" if found else ""),
        }
        if found is not None:
            return CheckedMod(**base, **found)
        if candidate.forge_id is None:
            return CheckedMod(**base, forge_id=None, status="not_on_forge", latest=None)
        return self._judge_from_versions(candidate, base, spt)

    @staticmethod
    def _judge_from_versions(candidate: _Candidate, base: dict[str, Any], spt: str) -> CheckedMod:
        """The installed release is not on the Forge (a dev build, a re-tagged upload): compare with the list."""
        installed = _parse(candidate.group.version)
        compatible = [v for v in candidate.versions if v.spt_version_constraint and _for_spt(v, spt)]
        if installed is not None and not installed.is_prerelease:
            compatible = [v for v in compatible if not (_parse(v.version) or installed).is_prerelease]
        newest = max(compatible, key=lambda v: _parse(v.version) or installed, default=None) if installed else None
        if newest is None:
            return CheckedMod(**base, forge_id=candidate.forge_id, status="incompatible", latest=None)
        newer = installed is not None and (_parse(newest.version) or installed) > installed
        return CheckedMod(**base, forge_id=candidate.forge_id, status="update_available" if newer else "up_to_date",
                          latest=newest.version)


async def _bounded(work: Iterable[Coroutine[Any, Any, None]], concurrency: int = 4) -> None:
    """Run coroutines a few at a time: fast, yet gentle on the Forge (the HTTP layer's limiter has the last word)."""
    limit = asyncio.Semaphore(concurrency)

    async def one(job: Coroutine[Any, Any, None]) -> None:
        async with limit:
            await job

    await asyncio.gather(*(one(job) for job in work))


def _answer_for(answer: UpdateCheck, candidate: _Candidate) -> dict[str, Any] | None:
    """The Forge's verdict on one candidate as CheckedMod fields, or None when the Forge said nothing of it."""
    for update in answer.updates:
        if _same(update.current_version.mod_id, update.current_version.guid, candidate):
            return {"forge_id": update.current_version.mod_id, "status": "update_available",
                    "latest": update.recommended_version.version}
    for blocked in answer.blocked_updates:
        if _same(blocked.current_version.mod_id, blocked.current_version.guid, candidate):
            return {"forge_id": blocked.current_version.mod_id, "status": "blocked",
                    "latest": blocked.latest_version.version if blocked.latest_version else None,
                    "blocked_by": tuple(BlockedBy(b.mod_guid or b.mod_name or "?", b.constraint or "")
                                        for b in blocked.blocking_mods),
                    "block_reason": blocked.block_reason}
    for current in answer.up_to_date:
        if _same(current.mod_id, current.guid, candidate):
            return {"forge_id": current.mod_id, "status": "up_to_date", "latest": current.version}
    for incompatible in answer.incompatible_with_spt:
        if _same(incompatible.mod_id, incompatible.guid, candidate):
            return {"forge_id": incompatible.mod_id, "status": "incompatible", "latest": None}
    return None


def _same(mod_id: int, guid: str | None, candidate: _Candidate) -> bool:
    if candidate.forge_id is not None:
        return mod_id == candidate.forge_id
    return guid is not None and guid.lower() == candidate.group.key


def _parse(text: str):  # type: ignore[no-untyped-def]
    try:
        return parse_version(text)
    except ValueError:
        return None


def _for_spt(version: ModVersion, spt: str) -> bool:
    try:
        return satisfies(spt, version.spt_version_constraint or "", "composer")
    except ValueError:
        return False
