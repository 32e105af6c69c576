"""Reading Fika's answers without a server: both raids shapes, enums sent as names, missing and unknown fields,
and shapes that are plainly wrong."""

from __future__ import annotations

import json

import pytest

from app.net.fika import (
    Headless,
    Item,
    Player,
    Profile,
    Raid,
    ShapeError,
    parse_headless,
    parse_items,
    parse_players,
    parse_profiles,
    parse_raids,
    problem_text,
)

HOST = "64f92bdacb123456789abcde"
GUEST = "64f92bdae8123456789aaaaa"

# The seed document's example (the wiki, Fika 2.0): an object keyed by match id.
OLD_SHAPE = {HOST: {
    "ips": ["192.168.1.10"], "serverGuid": "2fbb7ba6-327e-4c58-8f87-75e43da5a5f5", "port": 7070,
    "hostUsername": "PlayerOne", "timestamp": 1730840102, "crc32": 123456789, "gameVersion": "1.0.0",
    "raidConfig": {"location": "RezervBase"}, "locationData": {"Name": "ReserveBase"}, "status": 1, "timeout": 300,
    "players": {GUEST: {"groupId": "group123", "isDead": False, "isSpectator": False}},
    "side": 0, "time": 0, "raidCode": "ABCD1234", "natPunch": True, "isHeadless": False, "raids": 5}}

# FikaMatchResponse (Fika 2.2.1+): a list, players as ids, no map, no match id.
NEW_SHAPE = [{
    "ips": ["10.0.0.2"], "serverGuid": "0b3c41a2-7d0e-4f55-9a8e-3d9f0c2b1a77", "port": 25565,
    "hostUsername": "headless_1a2b3c", "timestamp": 1767225600, "crc32": 1, "gameVersion": "0.16.9.40087",
    "status": 0, "timeout": 0, "players": [HOST, GUEST], "side": 1, "time": 1, "raidCode": "Q7W2ZZ",
    "natPunch": False, "useFikaNatPunchServer": False, "isHeadless": True, "raids": 2,
    "customRaidSettings": {"useCustomWeather": True}, "somethingNew": {"from": "a later Fika"}}]


def test_the_old_object_shape() -> None:
    assert parse_raids(OLD_SHAPE) == [Raid(
        match_id=HOST, host="PlayerOne", status="IN_GAME", side="PMC", time="current", location="Reserve",
        players=(GUEST,), headless=False, raid_code="ABCD1234", started_at=1730840102.0, game_version="1.0.0")]


def test_the_new_array_shape() -> None:
    assert parse_raids(NEW_SHAPE) == [Raid(
        match_id="0b3c41a2-7d0e-4f55-9a8e-3d9f0c2b1a77", host="headless_1a2b3c", status="LOADING", side="Scav",
        time="past", location=None, players=(HOST, GUEST), headless=True, raid_code="Q7W2ZZ",
        started_at=1767225600.0, game_version="0.16.9.40087")]


def test_no_raids_in_either_shape() -> None:
    assert parse_raids([]) == [] and parse_raids({}) == []


def test_a_raid_with_little_in_it() -> None:
    (raid,) = parse_raids([{"status": 7, "hostUsername": "X", "timestamp": 1767225600123}])
    assert raid.status == "UNKNOWN (7)" and raid.side == "PMC" and raid.time == "current"
    assert raid.players == () and raid.location is None and raid.raid_code == "" and not raid.headless
    assert raid.started_at == pytest.approx(1767225600.123)  # milliseconds are recognised
    assert raid.match_id == "X@1767225600123"  # something stable to tell polls apart by


def test_enums_sent_as_names_and_a_map_only_in_location_data() -> None:
    entry = {"status": "COMPLETE", "side": "Savage", "time": "PAST", "raidConfig": {},
             "locationData": {"Name": "Lighthouse"}, "timestamp": None}
    (raid,) = parse_raids({HOST: entry})
    assert (raid.status, raid.side, raid.time, raid.location, raid.started_at) == \
        ("COMPLETE", "Scav", "past", "Lighthouse", None)


@pytest.mark.parametrize("document", [None, "raids", 3, [1, 2], {HOST: "not an object"}])
def test_raids_that_are_not_raids(document: object) -> None:
    with pytest.raises(ShapeError):
        parse_raids(document)


def test_players_with_odd_locations() -> None:
    document = {"players": [
        {"profileId": HOST, "nickname": "A", "level": 12, "location": 10},
        {"profileId": GUEST, "nickname": "B", "level": 3.0, "location": 99},
        {"profileId": "c" * 24, "location": "Streets"},
    ]}
    assert parse_players(document) == [
        Player(HOST, "A", 12, 10, "Ground Zero"),
        Player(GUEST, "B", 3, 99, "Unknown (99)"),
        Player("c" * 24, "Unknown", 0, 8, "Streets"),
    ]
    assert parse_players({"players": []}) == []


@pytest.mark.parametrize("document", [{}, {"players": {}}, {"players": [{"nickname": "no id"}]}, {"players": [3]}])
def test_players_that_are_not_players(document: object) -> None:
    with pytest.raises(ShapeError):
        parse_players(document)


def test_headless_clients_with_and_without_their_players_ids() -> None:
    document = {"headlessClients": [
        {"profileId": HOST, "nickname": "headless_1", "state": 0, "players": 2, "profileIds": [GUEST, "d" * 24]},
        {"profileId": GUEST, "nickname": "headless_2", "state": 1, "players": 0},
        {"profileId": "e" * 24, "state": "Ready"},
    ]}
    assert parse_headless(document) == [
        Headless(HOST, "headless_1", True, 2, (GUEST, "d" * 24)),
        Headless(GUEST, "headless_2", False, 0, ()),
        Headless("e" * 24, "", True, 0, ()),
    ]


def test_profiles_as_a_list_and_under_a_key() -> None:
    entry = {"nickname": "A", "profileId": HOST, "hasFleaBan": True, "level": 40, "extra": 1}
    expected = [Profile(HOST, "A", 40, True)]
    assert parse_profiles([entry]) == expected and parse_profiles({"profiles": [entry]}) == expected
    with pytest.raises(ShapeError):
        parse_profiles({"nickname": "A"})


def test_items_are_sorted_by_name_and_tolerate_gaps() -> None:
    document = {"items": {"b" * 24: {"name": "zeta", "description": "z", "stackable": 10},
                          "a" * 24: {"name": "Alpha"}}}
    assert parse_items(document) == [Item("a" * 24, "Alpha", "", 1), Item("b" * 24, "zeta", "z", 10)]
    for wrong in ({"items": []}, [], {"items": {"a" * 24: "Alpha"}}):
        with pytest.raises(ShapeError):
            parse_items(wrong)


def test_problem_text_reads_plain_sentences_and_aspnet_details() -> None:
    assert problem_text(b"That item could not be found.") == "That item could not be found."
    details = {"type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
               "title": "One or more validation errors occurred.", "status": 400,
               "errors": {"Message": ["The field Message must be a string or array type with a maximum length of "
                                      "'255'."], "request": ["The request field is required."]}}
    assert problem_text(json.dumps(details).encode()).startswith("The field Message must be")
    assert problem_text(json.dumps({"title": "Not Found", "status": 404}).encode()) == "Not Found"
    assert problem_text(b"") == "" and problem_text(b"{broken") == "{broken"
