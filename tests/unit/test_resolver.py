"""Scenario tests for app.core.resolver: small in-memory catalogues, one behaviour per test or table row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from app.core.resolver import (
    Demand,
    Dependency,
    Install,
    Installed,
    Pin,
    Plan,
    Release,
    Remove,
    Request,
    Step,
    Unsatisfiable,
    Update,
    resolve,
)

NAMES = {
    "sain": "SAIN", "bb": "BigBrain", "wp": "Waypoints", "ammo": "AmmoTools", "coollib": "CoolLib",
    "looting": "Looting Bots", "oldbrain": "OldBrain", "bots": "Bots", "brain": "Brain", "crawler": "Crawler",
    "lib": "Lib", "radar": "Radar", "app": "App", "left": "Left", "right": "Right", "base": "Base",
    "x": "X", "a": "A", "b": "B", "c": "C",
}


@dataclass
class Forge:
    """A catalogue in memory: what the Forge publishes, by mod key."""

    published: dict[str, list[Release]] = field(default_factory=dict)

    def releases(self, mod: str) -> Sequence[Release]:
        return tuple(self.published.get(mod, ()))

    def name(self, mod: str) -> str:
        return NAMES.get(mod, mod)


def rel(
    mod: str,
    version: str,
    needs: dict[str, str] | None = None,
    optional: dict[str, str] | None = None,
    refuses: Sequence[str] = (),
    spt: bool = True,
    size: int | None = 1000,
) -> Release:
    dependencies = [Dependency(m, c) for m, c in (needs or {}).items()]
    dependencies += [Dependency(m, c, optional=True) for m, c in (optional or {}).items()]
    return Release(mod, version, spt, tuple(dependencies), tuple(refuses), size, hash((mod, version)) % 10_000)


def forge(*releases: Release) -> Forge:
    catalog = Forge()
    for release in releases:
        catalog.published.setdefault(release.mod, []).append(release)
    return catalog


def have(mod: str, version: str, needs: dict[str, str] | None = None, refuses: Sequence[str] = ()) -> Installed:
    dependencies = tuple(Dependency(m, c) for m, c in (needs or {}).items())
    return Installed(mod, version, NAMES.get(mod, mod), dependencies, tuple(refuses))


def plan_of(installed: Sequence[Installed], requests: Sequence[Request], catalog: Forge) -> Plan:
    return resolve(installed, requests, catalog)


def failure(installed: Sequence[Installed], requests: Sequence[Request], catalog: Forge) -> Unsatisfiable:
    with pytest.raises(Unsatisfiable) as raised:
        resolve(installed, requests, catalog)
    return raised.value


def versions(plan: Plan) -> dict[str, str | None]:
    """What each mod ends at (None: removed)."""
    return {step.mod: step.to_version for step in plan.steps}


def step(plan: Plan, mod: str) -> Step:
    return next(s for s in plan.steps if s.mod == mod)


# The SAIN / Waypoints / BigBrain example used throughout.
SAIN_FORGE = forge(
    rel("sain", "3.1.4", needs={"bb": "^1.2.0"}),
    rel("sain", "3.2.0", needs={"bb": "^1.3.0"}),
    rel("bb", "1.2.5"), rel("bb", "1.2.9"), rel("bb", "1.3.1"),
    rel("wp", "1.6.0", needs={"bb": "~1.2.0"}),
)


# --------------------------------------------------------------------------------------------------------
# Conflicts and their explanations
# --------------------------------------------------------------------------------------------------------


def test_direct_conflict_is_explained_in_one_sentence() -> None:
    catalog = forge(rel("sain", "3.2.0", needs={"bb": "^1.3.0"}), rel("bb", "1.2.5"), rel("bb", "1.3.1"),
                    rel("wp", "1.6.0", needs={"bb": "~1.2.0"}))
    error = failure([have("wp", "1.6.0"), have("bb", "1.2.5")], [Install("sain")], catalog)
    text = "SAIN 3.2.0 needs BigBrain ^1.3.0, Waypoints 1.6.0 needs BigBrain ~1.2.0; no BigBrain version is both."
    assert error.explanation.text == text
    assert str(error) == text
    (conflict,) = error.explanation.conflicts
    assert (conflict.mod, conflict.name) == ("bb", "BigBrain")
    assert conflict.demands == (Demand("SAIN 3.2.0", "^1.3.0"), Demand("Waypoints 1.6.0", "~1.2.0"))
    assert conflict.reason == "no BigBrain version is both"
    assert error.explanation.suggestions == ("do not install SAIN", "remove Waypoints")


def test_explanation_to_json_is_plain_data() -> None:
    catalog = forge(rel("sain", "3.2.0", needs={"bb": "^1.3.0"}), rel("bb", "1.2.5"),
                    rel("wp", "1.6.0", needs={"bb": "~1.2.0"}))
    error = failure([have("wp", "1.6.0"), have("bb", "1.2.5")], [Install("sain")], catalog)
    data = error.explanation.to_json()
    assert data["text"] == error.explanation.text
    assert data["suggestions"] == list(error.explanation.suggestions)
    assert data["conflicts"][0]["guid"] == "bb"
    assert data["conflicts"][0]["demands"][0] == {"by": "SAIN 3.2.0", "constraint": "^1.3.0", "kind": "needs"}


def test_a_conflict_three_levels_down_names_the_mods_in_conflict_and_how_they_got_there() -> None:
    catalog = forge(
        rel("bots", "1.0.0", needs={"brain": "^1.0.0"}),
        rel("brain", "1.0.0", needs={"crawler": "^1.0.0"}),
        rel("crawler", "1.0.0", needs={"lib": "^2.0.0"}),
        rel("lib", "1.5.0"), rel("lib", "2.0.0"),
        rel("radar", "1.0.0", needs={"lib": "^1.0.0"}),
    )
    error = failure([have("lib", "1.5.0"), have("radar", "1.0.0")], [Install("bots")], catalog)
    assert error.explanation.text == (
        "Crawler 1.0.0 needs Lib ^2.0.0, Radar 1.0.0 needs Lib ^1.0.0; no Lib version is both. "
        "Crawler is needed by Brain, which is needed by Bots, which you asked for."
    )
    assert [c.mod for c in error.explanation.conflicts] == ["lib"]
    assert error.explanation.suggestions == ("do not install Bots", "remove Radar")


@pytest.mark.parametrize(
    ("newer", "older", "words"),
    [
        ("^1.3.0", "^1.3.0", "SAIN 3.2.0 and 3.1.0 both need BigBrain ^1.3.0"),
        ("^1.4.0", "^1.3.0", "SAIN 3.2.0 needs BigBrain ^1.4.0 (its other versions: ^1.3.0)"),
    ],
)
def test_the_versions_of_one_mod_are_worded_as_alternatives(newer: str, older: str, words: str) -> None:
    catalog = forge(rel("sain", "3.1.0", needs={"bb": older}), rel("sain", "3.2.0", needs={"bb": newer}),
                    rel("bb", "1.2.5"), rel("bb", "1.3.1"), rel("bb", "1.4.0"),
                    rel("wp", "1.6.0", needs={"bb": "~1.2.0"}))
    error = failure([have("wp", "1.6.0")], [Install("sain")], catalog)
    assert error.explanation.text == f"{words}, Waypoints 1.6.0 needs BigBrain ~1.2.0; no BigBrain version is both."


def test_an_update_that_must_stay_behind_is_suggested_as_keep() -> None:
    installed = [have("sain", "3.1.4"), have("bb", "1.2.5"), have("wp", "1.6.0")]
    error = failure(installed, [Install("sain", ">=3.2.0")], SAIN_FORGE)
    assert error.explanation.text.startswith("SAIN 3.2.0 needs BigBrain ^1.3.0, Waypoints 1.6.0 needs")
    assert error.explanation.suggestions[0] == "keep SAIN at 3.1.4"
    assert "remove Waypoints" in error.explanation.suggestions


def test_suggestions_are_only_those_that_resolve() -> None:
    # Removing Radar would not help: Lib 2.0.0 is not published for this SPT version.
    catalog = forge(rel("bots", "1.0.0", needs={"lib": "^2.0.0"}), rel("lib", "1.5.0"),
                    rel("lib", "2.0.0", spt=False), rel("radar", "1.0.0", needs={"lib": "^1.0.0"}))
    error = failure([have("lib", "1.5.0"), have("radar", "1.0.0")], [Install("bots")], catalog)
    assert error.explanation.suggestions == ("do not install Bots",)


def test_a_dependency_that_is_not_on_the_forge() -> None:
    catalog = forge(rel("sain", "3.2.0", needs={"coollib": "^1.0.0", "bb": "^1.3.0"}), rel("bb", "1.3.1"))
    error = failure([], [Install("sain")], catalog)
    assert error.explanation.text == "SAIN 3.2.0 needs CoolLib ^1.0.0, which is not on the Forge."
    assert error.explanation.conflicts[0].reason == "CoolLib is not on the Forge"


def test_a_dependency_not_on_the_forge_but_installed_is_fine() -> None:
    catalog = forge(rel("sain", "3.2.0", needs={"coollib": "^1.0.0"}))
    plan = plan_of([have("coollib", "1.4.0")], [Install("sain")], catalog)
    assert versions(plan) == {"coollib": "1.4.0", "sain": "3.2.0"}


def test_asking_for_a_mod_the_forge_does_not_have() -> None:
    error = failure([], [Install("coollib")], forge())
    assert error.explanation.text == "you asked for CoolLib, which is not on the Forge."


def test_unsatisfiable_is_deterministic() -> None:
    installed = [have("sain", "3.1.4"), have("bb", "1.2.5"), have("wp", "1.6.0")]
    first = failure(installed, [Install("sain", ">=3.2.0")], SAIN_FORGE).explanation
    again = failure(list(reversed(installed)), [Install("sain", ">=3.2.0")], SAIN_FORGE).explanation
    assert first == again


# --------------------------------------------------------------------------------------------------------
# Choosing versions
# --------------------------------------------------------------------------------------------------------

DIAMOND = forge(
    rel("app", "1.0.0", needs={"left": "^1.0.0", "right": "^1.0.0"}),
    rel("left", "1.0.0", needs={"base": "^1.1.0"}),
    rel("right", "1.0.0", needs={"base": "<1.3.0"}),
    rel("base", "1.0.0"), rel("base", "1.1.0"), rel("base", "1.2.0"), rel("base", "1.3.0"),
)


def test_diamond_takes_the_newest_version_both_sides_accept() -> None:
    plan = plan_of([], [Install("app")], DIAMOND)
    assert versions(plan) == {"base": "1.2.0", "left": "1.0.0", "right": "1.0.0", "app": "1.0.0"}
    assert [s.mod for s in plan.steps] == ["base", "left", "right", "app"]  # dependencies first
    assert step(plan, "base").reasons == ("needed by Left 1.0.0, Right 1.0.0",)
    assert step(plan, "app").reasons == ("requested",)
    assert plan.download_size == 4000


@pytest.mark.parametrize(
    ("installed_base", "wanted", "action", "to", "reasons"),
    [
        # Already acceptable: stays, although newer versions exist (fewest changes).
        ("1.1.0", "left", "keep", "1.1.0", ("kept: no reason to move",)),
        # Too old for Left: the newest version Left accepts.
        ("1.0.0", "left", "upgrade", "1.3.0", ("needed by Left 1.0.0",)),
        # Too new for Right: the closest older version.
        ("1.3.0", "right", "downgrade", "1.2.0", ("needed by Right 1.0.0",)),
    ],
)
def test_an_installed_dependency_moves_only_when_it_has_to(
    installed_base: str, wanted: str, action: str, to: str, reasons: tuple[str, ...]
) -> None:
    plan = plan_of([have("base", installed_base)], [Install(wanted)], DIAMOND)
    base = step(plan, "base")
    assert (base.action, base.from_version, base.to_version, base.reasons) == (action, installed_base, to, reasons)


def test_update_all_takes_the_newest_versions_that_fit_together() -> None:
    installed = [have("sain", "3.1.4"), have("bb", "1.2.5"), have("wp", "1.6.0")]
    plan = plan_of(installed, [Update()], SAIN_FORGE)
    # SAIN 3.2.0 would need BigBrain ^1.3.0, which Waypoints does not accept: SAIN stays behind.
    assert versions(plan) == {"bb": "1.2.9", "sain": "3.1.4", "wp": "1.6.0"}
    assert step(plan, "bb").reasons == ("update",)
    assert step(plan, "sain").reasons == ("held back: SAIN 3.2.0 does not fit the rest of the plan",)
    assert step(plan, "wp").reasons == ("up to date",)


def test_update_of_some_mods_leaves_the_others_alone() -> None:
    catalog = forge(rel("bb", "1.2.5"), rel("bb", "1.2.9"), rel("x", "1.0.0"), rel("x", "2.0.0"))
    plan = plan_of([have("bb", "1.2.5"), have("x", "1.0.0")], [Update(frozenset({"bb"}))], catalog)
    assert versions(plan) == {"bb": "1.2.9", "x": "1.0.0"}
    assert step(plan, "x").reasons == ("kept: no reason to move",)


def test_update_names_the_mod_that_holds_a_dependency_back() -> None:
    installed = [have("bb", "1.2.5"), have("wp", "1.6.0")]
    plan = plan_of(installed, [Update(frozenset({"bb"}))], SAIN_FORGE)
    assert step(plan, "bb").to_version == "1.2.9"
    installed = [have("bb", "1.2.9"), have("wp", "1.6.0")]
    plan = plan_of(installed, [Update(frozenset({"bb"}))], SAIN_FORGE)
    assert step(plan, "bb").reasons == ("held back: Waypoints 1.6.0 needs BigBrain ~1.2.0",)


def test_new_installs_get_the_newest_version() -> None:
    plan = plan_of([], [Install("bb")], SAIN_FORGE)
    assert versions(plan) == {"bb": "1.3.1"}


def test_an_install_constraint_is_respected() -> None:
    plan = plan_of([], [Install("bb", "~1.2.0")], SAIN_FORGE)
    assert versions(plan) == {"bb": "1.2.9"}


def test_equal_precedence_builds_do_not_count_as_updates() -> None:
    # The Forge treats 1.0.2+a as up to date although 1.0.2+b exists: build metadata is not a version.
    catalog = forge(rel("x", "1.0.2+a"), rel("x", "1.0.2+b"))
    plan = plan_of([have("x", "1.0.2+a")], [Update()], catalog)
    assert step(plan, "x").action == "keep"


# --------------------------------------------------------------------------------------------------------
# Prereleases and SPT versions
# --------------------------------------------------------------------------------------------------------

PRERELEASES = forge(
    rel("x", "1.0.0"), rel("x", "1.1.0"), rel("x", "1.2.0-beta.1"), rel("x", "1.2.0-beta.2"),
    rel("lib", "2.0.0-beta.1"),
    rel("b", "1.0.0", needs={"lib": ">=2.0.0-beta.1"}),
)


@pytest.mark.parametrize(
    ("installed", "asked", "expected"),
    [
        (have("x", "1.0.0"), Update(), "1.1.0"),  # a stable install never gets a prerelease
        (have("x", "1.2.0-beta.1"), Update(), "1.2.0-beta.2"),  # a prerelease moves to a newer prerelease
        (None, Install("x"), "1.1.0"),  # nor does a new install
        (None, Install("x", ">=1.2.0-beta.1"), "1.2.0-beta.2"),  # unless the request names a prerelease
        (None, Install("x", "1.2.0-beta.1"), "1.2.0-beta.1"),
        (have("x", "1.0.0"), Pin("x", "1.2.0-beta.1"), "1.2.0-beta.1"),  # a pin names one too
    ],
)
def test_prerelease_rules(installed: Installed | None, asked: Request, expected: str) -> None:
    plan = plan_of([installed] if installed else [], [asked], PRERELEASES)
    assert versions(plan)["x"] == expected


def test_a_prerelease_moves_to_its_stable_release() -> None:
    catalog = forge(rel("x", "1.2.0-beta.1"), rel("x", "1.2.0-beta.2"), rel("x", "1.2.0"))
    plan = plan_of([have("x", "1.2.0-beta.1")], [Update()], catalog)
    assert versions(plan) == {"x": "1.2.0"}


def test_only_prereleases_fit() -> None:
    error = failure([], [Install("x", "^1.2.0")], PRERELEASES)
    assert error.explanation.text == (
        "you asked for X ^1.2.0; only prereleases of X fit (1.2.0-beta.2 and 1.2.0-beta.1), "
        "and Kappa picks a prerelease only when you ask for one."
    )


def test_a_dependency_does_not_pull_in_a_prerelease() -> None:
    error = failure([], [Install("b")], PRERELEASES)
    assert "only prereleases of Lib fit (2.0.0-beta.1)" in error.explanation.text


def test_versions_moved_to_are_published_for_the_target_spt() -> None:
    catalog = forge(rel("x", "1.0.0"), rel("x", "1.0.5"), rel("x", "1.1.0", spt=False))
    plan = plan_of([have("x", "1.0.0")], [Update()], catalog)
    assert versions(plan) == {"x": "1.0.5"}
    assert plan_of([], [Install("x")], catalog).steps[0].to_version == "1.0.5"


def test_an_installed_version_not_for_this_spt_is_kept_with_a_warning() -> None:
    catalog = forge(rel("ammo", "0.8.2", spt=False))
    plan = plan_of([have("ammo", "0.8.2")], [Update()], catalog)
    assert step(plan, "ammo").action == "keep"
    assert plan.warnings == ("AmmoTools 0.8.2 is kept but is not published for this SPT version",)


def test_a_dependency_only_published_for_another_spt_version() -> None:
    catalog = forge(rel("sain", "3.2.0", needs={"bb": "^1.3.0"}), rel("bb", "1.2.0"), rel("bb", "1.3.0", spt=False))
    error = failure([have("bb", "1.2.0")], [Install("sain")], catalog)
    assert error.explanation.text == (
        "SAIN 3.2.0 needs BigBrain ^1.3.0; "
        "no BigBrain release that fits is published for this SPT version (BigBrain 1.3.0 is not)."
    )


# --------------------------------------------------------------------------------------------------------
# Optional dependencies, cycles, mods not on the Forge
# --------------------------------------------------------------------------------------------------------

OPTIONAL = forge(
    rel("sain", "3.2.0", needs={"bb": "^1.3.0"}, optional={"looting": "^2.0.0"}),
    rel("bb", "1.3.1"),
    rel("looting", "1.0.0"), rel("looting", "2.1.0"),
)


def test_optional_dependencies_are_left_out_unless_asked_for() -> None:
    plan = plan_of([], [Install("sain")], OPTIONAL)
    assert versions(plan) == {"bb": "1.3.1", "sain": "3.2.0"}


def test_optional_dependencies_come_along_when_asked_for() -> None:
    plan = plan_of([], [Install("sain", with_optional=True)], OPTIONAL)
    assert versions(plan) == {"bb": "1.3.1", "looting": "2.1.0", "sain": "3.2.0"}
    assert step(plan, "looting").reasons == ("optional dependency of SAIN 3.2.0",)


def test_an_optional_dependency_that_is_there_anyway_must_fit() -> None:
    plan = plan_of([have("looting", "1.0.0")], [Install("sain")], OPTIONAL)
    looting = step(plan, "looting")
    assert (looting.action, looting.to_version, looting.reasons) == ("upgrade", "2.1.0", ("needed by SAIN 3.2.0",))


def test_an_optional_dependency_that_is_there_and_cannot_fit_is_a_conflict() -> None:
    catalog = forge(rel("sain", "3.2.0", optional={"looting": "^2.0.0"}), rel("looting", "1.0.0"))
    error = failure([have("looting", "1.0.0")], [Install("sain")], catalog)
    assert error.explanation.text == (
        "SAIN 3.2.0 can use Looting Bots ^2.0.0 (optional); no Looting Bots release matches that."
    )


def test_an_optional_dependency_that_cannot_be_had_is_left_out_with_a_warning() -> None:
    catalog = forge(rel("sain", "3.2.0", optional={"coollib": "^1.0.0"}))
    plan = plan_of([], [Install("sain", with_optional=True)], catalog)
    assert versions(plan) == {"sain": "3.2.0"}
    assert plan.warnings == (
        "CoolLib, an optional dependency of SAIN 3.2.0, is left out: no version of it fits this plan",
    )


def test_a_dependency_cycle_resolves_and_stays_together_in_the_order() -> None:
    catalog = forge(
        rel("a", "1.0.0", needs={"b": "^1.0.0", "lib": "^1.0.0"}),
        rel("b", "1.0.0", needs={"a": "^1.0.0"}),
        rel("c", "1.0.0", needs={"a": "^1.0.0"}),
        rel("lib", "1.0.0"),
    )
    plan = plan_of([], [Install("c")], catalog)
    assert [s.mod for s in plan.steps] == ["lib", "a", "b", "c"]
    assert step(plan, "a").reasons == ("needed by B 1.0.0, C 1.0.0",)


def test_an_installed_mod_not_on_the_forge_keeps_its_own_dependencies() -> None:
    plan = plan_of([have("local", "0.1.0", needs={"bb": "^1.2.0"})], [], SAIN_FORGE)
    assert versions(plan) == {"bb": "1.3.1", "local": "0.1.0"}
    assert step(plan, "bb").reasons == ("needed by local 0.1.0",)
    assert step(plan, "local").reasons == ("kept: no reason to move",)


def test_installed_files_whose_dependency_cannot_be_met() -> None:
    error = failure([have("local", "0.1.0", needs={"bb": "^5.0.0"})], [], SAIN_FORGE)
    assert error.explanation.text == "installed local 0.1.0 needs BigBrain ^5.0.0; no BigBrain release matches that."
    assert error.explanation.suggestions == ("remove local",)


# --------------------------------------------------------------------------------------------------------
# Pins, incompatibilities, removals
# --------------------------------------------------------------------------------------------------------


def test_a_pin_holds_a_mod_during_update_all() -> None:
    installed = [have("bb", "1.2.5"), have("x", "1.0.0")]
    catalog = forge(rel("bb", "1.2.5"), rel("bb", "1.3.1"), rel("x", "1.0.0"), rel("x", "1.1.0"))
    plan = plan_of(installed, [Update(), Pin("bb", "1.2.5")], catalog)
    assert versions(plan) == {"bb": "1.2.5", "x": "1.1.0"}
    assert step(plan, "bb").reasons == ("pinned",)


def test_a_pin_can_move_a_mod() -> None:
    plan = plan_of([have("bb", "1.3.1")], [Pin("bb", "1.2.5")], SAIN_FORGE)
    assert (step(plan, "bb").action, step(plan, "bb").reasons) == ("downgrade", ("pinned",))


def test_a_pin_on_a_mod_that_is_not_installed_does_not_install_it() -> None:
    assert plan_of([], [Pin("bb", "1.2.5")], SAIN_FORGE).steps == ()
    plan = plan_of([], [Pin("bb", "1.2.5"), Install("sain")], SAIN_FORGE)
    assert versions(plan) == {"bb": "1.2.5", "sain": "3.1.4"}


def test_a_pin_that_makes_things_unsatisfiable_is_explained() -> None:
    catalog = forge(rel("sain", "3.2.0", needs={"bb": "^1.3.0"}), rel("bb", "1.2.5"), rel("bb", "1.3.1"))
    error = failure([have("sain", "3.2.0"), have("bb", "1.3.1")], [Pin("bb", "1.2.5")], catalog)
    assert error.explanation.text == (
        "you pinned BigBrain at 1.2.5, SAIN 3.2.0 needs BigBrain ^1.3.0; no BigBrain version is both."
    )
    assert error.explanation.suggestions == ("do not pin BigBrain at 1.2.5", "remove SAIN")


@pytest.mark.parametrize(
    ("pinned", "expected"),
    [("1.0.2+a", "1.0.2+a"), ("1.0.2+b", "1.0.2+b"), ("1.0.2", "1.0.2+a"), ("v1.0.2", "1.0.2+a")],
)
def test_a_pin_names_a_version_not_a_spelling(pinned: str, expected: str) -> None:
    catalog = forge(rel("x", "1.0.2+a"), rel("x", "1.0.2+b"), rel("x", "1.1.0"))
    assert versions(plan_of([have("x", "1.0.2+a")], [Update(), Pin("x", pinned)], catalog)) == {"x": expected}
    assert versions(plan_of([], [Install("x"), Pin("x", "1.1")], catalog)) == {"x": "1.1.0"}


def test_two_pins_on_one_mod_conflict() -> None:
    error = failure([have("bb", "1.2.5")], [Pin("bb", "1.2.5"), Pin("bb", "1.3.1")], SAIN_FORGE)
    assert error.explanation.text.startswith("you pinned BigBrain at 1.2.5, you pinned BigBrain at 1.3.1;")


def test_a_release_that_refuses_an_installed_mod() -> None:
    catalog = forge(rel("sain", "3.2.0", refuses=["oldbrain"]), rel("oldbrain", "1.0.0"))
    error = failure([have("oldbrain", "1.0.0")], [Install("sain")], catalog)
    assert error.explanation.text == "SAIN 3.2.0 cannot run beside OldBrain, but OldBrain 1.0.0 is installed."
    assert error.explanation.conflicts[0].demands == (
        Demand("SAIN 3.2.0", "", "incompatible"), Demand("installed OldBrain 1.0.0", "*", "keep"),
    )
    assert error.explanation.suggestions == ("do not install SAIN", "remove OldBrain")


def test_a_release_that_refuses_an_installed_mod_is_skipped_for_one_that_does_not() -> None:
    catalog = forge(rel("sain", "3.1.0"), rel("sain", "3.2.0", refuses=["oldbrain"]), rel("oldbrain", "1.0.0"))
    plan = plan_of([have("oldbrain", "1.0.0")], [Install("sain")], catalog)
    assert versions(plan) == {"oldbrain": "1.0.0", "sain": "3.1.0"}


def test_installed_files_that_refuse_a_requested_mod() -> None:
    catalog = forge(rel("sain", "3.2.0"), rel("wp", "1.6.0"))
    error = failure([have("wp", "1.6.0", refuses=["sain"])], [Install("sain")], catalog)
    assert error.explanation.text == "Waypoints 1.6.0 cannot run beside SAIN, but you asked for SAIN."


def test_installed_files_that_refuse_a_mod_move_to_a_release_that_does_not() -> None:
    catalog = forge(rel("sain", "3.2.0"), rel("wp", "1.6.0"), rel("wp", "1.7.0"))
    plan = plan_of([have("wp", "1.6.0", refuses=["sain"])], [Install("sain")], catalog)
    wp = step(plan, "wp")
    assert (wp.action, wp.to_version, wp.reasons) == ("upgrade", "1.7.0", ("cannot run beside SAIN 3.2.0",))


def test_removing_a_mod_something_needs_is_explained() -> None:
    catalog = forge(rel("sain", "3.2.1", needs={"bb": "^1.3.0"}), rel("bb", "1.3.1"))
    error = failure([have("sain", "3.2.1"), have("bb", "1.3.1")], [Remove("bb")], catalog)
    assert error.explanation.text == "Removing BigBrain would break SAIN 3.2.1, which needs BigBrain ^1.3.0."
    assert error.explanation.conflicts[0].reason == "BigBrain is needed by mods that stay"
    assert error.explanation.suggestions == ("do not remove BigBrain", "remove SAIN")


def test_removing_comes_first_in_the_plan() -> None:
    catalog = forge(rel("sain", "3.2.0", needs={"bb": "^1.3.0"}), rel("bb", "1.3.1"), rel("x", "1.0.0"))
    plan = plan_of([have("x", "1.0.0")], [Remove("x"), Install("sain")], catalog)
    assert [(s.action, s.mod) for s in plan.steps] == [("remove", "x"), ("install", "bb"), ("install", "sain")]
    assert step(plan, "x").reasons == ("requested",)
    assert [s.mod for s in plan.changes()] == ["x", "bb", "sain"]


def test_removing_a_dependency_moves_a_dependant_to_a_version_without_it() -> None:
    catalog = forge(rel("sain", "3.1.0"), rel("sain", "3.2.0", needs={"bb": "^1.3.0"}), rel("bb", "1.3.1"))
    plan = plan_of([have("sain", "3.2.0"), have("bb", "1.3.1")], [Remove("bb")], catalog)
    assert versions(plan) == {"bb": None, "sain": "3.1.0"}


# --------------------------------------------------------------------------------------------------------
# The plan itself
# --------------------------------------------------------------------------------------------------------


def test_download_size_sums_the_moves_and_warns_about_unknown_sizes() -> None:
    catalog = forge(rel("sain", "3.2.0", needs={"bb": "^1.3.0"}, size=5_000), rel("bb", "1.3.1", size=None),
                    rel("x", "1.0.0", size=70), rel("x", "2.0.0", size=300))
    plan = plan_of([have("x", "1.0.0")], [Install("sain"), Update()], catalog)
    assert plan.download_size == 5_300
    assert plan.warnings == ("the download size of BigBrain 1.3.1 is unknown",)


def test_plan_to_json() -> None:
    plan = plan_of([have("bb", "1.2.5")], [Install("sain")], SAIN_FORGE)
    data = plan.to_json()
    assert data["download_size"] == 2000
    assert data["warnings"] == []
    assert data["steps"][0] == {
        "action": "upgrade", "guid": "bb", "name": "BigBrain", "forge_id": step(plan, "bb").forge_id,
        "from": "1.2.5", "to": "1.3.1", "download_size": 1000, "reasons": ["needed by SAIN 3.2.0"],
    }


def test_several_reasons_are_kept() -> None:
    catalog = forge(rel("sain", "3.2.0", needs={"bb": "^1.3.0"}), rel("wp", "1.7.0", needs={"bb": "^1.3.0"}),
                    rel("bb", "1.2.5"), rel("bb", "1.3.1"))
    plan = plan_of([have("bb", "1.2.5")], [Install("sain"), Install("wp"), Update()], catalog)
    assert step(plan, "bb").reasons == ("update", "needed by SAIN 3.2.0, Waypoints 1.7.0")


def test_same_input_same_plan() -> None:
    installed = [have("sain", "3.1.4"), have("bb", "1.2.5"), have("wp", "1.6.0")]
    assert plan_of(installed, [Update()], SAIN_FORGE) == plan_of(installed, [Update()], SAIN_FORGE)
    assert plan_of(installed, [Update()], SAIN_FORGE) == plan_of(installed[::-1], [Update()], SAIN_FORGE)


def test_nothing_to_do_keeps_everything() -> None:
    plan = plan_of([have("bb", "1.2.5")], [], SAIN_FORGE)
    assert [(s.action, s.reasons) for s in plan.steps] == [("keep", ("kept: no reason to move",))]
    assert plan.changes() == ()
    assert plan.download_size == 0


def test_requests_about_mods_that_are_not_installed_are_noted() -> None:
    plan = plan_of([], [Update(frozenset({"bb"})), Remove("wp")], SAIN_FORGE)
    assert plan.steps == ()
    assert plan.warnings == ("bb is not installed, so there is nothing to update",
                             "Waypoints is not installed, so there is nothing to remove")


def test_installing_a_mod_that_is_already_installed_keeps_it() -> None:
    plan = plan_of([have("bb", "1.2.5")], [Install("bb")], SAIN_FORGE)
    assert [(s.action, s.reasons) for s in plan.steps] == [("keep", ("requested", "kept: already installed"))]


def test_an_update_can_bring_in_a_new_dependency() -> None:
    catalog = forge(rel("sain", "3.1.4"), rel("sain", "3.2.0", needs={"bb": "^1.3.0"}), rel("bb", "1.3.1"))
    plan = plan_of([have("sain", "3.1.4")], [Update()], catalog)
    assert [(s.action, s.mod, s.reasons) for s in plan.steps] == [
        ("install", "bb", ("needed by SAIN 3.2.0",)), ("upgrade", "sain", ("update",)),
    ]


def test_a_search_that_runs_out_of_rounds_says_so() -> None:
    # The documented limit: each resolvelib search gets max_rounds rounds (one pins one mod).
    with pytest.raises(Unsatisfiable) as raised:
        resolve([], [Install("app")], DIAMOND, max_rounds=2)
    assert raised.value.explanation.text.startswith("Kappa stopped before finding a plan")
    assert resolve([], [Install("app")], DIAMOND, max_rounds=10).steps
