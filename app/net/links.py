"""Download links as mod authors enter them, turned into links that answer with the file itself.

- `rewrite_known_hosts`: Google Drive and Dropbox share links -> their direct-download forms; GitHub "blob" file
  pages -> the raw file. Pure string work, no network.
- `resolve_link`: the above, plus GitHub repository and release pages -> the release's archive, through GitHub's
  REST API (`/repos/{owner}/{repo}/releases/tags/{tag}` or `/releases/latest`); hosts that only ever answer with a web
  page (MEGA, MediaFire, Drive folders) are refused before any request.
- `refuse_landing_page`: the error for a link that answered with HTML: it names the host, gives the link to open in
  a browser and says the downloaded file can be dropped onto Kappa.

The download errors live here (`app.net.download` re-exports them) because the downloader builds on this module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

import httpx

from app.core.errors import KappaError

GITHUB_API = "https://api.github.com"
_GITHUB_HOSTS = {"github.com", "www.github.com"}
_DRIVE_HOSTS = {"drive.google.com", "docs.google.com", "drive.usercontent.google.com"}
_DROPBOX_HOSTS = {"dropbox.com", "www.dropbox.com"}
_DRIVE_ID = re.compile(r"^[A-Za-z0-9_-]{10,}$")
_MOD_ARCHIVES = (".7z", ".zip")  # what the Forge accepts as a download
_OTHER_ARCHIVES = (".rar",)  # older releases; Kappa can still open them
_NOT_THE_MOD = re.compile(r"source|\bsrc\b|symbols|\bpdb\b|debug", re.IGNORECASE)

# Hosts whose links answer with a page that needs a person (or, for MEGA, the browser's decryption): a request
# would only fetch that page, so these are refused at once. Why, in the player's words, per host:
_LANDING_HOSTS = {
    "mega.nz": "MEGA decrypts files inside the browser",
    "mega.io": "MEGA decrypts files inside the browser",
    "mega.co.nz": "MEGA decrypts files inside the browser",
    "mediafire.com": "MediaFire shows a download page first",
}
_HOST_NOTES = {
    **_LANDING_HOSTS,
    "drive.google.com": "Google Drive asked for a confirmation or a sign-in; the file may not be shared publicly",
    "drive.usercontent.google.com": "Google Drive asked for a confirmation or a sign-in; the file may not be shared "
                                    "publicly",
    "docs.google.com": "Google Drive asked for a confirmation or a sign-in; the file may not be shared publicly",
    "dropbox.com": "Dropbox showed a page instead of the file",
    "github.com": "GitHub showed a page instead of the file",
}


class DownloadError(KappaError):
    """A download failed: an HTTP error, a size that does not match, too many broken connections..."""


class DownloadCancelled(DownloadError):
    """The user cancelled; the partial file is kept, so the next attempt continues where this one stopped."""


class NotADirectLink(DownloadError):
    """The link answered with a web page (a landing page, a captcha, a sign-in) instead of the file."""

    def __init__(self, message: str, *, host: str, link: str) -> None:
        super().__init__(message)
        self.host = host
        self.link = link


# -- rewriting -------------------------------------------------------------------------------------------------


def rewrite_known_hosts(url: str) -> str:
    """The direct-download form of a Google Drive, Dropbox or GitHub "blob" link; other links unchanged."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if host in _DRIVE_HOSTS:
        return _google_drive(parts) or url.strip()
    if host in _DROPBOX_HOSTS:
        return _dropbox(parts)
    if host in _GITHUB_HOSTS:
        return _github_blob(parts) or url.strip()
    return url.strip()


def _google_drive(parts: Any) -> str | None:
    """`file/d/<id>/view`, `open?id=<id>`, `uc?id=<id>` (on drive. or docs.google.com) -> the download endpoint.

    `confirm=t` skips the "cannot scan this file for viruses" page that Drive shows for files over ~100 MB;
    `resourcekey` (older shared links need it) is kept.
    """
    query = dict(parse_qsl(parts.query))
    segments = [s for s in parts.path.split("/") if s]
    file_id = None
    if len(segments) >= 3 and segments[0] == "file" and segments[1] == "d":
        file_id = segments[2]
    elif segments and segments[-1] in ("open", "uc", "download"):
        file_id = query.get("id")
    if not file_id or not _DRIVE_ID.match(file_id):
        return None
    direct = {"id": file_id, "export": "download", "confirm": "t"}
    if query.get("resourcekey"):
        direct["resourcekey"] = query["resourcekey"]
    return "https://drive.usercontent.google.com/download?" + urlencode(direct)


def _dropbox(parts: Any) -> str:
    """`?dl=0` (or no `dl`) -> `dl=1`, which makes Dropbox answer with the file; other parameters (rlkey) stay."""
    query = [(name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True)
             if name not in ("dl", "raw")]
    query.append(("dl", "1"))
    return urlunsplit(("https", "www.dropbox.com", parts.path, urlencode(query), ""))


def _github_blob(parts: Any) -> str | None:
    """`github.com/o/r/blob/<ref>/<path>` is a page showing a file; `/raw/` is the file."""
    segments = parts.path.split("/")
    if len(segments) > 5 and segments[3] == "blob":
        segments[3] = "raw"
        return urlunsplit(("https", "github.com", "/".join(segments), "", ""))
    return None


# -- GitHub releases -------------------------------------------------------------------------------------------


def github_release_api_path(url: str) -> str | None:
    """The REST API path of the release a GitHub page stands for, or None when `url` is not such a page.

    `github.com/o/r`, `/releases` and `/releases/latest` stand for the latest release; `/releases/tag/<tag>`
    for that tag. Asset links (`/releases/download/...`) are direct already and give None.
    """
    parts = urlsplit(url)
    if (parts.hostname or "").lower() not in _GITHUB_HOSTS:
        return None
    segments = [unquote(s) for s in parts.path.split("/") if s]
    if len(segments) < 2:
        return None
    owner, repo, rest = segments[0], segments[1].removesuffix(".git"), segments[2:]
    base = f"/repos/{quote(owner, safe='')}/{quote(repo, safe='')}/releases"
    if rest in ([], ["releases"], ["releases", "latest"]):
        return f"{base}/latest"
    if len(rest) >= 3 and rest[:2] == ["releases", "tag"]:
        return f"{base}/tags/{quote('/'.join(rest[2:]), safe='')}"
    return None


def choose_asset(assets: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The asset to download from a release's `assets`, or None when none is a mod archive.

    The rule: only uploaded assets count. A .7z or .zip is preferred (what the Forge accepts), then a .rar,
    then a .dll when it is the only one. When several of the preferred kind remain, names that suggest something
    other than the mod (source, src, symbols, pdb, debug) are set aside unless nothing else is left, and the
    largest of the rest wins: optional extras, patches and config packs are smaller than the full mod. Ties go to
    the asset listed first (GitHub lists them in upload order).
    """
    uploaded = [a for a in assets if a.get("browser_download_url") and a.get("state", "uploaded") == "uploaded"]
    for suffixes in (_MOD_ARCHIVES, _OTHER_ARCHIVES):
        found = [a for a in uploaded if str(a.get("name", "")).lower().endswith(suffixes)]
        if found:
            return _largest(found)
    dlls = [a for a in uploaded if str(a.get("name", "")).lower().endswith(".dll")]
    return dlls[0] if len(dlls) == 1 else None


def _largest(assets: list[Mapping[str, Any]]) -> Mapping[str, Any]:
    likely = [a for a in assets if not _NOT_THE_MOD.search(str(a.get("name", "")))] or assets
    return max(likely, key=lambda a: int(a.get("size") or 0))  # max keeps the first of equals


async def resolve_link(url: str, client: httpx.AsyncClient, github_api: str = GITHUB_API) -> str:
    """A link that should answer with the file itself: rewritten, or resolved through GitHub's API.

    Raises `NotADirectLink` for hosts that only ever show a page, `DownloadError` when the link is not a web
    link or GitHub has no release archive for it.
    """
    link = rewrite_known_hosts(url)
    parts = urlsplit(link)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DownloadError(f"{url!r} is not a web link (http:// or https://), so Kappa cannot download it.")
    if is_landing_host(link):
        raise refuse_landing_page(url)
    api_path = github_release_api_path(link)
    if api_path is None:
        return link
    release = await _github_release(client, github_api.rstrip("/") + api_path, url)
    asset = choose_asset(release.get("assets") or [])
    if asset is None:
        tag = release.get("tag_name") or "latest"
        raise DownloadError(f"The GitHub release {tag} behind {url} has no .7z or .zip file attached. Open the link "
                            f"in your browser, download the mod there, then drop the file onto Kappa.")
    return str(asset["browser_download_url"])


async def _github_release(client: httpx.AsyncClient, api_url: str, page: str) -> Mapping[str, Any]:
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    try:
        response = await client.get(api_url, headers=headers)
    except httpx.HTTPError as exc:
        raise DownloadError(f"Could not ask GitHub which file {page} stands for ({type(exc).__name__}). "
                            f"Check the connection and try again.") from None
    if response.status_code == 404:
        raise DownloadError(f"GitHub has no such release for {page} (or the repository is private or gone). Open "
                            f"the link in your browser, download the mod there, then drop the file onto Kappa.")
    if response.status_code in (403, 429) and response.headers.get("x-ratelimit-remaining") == "0":
        raise DownloadError("GitHub's limit for anonymous use (60 questions an hour) is used up, so Kappa cannot "
                            f"look up {page} now. Try again in an hour, or download the file in your browser and "
                            "drop it onto Kappa.")
    if response.status_code != 200:
        raise DownloadError(f"GitHub answered HTTP {response.status_code} when asked about {page}. Try again later.")
    try:
        release = response.json()
    except ValueError:
        release = None
    if not isinstance(release, dict):
        raise DownloadError(f"GitHub's answer about {page} was not the release description Kappa expected.")
    return release


# -- landing pages ---------------------------------------------------------------------------------------------


def is_landing_host(url: str) -> bool:
    """True for links that always lead to a page a person must click through (MEGA, MediaFire, Drive folders)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if _site(host) in _LANDING_HOSTS:
        return True
    return host in _DRIVE_HOSTS and "/folders/" in parts.path


def refuse_landing_page(link: str, answered_by: str | None = None) -> NotADirectLink:
    """The error for a link that answers with a web page; `answered_by` is the URL that sent the page.

    The message names the host, gives `link` (what the player or the Forge gave, which a browser follows the same
    way) and says what to do: download it in the browser, then drop the file onto Kappa.
    """
    host = urlsplit(answered_by or link).hostname or "the host"
    note = _HOST_NOTES.get(_site(host.lower()))
    why = f" ({note})" if note else ""
    message = (f"{host} answered with a web page instead of the mod's file: this is not a direct download link{why}. "
               f"Open {link} in your browser, download the file there, then drop it onto Kappa to install it.")
    return NotADirectLink(message, host=host, link=link)


def _site(host: str) -> str:
    """`www.mediafire.com` -> `mediafire.com`; other hosts unchanged."""
    return host.removeprefix("www.")
