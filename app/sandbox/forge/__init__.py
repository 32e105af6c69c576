"""A faithful local Forge (the SPT mod site's API v0), for `kappa --demo`, integration tests and benchmarks.

    with LocalForge() as forge:
        httpx.get(f"{forge.base_url}/mods/updates", params={"mods": "1877:0.9.14", "spt_version": "4.0.11"})

See `catalogue` for the seeded data and the scenario each sample install plays out, `server` for the HTTP side.
"""

from app.sandbox.forge.auth import DEMO_USER_EMAIL, DEMO_USER_PASSWORD
from app.sandbox.forge.catalogue import Catalogue, default_catalogue, synthetic_catalogue, synthetic_installed
from app.sandbox.forge.ratelimit import DEFAULT_EDGE_LIMITS, RateLimitRule, RateWindow
from app.sandbox.forge.server import LocalForge, RequestRecord

__all__ = [
    "DEFAULT_EDGE_LIMITS",
    "DEMO_USER_EMAIL",
    "DEMO_USER_PASSWORD",
    "Catalogue",
    "LocalForge",
    "RateLimitRule",
    "RateWindow",
    "RequestRecord",
    "default_catalogue",
    "synthetic_catalogue",
    "synthetic_installed",
]
