"""Opening the Forge: the one place that wires settings, the keyring, the cache and the limiter to a client."""

from __future__ import annotations

from types import TracebackType

from app.core.data_dir import DataDir
from app.core.secrets import FORGE_TOKEN, get_secret
from app.core.settings import SettingsStore
from app.net.forge import ForgeClient
from app.net.http import FORGE_LIMITS, ApiClient, RateLimiter, ResponseCache, RetryPolicy, create_client


class ForgeSession:
    """`async with ForgeSession(data_dir) as forge:` gives a ready ForgeClient and closes its connections."""

    def __init__(self, data_dir: DataDir, forge_url: str | None = None, *, retry: RetryPolicy | None = None,
                 limits: tuple[tuple[int, float], ...] = FORGE_LIMITS) -> None:
        settings = SettingsStore(data_dir).load()
        # An explicit URL (a sandbox, a self-hosted Forge) is used alone; the configured one with its mirror.
        urls = [forge_url.rstrip("/")] if forge_url else [settings.forge_url, *filter(None, [settings.forge_mirror])]
        self.api = ApiClient(urls, client=create_client(), limiter=RateLimiter(limits),
                             cache=ResponseCache(data_dir.http_cache_file), token=get_secret(FORGE_TOKEN),
                             retry=retry)
        self.forge = ForgeClient(self.api)

    async def __aenter__(self) -> ForgeClient:
        return self.forge

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        await self.api.client.aclose()
