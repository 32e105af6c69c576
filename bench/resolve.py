"""The dependency resolver on a Forge-sized catalogue (a benchmark, not a test).

Generates a catalogue of 2,000 mods with 5 to 20 versions each and a skewed dependency graph: a few popular
libraries that most mods depend on, and chains of mods depending on earlier mods. Versions are released
along a timeline; each one depends on the then-current major of its targets, so libraries that bump their
major later leave some dependants behind (the usual source of update conflicts). 300 mods are installed as
they were at an earlier point of the timeline (planned by the resolver itself on the catalogue of that time).

Prints, as medians of several runs:

* the time to plan "update all" for the 300 installed mods (goal: under 200 ms), cold (empty caches, the
  first plan in a fresh process) and warm (the version caches filled by an earlier plan, as in the app);
* the time to explain the hardest conflict generated on purpose (goal: under 2 s): installing a new mod
  whose dependency four levels down needs a future major of the most popular library. Half of the
  installed mods that use that library get a release for the new major (so a plan would have to move
  them, and some of those releases need yet another library moved), the other half cannot follow. The
  time includes the explanation and its verified suggestions.

    python bench/resolve.py [--mods 2000] [--installed 300] [--runs 5] [--seed 7] [--profile]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import pstats
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from app.core import resolver
from app.core.resolver import (
    Dependency,
    Install,
    Installed,
    Plan,
    Release,
    Unsatisfiable,
    Update,
    resolve,
)

LIBRARIES = 8  # the popular ones
TIMELINE = 1000
SNAPSHOT = 0.7  # the installed mods are as of this point of the timeline
SPT_CUTOFF = 0.35  # versions released before this are not published for the target SPT version


@dataclass
class Catalogue:
    published: dict[str, list[Release]] = field(default_factory=dict)
    released_at: dict[tuple[str, str], int] = field(default_factory=dict)
    until: int | None = None  # only releases up to this time are visible

    def releases(self, mod: str) -> Sequence[Release]:
        everything = self.published.get(mod, ())
        if self.until is None:
            return everything
        # Back then, the SPT version of the day was the target: everything released was published for it.
        return [replace(r, for_target_spt=True) for r in everything if self.released_at[(mod, r.version)] <= self.until]

    def name(self, mod: str) -> str:
        return mod.replace("-", " ").title()

    def at(self, moment: int) -> Catalogue:
        return Catalogue(self.published, self.released_at, moment)


def version_history(rng: random.Random, count: int, library: bool) -> list[tuple[int, str]]:
    """(release time, version) pairs, oldest first; libraries bump their major more often."""
    times = sorted(rng.sample(range(TIMELINE), count))
    major, minor, patch = 1, 0, 0
    history = []
    for moment in times:
        history.append((moment, f"{major}.{minor}.{patch}"))
        roll = rng.random()
        if roll < (0.12 if library else 0.04):
            major, minor, patch = major + 1, 0, 0
        elif roll < 0.35:
            minor, patch = minor + 1, 0
        else:
            patch += 1
    return history


def current(history: list[tuple[int, str]], moment: int) -> str | None:
    latest = None
    for released, version in history:
        if released <= moment:
            latest = version
    return latest


def caret(version: str) -> str:
    major, minor, _ = version.split(".")
    return f"^{major}.{minor}.0"


def generate(mods: int, seed: int) -> Catalogue:
    rng = random.Random(seed)
    keys = [f"lib-{i}" for i in range(LIBRARIES)] + [f"mod-{i:04d}" for i in range(mods - LIBRARIES)]
    histories = {key: version_history(rng, rng.randint(5, 20), key.startswith("lib-")) for key in keys}
    catalogue = Catalogue()
    popularity = [1.0 / (rank + 1) for rank in range(LIBRARIES)]  # Zipf: lib-0 is by far the most used
    for index, key in enumerate(keys):
        targets = set()
        if index >= LIBRARIES:
            targets |= set(rng.choices(keys[:LIBRARIES], popularity, k=rng.randint(0, 2)))
            if index > LIBRARIES + 10 and rng.random() < 0.5:  # chains: depend on an earlier mod
                targets.add(keys[rng.randint(LIBRARIES, index - 1)])
        for moment, version in histories[key]:
            dependencies = []
            for target in sorted(targets):
                then = current(histories[target], moment)
                if then is not None:
                    dependencies.append(Dependency(target, caret(then)))
            release = Release(key, version, moment >= TIMELINE * SPT_CUTOFF, tuple(dependencies), (),
                              rng.randint(10_000, 50_000_000), index * 100 + len(catalogue.published.get(key, [])))
            catalogue.published.setdefault(key, []).append(release)
            catalogue.released_at[(key, version)] = moment
    return catalogue


def installed_snapshot(catalogue: Catalogue, count: int, seed: int) -> list[Installed]:
    """``count`` mods as a player would have installed them by SNAPSHOT: a few at a time, each batch planned
    by the resolver on the catalogue of that day; a mod that does not fit beside the others is skipped."""
    rng = random.Random(seed + 1)
    then = catalogue.at(int(TIMELINE * SNAPSHOT))
    keys = [key for key in catalogue.published if then.releases(key)]
    rng.shuffle(keys)
    installed: list[Installed] = []
    for start in range(0, len(keys), 10):
        if len(installed) >= count:
            break
        for batch in ([keys[start:start + 10]] + [[key] for key in keys[start:start + 10]]):
            wanted = [key for key in batch if key not in {i.mod for i in installed}]
            try:
                plan = resolve(installed, [Install(key) for key in wanted], then, max_rounds=2000)
            except Unsatisfiable:
                continue
            installed = [Installed(s.mod, s.to_version or "", s.name) for s in plan.steps if s.to_version]
            if len(batch) > 1:
                break
    return installed[:count]  # steps come dependencies first, so any prefix keeps its dependencies


def add_deep_conflict(catalogue: Catalogue, installed: list[Installed]) -> tuple[str, int, int]:
    """A new chain deep-0 -> deep-1 -> deep-2 -> deep-3 -> lib-0 ^<future major>. Half of the installed mods
    that depend on lib-0 get a new release that supports the future major, so a plan would have to move
    them; the other half cannot follow. Returns the chain's head, how many installed mods depend on lib-0,
    and how many of them could follow."""
    newest = max((r.version for r in catalogue.published["lib-0"]), key=lambda v: tuple(map(int, v.split("."))))
    future = f"{int(newest.split('.')[0]) + 1}.0.0"
    catalogue.published["lib-0"].append(Release("lib-0", future, True, (), (), 1_000_000, 1))
    catalogue.released_at[("lib-0", future)] = TIMELINE
    chain = ["deep-0", "deep-1", "deep-2", "deep-3"]
    for position, key in enumerate(chain):
        target = chain[position + 1] if position + 1 < len(chain) else "lib-0"
        constraint = "^1.0.0" if target != "lib-0" else f"^{future}"
        for version in ("1.0.0", "1.1.0"):
            release = Release(key, version, True, (Dependency(target, constraint),), (), 100_000, None)
            catalogue.published.setdefault(key, []).append(release)
            catalogue.released_at[(key, version)] = TIMELINE
    dependants = sorted(i.mod for i in installed
                        if any(d.mod == "lib-0" for r in catalogue.published[i.mod] for d in r.dependencies))
    following = dependants[::2]
    for key in following:
        latest = catalogue.published[key][-1]
        major = int(latest.version.split(".")[0]) + 1
        dependencies = tuple(d if d.mod != "lib-0" else Dependency("lib-0", f"^{future}") for d in latest.dependencies)
        release = replace(latest, version=f"{major}.0.0", for_target_spt=True, dependencies=dependencies)
        catalogue.published[key].append(release)
        catalogue.released_at[(key, release.version)] = TIMELINE
    return chain[0], len(dependants), len(following)


def timed(action: Callable[[], object], runs: int, clear: bool) -> tuple[float, object]:
    times = []
    result: object = None
    for _ in range(runs):
        if clear:
            resolver._allows.cache_clear()
            resolver._parsed.cache_clear()
        start = time.perf_counter()
        try:
            result = action()
        except Unsatisfiable as error:
            result = error
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mods", type=int, default=2000)
    parser.add_argument("--installed", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="profile one warm run of each and print the top")
    args = parser.parse_args()

    catalogue = generate(args.mods, args.seed)
    releases = sum(len(r) for r in catalogue.published.values())
    edges = sum(len(r.dependencies) for rs in catalogue.published.values() for r in rs)
    installed = installed_snapshot(catalogue, args.installed, args.seed)
    print(f"catalogue: {len(catalogue.published)} mods, {releases} releases, {edges} dependency edges; "
          f"installed: {len(installed)} mods")

    def update_all() -> Plan:
        return resolve(installed, [Update()], catalogue)

    cold, plan = timed(update_all, args.runs, clear=True)
    warm, plan = timed(update_all, args.runs, clear=False)
    assert isinstance(plan, Plan), plan
    moves = {action: sum(1 for s in plan.steps if s.action == action) for action in
             ("upgrade", "downgrade", "install", "keep")}
    print(f"update all: {cold * 1000:.1f} ms cold, {warm * 1000:.1f} ms warm (median of {args.runs}; goal < 200 ms); "
          f"steps {len(plan.steps)}: {moves}; {len(plan.warnings)} warnings")

    head, dependants, following = add_deep_conflict(catalogue, installed)

    def install_deep() -> Plan:
        return resolve(installed, [Install(head)], catalogue)

    cold_x, error = timed(install_deep, args.runs, clear=True)
    warm_x, error = timed(install_deep, args.runs, clear=False)
    assert isinstance(error, Unsatisfiable), error
    print(f"explain deep conflict: {cold_x * 1000:.1f} ms cold, {warm_x * 1000:.1f} ms warm "
          f"(median of {args.runs}; goal < 2000 ms); {dependants} installed mods depend on lib-0, "
          f"{following} of them have a release for its new major")
    print(f"  text: {error.explanation.text[:400]}")
    print(f"  suggestions: {list(error.explanation.suggestions)}")

    if args.profile:
        for label, action in (("update all", update_all), ("deep conflict", install_deep)):
            profiler = cProfile.Profile()
            profiler.enable()
            with contextlib.suppress(Unsatisfiable):
                action()
            profiler.disable()
            print(f"--- profile: {label}")
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
