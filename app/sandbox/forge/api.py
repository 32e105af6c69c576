"""The Forge's v0 API routes and controllers (routes/api_v0.php, app/Http/Controllers/Api/V0/*)."""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from typing import Any
from urllib.parse import parse_qsl

from app.sandbox.forge.auth import AuthStore, Token, User
from app.sandbox.forge.catalogue import Addon, AddonVersion, Catalogue, Mod, ModVersion, SptVersion
from app.sandbox.forge.query import (
    ApiError,
    ListSpec,
    apply_list,
    bool_filter,
    comma_list,
    date_filter,
    ids_filter,
    in_range,
    like_filter,
    list_filter,
    not_found,
    page_request,
    paginate,
    php_bool,
    text_param,
    validated_fields,
    validated_includes,
    validation_failed,
)
from app.sandbox.forge.resources import (
    ADDON_FIELDS,
    ADDON_INCLUDES,
    ADDON_REQUIRED,
    ADDON_VERSION_FIELDS,
    ADDON_VERSION_REQUIRED,
    MOD_FIELDS,
    MOD_INCLUDES,
    MOD_REQUIRED,
    SPT_FIELDS,
    VERSION_FIELDS,
    VERSION_INCLUDES,
    VERSION_REQUIRED,
    Render,
    iso,
    mysql,
)
from app.sandbox.forge.rules import (
    View,
    check_updates,
    flat_dependencies,
    grouped_dependencies,
    matches,
    newest_first,
    parse_pairs,
    resolve_addon_pairs,
    resolve_mod_pairs,
)

PUBLIC_MAX_AGE = 300
LONG_MAX_AGE = 3600
INVALID_MODS = ("Invalid format for 'mods' parameter. Expected format: 'identifier:version,identifier:version' "
                "where identifier is either a mod_id (numeric) or GUID (string)")
INVALID_UPDATE_MODS = "Invalid format for 'mods' parameter. Expected format: 'identifier:version,identifier:version'"
INVALID_ADDONS = ("Invalid format for 'addons' parameter. Expected format: 'identifier:version,identifier:version' "
                  "where identifier is either an addon_id (numeric) or slug (string)")
SPT_NOT_FOUND = "SPT version not found or not published."
UNAUTHENTICATED = ApiError(401, "UNAUTHENTICATED", "Unauthenticated.")


@dataclass
class ApiRequest:
    method: str
    path: str  # below /api/v0, e.g. "/mods"
    query: str
    headers: Message
    body: bytes
    client: str
    params: dict[str, Any] = field(default_factory=dict)
    pairs: list[tuple[str, str]] = field(default_factory=list)
    auth: tuple[User, Token] | None = None

    def form(self) -> dict[str, Any]:
        """A POST body, JSON or form-encoded (Laravel reads both)."""
        content_type = self.headers.get("Content-Type", "")
        if "json" in content_type:
            try:
                document = json.loads(self.body or b"{}")
            except ValueError:
                raise ApiError(400, "INVALID_QUERY_PARAMETER", "The request body is not valid JSON.") from None
            return document if isinstance(document, dict) else {}
        form: dict[str, Any] = {}
        for key, value in parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True):
            if key.endswith("[]"):
                form.setdefault(key[:-2], []).append(value)
            else:
                form[key] = value
        return form


@dataclass
class ApiResult:
    status: int
    document: Any
    cache: int | None = None  # public max-age; None means Laravel's default "no-cache, private"


Handler = Callable[[ApiRequest, re.Match[str]], ApiResult]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    needs_user: bool = False  # the auth/* routes that act on the token's user
    open_without_token: bool = False  # reachable even on instances that require a token


class ForgeApi:
    """Routes and controllers over one catalogue; `LocalForge` adds HTTP, limits and failure injection."""

    def __init__(self, catalogue: Catalogue, render: Callable[[], Render]) -> None:
        self.catalogue = catalogue
        self.render = render
        self.auth = AuthStore()
        self._resend_hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self.routes = self._routes()

    def _routes(self) -> list[Route]:
        def route(method: str, path: str, handler: Handler, **flags: bool) -> Route:
            return Route(method, re.compile(f"^{path}$"), handler, **flags)

        return [
            route("GET", "/ping", self.ping, open_without_token=True),
            route("POST", "/auth/login", self.login, open_without_token=True),
            route("POST", "/auth/register", self.register, open_without_token=True),
            route("POST", "/auth/email/resend", self.resend, open_without_token=True),
            route("POST", "/auth/logout", self.logout, needs_user=True),
            route("POST", "/auth/logout/all", self.logout_all, needs_user=True),
            route("GET", "/auth/user", self.user, needs_user=True),
            route("GET", "/auth/abilities", self.abilities, needs_user=True),
            route("GET", "/mods", self.mods),
            route("GET", "/mods/updates", self.updates),
            route("GET", "/mods/dependencies", self.mod_dependencies),
            route("GET", r"/mod/(\d+)", self.mod),
            route("GET", r"/mod/(\d+)/versions", self.mod_versions),
            route("GET", r"/mod/(\d+)/versions/(\d+)/file-tree", self.mod_file_tree),
            route("GET", "/addons", self.addons),
            route("GET", "/addons/dependencies", self.addon_dependencies),
            route("GET", r"/addon/(\d+)", self.addon),
            route("GET", r"/addon/(\d+)/versions", self.addon_versions),
            route("GET", r"/addon/(\d+)/versions/(\d+)/file-tree", self.addon_file_tree),
            route("GET", "/mod-categories", self.categories),
            route("GET", "/mod-categories/([^/]+)", self.category),
            route("GET", "/spt/versions", self.spt_versions),
        ]

    def view(self) -> View:
        return View(self.catalogue)

    # -- general and auth ----------------------------------------------------------------------------------

    def ping(self, request: ApiRequest, match: re.Match[str]) -> ApiResult:
        return ApiResult(200, {"success": True, "data": {"message": "pong"}}, cache=0)

    def login(self, request: ApiRequest, match: re.Match[str]) -> ApiResult:
        return ApiResult(200, {"success": True, "data": {"token": self.auth.login(request.form())}})

    def register(self, request: ApiRequest, match: re.Match[str]) -> ApiResult:
        user = self.auth.register(request.form())
        return ApiResult(201, {"success": True, "data": user.to_json(with_email=False)})

    def resend(self, request: ApiRequest, match: re.Match[str]) -> ApiResult:
        self._throttle_resend(request.client)
        email = request.form().get("email")
        if not isinstance(email, str) or not email:
            raise ApiError(422, "VALIDATION_FAILED", "Validation failed.", {"email": ["The email field is required."]})
        message = "If an account matching that email exists and requires verification, a new link has been sent."
        return ApiResult(200, {"success": True, "data": {"message": message}})

    def _throttle_resend(self, client: str) -> None:
        # throttle:3,60 on this route: three attempts an hour.
        with self._lock:
            hits = self._resend_hits.setdefault(client, deque())
            now = time.monotonic()
            while hits and hits[0] <= now - 3600:
                hits.popleft()
            if len(hits) >= 3:
                raise ApiError(429, "RATE_LIMITED", "Too many requests. Retry after the number of seconds in the "
                                                    "Retry-After header.")
            hits.append(now)

    def logout(self, request: ApiRequest, match: re.Match[str]) -> ApiResult:
        assert request.auth is not None
        self.auth.revoke(request.auth[1])
        return ApiResult(200, {"success": True, "data": {"message": "Current token revoked successfully."}})

    def logout_all(self, request: ApiRequest, match: re.Match[str]) -> ApiResult:
        assert request.auth is not None
        self.auth.revoke_all(request.auth[0])
        return ApiResult(200, {"success": True, "data": {"message": "All tokens revoked successfully."}})

    def user(self, request: ApiRequest, match: re.Match[str]) -> ApiResult:
        assert request.auth is not None
        includes = validated_includes(request.params, ("role",))
        user = request.auth[0]
        data = user.to_json(with_email=True)
        if "role" in includes:
            data["role"] = None if user.id != 1 else {
                "id": 2, "name": "Moderator", "short_name": "Mod", "description": "Moderate user content.",
                "color_class": "emerald", "created_at": iso(user.created_at), "updated_at": iso(user.created_at)}
        return ApiResult(200, {"success": True, "data": data})

    def abilities(self, request: ApiRequest, match: re.Match[str]) -> ApiResult:
        assert request.auth is not None
        return ApiResult(200, {"success": True, "data": list(request.auth[1].abilities)})

    # -- mods ----------------------------------------------------------------------------------------------

    def mods(self, request: ApiRequest, match: re.Match[str]) -> ApiResult:
        view, render = self.view(), self.render()
        filters = request.params.get("filter") if isinstance(request.params.get("filter"), dict) else {}
        legacy = filters.get("include_legacy")
        include_legacy = isinstance(legacy, str) and php_bool(legacy)
        rows = [m for m in self.catalogue.mods
                if view.mod_public(m) and ("spt_version" in filters or view.mod_listed(m, include_legacy))]
        query = request.params.get("query")
        if isinstance(query, str) and query.strip():
            rows = search_mods(view, rows, query)
        rows, listing = apply_list(rows, request.params, self._mod_spec(view, render.shape))
        page = page_request(self._url(request), request.params, request.pairs)

        def one(mod: Mod) -> dict[str, Any]:
            return render.mod(mod, includes=listing.includes, fields=listing.fields,
                              versions=self._shown_versions(view, mod, include_legacy))

        return ApiResult(200, paginate(rows, page, one), PUBLIC_MAX_AGE)

    @staticmethod
    def _shown_versions(view: View, mod: Mod, include_legacy: bool = False) -> list[ModVersion]:
        """The `versions` include: Mod::versions() ordered by version, descending."""
        return sort_by_version([v for v in mod.versions if view.version_listed(v)
                                or (include_legacy and view.version_public(v) and v.is_legacy)], True)

    def _mod_spec(self, view: View, shape: str) -> ListSpec[Mod]:
        def guid_filter(value: str) -> Callable[[Mod], bool]:
            if shape == "old":  # before 2026-06-24 the GUID filter was an exact, case-sensitive match
                wanted = set(comma_list(value))
                return lambda m: m.guid in wanted
            lowered = {g.lower() for g in comma_list(value)}
            return lambda m: m.guid.lower() in lowered

        def spt_filter(value: str) -> Callable[[Mod], bool]:
            allowed = view.satisfied_spt_versions(value)
            return lambda m: any(view.version_public(v) and allowed & set(v.spt_versions) for v in m.versions)

        categories = {c.slug: c.id for c in self.catalogue.categories}

        def category_slug(value: str) -> Callable[[Mod], bool]:
            wanted = {categories.get(slug) for slug in comma_list(value)}
            return lambda m: m.category_id in wanted

        filters: dict[str, Callable[[str], Callable[[Mod], bool]]] = {
            "id": ids_filter(lambda m: m.id), "hub_id": ids_filter(lambda m: m.hub_id),
            "guid": guid_filter,
            "name": like_filter(lambda m: m.name), "slug": like_filter(lambda m: m.slug),
            "teaser": like_filter(lambda m: m.teaser),
            "featured": bool_filter(lambda m: m.featured), "contains_ads": bool_filter(lambda m: m.contains_ads),
            "contains_ai_content": bool_filter(lambda m: m.contains_ai_content),
            "cheat_notice": bool_filter(lambda m: m.cheat_notice),
            "category_id": ids_filter(lambda m: m.category_id), "category_slug": category_slug,
            "created_between": date_filter(lambda m: mysql(m.created_at)),
            "updated_between": date_filter(lambda m: mysql(m.updated_at)),
            "published_between": date_filter(lambda m: mysql(m.published_at)),
            "spt_version": spt_filter,
            "fika_compatibility": bool_filter(lambda m: m.fika_compatibility),
            "include_legacy": lambda value: (lambda m: True),  # widens the base query instead
        }
        sorts: dict[str, Callable[[Mod], Any]] = {
            "name": lambda m: m.name.lower(), "downloads": lambda m: m.downloads,
            "favourites_count": lambda m: m.favourites_count, "featured": lambda m: m.featured,
            "created_at": lambda m: m.created_at, "updated_at": lambda m: m.updated_at,
            "published_at": lambda m: m.published_at,
        }
        return ListSpec(filters, MOD_INCLUDES, MOD_FIELDS, MOD_REQUIRED, sorts)

    def mod(self, request: ApiRequest, match: re.Match[str]) -> ApiResult:
        view, render = self.view(), self.render()
        mod = self._listed_mod(view, int(match.group(1)))
        includes = validated_includes(request.params, MOD_INCLUDES)
        fields = validated_fields(request.params, MOD_FIELDS, MOD_REQUIRED)
        data = render.mod(mod, includes=includes, fields=fields, show=True, versions=self._shown_versions(view, mod))
        return ApiResult(200, {"success": True, "data": data}, PUBLIC_MAX_AGE)

    def _listed_mod(self, view: View, mod_id: int) -> Mod:
        mod = self.catalogue.mod_by_id.get(mod_id)
        if mod is None or not view.mod_listed(mod):
            raise not_found()
        return mod

    def mod_versions(self, request: ApiRequest, match: re.Match[str]) -> ApiResult:
        view, render = self.view(), self.render()
        mod = self._listed_mod(view, int(match.group(1)))
        filters = request.params.get("filter") if isinstance(request.params.get("filter"), dict) else {}
        # Versions without a published SPT version stay hidden unless the SPT filter decides instead.
        rows = [v for v in sorted(mod.versions, key=lambda v: v.id)
                if view.version_public(v) and ("spt_version" in filters or v.spt_versions)]
        rows, listing = apply_list(rows, request.params, self._version_spec(view, mod))
        page = page_request(self._url(request), request.params, request.pairs)

        def one(version: ModVersion) -> dict[str, Any]:
            return render.version(mod, version, includes=listing.includes, fields=listing.fields, html=True)

        return ApiResult(200, paginate(rows, page, one), PUBLIC_MAX_AGE)

    def _version_spec(self, view: View, mod: Mod) -> ListSpec[ModVersion]:
        def spt_filter(value: str) -> Callable[[ModVersion], bool]:
            allowed = view.satisfied_spt_versions(value)
            return lambda v: bool(allowed & set(v.spt_versions))

        filters: dict[str, Callable[[str], Callable[[ModVersion], bool]]] = {
            "id": ids_filter(lambda v: v.id), "hub_id": ids_filter(lambda v: v.hub_id),
            "version": lambda value: (lambda v: matches(v.version, value)),
            "description": like_filter(lambda v: v.description),
            "published_between": date_filter(lambda v: mysql(v.published_at)),
            "created_between": date_filter(lambda v: mysql(v.created_at)),
            "updated_between": date_filter(lambda v: mysql(v.updated_at)),
            "spt_version": spt_filter,
            "fika_compatibility": list_filter(lambda v: v.fika),
        }
        sorts: dict[str, Callable[[ModVersion], Any]] = {
            "id": lambda v: v.id, "hub_id": lambda v: v.hub_id, "downloads": lambda v: v.downloads,
            "published_at": lambda v: v.published_at, "created_at": lambda v: v.created_at,
            "updated_at": lambda v: v.updated_at,
        }
        return ListSpec(filters, VERSION_INCLUDES, VERSION_FIELDS, VERSION_REQUIRED,
                        {"id": sorts["id"], "hub_id": sorts["hub_id"], "version": lambda v: v.parts, **sorts},
                        special_sorts={"version": sort_by_version})

    def mod_file_tree(self, request: ApiRequest, match: re.Match[str]) -> ApiResult:
        view = self.view()
        mod = self._listed_mod(view, int(match.group(1)))
        version = next((v for v in mod.versions if v.id == int(match.group(2))), None)
        if version is None or not view.version_public(version) or not version.verified:
            raise not_found()
        return ApiResult(200, {"success": True, "data": _file_tree(version.file_tree, version.published_at)},
                         PUBLIC_MAX_AGE)

    def updates(self, request: ApiRequest, match: re.Match[str]) -> ApiResult:
        view, render = self.view(), self.render()
        if isinstance(request.params.get("mods"), dict):
            raise validation_failed(INVALID_UPDATE_MODS)
        mods, spt = text_param(request.params, "mods"), text_param(request.params, "spt_version")
        if mods in ("", "0") or spt in ("", "0"):
            raise validation_failed("You must provide both 'mods' and 'spt_version' parameters.")
        pairs = parse_pairs(mods)
        if not pairs:
            raise validation_failed(INVALID_UPDATE_MODS)
        if not view.spt_published(spt):
            raise validation_failed(SPT_NOT_FOUND)
        installed = [q.version for q in resolve_mod_pairs(view, pairs) if isinstance(q.version, ModVersion)]
        return ApiResult(200, {"success": True, "data": check_updates(view, render, installed, spt)}, PUBLIC_MAX_AGE)

    def mod_dependencies(self, request: ApiRequest, match: re.Match[str]) -> ApiResult:
        return self._dependencies(request, "mods", INVALID_MODS, resolve_mod_pairs)

    def addon_dependencies(self, request: ApiRequest, match: re.Match[str]) -> ApiResult:
        return self._dependencies(request, "addons", INVALID_ADDONS, resolve_addon_pairs)

    def _dependencies(self, request: ApiRequest, name: str, invalid: str, resolve: Callable[..., Any]) -> ApiResult:
        view, render = self.view(), self.render()
        if isinstance(request.params.get(name), dict):
            raise validation_failed(invalid)
        text = text_param(request.params, name)
        if render.shape == "old":
            if text in ("", "0"):
                raise validation_failed(f"You must provide the '{name}' parameter.")
            pairs = parse_pairs(text)
            if not pairs:
                raise validation_failed(invalid)
            queried = resolve(view, pairs)
            data: Any = flat_dependencies(view, render, queried) if queried else []
            return ApiResult(200, {"success": True, "data": data}, PUBLIC_MAX_AGE)
        if isinstance(request.params.get("spt_version"), dict):
            raise validation_failed(f"You must provide both '{name}' and 'spt_version' parameters.")
        spt = text_param(request.params, "spt_version")
        if text in ("", "0") or spt in ("", "0"):
            raise validation_failed(f"You must provide both '{name}' and 'spt_version' parameters.")
        if not view.spt_published(spt):
            raise validation_failed(SPT_NOT_FOUND)
        pairs = parse_pairs(text)
        if not pairs:
            raise validation_failed(invalid)
        queried = resolve(view, pairs)
        data = grouped_dependencies(view, render, queried, spt) if queried else {}
        return ApiResult(200, {"success": True, "data": data}, PUBLIC_MAX_AGE)

    # -- addons --------------------------------------------------------------------------------------------

    def addons(self, request: ApiRequest, match: re.Match[str]) -> ApiResult:
        view, render = self.view(), self.render()
        rows = sorted((a for a in self.catalogue.addons if view.addon_public(a)), key=lambda a: a.created_at,
                      reverse=True)
        rows, listing = apply_list(rows, request.params, _addon_spec())
        page = page_request(self._url(request), request.params, request.pairs)

        def one(addon: Addon) -> dict[str, Any]:
            return render.addon(addon, includes=listing.includes, fields=listing.fields,
                                versions=self._addon_versions_shown(view, addon))

        return ApiResult(200, paginate(rows, page, one), PUBLIC_MAX_AGE)

    @staticmethod
    def _addon_versions_shown(view: View, addon: Addon) -> list[AddonVersion]:
        return sorted((v for v in addon.versions if view.version_public(v)), key=newest_first)

    def _public_addon(self, view: View, addon_id: int) -> Addon:
        addon = self.catalogue.addon_by_id.get(addon_id)
        if addon is None or not view.addon_public(addon):
            raise not_found()
        return addon

    def addon(self, request: ApiRequest, match: re.Match[str]) -> ApiResult:
        view, render = self.view(), self.render()
        addon = self._public_addon(view, int(match.group(1)))
        includes = validated_includes(request.params, ADDON_INCLUDES)
        fields = validated_fields(request.params, ADDON_FIELDS, ADDON_REQUIRED)
        data = render.addon(addon, includes=includes, fields=fields, show=True,
                            versions=self._addon_versions_shown(view, addon))
        return ApiResult(200, {"success": True, "data": data}, PUBLIC_MAX_AGE)

    def addon_versions(self, request: ApiRequest, match: re.Match[str]) -> ApiResult:
        view, render = self.view(), self.render()
        addon = self._public_addon(view, int(match.group(1)))
        rows = [v for v in sorted(addon.versions, key=lambda v: v.id) if view.version_public(v)]
        rows, listing = apply_list(rows, request.params, _addon_version_spec())
        page = page_request(self._url(request), request.params, request.pairs)

        def one(version: AddonVersion) -> dict[str, Any]:
            data = render.addon_version(version, fields=listing.fields)
            if "virus_total_links" in listing.includes:
                data["virus_total_links"] = []
            return data

        return ApiResult(200, paginate(rows, page, one), PUBLIC_MAX_AGE)

    def addon_file_tree(self, request: ApiRequest, match: re.Match[str]) -> ApiResult:
        view = self.view()
        addon = self._public_addon(view, int(match.group(1)))
        version = next((v for v in addon.versions if v.id == int(match.group(2))), None)
        verified = version is not None and any(p.startswith(("SPT/", "SPT_Runtime/", "BepInEx/"))
                                               for p in version.file_tree)
        if version is None or not view.version_public(version) or not verified:
            raise not_found()
        return ApiResult(200, {"success": True, "data": _file_tree(version.file_tree, version.published_at)},
                         PUBLIC_MAX_AGE)

    # -- categories and SPT versions -----------------------------------------------------------------------

    def categories(self, request: ApiRequest, match: re.Match[str]) -> ApiResult:
        render = self.render()
        fields = ("id", "hub_id", "title", "slug", "description")
        spec: ListSpec[Any] = ListSpec(
            {"id": ids_filter(lambda c: c.id), "title": like_filter(lambda c: c.title),
             "slug": like_filter(lambda c: c.slug)},
            (), fields, ("id",), {"id": lambda c: c.id, "title": lambda c: c.title.lower(), "slug": lambda c: c.slug})
        rows, listing = apply_list(self.catalogue.categories, request.params, spec)
        page = page_request(self._url(request), request.params, request.pairs, default=50)

        def one(category: Any) -> dict[str, Any]:
            data = render.category(category)
            return {k: v for k, v in data.items() if listing.fields is None or k in listing.fields or k == "id"}

        return ApiResult(200, paginate(rows, page, one), LONG_MAX_AGE)

    def category(self, request: ApiRequest, match: re.Match[str]) -> ApiResult:
        identifier = match.group(1)
        category = next((c for c in self.catalogue.categories
                         if (identifier.isdigit() and c.id == int(identifier)) or c.slug == identifier), None)
        if category is None:
            raise not_found()
        return ApiResult(200, {"success": True, "data": self.render().category(category)}, LONG_MAX_AGE)

    def spt_versions(self, request: ApiRequest, match: re.Match[str]) -> ApiResult:
        view, render = self.view(), self.render()
        counts = self._mod_counts(view)
        rows = sorted(self.catalogue.published_spt_versions, key=lambda s: s.parts[:3], reverse=True)

        def spt_filter(value: str) -> Callable[[SptVersion], bool]:
            allowed = view.satisfied_spt_versions(value)
            return lambda s: s.version in allowed

        spec: ListSpec[SptVersion] = ListSpec(
            {"id": ids_filter(lambda s: s.id), "spt_version": spt_filter,
             "created_between": date_filter(lambda s: mysql(s.created_at)),
             "updated_between": date_filter(lambda s: mysql(s.created_at))},
            (), SPT_FIELDS, ("id",),
            {"id": lambda s: s.id, "version": lambda s: s.parts, "mod_count": lambda s: counts.get(s.version, 0),
             "created_at": lambda s: s.created_at, "updated_at": lambda s: s.created_at})
        rows, listing = apply_list(rows, request.params, spec)
        page = page_request(self._url(request), request.params, request.pairs)
        return ApiResult(200, paginate(rows, page, lambda s: render.spt_version(s, counts.get(s.version, 0),
                                                                                listing.fields)), LONG_MAX_AGE)

    def _mod_counts(self, view: View) -> dict[str, int]:
        counts: dict[str, int] = {}
        for mod in self.catalogue.mods:
            if not view.mod_public(mod):
                continue
            for version in {s for v in mod.versions if view.version_public(v) for s in v.spt_versions}:
                counts[version] = counts.get(version, 0) + 1
        return counts

    def _url(self, request: ApiRequest) -> str:
        return f"{self.render().root_url}/api/v0{request.path}"


def sort_by_version(rows: Any, descending: bool) -> list[Any]:
    """The Forge's version sort: major, minor, patch in the asked direction, then stable before labelled
    (always), then labels in the asked direction."""
    rows = sorted(rows, key=lambda v: v.parts[3], reverse=descending)
    rows = sorted(rows, key=lambda v: 0 if v.parts[3] == "" else 1)
    return sorted(rows, key=lambda v: v.parts[:3], reverse=descending)


def search_mods(view: View, mods: list[Mod], query: str) -> list[Mod]:
    """A stand-in for the Meilisearch index: every word must prefix a word of the name, slug or description
    (no typo tolerance). Hits are ordered as the Forge orders them: newest latest version first, then relevance."""
    terms = [t for t in re.split(r"\W+", query.lower()) if t]
    scored = []
    for mod in mods:
        score = _search_score(mod, terms)
        if score is None:
            continue
        listed = view.listed_versions(mod)
        major, minor, patch, labels = listed[0].parts if listed else (0, 0, 0, "")
        scored.append(((-major, -minor, -patch, labels, -score), mod))
    scored.sort(key=lambda pair: pair[0])
    return [mod for _, mod in scored]


def _search_score(mod: Mod, terms: list[str]) -> float | None:
    if not terms:
        return None
    fields = ((3.0, mod.name), (2.0, mod.slug), (1.0, re.sub(r"<[^>]+>", " ", mod.description)))
    total = 0.0
    for term in terms:
        best = max((weight for weight, text in fields
                    if any(word.startswith(term) for word in re.split(r"\W+", text.lower()))), default=0.0)
        if best == 0.0:
            return None
        total += best
    return total


def _file_tree(files: tuple[str, ...], published: Any) -> dict[str, Any]:
    limit = 1000
    return {"verified_at": iso(published), "file_count": len(files), "truncated": len(files) > limit,
            "files": list(files[:limit])}


def _addon_spec() -> ListSpec[Addon]:
    def dated(attribute: str) -> Callable[[str], Callable[[Addon], bool]]:
        def factory(value: str) -> Callable[[Addon], bool]:
            parts = value.split(",")
            if len(parts) != 2:  # the addon builder ignores a malformed range
                return lambda a: True
            return lambda a: in_range(mysql(getattr(a, attribute)), (parts[0], parts[1]))
        return factory

    def optional(factory: Callable[[str], Callable[[Addon], bool]]) -> Callable[[str], Callable[[Addon], bool]]:
        # The addon builder skips a filter whose value is empty.
        return lambda value: (lambda a: True) if not value else factory(value)

    filters: dict[str, Callable[[str], Callable[[Addon], bool]]] = {
        "id": optional(ids_filter(lambda a: a.id)),
        "name": optional(like_filter(lambda a: a.name)), "slug": optional(like_filter(lambda a: a.slug)),
        "teaser": optional(like_filter(lambda a: a.teaser)),
        "mod_id": optional(ids_filter(lambda a: a.mod_id)),
        "contains_ads": bool_filter(lambda a: a.contains_ads),
        "contains_ai_content": bool_filter(lambda a: a.contains_ai_content),
        "is_detached": bool_filter(lambda a: a.detached_at is not None),
        "created_between": dated("created_at"), "updated_between": dated("updated_at"),
        "published_between": dated("published_at"),
    }
    sorts: dict[str, Callable[[Addon], Any]] = {
        "name": lambda a: a.name.lower(), "downloads": lambda a: a.downloads, "created_at": lambda a: a.created_at,
        "updated_at": lambda a: a.updated_at, "published_at": lambda a: a.published_at,
    }
    return ListSpec(filters, ADDON_INCLUDES, ADDON_FIELDS, ADDON_REQUIRED, sorts)


def _addon_version_spec() -> ListSpec[AddonVersion]:
    filters: dict[str, Callable[[str], Callable[[AddonVersion], bool]]] = {
        "id": ids_filter(lambda v: v.id),
        "version": lambda value: (lambda v: matches(v.version, value)),
        "description": like_filter(lambda v: v.description),
        "link": like_filter(lambda v: v.archive_name),
        "published_between": date_filter(lambda v: mysql(v.published_at)),
        "created_between": date_filter(lambda v: mysql(v.created_at)),
        "updated_between": date_filter(lambda v: mysql(v.updated_at)),
    }

    def version_sort(rows: Any, descending: bool) -> list[Any]:
        # The addon builder sorts every version column, pre-release included, in the asked direction.
        return sorted(rows, key=lambda v: v.parts, reverse=descending)

    sorts: dict[str, Callable[[AddonVersion], Any]] = {
        "id": lambda v: v.id, "version": lambda v: v.parts, "downloads": lambda v: v.downloads,
        "published_at": lambda v: v.published_at, "created_at": lambda v: v.created_at,
        "updated_at": lambda v: v.updated_at,
    }
    return ListSpec(filters, ("virus_total_links",), ADDON_VERSION_FIELDS, ADDON_VERSION_REQUIRED, sorts,
                    special_sorts={"version": version_sort})
