"""The local Forge over real sockets: envelope, queries, errors, updates, dependencies, downloads, limits, auth."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import py7zr
import pytest

from app.core.dotnet import read_assembly
from app.sandbox.forge import (
    DEMO_USER_EMAIL,
    DEMO_USER_PASSWORD,
    LocalForge,
    RateLimitRule,
    synthetic_catalogue,
    synthetic_installed,
)
from app.sandbox.forge.catalogue import CLIENT_FILLER, SERVER_FILLER
from app.sandbox.sample_install import ASSEMBLIES

EXPECTED: dict[str, dict[str, Any]] = json.loads(
    (Path(__file__).resolve().parents[1] / "assemblies" / "expected.json").read_text(encoding="utf-8"))

# What a scan of the SPT 4.0 sample reports, as identifier:version pairs.
SAMPLE_40 = [
    "com.ravenfall.betterscavkarma:0.9.14", "com.fika.server:2.3.4", "io.github.moxie.hideoutautomation:1.0.0-beta.2",
    "com.nightjar.lootpulse:1.7.3", "dev.larkspur.tradertimers:1.4.2", "com.oxbow.ammotools.stats:0.8.2",
    "com.oxbow.ammotools.loadout:1.0", "com.pinecone.swiftsort.core:1.3.0", "com.pinecone.swiftsort.extras:1.3.0",
    "com.ravenfall.tacticalhud:2.1.0",
]


@pytest.fixture(scope="module")
def api(shared_forge: LocalForge) -> Iterator[httpx.Client]:
    """A client of the module's shared Forge: for tests that change nothing on the server."""
    with httpx.Client(base_url=shared_forge.base_url, timeout=10) as client:
        yield client


@pytest.fixture
def fresh_api(local_forge: LocalForge) -> Iterator[httpx.Client]:
    """A client of a Forge of the test's own: for tests that switch shapes, limits, failures or accounts."""
    with httpx.Client(base_url=local_forge.base_url, timeout=10) as client:
        yield client


def _data(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    document = response.json()
    assert document["success"] is True
    return document["data"]


def _error(response: httpx.Response, status: int, code: str, message: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    document = response.json()
    assert (document["success"], document["code"]) == (False, code)
    if message is not None:
        assert document["message"] == message
    return document


def _ids(response: httpx.Response) -> list[int]:
    return [row["id"] for row in _data(response)]


def _guids(api: httpx.Client, **params: Any) -> set[str]:
    return {row["guid"] for row in _data(api.get("/mods", params={"per_page": 50, **params}))}


def _updates(api: httpx.Client, mods: list[str], spt: str) -> dict[str, Any]:
    return _data(api.get("/mods/updates", params={"mods": ",".join(mods), "spt_version": spt}))


def _by_guid(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {(e.get("current_version") or e)["guid"]: e for e in entries}


# ----------------------------------------------------------------------------------------------------------
# Envelope, pagination, caching
# ----------------------------------------------------------------------------------------------------------


def test_ping_answers_pong_and_is_never_cached(api: httpx.Client) -> None:
    response = api.get("/ping")
    assert response.json() == {"success": True, "data": {"message": "pong"}}
    assert response.headers["cache-control"] == "public, max-age=0"


def test_cache_control_follows_the_route(api: httpx.Client) -> None:
    assert api.get("/mods").headers["cache-control"] == "public, max-age=300"
    assert api.get("/mod/1877/versions").headers["cache-control"] == "public, max-age=300"
    assert api.get("/spt/versions").headers["cache-control"] == "public, max-age=3600"
    assert api.get("/mod-categories").headers["cache-control"] == "public, max-age=3600"
    assert api.get("/mod/999999").headers["cache-control"] == "no-cache, private"


def test_pagination_walks_every_page_with_laravel_links_and_meta(api: httpx.Client) -> None:
    first = api.get("/mods", params={"per_page": 5, "sort": "name"}).json()
    total, seen, page = first["meta"]["total"], [], first
    assert total >= 30
    while True:
        seen.extend(row["id"] for row in page["data"])
        if page["links"]["next"] is None:
            break
        assert "per_page=5" in page["links"]["next"] and "sort=name" in page["links"]["next"]
        page = httpx.get(page["links"]["next"]).json()
    assert len(seen) == len(set(seen)) == total
    meta = first["meta"]
    assert (meta["current_page"], meta["from"], meta["to"], meta["per_page"]) == (1, 1, 5, 5)
    assert meta["last_page"] == page["meta"]["current_page"] == -(-total // 5)
    assert meta["path"].endswith("/api/v0/mods")
    assert first["links"]["prev"] is None and first["links"]["first"].endswith("page=1")
    assert meta["links"][0] == {"url": None, "label": "&laquo; Previous", "page": None, "active": False}
    assert meta["links"][-1]["label"] == "Next &raquo;" and meta["links"][-1]["page"] == 2
    assert {"url": first["links"]["first"], "label": "1", "page": 1, "active": True} in meta["links"]


def test_page_size_defaults_to_12_and_is_capped_at_50(api: httpx.Client) -> None:
    assert api.get("/mods").json()["meta"]["per_page"] == 12
    assert api.get("/mods", params={"per_page": 500}).json()["meta"]["per_page"] == 50
    beyond = api.get("/mods", params={"page": 99}).json()
    assert (beyond["data"], beyond["meta"]["from"], beyond["meta"]["to"]) == ([], None, None)


def test_long_listings_get_a_sliding_window_with_ellipses(api: httpx.Client) -> None:
    meta = api.get("/mods", params={"per_page": 1, "page": 12}).json()["meta"]
    labels = [link["label"] for link in meta["links"]]
    assert meta["last_page"] >= 30
    assert labels == ["&laquo; Previous", "1", "2", "...", "9", "10", "11", "12", "13", "14", "15", "...",
                      str(meta["last_page"] - 1), str(meta["last_page"]), "Next &raquo;"]


def test_head_answers_like_get_without_a_body(api: httpx.Client) -> None:
    response = api.head("/mods")
    assert response.status_code == 200 and response.content == b""
    assert int(response.headers["content-length"]) == len(api.get("/mods").content)


def test_a_malformed_date_range_is_the_servers_500(api: httpx.Client) -> None:
    _error(api.get("/mods", params={"filter[updated_between]": "2026-01-01"}), 500, "SERVER_ERROR",
           "An unexpected error occurred.")


def test_json_escapes_slashes_like_php(api: httpx.Client) -> None:
    assert '"path":"http:\\/\\/127.0.0.1' in api.get("/mods").text


# ----------------------------------------------------------------------------------------------------------
# /mods: filters, search, sort, include, fields
# ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("params", "expected"), [
    ({"filter[id]": "1877,2326"}, {"com.ravenfall.betterscavkarma", "com.fika.server"}),
    ({"filter[hub_id]": "1226"}, {"me.sol.sain"}),
    ({"filter[guid]": "Com.Tyfon.UIFixes,COM.FIKA.SERVER"}, {"com.tyfon.uifixes", "com.fika.server"}),
    ({"filter[name]": "squad"}, {"com.acme.squadtactics", "com.acme.squadcomms", "com.acme.squadmarkers",
                                 "com.acme.squadcore"}),
    ({"filter[slug]": "raid-"}, {"com.ovrdrv.raidreview"}),
    ({"filter[teaser]": "restocks"}, {"dev.larkspur.tradertimers"}),
    ({"filter[cheat_notice]": "yes"}, {"com.acme.lootradius"}),
    ({"filter[contains_ads]": "1"}, {"com.acme.gunsmithpresets"}),
    ({"filter[contains_ai_content]": "true"}, {"com.acme.gunsmithpresets", "com.fontaine.realism"}),
    ({"filter[category_slug]": "server-tools"}, {"com.fika.server", "com.fika.headless"}),
    ({"filter[category_id]": "9"}, {"com.fika.server", "com.fika.headless"}),
    ({"filter[published_between]": "2026-06-01,2026-12-31"},
     {"com.kestrel.fleatweaks", "dev.larkspur.stashsorter", "com.ovrdrv.raidreview", "com.ovrdrv.raidcore",
      "com.acme.tradertinker"}),
    ({"filter[spt_version]": "~3.7.0"}, {"com.ihanamies.lootvalue"}),
    ({"filter[spt_version]": "4.1.2", "filter[fika_compatibility]": "1"},
     {"com.ravenfall.betterscavkarma", "com.fika.server", "com.nightjar.lootpulse", "com.mpstark.dynamicmaps"}),
])
def test_mod_filters(api: httpx.Client, params: dict[str, str], expected: set[str]) -> None:
    assert _guids(api, **params) == expected


def test_featured_filter_and_boolean_parsing(api: httpx.Client) -> None:
    featured = _guids(api, **{"filter[featured]": "on"})
    assert "com.fika.server" in featured and "me.sol.sain" in featured
    assert not featured & _guids(api, **{"filter[featured]": "nope"})


def test_legacy_hidden_and_disabled_mods(api: httpx.Client) -> None:
    listed = _guids(api)
    assert "com.oldmate.legacyhud" not in listed
    assert "com.acme.brokenmod" not in listed and "com.acme.upcoming" not in listed
    assert "com.oldmate.legacyhud" in _guids(api, **{"filter[include_legacy]": "1"})
    assert "com.acme.brokenmod" not in _guids(api, **{"filter[guid]": "com.acme.brokenmod,com.acme.upcoming"})


def test_full_text_query_matches_words_and_orders_by_latest_version(api: httpx.Client) -> None:
    rows = _data(api.get("/mods", params={"query": "squad"}))
    # TacticalHUD's description mentions squad markers; hits come newest latest version first (2.3.0, 2.1.0, ...)
    assert [r["slug"] for r in rows] == ["tacticalhud", "squad-markers", "squad-core", "squad-tactics", "squad-comms"]
    assert [r["slug"] for r in _data(api.get("/mods", params={"query": "bot brains"}))] == ["bigbrain"]
    assert _data(api.get("/mods", params={"query": "swiftsort"})) == []


def test_sorting_with_direction_and_several_keys(api: httpx.Client) -> None:
    rows = _data(api.get("/mods", params={"sort": "-downloads", "per_page": 50}))
    assert [r["downloads"] for r in rows] == sorted((r["downloads"] for r in rows), reverse=True)
    rows = _data(api.get("/mods", params={"sort": "-featured,name", "per_page": 50}))
    featured = [r["name"] for r in rows if r["featured"]]
    assert rows[:len(featured)] == [r for r in rows if r["featured"]]
    assert featured == sorted(featured, key=str.lower)


def test_includes_add_versions_license_category(api: httpx.Client) -> None:
    (mod,) = _data(api.get("/mods", params={"filter[id]": "2140", "include": "versions,license,category"}))
    assert [v["version"] for v in mod["versions"]] == ["1.1.0-beta.1", "1.0.0", "1.0.0-beta.2", "1.0.0-beta.1",
                                                      "0.9.0"]
    assert mod["license"] == {"id": 2, "name": "GNU General Public License v3.0", "short_name": "GPL-3.0"}
    assert mod["category"]["slug"] == "quality-of-life"
    assert "description" not in mod


def test_fields_limit_the_attributes(api: httpx.Client) -> None:
    (mod,) = _data(api.get("/mods", params={"filter[id]": "1877", "fields": "name,detail_url"}))
    assert set(mod) == {"id", "name", "detail_url", "owner", "additional_authors"}


INVALID_PARAMETERS = [
    ("/mods", {"filter[author]": "x"}, "Invalid filter(s): author. Valid filters are: id, hub_id, guid, name, slug, "
     "teaser, featured, contains_ads, contains_ai_content, cheat_notice, category_id, category_slug, created_between, "
     "updated_between, published_between, spt_version, fika_compatibility, include_legacy"),
    ("/mods", {"filter[id][]": "1"}, "The 'id' filter must be a single value. Provide multiple values as a "
     "comma-separated string (e.g. filter[id]=value1,value2)."),
    ("/mods", {"include": "dependencies"},
     "Invalid parameter(s): dependencies. Valid parameters are: versions, license, category, source_code_links"),
    ("/mods", {"fields": "name,secret"}, "Invalid field(s): secret. Valid fields are: hub_id, guid, name, slug, "
     "teaser, description, thumbnail, downloads, favourites_count, featured, contains_ai_content, "
     "custom_ai_disclosure, contains_ads, cheat_notice, category_id, published_at, created_at, updated_at, "
     "detail_url, fika_compatibility, shows_profile_binding_notice"),
    ("/mods", {"sort": "-rating"}, "Invalid sort parameter(s): -rating. Valid sorts are: name, downloads, "
     "favourites_count, featured, created_at, updated_at, published_at"),
    ("/mod/1877/versions", {"sort": "semver"}, "Invalid sort parameter(s): semver. Valid sorts are: id, hub_id, "
     "version, downloads, published_at, created_at, updated_at"),
    ("/mod/1877/versions", {"include": "files"},
     "Invalid parameter(s): files. Valid parameters are: dependencies, virus_total_links"),
    ("/spt/versions", {"filter[major]": "4"},
     "Invalid filter(s): major. Valid filters are: id, spt_version, created_between, updated_between"),
]


@pytest.mark.parametrize(("path", "params", "message"), INVALID_PARAMETERS)
def test_unknown_parameters_are_rejected_in_the_forges_words(api: httpx.Client, path: str, params: dict[str, str],
                                                            message: str) -> None:
    _error(api.get(path, params=params), 400, "INVALID_QUERY_PARAMETER", message)


@pytest.mark.parametrize("path", [
    "/mod/999999", "/mod/2703", "/mod/2704", "/mod/640", "/mod/abc", "/mod/2703/versions", "/mod/640/versions",
    "/mod/2326/versions/5001/file-tree", "/mod-categories/nope", "/addon/77",
    "/no/such/route",
])
def test_missing_or_hidden_resources_are_404(api: httpx.Client, path: str) -> None:
    _error(api.get(path), 404, "NOT_FOUND", "Resource not found.")


def test_mod_details_carry_the_description(api: httpx.Client) -> None:
    mod = _data(api.get("/mod/2291", params={"include": "versions"}))
    assert mod["guid"] == "com.nightjar.lootpulse" and mod["description"]
    assert [v["version"] for v in mod["versions"]][:2] == ["1.8.0", "1.7.4"]
    assert [a["name"] for a in mod["additional_authors"]] == ["Kestrel", "ovrdrv"]


# ----------------------------------------------------------------------------------------------------------
# /mod/{id}/versions and file trees
# ----------------------------------------------------------------------------------------------------------


def test_versions_hide_disabled_unpublished_and_unlinked_versions(api: httpx.Client) -> None:
    versions = [v["version"] for v in _data(api.get("/mod/2705/versions"))]
    assert versions == ["1.0.0", "1.1.0"]  # 1.2.0 disabled, 1.3.0 unpublished
    assert "1.2.0" not in [v["version"] for v in _data(api.get("/mod/2706/versions"))]  # only for unpublished 4.1.3
    assert [v["version"] for v in _data(api.get("/mod/877/versions"))] == ["3.0.1"]  # the legacy ones are hidden


def test_version_sort_filters_and_includes(api: httpx.Client) -> None:
    rows = _data(api.get("/mod/2140/versions", params={"sort": "-version"}))
    assert [v["version"] for v in rows] == ["1.1.0-beta.1", "1.0.0", "1.0.0-beta.2", "1.0.0-beta.1", "0.9.0"]
    rows = _data(api.get("/mod/2291/versions", params={"filter[version]": "^1.7.3", "sort": "version"}))
    assert [v["version"] for v in rows] == ["1.7.3+b", "1.7.4", "1.8.0"]
    rows = _data(api.get("/mod/2291/versions", params={"filter[version]": "~1.7.3"}))
    assert [v["version"] for v in rows] == ["1.7.3+b", "1.7.4"]
    rows = _data(api.get("/mod/2140/versions", params={"filter[fika_compatibility]": "incompatible"}))
    assert [v["version"] for v in rows] == ["1.0.0"]
    rows = _data(api.get("/mod/2410/versions", params={"filter[spt_version]": "4.1.2"}))
    assert [v["version"] for v in rows] == ["2.0.0"]
    params = {"filter[version]": "1.5.0", "fields": "version,spt_version_constraint",
              "include": "dependencies,virus_total_links"}
    (row,) = _data(api.get("/mod/2410/versions", params=params))
    assert set(row) == {"id", "version", "spt_version_constraint", "dependencies", "virus_total_links"}
    assert row["dependencies"] == [{"id": row["dependencies"][0]["id"], "mod_id": 2291,
                                    "mod_guid": "com.nightjar.lootpulse", "mod_name": "LootPulse",
                                    "version_constraint": "^2.0.0", "is_optional": False}]
    assert row["virus_total_links"][0]["url"].startswith("https://www.virustotal.com/gui/file/")


def test_version_attributes_include_quirks(api: httpx.Client) -> None:
    rows = {v["version"]: v for v in _data(api.get("/mod/1372/versions"))}
    assert rows["4.0.1"]["spt_version_constraint"] == " 4.0.10 "  # padded, as the live API sends it
    assert rows["4.0.0"]["description"].startswith("<p>")
    assert rows["4.0.0"]["fika_compatibility"] in ("compatible", "incompatible", "unknown")


def _version_id(forge: LocalForge, mod_id: int, version: str) -> int:
    return next(v.id for v in forge.catalogue.mod_by_id[mod_id].versions if v.version == version)


def test_file_tree_lists_the_archive_of_4x_versions_only(api: httpx.Client, shared_forge: LocalForge) -> None:
    version_id = _version_id(shared_forge, 2291, "1.7.3+b")
    tree = _data(api.get(f"/mod/2291/versions/{version_id}/file-tree"))
    assert tree["files"] == ["SPT/user/mods/LootPulse/LootPulse.Server.dll",
                             "SPT/user/mods/LootPulse/compat/LootPulse.Compat.dll",
                             "BepInEx/plugins/LootPulse/LootPulse.Client.dll"]
    assert (tree["file_count"], tree["truncated"]) == (3, False)
    archive = shared_forge.catalogue.version_by_id[version_id].archive_name
    with zipfile.ZipFile(shared_forge.archive_dir / str(archive)) as opened:
        assert opened.namelist() == tree["files"]
    # verification is skipped for pre-4.0 mods, so a 3.x version has no file tree
    _error(api.get(f"/mod/1126/versions/{_version_id(shared_forge, 1126, '3.2.2')}/file-tree"), 404, "NOT_FOUND")


# ----------------------------------------------------------------------------------------------------------
# SPT versions, categories, addons
# ----------------------------------------------------------------------------------------------------------


def test_spt_versions_are_published_only_newest_first(api: httpx.Client) -> None:
    rows = _data(api.get("/spt/versions", params={"per_page": 50}))
    versions = [r["version"] for r in rows]
    assert versions[:3] == ["4.1.2", "4.1.1", "4.1.0"] and "4.1.3" not in versions
    assert {f"4.0.{n}" for n in range(14)} <= set(versions) and "3.11.2" in versions
    four_oh = _data(api.get("/spt/versions", params={"filter[spt_version]": "~4.0.0", "sort": "version",
                                                     "per_page": 50}))
    assert [r["version"] for r in four_oh] == [f"4.0.{n}" for n in range(14)]
    first = four_oh[0]
    assert (first["version_major"], first["version_minor"], first["version_patch"], first["version_labels"]) == (
        4, 0, 0, "")
    assert first["link"] == "https://github.com/sp-tarkov/build/releases/tag/4.0.0" and first["mod_count"] > 5


def test_categories_by_id_and_slug(api: httpx.Client) -> None:
    listing = api.get("/mod-categories").json()
    assert listing["meta"]["per_page"] == 50 and len(listing["data"]) == 9
    assert _data(api.get("/mod-categories/6"))["slug"] == "libraries"
    assert _data(api.get("/mod-categories/bots-ai")) == {"id": 5, "hub_id": 16, "title": "Bots & AI",
                                                         "slug": "bots-ai",
                                                         "description": "Bot behaviour, spawns and difficulty"}


def test_addons_list_show_versions_and_dependencies(api: httpx.Client) -> None:
    addons = {a["slug"]: a for a in _data(api.get("/addons"))}
    assert set(addons) == {"lootpulse-sound-pack", "sain-personality-presets", "realism-ammo-tables"}
    assert addons["realism-ammo-tables"]["is_detached"] is True
    assert _ids(api.get("/addons", params={"filter[mod_id]": "2291"})) == [1]
    assert "description" in _data(api.get("/addon/1", params={"include": "mod"}))
    versions = _data(api.get("/addon/1/versions", params={"sort": "-version"}))
    assert [v["version"] for v in versions] == ["1.2.0", "1.1.0", "1.0.0"]
    tree = _data(api.get("/addon/1/versions/902/file-tree"))
    assert tree["files"][0].startswith("SPT/user/mods/LootPulse/sounds/")
    _error(api.get("/addon/2/versions/904/file-tree"), 404, "NOT_FOUND")
    data = _data(api.get("/addons/dependencies", params={"addons": "lootpulse-sound-pack:1.1.0",
                                                         "spt_version": "4.0.11"}))
    (lootpulse, sharedui) = data["lootpulse-sound-pack:1.1.0"]
    assert (lootpulse["guid"], lootpulse["latest_compatible_version"]["version"]) == ("com.nightjar.lootpulse", "1.7.4")
    assert sharedui["latest_compatible_version"]["version"] == "1.1.4"
    _error(api.get("/addons/dependencies", params={"addons": "lootpulse-sound-pack:1.1.0"}), 400,
           "VALIDATION_FAILED", "You must provide both 'addons' and 'spt_version' parameters.")


# ----------------------------------------------------------------------------------------------------------
# /mods/updates
# ----------------------------------------------------------------------------------------------------------


def test_updates_for_the_40_sample_show_every_status(api: httpx.Client) -> None:
    data = _updates(api, SAMPLE_40, "4.0.11")
    updates, blocked = _by_guid(data["updates"]), _by_guid(data["blocked_updates"])
    assert data["spt_version"] == "4.0.11"
    assert set(updates) == {"com.ravenfall.betterscavkarma", "io.github.moxie.hideoutautomation"}
    karma = updates["com.ravenfall.betterscavkarma"]
    assert (karma["recommended_version"]["version"], karma["update_reason"]) == ("0.9.15", "newer_version_available")
    assert karma["recommended_version"]["link"].endswith("/mod/download/1877/better-scav-karma/0.9.15")
    assert "4.0.11" in karma["recommended_version"]["spt_versions"]
    hideout = updates["io.github.moxie.hideoutautomation"]
    assert (hideout["recommended_version"]["version"], hideout["update_reason"]) == (
        "1.0.0", "newer_prerelease_available")
    assert [e["guid"] for e in data["up_to_date"]] == ["com.fika.server"]
    timers = blocked["dev.larkspur.tradertimers"]
    assert (timers["latest_version"]["version"], timers["block_reason"]) == ("1.5.0", "dependency_constraint_violation")
    assert timers["blocking_mods"] == [{"mod_id": 1877, "mod_guid": "com.ravenfall.betterscavkarma",
                                        "mod_name": "Better Scav Karma", "current_version": "0.9.14",
                                        "constraint": "~1.4.0", "incompatible_with": "1.5.0"}]
    (ammo,) = data["incompatible_with_spt"]
    assert (ammo["guid"], ammo["reason"], ammo["latest_compatible_version"]) == (
        "com.oxbow.ammotools.stats", "no_version_for_spt", None)
    answered = set(updates) | set(blocked) | {e["guid"] for e in data["up_to_date"] + data["incompatible_with_spt"]}
    # SwiftSort is not on the Forge, TacticalHUD's GUID differs, LootPulse's exact string differs: dropped.
    assert not answered & {"com.pinecone.swiftsort.core", "com.ravenfall.tacticalhud", "com.nightjar.lootpulse"}


def test_mods_found_by_name_or_by_their_forge_string_get_updates(api: httpx.Client) -> None:
    (hud,) = _data(api.get("/mods", params={"filter[name]": "TacticalHUD"}))
    assert hud["guid"] == "com.ravenfall.tactical-hud" != "com.ravenfall.tacticalhud"
    versions = [v["version"] for v in _data(api.get("/mod/2291/versions"))]
    assert "1.7.3" not in versions and "1.7.3+b" in versions
    data = _updates(api, [f"{hud['id']}:2.1.0", "com.nightjar.lootpulse:1.7.3+b"], "4.0.11")
    assert {e["current_version"]["guid"]: e["recommended_version"]["version"] for e in data["updates"]} == {
        "com.ravenfall.tactical-hud": "2.2.0", "com.nightjar.lootpulse": "1.7.4"}


def test_updates_match_exact_version_strings_only(api: httpx.Client) -> None:
    empty = {"updates": [], "blocked_updates": [], "up_to_date": [], "incompatible_with_spt": []}
    for pairs in (["com.fika.server:2.3"], ["com.mpstark.dynamicmaps:1.0.2"], ["com.nightjar.lootpulse:1.7.3"],
                  ["com.unknown.mod:1.0.0"], ["1877:0.9.14.0"]):
        assert _updates(api, pairs, "4.0.11") == {"spt_version": "4.0.11", **empty}
    data = _updates(api, ["COM.FIKA.SERVER:2.3.4", "1400:1.0.2+a"], "4.0.11")
    # 1.0.2+b is the same release, so 1.0.2+a counts as up to date
    assert {e["guid"] for e in data["up_to_date"]} == {"com.fika.server", "com.mpstark.dynamicmaps"}


def test_an_unencoded_plus_reads_as_a_space(api: httpx.Client) -> None:
    # The '+' of build metadata must travel as %2B; a bare '+' is a space in a query string.
    bare = api.get("/mods/updates?mods=com.nightjar.lootpulse:1.7.3+b&spt_version=4.0.11")
    assert _data(bare)["updates"] == []
    encoded = api.get("/mods/updates?mods=com.nightjar.lootpulse:1.7.3%2Bb&spt_version=4.0.11")
    assert [u["recommended_version"]["version"] for u in _data(encoded)["updates"]] == ["1.7.4"]


@pytest.mark.parametrize(("installed", "bucket", "offered"), [
    ("io.github.moxie.hideoutautomation:1.0.0-beta.1", "updates", "1.0.0"),
    ("io.github.moxie.hideoutautomation:0.9.0", "updates", "1.0.0"),
    ("com.acme.ballistics:1.9.0", "up_to_date", None),  # stable installs never see prereleases
    ("com.acme.ballistics:2.0.0-alpha.1", "updates", "2.0.0-alpha.2"),  # the lowest newer label, as the SQL orders
    ("com.acme.ballistics:2.0.0-alpha.2", "updates", "2.0.0-beta.1"),
    ("com.acme.ballistics:2.0.0-beta.1", "up_to_date", None),
])
def test_prerelease_rules(api: httpx.Client, installed: str, bucket: str, offered: str | None) -> None:
    (entry,) = _updates(api, [installed], "4.0.11")[bucket]
    if offered is not None:
        assert entry["recommended_version"]["version"] == offered


def test_updates_for_the_3x_and_41_samples(api: httpx.Client) -> None:
    data = _updates(api, ["me.sol.sain:3.2.1", "xyz.drakia.bigbrain:1.3.2", "xyz.drakia.waypoints:1.6.4",
                          "com.ihanamies.lootvalue:3.0.0", "com.danw.sptquestingbots:0.10.3"], "3.11.2")
    assert {e["current_version"]["guid"] for e in data["updates"]} == {"me.sol.sain", "com.danw.sptquestingbots"}
    (waypoints,) = data["blocked_updates"]
    assert waypoints["blocking_mods"][0]["mod_guid"] == "me.sol.sain"
    assert [e["guid"] for e in data["up_to_date"]] == ["xyz.drakia.bigbrain"]
    assert [e["guid"] for e in data["incompatible_with_spt"]] == ["com.ihanamies.lootvalue"]
    data = _updates(api, ["com.kestrel.fleatweaks:3.0.1", "dev.larkspur.stashsorter:2.0.5",
                          "com.ovrdrv.raidreview:0.9.1"], "4.1.2")
    assert [e["recommended_version"]["version"] for e in data["updates"]] == ["3.1.0"]
    blocked = _by_guid(data["blocked_updates"])
    assert blocked["dev.larkspur.stashsorter"]["block_reason"] == "missing_dependency"
    assert blocked["com.ovrdrv.raidreview"]["block_reason"] == "chain_dependency_conflict"
    assert "blocking_mods" not in blocked["com.ovrdrv.raidreview"]


@pytest.mark.parametrize(("params", "message"), [
    ({}, "You must provide both 'mods' and 'spt_version' parameters."),
    ({"mods": "1877:0.9.14"}, "You must provide both 'mods' and 'spt_version' parameters."),
    ({"mods": "1877", "spt_version": "4.0.11"},
     "Invalid format for 'mods' parameter. Expected format: 'identifier:version,identifier:version'"),
    ({"mods": "1877:0.9.14", "spt_version": "4.0.99"}, "SPT version not found or not published."),
    ({"mods": "1877:0.9.14", "spt_version": "4.1.3"}, "SPT version not found or not published."),
])
def test_update_parameter_errors(api: httpx.Client, params: dict[str, str], message: str) -> None:
    _error(api.get("/mods/updates", params=params), 400, "VALIDATION_FAILED", message)


# ----------------------------------------------------------------------------------------------------------
# /mods/dependencies, new and old shapes
# ----------------------------------------------------------------------------------------------------------


def _tree(nodes: list[dict[str, Any]]) -> list[Any]:
    return [(n["slug"], (n["latest_compatible_version"] or {}).get("version"), n["conflict"], _tree(n["dependencies"]))
            for n in nodes]


def test_dependencies_are_keyed_by_the_pair_as_given(api: httpx.Client) -> None:
    data = _data(api.get("/mods/dependencies", params={
        "mods": " 3305:1.0.0 , COM.FIKA.SERVER:2.3.4,no.such:1.0", "spt_version": "4.1.2"}))
    # Fika 2.3.4 is not for 4.1.2 but still resolves (only its dependencies are matched to the SPT version)
    assert set(data) == {"3305:1.0.0", "COM.FIKA.SERVER:2.3.4"}
    data = _data(api.get("/mods/dependencies", params={
        "mods": "3305:1.0.0,COM.FIKA.SERVER:2.3.4", "spt_version": "4.0.11"}))
    assert data["COM.FIKA.SERVER:2.3.4"] == []
    assert _tree(data["3305:1.0.0"]) == [("raidcore", None, False, [])]  # nothing of RaidCore is for 4.0.11
    assert _data(api.get("/mods/dependencies", params={"mods": "no.such:1.0", "spt_version": "4.0.11"})) == {}


def test_dependency_chain_resolves_recursively(api: httpx.Client) -> None:
    data = _data(api.get("/mods/dependencies", params={"mods": "com.ovrdrv.raidreview:1.0.0", "spt_version": "4.1.2"}))
    assert _tree(data["com.ovrdrv.raidreview:1.0.0"]) == [
        ("raidcore", "1.0.0", False, [("fleatweaks", "3.1.0", False, [
            ("wtt-commonlib", "2.1.1", False, []),
            ("lootpulse", "1.8.0", False, [("wtt-commonlib", "2.1.1", False, []),
                                          ("nightjar-sharedui", "1.2.0", False, [])])])])]
    node = data["com.ovrdrv.raidreview:1.0.0"][0]
    assert node["latest_compatible_version"]["link"].endswith("/mod/download/3306/raidcore/1.0.0")


def test_diamond_gets_one_version_meeting_both_ranges(api: httpx.Client) -> None:
    data = _data(api.get("/mods/dependencies", params={"mods": "com.acme.squadtactics:1.2.0", "spt_version": "4.0.11"}))
    assert _tree(data["com.acme.squadtactics:1.2.0"]) == [
        ("squad-comms", "1.2.0", False, [("squad-core", "1.3.5", False, [])]),
        ("squad-markers", "2.1.0", False, [("squad-core", "1.3.5", False, [])]),
    ]


def test_unsatisfiable_ranges_are_flagged_as_conflicts(api: httpx.Client) -> None:
    data = _data(api.get("/mods/dependencies", params={
        "mods": "me.sol.sain:3.2.0,xyz.drakia.waypoints:1.6.0", "spt_version": "3.11.2"}))
    assert _tree(data["me.sol.sain:3.2.0"]) == [
        ("bigbrain", "1.3.2", True, []), ("waypoints", "1.6.4", False, [("bigbrain", "1.3.2", True, [])])]
    assert _tree(data["xyz.drakia.waypoints:1.6.0"]) == [("bigbrain", "1.2.5", True, [])]


@pytest.mark.parametrize(("params", "message"), [
    ({"mods": "me.sol.sain:3.2.0"}, "You must provide both 'mods' and 'spt_version' parameters."),
    ({"mods[]": "me.sol.sain:3.2.0", "spt_version": "3.11.2"},
     "Invalid format for 'mods' parameter. Expected format: 'identifier:version,identifier:version' where "
     "identifier is either a mod_id (numeric) or GUID (string)"),
    ({"mods": "me.sol.sain", "spt_version": "3.11.2"},
     "Invalid format for 'mods' parameter. Expected format: 'identifier:version,identifier:version' where "
     "identifier is either a mod_id (numeric) or GUID (string)"),
    ({"mods": "me.sol.sain:3.2.0", "spt_version": "9.9.9"}, "SPT version not found or not published."),
])
def test_dependency_parameter_errors(api: httpx.Client, params: dict[str, str], message: str) -> None:
    _error(api.get("/mods/dependencies", params=params), 400, "VALIDATION_FAILED", message)


def test_old_shape_is_a_flat_list_with_raw_links(fresh_api: httpx.Client, local_forge: LocalForge) -> None:
    local_forge.shape = "old"
    data = _data(fresh_api.get("/mods/dependencies", params={"mods": "me.sol.sain:3.2.0,xyz.drakia.waypoints:1.6.0"}))
    bigbrains = [n for n in data if n["slug"] == "bigbrain"]
    assert len(bigbrains) == 2 and all(n["conflict"] for n in bigbrains)  # a conflict is several entries
    assert sorted(n["required_by"][0] for n in bigbrains) == ["me.sol.sain", "xyz.drakia.waypoints"]
    link = bigbrains[0]["latest_compatible_version"]["link"]
    assert link.startswith(f"{local_forge.root_url}/files/")
    _error(fresh_api.get("/mods/dependencies"), 400, "VALIDATION_FAILED", "You must provide the 'mods' parameter.")
    version = _data(fresh_api.get("/mod/1877/versions", params={"filter[version]": "0.9.15"}))[0]
    assert version["link"] == f"{local_forge.root_url}/files/better-scav-karma-0.9.15.7z"
    # filter[guid] was case-sensitive before 2026-06-24
    assert _data(fresh_api.get("/mods", params={"filter[guid]": "COM.FIKA.SERVER"})) == []
    # the update check already used the redirect link in the old API
    (update,) = _updates(fresh_api, ["1877:0.9.14"], "4.0.11")["updates"]
    assert "/mod/download/1877/" in update["recommended_version"]["link"]
    local_forge.shape = "new"
    version = _data(fresh_api.get("/mod/1877/versions", params={"filter[version]": "0.9.15"}))[0]
    assert version["link"] == f"{local_forge.root_url}/mod/download/1877/better-scav-karma/0.9.15"


def test_shape_rejects_unknown_names(local_forge: LocalForge) -> None:
    with pytest.raises(ValueError, match="shape"):
        local_forge.shape = "newest"


# ----------------------------------------------------------------------------------------------------------
# Downloads, the file host, archives
# ----------------------------------------------------------------------------------------------------------


def test_download_redirects_to_the_archive_and_counts(fresh_api: httpx.Client, local_forge: LocalForge) -> None:
    with httpx.Client(timeout=10) as web:
        link = _updates(fresh_api, ["1877:0.9.14"], "4.0.11")["updates"][0]["recommended_version"]
        response = web.get(link["link"])
        assert response.status_code == 307
        location = response.headers["location"]
        assert location == f"{local_forge.root_url}/files/better-scav-karma-0.9.15.7z"
        archive = web.get(location)
        assert archive.status_code == 200 and len(archive.content) == link["content_length"]
        assert archive.headers["content-length"] == str(link["content_length"])
        assert archive.headers["accept-ranges"] == "bytes"
        assert archive.content == (local_forge.archive_dir / "better-scav-karma-0.9.15.7z").read_bytes()
        assert local_forge.catalogue.version_by_id[link["id"]].downloads > 0
        followed = web.get(link["link"], follow_redirects=True)
        assert followed.content == archive.content


def test_downloads_are_limited_to_five_a_minute_per_mod(local_forge: LocalForge) -> None:
    base = f"{local_forge.root_url}/mod/download/2326/fika-server"
    with httpx.Client(timeout=10) as web:
        assert [web.get(f"{base}/2.3.4").status_code for _ in range(5)] == [307] * 5
        limited = web.get(f"{base}/2.3.3")
        assert limited.status_code == 429 and "text/html" in limited.headers["content-type"]
        assert web.get(f"{local_forge.root_url}/mod/download/1877/better-scav-karma/0.9.15").status_code == 307
        assert web.get(f"{base}/9.9.9").status_code == 404


def test_legacy_links_lead_to_a_landing_page(local_forge: LocalForge) -> None:
    with httpx.Client(timeout=10) as web:
        response = web.get(f"{local_forge.root_url}/mod/download/877/lootvalue/3.0.0", follow_redirects=True)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")


def test_byte_ranges_and_head(shared_forge: LocalForge) -> None:
    name = "fika-server-2.3.3.zip"
    data = (shared_forge.archive_dir / name).read_bytes()
    url = f"{shared_forge.root_url}/files/{name}"
    with httpx.Client(timeout=10) as web:
        part = web.get(url, headers={"Range": "bytes=100-199"})
        assert part.status_code == 206 and part.content == data[100:200]
        assert part.headers["content-range"] == f"bytes 100-199/{len(data)}"
        tail = web.get(url, headers={"Range": "bytes=-50"})
        assert tail.status_code == 206 and tail.content == data[-50:]
        rest = web.get(url, headers={"Range": f"bytes={len(data) - 10}-"})
        assert rest.content == data[-10:]
        beyond = web.get(url, headers={"Range": f"bytes={len(data)}-"})
        assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{len(data)}"
        head = web.head(url)
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-length"] == str(len(data)) and head.headers["accept-ranges"] == "bytes"
        assert web.get(f"{shared_forge.root_url}/files/nothing.zip").status_code == 404


def test_an_interrupted_download_can_be_resumed_with_a_range(local_forge: LocalForge) -> None:
    name = "lootpulse-1.7.3-b.zip"
    data = (local_forge.archive_dir / name).read_bytes()
    local_forge.interrupt_next_download(after_bytes=500)
    received = b""
    with httpx.Client(timeout=10) as web:
        with pytest.raises(httpx.HTTPError), web.stream("GET", f"{local_forge.root_url}/files/{name}") as response:
            for chunk in response.iter_raw():
                received += chunk
        assert received == data[:500]
        rest = web.get(f"{local_forge.root_url}/files/{name}", headers={"Range": f"bytes={len(received)}-"})
        assert received + rest.content == data


def _archive_files(path: Path, scratch: Path) -> dict[str, bytes]:
    """Every file of a zip or 7z archive (after its integrity test), by path inside the archive."""
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            assert archive.testzip() is None
            return {name: archive.read(name) for name in archive.namelist()}
    target = scratch / path.name
    with py7zr.SevenZipFile(path) as archive:
        assert archive.testzip() is None
    with py7zr.SevenZipFile(path) as archive:  # a py7zr archive object reads its data once
        archive.extractall(target)
    return {p.relative_to(target).as_posix(): p.read_bytes() for p in sorted(target.rglob("*")) if p.is_file()}


def test_archives_are_installable_and_their_dlls_read_back(shared_forge: LocalForge, tmp_path: Path) -> None:
    sources = {Path(relative).name: relative for relative in EXPECTED}
    fillers = ((ASSEMBLIES / SERVER_FILLER).read_bytes(), (ASSEMBLIES / CLIENT_FILLER).read_bytes())
    checked = set()
    for mod in shared_forge.catalogue.mods:
        for version in mod.versions:
            if version.archive_name is None:
                continue
            path = shared_forge.archive_dir / version.archive_name
            assert path.stat().st_size == version.content_length
            files = _archive_files(path, tmp_path)
            assert sorted(files) == sorted(version.file_tree)
            assert all(name.startswith(("SPT/user/mods/", "SPT_Runtime/user/mods/", "BepInEx/plugins/", "user/mods/"))
                       for name in files)
            for name, content in files.items():
                if name.endswith("package.json"):
                    assert json.loads(content)["version"] == version.version
                if not name.endswith(".dll"):
                    continue
                relative = sources.get(Path(name).name)
                if relative is None:
                    assert content in fillers
                    continue
                copy = tmp_path / Path(name).name
                copy.write_bytes(content)
                if content != (ASSEMBLIES / relative).read_bytes():
                    # the declared version rewritten to the archive's (same length): it reads as this version
                    declared = _declared_versions(read_assembly(copy))
                    assert declared == {version.version.split("+")[0]}, (version.archive_name, name)
                    continue
                if relative in checked:
                    continue
                checked.add(relative)
                _assert_reads_as_expected(copy, EXPECTED[relative])
    assert checked >= {"server-4.0/BetterScavKarma.dll", "server-4.0/Fika.Server.dll", "server-4.1/RaidReview.dll",
                       "client/TacticalHUD.dll", "client/AmmoTools.dll", "client/LootPulse.Client.dll"}


def _declared_versions(info: Any) -> set[str]:
    return {p.version for p in info.plugins} | {m.version for m in info.server_mods}


def _assert_reads_as_expected(path: Path, expected: dict[str, Any]) -> None:
    info = read_assembly(path, with_version_resource=True)
    assert info.assembly_name == expected["assembly_name"]
    if expected["kind"] == "server":
        (meta,) = info.server_mods
        assert (meta.guid, meta.version, meta.spt_constraint) == (
            expected["guid"], expected["version"], expected["spt_constraint"])
    elif expected["kind"] == "client":
        assert [(p.guid, p.version) for p in info.plugins] == [(p["guid"], p["version"]) for p in expected["plugins"]]


def test_3x_archives_are_user_mods_packages(shared_forge: LocalForge, tmp_path: Path) -> None:
    version = next(v for v in shared_forge.catalogue.mod_by_id[1126].versions if v.version == "3.2.2")
    files = _archive_files(shared_forge.archive_dir / str(version.archive_name), tmp_path)
    package = json.loads(files["user/mods/SAIN/package.json"])
    assert (package["name"], package["version"], package["sptVersion"]) == ("SAIN", "3.2.2", "~3.11.0")
    assert package["modDependencies"] == {"BigBrain": "^1.3.0", "Waypoints": "~1.6.0"}
    assert "user/mods/SAIN/src/mod.js" in files


# ----------------------------------------------------------------------------------------------------------
# Edge rate limit and injected failures
# ----------------------------------------------------------------------------------------------------------


def test_rate_limit_blocks_then_recovers(fresh_api: httpx.Client, local_forge: LocalForge) -> None:
    local_forge.set_rate_limit(RateLimitRule([(5, 1.0, 1.0)]))
    local_forge.reset_requests()
    assert [fresh_api.get("/spt/versions").status_code for _ in range(5)] == [200] * 5
    limited = fresh_api.get("/mods")
    assert limited.status_code == 429 and limited.headers["retry-after"] == "1"
    assert limited.json() == {"success": False, "code": "RATE_LIMITED", "message": "Too many requests. Retry after "
                              "the number of seconds in the Retry-After header."}
    assert fresh_api.get("/mods").status_code == 429  # still blocked
    assert fresh_api.get("/ping").status_code == 200  # never throttled
    statuses = [(r.path, r.status) for r in local_forge.requests]
    assert statuses[-3:] == [("/api/v0/mods", 429), ("/api/v0/mods", 429), ("/api/v0/ping", 200)]
    time.sleep(1.05)
    assert fresh_api.get("/mods").status_code == 200
    local_forge.set_rate_limit(None)
    assert all(fresh_api.get("/ping").status_code == 200 for _ in range(3))


def test_rate_limit_rules_can_be_plain_lists(forge_archive_dir: Path) -> None:
    with LocalForge(rate_limit=[(2, 5.0, 5.0)], archive_dir=forge_archive_dir) as forge, \
            httpx.Client(base_url=forge.base_url, timeout=10) as client:
        assert [client.get("/mod-categories").status_code for _ in range(3)] == [200, 200, 429]
        assert client.get("/mod-categories").headers["retry-after"] == "5"


def test_default_limits_are_the_forges_edge() -> None:
    from app.sandbox.forge import DEFAULT_EDGE_LIMITS

    assert [(w.max_requests, w.window_seconds, w.block_seconds) for w in DEFAULT_EDGE_LIMITS.windows] == [
        (40, 10.0, 30.0), (200, 60.0, 60.0)]


def test_failures_can_be_injected(fresh_api: httpx.Client, local_forge: LocalForge) -> None:
    local_forge.fail_next(2)
    first, second = fresh_api.get("/mods"), fresh_api.get("/ping")
    assert (first.status_code, second.status_code) == (500, 500)
    assert first.json()["message"] == "An unexpected error occurred."
    assert fresh_api.get("/mods").status_code == 200
    local_forge.fail_next(1, 503)
    assert fresh_api.get("/mods").status_code == 503
    local_forge.fail_next(1, 200, body=b'{"success": true, "data": [')
    broken = fresh_api.get("/mods")
    assert broken.status_code == 200
    with pytest.raises(ValueError):
        broken.json()


def test_a_delayed_answer_trips_the_client_timeout(fresh_api: httpx.Client, local_forge: LocalForge) -> None:
    local_forge.fail_next(1, 200, body=b'{"success":true,"data":{"message":"pong"}}', delay=0.6)
    with pytest.raises(httpx.ReadTimeout):
        fresh_api.get("/ping", timeout=0.2)
    assert fresh_api.get("/ping").status_code == 200


def test_every_request_is_recorded(fresh_api: httpx.Client, local_forge: LocalForge) -> None:
    local_forge.reset_requests()
    fresh_api.get("/mods", params={"filter[id]": "1877"})
    fresh_api.get("/mod/999999")
    records = local_forge.requests
    assert [(r.method, r.path, r.query, r.status) for r in records] == [
        ("GET", "/api/v0/mods", "filter%5Bid%5D=1877", 200), ("GET", "/api/v0/mod/999999", "", 404)]
    assert records[0].time <= records[1].time <= time.monotonic()


# ----------------------------------------------------------------------------------------------------------
# Authentication (old and self-hosted instances)
# ----------------------------------------------------------------------------------------------------------


def _login(api: httpx.Client, **extra: Any) -> str:
    response = api.post("/auth/login", json={"email": DEMO_USER_EMAIL, "password": DEMO_USER_PASSWORD, **extra})
    return str(_data(response)["token"])


def test_login_user_abilities_and_logout(fresh_api: httpx.Client) -> None:
    token = _login(fresh_api, token_name="kappa", abilities=["read", "update"])
    assert "|" in token
    headers = {"Authorization": f"Bearer {token}"}
    user = _data(fresh_api.get("/auth/user", headers=headers, params={"include": "role"}))
    assert (user["email"], user["role"]["name"]) == (DEMO_USER_EMAIL, "Moderator")
    assert _data(fresh_api.get("/auth/abilities", headers=headers)) == ["read", "update"]
    assert fresh_api.get("/auth/user", headers=headers).headers["cache-control"] == "no-cache, private"
    assert _data(fresh_api.post("/auth/logout", headers=headers)) == {"message": "Current token revoked successfully."}
    _error(fresh_api.get("/auth/user", headers=headers), 401, "UNAUTHENTICATED", "Unauthenticated.")
    one, two = _login(fresh_api), _login(fresh_api)
    assert _data(fresh_api.post("/auth/logout/all", headers={"Authorization": f"Bearer {one}"})) == {
        "message": "All tokens revoked successfully."}
    _error(fresh_api.get("/auth/abilities", headers={"Authorization": f"Bearer {two}"}), 401, "UNAUTHENTICATED")


def test_login_errors(fresh_api: httpx.Client) -> None:
    _error(fresh_api.post("/auth/login", json={"email": DEMO_USER_EMAIL, "password": "wrong"}), 401, "UNAUTHENTICATED",
           "Invalid credentials provided.")
    _error(fresh_api.post("/auth/login", json={"email": "discord-user@kappa.invalid", "password": "x"}), 403,
           "PASSWORD_LOGIN_UNAVAILABLE")
    invalid = _error(fresh_api.post("/auth/login", json={"abilities": ["read-invalid"]}), 422, "VALIDATION_FAILED",
                     "Validation failed.")
    assert invalid["errors"] == {
        "email": ["The email field is required."], "password": ["The password field is required."],
        "abilities.0": ["The selected ability read-invalid is invalid. Allowed abilities are: create, read, update, "
                        "delete"]}


def test_register_and_resend(fresh_api: httpx.Client) -> None:
    body = {"name": "NewUser123", "email": "new@kappa.invalid", "password": "StrongP@ssw0rd!",
            "timezone": "America/New_York"}
    created = fresh_api.post("/auth/register", json=body)
    assert created.status_code == 201 and created.json()["data"]["timezone"] == "America/New_York"
    taken = _error(fresh_api.post("/auth/register", json={**body, "password": "short"}), 422, "VALIDATION_FAILED")
    assert taken["errors"] == {"name": ["The name has already been taken."],
                               "email": ["The email has already been taken."],
                               "password": ["The password must be at least 8 characters."]}
    assert _data(fresh_api.post("/auth/email/resend", json={"email": "x@kappa.invalid"}))["message"].startswith(
        "If an account")
    _error(fresh_api.post("/auth/email/resend", json={}), 422, "VALIDATION_FAILED")


def test_instances_that_require_a_token(forge_archive_dir: Path) -> None:
    with LocalForge(require_token=True, rate_limit=None, archive_dir=forge_archive_dir) as forge, \
            httpx.Client(base_url=forge.base_url, timeout=10) as api:
        _error(api.get("/mods"), 401, "UNAUTHENTICATED", "Unauthenticated.")
        _error(api.get("/mods", headers={"Authorization": "Bearer 1|forged"}), 401, "UNAUTHENTICATED")
        assert api.get("/ping").status_code == 200
        headers = {"Authorization": f"Bearer {_login(api)}"}
        assert api.get("/mods/updates", headers=headers,
                       params={"mods": "1877:0.9.14", "spt_version": "4.0.11"}).status_code == 200
        api.post("/auth/logout", headers=headers)
        assert api.get("/mods", headers=headers).status_code == 401


def test_the_open_api_ignores_tokens(api: httpx.Client) -> None:
    assert api.get("/mods", headers={"Authorization": "Bearer 1|not-a-token"}).status_code == 200


# ----------------------------------------------------------------------------------------------------------
# Benchmark catalogue
# ----------------------------------------------------------------------------------------------------------


def test_synthetic_catalogue_for_300_installed_mods(tmp_path: Path) -> None:
    installed = synthetic_installed(300)
    assert installed[0] == ("com.bench.mod000", "1.2.0") and len({g for g, _ in installed}) == 300
    with LocalForge(synthetic_catalogue(300), rate_limit=None, archive_dir=tmp_path / "archives") as forge, \
            httpx.Client(base_url=forge.base_url, timeout=30) as api:
        data = _updates(api, [f"{g}:{v}" for g, v in installed], "3.11.2")
        assert (len(data["updates"]), len(data["up_to_date"])) == (200, 100)
        assert all(u["recommended_version"]["version"] == "1.2.0" for u in data["updates"])
        files = _archive_files(forge.archive_dir / "bench-mod-005-1.2.0.zip", tmp_path)
        assert json.loads(files["user/mods/BenchMod005/package.json"])["modDependencies"] == {"mod004": "^1.0.0"}


def test_7z_archives_open_from_memory(shared_forge: LocalForge) -> None:
    data = (shared_forge.archive_dir / "fika-server-2.3.4.7z").read_bytes()
    with py7zr.SevenZipFile(io.BytesIO(data)) as archive:
        assert "SPT/user/mods/fika-server/Fika.Server.dll" in archive.getnames()
