"""The dedicated-server client against the emulator, over TLS on 127.0.0.1 with the emulator's certificate pinned."""

from __future__ import annotations

import asyncio
import base64
import gzip
import itertools
import json
import ssl
import zlib
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import httpx
import pytest

from app.net.dedicated import (
    DedicatedAuthError,
    DedicatedClient,
    DedicatedError,
    DedicatedMalformedResponse,
    ServerState,
)
from app.net.http import ServerUnreachable, create_client
from app.sandbox.certificates import SelfSignedCertificate, make_self_signed
from app.sandbox.dedicated import KEY_CASES, SEGMENT_SECONDS, DedicatedServerEmulator, RawAnswer

T = TypeVar("T")
NOW = 1_700_000_000.0  # a fixed clock: the game only moves when a test advances it
SEED = 1  # in its first four minutes: nobody online (paused), then players join, leave and join again
_EMULATORS_TOKEN: Any = object()


def pinned(certificate: SelfSignedCertificate) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.load_verify_locations(cadata=certificate.der)
    return context


def talk(emulator: DedicatedServerEmulator, scenario: Callable[[DedicatedClient], Awaitable[T]], *,
         token: str | None = _EMULATORS_TOKEN, certificate: SelfSignedCertificate | None = None) -> T:
    """Run `scenario` with a client for `emulator` (its own token unless told; its certificate pinned)."""
    async def main() -> T:
        context = pinned(certificate or emulator.certificate)
        async with create_client(verify=context, timeout=httpx.Timeout(5.0)) as http:
            chosen = emulator.token if token is _EMULATORS_TOKEN else token
            return await scenario(DedicatedClient(emulator.base_url, chosen, http))
    return asyncio.run(main())


def post(emulator: DedicatedServerEmulator, body: bytes, headers: dict[str, str]) -> httpx.Response:
    """A raw request, for what the client itself never sends (other encodings, broken JSON)."""
    with httpx.Client(verify=pinned(emulator.certificate), timeout=5.0) as http:
        return http.post(emulator.base_url + "/api/v1", content=body,
                         headers={"Authorization": f"Bearer {emulator.token}", **headers})


@pytest.fixture
def emulator() -> Iterator[DedicatedServerEmulator]:
    with DedicatedServerEmulator(clock=lambda: NOW, seed=SEED) as running:
        yield running


def _matches(reported: ServerState, truth: dict[str, Any]) -> None:
    assert reported.session == truth["ActiveSessionName"]
    assert reported.players == truth["NumConnectedPlayers"]
    assert reported.player_limit == truth["PlayerLimit"]
    assert reported.tech_tier == truth["TechTier"]
    assert reported.duration_s == truth["TotalGameDuration"]
    assert reported.paused == truth["IsGamePaused"]
    assert reported.running == truth["IsGameRunning"]
    assert reported.tick_rate == truth["AverageTickRate"]
    assert reported.autoload_session == truth["AutoLoadSessionName"]


# -- reading ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key_case", KEY_CASES)
def test_every_answer_reads_the_same_in_every_key_spelling(key_case: str) -> None:
    with DedicatedServerEmulator(clock=lambda: NOW, seed=SEED, key_case=key_case) as emulator:
        emulator.pending_options = {"FG.NetworkQuality": "2"}

        async def scenario(client: DedicatedClient) -> tuple[Any, ...]:
            return await client.health(), await client.state(), await client.options(), await client.run_command(
                "FG.NetworkQuality")

        health, state, options, command = talk(emulator, scenario)
        truth = emulator.state()
    assert health.healthy and health.health == "healthy" and health.custom_data == ""
    _matches(state, truth)
    assert state.game_phase == "Phase 2 (Construction Dock)"  # every seed starts in tier 3 or 4
    assert state.active_schematic in ("Schematic_3-4", "Schematic_4-2") and state.active_schematic in truth[
        "ActiveSchematic"]
    assert options.current["FG.DSAutoPause"] == "True" and options.current["FG.NetworkQuality"] == "3"
    assert options.pending == {"FG.NetworkQuality": "2"}
    assert command.ok and command.output.startswith('FG.NetworkQuality = "3"')


def test_the_default_spelling_is_the_community_notes_one(emulator: DedicatedServerEmulator) -> None:
    answer = post(emulator, b'{"function": "QueryServerState"}', {"Content-Type": "application/json"})
    state = answer.json()["data"]["serverGameState"]
    assert answer.status_code == 200 and "numConnectedPlayers" in state and "GamePhase" not in state


def test_the_game_moves_with_the_clock(emulator: DedicatedServerEmulator) -> None:
    async def scenario(client: DedicatedClient) -> list[tuple[ServerState, dict[str, Any]]]:
        seen = []
        for _ in range(12):
            seen.append((await client.state(), emulator.state()))
            emulator.advance(SEGMENT_SECONDS)
        return seen

    seen = talk(emulator, scenario)
    for reported, truth in seen:
        _matches(reported, truth)
        assert reported.paused == (reported.players == 0)  # FG.DSAutoPause
    states = [reported for reported, _ in seen]
    assert {state.players for state in states} >= {0, 1, 2}  # players joined, and left
    assert len({state.tick_rate for state in states}) > 6
    for before, after in itertools.pairwise(states):  # play time only adds up while someone plays
        assert after.duration_s - before.duration_s == (0 if before.paused else SEGMENT_SECONDS)


def test_a_lagging_server_is_slow_and_health_needs_no_token(emulator: DedicatedServerEmulator) -> None:
    emulator.lag(60, tick_rate=7.5)
    health = talk(emulator, lambda client: client.health(), token=None)
    state = talk(emulator, lambda client: client.state())
    assert not health.healthy and health.health == "slow"
    assert state.tick_rate == 7.5
    talk(emulator, lambda client: client.health(), token="revoked-long-ago")  # the token is not even sent
    assert [request.token for request in emulator.requests if request.function == "HealthCheck"] == [None, None]


def test_a_server_without_a_game_says_so() -> None:
    with DedicatedServerEmulator(clock=lambda: NOW, game_loaded=False) as emulator:
        state = talk(emulator, lambda client: client.state())
        with pytest.raises(DedicatedError, match=r"could not be saved\. It said: No session is loaded") as error:
            talk(emulator, lambda client: client.save_game("Before"))
    assert not state.running and state.game_phase == "None" and state.active_schematic == "None"
    assert state.session == "" and state.autoload_session
    assert error.value.code == "save_game_failed"


# -- actions ------------------------------------------------------------------------------------------------------


def test_save_game_is_recorded_under_a_file_system_safe_name(emulator: DedicatedServerEmulator) -> None:
    talk(emulator, lambda client: client.save_game("Before the train: 2/2"))
    with pytest.raises(DedicatedError) as error:
        talk(emulator, lambda client: client.save_game("  "))
    assert emulator.saves == ["Before the train_ 2_2"]
    assert error.value.code == "save_game_failed" and error.value.status == 200
    assert "could not run SaveGame: the game could not be saved" in str(error.value)


def test_console_commands_answer_with_their_output(emulator: DedicatedServerEmulator) -> None:
    async def scenario(client: DedicatedClient) -> list[Any]:
        return [await client.run_command(line) for line in ("help", "server.SaveGame Night shift", "fly away")]

    help_text, saved, unknown = talk(emulator, scenario)
    assert help_text.ok and "server.GenerateAPIToken" in help_text.output.split("\n")[2]
    assert saved.ok and emulator.saves == ["Night shift"]
    assert not unknown.ok and unknown.output == "Command not recognized: fly away"
    assert emulator.commands == ["help", "server.SaveGame Night shift", "fly away"]


def test_a_generated_token_works_until_tokens_are_invalidated(emulator: DedicatedServerEmulator) -> None:
    made = talk(emulator, lambda client: client.run_command("server.GenerateAPIToken"))
    token = made.output.rsplit(" ", 1)[-1]
    assert json.loads(base64.b64decode(token.split(".")[0])) == {"pl": "APIToken"}
    talk(emulator, lambda client: client.verify_token(), token=token)
    talk(emulator, lambda client: client.run_command("server.InvalidateAPITokens"), token=token)
    with pytest.raises(DedicatedAuthError, match="the API token is wrong, expired or was revoked") as error:
        talk(emulator, lambda client: client.state(), token=token)
    assert error.value.status == 401 and error.value.code == "invalid_token"


def test_shutdown_stops_the_server_until_it_is_started_again(emulator: DedicatedServerEmulator) -> None:
    url = emulator.base_url

    async def scenario(client: DedicatedClient) -> tuple[ServerUnreachable, ServerState]:
        await client.shutdown()
        with pytest.raises(ServerUnreachable) as down:
            await client.state()
        emulator.start()  # what a restart script does
        return down.value, await client.state()

    down, state = talk(emulator, scenario)
    assert emulator.shutdowns == 1 and emulator.base_url == url
    assert down.reason == "connection refused" and str(down).startswith(f"the dedicated server at {url} cannot")
    assert state.session == emulator.session


def test_a_server_down_and_back_is_reached_again_by_the_same_client(emulator: DedicatedServerEmulator) -> None:
    async def scenario(client: DedicatedClient) -> str:
        await client.state()  # leaves a kept-alive connection in the pool
        emulator.stop()
        with pytest.raises(ServerUnreachable) as down:
            await client.state()
        emulator.start()
        await client.state()
        return down.value.reason

    assert talk(emulator, scenario) == "connection refused"


def test_a_replaced_certificate_is_not_accepted(emulator: DedicatedServerEmulator) -> None:
    pinned_certificate = emulator.certificate
    emulator.replace_certificate(make_self_signed("impostor"))
    with pytest.raises(ServerUnreachable) as error:
        talk(emulator, lambda client: client.state(), certificate=pinned_certificate)
    assert error.value.certificate_rejected and error.value.reason == "its certificate was not accepted"


# -- tokens and errors --------------------------------------------------------------------------------------------


def test_token_checks_say_what_is_wrong(emulator: DedicatedServerEmulator) -> None:
    talk(emulator, lambda client: client.verify_token())
    with pytest.raises(DedicatedAuthError, match="wrong, expired or was revoked") as wrong:
        talk(emulator, lambda client: client.verify_token(), token="guessed")
    with pytest.raises(DedicatedAuthError, match="the API token is missing or expired") as missing:
        talk(emulator, lambda client: client.verify_token(), token=None)
    with pytest.raises(DedicatedAuthError, match="it needs an API token to run QueryServerState") as anonymous:
        talk(emulator, lambda client: client.state(), token=None)
    assert (wrong.value.status, missing.value.status, anonymous.value.status) == (401, 401, 403)
    assert "guessed" not in str(wrong.value)  # tokens never reach a message


def test_a_client_token_may_read_but_not_save(emulator: DedicatedServerEmulator) -> None:
    client_token = emulator.add_token("Client")
    state = talk(emulator, lambda client: client.state(), token=client_token)
    with pytest.raises(DedicatedAuthError, match="this token may not run SaveGame") as error:
        talk(emulator, lambda client: client.save_game("Mine"), token=client_token)
    assert state.players == emulator.state()["NumConnectedPlayers"]
    assert error.value.status == 403 and error.value.code == "insufficient_scope" and emulator.saves == []


def test_insecure_local_access_needs_no_token() -> None:
    with DedicatedServerEmulator(clock=lambda: NOW, token=None) as emulator:
        talk(emulator, lambda client: client.save_game("Open house"))
    assert emulator.saves == ["Open house"]


def test_unknown_functions_and_missing_data_are_explained(emulator: DedicatedServerEmulator) -> None:
    with pytest.raises(DedicatedError, match="the server does not know the function LaunchRocket") as unknown:
        talk(emulator, lambda client: client.call("LaunchRocket"))
    with pytest.raises(DedicatedError, match="incomplete or had a wrong value") as missing:
        talk(emulator, lambda client: client.call("SaveGame", {}))
    assert (unknown.value.status, unknown.value.code) == (404, "function_not_found")
    assert (missing.value.status, missing.value.code) == (200, "bad_request")  # the document: an error, not a 400
    assert missing.value.error_data == {"missingParameters": ["SaveName"]}


def test_function_names_and_data_keys_are_read_in_any_case(emulator: DedicatedServerEmulator) -> None:
    assert talk(emulator, lambda client: client.call("savegame", {"savename": "lower"})) is None
    assert emulator.saves == ["lower"]


@pytest.mark.parametrize(("answer", "expected"), [
    (RawAnswer(200, b"<html>hello</html>", "text/html"), "answered QueryServerState with something that is not JSON"),
    (RawAnswer(200, b'{"data": [1, 2]}'), "a `data` that is not an object"),
    (RawAnswer(200, b'{"data": {}}'), "no serverGameState object"),
    (RawAnswer(200, b'{"data": {"serverGameState": {"numConnectedPlayers": "many"}}}'),
     "`NumConnectedPlayers` is not a number"),
    (RawAnswer(204), "no data, where the API promises some"),
])
def test_malformed_answers_are_named(emulator: DedicatedServerEmulator, answer: RawAnswer, expected: str) -> None:
    emulator.script_next(answer)
    with pytest.raises(DedicatedMalformedResponse) as error:
        talk(emulator, lambda client: client.state())
    assert expected in str(error.value)


@pytest.mark.parametrize(("answer", "expected"), [
    (RawAnswer(502, b"<html>Bad gateway</html>", "text/html"), "could not run QueryServerState: it answered with "
                                                                "HTTP 502"),
    (RawAnswer(404, b"Not here", "text/plain"), "There is no dedicated-server API at https://127.0.0.1:"),
    (RawAnswer(500, b'{"errorCode": "internal", "errorMessage": "Boom."}'), "had an internal error. It said: Boom."),
])
def test_error_statuses_without_the_api_envelope(emulator: DedicatedServerEmulator, answer: RawAnswer,
                                                 expected: str) -> None:
    emulator.script_next(answer)
    with pytest.raises(DedicatedError, match=expected) as error:
        talk(emulator, lambda client: client.state())
    assert error.value.status == answer.status and not isinstance(error.value, DedicatedMalformedResponse)


# -- the wire format ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("encoding", "pack"), [
    ("gzip", gzip.compress),
    ("deflate", zlib.compress),
    ("deflate", lambda data: zlib.compress(data, wbits=-15)),  # raw deflate, as some clients send it
])
def test_compressed_request_bodies_are_read(emulator: DedicatedServerEmulator, encoding: str,
                                            pack: Callable[[bytes], bytes]) -> None:
    body = pack(json.dumps({"function": "SaveGame", "data": {"SaveName": encoding}}).encode())
    answer = post(emulator, body, {"Content-Type": "application/json", "Content-Encoding": encoding})
    assert answer.status_code == 204 and emulator.saves == [encoding]


@pytest.mark.parametrize(("headers", "body", "status", "code"), [
    ({"Content-Encoding": "br"}, b"\x0b\x80{}", 415, "unsupported_media_type"),
    ({"Content-Type": "text/plain"}, b'{"function": "HealthCheck"}', 415, "unsupported_media_type"),
    ({"Content-Type": "application/json; charset=klingon"}, b'{"function": "HealthCheck"}', 415,
     "unsupported_media_type"),
    ({"Content-Type": "application/json"}, b'{"function": "HealthCheck"', 400, "invalid_json"),
    ({"Content-Type": "application/json", "Content-Encoding": "gzip"}, b"not gzip", 400, "invalid_json"),
    ({"Content-Type": "application/json"}, b'["HealthCheck"]', 200, "bad_request"),
])
def test_unreadable_requests_get_the_error_envelope(emulator: DedicatedServerEmulator, headers: dict[str, str],
                                                    body: bytes, status: int, code: str) -> None:
    answer = post(emulator, body, headers)
    assert answer.status_code == status and answer.json()["errorCode"] == code and answer.json()["errorMessage"]


def test_other_charsets_are_decoded(emulator: DedicatedServerEmulator) -> None:
    body = json.dumps({"function": "SaveGame", "data": {"SaveName": "Fabrik Süd"}}, ensure_ascii=False)
    answer = post(emulator, body.encode("latin-1"), {"Content-Type": "application/json; charset=iso-8859-1"})
    assert answer.status_code == 204 and emulator.saves == ["Fabrik Süd"]


def test_queries_without_data_also_answer_get(emulator: DedicatedServerEmulator) -> None:
    with httpx.Client(verify=pinned(emulator.certificate), timeout=5.0) as http:
        headers = {"Authorization": f"Bearer {emulator.token}"}
        state = http.get(emulator.base_url + "/api/v1", params={"function": "QueryServerState"}, headers=headers)
        shutdown = http.get(emulator.base_url + "/api/v1/", params={"function": "Shutdown"}, headers=headers)
    assert state.status_code == 200 and state.json()["data"]["serverGameState"]["activeSessionName"]
    assert shutdown.json()["errorCode"] == "bad_request" and emulator.shutdowns == 0 and emulator.running
