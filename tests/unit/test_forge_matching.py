"""Bridging installed metadata and Forge data: grouping halves, version forms and name matching."""

from __future__ import annotations

import pytest

from app.core.forge_matching import (
    NameCandidate,
    best_name_match,
    group_installed,
    match_forge_version,
    same_release,
)
from app.core.mods import InstalledMod


def _mod(guid: str, name: str, version: str, kind: str = "server") -> InstalledMod:
    return InstalledMod(guid=guid, name=name, version=version, author=None, kind=kind,  # type: ignore[arg-type]
                        path=f"{kind}/{name}", spt_constraint=None, dependencies={}, enabled=True)


def test_server_and_client_halves_become_one_group() -> None:
    groups = group_installed([
        _mod("com.nightjar.lootpulse", "LootPulse", "1.7.3"),
        _mod("com.ravenfall.hud", "HUD", "2.0.0"),
        _mod("COM.NIGHTJAR.LOOTPULSE", "LootPulse", "1.7.3", "client"),  # same GUID, other case
        _mod("com.ravenfall.hud.client", "HUD", "2.0.0", "client"),  # other GUID, same name as a server mod
        _mod("com.pinecone.swiftsort.core", "SwiftSort Core", "1.3.0", "client"),
    ])
    assert [(g.guid, len(g.members)) for g in groups] == [
        ("com.nightjar.lootpulse", 2), ("com.ravenfall.hud", 2), ("com.pinecone.swiftsort.core", 1)]


def test_the_server_half_speaks_for_the_group() -> None:
    (group,) = group_installed([_mod("a", "Client Name", "1.0", "client"), _mod("A", "Server Name", "1.0.1")])
    assert (group.guid, group.name, group.version) == ("A", "Server Name", "1.0.1")


@pytest.mark.parametrize(
    ("installed", "forge", "same"),
    [
        ("1.0.2", "1.0.2+a", True),
        ("1.0", "1.0.0", True),
        ("13.9.1.27928", "13.9.1+27928", True),
        ("v2.1.0", "2.1.0", True),
        ("1.0.0-beta.2", "1.0.0-beta.2", True),
        ("1.0.0-beta.2", "1.0.0", False),
        ("1.0.2", "1.0.3", False),
        ("weird build", "weird build", True),
        ("weird build", "1.0.0", False),
    ],
)
def test_same_release(installed: str, forge: str, same: bool) -> None:
    assert same_release(installed, forge) is same


def test_forge_version_matching_prefers_exact_then_latest_published() -> None:
    versions = [(10, "1.0.2+a"), (14, "1.0.2+b"), (9, "1.0.1"), (20, "1.0.2")]
    assert match_forge_version("1.0.2", versions) == "1.0.2"
    assert match_forge_version("1.0.2", versions[:3]) == "1.0.2+b"  # published after +a
    assert match_forge_version("1.0.1.0", versions) == "1.0.1"
    assert match_forge_version("1.0.4", versions) is None


def test_name_matching_scores_names_and_slugs() -> None:
    candidates = [
        NameCandidate(1, "Tactical HUD", "tactical-hud"),
        NameCandidate(2, "Tactical Loadouts", "tactical-loadouts"),
        NameCandidate(3, "HUD Tweaks", "hud-tweaks"),
    ]
    match = best_name_match("TacticalHUD", candidates)
    assert match is not None and match.candidate.forge_id == 1 and match.confidence == 1.0 and match.is_confident
    weak = best_name_match("Tactical Helper", candidates)
    assert weak is not None and not weak.is_confident
    assert best_name_match("SPT Server", candidates) is None  # nothing left once noise words go
