"""The Forge API client against httpx.MockTransport: the exact requests it sends and how it reads every answer.

Payloads are the seed document's example responses (`seeds/forge-api.txt`; two of them have trailing commas that are
not JSON, removed here) and parts of a real 2026-01 capture (`Silentsolus/SPT.Vortex : artifacts/forge-responses.json`),
plus the shapes the reference describes for today's Forge (keyed `/mods/dependencies`, file trees, padded constraints).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import httpx
import pytest

from app.core.errors import KappaError
from app.net.forge import (
    ERROR_CLASSES,
    ForgeApiError,
    ForgeClient,
    ForgeForbidden,
    ForgeInvalidQuery,
    ForgeMalformedResponse,
    ForgeNotFound,
    ForgeRateLimited,
    ForgeServerError,
    ForgeUnauthenticated,
    ForgeValidationFailed,
    ResponseSource,
    error_from_envelope,
    format_pair,
    status_in_words,
)
from app.net.forge_models import (
    AddonFilters,
    AddonVersionFilters,
    FikaCompatibility,
    ModCategoryFilters,
    ModFilters,
    ModVersionFilters,
    SptVersionFilters,
)
from app.net.http import ApiClient, MalformedResponse, NetworkError, ResponseCache, RetryPolicy, create_client

BASE = "https://sp-mod.com/api/v0"
MIRROR = "https://forge-alt.katrinfoxvr.com/api/v0"
R = TypeVar("R")

Answer = Mapping[str, Any] | list[Any] | tuple[int, Any] | tuple[int, Any, Mapping[str, str]] | Exception


class FakeForge:
    """A MockTransport handler: answers by API path (without `/api/v0`) and records every request.

    An answer is a JSON payload (200), `(status, payload)` or `(status, payload, headers)` where a `bytes` payload is
    sent as is, an exception to raise, or a callable taking the request. Several answers for one path are used in
    turn, the last one repeatedly.
    """

    def __init__(self, routes: Mapping[str, Answer | _Sequence | Callable[[httpx.Request], Answer]] | None = None,
                 *, unreachable: tuple[str, ...] = ()) -> None:
        self.routes = dict(routes or {})
        self.unreachable = unreachable
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if any(str(request.url).startswith(host) for host in self.unreachable):
            raise httpx.ConnectError("refused", request=request)
        self.seen.append(request)
        path = request.url.path.split("/api/v0", 1)[1]
        answer = self.routes.get(path)
        if answer is None:
            return httpx.Response(404, json={"success": False, "code": "NOT_FOUND", "message": "Resource not found."})
        if callable(answer):
            answer = answer(request)
        if isinstance(answer, _Sequence):
            answer = answer.next()
        return _response(answer)

    @property
    def paths(self) -> list[str]:
        return [request.url.path.split("/api/v0", 1)[1] for request in self.seen]

    def params(self, index: int = -1) -> dict[str, str]:
        return dict(parse_qsl(self.seen[index].url.query.decode(), keep_blank_values=True))


class _Sequence:
    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)

    def next(self) -> Answer:
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def _response(answer: Answer) -> httpx.Response:
    if isinstance(answer, Exception):
        raise answer
    status, body, headers = 200, answer, {}
    if isinstance(answer, tuple):
        status, body = answer[0], answer[1]
        headers = dict(answer[2]) if len(answer) > 2 else {}
    if isinstance(body, bytes):
        return httpx.Response(status, content=body, headers=headers)
    return httpx.Response(status, json=body, headers={"Cache-Control": "public, max-age=300", **headers})


def run(handler: FakeForge, action: Callable[[ForgeClient], Awaitable[R]], *, urls: tuple[str, ...] = (BASE,),
        cache: ResponseCache | None = None, token: str | None = None) -> R:
    async def scenario() -> R:
        api = ApiClient(list(urls), client=create_client(transport=httpx.MockTransport(handler)), cache=cache,
                        token=token, retry=RetryPolicy(attempts=2, backoff=0.001))
        async with api.client:
            return await action(ForgeClient(api))

    return asyncio.run(scenario())


def ok(data: Any) -> dict[str, Any]:
    return {"success": True, "data": data}


def paged(items: list[Any], *, page: int = 1, last_page: int = 1, per_page: int = 12,
          path: str = f"{BASE}/mods") -> dict[str, Any]:
    """A Laravel paginator envelope, shaped like the live answers (meta links carry `page`)."""
    return {
        "success": True,
        "data": items,
        "links": {"first": f"{path}?page=1", "last": f"{path}?page={last_page}",
                  "prev": f"{path}?page={page - 1}" if page > 1 else None,
                  "next": f"{path}?page={page + 1}" if page < last_page else None},
        "meta": {"current_page": page, "from": (page - 1) * per_page + 1, "last_page": last_page,
                 "links": [{"url": None, "label": "&laquo; Previous", "page": None, "active": False},
                           {"url": f"{path}?page={page}", "label": str(page), "page": page, "active": True}],
                 "path": path, "per_page": per_page, "to": (page - 1) * per_page + len(items),
                 "total": per_page * (last_page - 1) + len(items)},
    }


# --- example payloads from the seed document ----------------------------------------------------------------------

SEED_OWNER = {"id": 1, "name": "ModAuthor", "profile_photo_url": "https://example.com/profile.jpg",
              "cover_photo_url": "https://example.com/cover.jpg"}
SEED_MOD_1 = {
    "id": 1, "hub_id": None, "guid": "com.oconnell.recusandae-velit-incidunt", "name": "Recusandae velit incidunt.",
    "slug": "recusandae-velit-incidunt", "teaser": "Minus est minima quibusdam necessitatibus inventore iste.",
    "thumbnail": "", "downloads": 55212644, "owner": SEED_OWNER, "additional_authors": [],
    "source_code_links": [{"url": "http://oconnell.com/earum-sed-fugit-corrupti", "label": None}],
    "detail_url": "https://forge.sp-tarkov.com/mods/1/recusandae-velit-incidunt", "fika_compatibility": True,
    "featured": True, "contains_ads": True, "contains_ai_content": False, "shows_profile_binding_notice": False,
    "published_at": "2025-01-09T17:48:53.000000Z", "created_at": "2024-12-11T14:48:53.000000Z",
    "updated_at": "2025-04-10T13:50:00.000000Z",
}
SEED_MOD_2 = {
    **SEED_MOD_1, "id": 2, "guid": "com.baumbach.adipisci-iusto-voluptas-nihil",
    "name": "Adipisci iusto voluptas nihil.", "slug": "adipisci-iusto-voluptas-nihil", "downloads": 219598104,
    "fika_compatibility": False, "featured": False,
    "contains_ai_content": True, "source_code_links": [{"url": "http://baumbach.net/", "label": None}],
    "owner": {"id": 2, "name": "AnotherAuthor", "profile_photo_url": "https://example.com/profile2.jpg",
              "cover_photo_url": "https://example.com/cover2.jpg"},
}
SEED_MODS: dict[str, Any] = {
    "success": True, "data": [SEED_MOD_1, SEED_MOD_2],
    "links": {"first": "https://forge.test/api/v0/mods?page=1", "last": "https://forge.test/api/v0/mods?page=1",
              "prev": None, "next": None},
    "meta": {"current_page": 1, "from": 1, "last_page": 1,
             "links": [{"url": None, "label": "« Previous", "active": False},
                       {"url": "https://forge.test/api/v0/mods?page=1", "label": "1", "active": True},
                       {"url": None, "label": "Next »", "active": False}],
             "path": "https://forge.test/api/v0/mods", "per_page": 12, "to": 2, "total": 2},
}
SEED_MOD_DETAIL = {"success": True, "data": {
    **{k: v for k, v in SEED_MOD_2.items() if k != "owner"},
    "description": "Adipisci rerum minima maiores sed. Neque totam quia libero exercitationem ullam.",
    "owner": {"id": 1, "name": "ModOwner", "profile_photo_url": "https://example.com/owner.jpg",
              "cover_photo_url": "https://example.com/owner-cover.jpg"},
    "additional_authors": [{"id": 5, "name": "ContributorOne", "profile_photo_url": "https://example.com/c1.jpg",
                            "cover_photo_url": "https://example.com/cover1.jpg"}],
    "versions": [
        {"id": 45, "version": "2.1.0", "spt_version_constraint": "^3.9.0", "downloads": 5234,
         "published_at": "2025-02-15T10:30:00.000000Z"},
        {"id": 44, "version": "2.0.5", "spt_version_constraint": "^3.8.0", "downloads": 12456,
         "published_at": "2025-01-20T08:15:00.000000Z"},
    ],
    "license": {"id": 2, "name": "GNU General Public License v3.0", "short_name": "GPL-3.0"},
    "category": {"id": 3, "name": "Quality of Life", "slug": "quality-of-life", "color_class": "purple"},
}}
SEED_VERSION_938 = {
    "id": 938, "hub_id": None, "version": "0.2.9",
    "description": "Magni eius ad temporibus similique accusamus assumenda aliquid.",
    "link": "http://kautzer.com/enim-ut-quis-suscipit-dolores.html", "content_length": 52428800,
    "spt_version_constraint": "^1.0.0", "downloads": 8, "fika_compatibility": "unknown",
    "dependencies": [
        {"id": 5, "mod_id": 42, "mod_guid": "com.example.core-library", "mod_name": "Core Library",
         "version_constraint": "^2.0.0", "is_optional": False},
        {"id": 8, "mod_id": 15, "mod_guid": "com.example.helper-utils", "mod_name": "Helper Utilities",
         "version_constraint": ">=1.5.0", "is_optional": True},
    ],
    "published_at": "2024-05-09T10:49:41.000000Z", "created_at": "2024-12-19T04:49:41.000000Z",
    "updated_at": "2025-02-18T11:49:41.000000Z",
}
SEED_VERSION_660: dict[str, Any] = {
    "id": 660, "hub_id": None, "version": "8.2.8", "description": "Mollitia voluptatem quia et ex aut.",
    "link": "http://lockman.net/", "spt_version_constraint": "<4.0.0", "downloads": 3332503,
    "fika_compatibility": "compatible", "dependencies": [], "published_at": "2024-07-03T05:49:25.000000Z",
    "created_at": "2024-10-06T23:49:25.000000Z", "updated_at": "2024-10-15T03:49:25.000000Z",
}
SEED_UPDATES = ok({
    "spt_version": "3.11.5",
    "updates": [{
        "current_version": {"id": 42, "mod_id": 5, "guid": "com.example.mod", "name": "Example Mod",
                            "slug": "example-mod", "version": "1.0.0"},
        "recommended_version": {"id": 58, "version": "1.5.0", "link": "https://example.com/download",
                                "content_length": 1048576, "fika_compatibility": "compatible",
                                "spt_versions": ["3.11.0", "3.11.5"]},
        "update_reason": "newer_version_available"}],
    "blocked_updates": [{
        "current_version": {"id": 99, "mod_id": 20, "guid": "com.example.blocked", "name": "Blocked Mod",
                            "version": "2.0.0"},
        "latest_version": {"id": 105, "version": "3.0.0", "spt_versions": ["3.11.5"]},
        "block_reason": "dependency_constraint_violation",
        "blocking_mods": [{"mod_id": 15, "mod_guid": "com.example.dependent", "mod_name": "Dependent Mod",
                           "current_version": "1.0.0", "constraint": "^2.0.0", "incompatible_with": "3.0.0"}]}],
    "up_to_date": [{"id": 125, "mod_id": 25, "guid": "com.example.current", "name": "Current Mod",
                    "version": "1.8.0", "spt_versions": ["3.11.5"]}],
    "incompatible_with_spt": [{"id": 150, "mod_id": 30, "guid": "com.example.old", "name": "Old Mod",
                               "version": "1.0.0", "reason": "no_version_for_spt",
                               "latest_compatible_version": None}],
})
SEED_SUBDEP = {"id": 8, "guid": "com.example.subdep", "name": "Sub Dependency", "slug": "sub-dependency",
               "latest_compatible_version": {"id": 67, "version": "1.0.0",
                                             "link": "https://example.com/mods/sub-dependency-1.0.0.zip",
                                             "content_length": 524288, "fika_compatibility": "unknown"},
               "conflict": False, "dependencies": []}
SEED_DEP = {"id": 5, "guid": "com.example.dependency", "name": "Dependency Mod", "slug": "dependency-mod",
            "latest_compatible_version": {"id": 42, "version": "2.1.0",
                                          "link": "https://example.com/mods/dependency-mod-2.1.0.zip",
                                          "content_length": 1048576, "fika_compatibility": "compatible"},
            "conflict": False, "dependencies": [SEED_SUBDEP]}
SEED_CONFLICTS = [
    {"id": 12, "guid": "com.example.conflicting", "name": "Conflicting Dependency", "slug": "conflicting-dependency",
     "latest_compatible_version": {"id": 100, "version": "1.5.0", "link": "https://example.com/mods/c-1.5.0.zip",
                                   "content_length": 2097152, "fika_compatibility": "compatible"},
     "conflict": True, "dependencies": []},
    {"id": 12, "guid": "com.example.conflicting", "name": "Conflicting Dependency", "slug": "conflicting-dependency",
     "latest_compatible_version": {"id": 150, "version": "2.0.0", "link": "https://example.com/mods/c-2.0.0.zip",
                                   "content_length": 3145728, "fika_compatibility": "incompatible"},
     "conflict": True, "dependencies": []},
]
SEED_ADDON = {
    "id": 1, "guid": "com.example.music-pack", "name": "Ultimate Music Pack", "slug": "ultimate-music-pack",
    "teaser": "A collection of atmospheric music tracks", "thumbnail": "", "downloads": 1523,
    "owner": {"id": 1, "name": "AddonAuthor", "profile_photo_url": "https://example.com/profile.jpg",
              "cover_photo_url": "https://example.com/cover.jpg"},
    "additional_authors": [], "source_code_links": [],
    "detail_url": "https://forge.sp-tarkov.com/addon/1/ultimate-music-pack", "contains_ads": False,
    "contains_ai_content": False, "mod_id": 5, "is_detached": False, "published_at": "2025-01-09T17:48:53.000000Z",
    "created_at": "2024-12-11T14:48:53.000000Z", "updated_at": "2025-04-10T13:50:00.000000Z",
}
SEED_ADDON_VERSIONS = [
    {"id": 1, "version": "1.2.0", "description": "Added 10 new tracks", "link": "https://example.com/download/v1.2.0.zip",
     "content_length": 52428800, "mod_version_constraint": "^2.0.0", "downloads": 523,
     "published_at": "2025-01-09T17:48:53.000000Z", "created_at": "2024-12-11T14:48:53.000000Z",
     "updated_at": "2025-04-10T13:50:00.000000Z"},
    {"id": 2, "version": "1.1.0", "description": "Fixed audio glitches", "link": "https://example.com/download/v1.1.0.zip",
     "content_length": 51200000, "mod_version_constraint": "^2.0.0", "downloads": 1000,
     "published_at": "2024-12-15T10:30:00.000000Z", "created_at": "2024-11-20T08:15:00.000000Z",
     "updated_at": "2025-01-05T12:45:00.000000Z"},
]
# The seed's category examples end objects with a trailing comma (not JSON); the fields are kept as published.
SEED_CATEGORIES = [
    {"id": 1, "hub_id": 12, "title": "Weapons", "slug": "weapons", "description": "Weapon mods and attachments"},
    {"id": 2, "hub_id": 13, "title": "Gear", "slug": "gear", "description": "Armor, rigs, and equipment"},
]
SEED_SPT_VERSIONS = [
    {"id": 2, "version": "3.11.3", "version_major": 3, "version_minor": 11, "version_patch": 3, "version_labels": "",
     "mod_count": 371, "link": "https://github.com/sp-tarkov/build/releases/tag/3.11.3", "color_class": "green",
     "created_at": "2025-04-08T19:29:40.000000Z", "updated_at": "2025-04-08T19:29:40.000000Z"},
    {"id": 3, "version": "3.11.2", "version_major": 3, "version_minor": 11, "version_patch": 2, "version_labels": "",
     "mod_count": 371, "link": "https://github.com/sp-tarkov/build/releases/tag/3.11.2", "color_class": "green",
     "created_at": "2025-03-31T12:39:00.000000Z", "updated_at": "2025-03-31T12:39:00.000000Z"},
]

# --- parts of the real 2026-01 capture ----------------------------------------------------------------------------

REAL_GILDED_KEY_STORAGE = {
    "id": 865, "hub_id": 1166, "guid": "xyz.drakia.gildedkeystorage", "name": "Gilded Key Storage",
    "slug": "gilded-key-storage",
    "teaser": "A balanced progression based approach to convenient all in one key storage!",
    "thumbnail": "https://forge-static.sp-tarkov.com/mods/1166.png", "downloads": 134451,
    "detail_url": "https://forge.sp-tarkov.com/mod/865/gilded-key-storage", "fika_compatibility": False,
    "featured": False, "contains_ads": False, "contains_ai_content": False, "shows_profile_binding_notice": False,
    "cheat_notice": False, "category_id": 17, "published_at": "2023-04-23T21:24:00.000000Z",
    "created_at": "2023-04-23T21:24:19.000000Z", "updated_at": "2025-12-02T03:30:47.000000Z",
    "owner": {"id": 29457, "name": "Jehree", "profile_photo_url": "https://forge-static.sp-tarkov.com/p/b76a.jpeg",
              "cover_photo_url": "https://picsum.photos/seed/Jehree/720/100?blur=2",
              "created_at": "2023-03-30T17:43:41.000000Z", "updated_at": "2026-01-11T20:41:55.000000Z"},
    "additional_authors": [{"id": 27605, "name": "DrakiaXYZ", "profile_photo_url": None, "cover_photo_url": None,
                            "created_at": "2023-02-26T18:51:50.000000Z", "updated_at": "2026-02-01T04:44:21.000000Z"}],
    "versions": [
        {"id": 12500, "hub_id": None, "version": "2.0.4",
         "link": "https://github.com/DrakiaXYZ/SPT-GildedKeyStorage-CSharp/releases/download/2.0.4/"
                 "DrakiaXYZ-GildedKeyStorage-2.0.4.7z",
         "content_length": 3154960, "spt_version_constraint": "~4.0.0", "downloads": 9389,
         "fika_compatibility": "unknown", "published_at": "2025-12-02T03:26:00.000000Z",
         "created_at": "2025-12-02T03:26:28.000000Z", "updated_at": "2025-12-02T03:29:14.000000Z"},
        {"id": 1055, "hub_id": 13729, "version": "1.6.2",
         "link": "https://github.com/DrakiaXYZ/SPT-GildedKeyStorage/releases/download/1.6.2/"
                 "Jehree-GildedKeyStorage-1.6.2.zip",
         "content_length": None, "spt_version_constraint": "~3.11.0", "downloads": 29645,
         "fika_compatibility": "unknown", "published_at": "2025-03-22T01:24:17.000000Z",
         "created_at": "2025-03-22T01:24:17.000000Z", "updated_at": "2025-03-22T01:24:17.000000Z"},
    ],
    "category": {"id": 17, "hub_id": 28, "title": "Other", "slug": "other", "description": ""},
    "source_code_links": [{"url": "https://github.com/DrakiaXYZ/SPT-GildedKeyStorage", "label": "3.11.x"},
                          {"url": "https://github.com/DrakiaXYZ/SPT-GildedKeyStorage-CSharp", "label": "4.0+"}],
}
REAL_UPDATE_SAIN = {
    "current_version": {"id": 12661, "mod_id": 791, "guid": "me.sol.sain", "name": "SAIN", "slug": "sain",
                        "version": "4.3.1"},
    "recommended_version": {"id": 12930, "version": "4.4.0",
                            "link": "https://forge.sp-tarkov.com/mod/download/791/sain/4.4.0",
                            "content_length": 348509, "fika_compatibility": "compatible",
                            "spt_versions": ["4.0.11", "4.0.10"]},
    "update_reason": "newer_version_available",
}
REAL_UP_TO_DATE_BIGBRAIN = {"id": 11761, "mod_id": 902, "guid": "xyz.drakia.bigbrain", "name": "BigBrain",
                            "version": "1.4.0", "spt_versions": ["4.0.11", "4.0.0"]}
# `/mods/dependencies?mods=1895:3.0.8` (flat shape, no spt_version): latest_compatible_version is a full version.
REAL_DEPENDENCIES_FLAT = [
    {"id": 1873, "guid": "com.harmonyzt.botcallsigns", "name": "Bot Callsigns - Reloaded",
     "slug": "bot-callsigns-reloaded",
     "latest_compatible_version": {"id": 12817, "hub_id": None, "version": "2.0.3",
                                   "link": "https://github.com/harmonyzt/BotCallsigns/releases/download/2.0.3/x.7z",
                                   "content_length": 16378, "spt_version_constraint": "~4.0", "downloads": 3691,
                                   "fika_compatibility": "compatible", "published_at": "2026-01-09T01:05:00.000000Z"},
     "dependencies": [], "conflict": False},
    {"id": 791, "guid": "me.sol.sain", "name": "SAIN", "slug": "sain",
     "latest_compatible_version": {"id": 12930, "hub_id": None, "version": "4.4.0",
                                   "link": "https://github.com/ArchangelWTF/SAIN/releases/download/v4.4.0/SAIN.zip",
                                   "content_length": 348509, "spt_version_constraint": "~4.0",
                                   "fika_compatibility": "compatible"},
     "dependencies": [{"id": 902, "guid": "xyz.drakia.bigbrain", "name": "BigBrain", "slug": "bigbrain",
                       "latest_compatible_version": {"id": 11761, "version": "1.4.0", "content_length": 16741,
                                                     "link": "https://github.com/DrakiaXYZ/b/1.4.0/BigBrain.7z",
                                                     "spt_version_constraint": "~4.0.0",
                                                     "fika_compatibility": "unknown"},
                       "dependencies": [], "conflict": False}],
     "conflict": False},
]


# --- general and auth ---------------------------------------------------------------------------------------------


def test_ping_asks_slash_ping_and_reads_pong_from_the_primary() -> None:
    forge = FakeForge({"/ping": ok({"message": "pong"})})
    result = run(forge, lambda f: f.ping())
    assert result.data == "pong"
    assert forge.seen[0].method == "GET" and str(forge.seen[0].url) == f"{BASE}/ping"
    assert result.source == ResponseSource(base_url=BASE, url=f"{BASE}/ping")


def test_ping_is_never_answered_from_the_cache_when_offline(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "cache.sqlite")
    run(FakeForge({"/ping": ok({"message": "pong"})}), lambda f: f.ping(), cache=cache)
    with pytest.raises(NetworkError, match="did not answer"):
        run(FakeForge(unreachable=(BASE,)), lambda f: f.ping(), cache=cache)


def test_login_posts_the_credentials_and_uses_the_token_afterwards() -> None:
    forge = FakeForge({"/auth/login": ok({"token": "1|secret"}), "/auth/abilities": ok(["read"])})

    async def scenario(f: ForgeClient) -> tuple[str, list[str]]:
        token = await f.login("user@example.com", "secretPassword", "my-data-script-token", ["update"])
        return token, (await f.abilities()).data

    token, abilities = run(forge, scenario)
    assert token == "1|secret" and abilities == ["read"]
    login = forge.seen[0]
    assert (login.method, forge.paths[0]) == ("POST", "/auth/login")
    assert json.loads(login.content) == {"email": "user@example.com", "password": "secretPassword",
                                         "token_name": "my-data-script-token", "abilities": ["update"]}
    assert forge.seen[1].headers["Authorization"] == "Bearer 1|secret"


def test_credentials_never_go_to_a_mirror() -> None:
    forge = FakeForge({"/auth/login": ok({"token": "t"})}, unreachable=(BASE,))
    with pytest.raises(NetworkError):
        run(forge, lambda f: f.login("a@b.c", "pw"), urls=(BASE, MIRROR))
    assert forge.seen == []  # the mirror never saw the password


def test_login_with_wrong_credentials_and_validation_errors() -> None:
    forge = FakeForge({"/auth/login": _Sequence(
        (401, {"success": False, "code": "UNAUTHENTICATED", "message": "Invalid credentials provided."}),
        (422, {"success": False, "code": "VALIDATION_FAILED", "message": "Validation failed.",
               "errors": {"email": ["The email field is required."],
                          "abilities.0": ["The selected ability read-invalid is invalid."]}}))})
    with pytest.raises(ForgeUnauthenticated) as unauthenticated:
        run(forge, lambda f: f.login("a@b.c", "wrong"))
    assert unauthenticated.value.message == "Invalid credentials provided."
    with pytest.raises(ForgeValidationFailed) as invalid:
        run(forge, lambda f: f.login("", ""))
    assert invalid.value.status == 422
    assert invalid.value.errors == {"email": ["The email field is required."],
                                    "abilities.0": ["The selected ability read-invalid is invalid."]}
    assert "email: The email field is required." in str(invalid.value)


def test_logout_and_logout_all_revoke_and_forget_the_token() -> None:
    forge = FakeForge({"/auth/logout": ok({"message": "Current token revoked successfully."}),
                       "/auth/logout/all": ok({"message": "All tokens revoked successfully."})})

    async def scenario(f: ForgeClient) -> tuple[str, str, str | None]:
        first = await f.logout()
        f.api.token = "again"
        return first, await f.logout_all(), f.api.token

    assert run(forge, scenario, token="1|secret") == (
        "Current token revoked successfully.", "All tokens revoked successfully.", None)
    assert [(r.method, p) for r, p in zip(forge.seen, forge.paths, strict=True)] == [
        ("POST", "/auth/logout"), ("POST", "/auth/logout/all")]
    assert forge.seen[0].headers["Authorization"] == "Bearer 1|secret"
    assert forge.seen[1].headers["Authorization"] == "Bearer again"


def test_register_reads_the_created_user() -> None:
    forge = FakeForge({"/auth/register": (201, ok({
        "id": 2, "name": "NewUser123", "profile_photo_url": "https://ui-avatars.com/api/?name=NewUser123",
        "cover_photo_url": "https://picsum.photos/seed/NewUser123/", "timezone": "America/New_York",
        "created_at": "2025-04-02T21:30:00.000000Z", "updated_at": "2025-04-01T10:00:00.000000Z"}))})
    user = run(forge, lambda f: f.register("NewUser123", "new@example.com", "StrongP@ssw0rd!", "America/New_York"))
    assert (user.id, user.name, user.timezone) == (2, "NewUser123", "America/New_York")
    assert user.created_at == datetime(2025, 4, 2, 21, 30, tzinfo=UTC)
    assert json.loads(forge.seen[0].content) == {"name": "NewUser123", "email": "new@example.com",
                                                 "password": "StrongP@ssw0rd!", "timezone": "America/New_York"}


def test_resend_verification_posts_the_email() -> None:
    message = "If an account matching that email exists and requires verification, a new link has been sent."
    forge = FakeForge({"/auth/email/resend": ok({"message": message})})
    assert run(forge, lambda f: f.resend_verification("user@example.com")) == message
    assert json.loads(forge.seen[0].content) == {"email": "user@example.com"}


def test_user_with_role() -> None:
    forge = FakeForge({"/auth/user": ok({
        "id": 1, "name": "Test User", "email": "user@example.com", "email_verified_at": "2025-04-02T20:44:38.000000Z",
        "profile_photo_url": "https://example.com/path/to/profile.jpg",
        "cover_photo_url": "https://example.com/path/to/cover.jpg",
        "role": {"id": 2, "name": "Moderator", "short_name": "Mod", "description": "Moderate user content.",
                 "color_class": "emerald"},
        "created_at": "2025-04-01T10:00:00.000000Z", "updated_at": "2025-04-01T10:00:00.000000Z"})})
    user = run(forge, lambda f: f.user(include_role=True), token="t").data
    assert forge.params() == {"include": "role"}
    assert user.role is not None and (user.role.name, user.role.color_class) == ("Moderator", "emerald")
    assert user.email_verified_at == datetime(2025, 4, 2, 20, 44, 38, tzinfo=UTC)
    run(forge, lambda f: f.user(), token="t")
    assert forge.params() == {}


def test_abilities_real_capture() -> None:
    forge = FakeForge({"/auth/abilities": {"success": True, "data": ["read"]}})
    assert run(forge, lambda f: f.abilities(), token="t").data == ["read"]


# --- mods ---------------------------------------------------------------------------------------------------------


def test_mods_reads_the_seed_example_with_links_and_meta() -> None:
    forge = FakeForge({"/mods": SEED_MODS})
    page = run(forge, lambda f: f.mods()).data
    assert [mod.id for mod in page.items] == [1, 2]
    first = page.items[0]
    assert first.owner is not None and first.owner.name == "ModAuthor"
    assert first.source_code_links is not None and first.source_code_links[0].label is None
    assert (first.fika_compatibility, page.items[1].fika_compatibility) == (True, False)
    assert first.versions is None and first.category is None  # not included
    assert page.links.next is None and not page.has_next
    assert (page.meta.current_page, page.meta.last_page, page.meta.total, page.meta.from_) == (1, 1, 2, 1)
    assert page.meta.links[1].active and page.meta.links[1].page is None  # the seed's meta links have no `page`
    assert forge.params() == {"page": "1"}


def test_mods_sends_every_filter_under_the_forges_names_as_comma_lists() -> None:
    forge = FakeForge({"/mods": paged([])})
    filters = ModFilters(
        id=[1, 2, 3], hub_id=[1166], guid=["com.tyfon.uifixes", "xyz.drakia.bigbrain"], name="Key", slug="key",
        teaser="storage", featured=True, contains_ads=False, contains_ai_content=False, cheat_notice=False,
        category_id=[17, 9], category_slug=["other", "quests"], created_between=(date(2025, 1, 1), date(2025, 3, 31)),
        updated_between=(date(2025, 4, 1), date(2025, 4, 30)), published_between=(date(2024, 1, 1), date(2026, 1, 1)),
        spt_version="~4.0.0", fika_compatibility=True, include_legacy=True)
    run(forge, lambda f: f.mods(filters, query="key storage", sort=["-downloads", "name"],
                                include=["versions", "license", "category", "source_code_links"],
                                fields=["guid", "name"], page=2, per_page=50))
    assert forge.params() == {
        "filter[id]": "1,2,3", "filter[hub_id]": "1166", "filter[guid]": "com.tyfon.uifixes,xyz.drakia.bigbrain",
        "filter[name]": "Key", "filter[slug]": "key", "filter[teaser]": "storage", "filter[featured]": "1",
        "filter[contains_ads]": "0", "filter[contains_ai_content]": "0", "filter[cheat_notice]": "0",
        "filter[category_id]": "17,9", "filter[category_slug]": "other,quests",
        "filter[created_between]": "2025-01-01,2025-03-31", "filter[updated_between]": "2025-04-01,2025-04-30",
        "filter[published_between]": "2024-01-01,2026-01-01", "filter[spt_version]": "~4.0.0",
        "filter[fika_compatibility]": "1", "filter[include_legacy]": "1", "query": "key storage",
        "sort": "-downloads,name", "include": "versions,license,category,source_code_links", "fields": "guid,name",
        "page": "2", "per_page": "50"}
    raw = forge.seen[0].url.query.decode()
    assert "%5B%5D" not in raw and "search=" not in raw  # never the `filter[x][]=` array syntax, no `search`


def test_filters_also_take_scalars_comma_strings_and_iso_dates() -> None:
    loose = ModFilters.model_validate({"id": 5, "guid": "a, b", "category_slug": "other,quests",
                                       "created_between": ("2025-01-01", "2025-03-31")})
    assert loose.to_params() == {"filter[id]": "5", "filter[guid]": "a,b", "filter[category_slug]": "other,quests",
                                 "filter[created_between]": "2025-01-01,2025-03-31"}
    versions = ModVersionFilters.model_validate({"fika_compatibility": "compatible,unknown"})
    assert versions.to_params() == {"filter[fika_compatibility]": "compatible,unknown"}
    with pytest.raises(ValueError):
        ModVersionFilters.model_validate({"fika_compatibility": "maybe"})


def test_mods_include_versions_and_license_seed_example() -> None:
    data = {**SEED_MODS, "data": [{**SEED_MOD_1, "license": {"id": 1, "name": "MIT", "short_name": "MIT"},
                                   "versions": [{"id": 1, "version": "1.2.3", "spt_version_constraint": "^3.8.0",
                                                 "downloads": 1523, "published_at": "2025-01-09T17:48:53.000000Z"}]}]}
    mod = run(FakeForge({"/mods": data}), lambda f: f.mods(include=("versions", "license"))).data.items[0]
    assert mod.license is not None and mod.license.short_name == "MIT"
    assert mod.versions is not None and mod.versions[0].version == "1.2.3"
    assert mod.versions[0].link is None and mod.versions[0].fika_compatibility is None  # a partial version object


def test_real_capture_mod_with_versions_category_and_raw_links() -> None:
    forge = FakeForge({"/mods": paged([REAL_GILDED_KEY_STORAGE])})
    result = run(forge, lambda f: f.mods(ModFilters(guid=["xyz.drakia.gildedkeystorage"]),
                                         include=["versions", "source_code_links", "category"]))
    mod = result.data.items[0]
    assert (mod.cheat_notice, mod.category_id, mod.fika_compatibility) == (False, 17, False)
    assert mod.category is not None and mod.category.label == "Other"  # `title` here, `name` in the seed
    assert mod.additional_authors[0].name == "DrakiaXYZ"
    assert mod.versions is not None
    newest, legacy_link = mod.versions
    assert newest.fika_compatibility is FikaCompatibility.UNKNOWN and newest.content_length == 3154960
    assert not newest.link_is_forge_redirect  # a raw GitHub link (before the redirect change)
    assert legacy_link.content_length is None and legacy_link.spt_version_constraint == "~3.11.0"


def test_iter_mods_follows_every_page_and_combines_the_sources() -> None:
    pages = {1: paged([{"id": 1}, {"id": 2}], page=1, last_page=3, per_page=2),
             2: paged([{"id": 3}, {"id": 4}], page=2, last_page=3, per_page=2),
             3: paged([{"id": 5}], page=3, last_page=3, per_page=2)}
    forge = FakeForge({"/mods": lambda request: pages[int(request.url.params["page"])]})

    async def scenario(f: ForgeClient) -> tuple[list[int], ResponseSource | None]:
        iterator = f.iter_mods(ModFilters(featured=True), sort="-downloads", per_page=2)
        return [mod.id async for mod in iterator], iterator.source

    ids, source = run(forge, scenario)
    assert ids == [1, 2, 3, 4, 5]
    assert [forge.params(i) for i in range(3)] == [
        {"filter[featured]": "1", "sort": "-downloads", "per_page": "2", "page": str(n)} for n in (1, 2, 3)]
    assert source is not None and source.requests == 3 and len(source.parts) == 3 and not source.from_cache


def test_iteration_stops_with_a_clear_error_when_the_server_ignores_page() -> None:
    forge = FakeForge({"/mods": paged([{"id": 1}], page=1, last_page=5)})
    with pytest.raises(ForgeMalformedResponse, match=r"/mods .*meta\.current_page.*asked for page 2, got page 1"):
        run(forge, lambda f: f.iter_mods().collect())


def test_mod_detail_seed_example_with_every_include() -> None:
    forge = FakeForge({"/mod/2": SEED_MOD_DETAIL})
    mod = run(forge, lambda f: f.mod(2, include=["versions", "license", "category"], fields=["name"])).data
    assert forge.params() == {"include": "versions,license,category", "fields": "name"}
    assert mod.description is not None and mod.description.startswith("Adipisci rerum")
    assert mod.category is not None and mod.category.label == "Quality of Life"
    assert mod.license is not None and mod.license.short_name == "GPL-3.0"
    assert mod.versions is not None and [v.id for v in mod.versions] == [45, 44]
    assert [author.id for author in mod.additional_authors] == [5]


def test_missing_mod_raises_forge_not_found() -> None:
    with pytest.raises(ForgeNotFound) as error:
        run(FakeForge(), lambda f: f.mod(999))
    assert (error.value.code, error.value.status, error.value.message) == ("NOT_FOUND", 404, "Resource not found.")
    assert error.value.endpoint == "/mod/999" and "/mod/999" in str(error.value)
    assert isinstance(error.value, ForgeApiError) and isinstance(error.value, KappaError)


def test_mod_versions_default_to_newest_first_with_dependencies_and_virus_total_links() -> None:
    forge = FakeForge({"/mod/1/versions": paged([SEED_VERSION_938, SEED_VERSION_660], path=f"{BASE}/mod/1/versions")})
    page = run(forge, lambda f: f.mod_versions(1)).data
    assert forge.params() == {"sort": "-version", "include": "dependencies,virus_total_links", "page": "1"}
    first, second = page.items
    assert first.dependencies is not None
    assert [(d.mod_guid, d.version_constraint, d.is_optional) for d in first.dependencies] == [
        ("com.example.core-library", "^2.0.0", False), ("com.example.helper-utils", ">=1.5.0", True)]
    assert second.dependencies == [] and second.content_length is None
    assert (first.fika_compatibility, second.fika_compatibility) == (FikaCompatibility.UNKNOWN,
                                                                     FikaCompatibility.COMPATIBLE)


def test_mod_versions_send_their_filters() -> None:
    forge = FakeForge({"/mod/7/versions": paged([])})
    filters = ModVersionFilters(id=[1, 2], version="^1.0", spt_version="~4.0", description="fix",
                                fika_compatibility=[FikaCompatibility.COMPATIBLE, FikaCompatibility.UNKNOWN],
                                published_between=(date(2025, 1, 1), date(2025, 12, 31)))
    run(forge, lambda f: f.mod_versions(7, filters, sort=("-published_at",), include=(), per_page=10, page=3))
    assert forge.params() == {"filter[id]": "1,2", "filter[version]": "^1.0", "filter[description]": "fix",
                              "filter[published_between]": "2025-01-01,2025-12-31", "filter[spt_version]": "~4.0",
                              "filter[fika_compatibility]": "compatible,unknown", "sort": "-published_at",
                              "page": "3", "per_page": "10"}


def test_version_fields_that_changed_over_time_are_normalised() -> None:
    versions = [
        # a padded constraint (live quirk), a Forge redirect link, an unknown future fika word, an unknown field
        {"id": 1, "version": "1.0.2+a", "spt_version_constraint": " 4.0.10 ", "fika_compatibility": "Partial",
         "link": "https://sp-mod.com/mod/download/42/some-mod/1.0.2+a", "verified": True},
        # a legacy version: empty constraint, raw Google Drive link, old dependency shape (mod objects with versions)
        {"id": 2, "version": "0.9.0", "spt_version_constraint": "", "fika_compatibility": True,
         "link": "https://drive.google.com/file/d/abc/view",
         "dependencies": [{"id": 42, "guid": "com.example.core", "name": "Core", "slug": "core",
                           "versions": [{"id": 77, "version": "2.0.0", "spt_version_constraint": "~3.11.0 "}]}]},
    ]
    forge = FakeForge({"/mod/42/versions": paged(versions)})
    modern, legacy = run(forge, lambda f: f.mod_versions(42)).data.items
    assert modern.spt_version_constraint == "4.0.10" and not modern.is_legacy
    assert modern.fika_compatibility is FikaCompatibility.UNKNOWN
    assert modern.link_is_forge_redirect and modern.model_extra == {"verified": True}
    assert legacy.is_legacy and not legacy.link_is_forge_redirect
    assert legacy.fika_compatibility is FikaCompatibility.COMPATIBLE
    assert legacy.dependencies is not None
    dependency = legacy.dependencies[0]
    assert (dependency.mod_id, dependency.mod_guid, dependency.mod_name) == (42, "com.example.core", "Core")
    assert dependency.resolved_versions is not None
    assert dependency.resolved_versions[0].spt_version_constraint == "~3.11.0"


def test_iter_mod_versions_walks_all_pages() -> None:
    pages = {n: paged([{"id": n, "version": f"1.0.{n}"}], page=n, last_page=2) for n in (1, 2)}
    forge = FakeForge({"/mod/5/versions": lambda request: pages[int(request.url.params["page"])]})
    result = run(forge, lambda f: f.iter_mod_versions(5, ModVersionFilters(spt_version="4.0.11")).collect())
    assert [v.version for v in result.data] == ["1.0.1", "1.0.2"]
    assert forge.params(0)["per_page"] == "50" and forge.params(0)["sort"] == "-version"
    assert result.source.requests == 2


def test_version_file_tree() -> None:
    tree = {"verified_at": "2026-07-20T10:00:00.000000Z", "file_count": 3, "truncated": False,
            "files": ["BepInEx/plugins/ExampleMod.dll", "user/mods/example-mod/package.json",
                      "user/mods/example-mod/src/mod.js"]}
    forge = FakeForge({"/mod/5/versions/42/file-tree": ok(tree)})
    result = run(forge, lambda f: f.version_file_tree(5, 42)).data
    assert result.file_count == 3 and result.files[0] == "BepInEx/plugins/ExampleMod.dll" and not result.truncated
    assert result.verified_at == datetime(2026, 7, 20, 10, tzinfo=UTC)
    with pytest.raises(ForgeNotFound):  # pre-4.0 versions are never verified
        run(forge, lambda f: f.version_file_tree(5, 1))


# --- /mods/updates ------------------------------------------------------------------------------------------------


def test_updates_reads_the_seed_example() -> None:
    forge = FakeForge({"/mods/updates": SEED_UPDATES})
    check = run(forge, lambda f: f.updates([(5, "1.0.0"), ("com.example.blocked", "2.0.0")], "3.11.5")).data
    assert forge.params() == {"mods": "5:1.0.0,com.example.blocked:2.0.0", "spt_version": "3.11.5"}
    update = check.updates[0]
    assert (update.current_version.version, update.recommended_version.version) == ("1.0.0", "1.5.0")
    assert update.recommended_version.fika_compatibility is FikaCompatibility.COMPATIBLE
    blocked = check.blocked_updates[0]
    assert blocked.block_reason == "dependency_constraint_violation"
    assert blocked.blocking_mods[0].constraint == "^2.0.0" and blocked.latest_version is not None
    assert check.up_to_date[0].guid == "com.example.current"
    assert check.incompatible_with_spt[0].latest_compatible_version is None


def test_updates_are_sent_in_chunks_of_fifty_and_merged() -> None:
    def answer(request: httpx.Request) -> dict[str, Any]:
        pairs = request.url.params["mods"].split(",")
        return ok({"spt_version": "4.0.11", "updates": [], "blocked_updates": [], "incompatible_with_spt": [],
                   "up_to_date": [{"id": int(p.split(":")[0]), "mod_id": int(p.split(":")[0]),
                                   "version": p.split(":")[1], "spt_versions": ["4.0.11"]} for p in pairs]})

    forge = FakeForge({"/mods/updates": answer})
    pairs = [(n, f"1.0.{n}") for n in range(1, 121)]
    result = run(forge, lambda f: f.updates([*pairs, (1, "1.0.1")], " 4.0.11 "))  # a duplicate is sent once
    sent = [forge.params(i)["mods"].split(",") for i in range(len(forge.seen))]
    assert [len(chunk) for chunk in sent] == [50, 50, 20]
    assert [pair for chunk in sent for pair in chunk] == [f"{n}:1.0.{n}" for n in range(1, 121)]
    assert all(forge.params(i)["spt_version"] == "4.0.11" for i in range(3))
    assert [mod.mod_id for mod in result.data.up_to_date] == list(range(1, 121))
    assert result.data.spt_version == "4.0.11" and result.source.requests == 3


def test_updates_send_the_exact_version_with_plus_url_encoded() -> None:
    forge = FakeForge({"/mods/updates": ok({"spt_version": "4.0.11", "updates": [], "blocked_updates": [],
                                            "up_to_date": [], "incompatible_with_spt": []})})
    run(forge, lambda f: f.updates([("com.tyfon.uifixes", "1.0.2+a"), (1300, "1.0")], "4.0.11"))
    raw = forge.seen[0].url.query.decode()
    assert "1.0.2%2Ba" in raw and "+" not in raw
    assert forge.params()["mods"] == "com.tyfon.uifixes:1.0.2+a,1300:1.0"  # exactly as installed: 1.0 stays 1.0


def test_updates_real_capture_with_forge_redirect_links() -> None:
    forge = FakeForge({"/mods/updates": ok({"spt_version": "4.0.11", "updates": [REAL_UPDATE_SAIN],
                                            "blocked_updates": [], "up_to_date": [REAL_UP_TO_DATE_BIGBRAIN],
                                            "incompatible_with_spt": []})})
    check = run(forge, lambda f: f.updates([(791, "4.3.1"), (902, "1.4.0")], "4.0.11")).data
    assert check.updates[0].recommended_version.link_is_forge_redirect
    assert check.up_to_date[0].slug is None  # up_to_date entries carry no slug


def test_updates_without_pairs_send_nothing_and_bad_pairs_are_refused() -> None:
    forge = FakeForge()
    result = run(forge, lambda f: f.updates([], "4.0.11"))
    assert result.data.updates == [] and result.source.requests == 0 and forge.seen == []
    bad_pairs: list[tuple[int | str, str]] = [("a,b", "1.0.0"), ("com.x", "1.0:1"), ("com.x", ""), (0, "1.0.0"),
                                              ("", "1.0.0")]
    for bad in bad_pairs:
        with pytest.raises(ValueError, match=r"empty|','|positive"):
            format_pair(*bad)
    with pytest.raises(ValueError, match="SPT version"):
        run(forge, lambda f: f.updates([(1, "1.0.0")], " "))
    assert forge.seen == []


def test_update_check_errors_from_the_seed() -> None:
    forge = FakeForge({"/mods/updates": (400, {"success": False, "code": "VALIDATION_FAILED",
                                               "message": "SPT version not found or not published."})})
    with pytest.raises(ForgeValidationFailed, match="SPT version not found or not published"):
        run(forge, lambda f: f.updates([(1, "1.0.0")], "9.9.9"))


# --- /mods/dependencies -------------------------------------------------------------------------------------------


def test_dependencies_keyed_shape_of_today() -> None:
    shared = {**SEED_SUBDEP, "dependencies": []}
    keyed = {
        "5:1.2.0": [SEED_DEP],
        "com.example.mod:2.0.5": [shared, {"id": 9, "guid": "com.example.gone", "name": "Gone", "slug": "gone",
                                           "latest_compatible_version": None, "conflict": True, "dependencies": []}],
        "15:3.1.0": [],
    }
    forge = FakeForge({"/mods/dependencies": ok(keyed)})
    pairs: list[tuple[int | str, str]] = [(5, "1.2.0"), ("com.example.mod", "2.0.5"), (15, "3.1.0")]
    result = run(forge, lambda f: f.dependencies(pairs, "4.0.11")).data
    assert forge.params() == {"mods": "5:1.2.0,com.example.mod:2.0.5,15:3.1.0", "spt_version": "4.0.11"}
    assert result.shape == "keyed" and result.spt_version == "4.0.11"
    assert [node.guid for node in result.for_pair(5, "1.2.0")] == ["com.example.dependency"]
    assert result.for_pair(15, "3.1.0") == [] and result.for_pair(99, "1.0.0") == []
    assert [node.id for node in result.nodes] == [5, 8, 9]
    assert [node.guid for node in result.walk()] == ["com.example.dependency", "com.example.subdep",
                                                     "com.example.subdep", "com.example.gone"]
    assert [node.id for node in result.conflicts] == [9]
    nested = result.nodes[0].dependencies[0].latest_compatible_version
    assert nested is not None and nested.fika_compatibility is FikaCompatibility.UNKNOWN


def test_dependencies_flat_shape_of_the_seed_with_conflicts() -> None:
    forge = FakeForge({"/mods/dependencies": _Sequence(ok([SEED_DEP]), ok(SEED_CONFLICTS))})
    compatible = run(forge, lambda f: f.dependencies([(5, "1.2.0")], None)).data
    assert forge.params() == {"mods": "5:1.2.0"}  # an old instance: no spt_version
    assert compatible.shape == "flat" and compatible.nodes[0].dependencies[0].slug == "sub-dependency"
    conflicting = run(forge, lambda f: f.dependencies([(1, "1.0.0"), (2, "1.0.0")], None)).data
    versions = [n.latest_compatible_version.version for n in conflicting.conflicts if n.latest_compatible_version]
    assert versions == ["1.5.0", "2.0.0"]
    assert conflicting.by_pair == {}  # the seed's flat shape says nothing about who needs what


def test_dependencies_flat_shape_with_required_by_is_grouped_by_pair() -> None:
    nodes = [{**SEED_DEP, "required_by": ["com.example.mod", 15]},
             {**SEED_CONFLICTS[0], "conflict": False, "required_by": "com.example.mod"}]
    forge = FakeForge({"/mods/dependencies": ok(nodes)})
    result = run(forge, lambda f: f.dependencies([("com.example.MOD", "2.0.5"), (15, "3.1.0")], None)).data
    assert [n.id for n in result.for_pair("com.example.MOD", "2.0.5")] == [5, 12]
    assert [n.id for n in result.for_pair(15, "3.1.0")] == [5]
    assert result.nodes[0].required_by == ["com.example.mod", "15"]


def test_dependencies_real_capture_flat_shape_with_full_version_objects() -> None:
    forge = FakeForge({"/mods/dependencies": ok(REAL_DEPENDENCIES_FLAT)})
    result = run(forge, lambda f: f.dependencies([(1895, "3.0.8")], None)).data
    assert [node.guid for node in result.walk()] == ["com.harmonyzt.botcallsigns", "me.sol.sain",
                                                     "xyz.drakia.bigbrain"]
    version = result.nodes[0].latest_compatible_version
    assert version is not None and version.model_extra is not None
    assert version.model_extra["spt_version_constraint"] == "~4.0"  # extra fields are kept, not rejected


def test_dependencies_empty_answers_of_both_shapes() -> None:
    forge = FakeForge({"/mods/dependencies": _Sequence(ok({}), ok([]), ok([]))})
    keyed = run(forge, lambda f: f.dependencies([(1, "1.0.0")], "4.0.11")).data
    php_empty_object = run(forge, lambda f: f.dependencies([(1, "1.0.0")], "4.0.11")).data
    old = run(forge, lambda f: f.dependencies([(1, "1.0.0")], None)).data
    assert (keyed.shape, keyed.nodes, php_empty_object.shape) == ("keyed", [], "keyed")
    assert (old.shape, old.nodes) == ("flat", [])


def test_dependencies_missing_spt_version_error() -> None:
    forge = FakeForge({"/mods/dependencies": (400, {"success": False, "code": "VALIDATION_FAILED",
                                                    "message": "You must provide both 'mods' and 'spt_version'."})})
    with pytest.raises(ForgeValidationFailed) as error:
        run(forge, lambda f: f.dependencies([(1, "1.0.0")], None))
    assert error.value.status == 400


# --- addons -------------------------------------------------------------------------------------------------------


def test_addons_seed_example_and_filters() -> None:
    forge = FakeForge({"/addons": paged([SEED_ADDON], path=f"{BASE}/addons")})
    filters = AddonFilters(mod_id=[1, 2], is_detached=False, name="Music", contains_ads=False)
    page = run(forge, lambda f: f.addons(filters, query="music pack", include=["mod"], sort="-name")).data
    assert forge.params() == {"filter[name]": "Music", "filter[mod_id]": "1,2", "filter[contains_ads]": "0",
                              "filter[is_detached]": "0", "query": "music pack", "sort": "-name", "include": "mod",
                              "page": "1"}
    addon = page.items[0]
    assert (addon.mod_id, addon.is_detached, addon.slug) == (5, False, "ultimate-music-pack")


def test_addon_detail() -> None:
    detail = {**SEED_ADDON, "description": "This addon adds over 50 new music tracks...",
              "custom_ai_disclosure": "<p>AI tools were used to generate placeholder music tracks.</p>"}
    forge = FakeForge({"/addon/1": ok(detail)})
    addon = run(forge, lambda f: f.addon(1, include=["versions", "license"])).data
    assert addon.description == "This addon adds over 50 new music tracks..." and addon.custom_ai_disclosure
    with pytest.raises(ForgeNotFound):
        run(forge, lambda f: f.addon(0))


def test_addon_versions_seed_example() -> None:
    forge = FakeForge({"/addon/1/versions": paged(SEED_ADDON_VERSIONS)})
    page = run(forge, lambda f: f.addon_versions(1, AddonVersionFilters(version="^1.0"),
                                                 include=["virus_total_links"])).data
    assert forge.params() == {"filter[version]": "^1.0", "sort": "-version", "include": "virus_total_links",
                              "page": "1"}
    assert [(v.version, v.mod_version_constraint) for v in page.items] == [("1.2.0", "^2.0.0"), ("1.1.0", "^2.0.0")]
    assert run(forge, lambda f: f.iter_addon_versions(1).collect()).data[1].content_length == 51200000


def test_addon_dependencies_use_the_addons_parameter() -> None:
    forge = FakeForge({"/addons/dependencies": ok([{**SEED_DEP, "dependencies": []}])})
    result = run(forge, lambda f: f.addon_dependencies([(5, "1.2.0"), ("my-addon", "2.0.5")])).data
    assert forge.params() == {"addons": "5:1.2.0,my-addon:2.0.5"}
    assert result.nodes[0].latest_compatible_version is not None
    run(forge, lambda f: f.addon_dependencies([(5, "1.2.0")], "4.0.11"))
    assert forge.params() == {"addons": "5:1.2.0", "spt_version": "4.0.11"}


def test_addon_file_tree() -> None:
    forge = FakeForge({"/addon/3/versions/9/file-tree": ok({"verified_at": None, "file_count": 1, "truncated": True,
                                                            "files": ["BepInEx/plugins/Music/tracks.bundle"]})})
    tree = run(forge, lambda f: f.addon_file_tree(3, 9)).data
    assert tree.truncated and tree.verified_at is None and forge.paths == ["/addon/3/versions/9/file-tree"]


# --- categories and SPT versions ----------------------------------------------------------------------------------


def test_mod_categories_seed_example() -> None:
    forge = FakeForge({"/mod-categories": paged(SEED_CATEGORIES, per_page=50)})
    page = run(forge, lambda f: f.mod_categories(ModCategoryFilters(slug=["weapons", "gear"]), sort="title")).data
    assert forge.params() == {"filter[slug]": "weapons,gear", "sort": "title", "page": "1", "per_page": "50"}
    assert [c.label for c in page.items] == ["Weapons", "Gear"] and page.items[0].hub_id == 12
    run(forge, lambda f: f.mod_categories(per_page=100))  # this endpoint allows 100
    assert run(forge, lambda f: f.iter_mod_categories().collect()).data[1].slug == "gear"


def test_mod_category_by_id_or_slug() -> None:
    forge = FakeForge({"/mod-categories/1": ok(SEED_CATEGORIES[0]), "/mod-categories/weapons": ok(SEED_CATEGORIES[0])})
    assert run(forge, lambda f: f.mod_category(1)).data.title == "Weapons"
    assert run(forge, lambda f: f.mod_category("weapons")).data.description == "Weapon mods and attachments"
    with pytest.raises(ForgeNotFound):
        run(forge, lambda f: f.mod_category("illum"))


def test_spt_versions_seed_example_and_filters() -> None:
    forge = FakeForge({"/spt/versions": paged(SEED_SPT_VERSIONS)})
    page = run(forge, lambda f: f.spt_versions(SptVersionFilters(spt_version="4.0.11"), sort="-version",
                                               per_page=15)).data
    assert forge.params() == {"filter[spt_version]": "4.0.11", "sort": "-version", "page": "1", "per_page": "15"}
    first = page.items[0]
    assert (first.version, first.version_minor, first.version_labels, first.mod_count) == ("3.11.3", 11, "", 371)


def test_iter_spt_versions_real_capture_of_three_pages() -> None:
    def version(number: int) -> dict[str, Any]:
        return {"id": number, "version": f"4.0.{number}", "version_major": 4, "version_minor": 0,
                "version_patch": number, "version_labels": "", "mod_count": 300 + number,
                "link": f"https://github.com/sp-tarkov/build/releases/tag/4.0.{number}", "color_class": "green",
                "created_at": "2026-01-01T22:30:20.000000Z", "updated_at": "2026-02-01T04:07:29.000000Z"}

    pages = {n: paged([version(n * 10 + i) for i in range(2)], page=n, last_page=3, per_page=2,
                      path=f"{BASE}/spt/versions") for n in (1, 2, 3)}
    forge = FakeForge({"/spt/versions": lambda request: pages[int(request.url.params["page"])]})
    versions = run(forge, lambda f: f.iter_spt_versions(sort="-version").collect()).data
    assert [v.version for v in versions] == ["4.0.10", "4.0.11", "4.0.20", "4.0.21", "4.0.30", "4.0.31"]


# --- where an answer came from ------------------------------------------------------------------------------------


def test_a_mirror_answer_says_so() -> None:
    forge = FakeForge({"/mod/865": ok({"id": 865})}, unreachable=(BASE,))
    result = run(forge, lambda f: f.mod(865), urls=(BASE, MIRROR))
    assert result.source.mirror and result.source.base_url == MIRROR and not result.source.from_cache


def test_cached_and_offline_answers_say_so(tmp_path: Path) -> None:
    clock = [1_000_000.0]
    cache = ResponseCache(tmp_path / "cache.sqlite", clock=lambda: clock[0])
    forge = FakeForge({"/mod/865": ok({"id": 865, "name": "Gilded Key Storage"})})
    fresh = run(forge, lambda f: f.mod(865), cache=cache)
    clock[0] += 60
    cached = run(forge, lambda f: f.mod(865), cache=cache)
    assert len(forge.seen) == 1  # the second answer came from the cache
    assert not fresh.source.from_cache and cached.source.from_cache and not cached.source.offline
    assert cached.source.age == 60 and cached.data.name == "Gilded Key Storage"
    clock[0] += 3600  # stale now, and nothing answers
    offline = run(FakeForge(unreachable=(BASE,)), lambda f: f.mod(865), cache=cache)
    assert offline.source.offline and offline.source.from_cache and offline.source.age == 3660


def test_combined_sources() -> None:
    parts = [ResponseSource(BASE, from_cache=True, age=5), ResponseSource(MIRROR, mirror=True, age=1)]
    combined = ResponseSource.combine(parts)
    assert (combined.mirror, combined.from_cache, combined.offline, combined.age, combined.requests) == (
        True, False, False, 5, 2)


# --- tolerance, malformed answers and errors ----------------------------------------------------------------------


def test_unknown_extra_fields_are_kept_not_rejected() -> None:
    mod = {**SEED_MOD_1, "brand_new_field": {"nested": 1}, "owner": {**SEED_OWNER, "badge": "gold"}}
    data = {**SEED_MODS, "data": [mod], "extra_envelope_key": True,
            "meta": {**SEED_MODS["meta"], "unexpected": 1}}
    page = run(FakeForge({"/mods": data}), lambda f: f.mods()).data
    assert page.items[0].model_extra == {"brand_new_field": {"nested": 1}}
    assert page.items[0].owner is not None and page.items[0].owner.model_extra == {"badge": "gold"}


@pytest.mark.parametrize(("answer", "field"), [
    ((200, b"<html><body>Just a moment...</body></html>"), "(body)"),
    ([{"id": 1}], "success"),
    ({"data": []}, "success"),
    ({"success": "yes", "data": []}, "success"),
    ({"success": True}, "data"),
    ({**SEED_MODS, "data": {"id": 1}}, "data"),
    ({**SEED_MODS, "data": [{**SEED_MOD_1, "downloads": "lots"}]}, "data[0].downloads"),
    ({**SEED_MODS, "data": [{**SEED_MOD_1, "id": None}]}, "data[0].id"),
    ({**SEED_MODS, "data": [{**SEED_MOD_1, "owner": {"name": "no id"}}]}, "data[0].owner.id"),
    ({**SEED_MODS, "data": [{**SEED_MOD_1, "published_at": "yesterday"}]}, "data[0].published_at"),
    ({k: v for k, v in SEED_MODS.items() if k != "meta"}, "meta"),
    ({**SEED_MODS, "meta": {**SEED_MODS["meta"], "current_page": "first"}}, "meta.current_page"),
    ({"success": False, "message": "Something broke."}, "code"),
    ((404, {"success": False, "code": "NOT_FOUND", "message": 404}), "message"),
    ((422, {"success": False, "code": "VALIDATION_FAILED", "message": "x", "errors": "bad"}), "errors"),
    ((404, {"success": True, "data": []}), "success"),
])
def test_malformed_answers_raise_one_clear_error_naming_endpoint_and_field(answer: Answer, field: str) -> None:
    with pytest.raises(ForgeMalformedResponse) as error:
        run(FakeForge({"/mods": answer}), lambda f: f.mods())
    assert error.value.endpoint == "/mods" and error.value.field == field
    assert str(error.value).startswith(f"The Forge's answer to /mods cannot be read: {field}: ")
    assert isinstance(error.value, MalformedResponse) and isinstance(error.value, KappaError)


def test_malformed_update_and_dependency_answers() -> None:
    forge = FakeForge({"/mods/updates": ok({"spt_version": "4.0.11", "updates": [{"current_version": {"id": 1}}]}),
                       "/mods/dependencies": ok("nothing")})
    with pytest.raises(ForgeMalformedResponse, match=r"data\.updates\[0\]\.current_version\.mod_id"):
        run(forge, lambda f: f.updates([(1, "1.0.0")], "4.0.11"))
    with pytest.raises(ForgeMalformedResponse, match="/mods/dependencies cannot be read: data: expected an object"):
        run(forge, lambda f: f.dependencies([(1, "1.0.0")], "4.0.11"))


@pytest.mark.parametrize(("status", "code", "expected"), [
    (404, "NOT_FOUND", ForgeNotFound),
    (422, "VALIDATION_FAILED", ForgeValidationFailed),
    (401, "UNAUTHENTICATED", ForgeUnauthenticated),
    (403, "FORBIDDEN", ForgeForbidden),
    (400, "INVALID_QUERY_PARAMETER", ForgeInvalidQuery),
    (403, "INSUFFICIENT_SCOPE", ForgeApiError),
    (403, "PASSWORD_LOGIN_UNAVAILABLE", ForgeApiError),
])
def test_every_error_code_becomes_its_typed_exception(status: int, code: str, expected: type[ForgeApiError]) -> None:
    envelope = {"success": False, "code": code, "message": "Invalid filter(s): nope.", "errors": []}
    with pytest.raises(ForgeApiError) as error:
        run(FakeForge({"/mods": (status, envelope)}), lambda f: f.mods())
    assert type(error.value) is expected
    assert (error.value.code, error.value.status, error.value.errors) == (code, status, {})
    assert str(error.value) == f"The Forge could not answer /mods: Invalid filter(s): nope. [{code}, HTTP {status}]"


@pytest.mark.parametrize(("status", "code", "expected"), [
    (429, "RATE_LIMITED", ForgeRateLimited),
    (500, "SERVER_ERROR", ForgeServerError),
    (500, "UNEXPECTED_ERROR", ForgeServerError),
    (503, "MAINTENANCE", ForgeApiError),
])
def test_error_codes_the_http_layer_retries_map_too(status: int, code: str, expected: type[ForgeApiError]) -> None:
    # 429 and 5xx answers are retried by ApiClient and never reach the client; the mapping still holds for them.
    payload = {"success": False, "code": code, "message": "Too many requests."}
    error = error_from_envelope("/mods", status, payload, {"Retry-After": "30"})
    assert type(error) is expected and ERROR_CLASSES.get(code, ForgeApiError) is expected
    if isinstance(error, ForgeRateLimited):
        assert error.retry_after == 30.0


def test_a_server_that_keeps_failing_is_a_network_error() -> None:
    forge = FakeForge({"/mods": (500, {"success": False, "code": "SERVER_ERROR",
                                       "message": "An unexpected error occurred."})})
    with pytest.raises(NetworkError, match="HTTP 500"):
        run(forge, lambda f: f.mods())


@pytest.mark.parametrize(("status", "body", "words"), [
    (403, b"<!DOCTYPE html><html><title>Attention Required! | Cloudflare</title></html>",
     "access was refused, often by a firewall or proxy in front of the Forge (HTTP 403 Forbidden). "
     "It sent an HTML page"),
    (404, b"<html>Not Found</html>", "nothing is at that address; check the Forge URL setting (HTTP 404 Not Found)"),
    (401, b"", "this Forge instance wants an API token (HTTP 401 Unauthorized). It sent an empty answer"),
    (418, b"teapot", "the request was refused (HTTP 418 I'm a Teapot). It sent something that is not JSON"),
    (404, b'{"message": "Not Found"}', "nothing is at that address"),  # JSON, but not the Forge's envelope
])
def test_an_error_page_from_a_proxy_is_explained_in_words(status: int, body: bytes, words: str) -> None:
    with pytest.raises(ForgeApiError) as error:
        content_type = "text/html" if body.startswith(b"<") else "text/plain"
        run(FakeForge({"/mods": (status, body, {"Content-Type": content_type})}), lambda f: f.mods())
    assert type(error.value) is ForgeApiError and error.value.code is None and error.value.status == status
    assert str(error.value).startswith("The Forge could not answer /mods: ") and words in str(error.value)


def test_status_in_words() -> None:
    assert status_in_words(503) == "the Forge is down for maintenance or overloaded (HTTP 503 Service Unavailable)"
    assert status_in_words(599) == "the server had a problem (HTTP 599)"


def test_bad_arguments_are_refused_before_any_request() -> None:
    forge = FakeForge()
    for action in [
        lambda f: f.mods(per_page=51),  # the Forge caps at 50
        lambda f: f.mods(page=0),
        lambda f: f.mods(include=["dependencies"]),  # answers 400 on /mods: only on /mod/{id}/versions
        lambda f: f.mod_versions(1, include=["license"]),
        lambda f: f.mod(-1),
        lambda f: f.mod_categories(per_page=101),
        lambda f: f.mod_category("a/b"),
        lambda f: f.mods(ModFilters(guid=["a", "b,c"])),  # a comma inside one value would split it
    ]:
        with pytest.raises(ValueError):
            run(forge, action)
    assert forge.seen == []
    with pytest.raises(ValueError):
        ModFilters(search="not a filter")  # type: ignore[call-arg]
