"""What the desktop app works with for one data dir: the Forge, the downloader and an installer per SPT install.

The CLI opens these per command; the GUI keeps one set for the whole session and closes it on exit. Settings are
read when the workspace opens; `reopen_forge` applies a changed Forge URL, mirror or token without a restart.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from app.core.data_dir import DataDir
from app.core.settings import Settings, SettingsStore
from app.core.spt_install import open_install
from app.net.download import Downloader
from app.net.forge import ForgeClient
from app.net.http import create_client
from app.net.thumbnails import ThumbnailCache
from app.services.forge_session import ForgeSession
from app.services.installer import Installer, ProgressCallback


class Workspace:
    def __init__(self, data_dir: DataDir, forge_url: str | None = None) -> None:
        self.data_dir = data_dir
        self.settings_store = SettingsStore(data_dir)
        self.forge_url = forge_url  # an explicit URL (the demo's local Forge, --forge-url) wins over the settings
        self._session = ForgeSession(data_dir, forge_url)
        self._http: httpx.AsyncClient = create_client()
        self.downloader = self._new_downloader()
        self.thumbnails = ThumbnailCache(data_dir.thumbnails_dir, self._http, referer=self.forge_site)

    @property
    def forge(self) -> ForgeClient:
        return self._session.forge

    @property
    def forge_site(self) -> str:
        """The Forge's web site, e.g. "https://sp-mod.com/": its image host wants it as the Referer."""
        url = httpx.URL(self._session.api.base_urls[0])
        return f"{url.scheme}://{url.netloc.decode()}/"

    def settings(self) -> Settings:
        return self.settings_store.load()

    def installer(self, root: Path, *, on_download: ProgressCallback | None = None,
                  on_extract: Callable[[str, int, int], None] | None = None,
                  cancelled: Callable[[], bool] | None = None) -> Installer:
        """An installer for the install at `root` (opened afresh: the player may have changed it meanwhile)."""
        return Installer(open_install(root), self.data_dir, forge=self.forge, downloader=self.downloader,
                         mappings=self.settings().forge_mappings, on_download=on_download, on_extract=on_extract,
                         cancelled=cancelled)

    async def reopen_forge(self) -> None:
        """Apply changed settings (Forge URL, mirror, token, download concurrency) to new connections."""
        old = self._session
        self._session = ForgeSession(self.data_dir, self.forge_url)
        self.downloader = self._new_downloader()
        self.thumbnails.referer = self.forge_site
        await old.api.client.aclose()

    async def aclose(self) -> None:
        await self.thumbnails.aclose()
        await self._session.api.client.aclose()
        await self._http.aclose()

    def _new_downloader(self) -> Downloader:
        return Downloader(self.data_dir.downloads_dir, client=self._http,
                          max_parallel=self.settings().download_concurrency)
