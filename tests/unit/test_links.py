"""Download links: direct forms of share links, GitHub pages -> API paths, release asset choice, landing pages.

Pure string work; the one async case refuses before any request (a guard transport proves none is made).
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from app.net.links import (
    DownloadError,
    NotADirectLink,
    choose_asset,
    github_release_api_path,
    is_landing_host,
    refuse_landing_page,
    resolve_link,
    rewrite_known_hosts,
)

DRIVE_ID = "1AbCdEfGhIjKlMnOpQrStUvWxYz_-0123"
DRIVE_DIRECT = f"https://drive.usercontent.google.com/download?id={DRIVE_ID}&export=download&confirm=t"


@pytest.mark.parametrize("link", [
    f"https://drive.google.com/file/d/{DRIVE_ID}/view?usp=sharing",
    f"https://drive.google.com/file/d/{DRIVE_ID}/view",
    f"https://drive.google.com/file/d/{DRIVE_ID}",
    f"https://drive.google.com/open?id={DRIVE_ID}",
    f"https://drive.google.com/uc?id={DRIVE_ID}&export=download",
    f"https://docs.google.com/uc?export=download&id={DRIVE_ID}",
    f"  https://drive.google.com/file/d/{DRIVE_ID}/edit  ",
])
def test_google_drive_share_links_become_the_download_endpoint(link: str) -> None:
    assert rewrite_known_hosts(link) == DRIVE_DIRECT


def test_google_drive_keeps_the_resource_key_of_old_shared_links() -> None:
    link = f"https://drive.google.com/file/d/{DRIVE_ID}/view?usp=sharing&resourcekey=0-abc"
    assert rewrite_known_hosts(link) == f"{DRIVE_DIRECT}&resourcekey=0-abc"


def test_google_drive_links_without_a_file_id_are_left_alone() -> None:
    folder = f"https://drive.google.com/drive/folders/{DRIVE_ID}"
    assert rewrite_known_hosts(folder) == folder
    assert rewrite_known_hosts("https://drive.google.com/open?id=short") == "https://drive.google.com/open?id=short"


@pytest.mark.parametrize(("link", "direct"), [
    ("https://www.dropbox.com/s/abc123/SAIN-3.2.0.7z?dl=0", "https://www.dropbox.com/s/abc123/SAIN-3.2.0.7z?dl=1"),
    ("https://dropbox.com/s/abc123/SAIN.zip", "https://www.dropbox.com/s/abc123/SAIN.zip?dl=1"),
    ("https://www.dropbox.com/scl/fi/xyz/Mod.zip?rlkey=k3y&st=s7&dl=0",
     "https://www.dropbox.com/scl/fi/xyz/Mod.zip?rlkey=k3y&st=s7&dl=1"),
    ("https://www.dropbox.com/s/abc/Mod.zip?raw=1", "https://www.dropbox.com/s/abc/Mod.zip?dl=1"),
])
def test_dropbox_links_ask_for_the_file(link: str, direct: str) -> None:
    assert rewrite_known_hosts(link) == direct


def test_github_blob_pages_become_raw_files_and_other_links_stay() -> None:
    assert rewrite_known_hosts("https://github.com/o/r/blob/main/dist/Mod.zip") == \
        "https://github.com/o/r/raw/main/dist/Mod.zip"
    for unchanged in ("https://github.com/o/r/releases/download/v1/Mod.7z",
                      "https://forge.sp-tarkov.com/mod/download/1877/better-scav-karma/0.9.15",
                      "https://example.com/files/Mod.zip?dl=0"):
        assert rewrite_known_hosts(unchanged) == unchanged


@pytest.mark.parametrize(("page", "api_path"), [
    ("https://github.com/Author/SuperMod", "/repos/Author/SuperMod/releases/latest"),
    ("https://github.com/Author/SuperMod/", "/repos/Author/SuperMod/releases/latest"),
    ("https://www.github.com/Author/SuperMod.git", "/repos/Author/SuperMod/releases/latest"),
    ("https://github.com/Author/SuperMod/releases", "/repos/Author/SuperMod/releases/latest"),
    ("https://github.com/Author/SuperMod/releases/latest", "/repos/Author/SuperMod/releases/latest"),
    ("https://github.com/Author/SuperMod/releases/tag/v1.2.0", "/repos/Author/SuperMod/releases/tags/v1.2.0"),
    ("https://github.com/Author/SuperMod/releases/tag/release/1.2+spt4",
     "/repos/Author/SuperMod/releases/tags/release%2F1.2%2Bspt4"),
    ("https://github.com/Author/SuperMod/releases/tag/v1.0%20final",
     "/repos/Author/SuperMod/releases/tags/v1.0%20final"),
])
def test_github_repository_and_release_pages_map_to_the_releases_api(page: str, api_path: str) -> None:
    assert github_release_api_path(page) == api_path


@pytest.mark.parametrize("link", [
    "https://github.com/Author/SuperMod/releases/download/v1.2.0/SuperMod.7z",
    "https://github.com/Author/SuperMod/tree/main",
    "https://github.com/Author",
    "https://gitlab.com/Author/SuperMod/releases/tag/v1",
])
def test_links_that_are_not_github_release_pages_have_no_api_path(link: str) -> None:
    assert github_release_api_path(link) is None


def _asset(name: str, size: int = 100, state: str = "uploaded") -> dict[str, object]:
    return {"name": name, "size": size, "state": state, "browser_download_url": f"https://example.com/{name}"}


def test_asset_choice_prefers_7z_and_zip_then_rar_then_a_lone_dll() -> None:
    assert choose_asset([_asset("Mod.rar", 900), _asset("Mod.7z", 10), _asset("README.md", 5)])["name"] == "Mod.7z"
    assert choose_asset([_asset("Mod.rar"), _asset("Mod.dll")])["name"] == "Mod.rar"
    assert choose_asset([_asset("Mod.dll"), _asset("notes.txt")])["name"] == "Mod.dll"
    assert choose_asset([_asset("Mod.dll"), _asset("Mod.Extra.dll")]) is None  # which one is the mod? ask the user
    assert choose_asset([_asset("notes.txt")]) is None
    assert choose_asset([]) is None


def test_several_archives_give_the_largest_that_is_not_source_or_symbols() -> None:
    assets = [_asset("Mod-ConfigPack.zip", 2_000), _asset("Mod-1.2.0.7z", 50_000),
              _asset("Mod-1.2.0-source.zip", 900_000), _asset("Mod-debug-symbols.zip", 800_000)]
    assert choose_asset(assets)["name"] == "Mod-1.2.0.7z"
    assert choose_asset([_asset("Mod-src.zip", 10), _asset("Mod-pdb.zip", 20)])["name"] == "Mod-pdb.zip"
    assert choose_asset([_asset("A.zip", 10), _asset("B.zip", 10)])["name"] == "A.zip"  # a tie: the first listed


def test_assets_still_uploading_are_not_chosen() -> None:
    assert choose_asset([_asset("Mod.7z", 99, state="starter"), _asset("Mod.zip", 1)])["name"] == "Mod.zip"
    assert choose_asset([{"name": "Mod.zip", "size": 5}]) is None  # no download URL


@pytest.mark.parametrize("link", [
    "https://mega.nz/file/AbCd#key", "https://www.mediafire.com/file/abc/Mod.zip/file",
    "https://mega.co.nz/#!abc!key", f"https://drive.google.com/drive/folders/{DRIVE_ID}",
])
def test_hosts_that_always_show_a_page_are_known(link: str) -> None:
    assert is_landing_host(link)


def test_direct_hosts_are_not_landing_hosts() -> None:
    assert not is_landing_host("https://github.com/o/r/releases/download/v1/Mod.7z")
    assert not is_landing_host(DRIVE_DIRECT)


def test_the_refusal_names_the_host_gives_the_link_and_says_drop_the_file_on_kappa() -> None:
    error = refuse_landing_page("https://forge.sp-tarkov.com/mod/download/9/x/1.0", "https://www.mediafire.com/f/x")
    message = str(error)
    assert isinstance(error, NotADirectLink) and isinstance(error, DownloadError)
    assert error.host == "www.mediafire.com" and "www.mediafire.com" in message
    assert "https://forge.sp-tarkov.com/mod/download/9/x/1.0" in message
    assert "browser" in message and "drop it onto Kappa" in message
    assert "MediaFire shows a download page first" in message


class _NoNetwork(httpx.AsyncBaseTransport):
    """A transport that fails the test if anything tries to use it."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"no request expected, but one went to {request.url}")


def _resolve(link: str) -> str:
    async def run() -> str:
        async with httpx.AsyncClient(transport=_NoNetwork()) as client:
            return await resolve_link(link, client, "http://127.0.0.1:9")
    return asyncio.run(run())


def test_mega_is_refused_before_any_request() -> None:
    with pytest.raises(NotADirectLink) as caught:
        _resolve("https://mega.nz/file/AbCd#secret-key")
    assert "mega.nz" in str(caught.value) and "MEGA decrypts files inside the browser" in str(caught.value)
    assert "https://mega.nz/file/AbCd#secret-key" in str(caught.value)


def test_resolving_rewrites_without_a_request_and_refuses_what_is_not_a_web_link() -> None:
    assert _resolve(f"https://drive.google.com/file/d/{DRIVE_ID}/view") == DRIVE_DIRECT
    assert _resolve("https://example.com/Mod.zip") == "https://example.com/Mod.zip"
    for bad in ("ftp://example.com/Mod.zip", "C:\\Downloads\\Mod.zip", "not a link"):
        with pytest.raises(DownloadError, match="not a web link"):
            _resolve(bad)
