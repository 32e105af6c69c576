"""Plan installs, updates and removals as one consistent set of mod versions, or explain why none exists.

Pure: no I/O, no network, no Qt. The caller hands in what is installed, what the player asked for and a
:class:`Catalog` of published releases; :func:`resolve` returns a :class:`Plan` or raises
:class:`Unsatisfiable` whose :class:`Explanation` names the mods in conflict in a player's words.

The search is resolvelib's backtracking resolver. What resolvelib does not offer directly is handled here:

* **"Must be absent".** Every mod also has an *absent* candidate (version ``None``). A normal dependency
  rejects it, an optional dependency accepts it (so an optional dependency binds only if the mod is there),
  and a declared incompatibility or a :class:`Remove` request is a requirement that *only* the absent
  candidate satisfies. So incompatibilities, removals and optional dependencies are ordinary resolvelib
  requirements, and a clash between them shows up in ``ResolutionImpossible.causes`` like any other. Absent
  candidates never reach the plan.
* **Fewest changes, in stages.** resolvelib has no conflict learning, and its (complete) backtracking can
  take exponential time when many movable mods hang off one library. So the first attempt lets only what
  the request touches move: requested, updated, pinned and removed mods and mods not yet installed. Every
  other installed mod is a fixed node at its installed version. If that attempt fails, the installed mods
  that took part in a conflict (the conflicted mod itself, and the parents whose demands clash) become
  movable and the search repeats, until it succeeds or a failed attempt names no new installed mod. A plan
  therefore moves an untouched mod only when a conflict showed it had to, and an explanation is built from
  the smallest attempt that still fails. ``max_rounds`` bounds each attempt; an attempt that runs out is
  treated as failed with the conflicts it saw (a documented limitation for very large inputs).
* **Ordering.** Candidates are offered in preference order: for an installed mod that is not being updated,
  the installed version first, then newer versions (newest first), then older ones; for a mod being updated
  and for new installs, newest first. A prerelease is offered only to a mod whose request names a prerelease
  (constraint or pin), or to an installed prerelease (its stable release and newer prereleases), as on the
  Forge. Versions the plan moves *to* must be published for the target SPT version; the installed version
  may be kept even when it is not (with a warning).

Plan steps come in this order: removals first (so a mod another one refuses to run beside leaves before that
one arrives), then every other step with dependencies before dependants; the mods of a dependency cycle are
kept together, and ties are broken by name, so the same input always gives the same plan and the same text.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from resolvelib import AbstractProvider, BaseReporter, ResolutionImpossible, ResolutionTooDeep, Resolver
from resolvelib.resolvers import Criterion, RequirementInformation

from app.core.versions import Version, VersionInterval, constraints_intersect, parse_constraint, parse_version, satisfies

__all__ = [
    "DEFAULT_MAX_ROUNDS",
    "Catalog",
    "Conflict",
    "Demand",
    "Dependency",
    "Explanation",
    "Install",
    "Installed",
    "Pin",
    "Plan",
    "Release",
    "Remove",
    "Request",
    "Step",
    "Unsatisfiable",
    "Update",
    "resolve",
]

DIALECT = "composer"  # the Forge judges dependencies with composer/semver
DEFAULT_MAX_ROUNDS = 20_000  # per attempt; one round pins one mod (300 installed mods need a few hundred)
SUGGESTION_ROUNDS = 4_000  # a relaxation that needs more than this is not worth proposing
MAX_SUGGESTIONS = 3
MAX_SUGGESTION_TRIALS = 10  # re-resolutions spent looking for suggestions
MAX_STAGES = 50  # widening attempts; each adds at least one installed mod, so this is only a backstop
MAX_REASON_COMBINATIONS = 64  # combinations of alternative demands examined to word a conflict's reason
MAX_SHOWN_GROUPS = 6  # demands put into words when no smaller set explains a conflict

# ----------------------------------------------------------------------------------------------------------
# Public input and output types
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dependency:
    mod: str  # the depended-on mod's key
    constraint: str  # composer constraint as published: "^1.3.0", ">=1.2.0 <2.0.0", "*"
    optional: bool = False


@dataclass(frozen=True)
class Release:
    """One published version of a mod."""

    mod: str
    version: str  # exactly as published: "1.7.3+b", "1.0.0-beta.2"
    for_target_spt: bool
    dependencies: tuple[Dependency, ...] = ()
    incompatibilities: tuple[str, ...] = ()  # mod keys this release refuses to run beside
    download_size: int | None = None  # bytes (Forge content_length)
    forge_id: int | None = None


@dataclass(frozen=True)
class Installed:
    mod: str
    version: str  # in the catalog's own spelling (the caller maps 1.0.2 to 1.0.2+a)
    name: str
    dependencies: tuple[Dependency, ...] = ()  # declared by the installed files; used when the catalog has no data
    incompatibilities: tuple[str, ...] = ()


class Catalog(Protocol):
    def releases(self, mod: str) -> Sequence[Release]:
        """Every published release; empty when the mod is not on the Forge."""
        ...

    def name(self, mod: str) -> str:
        """Display name ("SAIN"); falls back to the key."""
        ...


@dataclass(frozen=True)
class Install:
    mod: str
    constraint: str | None = None
    with_optional: bool = False  # also install the optional dependencies of this mod (not of its dependencies)


@dataclass(frozen=True)
class Update:
    mods: frozenset[str] | None = None  # None: update every installed mod


@dataclass(frozen=True)
class Remove:
    mod: str


@dataclass(frozen=True)
class Pin:
    """Keep this mod at exactly this version. For a mod that is not installed: if anything pulls it in,
    it must be this version (a pin alone does not install it)."""

    mod: str
    version: str


Request = Install | Update | Remove | Pin


@dataclass(frozen=True)
class Step:
    action: str  # "install" | "upgrade" | "downgrade" | "remove" | "keep"
    mod: str
    name: str
    from_version: str | None
    to_version: str | None
    download_size: int | None
    reasons: tuple[str, ...]  # "requested", "needed by SAIN 3.2.0", "update", "kept: no reason to move", ...
    forge_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "guid": self.mod,
            "name": self.name,
            "forge_id": self.forge_id,
            "from": self.from_version,
            "to": self.to_version,
            "download_size": self.download_size,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]  # removals first, then dependencies before dependants (see the module docstring)
    download_size: int  # install/upgrade/downgrade sizes; unknown sizes count as 0 and are listed in warnings
    warnings: tuple[str, ...]

    def changes(self) -> tuple[Step, ...]:
        return tuple(step for step in self.steps if step.action != "keep")

    def to_json(self) -> dict[str, Any]:
        return {
            "steps": [step.to_json() for step in self.steps],
            "download_size": self.download_size,
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class Demand:
    by: str  # "SAIN 3.2.0", "you" (a request), "installed Waypoints 1.6.0"
    constraint: str  # as written; "*" for any version, "" for "must not be there"
    # Beyond the brief: what kind of demand it is, so a UI can word it. "needs", "optional", "request",
    # "pin", "keep" (the mod is installed and stays), "incompatible" or "remove".
    kind: str = "needs"

    def to_json(self) -> dict[str, Any]:
        return {"by": self.by, "constraint": self.constraint, "kind": self.kind}


@dataclass(frozen=True)
class Conflict:
    mod: str
    name: str
    demands: tuple[Demand, ...]
    reason: str  # a clause: "no BigBrain version is both", "CoolLib is not on the Forge"

    def to_json(self) -> dict[str, Any]:
        return {
            "guid": self.mod,
            "name": self.name,
            "demands": [demand.to_json() for demand in self.demands],
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Explanation:
    conflicts: tuple[Conflict, ...]
    text: str
    suggestions: tuple[str, ...]  # each verified by re-resolving: "keep SAIN at 3.1.4", "remove Waypoints"

    def to_json(self) -> dict[str, Any]:
        return {
            "conflicts": [conflict.to_json() for conflict in self.conflicts],
            "text": self.text,
            "suggestions": list(self.suggestions),
        }


class Unsatisfiable(Exception):
    """No plan satisfies every rule. ``str(error)`` is the explanation's text."""

    def __init__(self, explanation: Explanation) -> None:
        super().__init__(explanation.text)
        self.explanation = explanation


# ----------------------------------------------------------------------------------------------------------
# Version helpers
# ----------------------------------------------------------------------------------------------------------

_PRERELEASE_NAMED = re.compile(r"\d-[0-9A-Za-z]|@(?:alpha|beta|rc|dev)\b", re.IGNORECASE)


@functools.lru_cache(maxsize=1 << 17)
def _allows(constraint: str, version: str) -> bool:
    """Composer's verdict, cached: the same pairs come up in every round and in every suggestion trial.

    Like the Forge's VersionMatcher, an unreadable version or constraint matches nothing."""
    if constraint.strip() in ("", "*"):
        return True
    try:
        return satisfies(version, constraint, DIALECT)
    except ValueError:
        return False


@functools.lru_cache(maxsize=1 << 15)
def _parsed(version: str) -> Version | None:
    try:
        return parse_version(version)
    except ValueError:
        return None


def _names_prerelease(constraint: str | None) -> bool:
    """Whether a request's constraint explicitly names a prerelease ("1.0.0-beta.2", ">=2.0.0-rc1", "@beta")."""
    return bool(constraint) and bool(_PRERELEASE_NAMED.search(constraint or ""))


def _order_key(version: str) -> tuple[Any, str]:
    """Newest-last sort key: SemVer precedence, then the text, so 1.0.2+b sorts after 1.0.2+a."""
    parsed = _parsed(version)
    return ((parsed.precedence_key if parsed else ()), version)


def _intervals_meet(constraints: Sequence[str]) -> bool:
    """Whether one version can satisfy every constraint (composer), judged on the constraints alone."""
    if len(constraints) == 2:
        try:
            return constraints_intersect(constraints[0], constraints[1], DIALECT)
        except ValueError:
            return False
    try:
        pieces: list[VersionInterval] = [VersionInterval()]
        for constraint in constraints:
            intervals = parse_constraint(constraint, DIALECT).intervals
            pieces = [joined for a in pieces for b in intervals if (joined := a.intersect(b)) is not None]
    except ValueError:
        return False
    return bool(pieces)


# ----------------------------------------------------------------------------------------------------------
# The search space: candidates and requirements as resolvelib sees them
# ----------------------------------------------------------------------------------------------------------

# Requirement kinds. NEED: the mod must be there, in range. OPTIONAL: if it is there, in range. WANTED: like
# OPTIONAL, but the mod is pulled in when possible (Install(with_optional=True)). ABSENT: it must not be there.
NEED, OPTIONAL, WANTED, ABSENT = "need", "optional", "wanted", "absent"
SOFT_KINDS = (OPTIONAL, WANTED, ABSENT)


@dataclass(frozen=True, eq=False)
class _Candidate:
    """One version of a mod, or the mod left out (``version is None``). Compared by identity."""

    mod: str
    version: str | None
    label: str  # "SAIN 3.2.0"; for the absent candidate just the name
    dependencies: tuple[Dependency, ...] = ()
    incompatibilities: tuple[str, ...] = ()
    for_target_spt: bool | None = None  # None: not known (installed files the catalog does not list)
    is_installed: bool = False
    from_installed_files: bool = False  # the catalog has no such release; its data come from the files
    download_size: int | None = None
    forge_id: int | None = None

    @property
    def absent(self) -> bool:
        return self.version is None


@dataclass(eq=False)
class _Requirement:
    mod: str
    kind: str
    parent: _Candidate | None  # None for a root requirement (a request, or an installed mod staying)
    origin: str  # "dependency" | "incompatible" | "request" | "pin" | "remove" | "keep"
    constraint: str | None = None  # None: any version
    exact: str | None = None  # a pin: exactly this version string
    # One requirement is about one mod, whose candidates differ by version: the version is the cache key.
    _verdicts: dict[str | None, bool] = field(default_factory=dict, repr=False)

    def accepts(self, candidate: _Candidate) -> bool:
        return self.allows(candidate.version)

    def allows(self, version: str | None) -> bool:
        """Whether this version of the mod (None: the mod left out) meets the requirement."""
        verdict = self._verdicts.get(version)
        if verdict is None:
            verdict = self._judge(version)
            self._verdicts[version] = verdict
        return verdict

    def _judge(self, version: str | None) -> bool:
        if version is None:
            return self.kind != NEED
        if self.kind == ABSENT:
            return False
        if self.exact is not None:
            return version == self.exact
        return self.constraint is None or _allows(self.constraint, version)

    @property
    def shown_constraint(self) -> str:
        if self.kind == ABSENT:
            return ""
        if self.exact is not None:
            return self.exact
        return self.constraint if self.constraint is not None else "*"


class _Problem:
    """Everything fixed for one call: installed mods, requests, catalog look-ups and the candidates."""

    def __init__(
        self,
        installed: Sequence[Installed],
        requests: Sequence[Request],
        catalog: Catalog,
        share: _Problem | None = None,  # same catalog: reuse its answers instead of asking again
    ) -> None:
        self.catalog = catalog
        self.requests = tuple(requests)
        self.installed: dict[str, Installed] = {}
        for mod in installed:
            self.installed.setdefault(mod.mod, mod)
        self.notes: list[str] = []  # warnings about the requests themselves
        self.installs: dict[str, list[Install]] = {}
        self.pins: dict[str, list[str]] = {}
        self.removing: set[str] = set()
        self.updating: set[str] = set()
        self.want_optional: set[str] = set()
        self.prerelease_ok: set[str] = set()
        for request in self.requests:
            self._take(request)
        self._releases: dict[str, tuple[Release, ...]] = share._releases if share else {}
        self._names: dict[str, str] = share._names if share else {}
        self._candidates: dict[str, tuple[_Candidate | None, tuple[_Candidate, ...]]] = {}
        self._absent: dict[str, _Candidate] = {}
        self._dependencies: dict[int, tuple[_Requirement, ...]] = {}

    def _take(self, request: Request) -> None:
        if isinstance(request, Install):
            self.installs.setdefault(request.mod, []).append(request)
            if request.with_optional:
                self.want_optional.add(request.mod)
            if _names_prerelease(request.constraint):
                self.prerelease_ok.add(request.mod)
        elif isinstance(request, Update):
            mods = set(self.installed) if request.mods is None else set(request.mods)
            for mod in sorted(mods - set(self.installed)):
                self.notes.append(f"{mod} is not installed, so there is nothing to update")
            self.updating |= mods & set(self.installed)
        elif isinstance(request, Remove):
            self.removing.add(request.mod)
        elif isinstance(request, Pin):
            self.pins.setdefault(request.mod, []).append(request.version)
            parsed = _parsed(request.version)
            if parsed is not None and parsed.is_prerelease:
                self.prerelease_ok.add(request.mod)
        else:
            raise TypeError(f"unknown request {request!r}")

    def finish_notes(self) -> None:
        for mod in sorted(self.removing - set(self.installed)):
            if mod not in self.installs:
                self.notes.append(f"{self.name(mod)} is not installed, so there is nothing to remove")

    # --- catalog look-ups, cached: a catalog may be slow and is asked about the same mods many times ---

    def releases(self, mod: str) -> tuple[Release, ...]:
        if mod not in self._releases:
            self._releases[mod] = tuple(self.catalog.releases(mod))
        return self._releases[mod]

    def name(self, mod: str) -> str:
        if mod not in self._names:
            name = self.catalog.name(mod)
            installed = self.installed.get(mod)
            if (not name or name == mod) and installed is not None and installed.name:
                name = installed.name
            self._names[mod] = name or mod
        return self._names[mod]

    def on_forge(self, mod: str) -> bool:
        return bool(self.releases(mod))

    # --- candidates ---

    def absent(self, mod: str) -> _Candidate:
        if mod not in self._absent:
            self._absent[mod] = _Candidate(mod, None, self.name(mod))
        return self._absent[mod]

    def installed_candidate(self, mod: str) -> _Candidate | None:
        return self._candidate_pool(mod)[0]

    def offered(self, mod: str) -> tuple[_Candidate, ...]:
        """Versions the plan may move this mod to: published for the target SPT, prerelease rules applied."""
        return self._candidate_pool(mod)[1]

    def _candidate_pool(self, mod: str) -> tuple[_Candidate | None, tuple[_Candidate, ...]]:
        if mod not in self._candidates:
            self._candidates[mod] = self._build_candidates(mod)
        return self._candidates[mod]

    def _build_candidates(self, mod: str) -> tuple[_Candidate | None, tuple[_Candidate, ...]]:
        installed = self.installed.get(mod)
        kept: _Candidate | None = None
        offered: list[_Candidate] = []
        seen: set[str] = set()
        installed_version = _parsed(installed.version) if installed else None
        for release in self.releases(mod):
            if release.version in seen:
                continue
            seen.add(release.version)
            if installed is not None and release.version == installed.version:
                kept = self._from_release(release, installed)
            elif self._may_move_to(mod, release, installed_version):
                offered.append(self._from_release(release, None))
        if installed is not None and kept is None:
            kept = _Candidate(
                mod, installed.version, f"{self.name(mod)} {installed.version}", installed.dependencies,
                installed.incompatibilities, None, True, True,
            )
        offered.sort(key=lambda c: _order_key(c.version or ""), reverse=True)
        return kept, tuple(offered)

    def _may_move_to(self, mod: str, release: Release, installed_version: Version | None) -> bool:
        if not release.for_target_spt:
            return False
        parsed = _parsed(release.version)
        if parsed is None:
            return False  # the Forge would not match it against anything either
        if not parsed.is_prerelease or mod in self.prerelease_ok:
            return True
        # The Forge's rule: an installed prerelease may move to a newer prerelease (or to any release).
        return installed_version is not None and installed_version.is_prerelease and parsed > installed_version

    def _from_release(self, release: Release, installed: Installed | None) -> _Candidate:
        incompatibilities = release.incompatibilities
        if installed is not None:
            # The installed files are what runs, so their own refusals count while this version stays.
            incompatibilities = tuple(dict.fromkeys((*incompatibilities, *installed.incompatibilities)))
        return _Candidate(
            release.mod or (installed.mod if installed else ""), release.version,
            f"{self.name(installed.mod if installed else release.mod)} {release.version}",
            release.dependencies, incompatibilities, release.for_target_spt, installed is not None, False,
            release.download_size, release.forge_id,
        )

    def universe(self, mod: str, fixed: bool) -> tuple[_Candidate, ...]:
        """Candidates in preference order (without the absent one)."""
        kept, offered = self._candidate_pool(mod)
        if kept is None:
            return offered
        if fixed or not self.on_forge(mod):
            return (kept,)
        if mod in self.updating:
            # Newest first; on equal precedence (1.0.2+a vs 1.0.2+b) the installed one wins, as on the Forge.
            pool = [kept, *offered]
            return tuple(sorted(pool, key=lambda c: (_precedence(c), c is kept, c.version or ""), reverse=True))
        here = _precedence(kept)
        newer = tuple(c for c in offered if _precedence(c) > here)
        older = tuple(c for c in offered if _precedence(c) <= here)
        return (kept, *newer, *older)

    def dependencies_of(self, candidate: _Candidate) -> tuple[_Requirement, ...]:
        key = id(candidate)
        if key not in self._dependencies:
            self._dependencies[key] = tuple(self._requirements_of(candidate))
        return self._dependencies[key]

    def _requirements_of(self, candidate: _Candidate) -> Iterator[_Requirement]:
        if candidate.absent:
            return
        for dependency in candidate.dependencies:
            if dependency.mod == candidate.mod:
                continue
            if not dependency.optional:
                kind = NEED
            else:
                kind = WANTED if candidate.mod in self.want_optional else OPTIONAL
            yield _Requirement(dependency.mod, kind, candidate, "dependency", dependency.constraint)
        for other in candidate.incompatibilities:
            if other != candidate.mod:
                yield _Requirement(other, ABSENT, candidate, "incompatible")

    def root_requirements(self) -> list[_Requirement]:
        roots: list[_Requirement] = []
        for mod in sorted(self.installed):
            if mod not in self.removing:
                roots.append(_Requirement(mod, NEED, None, "keep"))
        for mod, installs in self.installs.items():
            roots.extend(_Requirement(mod, NEED, None, "request", request.constraint) for request in installs)
        for mod, versions in self.pins.items():
            kind = NEED if mod in self.installed or mod in self.installs else OPTIONAL
            roots.extend(_Requirement(mod, kind, None, "pin", exact=version) for version in versions)
        roots.extend(_Requirement(mod, ABSENT, None, "remove") for mod in sorted(self.removing))
        return roots

    def touched(self) -> set[str]:
        """Installed mods a request names: they may move from the first attempt on."""
        return (set(self.installs) | set(self.pins) | self.removing | self.updating) & set(self.installed)


def _precedence(candidate: _Candidate) -> Any:
    parsed = _parsed(candidate.version or "")
    return parsed.precedence_key if parsed else ()


# ----------------------------------------------------------------------------------------------------------
# resolvelib glue
# ----------------------------------------------------------------------------------------------------------


class _Provider(AbstractProvider[_Requirement, _Candidate, str]):
    def __init__(self, problem: _Problem, movable: frozenset[str]) -> None:
        self.problem = problem
        self.movable = movable
        self._universes: dict[str, tuple[_Candidate, ...]] = {}
        self._discovered: dict[str, int] = {}
        self._soft: dict[str, bool] = {}
        # Evidence for widening and for explanations, gathered as the search goes.
        self.emptied: set[str] = set()  # mods whose candidates ran out at some point
        self.requirements_seen: dict[str, dict[int, _Requirement]] = {}

    def universe(self, mod: str) -> tuple[_Candidate, ...]:
        if mod not in self._universes:
            fixed = mod in self.problem.installed and mod not in self.movable
            self._universes[mod] = self.problem.universe(mod, fixed)
        return self._universes[mod]

    def is_fixed(self, mod: str) -> bool:
        return len(self.universe(mod)) <= 1

    def identify(self, requirement_or_candidate: _Requirement | _Candidate) -> str:
        return requirement_or_candidate.mod

    def narrow_requirement_selection(
        self,
        identifiers: Iterable[str],
        resolutions: Mapping[str, _Candidate],
        candidates: Mapping[str, Iterator[_Candidate]],
        information: Mapping[str, Iterator[RequirementInformation[_Requirement, _Candidate]]],
        backtrack_causes: Sequence[RequirementInformation[_Requirement, _Candidate]],
    ) -> Iterable[str]:
        # Choosing here (one name) spares resolvelib a get_preference call per unpinned mod per round.
        causes = _cause_mods(backtrack_causes)
        return [min(identifiers, key=lambda mod: self._rank(mod, causes))]

    def get_preference(
        self,
        identifier: str,
        resolutions: Mapping[str, _Candidate],
        candidates: Mapping[str, Iterator[_Candidate]],
        information: Mapping[str, Iterator[RequirementInformation[_Requirement, _Candidate]]],
        backtrack_causes: Sequence[RequirementInformation[_Requirement, _Candidate]],
    ) -> Any:
        return self._rank(identifier, _cause_mods(backtrack_causes))

    def _rank(self, mod: str, causes: set[str]) -> tuple[bool, bool, int, int]:
        # 1. mods in the last conflict first (they decide whether backtracking worked);
        # 2. mods wanted only softly last: they may stay out, and someone may still need them;
        # 3. fixed nodes first (no choice to make), then what the request brought in, depth first so that a
        #    chain's pins sit together on resolvelib's stack, then installed mods that may move.
        index = self._discovered.get(mod, 0)
        if self.is_fixed(mod):
            tier, order = 0, index
        elif mod in self.problem.installed and mod not in self.problem.installs:
            tier, order = 2, index
        else:
            tier, order = 1, -index
        return (mod not in causes, self._soft.get(mod, False), tier, order)

    def find_matches(
        self,
        identifier: str,
        requirements: Mapping[str, Iterator[_Requirement]],
        incompatibilities: Mapping[str, Iterator[_Candidate]],
    ) -> Callable[[], Iterator[_Candidate]]:
        # Read both mappings now: resolvelib changes its criteria later, the candidates are produced lazily.
        wanted = list(requirements[identifier])
        banned = {id(candidate) for candidate in incompatibilities[identifier]}
        self._discovered.setdefault(identifier, len(self._discovered) + 1)
        self._soft[identifier] = all(r.kind in SOFT_KINDS for r in wanted)
        seen = self.requirements_seen.setdefault(identifier, {})
        for requirement in wanted:
            seen.setdefault(id(requirement), requirement)
        order = self._ordered(identifier, wanted)
        return functools.partial(self._matches, identifier, order, wanted, banned)

    def _ordered(self, mod: str, wanted: list[_Requirement]) -> tuple[_Candidate, ...]:
        versions = self.universe(mod)
        absent = self.problem.absent(mod)
        if any(r.kind == WANTED for r in wanted):
            return (*versions, absent)  # pull optional dependencies in when they fit
        return (absent, *versions)

    def _matches(
        self, mod: str, order: tuple[_Candidate, ...], wanted: list[_Requirement], banned: set[int]
    ) -> Iterator[_Candidate]:
        found = False
        for candidate in order:
            if id(candidate) not in banned and all(r.accepts(candidate) for r in wanted):
                found = True
                yield candidate
        if not found:
            self.emptied.add(mod)

    def is_satisfied_by(self, requirement: _Requirement, candidate: _Candidate) -> bool:
        return requirement.accepts(candidate)

    def get_dependencies(self, candidate: _Candidate) -> Iterable[_Requirement]:
        return self.problem.dependencies_of(candidate)


def _cause_mods(causes: Iterable[RequirementInformation[_Requirement, _Candidate]]) -> set[str]:
    mods: set[str] = set()
    for requirement, parent in causes:
        mods.add(requirement.mod)
        if parent is not None:
            mods.add(parent.mod)
    return mods


class _Watcher(BaseReporter[_Requirement, _Candidate, str]):
    """Keeps what resolvelib reports about conflicts: the widening and the explanation need it."""

    def __init__(self) -> None:
        self.conflicts: list[list[RequirementInformation[_Requirement, _Candidate]]] = []
        self.rejected: set[str] = set()
        self.last_causes: list[RequirementInformation[_Requirement, _Candidate]] = []

    def rejecting_candidate(self, criterion: Criterion[_Requirement, _Candidate], candidate: _Candidate) -> None:
        self.rejected.add(candidate.mod)
        self.conflicts.append(list(criterion.information))

    def resolving_conflicts(self, causes: Iterable[RequirementInformation[_Requirement, _Candidate]]) -> None:
        self.last_causes = list(causes)


@dataclass
class _Outcome:
    problem: _Problem
    movable: frozenset[str]
    mapping: dict[str, _Candidate] | None  # the chosen candidates (absent ones left out); None: failed
    causes: list[RequirementInformation[_Requirement, _Candidate]] = field(default_factory=list)
    too_deep: bool = False
    provider: _Provider | None = None
    watcher: _Watcher | None = None

    @property
    def solved(self) -> bool:
        return self.mapping is not None


def _attempt(problem: _Problem, movable: frozenset[str], max_rounds: int) -> _Outcome:
    provider = _Provider(problem, movable)
    watcher = _Watcher()
    resolver: Resolver[_Requirement, _Candidate, str] = Resolver(provider, watcher)
    try:
        result = resolver.resolve(problem.root_requirements(), max_rounds=max_rounds)
    except ResolutionImpossible as error:
        return _Outcome(problem, movable, None, list(error.causes), False, provider, watcher)
    except ResolutionTooDeep:
        return _Outcome(problem, movable, None, watcher.last_causes, True, provider, watcher)
    mapping = {mod: candidate for mod, candidate in result.mapping.items() if not candidate.absent}
    return _Outcome(problem, movable, mapping, provider=provider, watcher=watcher)


def _search(problem: _Problem, max_rounds: int) -> _Outcome:
    """Attempts with a growing set of movable installed mods (see the module docstring)."""
    movable = frozenset(problem.touched())
    outcome = _attempt(problem, movable, max_rounds)
    for _ in range(MAX_STAGES):
        if outcome.solved:
            return outcome
        widened = movable | _installed_participants(outcome)
        if widened == movable:
            return outcome
        movable = frozenset(widened)
        outcome = _attempt(problem, movable, max_rounds)
    return outcome


def _installed_participants(outcome: _Outcome) -> set[str]:
    """Installed mods a failed attempt shows to be involved, so that the next attempt may move them.

    Involved are each conflicted mod (one whose candidates ran out, or whose candidate was rejected) and
    every parent whose demand on a conflicted mod matters: it belongs to a minimal set of demands that no
    version meets together, or it is the only demand that rules some version out (so moving that parent
    could open that version up). Other parents stay fixed. On a popular library that keeps the next
    attempt small: one clashing dependant stands for the rest, and if moving it does not help, moving the
    others (which make the same kind of demand) would not either."""
    assert outcome.provider is not None and outcome.watcher is not None
    provider, watcher = outcome.provider, outcome.watcher
    conflicted = set(provider.emptied) | watcher.rejected
    conflicted |= {requirement.mod for info in watcher.conflicts for requirement, _ in info}
    conflicted |= {requirement.mod for requirement, _ in outcome.causes}
    involved = set(conflicted)
    for mod in sorted(conflicted):
        requirements = list(provider.requirements_seen.get(mod, {}).values())
        involved |= _parents_that_matter(outcome.problem, mod, requirements)
    return (involved & set(outcome.problem.installed)) - outcome.movable


def _parents_that_matter(problem: _Problem, mod: str, requirements: list[_Requirement]) -> set[str]:
    groups = _demand_groups(requirements)
    masks = _group_masks(problem, mod, groups)
    full = (1 << (len(problem.universe(mod, False)) + 1)) - 1
    order = sorted(range(len(groups)), key=lambda i: _deletion_rank(problem, groups[i]))
    matter = _minimal_clash(masks, full, order)
    for bit in range(full.bit_length()):
        blockers = [i for i, mask in enumerate(masks) if not mask >> bit & 1]
        if len(blockers) == 1:  # the only demand ruling this version out: moving its parent may open it up
            matter.add(blockers[0])
    parents = (groups[i][0].parent for i in matter)
    return {parent.mod for parent in parents if parent is not None}


def _demand_groups(requirements: Iterable[_Requirement]) -> list[list[_Requirement]]:
    """Requirements on one mod grouped by who makes them. The versions of one parent are alternatives (the
    parent needs only one of them), so a group accepts what any of its members accepts."""
    groups: dict[object, list[_Requirement]] = {}
    for requirement in requirements:
        key: object = requirement.parent.mod if requirement.parent is not None else id(requirement)
        groups.setdefault(key, []).append(requirement)
    return list(groups.values())


def _group_masks(problem: _Problem, mod: str, groups: list[list[_Requirement]]) -> list[int]:
    """Bit i set: the group accepts candidate i of the mod's full universe (the last bit: left out)."""
    versions: list[str | None] = [c.version for c in problem.universe(mod, False)]
    versions.append(None)
    return [sum(1 << i for i, version in enumerate(versions) if any(r.allows(version) for r in group))
            for group in groups]


def _deletion_rank(problem: _Problem, group: list[_Requirement]) -> tuple[int, str]:
    # Dropped first from a minimal clash, so kept last: demands of installed mods nobody asked to touch
    # ("stay installed", their dependencies); kept first: what the request brought in.
    parent = group[0].parent
    if parent is None:
        return (0 if group[0].origin == "keep" else 2, "")
    untouched = parent.mod in problem.installed and parent.mod not in problem.touched()
    return (1 if untouched else 2, parent.mod)


def _minimal_clash(masks: list[int], full: int, order: Sequence[int]) -> set[int]:
    """A minimal set of groups that no candidate satisfies together (deletion-based, in ``order``), or the
    empty set when all of them together still leave a candidate."""
    kept = set(range(len(masks)))
    if functools.reduce(lambda a, b: a & b, masks, full) != 0:
        return set()
    for index in order:
        rest = kept - {index}
        if functools.reduce(lambda a, b: a & b, (masks[i] for i in rest), full) == 0:
            kept = rest
    return kept


# ----------------------------------------------------------------------------------------------------------
# Public entry point
# ----------------------------------------------------------------------------------------------------------


def resolve(
    installed: Sequence[Installed],
    requests: Sequence[Request],
    catalog: Catalog,
    *,
    max_rounds: int = DEFAULT_MAX_ROUNDS,
) -> Plan:
    """One consistent plan for ``requests`` on top of ``installed``, or :class:`Unsatisfiable`.

    ``max_rounds`` bounds each resolvelib attempt (one round pins one mod or backtracks once)."""
    problem = _Problem(installed, requests, catalog)
    problem.finish_notes()
    outcome = _search(problem, max_rounds)
    if outcome.mapping is not None:
        return _build_plan(problem, outcome.mapping)
    explanation = _explain(outcome)
    suggestions = _suggest(problem, outcome, explanation, min(max_rounds, SUGGESTION_ROUNDS))
    raise Unsatisfiable(replace(explanation, suggestions=suggestions))


# ----------------------------------------------------------------------------------------------------------
# Building the plan
# ----------------------------------------------------------------------------------------------------------


def _build_plan(problem: _Problem, chosen: dict[str, _Candidate]) -> Plan:
    parents = _parents_in_plan(chosen)
    steps: dict[str, Step] = {}
    warnings: list[str] = list(problem.notes)
    for mod in sorted(chosen):
        steps[mod] = _step_for(problem, mod, chosen[mod], parents.get(mod, []))
    removals = [_removal(problem, mod) for mod in sorted(problem.installed) if mod not in chosen]
    ordered = [*sorted(removals, key=_name_key), *_dependencies_first(problem, chosen, steps)]
    size = 0
    for step in ordered:
        if step.action in ("install", "upgrade", "downgrade"):
            if step.download_size is None:
                warnings.append(f"the download size of {step.name} {step.to_version} is unknown")
            size += step.download_size or 0
    warnings.extend(_kept_off_target(problem, chosen))
    warnings.extend(_missing_optional(problem, chosen))
    return Plan(tuple(ordered), size, tuple(warnings))


def _name_key(step: Step) -> tuple[str, str]:
    return (step.name.casefold(), step.mod)


def _parents_in_plan(chosen: dict[str, _Candidate]) -> dict[str, list[tuple[_Candidate, Dependency]]]:
    parents: dict[str, list[tuple[_Candidate, Dependency]]] = {}
    for mod in sorted(chosen):
        candidate = chosen[mod]
        for dependency in candidate.dependencies:
            if dependency.mod in chosen and dependency.mod != mod:
                parents.setdefault(dependency.mod, []).append((candidate, dependency))
    return parents


def _step_for(
    problem: _Problem, mod: str, candidate: _Candidate, parents: list[tuple[_Candidate, Dependency]]
) -> Step:
    installed = problem.installed.get(mod)
    name = problem.name(mod)
    if installed is None:
        action, reasons = "install", _install_reasons(problem, mod, parents)
    elif candidate.is_installed:
        return Step("keep", mod, name, installed.version, installed.version, None,
                    _keep_reasons(problem, mod, candidate, parents), candidate.forge_id)
    else:
        newer = _order_key(candidate.version or "") > _order_key(installed.version)
        action = "upgrade" if newer else "downgrade"
        reasons = _move_reasons(problem, mod, installed.version, parents)
    return Step(action, mod, name, installed.version if installed else None, candidate.version,
                candidate.download_size, reasons, candidate.forge_id)


def _removal(problem: _Problem, mod: str) -> Step:
    installed = problem.installed[mod]
    kept = problem.installed_candidate(mod)
    return Step("remove", mod, problem.name(mod), installed.version, None, None, ("requested",),
                kept.forge_id if kept else None)


def _joined_labels(candidates: Iterable[_Candidate]) -> str:
    return ", ".join(sorted({c.label for c in candidates}, key=str.casefold))


def _install_reasons(problem: _Problem, mod: str, parents: list[tuple[_Candidate, Dependency]]) -> tuple[str, ...]:
    reasons: list[str] = []
    if mod in problem.installs:
        reasons.append("requested")
    needed = [parent for parent, dependency in parents if not dependency.optional]
    optional = [parent for parent, dependency in parents if dependency.optional]
    if needed:
        reasons.append(f"needed by {_joined_labels(needed)}")
    if optional:
        reasons.append(f"optional dependency of {_joined_labels(optional)}")
    if mod in problem.pins:
        reasons.append("pinned")
    return tuple(reasons) or ("needed by the rest of the plan",)


def _move_reasons(
    problem: _Problem, mod: str, installed_version: str, parents: list[tuple[_Candidate, Dependency]]
) -> tuple[str, ...]:
    reasons: list[str] = []
    if mod in problem.installs:
        reasons.append("requested")
    if mod in problem.pins:
        reasons.append("pinned")
    if mod in problem.updating:
        reasons.append("update")
    # Only the parents that rule the installed version out are why it moves.
    pushing = [parent for parent, dependency in parents if not _allows(dependency.constraint, installed_version)]
    if pushing:
        reasons.append(f"needed by {_joined_labels(pushing)}")
    return tuple(reasons) or ("moved so that the rest of the plan fits",)


def _keep_reasons(
    problem: _Problem, mod: str, candidate: _Candidate, parents: list[tuple[_Candidate, Dependency]]
) -> tuple[str, ...]:
    if mod in problem.pins:
        return ("pinned",)
    if mod not in problem.updating:
        return ("requested", "kept: already installed") if mod in problem.installs else ("kept: no reason to move",)
    newer = [c for c in problem.offered(mod) if _precedence(c) > _precedence(candidate)]
    if not newer:
        return ("up to date",)
    newest = newer[0]
    holding = [
        f"{parent.label} needs {problem.name(mod)} {dependency.constraint}"
        for parent, dependency in parents
        if not _allows(dependency.constraint, newest.version or "")
    ]
    if holding:
        return (f"held back: {'; '.join(holding)}",)
    return (f"held back: {newest.label} does not fit the rest of the plan",)


def _kept_off_target(problem: _Problem, chosen: dict[str, _Candidate]) -> Iterator[str]:
    for mod in sorted(chosen):
        candidate = chosen[mod]
        if candidate.is_installed and candidate.for_target_spt is False:
            yield f"{candidate.label} is kept but is not published for this SPT version"


def _missing_optional(problem: _Problem, chosen: dict[str, _Candidate]) -> Iterator[str]:
    for mod in sorted(problem.want_optional):
        candidate = chosen.get(mod)
        if candidate is None:
            continue
        for dependency in candidate.dependencies:
            if dependency.optional and dependency.mod not in chosen:
                yield (f"{problem.name(dependency.mod)}, an optional dependency of {candidate.label}, is left out: "
                       "no version of it fits this plan")


def _dependencies_first(problem: _Problem, chosen: dict[str, _Candidate], steps: dict[str, Step]) -> list[Step]:
    """Topological order, dependencies first. Each dependency cycle becomes one group (Tarjan's strongly
    connected components); groups that are ready at the same time go in name order."""
    edges = {mod: sorted({d.mod for d in chosen[mod].dependencies if d.mod in chosen and d.mod != mod})
             for mod in sorted(chosen)}
    groups = _strong_components(edges)
    group_of = {mod: index for index, group in enumerate(groups) for mod in group}
    waiting_on: dict[int, set[int]] = {index: set() for index in range(len(groups))}
    dependants: dict[int, set[int]] = {index: set() for index in range(len(groups))}
    for mod, targets in edges.items():
        for target in targets:
            if group_of[target] != group_of[mod]:
                waiting_on[group_of[mod]].add(group_of[target])
                dependants[group_of[target]].add(group_of[mod])

    def group_key(index: int) -> tuple[str, str]:
        return min(_name_key(steps[mod]) for mod in groups[index])

    ready = [(group_key(i), i) for i, needs in waiting_on.items() if not needs]
    heapq.heapify(ready)
    ordered: list[Step] = []
    while ready:
        _, index = heapq.heappop(ready)
        ordered.extend(sorted((steps[mod] for mod in groups[index]), key=_name_key))
        for dependant in sorted(dependants[index]):
            waiting_on[dependant].discard(index)
            if not waiting_on[dependant]:
                heapq.heappush(ready, (group_key(dependant), dependant))
    return ordered


def _strong_components(edges: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (dependency chains can be long)."""
    index_of: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []
    counter = itertools.count()
    for root in edges:
        if root in index_of:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(edges[root]))]
        index_of[root] = low[root] = next(counter)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index_of:
                    index_of[child] = low[child] = next(counter)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index_of[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index_of[node]:
                group: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                groups.append(group)
    return groups


# ----------------------------------------------------------------------------------------------------------
# Explaining a failure
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Said:
    """One demand, with what is needed to word it."""

    requirement: _Requirement
    demand: Demand
    parent_mod: str | None  # None for a root demand
    parent_version: str | None


def _explain(outcome: _Outcome) -> Explanation:
    problem = outcome.problem
    by_mod: dict[str, list[RequirementInformation[_Requirement, _Candidate]]] = {}
    for info in outcome.causes:
        by_mod.setdefault(info.requirement.mod, []).append(info)
    conflicts: list[Conflict] = []
    sentences: list[str] = []
    for mod in sorted(by_mod, key=lambda m: (problem.name(m).casefold(), m)):
        worded = _word_conflict(outcome, mod, by_mod[mod])
        if worded is not None:
            conflicts.append(worded[0])
            sentences.append(worded[1])
    if not sentences:
        sentences.append("No set of mod versions satisfies every dependency and every request.")
    sentences.extend(_chains(outcome, conflicts))
    if outcome.too_deep:
        sentences.append("(Kappa stopped searching after trying many combinations; this is the conflict it "
                         "kept running into.)")
    return Explanation(tuple(conflicts), " ".join(sentences), ())


def _said(problem: _Problem, info: RequirementInformation[_Requirement, _Candidate]) -> _Said:
    requirement, parent = info
    kind = {"incompatible": "incompatible", "request": "request", "pin": "pin", "remove": "remove",
            "keep": "keep"}.get(requirement.origin, "optional" if requirement.kind in (OPTIONAL, WANTED) else "needs")
    if parent is None:
        if requirement.origin == "keep":
            installed = problem.installed[requirement.mod]
            by = f"installed {problem.name(requirement.mod)} {installed.version}"
        else:
            by = "you"
        return _Said(requirement, Demand(by, requirement.shown_constraint, kind), None, None)
    by = f"installed {parent.label}" if parent.from_installed_files else parent.label
    return _Said(requirement, Demand(by, requirement.shown_constraint, kind), parent.mod, parent.version)


def _word_conflict(
    outcome: _Outcome, mod: str, infos: list[RequirementInformation[_Requirement, _Candidate]]
) -> tuple[Conflict, str] | None:
    problem = outcome.problem
    said = _dedupe_said([_said(problem, info) for info in infos])
    absent = [s for s in said if s.requirement.kind == ABSENT]
    present = [s for s in said if s.requirement.kind != ABSENT]
    name = problem.name(mod)
    if absent and present:
        reason, sentence = _word_absence(problem, mod, absent, present)
    elif absent:
        return None  # "must not be there" alone never conflicts
    else:
        present = _drop_trivial(present)
        reason, sentence = _word_versions(outcome, mod, present)
    shown = tuple(s.demand for s in _sorted_said(problem, [*absent, *present]))
    return Conflict(mod, name, shown, reason), sentence


def _dedupe_said(said: list[_Said]) -> list[_Said]:
    unique: dict[tuple[str, str, str], _Said] = {}
    for item in said:
        unique.setdefault((item.demand.by, item.demand.constraint, item.demand.kind), item)
    return list(unique.values())


def _drop_trivial(present: list[_Said]) -> list[_Said]:
    # "Stay installed" and "install it" (any version) do not narrow anything: they are only worth a word
    # when nothing else is said about the mod.
    narrowing = [s for s in present if s.demand.constraint != "*" or s.demand.kind not in ("keep", "request")]
    return narrowing or present


def _sorted_said(problem: _Problem, said: Iterable[_Said]) -> list[_Said]:
    def key(item: _Said) -> tuple[int, str, Any, str]:
        if item.parent_mod is None:
            return (0 if item.demand.by == "you" else 1, item.demand.by.casefold(), (), item.demand.constraint)
        # Parents by name; several versions of one parent newest first.
        newest_first = tuple(-x for x in _flat_numbers(item.parent_version or ""))
        return (1, problem.name(item.parent_mod).casefold(), newest_first, item.demand.constraint)

    return sorted(said, key=key)


def _flat_numbers(version: str) -> tuple[int, ...]:
    parsed = _parsed(version)
    if parsed is None:
        return ()
    return (parsed.major, parsed.minor, parsed.patch, 0 if parsed.is_prerelease else 1)


def _phrase_group(problem: _Problem, mod: str, group: list[_Said]) -> str:
    """Word the demands of one parent (one or several of its versions) on ``mod``."""
    name = problem.name(mod)
    first = group[0]
    if first.parent_mod is None:
        return _root_phrase(name, first)
    optional = first.demand.kind == "optional"
    tail = " (optional)" if optional else ""
    wanted = _with_constraint(name, first.demand.constraint)
    if len(group) == 1:
        return f"{first.demand.by} {'can use' if optional else 'needs'} {wanted}{tail}"
    if len({s.demand.constraint for s in group}) == 1:
        versions = _and_list([s.parent_version or "" for s in group])
        quantifier = "both" if len(group) == 2 else "all"
        return f"{problem.name(first.parent_mod)} {versions} {quantifier} {'can use' if optional else 'need'} {wanted}{tail}"
    others = ", ".join(f"{s.parent_version}: {s.demand.constraint}" for s in group[1:])
    return f"{first.demand.by} {'can use' if optional else 'needs'} {wanted} ({others}){tail}"


def _and_list(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _root_phrase(name: str, said: _Said) -> str:
    kind, constraint = said.demand.kind, said.demand.constraint
    if kind == "keep":
        return f"{said.demand.by.removeprefix('installed ')} is installed"
    if kind == "pin":
        return f"you pinned {name} at {constraint}"
    if kind == "remove":
        return f"you asked to remove {name}"
    return f"you asked for {_with_constraint(name, constraint)}"


def _with_constraint(name: str, constraint: str) -> str:
    return name if constraint in ("", "*") else f"{name} {constraint}"


def _parent_groups(problem: _Problem, said: list[_Said]) -> list[list[_Said]]:
    """Demands grouped by who makes them: the versions of one parent are alternatives, not allies."""
    groups: dict[tuple[str, str], list[_Said]] = {}
    for item in _sorted_said(problem, said):
        if item.parent_mod is None:
            key = ("", item.demand.by + "/" + item.demand.kind + "/" + item.demand.constraint)
        else:
            key = (item.parent_mod, item.demand.kind)
        groups.setdefault(key, []).append(item)
    return list(groups.values())


def _word_absence(problem: _Problem, mod: str, absent: list[_Said], present: list[_Said]) -> tuple[str, str]:
    """A mod that must not be there (removed, or refused by another mod) but is wanted."""
    name = problem.name(mod)
    present_groups = _parent_groups(problem, present)
    if any(s.demand.kind == "remove" for s in absent):
        parts = [_broken_by_removal(problem, name, group) for group in present_groups]
        return f"{name} is needed by mods that stay", f"Removing {name} would break {', and '.join(parts)}."
    refusing = _and_list(sorted({s.demand.by for s in absent}, key=str.casefold))
    wanting = ", ".join(_phrase_group(problem, mod, group) for group in present_groups)
    return f"{refusing} cannot run beside {name}", f"{refusing} cannot run beside {name}, but {wanting}."


def _broken_by_removal(problem: _Problem, name: str, group: list[_Said]) -> str:
    first = group[0]
    if first.parent_mod is None:
        return _root_phrase(name, first) if first.demand.kind == "keep" else f"your request for {name}"
    labels = _and_list([f"{problem.name(first.parent_mod)} {s.parent_version}" for s in group])
    which = "which need" if len(group) > 1 else "which needs"
    return f"{labels}, {which} {_with_constraint(name, first.demand.constraint)}"


def _word_versions(outcome: _Outcome, mod: str, present: list[_Said]) -> tuple[str, str]:
    problem = outcome.problem
    name = problem.name(mod)
    groups, others = _focus(problem, mod, _parent_groups(problem, present))
    phrases = ", ".join(_phrase_group(problem, mod, group) for group in groups)
    if not problem.on_forge(mod) and mod not in problem.installed:
        return f"{name} is not on the Forge", f"{phrases}, which is not on the Forge."
    reason = _why_no_version(problem, mod, groups)
    sentence = f"{phrases}; {reason}."
    if others:
        sentence += f" {others} more {'mod depends' if others == 1 else 'mods depend'} on {name} as well."
    return reason, sentence


def _focus(problem: _Problem, mod: str, groups: list[list[_Said]]) -> tuple[list[list[_Said]], int]:
    """The demands worth putting into words: a minimal set that no version meets together (when the demands
    alone clash), or all of them up to MAX_SHOWN_GROUPS. Returns them and how many parents were left out."""
    masks = _group_masks(problem, mod, [[s.requirement for s in group] for group in groups])
    full = (1 << (len(problem.universe(mod, False)) + 1)) - 1
    order = sorted(range(len(groups)), key=lambda i: _deletion_rank(problem, [s.requirement for s in groups[i]]))
    clash = _minimal_clash(masks, full, order)
    chosen = sorted(clash) if clash else list(range(min(len(groups), MAX_SHOWN_GROUPS)))
    return [groups[i] for i in chosen], len(groups) - len(chosen)


# How far the demands on a mod get, from worst to best (see _how_far).
_DISJOINT, _UNPUBLISHED, _OTHER_SPT, _PRERELEASE_ONLY, _FITS = range(5)


def _why_no_version(problem: _Problem, mod: str, groups: list[list[_Said]]) -> str:
    """Word why no version meets the demands, from the combination of alternatives that gets furthest:
    do the ranges meet at all, is a release published in the overlap, is one published for this SPT
    version, is it one the rules allow (not a withheld prerelease)?"""
    name = problem.name(mod)
    best, fitting = _DISJOINT, []
    for combination in itertools.islice(itertools.product(*groups), MAX_REASON_COMBINATIONS):
        stage, found = _how_far(problem, mod, [s.requirement for s in combination])
        if stage > best or (stage == best and not fitting):
            best, fitting = stage, found
    alone = len(groups) == 1
    listed = _and_list(fitting[:3]) if fitting else ""
    if best == _DISJOINT:
        if alone:
            return f"no {name} release matches that"
        return f"no {name} version is both" if len(groups) == 2 else f"no {name} version satisfies all of them"
    if best == _UNPUBLISHED:
        if alone:
            return f"no {name} release matches that"
        return f"no published {name} release fits {'both' if len(groups) == 2 else 'all of them'}"
    if best == _OTHER_SPT:
        verb = "is" if len(fitting) == 1 else "are"
        return f"no {name} release that fits is published for this SPT version ({name} {listed} {verb} not)"
    if best == _PRERELEASE_ONLY:
        return f"only prereleases of {name} fit ({listed}), and Kappa picks a prerelease only when you ask for one"
    return f"every {name} version that fits ({listed}) clashes with something else in the plan"


def _how_far(problem: _Problem, mod: str, requirements: list[_Requirement]) -> tuple[int, list[str]]:
    constraints = [r.constraint for r in requirements if r.constraint not in (None, "*") and r.exact is None]
    exacts = {r.exact for r in requirements if r.exact is not None}
    if len(exacts) > 1:
        return _DISJOINT, []
    if exacts:
        if not all(_allows(c, next(iter(exacts))) for c in constraints):
            return _DISJOINT, []
    elif len(constraints) > 1 and not _intervals_meet(constraints):
        return _DISJOINT, []
    releases = [r for r in problem.releases(mod) if all(q.allows(r.version) for q in requirements)]
    releases.sort(key=lambda r: _order_key(r.version), reverse=True)
    if not releases:
        return _UNPUBLISHED, []
    kept = problem.installed_candidate(mod)
    kept_version = kept.version if kept is not None else None
    for_spt = [r for r in releases if r.for_target_spt or r.version == kept_version]
    if not for_spt:
        return _OTHER_SPT, [r.version for r in releases]
    usable = {c.version for c in problem.offered(mod)} | {kept_version}
    allowed = [r.version for r in for_spt if r.version in usable]
    if not allowed:
        return _PRERELEASE_ONLY, [r.version for r in for_spt]
    return _FITS, allowed


def _chains(outcome: _Outcome, conflicts: list[Conflict]) -> list[str]:
    """For demands made by mods the player did not ask for and does not have, say how they got into the
    plan: "Crawler is needed by Brain, which is needed by Bots, which you asked for." """
    problem = outcome.problem
    provider = outcome.provider
    if provider is None:
        return []
    rooted = set(problem.installs) | set(problem.installed)
    lines: list[str] = []
    seen: set[str] = set()
    for conflict in conflicts:
        for requirement_info in outcome.causes:
            requirement, parent = requirement_info
            if requirement.mod != conflict.mod or parent is None or parent.mod in rooted or parent.mod in seen:
                continue
            seen.add(parent.mod)
            path = _path_to_root(provider, parent.mod, rooted)
            if path:
                lines.append(_word_path(problem, path))
    return lines[:2]


def _path_to_root(provider: _Provider, start: str, rooted: set[str]) -> list[str]:
    """Shortest chain of mods, ``start`` first, each needed (in some version tried) by the next, ending at
    a mod the player asked for or has installed."""
    parents_of: dict[str, list[str]] = {}
    for mod, requirements in provider.requirements_seen.items():
        parents_of[mod] = sorted({r.parent.mod for r in requirements.values()
                                  if r.parent is not None and r.kind in (NEED, WANTED)})
    previous: dict[str, str] = {}
    frontier = [start]
    visited = {start}
    while frontier:
        following: list[str] = []
        for mod in frontier:
            if mod in rooted:
                path = [mod]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return list(reversed(path))
            for parent in parents_of.get(mod, []):
                if parent not in visited:
                    visited.add(parent)
                    previous[parent] = mod
                    following.append(parent)
        frontier = following
    return []


def _word_path(problem: _Problem, path: list[str]) -> str:
    names = [problem.name(mod) for mod in path]
    root = path[-1]
    ending = "which you asked for" if root in problem.installs else "which is installed"
    text = f"{names[0]} is needed by {names[1]}"
    for name in names[2:]:
        text += f", which is needed by {name}"
    return f"{text}, {ending}."


# ----------------------------------------------------------------------------------------------------------
# Suggestions: relaxations that really resolve
# ----------------------------------------------------------------------------------------------------------


def _suggest(problem: _Problem, outcome: _Outcome, explanation: Explanation, max_rounds: int) -> tuple[str, ...]:
    involved = _mods_in_explanation(outcome, explanation)
    found: list[str] = []
    trials = 0
    for text, requests in _relaxations(problem, involved):
        if trials >= MAX_SUGGESTION_TRIALS or len(found) >= MAX_SUGGESTIONS:
            break
        trials += 1
        trial = _Problem(list(problem.installed.values()), requests, problem.catalog, share=problem)
        if _search(trial, max_rounds).solved:
            found.append(text)
    return tuple(found)


def _mods_in_explanation(outcome: _Outcome, explanation: Explanation) -> list[str]:
    """Mods the explanation is about, most central first: the conflicted mods, then who demanded them."""
    mods: list[str] = []
    for conflict in explanation.conflicts:
        mods.append(conflict.mod)
    for requirement, parent in outcome.causes:
        mods.append(requirement.mod)
        if parent is not None:
            mods.append(parent.mod)
    return list(dict.fromkeys(mods))


def _relaxations(problem: _Problem, involved: list[str]) -> Iterator[tuple[str, list[Request]]]:
    """Candidate relaxations, cheapest first: keep a mod that was to be updated where it is; drop one
    request (those about mods in the conflict first); remove an installed mod that is in the conflict."""
    requests = list(problem.requests)
    rank = {mod: index for index, mod in enumerate(involved)}
    moving = [mod for mod in involved if mod in problem.updating or (mod in problem.installs and mod in problem.installed)]
    for mod in moving:
        version = problem.installed[mod].version
        yield f"keep {problem.name(mod)} at {version}", _keeping(problem, requests, mod, version)
    droppable = [(index, request) for index, request in enumerate(requests) if not isinstance(request, Update)]
    droppable.sort(key=lambda item: (rank.get(_request_mod(item[1]), len(rank)), item[0]))
    for index, request in droppable:
        yield _drop_text(problem, request), requests[:index] + requests[index + 1:]
    for mod in involved:
        if mod in problem.installed and mod not in problem.removing and mod not in problem.installs:
            yield f"remove {problem.name(mod)}", [*requests, Remove(mod)]


def _keeping(problem: _Problem, requests: list[Request], mod: str, version: str) -> list[Request]:
    kept: list[Request] = []
    for request in requests:
        if isinstance(request, Update):
            mods = set(problem.installed) if request.mods is None else set(request.mods)
            kept.append(Update(frozenset(mods - {mod})))
        elif isinstance(request, Install) and request.mod == mod:
            continue
        else:
            kept.append(request)
    return [*kept, Pin(mod, version)]


def _request_mod(request: Request) -> str:
    return request.mod if isinstance(request, Install | Remove | Pin) else ""


def _drop_text(problem: _Problem, request: Request) -> str:
    if isinstance(request, Install):
        return f"do not install {problem.name(request.mod)}"
    if isinstance(request, Remove):
        return f"do not remove {problem.name(request.mod)}"
    if isinstance(request, Pin):
        return f"do not pin {problem.name(request.mod)} at {request.version}"
    return "do not update"
