"""Downloads over real sockets on 127.0.0.1, against the local Forge (307 route, its limit) and the sandbox file host.

Progress, the 3-streams cap, cancel and resume, sizes and hashes, the Forge's per-mod limit and 429, GitHub release
pages through the API imitation, and refusals of pages that are not files. A guard transport refuses any request
that is not for 127.0.0.1, so nothing here can reach the internet.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.net.download import (
    MAX_FAILURES,
    DownloadCancelled,
    DownloadedFile,
    Downloader,
    DownloadError,
    DownloadProgress,
    NotADirectLink,
)
from app.net.http import create_client
from app.sandbox.file_host import FileHost, ScriptedAnswer
from app.sandbox.forge import LocalForge
from app.sandbox.forge.ratelimit import DownloadLimiter

MiB = 1 << 20


class _LocalOnly(httpx.AsyncHTTPTransport):
    """A real transport that refuses every host but 127.0.0.1: the tests can never touch the internet."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host != "127.0.0.1":
            raise AssertionError(f"a test tried to reach {request.url}")
        return await super().handle_async_request(request)


class FakeTime:
    """A clock that only moves when somebody sleeps: minutes of rate limiting pass in no time."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


async def _no_wait(seconds: float) -> None:
    await asyncio.sleep(0)  # retries and back-off happen at once in tests


def _content(size: int, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(size)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _run(directory: Path, work: Callable[[Downloader], Awaitable[Any]], **options: Any) -> Any:
    """Run `work` with a Downloader on a fresh client (real sockets, local only)."""
    options.setdefault("sleep", _no_wait)

    async def main() -> Any:
        async with create_client(timeout=httpx.Timeout(10.0), transport=_LocalOnly()) as client:
            return await work(Downloader(directory, client=client, **options))
    return asyncio.run(main())


def _download(directory: Path, url: str, **kwargs: Any) -> DownloadedFile:
    options = {name: kwargs.pop(name) for name in ("sleep", "clock", "github_api", "max_parallel") if name in kwargs}
    return _run(directory, lambda downloader: downloader.download(url, **kwargs), **options)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    folder = tmp_path / "host"
    folder.mkdir()
    return folder


@pytest.fixture
def host(files: Path) -> Iterator[FileHost]:
    with FileHost(files) as running:
        yield running


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    return tmp_path / "data" / "downloads"


def _leftovers(downloads: Path) -> list[str]:
    return sorted(p.name for p in downloads.iterdir()) if downloads.exists() else []


# -- streaming, progress, hashes -------------------------------------------------------------------------------


def test_a_download_streams_into_the_data_dir_with_its_hash_and_progress(host: FileHost, files: Path,
                                                                         downloads: Path) -> None:
    data = _content(3 * MiB + 17)
    (files / "SuperMod-1.0.0.7z").write_bytes(data)
    host.throttle = 0.004  # ~0.2 s in all: long enough for reports in between
    reports: list[DownloadProgress] = []
    started = time.monotonic()
    result = _download(downloads, host.url("SuperMod-1.0.0.7z"), progress=reports.append, expected_size=len(data))
    elapsed = time.monotonic() - started

    assert result.path.read_bytes() == data and result.path.is_relative_to(downloads)
    assert result.size == len(data) and result.sha256 == _sha256(data)
    assert result.file_name == result.path.name == "SuperMod-1.0.0.7z" and not result.resumed
    assert result.url == host.url("SuperMod-1.0.0.7z")
    assert not list(downloads.glob("*.part*"))  # the partial file and its sidecar are gone
    assert reports[0].received == 0 and reports[-1].received == len(data) == reports[-1].total
    assert [r.received for r in reports] == sorted(r.received for r in reports)
    middle = reports[1:-1]
    assert any(r.speed > 0 and r.eta is not None and r.eta > 0 for r in middle)  # a stall may show 0 for a moment
    assert reports[-1].eta == 0.0 and reports[-1].speed > 0
    assert len(reports) <= elapsed / 0.1 + 2  # ~10 a second at most, plus the final one


def test_progress_eta_needs_a_total_and_a_speed() -> None:
    assert DownloadProgress("u", 50, 150, 25.0).eta == 4.0
    assert DownloadProgress("u", 50, None, 25.0).eta is None
    assert DownloadProgress("u", 50, 150, 0.0).eta is None
    assert DownloadProgress("u", 150, 150, 0.0).eta == 0.0


def test_the_file_name_comes_from_content_disposition(host: FileHost, downloads: Path) -> None:
    data = _content(5000)
    disposition = "attachment; filename*=UTF-8''M%C3%B6d%20v2.zip"
    host.script("/get", ScriptedAnswer(200, data, {"Content-Type": "application/octet-stream",
                                                   "Content-Disposition": disposition}))
    result = _download(downloads, f"{host.root_url}/get?id=7")
    assert result.file_name == "Möd v2.zip" and result.path.read_bytes() == data


def test_at_most_three_downloads_stream_at_once_and_the_rest_queue(host: FileHost, files: Path,
                                                                   downloads: Path) -> None:
    for number in range(5):
        (files / f"mod-{number}.zip").write_bytes(_content(200_000, seed=number))
    host.hold_files()

    async def work(downloader: Downloader) -> list[DownloadedFile]:
        tasks = [asyncio.ensure_future(downloader.download(host.url(f"mod-{n}.zip"))) for n in range(5)]
        for _ in range(500):
            if host.in_flight == 3:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)  # room for a fourth stream to open, if the cap were broken
        assert host.in_flight == 3
        assert len([r for r in host.requests if r.path.startswith("/files/")]) == 3
        host.release_files()
        return await asyncio.gather(*tasks)

    results = _run(downloads, work)
    assert host.peak_in_flight == 3
    assert [r.path.read_bytes() for r in results] == [_content(200_000, seed=n) for n in range(5)]


# -- cancel and resume -----------------------------------------------------------------------------------------


def test_cancel_keeps_the_part_and_the_next_download_continues_it(host: FileHost, files: Path,
                                                                  downloads: Path) -> None:
    data = _content(2 * MiB)
    (files / "big.zip").write_bytes(data)
    host.throttle = 0.01  # ~0.3 s for the whole file: the cancel lands in the middle
    cancel = asyncio.Event()

    def cancel_midway(report: DownloadProgress) -> None:
        if 0 < report.received < len(data):
            cancel.set()

    with pytest.raises(DownloadCancelled, match="cancelled") as caught:
        _download(downloads, host.url("big.zip"), progress=cancel_midway, cancel=cancel)
    assert "continues where it stopped" in str(caught.value)
    part = next(downloads.glob("*.part"))
    kept = part.read_bytes()
    assert 0 < len(kept) < len(data) and data.startswith(kept)
    assert part.with_name(part.name + ".json").is_file()

    host.throttle = 0.0
    result = _download(downloads, host.url("big.zip"))
    assert result.resumed and result.sha256 == _sha256(data) and result.path.read_bytes() == data
    last = host.requests[-1]
    assert last.headers["Range"] == f"bytes={len(kept)}-" and last.status == 206
    assert last.headers["If-Range"].startswith('"')  # the strong ETag the first answer carried
    assert not list(downloads.glob("*.part*"))


def test_cancelling_a_queued_download_stops_it_before_it_starts(host: FileHost, files: Path,
                                                                downloads: Path) -> None:
    (files / "first.zip").write_bytes(_content(1000))
    (files / "second.zip").write_bytes(_content(1000, seed=2))
    host.hold_files()

    async def work(downloader: Downloader) -> DownloadedFile:
        first = asyncio.ensure_future(downloader.download(host.url("first.zip")))
        cancel = asyncio.Event()
        second = asyncio.ensure_future(downloader.download(host.url("second.zip"), cancel=cancel))
        await asyncio.sleep(0.1)
        cancel.set()
        with pytest.raises(DownloadCancelled):
            await second
        host.release_files()
        return await first

    assert _run(downloads, work, max_parallel=1).path.read_bytes() == _content(1000)
    assert [r.path for r in host.requests] == ["/files/first.zip"]


def test_an_interrupted_forge_download_resumes_with_a_range_in_the_same_call(local_forge: LocalForge,
                                                                             downloads: Path) -> None:
    name = "lootpulse-1.7.3-b.zip"
    data = (local_forge.archive_dir / name).read_bytes()
    local_forge.interrupt_next_download(after_bytes=1000)
    result = _download(downloads, f"{local_forge.root_url}/mod/download/2291/lootpulse/1.7.3+b",
                       expected_size=len(data))
    assert result.resumed and result.path.read_bytes() == data and result.sha256 == _sha256(data)
    assert result.file_name == name and result.url == f"{local_forge.root_url}/files/{name}"
    seen = [(r.path, r.status) for r in local_forge.requests]
    # the retry goes straight to the file: another pass through the route would count against its limit
    assert seen == [("/mod/download/2291/lootpulse/1.7.3+b", 307), (f"/files/{name}", 200), (f"/files/{name}", 206)]


def _leave_a_partial_file(host: FileHost, downloads: Path, url: str, first_bytes: int) -> None:
    """A call that gets `first_bytes`, then only broken connections, gives up and keeps what it got."""
    host.interrupt_next_download(1, after_bytes=first_bytes)
    host.interrupt_next_download(MAX_FAILURES - 1, after_bytes=0)
    with pytest.raises(DownloadError, match=f"failed {MAX_FAILURES} times") as caught:
        _download(downloads, url)
    assert "What arrived is kept" in str(caught.value)
    assert next(downloads.glob("*.part")).stat().st_size == first_bytes


def test_a_later_call_continues_a_partial_file_with_range_and_if_range(host: FileHost, files: Path,
                                                                       downloads: Path) -> None:
    data = _content(300_000)
    (files / "mod.zip").write_bytes(data)
    _leave_a_partial_file(host, downloads, host.url("mod.zip"), 4096)
    first = host.requests[0]

    result = _download(downloads, host.url("mod.zip"))
    assert result.resumed and result.path.read_bytes() == data and result.sha256 == _sha256(data)
    last = host.requests[-1]
    assert last.headers["Range"] == "bytes=4096-" and last.status == 206
    assert first.status == 200 and last.headers["If-Range"] == _etag_of(host, "mod.zip")


def _etag_of(host: FileHost, name: str) -> str:
    return httpx.head(host.url(name)).headers["ETag"]


def test_a_partial_file_of_a_file_that_changed_is_started_over(host: FileHost, files: Path,
                                                               downloads: Path) -> None:
    (files / "mod.zip").write_bytes(_content(300_000))
    _leave_a_partial_file(host, downloads, host.url("mod.zip"), 4096)
    changed = _content(310_000, seed=9)
    (files / "mod.zip").write_bytes(changed)  # a new upload under the same name: another ETag

    result = _download(downloads, host.url("mod.zip"))
    assert not result.resumed and result.path.read_bytes() == changed and result.sha256 == _sha256(changed)
    assert host.requests[-1].headers.get("Range") == "bytes=4096-" and host.requests[-1].status == 200


def test_a_partial_file_without_a_trustworthy_sidecar_is_started_over(host: FileHost, files: Path,
                                                                     downloads: Path) -> None:
    data = _content(50_000)
    (files / "mod.zip").write_bytes(data)
    _leave_a_partial_file(host, downloads, host.url("mod.zip"), 4096)
    sidecar = next(downloads.glob("*.part.json"))
    sidecar.write_text('{"url": 7, "etag": ["not", "text"]}')  # damaged: Kappa did not write this

    result = _download(downloads, host.url("mod.zip"))
    assert not result.resumed and result.path.read_bytes() == data
    assert "Range" not in host.requests[-1].headers


def test_a_downloads_folder_that_cannot_be_written_is_a_clear_error(host: FileHost, files: Path,
                                                                    tmp_path: Path) -> None:
    (files / "mod.zip").write_bytes(_content(1000))
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the downloads folder should be")
    with pytest.raises(DownloadError, match="could not write in its downloads folder"):
        _download(blocked, host.url("mod.zip"))


def test_server_errors_are_retried_and_broken_connections_are_bounded(host: FileHost, files: Path,
                                                                      downloads: Path) -> None:
    data = _content(10_000)
    (files / "mod.zip").write_bytes(data)
    host.script("/files/mod.zip", ScriptedAnswer(503, b"busy", {"Retry-After": "2"}), ScriptedAnswer(500, b"oops"))
    fake = FakeTime()
    assert _download(downloads, host.url("mod.zip"), sleep=fake.sleep, clock=fake.clock).sha256 == _sha256(data)
    assert fake.slept[0] == 2.0 and len(fake.slept) == 2  # Retry-After, then back-off

    host.interrupt_next_download(MAX_FAILURES, after_bytes=0)
    with pytest.raises(DownloadError, match=f"failed {MAX_FAILURES} times .the connection broke.") as caught:
        _download(downloads, host.url("mod.zip") + "?again")
    assert "Traceback" not in str(caught.value)


# -- sizes and refusals ----------------------------------------------------------------------------------------


def test_a_size_that_differs_from_the_announced_one_is_refused_and_nothing_is_kept(host: FileHost, files: Path,
                                                                                   downloads: Path) -> None:
    data = _content(20_000)
    (files / "mod.zip").write_bytes(data)
    with pytest.raises(DownloadError, match="20,000 bytes, but the Forge announced 20,001") as caught:
        _download(downloads, host.url("mod.zip"), expected_size=len(data) + 1)
    assert "Nothing was kept" in str(caught.value)
    assert _leftovers(downloads) == []


def test_a_body_without_a_length_is_held_to_the_announced_size(host: FileHost, downloads: Path) -> None:
    # No Content-Length the client could hold the server to: only the Forge's figure tells the truth.
    unbounded = {"Content-Type": "application/zip", "Connection": "close"}
    host.script("/files/bomb.zip", ScriptedAnswer(200, _content(3 * MiB), unbounded))
    with pytest.raises(DownloadError, match="larger than the 1,000 bytes announced"):
        _download(downloads, host.url("bomb.zip"), expected_size=1000)
    assert _leftovers(downloads) == []
    host.script("/files/short.zip", ScriptedAnswer(200, _content(500), unbounded))
    with pytest.raises(DownloadError, match="arrived with 500 bytes, but the Forge announced 1,000"):
        _download(downloads, host.url("short.zip"), expected_size=1000)
    assert _leftovers(downloads) == []


def test_a_missing_file_is_an_error_naming_the_host_and_status(host: FileHost, downloads: Path) -> None:
    with pytest.raises(DownloadError, match=r"127\.0\.0\.1 answered HTTP 404 \(Not Found\)") as caught:
        _download(downloads, host.url("gone.zip"))
    assert "drop the file onto Kappa" in str(caught.value)


def test_a_landing_page_is_refused_with_the_host_the_link_and_the_drop_hint(host: FileHost,
                                                                            downloads: Path) -> None:
    link = f"{host.root_url}/landing/supermod.html"
    with pytest.raises(NotADirectLink) as caught:
        _download(downloads, link)
    message = str(caught.value)
    assert "127.0.0.1 answered with a web page" in message and link in message
    assert "in your browser" in message and "drop it onto Kappa" in message
    assert _leftovers(downloads) == []


def test_a_page_disguised_as_a_file_is_refused_too(host: FileHost, downloads: Path) -> None:
    page = b"\n<!DOCTYPE html><html><body>Click to download</body></html>"
    host.script("/files/mod.zip", ScriptedAnswer(200, page, {"Content-Type": "application/octet-stream"}))
    with pytest.raises(NotADirectLink, match="not a direct download link"):
        _download(downloads, host.url("mod.zip"))
    assert _leftovers(downloads) == []


def test_a_legacy_forge_link_to_a_landing_page_is_refused(local_forge: LocalForge, downloads: Path) -> None:
    link = f"{local_forge.root_url}/mod/download/877/lootvalue/3.0.0"
    with pytest.raises(NotADirectLink) as caught:
        _download(downloads, link)
    assert caught.value.link == link and caught.value.host == "127.0.0.1" and link in str(caught.value)


# -- the Forge's per-mod limit ---------------------------------------------------------------------------------


def _forge_on(fake: FakeTime, forge: LocalForge) -> None:
    # The route's limiter reads the same fake clock as the client, so a waited-out minute passes for both.
    forge._downloads = DownloadLimiter(clock=fake.clock)


def test_a_sixth_download_of_a_mod_within_a_minute_waits_instead_of_meeting_a_429(local_forge: LocalForge,
                                                                                   downloads: Path) -> None:
    fake = FakeTime()
    _forge_on(fake, local_forge)
    route = f"{local_forge.root_url}/mod/download/2326/fika-server/2.3.4"
    other = f"{local_forge.root_url}/mod/download/1877/better-scav-karma/0.9.15"

    async def work(downloader: Downloader) -> list[DownloadedFile]:
        results = [await downloader.download(route) for _ in range(6)]
        before = list(fake.slept)
        results.append(await downloader.download(other))
        assert fake.slept == before  # another mod has its own window
        return results

    results = _run(downloads, work, sleep=fake.sleep, clock=fake.clock)
    assert len(fake.slept) == 1 and 60.0 <= fake.slept[0] <= 66.0
    assert all(r.status != 429 for r in local_forge.requests)
    assert len([r for r in local_forge.requests if r.path.startswith("/mod/download/2326/")]) == 6
    assert results[5].path.read_bytes() == (local_forge.archive_dir / "fika-server-2.3.4.7z").read_bytes()


def test_a_429_from_the_forge_route_is_waited_out(local_forge: LocalForge, downloads: Path) -> None:
    fake = FakeTime()
    _forge_on(fake, local_forge)
    route = f"{local_forge.root_url}/mod/download/2326/fika-server/2.3.4"
    with httpx.Client() as browser:  # somebody else used up this minute (the web page, another tool)
        assert [browser.get(route).status_code for _ in range(5)] == [307] * 5

    result = _download(downloads, route, sleep=fake.sleep, clock=fake.clock, mod_key="fika-server")
    assert result.file_name == "fika-server-2.3.4.7z"
    assert fake.slept == [60.0]  # the route's HTML 429 has no Retry-After: its window is a minute
    assert [r.status for r in local_forge.requests][5:] == [429, 307, 200]


def test_a_forge_route_that_keeps_refusing_gives_up_with_clear_words(local_forge: LocalForge,
                                                                     downloads: Path) -> None:
    client_time, server_time = FakeTime(), FakeTime()
    _forge_on(server_time, local_forge)  # the server's minute never passes
    route = f"{local_forge.root_url}/mod/download/2326/fika-server/2.3.4"
    with httpx.Client() as browser:
        for _ in range(5):
            browser.get(route)
    with pytest.raises(DownloadError, match="5 downloads a minute per mod"):
        _download(downloads, route, sleep=client_time.sleep, clock=client_time.clock)
    assert len(client_time.slept) == 3


# -- GitHub pages ----------------------------------------------------------------------------------------------


def test_github_release_and_repository_pages_resolve_to_the_release_archive(host: FileHost, files: Path,
                                                                           downloads: Path) -> None:
    (files / "SuperMod-1.2.0.7z").write_bytes(_content(40_000, seed=12))
    (files / "SuperMod-1.2.0-source.zip").write_bytes(_content(90_000, seed=13))
    (files / "SuperMod-1.3.0.zip").write_bytes(_content(41_000, seed=14))
    host.add_release("Author", "SuperMod", "v1.2.0", ["SuperMod-1.2.0-source.zip", "SuperMod-1.2.0.7z"])
    host.add_release("Author", "SuperMod", "v1.3.0", ["SuperMod-1.3.0.zip"])

    tag = _download(downloads, "https://github.com/Author/SuperMod/releases/tag/v1.2.0", github_api=host.api_url)
    assert tag.file_name == "SuperMod-1.2.0.7z" and tag.sha256 == _sha256(_content(40_000, seed=12))
    assert tag.url == host.url("SuperMod-1.2.0.7z")
    latest = _download(downloads, "https://github.com/Author/SuperMod", github_api=host.api_url)
    assert latest.file_name == "SuperMod-1.3.0.zip"
    assert [r.path for r in host.requests if r.path.startswith("/repos/")] == [
        "/repos/Author/SuperMod/releases/tags/v1.2.0", "/repos/Author/SuperMod/releases/latest"]
    assert host.requests[0].headers["Accept"] == "application/vnd.github+json"


def test_github_pages_without_a_release_archive_say_so(host: FileHost, files: Path, downloads: Path) -> None:
    (files / "notes.txt").write_bytes(b"read me")
    host.add_release("Author", "Docs", "v1", ["notes.txt"])
    with pytest.raises(DownloadError, match=r"has no \.7z or \.zip file attached"):
        _download(downloads, "https://github.com/Author/Docs/releases/tag/v1", github_api=host.api_url)
    with pytest.raises(DownloadError, match="GitHub has no such release"):
        _download(downloads, "https://github.com/Author/Nothing/releases/tag/v9", github_api=host.api_url)


def test_a_release_page_on_another_host_is_a_page_not_a_file(host: FileHost, files: Path, downloads: Path) -> None:
    (files / "SuperMod.zip").write_bytes(_content(1000))
    host.add_release("Author", "SuperMod", "v1", ["SuperMod.zip"])
    with pytest.raises(NotADirectLink):
        _download(downloads, f"{host.root_url}/Author/SuperMod/releases/tag/v1")
