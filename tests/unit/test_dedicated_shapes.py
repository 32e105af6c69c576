"""Reading the dedicated-server API's answers (both key spellings, readable names) and the emulator's game clock."""

from __future__ import annotations

import itertools

import pytest

from app.net.dedicated import (
    any_case,
    parse_command_result,
    parse_health,
    parse_options,
    parse_state,
    readable_game_phase,
    readable_schematic,
)
from app.sandbox.dedicated import MILESTONE_SECONDS, SEGMENT_SECONDS, DedicatedServerEmulator

PHASE = ("/Script/FactoryGame.FGGamePhase'/Game/FactoryGame/GamePhases/"
         "GP_Project_Assembly_Phase_{0}.GP_Project_Assembly_Phase_{0}'")
SCHEMATIC = "/Script/Engine.BlueprintGeneratedClass'/Game/FactoryGame/Schematics/Progression/{0}.{0}_C'"
DOCUMENTED_STATE = {
    "ActiveSessionName": "What a game", "NumConnectedPlayers": 2, "PlayerLimit": 4, "TechTier": 6,
    "ActiveSchematic": SCHEMATIC.format("Schematic_6-7"), "GamePhase": PHASE.format(2), "IsGameRunning": True,
    "TotalGameDuration": 93_784, "IsGamePaused": False, "AverageTickRate": 29.87, "AutoLoadSessionName": "What a game",
}


@pytest.mark.parametrize(("value", "expected"), [
    (PHASE.format(1), "Phase 1 (Distribution Platform)"),
    (PHASE.format(2), "Phase 2 (Construction Dock)"),
    (PHASE.format(4), "Phase 4"),
    ("/Script/FactoryGame.FGGamePhase'/Game/Mods/Extra/GP_Bonus_Round.GP_Bonus_Round'", "GP_Bonus_Round"),
    ("None", "None"),
    ("", "None"),
])
def test_game_phases_read_as_words(value: str, expected: str) -> None:
    assert readable_game_phase(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (SCHEMATIC.format("Schematic_6-7"), "Railway Signalling"),
    (SCHEMATIC.format("Schematic_7-2"), "Logistics Mk.5"),
    (SCHEMATIC.format("Schematic_3-4"), "Schematic_3-4"),
    ("None", "None"),
])
def test_schematics_read_as_their_name_or_asset(value: str, expected: str) -> None:
    assert readable_schematic(value) == expected


def test_the_state_reads_the_same_in_both_spellings() -> None:
    community = {"serverGameState": {key[0].lower() + key[1:]: value for key, value in DOCUMENTED_STATE.items()}}
    documented = {"ServerGameState": DOCUMENTED_STATE}
    state = parse_state(documented)
    assert parse_state(community) == state
    assert (state.session, state.players, state.player_limit, state.tech_tier) == ("What a game", 2, 4, 6)
    assert (state.active_schematic, state.game_phase) == ("Railway Signalling", "Phase 2 (Construction Dock)")
    assert (state.running, state.paused, state.duration_s, state.tick_rate) == (True, False, 93_784, 29.87)


def test_missing_state_fields_have_defaults_and_wrong_types_are_named() -> None:
    state = parse_state({"serverGameState": {"activeSessionName": "Bare"}})
    assert (state.session, state.players, state.running, state.game_phase) == ("Bare", 0, False, "None")
    with pytest.raises(ValueError, match="`IsGamePaused` is not true or false"):
        parse_state({"serverGameState": {"isGamePaused": 3}})
    with pytest.raises(ValueError, match="no serverGameState"):
        parse_state({"state": {}})


def test_the_other_answers_read_in_either_spelling() -> None:
    assert parse_health({"health": "slow", "serverCustomData": "x"}) == parse_health(
        {"Health": "slow", "ServerCustomData": "x"})
    assert not parse_health({"Health": "slow"}).healthy
    options = parse_options({"serverOptions": {"FG.DSAutoPause": True, "FG.AutosaveInterval": 300},
                             "PendingServerOptions": {}})
    assert options.current == {"FG.DSAutoPause": "True", "FG.AutosaveInterval": "300"} and options.pending == {}
    assert parse_command_result({"commandResult": "ok\nmore", "returnValue": True}).ok
    assert any_case({"ServerGameState": 1}, "serverGameState") == 1 and any_case({}, "x") is None


def _timeline(seed: int, steps: int) -> list[dict]:
    emulator = DedicatedServerEmulator(clock=lambda: 1_000.0, seed=seed)
    states = []
    for _ in range(steps):
        states.append(emulator.state())
        emulator.advance(SEGMENT_SECONDS / 2)
    return states


def test_the_emulated_game_is_the_same_for_a_seed_and_differs_between_seeds() -> None:
    assert _timeline(7, 40) == _timeline(7, 40)
    assert _timeline(7, 40) != _timeline(8, 40)


def test_the_emulated_game_pauses_while_nobody_plays_and_lags_now_and_then() -> None:
    states = _timeline(3, 400)
    for before, after in itertools.pairwise(states):
        assert before["IsGamePaused"] == (before["NumConnectedPlayers"] == 0)
        assert abs(after["NumConnectedPlayers"] - before["NumConnectedPlayers"]) <= 1
        assert after["TotalGameDuration"] >= before["TotalGameDuration"]
    assert any(state["AverageTickRate"] <= 10 for state in states)  # "slow" health happens
    assert sum(state["AverageTickRate"] > 20 for state in states) > 0.8 * len(states)


def test_milestones_are_reached_as_play_time_adds_up() -> None:
    emulator = DedicatedServerEmulator(clock=lambda: 1_000.0, seed=3)
    first = emulator.state()
    while emulator.state()["TotalGameDuration"] < first["TotalGameDuration"] + 2 * MILESTONE_SECONDS:
        emulator.advance(10 * SEGMENT_SECONDS)
    later = emulator.state()
    assert later["TechTier"] > first["TechTier"] and later["ActiveSchematic"] != first["ActiveSchematic"]
