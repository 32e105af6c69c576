"""Kappa's one HTTP layer: the httpx client factory, retries, the client-side rate limiter and the response cache.

Every client in Kappa (the Forge, later the Fika and dedicated-server panels, downloads) gets its
`httpx.AsyncClient` from `create_client`, so timeouts, redirects, the User-Agent and TLS settings are decided
in one place. `ApiClient` adds what a JSON API needs on top: base URL with optional mirrors, retries with
back-off and jitter, a shared rate limiter that honours `Retry-After`, and a persistent cache that honours
`Cache-Control: max-age` and answers from stale entries when every server is unreachable (offline mode).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import json
import random
import socket
import sqlite3
import ssl
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from app import __version__
from app.core.errors import KappaError

USER_AGENT = f"Kappa/{__version__} (SPT mod manager)"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
# The Forge's edge limits are 40 requests / 10 s and 200 / 60 s. The windows are stretched by 5% so that
# jitter in network latency can never squeeze two requests granted a full window apart into one.
FORGE_LIMITS: tuple[tuple[int, float], ...] = ((40, 10.5), (200, 63.0))
DEFAULT_RETRY_AFTER = 30.0
MAX_RETRY_AFTER = 300.0

Params = Mapping[str, str | int]


class NetworkError(KappaError):
    """No server could be reached (after retries, and with no cached answer to fall back on)."""


class ServerUnreachable(NetworkError):
    """A game server (Fika, dedicated) did not answer. `reason` is short, for a status line ("connection refused");
    `certificate_rejected` tells the caller to look at the certificate (see app/net/tls.py)."""

    def __init__(self, what: str, reason: str, *, certificate_rejected: bool = False) -> None:
        super().__init__(f"{what} cannot be reached: {reason}")
        self.reason = reason
        self.certificate_rejected = certificate_rejected


def unreachable(exc: httpx.TransportError, what: str) -> ServerUnreachable:
    """The words for a failed connection, from the OS or TLS error underneath httpx's."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return ServerUnreachable(what, "its certificate was not accepted", certificate_rejected=True)
        if isinstance(cause, ssl.SSLError):
            return ServerUnreachable(what, f"the secure connection failed ({cause.reason or cause})")
        if isinstance(cause, ConnectionRefusedError):
            return ServerUnreachable(what, "connection refused")
        if isinstance(cause, socket.gaierror):
            return ServerUnreachable(what, "the host name is unknown")
        cause = cause.__cause__ or cause.__context__
    return ServerUnreachable(what, _describe(exc))


class MalformedResponse(KappaError):
    """A server answered with something that is not the JSON it promised."""


def _read_in_bigger_pieces() -> None:
    """httpcore reads at most 64 KiB per socket read, and each read costs a round through its async machinery:
    on a fast link that overhead, not the network, bounds a download (bench/install.py measured 1.7x curl's
    time over loopback with 64 KiB, 1.2-1.3x with 1 MiB). A bigger read limit only allows bigger reads; it does
    not hold more in memory than arrives. The attribute is httpcore's own; without it nothing changes."""
    from httpcore._async.http11 import AsyncHTTP11Connection

    if getattr(AsyncHTTP11Connection, "READ_NUM_BYTES", 0) < 2**20:
        AsyncHTTP11Connection.READ_NUM_BYTES = 2**20


_read_in_bigger_pieces()



async def load_async_backend() -> None:
    """Load the async backend httpx runs on now: httpcore imports anyio's asyncio backend on the first request,
    and a GUI that imports two dozen modules mid-check stalls for tens of milliseconds."""
    import anyio

    await anyio.sleep(0)

def create_client(*, timeout: httpx.Timeout = DEFAULT_TIMEOUT, verify: ssl.SSLContext | bool = True,
                  transport: httpx.AsyncBaseTransport | None = None,
                  headers: Mapping[str, str] | None = None) -> httpx.AsyncClient:
    """The one `httpx.AsyncClient` factory used by every client in Kappa."""
    return httpx.AsyncClient(
        timeout=timeout,
        follow_redirects=True,  # httpx does not by default; Forge downloads are 307 redirects
        headers={"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})},
        limits=httpx.Limits(max_connections=8, max_keepalive_connections=4),
        verify=verify,
        transport=transport,
    )


class RateLimiter:
    """Grants request slots so that no sliding window ever holds more requests than its limit.

    One limiter is shared by every task talking to a host, however many there are. A 429 answer blocks all of
    them until its `Retry-After` has passed.
    """

    def __init__(self, windows: Sequence[tuple[int, float]] = FORGE_LIMITS, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.windows = [(limit, period, deque[float]()) for limit, period in windows]
        self.clock = clock
        self.sleep = sleep
        self.blocked_until = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:  # FIFO: waiting tasks are granted in the order they asked
            while (wait := self._wait_needed(self.clock())) > 0:
                await self.sleep(wait)
            now = self.clock()
            for _, _, granted in self.windows:
                granted.append(now)

    def block_for(self, seconds: float) -> None:
        self.blocked_until = max(self.blocked_until, self.clock() + seconds)

    def _wait_needed(self, now: float) -> float:
        wait = self.blocked_until - now
        for limit, period, granted in self.windows:
            while granted and granted[0] <= now - period:
                granted.popleft()
            if len(granted) >= limit:
                wait = max(wait, granted[0] + period - now)
        return wait


@dataclass(frozen=True)
class CachedAnswer:
    status: int
    headers: dict[str, str]
    content: bytes
    base_url: str
    stored_at: float  # wall-clock seconds (time.time()), so that freshness survives a restart
    max_age: float


class ResponseCache:
    """A persistent cache of successful GET answers in one SQLite file in Kappa's data dir."""

    def __init__(self, file: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.file = file
        self.clock = clock

    async def get(self, key: str) -> CachedAnswer | None:
        return await asyncio.to_thread(self._get, key)

    async def put(self, key: str, answer: CachedAnswer) -> None:
        await asyncio.to_thread(self._put, key, answer)

    def _connect(self) -> sqlite3.Connection:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.file, timeout=10)
        connection.execute(
            "CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, status INTEGER, headers TEXT, "
            "content BLOB, base_url TEXT, stored_at REAL, max_age REAL)")
        return connection

    def _get(self, key: str) -> CachedAnswer | None:
        try:
            with contextlib.closing(self._connect()) as db:
                row = db.execute("SELECT status, headers, content, base_url, stored_at, max_age FROM answers "
                                 "WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error:
            return None  # a broken cache file only costs requests
        if row is None:
            return None
        return CachedAnswer(row[0], json.loads(row[1]), row[2], row[3], row[4], row[5])

    def _put(self, key: str, answer: CachedAnswer) -> None:
        try:
            with contextlib.closing(self._connect()) as db, db:
                db.execute("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?, ?)",
                           (key, answer.status, json.dumps(answer.headers), answer.content, answer.base_url,
                            answer.stored_at, answer.max_age))
        except sqlite3.Error:
            pass

    def age_of(self, answer: CachedAnswer) -> float:
        return max(0.0, self.clock() - answer.stored_at)

    def is_fresh(self, answer: CachedAnswer) -> bool:
        return self.age_of(answer) < answer.max_age


@dataclass(frozen=True)
class JsonResponse:
    """An API answer, from the network or from the cache."""

    status: int
    content: bytes
    headers: Mapping[str, str]
    base_url: str  # which server answered (the primary or a mirror)
    from_cache: bool = False
    offline: bool = False  # served from the cache because no server could be reached
    age: float = 0.0  # seconds since the answer left the server
    url: str = ""

    def json(self) -> Any:
        try:
            return json.loads(self.content)
        except (ValueError, UnicodeDecodeError):
            snippet = self.content[:80].decode("utf-8", "replace").strip() or "an empty body"
            raise MalformedResponse(f"{self.base_url} answered with something that is not JSON "
                                    f"(HTTP {self.status}: {snippet!r})") from None


@dataclass
class RetryPolicy:
    attempts: int = 4  # per base URL, for connection errors, timeouts and 5xx
    backoff: float = 0.5  # first delay; doubles each attempt
    max_backoff: float = 30.0
    rate_limited_waits: int = 8  # how many 429s in a row are waited out before giving up
    max_retry_after: float = MAX_RETRY_AFTER
    jitter: Callable[[float, float], float] = field(default=random.uniform)

    def delay(self, attempt: int) -> float:
        """Exponential back-off with "equal jitter": half fixed, half random, so retries of many clients spread."""
        ceiling = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        return ceiling / 2 + self.jitter(0.0, ceiling / 2)


class _BaseUnreachable(Exception):
    def __init__(self, base_url: str, reason: str) -> None:
        super().__init__(reason)
        self.base_url = base_url
        self.reason = reason


class ApiClient:
    """A JSON API at a base URL (plus optional mirrors), with retries, rate limiting and caching."""

    def __init__(self, base_urls: Sequence[str], *, client: httpx.AsyncClient, limiter: RateLimiter | None = None,
                 cache: ResponseCache | None = None, token: str | None = None,
                 retry: RetryPolicy | None = None, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 clock: Callable[[], float] = time.monotonic, down_for: float = 60.0) -> None:
        if not base_urls:
            raise ValueError("at least one base URL is needed")
        self.base_urls = [url.rstrip("/") for url in base_urls]
        self.client = client
        self.limiter = limiter
        self.cache = cache
        self.token = token
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.clock = clock
        self.down_for = down_for
        self._down: dict[str, tuple[float, str]] = {}  # base URL -> (skip it until, why)
        self.requests_sent = 0

    @property
    def primary(self) -> str:
        return self.base_urls[0]

    async def get(self, path: str, params: Params | None = None, *, use_cache: bool = True) -> JsonResponse:
        """GET `path`; a fresh cached answer costs no request, a stale one is the fallback when offline."""
        key = self.cache_key(path, params)
        cached = await self.cache.get(key) if self.cache else None
        if cached is not None and use_cache and self.cache and self.cache.is_fresh(cached):
            return self._from_cache(cached, key, offline=False)
        try:
            response = await self._request("GET", path, params=params)
        except NetworkError:
            if cached is not None:
                return self._from_cache(cached, key, offline=True)
            raise
        if self.cache is not None and response.status == 200:
            max_age = _max_age(response.headers)
            if max_age is not None:
                await self.cache.put(key, CachedAnswer(response.status, dict(response.headers), response.content,
                                                       response.base_url, self.cache.clock(), max_age))
        return response

    async def post(self, path: str, body: Any = None) -> JsonResponse:
        return await self._request("POST", path, body=body)

    def cache_key(self, path: str, params: Params | None) -> str:
        # Keyed by the primary URL, not by whoever answered: a mirror serves the same data.
        query = urlencode(sorted((k, str(v)) for k, v in (params or {}).items()))
        return f"{self.primary}{path}?{query}"

    def _from_cache(self, cached: CachedAnswer, key: str, *, offline: bool) -> JsonResponse:
        assert self.cache is not None
        return JsonResponse(cached.status, cached.content, cached.headers, cached.base_url, from_cache=True,
                            offline=offline, age=self.cache.age_of(cached), url=key)

    async def _request(self, method: str, path: str, *, params: Params | None = None,
                       body: Any = None) -> JsonResponse:
        failures: list[str] = []
        for base_url in self.base_urls:
            known_down = self._down.get(base_url)
            if known_down is not None and self.clock() < known_down[0]:
                failures.append(f"{base_url} ({known_down[1]})")
                continue  # retried a moment ago in vain: do not make every later request wait again
            try:
                response = await self._request_at(base_url, method, path, params, body)
            except _BaseUnreachable as unreachable:
                self._down[base_url] = (self.clock() + self.down_for, unreachable.reason)
                failures.append(f"{unreachable.base_url} ({unreachable.reason})")
                continue
            self._down.pop(base_url, None)
            return response
        raise NetworkError("could not reach " + " nor ".join(failures))

    async def _request_at(self, base_url: str, method: str, path: str, params: Params | None,
                          body: Any) -> JsonResponse:
        # The token belongs to the primary server; a mirror is somebody else and never sees it.
        headers = {"Authorization": f"Bearer {self.token}"} if self.token and base_url == self.primary else {}
        attempt = rate_limited = 0
        while True:
            if self.limiter is not None:
                await self.limiter.acquire()
            self.requests_sent += 1
            try:
                response = await self.client.request(method, base_url + path, params=params, json=body,
                                                     headers=headers)
            except httpx.TransportError as exc:
                attempt += 1
                if attempt >= self.retry.attempts:
                    raise _BaseUnreachable(base_url, _describe(exc)) from None
                await self.sleep(self.retry.delay(attempt))
                continue
            if response.status_code == 429:
                rate_limited += 1
                if rate_limited > self.retry.rate_limited_waits:
                    raise _BaseUnreachable(base_url, "it keeps answering 429 Too Many Requests")
                self._wait_out(response)
                continue
            if response.status_code >= 500:
                attempt += 1
                if attempt >= self.retry.attempts:
                    raise _BaseUnreachable(base_url, f"HTTP {response.status_code} after {attempt} attempts")
                await self.sleep(self.retry.delay(attempt))
                continue
            return JsonResponse(response.status_code, response.content, dict(response.headers), base_url,
                                url=str(response.url))

    def _wait_out(self, response: httpx.Response) -> None:
        seconds = min(_retry_after(response.headers.get("Retry-After")), self.retry.max_retry_after)
        if self.limiter is None:
            self.limiter = RateLimiter(windows=())  # even without limits, a 429 must pause every later request
        self.limiter.block_for(seconds)


def _retry_after(value: str | None) -> float:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return DEFAULT_RETRY_AFTER
    value = value.strip()
    if value.isdigit():
        return float(value)
    with contextlib.suppress(TypeError, ValueError):
        moment = email.utils.parsedate_to_datetime(value)
        return max(0.0, moment.timestamp() - time.time())
    return DEFAULT_RETRY_AFTER


def _max_age(headers: Mapping[str, str]) -> float | None:
    """How long an answer may be reused: None for `no-store`, 0 for `no-cache` or no max-age."""
    directives = [part.strip().lower() for part in headers.get("cache-control", "").split(",")]
    if "no-store" in directives or "private" in directives:
        return None
    if "no-cache" in directives:
        return 0.0
    for directive in directives:
        if directive.startswith("max-age="):
            with contextlib.suppress(ValueError):
                return max(0.0, float(directive.split("=", 1)[1]))
    return 0.0  # kept only as an offline fallback


def _describe(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "it did not answer in time"
    if isinstance(exc, httpx.ConnectError):
        return "the connection was refused or the host is unknown"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the connection was closed before an answer came"
    return f"the connection failed: {type(exc).__name__}"
