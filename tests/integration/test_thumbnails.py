"""Forge thumbnails against the local Forge's hotlink-protected image route, over real sockets on 127.0.0.1: fetched
with the site as Referer, refused without it, cached on disk, shared between concurrent callers, pruned, and every
failure answered with None instead of an exception."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from app.net.http import create_client
from app.net.thumbnails import ThumbnailCache
from app.sandbox.forge import LocalForge

T = TypeVar("T")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def forge(forge_archive_dir: Path) -> Iterator[LocalForge]:
    # Its own Forge (not shared_forge): these tests count the image requests it records.
    with LocalForge(rate_limit=None, archive_dir=forge_archive_dir) as local:
        yield local


@pytest.fixture(scope="module")
def api(forge: LocalForge) -> Iterator[httpx.Client]:
    """Plain requests to the Forge (one client: building one per request costs a TLS context each time)."""
    with httpx.Client(base_url=forge.base_url) as client:
        yield client


def site(forge: LocalForge) -> str:
    """What Workspace.forge_site gives for this Forge: its site root."""
    return forge.root_url + "/"


def thumbnail_url(api: httpx.Client, mod_id: int) -> str:
    """The thumbnail URL as the Forge's API hands it out."""
    answer = api.get("/mods", params={"filter[id]": str(mod_id)}).json()
    url: str = answer["data"][0]["thumbnail"]
    return url


def image_requests(forge: LocalForge, url: str) -> list[int]:
    """The statuses of the requests the Forge saw for one image."""
    path = httpx.URL(url).path
    return [record.status for record in forge.requests if record.path == path]


def with_cache(directory: Path, referer: str | Callable[[], str], work: Callable[[ThumbnailCache], Awaitable[T]],
               **options: Any) -> T:
    async def main() -> T:
        async with create_client() as client:
            return await work(ThumbnailCache(directory, client, referer, **options))

    return asyncio.run(main())


def test_a_thumbnail_is_fetched_with_the_site_as_referer_and_then_served_from_disk(
        forge: LocalForge, api: httpx.Client, tmp_path: Path) -> None:
    url = thumbnail_url(api, 1877)
    assert url == f"{forge.root_url}/images/mods/1877.png"  # absolute, on the Forge's own host

    first = with_cache(tmp_path, site(forge), lambda cache: cache.get(url))

    assert first is not None and first.startswith(PNG_MAGIC)
    assert image_requests(forge, url) == [200]
    cached = list(tmp_path.iterdir())
    assert [path.read_bytes() for path in cached] == [first]

    # A new cache over the same folder (the next session) answers from disk without asking.
    again = with_cache(tmp_path, site(forge), lambda cache: cache.get(url))
    assert again == first
    assert image_requests(forge, url) == [200]


def test_without_the_sites_referer_the_image_host_refuses_and_get_answers_none(
        forge: LocalForge, api: httpx.Client, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    url = thumbnail_url(api, 1126)
    caplog.set_level(logging.INFO, logger="app.net.thumbnails")

    answer = with_cache(tmp_path, "https://elsewhere.example/", lambda cache: cache.get(url))

    assert answer is None
    assert image_requests(forge, url) == [403]
    assert not list(tmp_path.iterdir())  # nothing cached
    assert "HTTP 403" in caplog.text


def test_a_refused_thumbnail_is_not_asked_for_again_at_once(
        forge: LocalForge, api: httpx.Client, tmp_path: Path) -> None:
    url = thumbnail_url(api, 1400)

    async def twice(cache: ThumbnailCache) -> list[bytes | None]:
        return [await cache.get(url), await cache.get(url)]

    assert with_cache(tmp_path, "https://elsewhere.example/", twice) == [None, None]
    assert image_requests(forge, url) == [403]


def test_concurrent_requests_for_one_thumbnail_share_one_fetch(
        forge: LocalForge, api: httpx.Client, tmp_path: Path) -> None:
    url = thumbnail_url(api, 1372)

    async def many(cache: ThumbnailCache) -> list[bytes | None]:
        return list(await asyncio.gather(*(cache.get(url) for _ in range(6))))

    answers = with_cache(tmp_path, lambda: site(forge), many)  # a Referer that follows the Forge URL setting

    assert len({answer for answer in answers}) == 1 and answers[0] is not None
    assert image_requests(forge, url) == [200]


def test_a_cancelled_caller_does_not_cancel_the_fetch_another_caller_waits_for(
        forge: LocalForge, api: httpx.Client, tmp_path: Path) -> None:
    url = thumbnail_url(api, 1201)

    async def one_gives_up(cache: ThumbnailCache) -> bytes | None:
        quitter = asyncio.ensure_future(cache.get(url))
        stayer = asyncio.ensure_future(cache.get(url))
        await asyncio.sleep(0)
        quitter.cancel()
        return await stayer

    assert with_cache(tmp_path, site(forge), one_gives_up) is not None
    assert image_requests(forge, url) == [200]


def test_answers_that_are_not_pictures_or_too_big_are_refused(
        forge: LocalForge, api: httpx.Client, tmp_path: Path) -> None:
    page = f"{forge.root_url}/landing/some-mod-1.0.0.html"  # 200, but HTML
    png = thumbnail_url(api, 1003)

    async def both(cache: ThumbnailCache) -> list[bytes | None]:
        return [await cache.get(page), await cache.get(png)]

    assert with_cache(tmp_path, site(forge), both, max_bytes=200) == [None, None]
    assert not list(tmp_path.iterdir())


def test_only_web_addresses_are_fetched_and_an_unreachable_host_is_not_an_error(forge: LocalForge,
                                                                                tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    before = len(forge.requests)

    async def odd(cache: ThumbnailCache) -> list[bytes | None]:
        return [await cache.get(url) for url in ("", "file:///etc/passwd", "javascript:alert(1)", "/images/x.png",
                                                  f"http://127.0.0.1:{closed_port}/images/mods/1.png")]

    assert with_cache(tmp_path, site(forge), odd) == [None] * 5
    assert len(forge.requests) == before


def test_the_oldest_thumbnails_are_pruned_past_max_files(
        forge: LocalForge, api: httpx.Client, tmp_path: Path) -> None:
    urls = [thumbnail_url(api, mod_id) for mod_id in (1312, 2327, 1050, 2701, 2702)]

    async def in_order(cache: ThumbnailCache) -> list[Path]:
        for url in urls:
            assert await cache.get(url) is not None
        return [cache.path_for(url) for url in urls]

    paths = with_cache(tmp_path, site(forge), in_order, max_files=3)

    assert sorted(tmp_path.iterdir()) == sorted(paths[-3:])


def test_the_image_route_refuses_other_sites_and_answers_404_for_unknown_mods(forge: LocalForge,
                                                                             api: httpx.Client) -> None:
    image = f"{forge.root_url}/images/mods/1877.png"
    assert api.get(image).status_code == 403
    assert api.get(image, headers={"Referer": "http://127.0.0.1:1/"}).status_code == 403
    page = api.get(image, headers={"Referer": f"{forge.root_url}/mods/1877/better-scav-karma"})
    assert page.status_code == 200 and page.headers["Content-Type"] == "image/png"
    assert api.get(f"{forge.root_url}/images/mods/999999.png", headers={"Referer": site(forge)}).status_code == 404
