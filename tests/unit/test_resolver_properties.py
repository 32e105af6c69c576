"""Property tests for app.core.resolver against a brute-force oracle.

The oracle below restates the rules independently of the resolver: it tries every combination of "left
out" or an allowed version for every mod and keeps those that meet every rule. Two properties follow:

1. every plan ``resolve`` returns is one the oracle accepts (every constraint of every chosen release is
   met, every version moved to is published for the target SPT version, prerelease rules hold, requests
   and incompatibilities are honoured), and its steps come dependencies first;
2. ``resolve`` raises Unsatisfiable exactly when the oracle finds no valid combination, in both directions.

The one resolvelib limitation that could break (2) is its round limit: it learns nothing from a conflict,
so a conflict the resolver's pruning cannot prove is searched exhaustively, and a search that runs out of
``max_rounds`` is reported as Unsatisfiable. Problems of this size never come near the limit (a
test in test_resolver.py covers the limit itself). Tens of thousands of examples were run while developing
without a counterexample; the suite keeps a few hundred so that it stays fast.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.resolver import (
    Dependency,
    Install,
    Installed,
    Pin,
    Plan,
    Release,
    Remove,
    Request,
    Unsatisfiable,
    Update,
    resolve,
)
from app.core.versions import parse_version, satisfies

# No example database: the suite must not leave files behind, and a few hundred examples run in seconds.
FAST = settings(max_examples=250, deadline=None, database=None)

MODS = ("a", "b", "c", "d")
GHOST = "z"  # depended on, never published, sometimes installed
VERSIONS = ("1.0.0", "1.1.0", "1.1.0+b", "2.0.0-beta.1", "2.0.0", "2.1.0")
CONSTRAINTS = ("*", "^1.0.0", "~1.1.0", ">=1.1.0", "<2.0.0", "^2.0.0", "1.0.0", ">=2.0.0-beta.1", "^2.0.0-beta.1")


@dataclass
class MemoryCatalog:
    published: dict[str, list[Release]] = field(default_factory=dict)

    def releases(self, mod: str) -> Sequence[Release]:
        return tuple(self.published.get(mod, ()))

    def name(self, mod: str) -> str:
        return mod.upper()


# --------------------------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------------------------

dependencies = st.builds(
    Dependency,
    st.sampled_from((*MODS, GHOST)),
    st.sampled_from(CONSTRAINTS),
    st.sampled_from((False, False, False, True)),
)


@st.composite
def catalogs(draw: st.DrawFn) -> MemoryCatalog:
    catalog = MemoryCatalog()
    for mod in MODS:
        versions = draw(st.lists(st.sampled_from(VERSIONS), max_size=3, unique=True))
        for version in versions:
            deps = draw(st.lists(dependencies, max_size=2))
            incompatibilities = draw(st.lists(st.sampled_from((*MODS, GHOST)), max_size=1))
            for_spt = draw(st.sampled_from((True, True, True, False)))
            release = Release(mod, version, for_spt, tuple(deps), tuple(incompatibilities), 10)
            catalog.published.setdefault(mod, []).append(release)
    return catalog


@st.composite
def installs(draw: st.DrawFn, catalog: MemoryCatalog) -> list[Installed]:
    installed: list[Installed] = []
    for mod in (*MODS, GHOST):
        if not draw(st.booleans()):
            continue
        published = [r.version for r in catalog.published.get(mod, [])]
        version = draw(st.sampled_from(published or ["1.0.0"]) if published and draw(st.booleans())
                       else st.sampled_from(VERSIONS))
        deps = draw(st.lists(dependencies, max_size=1))
        incompatibilities = draw(st.lists(st.sampled_from((*MODS, GHOST)), max_size=1))
        installed.append(Installed(mod, version, mod.upper(), tuple(deps), tuple(incompatibilities)))
    return installed


requests = st.one_of(
    st.builds(Install, st.sampled_from((*MODS, GHOST)), st.none() | st.sampled_from(CONSTRAINTS), st.booleans()),
    st.builds(Update, st.none() | st.frozensets(st.sampled_from(MODS), max_size=2)),
    st.builds(Remove, st.sampled_from(MODS)),
    st.builds(Pin, st.sampled_from(MODS), st.sampled_from(VERSIONS)),
)


@st.composite
def problems(draw: st.DrawFn) -> tuple[list[Installed], list[Request], MemoryCatalog]:
    catalog = draw(catalogs())
    installed = draw(installs(catalog))
    asked = draw(st.lists(requests, max_size=2))
    return installed, asked, catalog


# --------------------------------------------------------------------------------------------------------
# The oracle
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    version: str
    dependencies: tuple[Dependency, ...]
    incompatibilities: tuple[str, ...]


def names_prerelease(constraint: str | None) -> bool:
    return constraint is not None and any(f"{v}-" in constraint for v in ("0", "1", "2"))


def allowed_options(mod: str, installed: dict[str, Installed], asked: list[Request],
                    catalog: MemoryCatalog) -> list[Option]:
    """Versions the rules allow for ``mod``: the installed one, and published-for-SPT releases, without
    prereleases unless a request names one or the installed version is an older prerelease."""
    options: list[Option] = []
    mine = installed.get(mod)
    prerelease_ok = any(isinstance(r, Install) and r.mod == mod and names_prerelease(r.constraint) for r in asked)
    prerelease_ok |= any(isinstance(r, Pin) and r.mod == mod and parse_version(r.version).is_prerelease
                         for r in asked)
    for release in catalog.published.get(mod, []):
        if mine is not None and release.version == mine.version:
            incompatibilities = (*release.incompatibilities, *mine.incompatibilities)
            options.append(Option(release.version, release.dependencies, incompatibilities))
            continue
        if not release.for_target_spt:
            continue
        version = parse_version(release.version)
        if version.is_prerelease and not prerelease_ok:
            old = parse_version(mine.version) if mine is not None else None
            if not (old is not None and old.is_prerelease and version > old):
                continue
        options.append(Option(release.version, release.dependencies, release.incompatibilities))
    if mine is not None and all(o.version != mine.version for o in options):
        options.append(Option(mine.version, mine.dependencies, mine.incompatibilities))
    return options


def pins(pinned: str, option: Option) -> bool:
    """A pin names a version: equal SemVer precedence; build metadata only counts when the pin gives one."""
    wanted, have = parse_version(pinned), parse_version(option.version)
    return wanted == have and (not wanted.build or wanted.build == have.build)


def valid(choice: dict[str, Option], installed: dict[str, Installed], asked: list[Request]) -> bool:
    """Whether a combination (mod -> chosen option; missing mods are left out) meets every rule."""
    removed = {r.mod for r in asked if isinstance(r, Remove)}
    requested = {r.mod for r in asked if isinstance(r, Install)}
    for mod in installed:
        if (mod in removed) == (mod in choice):
            return False
    for request in asked:
        if isinstance(request, Install):
            option = choice.get(request.mod)
            if option is None or (request.constraint and not satisfies(option.version, request.constraint)):
                return False
        elif isinstance(request, Remove) and request.mod in choice:
            return False
        elif isinstance(request, Pin):
            option = choice.get(request.mod)
            must_be_there = request.mod in installed or request.mod in requested
            if (option is None and must_be_there) or (option is not None and not pins(request.version, option)):
                return False
    for mod, option in choice.items():
        for dependency in option.dependencies:
            if dependency.mod == mod:
                continue
            target = choice.get(dependency.mod)
            if target is None:
                if not dependency.optional:
                    return False
            elif not satisfies(target.version, dependency.constraint):
                return False
        if any(other != mod and other in choice for other in option.incompatibilities):
            return False
    return True


def brute_force(installed_list: list[Installed], asked: list[Request], catalog: MemoryCatalog) -> bool:
    installed = {i.mod: i for i in installed_list}
    mods = sorted({*MODS, GHOST, *installed})
    choices = [[None, *allowed_options(mod, installed, asked, catalog)] for mod in mods]
    for combination in itertools.product(*choices):
        choice = {mod: option for mod, option in zip(mods, combination, strict=True) if option is not None}
        if valid(choice, installed, asked):
            return True
    return False


def plan_choice(plan: Plan, installed: dict[str, Installed], asked: list[Request],
                catalog: MemoryCatalog) -> dict[str, Option]:
    """What the plan ends with, as oracle options; fails if a version moved to is not an allowed one."""
    choice: dict[str, Option] = {}
    for step in plan.steps:
        if step.action == "remove":
            continue
        options = {o.version: o for o in allowed_options(step.mod, installed, asked, catalog)}
        assert step.to_version in options, f"{step.mod} {step.to_version} is not an allowed version"
        if step.action == "keep":
            assert step.to_version == installed[step.mod].version
        choice[step.mod] = options[step.to_version]
    return choice


def assert_dependencies_first(plan: Plan, choice: dict[str, Option]) -> None:
    position = {step.mod: index for index, step in enumerate(plan.steps)}

    def reaches(start: str, goal: str) -> bool:
        stack, seen = [start], {start}
        while stack:
            mod = stack.pop()
            for dependency in choice[mod].dependencies:
                if dependency.mod == goal:
                    return True
                if dependency.mod in choice and dependency.mod not in seen:
                    seen.add(dependency.mod)
                    stack.append(dependency.mod)
        return False

    for mod, option in choice.items():
        for dependency in option.dependencies:
            target = dependency.mod
            if target in choice and target != mod and not reaches(target, mod):  # not in a cycle with mod
                assert position[target] < position[mod], f"{target} should come before {mod}"


# --------------------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------------------


@FAST
@given(problems())
def test_plans_are_valid_and_unsatisfiable_means_no_valid_combination(
    problem: tuple[list[Installed], list[Request], MemoryCatalog],
) -> None:
    installed_list, asked, catalog = problem
    installed = {i.mod: i for i in installed_list}
    exists = brute_force(installed_list, asked, catalog)
    try:
        plan = resolve(installed_list, asked, catalog)
    except Unsatisfiable as error:
        assert not exists, f"resolve found no plan, but one exists: {error}"
        assert error.explanation.text
        return
    assert exists  # a plan the oracle accepts is itself proof
    choice = plan_choice(plan, installed, asked, catalog)
    assert valid(choice, installed, asked), f"invalid plan {plan}"
    assert_dependencies_first(plan, choice)
    assert sorted(s.mod for s in plan.steps if s.mod in installed) == sorted(installed)


@FAST
@given(problems())
def test_same_input_gives_the_same_answer(problem: tuple[list[Installed], list[Request], MemoryCatalog]) -> None:
    installed_list, asked, catalog = problem

    def answer() -> object:
        try:
            return resolve(installed_list, asked, catalog).to_json()
        except Unsatisfiable as error:
            return error.explanation.to_json()

    assert answer() == answer()
