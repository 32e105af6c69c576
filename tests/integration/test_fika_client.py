"""The Fika client against the Fika emulator, over real TLS sockets on 127.0.0.1 with the emulator's certificate
pinned: every read, both raids shapes, every action, the auth answers, a missing mod, broken answers, a server
that goes down and comes back."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import httpx
import pytest

from app.net.fika import (
    LOCATIONS,
    FikaAuthError,
    FikaClient,
    FikaError,
    FikaNotInstalled,
    Item,
    problem_text,
)
from app.net.http import ServerUnreachable, create_client
from app.sandbox.certificates import SelfSignedCertificate, make_self_signed
from app.sandbox.fika import ITEMS, FikaEmulator

T = TypeVar("T")
START = 1_767_225_600.0  # 2026-01-01, a fixed clock: the emulator then only moves with advance()
ROUBLES = "5449016a4bdc2d6f028b456f"
M4A1 = "5447a9cd4bdc2dbd208b4567"
NOBODY = "0123456789abcdef01234567"


@pytest.fixture(scope="module")
def certificate() -> SelfSignedCertificate:
    return make_self_signed("Fika emulator")


@pytest.fixture
def emulator(certificate: SelfSignedCertificate) -> Iterator[FikaEmulator]:
    with FikaEmulator(clock=lambda: START, seed=7, certificate=certificate) as emulator:
        yield emulator


def pinned(certificate: SelfSignedCertificate) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.load_verify_locations(cadata=certificate.der)
    return context


def run(emulator: FikaEmulator, work: Callable[[FikaClient], Awaitable[T]], *, key: str | None = "",
        certificate: SelfSignedCertificate | None = None) -> T:
    """Run `work` with a client of `emulator` (its own key unless `key` says otherwise), on a fresh event loop."""
    async def session() -> T:
        async with create_client(verify=pinned(certificate or emulator.certificate),
                                 timeout=httpx.Timeout(5.0)) as http:
            return await work(FikaClient(emulator.base_url, emulator.api_key if key == "" else key, http))

    return asyncio.run(session())


def requests_to(emulator: FikaEmulator, endpoint: str) -> int:
    return sum(1 for seen in emulator.requests if seen.path == f"/fika/api/{endpoint}")


# -- reads ----------------------------------------------------------------------------------------------------


def test_every_read_matches_what_the_server_holds(emulator: FikaEmulator) -> None:
    async def work(client: FikaClient) -> tuple[Any, ...]:
        return (await client.heartbeat(), await client.raids(), await client.players(), await client.headless(),
                await client.profiles())

    heartbeat, raids, players, headless, profiles = run(emulator, work)
    assert 0 < heartbeat < 5
    assert len(raids) == len(emulator.document("raids")) >= 2
    for raid, entry in zip(raids, emulator.document("raids"), strict=True):
        assert raid.match_id == entry["serverGuid"]  # the array shape has no match id
        assert raid.host == entry["hostUsername"] and raid.players == tuple(entry["players"])
        assert raid.status in ("LOADING", "IN_GAME") and raid.side in ("PMC", "Scav")
        assert raid.time in ("current", "past") and raid.location is None  # the array shape names no map
        assert raid.started_at == entry["timestamp"] and raid.raid_code == entry["raidCode"]
        assert raid.game_version == entry["gameVersion"] and raid.headless is entry["isHeadless"]
    assert {player.profile_id for player in players} == set(emulator.online_ids())
    for player in players:
        assert player.nickname == emulator.nickname(player.profile_id)
        assert player.location_name == LOCATIONS[player.location]
    in_raid = {profile_id for raid in raids for profile_id in raid.players}
    assert all(player.location > 1 for player in players if player.profile_id in in_raid)
    assert [client.profile_id for client in headless] == emulator.headless_ids
    assert [client.ready for client in headless] == [True, False]  # the second one is still coming up
    assert {profile.profile_id for profile in profiles} == set(emulator.player_ids + emulator.headless_ids)
    assert not any(profile.has_flea_ban for profile in profiles)


def test_old_raids_shape_is_read_too_with_its_map(certificate: SelfSignedCertificate) -> None:
    """Before Fika 2.2.1 raids came as an object keyed by match id, players as an object keyed by profile id."""
    with FikaEmulator(clock=lambda: START, seed=7, certificate=certificate, raids_shape="object") as old, \
            FikaEmulator(clock=lambda: START, seed=7, certificate=certificate) as new:
        assert isinstance(old.document("raids"), dict)
        old_raids = run(old, lambda client: client.raids())
        new_raids = run(new, lambda client: client.raids())
    assert [(r.host, r.status, r.players, r.started_at) for r in old_raids] == \
        [(r.host, r.status, r.players, r.started_at) for r in new_raids]
    hosts = {raid.match_id: raid for raid in old_raids}  # keyed by the host's profile id, a headless one's too
    assert all((key in old.headless_ids) if raid.headless else key == raid.players[0] for key, raid in hosts.items())
    assert all(raid.location in LOCATIONS for raid in old_raids)


def test_items_are_fetched_once_and_searched_by_name_then_template(emulator: FikaEmulator) -> None:
    async def work(client: FikaClient) -> tuple[list[Item], list[Item], list[Item], list[Item]]:
        return (await client.items(), await client.search_items("AK"), await client.search_items("5447a9"),
                await client.search_items("", limit=5))

    items, ak, by_tpl, first = run(emulator, work)
    assert len(items) == len(ITEMS) and requests_to(emulator, "items") == 1
    roubles = next(item for item in items if item.tpl == ROUBLES)
    assert roubles.name == "Roubles" and roubles.stackable == 5_000_000  # stack size x 10, as Fika reports it
    names = [item.name for item in ak]
    assert names[:2] == ["AK-103 7.62x39 assault rifle", "AK-74N 5.45x39 assault rifle"]  # starts with, first
    assert "IFAK individual first aid kit" in names
    assert [item.tpl for item in by_tpl] == [M4A1]
    assert [item.name for item in first] == sorted((item.name for item in items), key=str.casefold)[:5]


def test_every_request_carries_the_key_and_asks_for_plain_json(emulator: FikaEmulator) -> None:
    async def work(client: FikaClient) -> None:
        await client.heartbeat()
        await client.send_message(emulator.player_ids[0], "hello")

    run(emulator, work)
    assert len(emulator.requests) == 2
    for seen in emulator.requests:
        headers = {name.lower(): value for name, value in seen.headers.items()}
        assert headers["authorization"] == f"Bearer {emulator.api_key}"
        assert headers["requestcompressed"] == "0" and headers["responsecompressed"] == "0"


# -- the server's life ----------------------------------------------------------------------------------------


def test_a_raid_loads_plays_completes_and_vanishes(emulator: FikaEmulator) -> None:
    async def work(client: FikaClient) -> list[str]:
        loading = next(raid for raid in await client.raids() if raid.status == "LOADING")
        seen = ["LOADING"]
        for _ in range(400):  # 5-second polls, at most half an hour of server time
            emulator.advance(5)
            now = {raid.match_id: raid for raid in await client.raids()}
            status = now[loading.match_id].status if loading.match_id in now else "gone"
            if status != seen[-1]:
                seen.append(status)
            if status == "gone":
                break
        return seen

    assert run(emulator, work) == ["LOADING", "IN_GAME", "COMPLETE", "gone"]


def test_players_come_and_go_and_headless_clients_come_up(emulator: FikaEmulator) -> None:
    async def work(client: FikaClient) -> tuple[set[str], set[str], list[bool]]:
        before = {player.profile_id for player in await client.players()}
        came, went = set(), set()
        ready_seen = []
        for _ in range(180):  # 10-second polls, for at most half an hour
            emulator.advance(10)
            now = {player.profile_id for player in await client.players()}
            came, went, before = came | (now - before), went | (before - now), now
            ready_seen.append((await client.headless())[1].ready)
            if came and went and True in ready_seen:
                break
        return came, went, ready_seen

    came, went, ready = run(emulator, work)
    assert came and went
    assert ready[0] is False and True in ready


def test_the_same_seed_gives_the_same_server(certificate: SelfSignedCertificate) -> None:
    one = FikaEmulator(clock=lambda: START, seed=3, certificate=certificate)
    two = FikaEmulator(clock=lambda: START, seed=3, certificate=certificate)
    other = FikaEmulator(clock=lambda: START, seed=4, certificate=certificate)
    for emulator in (one, two, other):
        emulator.advance(1800)
    for endpoint in ("raids", "players", "headless", "profiles", "statistics"):
        assert one.document(endpoint) == two.document(endpoint)
    assert one.document("profiles") != other.document("profiles")


# -- actions --------------------------------------------------------------------------------------------------


def test_messages_and_items_reach_the_server(emulator: FikaEmulator) -> None:
    first, second = emulator.player_ids[:2]

    async def work(client: FikaClient) -> None:
        await client.send_message(first, "Welcome to the wipe 🎉")
        await client.send_item(first, ROUBLES, 250_000, message="starter cash", fir=True, expiration_days=3)
        await client.send_item_to_all([first, second], M4A1, 2, message="gift")

    run(emulator, work)
    assert emulator.messages == [{"profileId": first, "message": "Welcome to the wipe 🎉"}]
    assert emulator.sent_items == [
        {"profileId": first, "itemTpl": ROUBLES, "amount": 250_000, "message": "starter cash", "fir": True,
         "expirationDays": 3},
        {"profileIds": [first, second], "itemTpl": M4A1, "amount": 2, "message": "gift", "fir": False,
         "expirationDays": 7}]


def test_flea_ban_and_unban_show_in_profiles(emulator: FikaEmulator) -> None:
    target = emulator.player_ids[4]

    async def work(client: FikaClient) -> tuple[bool, list[Any], bool]:
        await client.flea_ban(target, 0)
        banned = next(p for p in await client.profiles() if p.profile_id == target).has_flea_ban
        bans = (await client.raw_profile(target))["characters"]["pmc"]["Info"]["Bans"]
        await client.flea_unban(target)
        lifted = next(p for p in await client.profiles() if p.profile_id == target).has_flea_ban
        return banned, bans, lifted

    banned, bans, lifted = run(emulator, work)
    assert banned and len(bans) == 1 and not lifted
    assert emulator.flea_bans == {}
    delete = [seen for seen in emulator.requests if seen.method == "DELETE"]
    assert [seen.path for seen in delete] == ["/fika/api/fleaban"] and delete[0].status == 200


def test_a_logged_out_player_leaves_the_player_list(emulator: FikaEmulator) -> None:
    async def work(client: FikaClient) -> tuple[set[str], set[str], str]:
        before = {player.profile_id for player in await client.players()}
        target = sorted(before)[0]
        await client.logout(target)
        return before, {player.profile_id for player in await client.players()}, target

    before, after, target = run(emulator, work)
    assert emulator.logouts == [target] and after == before - {target}


def test_a_restarted_headless_client_is_not_ready_for_a_while(emulator: FikaEmulator) -> None:
    ready_one = emulator.headless_ids[0]

    async def work(client: FikaClient) -> tuple[bool, bool]:
        await client.restart_headless(ready_one)
        just_after = (await client.headless())[0].ready
        emulator.advance(30)
        return just_after, (await client.headless())[0].ready

    assert run(emulator, work) == (False, True)
    assert emulator.restarts == [ready_one]


def test_a_headless_client_that_is_not_connected_cannot_be_restarted(emulator: FikaEmulator) -> None:
    with pytest.raises(FikaError, match="is not connected") as caught:
        run(emulator, lambda client: client.restart_headless(emulator.headless_ids[1]))
    assert not isinstance(caught.value, FikaNotInstalled)


def test_bad_input_is_refused_before_anything_is_sent(emulator: FikaEmulator) -> None:
    player = emulator.player_ids[0]
    attempts: list[Callable[[FikaClient], Awaitable[Any]]] = [
        lambda client: client.raw_profile("not-an-id"),
        lambda client: client.send_message(player, "x" * 256),
        lambda client: client.send_message(player, "🎉" * 128),  # 256 UTF-16 code units: one too many for C#
        lambda client: client.send_item(player, "Roubles"),
        lambda client: client.send_item(player, ROUBLES, 0),
        lambda client: client.send_item(player, ROUBLES, expiration_days=0),
        lambda client: client.send_item_to_all([], ROUBLES),
        lambda client: client.flea_ban(player, -1),
        lambda client: client.logout(player.upper() + "0"),
    ]
    for attempt in attempts:
        with pytest.raises(FikaError):
            run(emulator, attempt)
    assert emulator.requests == []
    run(emulator, lambda client: client.send_message(player, "🎉" * 127 + "!"))  # 255 code units pass
    assert len(emulator.messages) == 1


def test_the_servers_refusals_are_told_in_its_words(emulator: FikaEmulator) -> None:
    player = emulator.player_ids[0]
    with pytest.raises(FikaError, match="That item could not be found"):
        run(emulator, lambda client: client.send_item(player, NOBODY))
    with pytest.raises(FikaError, match="Too many items requested"):
        run(emulator, lambda client: client.send_item(player, M4A1, 11))  # stack 1 x 10 is the most
    with pytest.raises(FikaError, match=f"no profile {NOBODY}"):
        run(emulator, lambda client: client.raw_profile(NOBODY))
    with pytest.raises(FikaError, match=f"no profile {NOBODY}"):
        run(emulator, lambda client: client.flea_ban(NOBODY, 3))
    assert emulator.sent_items == [] and emulator.flea_bans == {}


def test_a_bad_body_gets_aspnet_problem_details(emulator: FikaEmulator) -> None:
    """What the real server answers to a body the client would never send; `problem_text` reads it."""
    async def post(body: bytes) -> httpx.Response:
        async with create_client(verify=pinned(emulator.certificate)) as http:
            return await http.post(f"{emulator.base_url}/fika/api/senditem", content=body,
                                   headers={"Authorization": f"Bearer {emulator.api_key}",
                                            "Content-Type": "application/json"})

    missing = asyncio.run(post(b'{"profileId": "0123456789abcdef01234567"}'))
    assert missing.status_code == 400 and missing.headers["content-type"].startswith("application/problem+json")
    assert "missing required properties including: 'itemTpl', 'amount', 'message'" in problem_text(missing.content)
    broken = asyncio.run(post(b"{"))
    assert broken.status_code == 400 and "not valid JSON" in problem_text(broken.content)


# -- when things go wrong -------------------------------------------------------------------------------------


def test_no_key_and_a_wrong_key_are_told_apart(emulator: FikaEmulator) -> None:
    with pytest.raises(FikaAuthError, match=r"wants an API key .*Missing Authorization header") as no_key:
        run(emulator, lambda client: client.raids(), key=None)
    with pytest.raises(FikaAuthError, match=r"API key .* is wrong .*Forbidden: Invalid API Key") as wrong:
        run(emulator, lambda client: client.heartbeat(), key="not-the-key")
    assert (no_key.value.status, wrong.value.status) == (401, 403)


def test_a_server_without_the_fika_mod(certificate: SelfSignedCertificate) -> None:
    with FikaEmulator(clock=lambda: START, certificate=certificate, fika_installed=False) as bare:
        for work in (lambda client: client.heartbeat(), lambda client: client.players(),
                     lambda client: client.raw_profile(NOBODY), lambda client: client.flea_unban(NOBODY)):
            with pytest.raises(FikaNotInstalled, match=f"not installed .* on {bare.base_url}"):
                run(bare, work)


def test_a_broken_answer_names_the_endpoint(emulator: FikaEmulator) -> None:
    emulator.answer_next("fika/api/raids", "<html>Bad Gateway</html>")
    emulator.answer_next("fika/api/players", '{"players": 5}')
    emulator.answer_next("fika/api/headless", '{"headlessClients": [{"nickname": "no id"}]}')
    emulator.answer_next("fika/api/profiles", b"", status=500)
    with pytest.raises(FikaError, match="fika/api/raids with something that is not JSON"):
        run(emulator, lambda client: client.raids())
    with pytest.raises(FikaError, match="fika/api/players in a shape Kappa cannot read"):
        run(emulator, lambda client: client.players())
    with pytest.raises(FikaError, match=r"fika/api/headless in a shape .*profileId"):
        run(emulator, lambda client: client.headless())
    with pytest.raises(FikaError, match=r"failed while trying to list the profiles \(HTTP 500\)"):
        run(emulator, lambda client: client.profiles())
    assert len(run(emulator, lambda client: client.raids())) >= 2  # and then it answers properly again


def test_a_server_that_goes_down_and_comes_back(emulator: FikaEmulator) -> None:
    port = emulator.port

    async def work(client: FikaClient) -> ServerUnreachable:
        await client.heartbeat()  # a kept-alive connection that the stop must not leave answering
        emulator.stop()
        try:
            await client.raids()
        except ServerUnreachable as exc:
            caught = exc
        else:
            raise AssertionError("a stopped server answered")
        emulator.start()
        await client.raids()
        return caught

    caught = run(emulator, work)
    assert caught.reason == "connection refused" and not caught.certificate_rejected
    assert f"the Fika server at {emulator.base_url}" in str(caught)
    assert emulator.port == port


def test_a_replaced_certificate_is_rejected(emulator: FikaEmulator, certificate: SelfSignedCertificate) -> None:
    emulator.replace_certificate(make_self_signed("impostor"))
    with pytest.raises(ServerUnreachable) as caught:
        run(emulator, lambda client: client.heartbeat(), certificate=certificate)
    assert caught.value.certificate_rejected
    assert run(emulator, lambda client: client.heartbeat()) > 0  # pinned to the new one, it answers
