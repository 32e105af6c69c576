"""Every ForgeClient method against the local Forge over real sockets (the unit tests check exact payloads)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from app.core.cert_pins import fingerprint_of
from app.net.forge import ForgeClient, ForgeInvalidQuery, ForgeNotFound, ForgeUnauthenticated
from app.net.forge_models import ModFilters, ModVersionFilters, SptVersionFilters
from app.net.http import ApiClient, RetryPolicy, create_client
from app.net.tls import pinned_context
from app.sandbox.forge import DEMO_USER_EMAIL, DEMO_USER_PASSWORD, LocalForge

T = TypeVar("T")


def _call(forge: LocalForge, work: Callable[[ForgeClient], Awaitable[T]]) -> T:
    async def session() -> T:
        api = ApiClient([forge.base_url], client=create_client(), retry=RetryPolicy(backoff=0.01))
        async with api.client:
            return await work(ForgeClient(api))

    return asyncio.run(session())


def test_every_read_endpoint(shared_forge: LocalForge) -> None:
    async def tour(forge: ForgeClient) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        seen["ping"] = (await forge.ping()).data
        all_mods = await forge.iter_mods(per_page=7).collect()  # several pages
        seen["mods"] = all_mods.data
        seen["mods_pages"] = all_mods.source.requests
        seen["guid"] = (await forge.mods(ModFilters(guid=["COM.NIGHTJAR.LOOTPULSE"]))).data.items
        seen["mod"] = (await forge.mod(2291, include=("versions", "license", "category"))).data
        seen["versions"] = (await forge.mod_versions(2291, ModVersionFilters(spt_version="~4.0.0"))).data.items
        seen["all_versions"] = (await forge.iter_mod_versions(2291, per_page=2).collect()).data
        version = seen["versions"][0]
        seen["tree"] = (await forge.version_file_tree(2291, version.id)).data
        seen["updates"] = (await forge.updates([("com.ravenfall.betterscavkarma", "0.9.14")], "4.0.11")).data
        seen["deps"] = (await forge.dependencies([(2410, "1.5.0")], "4.0.11")).data
        addons = (await forge.addons()).data.items
        seen["addons"] = addons
        seen["addon"] = (await forge.addon(addons[0].id)).data
        addon_versions = (await forge.addon_versions(addons[0].id)).data.items
        seen["addon_versions"] = addon_versions
        pair = (addons[0].id, addon_versions[0].version)
        seen["addon_deps"] = (await forge.addon_dependencies([pair], "4.0.11")).data
        with pytest.raises(ForgeNotFound):
            await forge.addon_file_tree(addons[0].id, 10**6)
        categories = (await forge.mod_categories()).data.items
        seen["categories"] = categories
        seen["category"] = (await forge.mod_category(categories[0].id)).data
        seen["spt"] = (await forge.iter_spt_versions(SptVersionFilters(spt_version="~4.0.0")).collect()).data
        return seen

    seen = _call(shared_forge, tour)
    assert seen["ping"] == "pong"
    assert len(seen["mods"]) >= 30 and seen["mods_pages"] >= 5
    assert len({mod.id for mod in seen["mods"]}) == len(seen["mods"])
    assert [mod.id for mod in seen["guid"]] == [2291]
    assert seen["mod"].guid == "com.nightjar.lootpulse" and seen["mod"].versions
    assert all(v.spt_version_constraint for v in seen["versions"])
    assert len(seen["all_versions"]) >= 3
    assert seen["tree"].files and all("/" in name for name in seen["tree"].files)
    assert [u.recommended_version.version for u in seen["updates"].updates] == ["0.9.15"]
    assert seen["deps"].nodes
    assert seen["addons"] and seen["addon"].id == seen["addons"][0].id and seen["addon_versions"]
    assert seen["addon_deps"] is not None
    assert seen["categories"] and seen["category"].id == seen["categories"][0].id
    assert [v.version for v in seen["spt"]] and all(v.version.startswith("4.0.") for v in seen["spt"])


def test_api_errors_arrive_typed(shared_forge: LocalForge) -> None:
    async def wrong(forge: ForgeClient) -> None:
        with pytest.raises(ForgeNotFound) as missing:
            await forge.mod(999_999)
        assert missing.value.code == "NOT_FOUND" and missing.value.status == 404
        with pytest.raises(ForgeInvalidQuery) as bad:
            await forge.mods(sort="popularity")
        assert "popularity" in bad.value.message

    _call(shared_forge, wrong)


def test_auth_flow_for_instances_that_want_tokens(forge_archive_dir: Path) -> None:
    async def flow(forge: ForgeClient) -> tuple[str, list[str], str]:
        with pytest.raises(ForgeUnauthenticated):
            await forge.mods()
        token = await forge.login(DEMO_USER_EMAIL, DEMO_USER_PASSWORD)
        user = (await forge.user()).data
        abilities = (await forge.abilities()).data
        assert (await forge.mods()).data.items
        await forge.logout()
        forge.api.token = token  # a revoked token no longer works
        with pytest.raises(ForgeUnauthenticated):
            await forge.user()
        return user.email or "", abilities, token

    with LocalForge(require_token=True, rate_limit=None, archive_dir=forge_archive_dir) as forge:
        email, abilities, token = _call(forge, flow)
    assert email == DEMO_USER_EMAIL and "read" in abilities and token


def test_kappa_sandbox_runs_the_local_forge_and_game_servers_until_interrupted(tmp_path: Path) -> None:
    port_file = tmp_path / "urls.json"
    process = subprocess.Popen([sys.executable, "-m", "app", "sandbox", "--port-file", str(port_file),
                                "--data-dir", str(tmp_path / "data")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not port_file.exists() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        urls = json.loads(port_file.read_text())
        assert urls["forge"].startswith("http://127.0.0.1:") and urls["forge"].endswith("/api/v0")
        assert httpx.get(f"{urls['forge']}/ping").json() == {"success": True, "data": {"message": "pong"}}
        fika = httpx.get(f"{urls['fika']}/fika/api/players", verify=_trusting(urls["fika"]),
                         headers={"Authorization": f"Bearer {urls['fika_api_key']}", "requestcompressed": "0"})
        assert "players" in fika.json()
        dedicated = httpx.post(f"{urls['dedicated']}/api/v1", verify=_trusting(urls["dedicated"]),
                               json={"function": "HealthCheck", "data": {"ClientCustomData": ""}})
        assert dedicated.status_code == 200
        assert fingerprint_of(_presented(urls["fika"])) == urls["fika_sha256"]
    finally:
        process.send_signal(signal.SIGINT if os.name != "nt" else signal.CTRL_C_EVENT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Local Forge:" in out and "Fika server:" in out and "Traceback" not in err


def _presented(url: str) -> bytes:
    host, port = url.removeprefix("https://").rsplit(":", 1)
    return ssl.PEM_cert_to_DER_cert(ssl.get_server_certificate((host, int(port))))


def _trusting(url: str) -> ssl.SSLContext:
    """Trusts exactly the certificate the server shows (the sandbox's own, made at start)."""
    return pinned_context(_presented(url))
