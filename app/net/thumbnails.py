"""`ThumbnailCache`: Forge mod thumbnails fetched in the background and kept on disk for the Browse view.

The Forge's image host refuses hotlinks: without `Referer: https://sp-mod.com/` (the site root of the configured
Forge, `Workspace.forge_site`) it answers 403, so every fetch sends it. A thumbnail is fetched once per URL: it is
stored under the cache directory (file name: the SHA-256 of the URL, written atomically), concurrent requests for
the same URL share one fetch, and at most a few fetches run at a time so that scrolling through results does not
crowd out the API. A thumbnail is decoration: every failure (refused, not an image, too big, unreachable) is logged
and answers None, never raises; a failed URL is not asked again for a few minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from app.core.fileio import atomic_write_bytes

log = logging.getLogger(__name__)

MAX_THUMBNAIL_BYTES = 2 * 1024 * 1024  # Forge thumbnails are a few hundred KiB at most; more is not a thumbnail
MAX_PARALLEL_FETCHES = 4
RETRY_FAILED_AFTER = 300.0  # seconds: a refused or broken thumbnail is not asked for again on every scroll
# SVG is left out: it is a document (scripts, external references), not a picture to decode blindly.
REFUSED_IMAGE_TYPES = frozenset({"image/svg+xml"})


class ThumbnailRefused(Exception):
    """Why one thumbnail was not stored (internal: `get` logs it and answers None)."""


@dataclass
class _Fetch:
    task: asyncio.Task[bytes | None]
    waiters: int = 0


class ThumbnailCache:
    """Thumbnails by URL: from the disk cache, or fetched with the Forge site as Referer and then cached.

    `client` is borrowed (its owner closes it). `referer` is the Forge site root, or a function giving the current
    one (e.g. `lambda: workspace.forge_site`, which follows a changed Forge URL setting).
    """

    def __init__(self, directory: Path, client: httpx.AsyncClient, referer: str | Callable[[], str],
                 max_files: int = 500, *,
                 max_bytes: int = MAX_THUMBNAIL_BYTES, max_parallel: int = MAX_PARALLEL_FETCHES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.directory = directory
        self.client = client
        self.referer = referer
        self.max_files = max_files
        self.max_bytes = max_bytes
        self.clock = clock
        self._slots = asyncio.Semaphore(max_parallel)
        self._fetches: dict[str, _Fetch] = {}
        self._failed: dict[str, float] = {}  # URL -> when it failed
        self.fetches_started = 0  # network requests sent (for tests and the curious)

    def path_for(self, url: str) -> Path:
        return self.directory / hashlib.sha256(url.encode("utf-8")).hexdigest()

    async def get(self, url: str) -> bytes | None:
        """The image bytes for `url`, or None when there is none to show. Cancelling the caller cancels the fetch
        only when nobody else is waiting for the same URL."""
        if not _is_web_url(url):
            return None
        failed_at = self._failed.get(url)
        if failed_at is not None and self.clock() - failed_at < RETRY_FAILED_AFTER:
            return None
        fetch = self._fetches.get(url)
        if fetch is None:
            fetch = _Fetch(asyncio.ensure_future(self._load(url)))
            self._fetches[url] = fetch
            fetch.task.add_done_callback(lambda _task, url=url, fetch=fetch: self._forget(url, fetch))
        fetch.waiters += 1
        try:
            return await asyncio.shield(fetch.task)
        finally:
            fetch.waiters -= 1
            if fetch.waiters == 0 and not fetch.task.done():
                # Nobody wants it any more (the results it was for were replaced): free the slot for others.
                self._forget(url, fetch)
                fetch.task.cancel()

    async def aclose(self) -> None:
        """Stop every fetch still running (the client itself belongs to the caller)."""
        fetches = list(self._fetches.values())
        self._fetches.clear()
        for fetch in fetches:
            fetch.task.cancel()
        await asyncio.gather(*(fetch.task for fetch in fetches), return_exceptions=True)

    # -- one URL

    def _forget(self, url: str, fetch: _Fetch) -> None:
        if self._fetches.get(url) is fetch:
            del self._fetches[url]

    async def _load(self, url: str) -> bytes | None:
        path = self.path_for(url)
        cached = await asyncio.to_thread(_read_cached, path)
        if cached is not None:
            return cached
        try:
            async with self._slots:
                data = await self._fetch(url)
            await asyncio.to_thread(self._store, path, data)
        except asyncio.CancelledError:
            raise
        except (ThumbnailRefused, httpx.HTTPError, OSError) as exc:
            self._failed[url] = self.clock()
            log.info("thumbnail %s not loaded: %s", url, _reason(exc))
            return None
        except Exception:  # a thumbnail must never take the Browse view down with it
            self._failed[url] = self.clock()
            log.exception("thumbnail %s not loaded", url)
            return None
        self._failed.pop(url, None)
        return data

    async def _fetch(self, url: str) -> bytes:
        self.fetches_started += 1
        referer = self.referer if isinstance(self.referer, str) else self.referer()
        headers = {"Referer": referer, "Accept": "image/avif,image/webp,image/png,image/jpeg,image/*;q=0.8"}
        async with self.client.stream("GET", url, headers=headers) as response:
            if response.status_code != 200:
                raise ThumbnailRefused(f"the image host answered HTTP {response.status_code}")
            content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if not content_type.startswith("image/") or content_type in REFUSED_IMAGE_TYPES:
                raise ThumbnailRefused(f"the answer is not a picture ({content_type or 'no content type'})")
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise ThumbnailRefused(f"the picture is too big ({int(declared)} bytes)")
            body = bytearray()
            async for piece in response.aiter_bytes():
                body += piece
                if len(body) > self.max_bytes:
                    raise ThumbnailRefused(f"the picture is bigger than {self.max_bytes} bytes")
        if not body:
            raise ThumbnailRefused("the picture is empty")
        return bytes(body)

    # -- the disk (worker threads)

    def _store(self, path: Path, data: bytes) -> None:
        atomic_write_bytes(path, data)
        self._prune()

    def _prune(self) -> None:
        """Delete the least recently used files past `max_files` (a cache hit refreshes a file's time)."""
        try:
            with os.scandir(self.directory) as listing:
                # Dot files are atomic_write_bytes's temp files, still being written by another store.
                entries = [entry for entry in listing if not entry.name.startswith(".") and entry.is_file()]
        except OSError:
            return
        if len(entries) <= self.max_files:
            return
        dated = []
        for entry in entries:
            with contextlib.suppress(OSError):
                dated.append((entry.stat().st_mtime, entry.path))
        dated.sort()
        for _, old in dated[:len(dated) - self.max_files]:
            with contextlib.suppress(OSError):
                os.unlink(old)


def _read_cached(path: Path) -> bytes | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: pruning keeps it
    return data or None


def _is_web_url(url: str) -> bool:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        return False
    return parsed.scheme in ("http", "https") and bool(parsed.host)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "the image host did not answer in time"
    if isinstance(exc, httpx.TransportError):
        return f"the image host could not be reached ({type(exc).__name__})"
    return str(exc) or type(exc).__name__
