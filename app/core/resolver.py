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
* **Pruning first.** resolvelib learns nothing from a conflict; on a catalogue where a popular library has
  moved through several majors, "newest first" for 300 mods backtracks without end. So before it searches,
  a sound arc-consistency pass (:class:`_Pruning`) removes versions no plan can use: a mod that must be
  present narrows each mod all its versions depend on to what at least one of them accepts, and a version
  whose requirement no remaining version meets is dropped, until nothing changes. Most conflicts are
  decided here; the pass keeps what removed what, so an explanation can follow it to the clash.
* **Independent parts.** After pruning, mods affect each other only through requirements that not every
  remaining option meets. The problem splits along those into parts, and resolvelib searches each part
  separately (it rechecks every pinned mod every round, so small searches are much cheaper than one big
  one). ``max_rounds`` bounds each search. A search that runs out counts as failed, explained by the last
  conflict it met: the one limitation, for conflicts the pruning cannot prove among very many mods.
* **Ordering.** Every installed mod may move, but candidates are offered in preference order, so with no
  reason to move it stays: for an installed mod that is not being updated, the installed version first,
  then newer versions (newest first), then older ones; for a mod being updated and for new installs,
  newest first. A prerelease is offered only to a mod whose request names a prerelease
  (constraint or pin), or to an installed prerelease (its stable release and newer prereleases), as on the
  Forge. Versions the plan moves *to* must be published for the target SPT version; the installed version
  may be kept even when it is not (with a warning).

When no plan exists, the :class:`Explanation` starts from ``ResolutionImpossible.causes`` (requirement and
parent), adds what the pruning recorded for the mods involved, groups the demands by mod and words the
smallest set of them that no version meets together. Suggestions are relaxations (keep an updated mod where
it is, drop a request, remove an installed mod in the conflict), each tried with a new search and reported
only if it finds a plan.

Plan steps come in this order: removals first (so a mod another one refuses to run beside leaves before that
one arrives), then every other step with dependencies before dependants; the mods of a dependency cycle are
kept together, and ties are broken by name, so the same input always gives the same plan and the same text.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from resolvelib import AbstractProvider, BaseReporter, ResolutionImpossible, ResolutionTooDeep, Resolver
from resolvelib.resolvers import RequirementInformation

from app.core.versions import (
    Version,
    VersionInterval,
    constraints_intersect,
    parse_constraint,
    parse_version,
    satisfies,
)

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
# Rounds per resolvelib search (one per independent part of the problem). A round pins one mod or backtracks
# once; a plan for 300 mods needs a few hundred. When resolvelib cannot prove a conflict it backtracks
# without learning, so this is also what bounds the time an unprovable conflict costs (about 65 us a round).
DEFAULT_MAX_ROUNDS = 5_000
SUGGESTION_ROUNDS = 600  # per part; a relaxation that needs more than this is not worth proposing
MAX_SUGGESTIONS = 3
MAX_SUGGESTION_TRIALS = 6  # searches spent looking for suggestions
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
    """Keep this mod at exactly this version ("1.2" means 1.2.0; build metadata counts only if given). For a
    mod that is not installed: if anything pulls it in, it must be this version (a pin does not install it)."""

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


def _same_version(pinned: str, version: str) -> bool:
    """Whether a pin names this version: the same text, or the same version read leniently ("1.2" is
    1.2.0), where build metadata counts only if the pin gives some ("1.0.2" pins 1.0.2+a, "1.0.2+b" does not)."""
    if pinned == version:
        return True
    wanted, candidate = _parsed(pinned), _parsed(version)
    if wanted is None or candidate is None or wanted != candidate:
        return False
    return not wanted.build or wanted.build == candidate.build


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


# Slots: a big catalogue makes many of these, and every allocation brings the next garbage collection of a
# heap that holds the whole catalogue closer.
@dataclass(frozen=True, eq=False, slots=True)
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


@dataclass(eq=False, slots=True)
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
            return _same_version(self.exact, version)
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
        self._by_target: dict[int, dict[str, list[_Requirement]]] = {}
        self._verdict_caches: dict[tuple[str, str, str | None, str | None], dict[str | None, bool]] = {}

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

    def universe(self, mod: str) -> tuple[_Candidate, ...]:
        """Candidates in preference order (without the absent one)."""
        kept, offered = self._candidate_pool(mod)
        if kept is None:
            return offered
        if not self.on_forge(mod):
            return (kept,)  # installed files the Forge does not know: a fixed node
        if mod in self.updating:
            # Newest first; on equal precedence (1.0.2+a vs 1.0.2+b) the installed one wins, as on the Forge.
            pool = [kept, *offered]
            return tuple(sorted(pool, key=lambda c: (_precedence(c), c is kept, c.version or ""), reverse=True))
        here = _precedence(kept)
        newer = tuple(c for c in offered if _precedence(c) > here)
        older = tuple(c for c in offered if _precedence(c) <= here)
        return (kept, *newer, *older)

    def requirements_by_target(self, candidate: _Candidate) -> dict[str, list[_Requirement]]:
        key = id(candidate)
        if key not in self._by_target:
            grouped: dict[str, list[_Requirement]] = {}
            for requirement in self.dependencies_of(candidate):
                grouped.setdefault(requirement.mod, []).append(requirement)
            self._by_target[key] = grouped
        return self._by_target[key]

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
            kind = _dependency_kind(dependency, candidate.mod in self.want_optional)
            yield self._requirement(dependency.mod, kind, candidate, "dependency", dependency.constraint)
        for other in candidate.incompatibilities:
            if other != candidate.mod:
                yield self._requirement(other, ABSENT, candidate, "incompatible")

    def _requirement(
        self,
        mod: str,
        kind: str,
        parent: _Candidate | None,
        origin: str,
        constraint: str | None = None,
        exact: str | None = None,
    ) -> _Requirement:
        # Requirements that say the same thing share one verdict cache: hundreds of mods ask for "^4.2.0".
        key = (mod, kind, constraint, exact)
        verdicts = self._verdict_caches.get(key)
        if verdicts is None:
            verdicts = self._verdict_caches[key] = {}
        return _Requirement(mod, kind, parent, origin, constraint, exact, verdicts)

    def root_requirements(self) -> list[_Requirement]:
        roots: list[_Requirement] = []
        for mod in sorted(self.installed):
            if mod not in self.removing:
                roots.append(self._requirement(mod, NEED, None, "keep"))
        for mod, installs in self.installs.items():
            roots.extend(self._requirement(mod, NEED, None, "request", request.constraint) for request in installs)
        for mod, versions in self.pins.items():
            kind = NEED if mod in self.installed or mod in self.installs else OPTIONAL
            roots.extend(self._requirement(mod, kind, None, "pin", exact=version) for version in versions)
        roots.extend(self._requirement(mod, ABSENT, None, "remove") for mod in sorted(self.removing))
        return roots


def _dependency_kind(dependency: Dependency, optional_wanted: bool) -> str:
    if not dependency.optional:
        return NEED
    return WANTED if optional_wanted else OPTIONAL


def _signature(requirements: Sequence[_Requirement]) -> tuple[tuple[str, str | None, str | None], ...]:
    return tuple(sorted((r.kind, r.constraint or "", r.exact or "") for r in requirements))


def _precedence(candidate: _Candidate) -> Any:
    parsed = _parsed(candidate.version or "")
    return parsed.precedence_key if parsed else ()


# ----------------------------------------------------------------------------------------------------------
# Pruning: arc consistency before the search
# ----------------------------------------------------------------------------------------------------------


class _Pruning:
    """Removes candidates that cannot be part of any plan, before resolvelib searches.

    resolvelib learns nothing from a conflict, so on a catalogue where a popular library has moved through
    several majors, "newest first" for 300 mods backtracks without end. Two sound rules, applied until
    nothing changes, leave it little to backtrack over:

    * *support*: a version whose requirement on some mod no remaining version of that mod meets (nor its
      absence, for an optional dependency or an incompatibility) is dropped;
    * *narrowing*: when a mod must be present, each mod that all of its remaining versions have a
      requirement on keeps only the versions (and absence) that at least one of them accepts. Many
      installed dependants of a library narrow it to what all of them can live with.

    Only versions no valid plan can use are removed, so no plan is lost. What removed what is kept: an
    explanation follows it to the demands that actually clash, however deep.
    """

    def __init__(self, problem: _Problem) -> None:
        self.problem = problem
        self.domain: dict[str, list[_Candidate]] = {}
        self.absent_ok: dict[str, bool] = {}
        self.dependants: dict[str, set[str]] = {}
        self.needed_by: dict[str, set[str]] = {}  # mod -> mods with a version that needs it
        self.narrowed_by: dict[str, list[list[_Requirement]]] = {}  # demand groups that removed versions
        self.unsupported: dict[str, dict[str, list[_Requirement]]] = {}  # mod -> target -> unmet requirements
        self.wiped: str | None = None  # a mod that must be present and has no version left
        self.rooted: set[str] = set()  # mods a root requirement needs present
        self.lost_versions_to_demands: set[str] = set()  # mods narrowing took versions from (not just absence)
        self._queue: deque[str] = deque()
        self._queued: set[str] = set()

    def run(self, roots: Sequence[_Requirement]) -> _Pruning:
        by_mod: dict[str, list[_Requirement]] = {}
        for requirement in roots:
            by_mod.setdefault(requirement.mod, []).append(requirement)
        self.rooted = {requirement.mod for requirement in roots if requirement.kind == NEED}
        for mod, requirements in by_mod.items():
            self._scope(mod)
            for requirement in requirements:
                self._narrow(mod, [[requirement]], [requirement])
        while self._queue and self.wiped is None:
            mod = self._queue.popleft()
            self._queued.discard(mod)
            self._process(mod)
        return self

    def _scope(self, mod: str) -> None:
        if mod not in self.domain:
            self.domain[mod] = list(self.problem.universe(mod))
            self.absent_ok[mod] = True
            self._enqueue(mod)

    def _enqueue(self, mod: str) -> None:
        if mod not in self._queued:
            self._queued.add(mod)
            self._queue.append(mod)

    def options(self, mod: str) -> list[str | None]:
        versions: list[str | None] = [c.version for c in self.domain[mod]]
        return [*versions, None] if self.absent_ok[mod] else versions

    def _process(self, mod: str) -> None:
        for candidate in self.domain[mod]:
            for target, requirements in self.problem.requirements_by_target(candidate).items():
                self._scope(target)
                self.dependants.setdefault(target, set()).add(mod)
                if any(r.kind in (NEED, WANTED) for r in requirements):
                    self.needed_by.setdefault(target, set()).add(mod)
        for target in sorted({t for c in self.domain[mod] for t in self.problem.requirements_by_target(c)}):
            self._support(mod, target)
        if not self.absent_ok[mod] and self.domain[mod]:
            self._narrow_targets(mod)
        for dependant in sorted(self.dependants.get(mod, ())):
            self._support(dependant, mod)

    def _support(self, mod: str, target: str) -> None:
        """Drop versions of ``mod`` whose requirements on ``target`` no option of the target meets."""
        options = self.options(target)
        kept: list[_Candidate] = []
        for candidate in self.domain[mod]:
            requirements = self.problem.requirements_by_target(candidate).get(target)
            if requirements and not any(all(r.allows(x) for r in requirements) for x in options):
                self.unsupported.setdefault(mod, {}).setdefault(target, []).extend(requirements)
            else:
                kept.append(candidate)
        if len(kept) != len(self.domain[mod]):
            self.domain[mod] = kept
            self._changed(mod)

    def _narrow_targets(self, mod: str) -> None:
        """``mod`` must be present: each target all its versions have requirements on keeps only what at
        least one of them accepts."""
        per_version = [self.problem.requirements_by_target(c) for c in self.domain[mod]]
        common = set(per_version[0]).intersection(*per_version[1:])
        for target in sorted(common):
            # Versions usually repeat their demands: judge each distinct set of demands once.
            groups = {_signature(requirements[target]): requirements[target] for requirements in per_version}
            self._narrow(target, list(groups.values()), [r for rs in per_version for r in rs[target]])

    def _narrow(self, mod: str, groups: list[list[_Requirement]], reported: list[_Requirement]) -> None:
        """Keep the options of ``mod`` that some group accepts entirely (a group: one version's requirements).
        ``reported`` is what an explanation should show as the demand (every version's requirements)."""
        def accepted(version: str | None) -> bool:
            return any(all(r.allows(version) for r in group) for group in groups)

        kept = [c for c in self.domain[mod] if accepted(c.version)]
        absent_ok = self.absent_ok[mod] and accepted(None)
        if len(kept) == len(self.domain[mod]) and absent_ok == self.absent_ok[mod]:
            return
        self.narrowed_by.setdefault(mod, []).append(reported)
        if len(kept) != len(self.domain[mod]):
            self.lost_versions_to_demands.add(mod)
        self.domain[mod] = kept
        self.absent_ok[mod] = absent_ok
        self._changed(mod)

    def _changed(self, mod: str) -> None:
        if not self.domain[mod] and not self.absent_ok[mod]:
            self.wiped = mod
        self._enqueue(mod)


# ----------------------------------------------------------------------------------------------------------
# resolvelib glue
# ----------------------------------------------------------------------------------------------------------


class _Provider(AbstractProvider[_Requirement, _Candidate, str]):
    def __init__(self, problem: _Problem, pruning: _Pruning) -> None:
        self.problem = problem
        self.pruning = pruning
        self._universes: dict[str, tuple[_Candidate, ...]] = {}
        self._discovered: dict[str, int] = {}
        self._placing: dict[str, tuple[int, int]] = {}
        self._soft: dict[str, bool] = {}
        self._dependencies: dict[int, list[_Requirement]] = {}
        self.pulled_by: dict[str, set[str]] = {}  # mod -> mods with a version tried that needs it (explanations)

    def universe(self, mod: str) -> tuple[_Candidate, ...]:
        if mod not in self._universes:
            # Every mod resolvelib can meet was reached by the pruning (it follows every remaining version).
            self._universes[mod] = tuple(self.pruning.domain.get(mod, ()))
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
        causes = _cause_mods(backtrack_causes) if backtrack_causes else set()
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
        placing = self._placing.get(mod)
        if placing is None:
            index = self._discovered.get(mod, 0)
            if self.is_fixed(mod):
                placing = (0, index)
            elif mod in self.problem.installed and mod not in self.problem.installs:
                placing = (2, index)
            else:
                placing = (1, -index)
            self._placing[mod] = placing
        return (mod not in causes, self._soft.get(mod, False), *placing)

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
        order = self._ordered(identifier, wanted)
        return functools.partial(_matches, order, wanted, banned)

    def _ordered(self, mod: str, wanted: list[_Requirement]) -> tuple[_Candidate, ...]:
        versions = self.universe(mod)
        if not self.pruning.absent_ok.get(mod, True):
            return versions
        absent = self.problem.absent(mod)
        if any(r.kind == WANTED for r in wanted):
            return (*versions, absent)  # pull optional dependencies in when they fit
        return (absent, *versions)

    def is_satisfied_by(self, requirement: _Requirement, candidate: _Candidate) -> bool:
        # resolvelib asks this for every requirement of every pinned mod in every round: keep it one lookup.
        verdict = requirement._verdicts.get(candidate.version)
        return requirement.allows(candidate.version) if verdict is None else verdict

    def get_dependencies(self, candidate: _Candidate) -> Iterable[_Requirement]:
        found = self._dependencies.get(id(candidate))
        if found is None:
            found = []
            for requirement in self.problem.dependencies_of(candidate):
                if requirement.kind in (NEED, WANTED):
                    self.pulled_by.setdefault(requirement.mod, set()).add(candidate.mod)
                if not self._always_met(requirement):
                    found.append(requirement)
            self._dependencies[id(candidate)] = found
        return found

    def _always_met(self, requirement: _Requirement) -> bool:
        """Whether every option the pruning left for the mod meets the requirement. Such a requirement can
        never cause a conflict; leaving it out spares resolvelib rechecking it every round."""
        if requirement.kind == WANTED or requirement.mod not in self.pruning.domain:
            return False  # a wanted optional dependency also steers the order (see _ordered)
        if requirement.kind == NEED and requirement.mod not in self.pruning.rooted:
            return False  # it is what brings the mod in at all
        return all(requirement.allows(option) for option in self.pruning.options(requirement.mod))


def _matches(order: tuple[_Candidate, ...], wanted: list[_Requirement], banned: set[int]) -> Iterator[_Candidate]:
    """Candidates in preference order, produced only as far as resolvelib reads: usually the first fits."""
    for candidate in order:
        if id(candidate) not in banned and all(r.accepts(candidate) for r in wanted):
            yield candidate


def _cause_mods(causes: Iterable[RequirementInformation[_Requirement, _Candidate]]) -> set[str]:
    mods: set[str] = set()
    for requirement, parent in causes:
        mods.add(requirement.mod)
        if parent is not None:
            mods.add(parent.mod)
    return mods


class _Watcher(BaseReporter[_Requirement, _Candidate, str]):
    """Keeps the last conflict resolvelib reported: when a search runs out of rounds, that is what it was
    stuck on, and what the explanation is built from."""

    def __init__(self) -> None:
        self.last_causes: list[RequirementInformation[_Requirement, _Candidate]] = []

    def resolving_conflicts(self, causes: Iterable[RequirementInformation[_Requirement, _Candidate]]) -> None:
        self.last_causes = list(causes)


@dataclass
class _Outcome:
    problem: _Problem
    mapping: dict[str, _Candidate] | None  # the chosen candidates (absent ones left out); None: failed
    causes: list[RequirementInformation[_Requirement, _Candidate]] = field(default_factory=list)
    too_deep: bool = False  # a search ran out of rounds
    provider: _Provider | None = None
    pruning: _Pruning | None = None

    @property
    def solved(self) -> bool:
        return self.mapping is not None


def _attempt(problem: _Problem, max_rounds: int) -> _Outcome:
    """Prune, split into independent parts, and let resolvelib search each part."""
    roots = problem.root_requirements()
    pruning = _Pruning(problem).run(roots)
    provider = _Provider(problem, pruning)
    mapping: dict[str, _Candidate] = {}
    for part in _independent_parts(provider, roots):
        watcher = _Watcher()
        resolver: Resolver[_Requirement, _Candidate, str] = Resolver(provider, watcher)
        try:
            result = resolver.resolve(part, max_rounds=max_rounds)
        except ResolutionImpossible as error:
            return _Outcome(problem, None, list(error.causes), False, provider, pruning)
        except ResolutionTooDeep:
            return _Outcome(problem, None, watcher.last_causes, True, provider, pruning)
        mapping.update((mod, candidate) for mod, candidate in result.mapping.items() if not candidate.absent)
    return _Outcome(problem, mapping, provider=provider, pruning=pruning)


def _independent_parts(provider: _Provider, roots: list[_Requirement]) -> list[list[_Requirement]]:
    """The root requirements split by the parts of the problem that cannot affect each other.

    Two mods affect each other only through a requirement some remaining version has that not every
    remaining option of the other mod meets (the others were left out of get_dependencies). resolvelib
    rechecks every pinned mod in every round, so several small searches cost far less than one big one:
    on a 300-mod "update all" the biggest part is a few dozen mods."""
    leader: dict[str, str] = {}

    def find(mod: str) -> str:
        leader.setdefault(mod, mod)
        while leader[mod] != mod:
            leader[mod] = leader[leader[mod]]
            mod = leader[mod]
        return mod

    for mod in provider.pruning.domain:
        for candidate in provider.universe(mod):
            for requirement in provider.get_dependencies(candidate):
                leader[find(mod)] = find(requirement.mod)
    parts: dict[str, list[_Requirement]] = {}
    for requirement in roots:
        parts.setdefault(find(requirement.mod), []).append(requirement)
    return list(parts.values())


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

    ``max_rounds`` bounds each resolvelib search (there is one per independent part of the problem; a
    round pins one mod or backtracks once). A search that runs out is reported as Unsatisfiable, with the
    conflict it kept meeting and a note that the search stopped."""
    problem = _Problem(installed, requests, catalog)
    problem.finish_notes()
    outcome = _attempt(problem, max_rounds)
    if outcome.mapping is not None:
        return _build_plan(problem, outcome.mapping)
    explanation, involved = _explain(outcome)
    # After a search that ran out of rounds, relaxed searches over the same part tend to run out as well.
    trials = MAX_SUGGESTION_TRIALS // 2 if outcome.too_deep else MAX_SUGGESTION_TRIALS
    suggestions = _suggest(problem, involved, min(max_rounds, SUGGESTION_ROUNDS), trials)
    raise Unsatisfiable(replace(explanation, suggestions=suggestions))


# ----------------------------------------------------------------------------------------------------------
# Building the plan
# ----------------------------------------------------------------------------------------------------------


def _build_plan(problem: _Problem, chosen: dict[str, _Candidate]) -> Plan:
    parents = _parents_in_plan(chosen)
    steps: dict[str, Step] = {}
    warnings: list[str] = list(problem.notes)
    for mod in sorted(chosen):
        steps[mod] = _step_for(problem, mod, chosen[mod], parents.get(mod, []), chosen)
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
    problem: _Problem,
    mod: str,
    candidate: _Candidate,
    parents: list[tuple[_Candidate, Dependency]],
    chosen: dict[str, _Candidate],
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
        reasons = _move_reasons(problem, mod, installed.version, parents, chosen)
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
    problem: _Problem,
    mod: str,
    installed_version: str,
    parents: list[tuple[_Candidate, Dependency]],
    chosen: dict[str, _Candidate],
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
    kept = problem.installed_candidate(mod)
    refused = [chosen[other] for other in (kept.incompatibilities if kept else ()) if other in chosen]
    if refused:
        reasons.append(f"cannot run beside {_joined_labels(refused)}")
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


def _explain(outcome: _Outcome) -> tuple[Explanation, list[str]]:
    """The explanation (without suggestions), and the mods it is about."""
    problem = outcome.problem
    demands = _trace_demands(outcome)
    worded = [w for mod in sorted(demands, key=lambda m: (problem.name(m).casefold(), m))
              if (w := _word_conflict(outcome, mod, list(demands[mod].values()))) is not None]
    # A conflict whose demands could all be met on their own ("every version that fits clashes with
    # something else") is only a symptom when another conflict says what clashes.
    chosen = [w for w in worded if not w.vague] or worded
    sentences = [w.sentence for w in chosen]
    if not sentences and outcome.too_deep:
        sentences.append("Kappa stopped before finding a plan: the search went on too long without meeting a "
                         "conflict it could name. Try fewer changes at once.")
    elif not sentences:
        sentences.append("No set of mod versions satisfies every dependency and every request.")
    sentences.extend(_no_way_out(outcome, [parent for w in chosen for parent in w.parents]))
    sentences.extend(_chains(outcome, [parent for w in chosen for parent in w.parents]))
    if outcome.too_deep and chosen:
        sentences.append("(Kappa stopped searching after trying many combinations; this is the conflict it "
                         "kept running into.)")
    # What the suggestions try to relax, most central first: who makes the clashing demands, then the
    # mods clashed over, then the rest of what resolvelib reported.
    involved = [parent for w in chosen for parent in w.parents] + [w.conflict.mod for w in chosen]
    involved += [m for requirement, parent in outcome.causes for m in (requirement.mod, parent and parent.mod) if m]
    return Explanation(tuple(w.conflict for w in chosen), " ".join(sentences), ()), list(dict.fromkeys(involved))


@dataclass(frozen=True)
class _Worded:
    conflict: Conflict
    sentence: str
    parents: tuple[str, ...]  # mods whose demands the sentence names
    vague: bool = False


MAX_TRACED = 50  # mods followed through the pruning's record when explaining


def _trace_demands(outcome: _Outcome) -> dict[str, dict[int, _Requirement]]:
    """The demands to explain, per mod: resolvelib's causes, and where the pruning emptied a mod, what
    emptied it. A mod whose every version was dropped because some dependency could not be met is followed
    to that dependency, however deep, so the explanation names the mods whose demands actually clash."""
    pruning = outcome.pruning
    found: dict[str, dict[int, _Requirement]] = {}

    def add(mod: str, requirements: Iterable[_Requirement]) -> None:
        found.setdefault(mod, {}).update((id(r), r) for r in requirements)

    for requirement, _ in outcome.causes:
        add(requirement.mod, [requirement])
    if pruning is None:
        return found
    frontier = sorted(found) or ([pruning.wiped] if pruning.wiped else [])
    visited: set[str] = set()
    while frontier and len(visited) < MAX_TRACED:
        mod = frontier.pop(0)
        if mod in visited:
            continue
        visited.add(mod)
        add(mod, [r for group in pruning.narrowed_by.get(mod, []) for r in group])
        if pruning.domain.get(mod):
            continue  # versions are left: the search, not the pruning, ran into the conflict
        links = pruning.unsupported.get(mod, {})
        for target, requirements in sorted(links.items()):
            add(target, requirements)
            frontier.append(target)
        if links and mod not in pruning.lost_versions_to_demands:
            found.pop(mod, None)  # emptied only by what it needs: that is the story, not the mod itself
    return found


def _said(problem: _Problem, requirement: _Requirement) -> _Said:
    parent = requirement.parent
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


def _word_conflict(outcome: _Outcome, mod: str, requirements: list[_Requirement]) -> _Worded | None:
    problem = outcome.problem
    said = _dedupe_said([_said(problem, r) for r in requirements])
    absent = [s for s in said if s.requirement.kind == ABSENT]
    present = [s for s in said if s.requirement.kind != ABSENT]
    name = problem.name(mod)
    if absent and present:
        reason, sentence, shown = _word_absence(problem, mod, absent, present)
    elif absent:
        return None  # "must not be there" alone never conflicts
    else:
        present = _drop_trivial(present)
        reason, sentence, shown = _word_versions(outcome, mod, present)
    demands = tuple(s.demand for s in [*_sorted_said(problem, absent), *_sorted_said(problem, present)])
    parents = tuple(dict.fromkeys(s.parent_mod for s in shown if s.parent_mod is not None))
    vague = reason.startswith("every ")
    return _Worded(Conflict(mod, name, demands, reason), sentence, parents, vague)


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
        listed = [s.parent_version or "" for s in group]
        if len(listed) > 3:
            listed = [*listed[:2], f"{len(listed) - 2} other versions"]
        versions = _and_list(listed)
        quantifier = "both" if len(group) == 2 else "all"
        verb = "can use" if optional else "need"
        return f"{problem.name(first.parent_mod)} {versions} {quantifier} {verb} {wanted}{tail}"
    others = list(dict.fromkeys(s.demand.constraint for s in group[1:]))
    summary = _or_list([*others[:3], "others"] if len(others) > 3 else others)
    return f"{first.demand.by} {'can use' if optional else 'needs'} {wanted} (its other versions: {summary}){tail}"


def _and_list(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _or_list(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


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


def _word_absence(
    problem: _Problem, mod: str, absent: list[_Said], present: list[_Said]
) -> tuple[str, str, list[_Said]]:
    """A mod that must not be there (removed, or refused by another mod) but is wanted."""
    name = problem.name(mod)
    present_groups = _parent_groups(problem, present)
    shown = [*absent, *present]
    if any(s.demand.kind == "remove" for s in absent):
        parts = [_broken_by_removal(problem, name, group) for group in present_groups]
        return (f"{name} is needed by mods that stay", f"Removing {name} would break {', and '.join(parts)}.",
                shown)
    refusing = _and_list(sorted({s.demand.by for s in absent}, key=str.casefold))
    wanting = ", ".join(_phrase_group(problem, mod, group) for group in present_groups)
    return (f"{refusing} cannot run beside {name}", f"{refusing} cannot run beside {name}, but {wanting}.",
            shown)


def _broken_by_removal(problem: _Problem, name: str, group: list[_Said]) -> str:
    first = group[0]
    if first.parent_mod is None:
        return _root_phrase(name, first) if first.demand.kind == "keep" else f"your request for {name}"
    labels = _and_list([f"{problem.name(first.parent_mod)} {s.parent_version}" for s in group])
    which = "which need" if len(group) > 1 else "which needs"
    return f"{labels}, {which} {_with_constraint(name, first.demand.constraint)}"


def _word_versions(outcome: _Outcome, mod: str, present: list[_Said]) -> tuple[str, str, list[_Said]]:
    problem = outcome.problem
    name = problem.name(mod)
    groups = _focus(outcome, mod, _parent_groups(problem, present))
    shown = [s for group in groups for s in group]
    # Everyone else with a version that needs the mod: context, not part of the clash.
    others = len(_needed_by(outcome, mod) - {s.parent_mod for s in shown})
    phrases = ", ".join(_phrase_group(problem, mod, group) for group in groups)
    if not problem.on_forge(mod) and mod not in problem.installed:
        return f"{name} is not on the Forge", f"{phrases}, which is not on the Forge.", shown
    reason = _why_no_version(problem, mod, groups)
    sentence = f"{phrases}; {reason}."
    if others:
        sentence += f" {others} more {'mod depends' if others == 1 else 'mods depend'} on {name} as well."
    return reason, sentence, shown


def _needed_by(outcome: _Outcome, mod: str) -> set[str]:
    found = set(outcome.provider.pulled_by.get(mod, ())) if outcome.provider else set()
    if outcome.pruning is not None:
        found |= outcome.pruning.needed_by.get(mod, set())
    return found


def _focus(outcome: _Outcome, mod: str, groups: list[list[_Said]]) -> list[list[_Said]]:
    """The demands worth putting into words: a minimal set that no version meets together (when the demands
    alone clash), or all of them up to MAX_SHOWN_GROUPS."""
    problem = outcome.problem
    masks = _group_masks(problem, mod, [[s.requirement for s in group] for group in groups])
    full = (1 << (len(problem.universe(mod)) + 1)) - 1
    order = sorted(range(len(groups)), key=lambda i: _deletion_rank(outcome, [s.requirement for s in groups[i]]))
    clash = _minimal_clash(masks, full, order)
    chosen = sorted(clash) if clash else list(range(min(len(groups), MAX_SHOWN_GROUPS)))
    return [groups[i] for i in chosen]


def _group_masks(problem: _Problem, mod: str, groups: list[list[_Requirement]]) -> list[int]:
    """Bit i set: the group accepts candidate i of the mod's full universe (the last bit: left out)."""
    versions: list[str | None] = [c.version for c in problem.universe(mod)]
    versions.append(None)
    return [sum(1 << i for i, version in enumerate(versions) if any(r.allows(version) for r in group))
            for group in groups]


def _deletion_rank(outcome: _Outcome, group: list[_Requirement]) -> tuple[int, int, str]:
    # The order in which demands are tried for dropping from a minimal clash: first "stay installed", then
    # demands of installed mods nobody asked about, last what the request brought in. So the clash that is
    # put into words keeps the player's own request in view whenever it takes part. Among equals, a parent
    # that lost versions to the pruning goes first: it had other versions, one that has none is the more
    # fundamental obstacle.
    problem = outcome.problem
    parent = group[0].parent
    if parent is None:
        return (0 if group[0].origin == "keep" else 2, 0, "")
    asked = set(problem.installs) | set(problem.pins) | problem.removing | problem.updating
    tier = 1 if parent.mod in problem.installed and parent.mod not in asked else 2
    lost = outcome.pruning is not None and parent.mod in outcome.pruning.unsupported
    return (tier, 0 if lost else 1, parent.mod)


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


def _no_way_out(outcome: _Outcome, parents: list[str]) -> list[str]:
    """For a mod named in a clash that has a newer version the pruning ruled out, say why moving to it
    does not help: "Mod B 2.0.0 is no way out: it needs Lib 2 ^3.0.0, which cannot be met here." """
    pruning = outcome.pruning
    if pruning is None:
        return []
    lines: list[str] = []
    for parent in dict.fromkeys(parents):
        kept = [_precedence(c) for c in pruning.domain.get(parent, [])]
        if not kept:
            continue  # every version of it is gone: its own demand is the story
        unmet = [r for requirements in pruning.unsupported.get(parent, {}).values() for r in requirements
                 if r.parent is not None and _precedence(r.parent) > max(kept)]
        if not unmet:
            continue
        newest = max((r.parent for r in unmet if r.parent is not None), key=_precedence)
        reasons = [r for r in unmet if r.parent is newest and r.kind != ABSENT]
        if reasons:
            wanted = _and_list([_with_constraint(outcome.problem.name(r.mod), r.shown_constraint) for r in reasons])
            lines.append(f"{newest.label} is no way out: it needs {wanted}, which cannot be met here.")
    return lines[:2]


def _chains(outcome: _Outcome, parents: list[str]) -> list[str]:
    """For demands made by mods the player neither asked for nor has, say how they got into the plan:
    "Crawler is needed by Brain, which is needed by Bots, which you asked for." """
    problem = outcome.problem
    rooted = set(problem.installs) | set(problem.installed)
    needed_by: dict[str, set[str]] = {}
    for source in (outcome.provider.pulled_by if outcome.provider else {},
                   outcome.pruning.needed_by if outcome.pruning else {}):
        for mod, dependants in source.items():
            needed_by.setdefault(mod, set()).update(dependants)
    lines: list[str] = []
    for parent in dict.fromkeys(parents):
        if parent not in rooted and (path := _path_to_root(needed_by, parent, rooted)):
            lines.append(_word_path(problem, path))
    return lines[:2]


def _path_to_root(needed_by: Mapping[str, set[str]], start: str, rooted: set[str]) -> list[str]:
    """Shortest chain of mods, ``start`` first, each needed (in some version) by the next, ending at a mod
    the player asked for or has installed."""
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
            for parent in sorted(needed_by.get(mod, ())):
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


def _suggest(problem: _Problem, involved: list[str], max_rounds: int, trials: int) -> tuple[str, ...]:
    """Relaxations that really resolve, each checked by a new search; at most MAX_SUGGESTIONS of them,
    cheapest first, within ``trials`` searches."""
    found: list[str] = []
    relaxations = itertools.islice(_relaxations(problem, involved), trials)
    for text, requests in relaxations:
        trial = _Problem(list(problem.installed.values()), requests, problem.catalog, share=problem)
        if _attempt(trial, max_rounds).solved:
            found.append(text)
            if len(found) == MAX_SUGGESTIONS:
                break
    return tuple(found)


def _relaxations(problem: _Problem, involved: list[str]) -> Iterator[tuple[str, list[Request]]]:
    """Candidate relaxations, cheapest first: keep a mod that was to be updated where it is; drop one
    request (those about mods in the conflict first); remove an installed mod that is in the conflict."""
    requests = list(problem.requests)
    rank = {mod: index for index, mod in enumerate(involved)}
    moving = [mod for mod in involved
              if mod in problem.installed and (mod in problem.updating or mod in problem.installs)]
    for mod in moving:
        version = problem.installed[mod].version
        yield f"keep {problem.name(mod)} at {version}", _keeping(problem, requests, mod, version)
    droppable = [(index, request) for index, request in enumerate(requests) if not isinstance(request, Update)]
    droppable.sort(key=lambda item: (rank.get(_request_mod(item[1]), len(rank)), item[0]))
    # Requests about mods the conflict names first; the others only after the removals, so that with many
    # requests the trials are not all spent on ones that cannot matter.
    relevant = [(index, request) for index, request in droppable if _request_mod(request) in rank]
    for index, request in relevant:
        yield _drop_text(problem, request), requests[:index] + requests[index + 1:]
    for mod in involved:
        if mod in problem.installed and mod not in problem.removing and mod not in problem.installs:
            yield f"remove {problem.name(mod)}", [*requests, Remove(mod)]
    for index, request in droppable:
        if (index, request) not in relevant:
            yield _drop_text(problem, request), requests[:index] + requests[index + 1:]


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
