"""The HTTP layer over real sockets on 127.0.0.1: retries, Retry-After, the limiter, the cache and offline answers."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx
import pytest

from app.net.http import (
    USER_AGENT,
    ApiClient,
    MalformedResponse,
    NetworkError,
    RateLimiter,
    ResponseCache,
    RetryPolicy,
    create_client,
)
from tests.integration.scripted_server import Answer, ScriptedServer

FAST_RETRY = RetryPolicy(backoff=0.01, max_backoff=0.05)
CACHEABLE = {"Content-Type": "application/json", "Cache-Control": "public, max-age=300"}


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens there once the socket is closed


def _api(*urls: str, cache: ResponseCache | None = None, limiter: RateLimiter | None = None,
         timeout: float = 5.0, retry: RetryPolicy = FAST_RETRY) -> ApiClient:
    client = create_client(timeout=httpx.Timeout(timeout))
    return ApiClient(list(urls), client=client, cache=cache, limiter=limiter, retry=retry)


async def _get(api: ApiClient, path: str = "/ping"):  # type: ignore[no-untyped-def]
    async with api.client:
        return await api.get(path)


def test_client_names_kappa_and_follows_redirects() -> None:
    with ScriptedServer() as server:
        server.then(Answer(307, b"", {"Location": "/moved"}))
        response = asyncio.run(_get(_api(server.url)))
    assert response.status == 200
    assert [seen.path for seen in server.seen] == ["/ping", "/moved"]
    assert server.seen[0].headers["User-Agent"] == USER_AGENT


def test_server_errors_are_retried_until_an_answer_comes() -> None:
    with ScriptedServer() as server:
        server.then(Answer(500, b"oops"), Answer(503, b"<html>busy</html>"))
        response = asyncio.run(_get(_api(server.url)))
    assert response.status == 200 and response.json()["data"]["message"] == "pong"
    assert len(server.seen) == 3


def test_persistent_server_errors_become_a_clear_network_error() -> None:
    with ScriptedServer(Answer(500, b"oops")) as server, pytest.raises(NetworkError) as error:
        asyncio.run(_get(_api(server.url)))
    assert "HTTP 500 after 4 attempts" in str(error.value)
    assert len(server.seen) == 4


def test_timeouts_are_retried_then_reported_in_words() -> None:
    with ScriptedServer(Answer(delay=0.6)) as server, pytest.raises(NetworkError, match="did not answer in time"):
        asyncio.run(_get(_api(server.url, timeout=0.2, retry=RetryPolicy(attempts=2, backoff=0.01))))


def test_retry_after_pauses_every_request_until_it_has_passed() -> None:
    async def scenario(api: ApiClient) -> list[int]:
        async with api.client:
            first = asyncio.create_task(api.get("/mods/0"))
            await asyncio.sleep(0.3)  # the 429 has come back; its block is in force for every task
            rest = await asyncio.gather(*(api.get(f"/mods/{i}") for i in range(1, 6)))
            responses = [await first, *rest]
        return [r.status for r in responses]

    with ScriptedServer() as server:
        server.then(Answer(429, b'{"success":false,"code":"RATE_LIMITED"}', {"Retry-After": "1"}))
        statuses = asyncio.run(scenario(_api(server.url, limiter=RateLimiter())))
    assert statuses == [200] * 6
    first_429 = server.seen[0].at
    after = [seen.at - first_429 for seen in server.seen[1:]]
    assert len(after) == 6
    assert all(delay >= 0.95 for delay in after), "no request may be sent while Retry-After runs"


def test_limiter_never_grants_more_than_a_window_allows() -> None:
    now = [0.0]

    async def fake_sleep(seconds: float) -> None:
        now[0] += seconds

    limiter = RateLimiter(((40, 10.0), (200, 60.0)), clock=lambda: now[0], sleep=fake_sleep)
    granted: list[float] = []

    async def one() -> None:
        await limiter.acquire()
        granted.append(now[0])

    async def storm() -> None:
        await asyncio.gather(*(one() for _ in range(450)))

    asyncio.run(storm())
    assert len(granted) == 450
    for start in granted:
        assert sum(1 for t in granted if start <= t < start + 10.0) <= 40
        assert sum(1 for t in granted if start <= t < start + 60.0) <= 200
    assert granted[-1] >= 120.0  # 450 requests need at least two further full minutes


def test_fresh_answers_come_from_the_cache_even_after_a_restart(tmp_path: Path) -> None:
    cache_file = tmp_path / "http-cache.sqlite3"
    with ScriptedServer(Answer(headers=CACHEABLE)) as server:
        first = asyncio.run(_get(_api(server.url, cache=ResponseCache(cache_file))))
        second = asyncio.run(_get(_api(server.url, cache=ResponseCache(cache_file))))  # a new process, same file
    assert len(server.seen) == 1
    assert (first.from_cache, second.from_cache, second.offline) == (False, True, False)
    assert second.json() == first.json()


def test_max_age_zero_and_no_store_are_asked_every_time(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite3")
    for cache_control in ("max-age=0", "no-store"):
        answer = Answer(headers={"Cache-Control": cache_control, "Content-Type": "application/json"})
        with ScriptedServer(answer) as server:
            asyncio.run(_get(_api(server.url, cache=cache)))
            asyncio.run(_get(_api(server.url, cache=cache)))
        assert len(server.seen) == 2


def test_expired_answers_are_fetched_again(tmp_path: Path) -> None:
    now = [1000.0]
    cache = ResponseCache(tmp_path / "c.sqlite3", clock=lambda: now[0])
    with ScriptedServer(Answer(headers=CACHEABLE)) as server:
        asyncio.run(_get(_api(server.url, cache=cache)))
        now[0] += 301
        again = asyncio.run(_get(_api(server.url, cache=cache)))
    assert len(server.seen) == 2 and not again.from_cache


def test_offline_answers_come_from_the_cache_and_say_their_age(tmp_path: Path) -> None:
    now = [1000.0]
    cache = ResponseCache(tmp_path / "c.sqlite3", clock=lambda: now[0])
    with ScriptedServer(Answer(headers=CACHEABLE)) as server:
        url = server.url
        asyncio.run(_get(_api(url, cache=cache)))
    now[0] += 7200  # two hours later the server is gone
    answer = asyncio.run(_get(_api(url, cache=cache, retry=RetryPolicy(attempts=1))))
    assert answer.offline and answer.from_cache
    assert answer.age == pytest.approx(7200)
    assert answer.json()["data"]["message"] == "pong"


def test_unreachable_with_a_cold_cache_is_a_clear_message(tmp_path: Path) -> None:
    url = _closed_port_url()
    with pytest.raises(NetworkError) as error:
        asyncio.run(_get(_api(url, cache=ResponseCache(tmp_path / "c.sqlite3"), retry=RetryPolicy(attempts=2,
                                                                                               backoff=0.01))))
    assert str(error.value) == f"could not reach {url} (the connection was refused or the host is unknown)"


def test_the_mirror_answers_when_the_primary_is_down() -> None:
    primary = _closed_port_url()
    with ScriptedServer() as mirror:
        answer = asyncio.run(_get(_api(primary, mirror.url, retry=RetryPolicy(attempts=1))))
    assert answer.base_url == mirror.url and answer.status == 200


def test_malformed_json_is_reported_with_what_came() -> None:
    with ScriptedServer(Answer(body=b"<html>Just a moment...</html>")) as server:
        answer = asyncio.run(_get(_api(server.url)))
    with pytest.raises(MalformedResponse, match=r"not JSON .*Just a moment"):
        answer.json()


def test_a_damaged_cache_file_only_costs_requests(tmp_path: Path) -> None:
    cache_file = tmp_path / "c.sqlite3"
    cache_file.write_bytes(b"this is not a database" * 100)
    with ScriptedServer(Answer(headers=CACHEABLE)) as server:
        answer = asyncio.run(_get(_api(server.url, cache=ResponseCache(cache_file))))
    assert answer.status == 200


def test_token_is_sent_as_bearer_only_when_set() -> None:
    with ScriptedServer() as server:
        api = _api(server.url)
        api.token = "secret-token"
        asyncio.run(_get(api))
        asyncio.run(_get(_api(server.url)))
    assert server.seen[0].headers["Authorization"] == "Bearer secret-token"
    assert "Authorization" not in server.seen[1].headers


def test_retry_delays_grow_with_jitter() -> None:
    policy = RetryPolicy(backoff=1.0, max_backoff=8.0, jitter=lambda low, high: high)
    assert [policy.delay(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 8.0, 8.0]
    policy = RetryPolicy(backoff=1.0, max_backoff=8.0, jitter=lambda low, high: low)
    assert [policy.delay(n) for n in range(1, 5)] == [0.5, 1.0, 2.0, 4.0]



def test_the_token_never_goes_to_a_mirror() -> None:
    with ScriptedServer(Answer(500, b"down")) as primary, ScriptedServer() as mirror:
        api = _api(primary.url, mirror.url, retry=RetryPolicy(attempts=1))
        api.token = "secret-token"
        answer = asyncio.run(_get(api))
    assert answer.base_url == mirror.url
    assert primary.seen[0].headers["Authorization"] == "Bearer secret-token"
    assert "Authorization" not in mirror.seen[0].headers


def test_an_unreachable_server_is_skipped_for_a_while_after_retries_failed() -> None:
    async def scenario(api: ApiClient) -> list[str]:
        messages = []
        async with api.client:
            for _ in range(3):
                try:
                    await api.get("/ping")
                except NetworkError as error:
                    messages.append(str(error))
        return messages

    api = _api(_closed_port_url(), retry=RetryPolicy(attempts=3, backoff=0.01))
    messages = asyncio.run(scenario(api))
    assert len(messages) == 3 and len(set(messages)) == 1
    assert api.requests_sent == 3  # the first call tried three times; the next two did not try again


def test_a_server_back_up_is_used_again_after_the_pause() -> None:
    now = [0.0]
    with ScriptedServer() as server:
        api = ApiClient([server.url], client=create_client(), retry=RetryPolicy(attempts=1), clock=lambda: now[0])
        api._down[server.url] = (30.0, "was down")
        with pytest.raises(NetworkError, match="was down"):
            asyncio.run(_get(api))
        now[0] = 31.0
        api.client = create_client()
        assert asyncio.run(_get(api)).status == 200
