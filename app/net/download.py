"""Downloading mod archives: streamed to disk with progress, resumable, size-checked and hashed on the way.

`Downloader.download(url)` resolves the link (`app.net.links`), follows the Forge's 307 to the file host, and streams
the answer into ``<directory>/<sha1(url)>.part`` in 1 MiB chunks while computing its SHA-256. A JSON sidecar next to
the part records the validators (ETag / Last-Modified) and the size the server announced, so an interrupted
download (a broken connection, a cancel, a crash) continues with ``Range`` + ``If-Range`` instead of starting over:
automatically a bounded number of times within one call, and on the next call. The finished file is moved to
``<directory>/<sha1(url)[:16]>/<file name>`` once its size matches every size that was announced.

At most `max_parallel` downloads stream at once; the rest queue. Forge download routes are limited to 5 per minute
per mod on the client side (the site answers 429 beyond that), and a 429 that comes anyway is waited out.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import re
import time
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any, BinaryIO, TypeVar
from urllib.parse import unquote, urlsplit

import httpx

from app.core.fileio import atomic_write_text
from app.net.http import RateLimiter
from app.net.links import (
    GITHUB_API,
    DownloadCancelled,
    DownloadError,
    NotADirectLink,
    refuse_landing_page,
    resolve_link,
)

__all__ = ["DownloadCancelled", "DownloadError", "DownloadProgress", "DownloadedFile", "Downloader",
           "NotADirectLink"]

CHUNK_SIZE = 1 << 20
PROGRESS_INTERVAL = 0.1  # seconds between progress reports: at most ~10 a second
SPEED_SMOOTHING = 0.3  # weight of the newest interval in the speed's moving average
MAX_FAILURES = 5  # failed attempts in a row (none of them bringing new bytes) before a download gives up
MAX_ATTEMPTS = 20  # attempts in one call however much each brings: a host that always cuts cannot loop forever
FORGE_RATE_LIMITED_WAITS = 3  # 429s from the Forge's download route waited out in one call
FORGE_RETRY_AFTER = 60.0  # the route's 429 is a plain HTML page without Retry-After; its window is a minute
LIMIT_MARGIN = 1.05  # the per-mod window is stretched so network jitter cannot squeeze six requests into a minute
MAX_WAIT = 300.0
_FORGE_ROUTE = re.compile(r"^/mod/download/(\d+)/[^/]+/[^/]+/?$")
_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$")
_KNOWN_SUFFIXES = (".7z", ".zip", ".rar", ".dll", ".tar", ".gz", ".xz")
_UNSAFE_NAME = re.compile(r'[\x00-\x1f<>:"/\\|?*]')
_WINDOWS_DEVICES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}

T = TypeVar("T")


@dataclass(frozen=True)
class DownloadProgress:
    """A download's state, reported at most ~10 times a second and once at the end."""

    url: str
    received: int  # bytes received so far, including those of a resumed partial file
    total: int | None  # None when the server did not say and no size was expected
    speed: float  # bytes per second, smoothed

    @property
    def eta(self) -> float | None:
        """Seconds left at the current speed; None while that cannot be known."""
        if self.total is None:
            return None
        if self.received >= self.total:
            return 0.0
        return (self.total - self.received) / self.speed if self.speed > 0 else None


@dataclass(frozen=True)
class DownloadedFile:
    path: Path
    url: str  # the final URL, after link resolution and redirects
    size: int
    sha256: str
    file_name: str  # from Content-Disposition or the URL's path
    resumed: bool  # True when a Range request continued a partial file


class _Retry(Exception):
    """This attempt failed in a way another attempt may fix; `wait` seconds before it (None: back off)."""

    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


class _RateLimited(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


class Downloader:
    """Downloads into `directory` (Kappa's downloads folder), sharing one httpx client."""

    def __init__(self, directory: Path, *, client: httpx.AsyncClient, max_parallel: int = 3,
                 github_api: str = GITHUB_API, per_mod_limit: tuple[int, float] = (5, 60.0),
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if max_parallel < 1:
            raise ValueError("max_parallel must be at least 1")
        self.directory = Path(directory)
        self.client = client
        self.max_parallel = max_parallel
        self.github_api = github_api.rstrip("/")
        self.per_mod_limit = per_mod_limit
        self.sleep = sleep
        self.clock = clock
        self._slots = asyncio.Semaphore(max_parallel)
        self._limiters: dict[str, RateLimiter] = {}
        self._busy: dict[str, asyncio.Lock] = {}
        # Writing and hashing run here, one chunk behind the network (hashlib and file writes release the GIL).
        self._disk = ThreadPoolExecutor(max_workers=max_parallel, thread_name_prefix="kappa-download")

    async def download(self, url: str, *, expected_size: int | None = None, mod_key: str | None = None,
                       progress: Callable[[DownloadProgress], None] | None = None,
                       cancel: asyncio.Event | None = None) -> DownloadedFile:
        """Download `url` (resolved and followed) and return the finished file.

        `expected_size`: what the Forge announced (`content_length`); any other size is refused. `mod_key`: the
        key of the per-mod limit for Forge download routes (default: the mod id in the route). `cancel`: set it to
        stop; the partial file stays for the next attempt and `DownloadCancelled` is raised.
        """
        if cancel is not None and cancel.is_set():
            raise _cancelled(url)
        return await _unless_cancelled(self._download(url, expected_size, mod_key, progress), cancel, url)

    async def _download(self, url: str, expected_size: int | None, mod_key: str | None,
                        progress: Callable[[DownloadProgress], None] | None) -> DownloadedFile:
        direct = await resolve_link(url, self.client, self.github_api)
        job = _Job(url, direct, self.directory, expected_size, _Meter(url, progress, self.clock), self._disk)
        limiter = self._limiter_for(direct, mod_key)
        async with self._busy.setdefault(job.key, asyncio.Lock()), self._slots:
            try:
                await job.prepare()
                return await self._attempts(job, limiter)
            except OSError as exc:
                raise DownloadError(f"Kappa could not write in its downloads folder {self.directory}: "
                                    f"{exc.strerror or exc} (is the disk full or the folder read-only?).") from None
            finally:
                job.close()

    def _limiter_for(self, url: str, mod_key: str | None) -> RateLimiter | None:
        """The per-mod sliding window of a Forge download route, or None for any other link."""
        parts = urlsplit(url)
        route = _FORGE_ROUTE.match(parts.path)
        if route is None:
            return None
        key = mod_key or f"{parts.netloc}/mod/{route.group(1)}"
        if key not in self._limiters:
            limit, period = self.per_mod_limit
            self._limiters[key] = RateLimiter([(limit, period * LIMIT_MARGIN)], clock=self.clock, sleep=self.sleep)
        return self._limiters[key]

    async def _attempts(self, job: _Job, limiter: RateLimiter | None) -> DownloadedFile:
        failures = attempts = rate_limited = 0
        while True:
            attempts += 1
            before = job.received
            try:
                return await self._attempt(job, limiter)
            except _RateLimited as limited:
                rate_limited += 1
                if limiter is None or rate_limited > FORGE_RATE_LIMITED_WAITS:
                    raise DownloadError(f"The Forge keeps refusing to hand out {job.describe()} (it allows 5 "
                                        "downloads a minute per mod). Try again in a few minutes.") from None
                limiter.block_for(limited.seconds)  # the next acquire() waits it out, and so does every sibling
                continue
            except _Retry as retry:
                failures = 1 if job.received > before else failures + 1  # progress resets the count
                if failures >= MAX_FAILURES or attempts >= MAX_ATTEMPTS:
                    raise DownloadError(f"The download of {job.describe()} failed {attempts} times "
                                        f"({retry.reason}). What arrived is kept: downloading it again continues "
                                        "where it stopped.") from None
                await self.sleep(retry.wait if retry.wait is not None else min(8.0, 0.25 * 2 ** (failures - 1)))

    async def _attempt(self, job: _Job, limiter: RateLimiter | None) -> DownloadedFile:
        target = job.retry_url or job.direct
        if limiter is not None and _FORGE_ROUTE.match(urlsplit(target).path):
            await limiter.acquire()
        try:
            async with self.client.stream("GET", target, headers=job.request_headers()) as response:
                _check_status(job, response)
                job.retry_url = str(response.url)  # retries skip the Forge route: it would count them
                await job.begin(response)
                await _stream_body(job, response)
        except httpx.UnsupportedProtocol:
            raise DownloadError(f"{job.describe()} led to a link Kappa cannot download (not http or https).") from None
        except httpx.TooManyRedirects:
            raise DownloadError(f"{job.describe()} redirects in circles; the link is broken.") from None
        except httpx.TransportError as exc:
            raise _Retry(_transport_reason(exc)) from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise DownloadError(f"The download of {job.describe()} failed: {exc}.") from None
        return await job.finish()


async def _stream_body(job: _Job, response: httpx.Response) -> None:
    """Write the body in ~1 MiB pieces; what arrived before a broken connection or a cancel is kept (resumable)."""
    pieces: list[bytes] = []
    buffered = 0
    first = job.received == 0
    try:
        async for data in response.aiter_bytes():
            if first and _looks_like_html(data):
                job.discard()
                raise refuse_landing_page(job.url, str(response.url))
            first = False
            pieces.append(data)
            buffered += len(data)
            if buffered >= CHUNK_SIZE:
                await job.write(b"".join(pieces))
                pieces.clear()
                buffered = 0
            job.meter.update(job.received + buffered)
    except (httpx.TransportError, asyncio.CancelledError):
        job.keep(b"".join(pieces))
        raise
    if pieces:
        await job.write(b"".join(pieces))


def _check_status(job: _Job, response: httpx.Response) -> None:
    """Raise for every answer that is not the file (or the part of it) that was asked for."""
    status = response.status_code
    if status == 429 and _FORGE_ROUTE.match(response.url.path):
        raise _RateLimited(_retry_after(response.headers.get("Retry-After"), FORGE_RETRY_AFTER))
    if status == 429 or status == 408 or status >= 500:
        wait = _retry_after(response.headers.get("Retry-After"), 0.0) if status != 408 else None
        raise _Retry(f"{response.url.host} answered HTTP {status}", wait or None)
    if status == 416:
        job.discard()  # our partial copy is longer than the file now on the server: start over
        raise _Retry(f"{response.url.host} no longer has the part Kappa was continuing")
    if status >= 400:
        job.discard()
        raise DownloadError(f"{response.url.host} answered HTTP {status} ({response.reason_phrase or 'error'}) for "
                            f"{job.describe()}: the file is not available there. If the mod's page still offers it, "
                            "download it in your browser and drop the file onto Kappa.")
    if status not in (200, 206):
        raise DownloadError(f"{response.url.host} answered HTTP {status} for {job.describe()} instead of the file.")
    if _is_html(response.headers.get("Content-Type")):
        job.discard()
        raise refuse_landing_page(job.url, str(response.url))


class _Job:
    """One download's partial file: its sidecar, its hash so far, and the checks of the finished file."""

    def __init__(self, url: str, direct: str, directory: Path, expected_size: int | None, meter: _Meter,
                 disk: ThreadPoolExecutor) -> None:
        self.url = url
        self.direct = direct
        self.directory = directory
        self.expected_size = expected_size
        self.meter = meter
        self.key = hashlib.sha1(url.encode()).hexdigest()
        self.part = directory / f"{self.key}.part"
        self.sidecar = directory / f"{self.key}.part.json"
        self.retry_url: str | None = None
        self.received = 0
        self.hasher = hashlib.sha256()
        self.etag: str | None = None
        self.last_modified: str | None = None
        self.total: int | None = None  # what the server announced for the whole file
        self.file_name: str | None = None
        self.resumed = False
        self._writer: _PartWriter | None = None
        self._disk = disk

    def describe(self) -> str:
        """How messages name this download: the file's name once known, else the link."""
        return self.file_name or _describe_link(self.url)

    # -- the partial file

    async def prepare(self) -> None:
        """Continue a partial file a previous attempt left (when it can be checked), or start clean."""
        self.directory.mkdir(parents=True, exist_ok=True)
        state = _read_sidecar(self.sidecar)
        size = self.part.stat().st_size if self.part.is_file() else 0
        if state is None or not _resumable(state, self.url, size):
            self.discard()
            return
        self.hasher = await asyncio.to_thread(_hash_file, self.part)  # the bytes already here count in the hash
        self.received = size
        self.etag, self.last_modified, self.total = state["etag"], state["last_modified"], state["total"]

    def request_headers(self) -> dict[str, str]:
        # identity: sizes and ranges then count the file's own bytes, not a compressed form of them
        headers = {"Accept": "*/*", "Accept-Encoding": "identity"}
        if self.received > 0 and (self.etag or self.last_modified):
            headers["Range"] = f"bytes={self.received}-"
            headers["If-Range"] = self.etag or self.last_modified or ""
        return headers

    def discard(self) -> None:
        """Forget the partial file: the next bytes start a new one."""
        self.close()
        with contextlib.suppress(FileNotFoundError):
            self.part.unlink()
        with contextlib.suppress(FileNotFoundError):
            self.sidecar.unlink()
        self.received, self.hasher, self.total, self.resumed = 0, hashlib.sha256(), None, False

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    # -- one answer

    async def begin(self, response: httpx.Response) -> None:
        """Take the answer's headers: continue the partial file (206) or restart it (200), then open it."""
        headers = response.headers
        etag = _strong_etag(headers.get("ETag"))
        if response.status_code == 206:
            self._continue(headers, etag)
        else:
            if self.received:
                self.discard()  # a whole file answers a Range request: what we had is stale (or ranges unsupported)
            self.total = _content_length(headers)
        self.etag, self.last_modified = etag, headers.get("Last-Modified")
        self.file_name = _file_name(headers.get("Content-Disposition"), [str(response.url), self.direct, self.url])
        self._check_announced_size()
        self.close()
        await asyncio.to_thread(atomic_write_text, self.sidecar, json.dumps(
            {"url": self.url, "etag": self.etag, "last_modified": self.last_modified, "total": self.total}))
        handle = self.part.open("ab" if self.received else "wb")
        self._writer = _PartWriter(handle, self.hasher, self._disk)
        self.meter.start(self.received, self.total if self.total is not None else self.expected_size)

    def _continue(self, headers: httpx.Headers, etag: str | None) -> None:
        match = _CONTENT_RANGE.match(headers.get("Content-Range", ""))
        if match is None or int(match.group(1)) != self.received or (self.etag and etag and etag != self.etag):
            self.discard()  # not the rest of *our* partial file
            raise _Retry("the server sent a different part of the file than Kappa asked for", 0.0)
        self.total = int(match.group(3)) if match.group(3) != "*" else None
        self.resumed = self.received > 0

    def _check_announced_size(self) -> None:
        if self.expected_size is not None and self.total is not None and self.total != self.expected_size:
            total = self.total
            self.discard()
            raise DownloadError(f"{self.describe()} on the server is {total:,} bytes, but the Forge announced "
                                f"{self.expected_size:,}: the file changed since it was published. Nothing was kept.")

    async def write(self, chunk: bytes) -> None:
        assert self._writer is not None
        limit = self.total if self.total is not None else self.expected_size
        if limit is not None and self.received + len(chunk) > limit:
            self.discard()
            raise DownloadError(f"{self.describe()} is larger than the {limit:,} bytes announced: refused, and "
                                "nothing was kept.")
        try:
            await self._writer.write(chunk)
        except OSError as exc:
            raise DownloadError(f"Kappa could not write {self.part}: {exc.strerror} (is the disk full?). What "
                                "arrived is kept.") from None
        self.received += len(chunk)

    def keep(self, chunk: bytes) -> None:
        """Write what arrived before the stream stopped, at once (no await: this runs while a cancel unwinds)."""
        limit = self.total if self.total is not None else self.expected_size
        if not chunk or self._writer is None or (limit is not None and self.received + len(chunk) > limit):
            return
        with contextlib.suppress(OSError):  # only costs the resume those bytes
            self._writer.write_now(chunk)
            self.received += len(chunk)

    async def finish(self) -> DownloadedFile:
        """Check the size against everything announced, then move the part to its final name."""
        assert self._writer is not None
        await self._writer.drain()
        self.close()
        for announced, source in ((self.total, "the server"), (self.expected_size, "the Forge")):
            if announced is not None and self.received != announced:
                received = self.received
                self.discard()
                raise DownloadError(f"{self.describe()} arrived with {received:,} bytes, but {source} announced "
                                    f"{announced:,}: the download is incomplete or the file changed. Nothing was "
                                    "kept; try again.")
        name = self.file_name or "download"
        final = self.directory / self.key[:16] / name
        await asyncio.to_thread(_move, self.part, final)
        with contextlib.suppress(FileNotFoundError):
            self.sidecar.unlink()
        self.meter.finish(self.received)
        return DownloadedFile(final, self.retry_url or self.direct, self.received, self.hasher.hexdigest(), name,
                              self.resumed)


class _PartWriter:
    """Appends chunks to the part file and hashes them in a worker thread, one chunk behind the network.

    A chunk handed to the worker is always written, even when the download is cancelled meanwhile: the file on
    disk must be exactly the bytes hashed and counted, in order, or a resumed download would have a hole.
    """

    def __init__(self, handle: BinaryIO, hasher: Any, executor: ThreadPoolExecutor) -> None:
        self._handle = handle
        self._hasher = hasher
        self._executor = executor
        self._pending: Future[None] | None = None

    async def write(self, chunk: bytes) -> None:
        await self.drain()
        self._pending = self._executor.submit(self._write, chunk)

    async def drain(self) -> None:
        """Wait for the chunk in the worker; a cancel does not stop that chunk (shield), it only stops waiting."""
        if self._pending is not None and not self._pending.done():
            await asyncio.shield(asyncio.wrap_future(self._pending))
        self._settle()

    def write_now(self, chunk: bytes) -> None:
        self._settle()
        self._write(chunk)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._settle()  # blocks for at most one chunk's write, so that nothing writes after the close
        self._handle.close()

    def _settle(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()  # raises the worker's OSError, if any

    def _write(self, chunk: bytes) -> None:
        self._handle.write(chunk)
        self._hasher.update(chunk)


class _Meter:
    """Turns bytes received into `DownloadProgress` reports: ~10 a second at most, speed smoothed."""

    def __init__(self, url: str, callback: Callable[[DownloadProgress], None] | None,
                 clock: Callable[[], float]) -> None:
        self.url = url
        self.callback = callback
        self.clock = clock
        self.total: int | None = None
        self.speed = 0.0
        self._began: tuple[float, int] | None = None  # (time, bytes) when this call's first answer arrived
        self._last: tuple[float, int] = (0.0, 0)
        self._sampled = False

    def start(self, received: int, total: int | None) -> None:
        self.total = total
        now = self.clock()
        if self._began is None:
            self._began = (now, received)
            self._last = (now, received)
            self._report(received)
        else:
            self._last = (now, received)  # a retry: the gap is not a slow-down to average in

    def update(self, received: int) -> None:
        now = self.clock()
        last_time, last_bytes = self._last
        if now - last_time < PROGRESS_INTERVAL:
            return
        instant = (received - last_bytes) / (now - last_time)
        self.speed = instant if not self._sampled else self.speed + SPEED_SMOOTHING * (instant - self.speed)
        self._sampled = True
        self._last = (now, received)
        self._report(received)

    def finish(self, received: int) -> None:
        if not self._sampled and self._began is not None:
            elapsed = self.clock() - self._began[0]  # too short for a sample: the average is the best figure
            self.speed = (received - self._began[1]) / elapsed if elapsed > 0 else 0.0
        self.total = received
        self._report(received)

    def _report(self, received: int) -> None:
        if self.callback is not None:
            self.callback(DownloadProgress(self.url, received, self.total, self.speed))


# -- helpers ---------------------------------------------------------------------------------------------------


async def _unless_cancelled(work: Coroutine[Any, Any, T], cancel: asyncio.Event | None, url: str) -> T:
    """Run `work`; when `cancel` is set first, stop it (its cleanup runs) and raise `DownloadCancelled`."""
    task = asyncio.ensure_future(work)
    if cancel is None:
        return await task
    stop = asyncio.ensure_future(cancel.wait())
    try:
        await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        task.cancel()
        await asyncio.wait({task})
        raise
    finally:
        stop.cancel()
    if task.done():
        return task.result()
    task.cancel()
    await asyncio.wait({task})
    if not task.cancelled():
        task.exception()  # retrieved: the cancel is what the caller asked for and hears about
    raise _cancelled(url)


def _cancelled(url: str) -> DownloadCancelled:
    return DownloadCancelled(f"The download of {_describe_link(url)} was cancelled. What arrived is kept: "
                             "downloading it again continues where it stopped.")


def _read_sidecar(path: Path) -> dict[str, Any] | None:
    """The sidecar's fields, or None when it is missing or not what Kappa wrote (then the part starts over)."""
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(state, dict) or not isinstance(state.get("url"), str):
        return None
    state = {"url": state["url"], "etag": state.get("etag"), "last_modified": state.get("last_modified"),
             "total": state.get("total")}
    texts = all(isinstance(state[name], str | None) for name in ("etag", "last_modified"))
    total = state["total"]
    return state if texts and (total is None or (isinstance(total, int) and total >= 0)) else None


def _resumable(state: dict[str, Any], url: str, size: int) -> bool:
    """A part can be continued when it is this URL's, a validator can prove the server's file is the same, and it
    is neither empty nor already as long as the whole file (a crash just before the rename: cheaper to refetch)."""
    total = state.get("total")
    has_validator = bool(state.get("etag") or state.get("last_modified"))
    return state.get("url") == url and has_validator and size > 0 and (total is None or size < total)


def _hash_file(path: Path) -> Any:
    hasher = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(CHUNK_SIZE):
            hasher.update(chunk)
    return hasher


def _move(part: Path, final: Path) -> None:
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(part, final)


def _strong_etag(value: str | None) -> str | None:
    """If-Range only accepts a strong validator; a weak ETag (W/"...") cannot prove the bytes are the same."""
    if not value or value.strip().startswith("W/"):
        return None
    return value.strip()


def _content_length(headers: httpx.Headers) -> int | None:
    if headers.get("Content-Encoding", "identity").lower() != "identity":
        return None  # the length of the encoded body, not of the file
    value = headers.get("Content-Length", "")
    return int(value) if value.isdigit() else None


def _is_html(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media in ("text/html", "application/xhtml+xml")


def _looks_like_html(chunk: bytes) -> bool:
    """A page sent as application/octet-stream (some hosts do): no archive starts like this."""
    start = chunk[:64].lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html"))


def _retry_after(value: str | None, default: float) -> float:
    if value and value.strip().isdigit():
        return min(float(value.strip()), MAX_WAIT)
    return default


def _transport_reason(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "the server stopped sending"
    if isinstance(exc, httpx.ConnectError):
        return "the server could not be reached"
    return "the connection broke"


def _file_name(disposition: str | None, urls: list[str]) -> str:
    """The name the server gives (Content-Disposition), else the first URL path ending like an archive."""
    name = None
    if disposition:
        message = Message()
        message["Content-Disposition"] = disposition
        name = message.get_filename()
    if not name:
        segments = [_last_segment(url) for url in urls]
        name = next((s for s in segments if s.lower().endswith(_KNOWN_SUFFIXES)), None) or segments[0]
    return _safe_name(name)


def _describe_link(url: str) -> str:
    """A file name when the link ends with one (".../SAIN-3.2.0.7z"), else the whole link."""
    segment = _last_segment(url)
    return segment if segment.lower().endswith(_KNOWN_SUFFIXES) else url


def _last_segment(url: str) -> str:
    return unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])


def _safe_name(name: str) -> str:
    """A file name that is valid on every system and cannot leave the folder it is written to."""
    name = _UNSAFE_NAME.sub("_", name.replace("\\", "/").rsplit("/", 1)[-1]).strip().rstrip(". ").lstrip(".")
    if name.partition(".")[0].lower() in _WINDOWS_DEVICES:
        name = f"_{name}"
    if len(name) > 150:
        suffix = Path(name).suffix if len(Path(name).suffix) <= 10 else ""
        name = name[:150 - len(suffix)] + suffix
    return name or "download"
