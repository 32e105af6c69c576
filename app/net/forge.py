"""A typed client for the Forge API v0 (`https://sp-mod.com/api/v0` and mirrors), built on `app.net.http.ApiClient`.

Public API (stable: integration tests and services rely on it)::

    forge = ForgeClient(api)                      # api: ApiClient with the Forge base URL (+ mirrors)

    # Every GET returns ForgeResult[T]: `.data` (the typed answer) and `.source` (a ResponseSource).
    await forge.ping()                            -> ForgeResult[str]  ("pong"; raises NetworkError when offline)
    await forge.user(include_role=False)          -> ForgeResult[User]
    await forge.abilities()                       -> ForgeResult[list[str]]
    await forge.mods(filters: ModFilters | None, *, query, sort, include, fields, page=1, per_page=None)
                                                  -> ForgeResult[Page[Mod]]
    forge.iter_mods(filters, *, query, sort, include, fields, per_page=50)     -> PageIterator[Mod]
    await forge.mod(mod_id, *, include, fields)   -> ForgeResult[Mod]
    await forge.mod_versions(mod_id, filters: ModVersionFilters | None, *, sort="-version",
                             include=("dependencies", "virus_total_links"), fields, page=1, per_page=None)
                                                  -> ForgeResult[Page[ModVersion]]
    forge.iter_mod_versions(mod_id, filters, *, sort, include, fields, per_page=50) -> PageIterator[ModVersion]
    await forge.version_file_tree(mod_id, version_id)                -> ForgeResult[FileTree]
    await forge.updates(pairs, spt_version)       -> ForgeResult[UpdateCheck]       (chunks of <= 50 pairs, merged)
    await forge.dependencies(pairs, spt_version)  -> ForgeResult[DependencyResult]  (both answer shapes)
    await forge.addons(filters: AddonFilters | None, *, query, sort, include, fields, page, per_page)
                                                  -> ForgeResult[Page[Addon]];  forge.iter_addons(...)
    await forge.addon(addon_id, *, include, fields)                  -> ForgeResult[Addon]
    await forge.addon_versions(addon_id, filters: AddonVersionFilters | None, *, sort="-version", include, fields,
                               page, per_page)    -> ForgeResult[Page[AddonVersion]];  forge.iter_addon_versions(...)
    await forge.addon_dependencies(pairs, spt_version=None)           -> ForgeResult[DependencyResult]
    await forge.addon_file_tree(addon_id, version_id)                 -> ForgeResult[FileTree]
    await forge.mod_categories(filters: ModCategoryFilters | None, *, sort, fields, page=1, per_page=50)
                                                  -> ForgeResult[Page[ModCategory]];  forge.iter_mod_categories(...)
    await forge.mod_category(id_or_slug, *, fields)                  -> ForgeResult[ModCategory]
    await forge.spt_versions(filters: SptVersionFilters | None, *, sort, fields, page=1, per_page=None)
                                                  -> ForgeResult[Page[SptVersion]];  forge.iter_spt_versions(...)

    # Auth, for older or self-hosted instances that still want tokens (the public Forge is open and ignores them).
    # These POSTs are never cached and go to the primary URL only: credentials are never sent to a mirror.
    await forge.login(email, password, token_name="kappa", abilities=("read",)) -> str  (also sets api.token)
    await forge.logout() -> str;  await forge.logout_all() -> str        (both clear api.token)
    await forge.register(name, email, password, timezone) -> User
    await forge.resend_verification(email) -> str

Helpers: `format_pair(identifier, version)` builds and checks one `identifier:version` pair the way `updates` and
`dependencies` do (so callers can pre-check odd installed versions); `status_in_words(status)` and
`error_from_envelope(endpoint, status, payload, headers)` are the error mapping used for every answer.

Where an answer came from: `result.source` is a `ResponseSource` with `base_url` (who answered), `mirror` (True when
that was not the primary URL), `from_cache`, `offline` (a stale cached answer because no server was reachable) and
`age` (seconds since the answer left the server). Answers built from several requests (chunked updates, page
iterators) carry a combined source: `from_cache` only if all were cached, `offline`/`mirror` if any was, the largest
`age`, and the single sources in `parts`. A `PageIterator` exposes the combined source of the pages fetched so far as
`iterator.source`, and `await iterator.collect()` returns a `ForgeResult[list[T]]`.

Errors: an error envelope `{"success": false, "code", "message", "errors"?}` raises a `ForgeApiError` subclass chosen by
`code` (`ForgeNotFound`, `ForgeValidationFailed`, `ForgeUnauthenticated`, `ForgeForbidden`, `ForgeRateLimited`,
`ForgeInvalidQuery`, `ForgeServerError`; other codes raise the base class). A non-JSON error answer (an HTML page
from a proxy) raises a plain `ForgeApiError` whose message says what the status means. Anything else that is not the
promised JSON raises `ForgeMalformedResponse` naming the endpoint and the field. Unreachable servers, persistent 5xx
and endless 429s are handled by the HTTP layer and arrive as `app.net.http.NetworkError`. Bad arguments (a `per_page`
over the cap, an unknown include, a pair with a comma) raise `ValueError` before any request is sent.
"""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from app.core.errors import KappaError
from app.net.forge_models import (
    Addon,
    AddonFilters,
    AddonVersion,
    AddonVersionFilters,
    DependencyNode,
    DependencyResult,
    FileTree,
    Filters,
    Mod,
    ModCategory,
    ModCategoryFilters,
    ModFilters,
    ModVersion,
    ModVersionFilters,
    Page,
    SptVersion,
    SptVersionFilters,
    UpdateCheck,
    User,
)
from app.net.http import ApiClient, JsonResponse, MalformedResponse, NetworkError

T = TypeVar("T")

MAX_PER_PAGE = 50  # every list endpoint caps per_page at 50 ...
MAX_CATEGORIES_PER_PAGE = 100  # ... except /mod-categories (100, default 50)
MAX_PAIRS_PER_REQUEST = 50  # what Check Mods sends per /mods/updates request; keeps URLs short
MAX_PAGES = 10_000  # a safety net against a server that never says "last page"

MOD_INCLUDES = frozenset({"versions", "license", "category", "source_code_links"})
MOD_VERSION_INCLUDES = frozenset({"dependencies", "virus_total_links"})
ADDON_INCLUDES = frozenset({"versions", "latest_version", "license", "mod", "source_code_links"})
ADDON_VERSION_INCLUDES = frozenset({"virus_total_links"})

Pair = tuple[int | str, str]
Sort = str | Sequence[str] | None


# --- where an answer came from ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResponseSource:
    """Where an answer came from. For answers built from several requests, see `combine`."""

    base_url: str  # the server that answered (for a cached answer: the one that answered back then)
    mirror: bool = False  # the answer came from a mirror, not from the primary URL
    from_cache: bool = False
    offline: bool = False  # a stale cached answer, served because no server could be reached
    age: float = 0.0  # seconds since the answer left the server
    url: str = ""
    requests: int = 1  # how many answers this source describes (0: nothing had to be asked)
    parts: tuple[ResponseSource, ...] = ()

    @classmethod
    def of(cls, response: JsonResponse, primary: str) -> ResponseSource:
        return cls(base_url=response.base_url, mirror=response.base_url.rstrip("/") != primary.rstrip("/"),
                   from_cache=response.from_cache, offline=response.offline, age=response.age, url=response.url)

    @classmethod
    def unsent(cls, primary: str) -> ResponseSource:
        return cls(base_url=primary, requests=0)

    @classmethod
    def combine(cls, sources: Sequence[ResponseSource]) -> ResponseSource:
        """One source for many answers: cached only if all were, offline or mirrored if any was, the oldest age."""
        if len(sources) == 1:
            return sources[0]
        if not sources:
            raise ValueError("nothing to combine")
        return cls(base_url=sources[0].base_url, mirror=any(s.mirror for s in sources),
                   from_cache=all(s.from_cache for s in sources), offline=any(s.offline for s in sources),
                   age=max(s.age for s in sources), requests=sum(s.requests for s in sources), parts=tuple(sources))


@dataclass(frozen=True)
class ForgeResult(Generic[T]):
    """A typed answer and where it came from."""

    data: T
    source: ResponseSource


# --- errors -------------------------------------------------------------------------------------------------------


class ForgeApiError(KappaError):
    """The Forge answered with an error. `code` is the Forge's error code (None when the answer was not the Forge's
    JSON, e.g. an HTML page from a proxy), `message` the Forge's own message, `errors` its per-field messages."""

    def __init__(self, text: str, *, endpoint: str, status: int, code: str | None = None, message: str = "",
                 errors: Mapping[str, list[str]] | None = None) -> None:
        super().__init__(text)
        self.endpoint = endpoint
        self.status = status
        self.code = code
        self.message = message
        self.errors: dict[str, list[str]] = dict(errors or {})


class ForgeNotFound(ForgeApiError):
    """NOT_FOUND: the mod, version, file tree or category does not exist or is not public."""


class ForgeValidationFailed(ForgeApiError):
    """VALIDATION_FAILED: missing or malformed parameters (e.g. an SPT version the Forge has not published)."""


class ForgeUnauthenticated(ForgeApiError):
    """UNAUTHENTICATED: this (older or self-hosted) instance wants a token, or the credentials were wrong."""


class ForgeForbidden(ForgeApiError):
    """FORBIDDEN."""


class ForgeRateLimited(ForgeApiError):
    """RATE_LIMITED. `retry_after` is the server's Retry-After in seconds, when it sent one."""

    retry_after: float | None = None


class ForgeInvalidQuery(ForgeApiError):
    """INVALID_QUERY_PARAMETER: an unknown filter, include, field or sort."""


class ForgeServerError(ForgeApiError):
    """SERVER_ERROR or UNEXPECTED_ERROR."""


ERROR_CLASSES: dict[str, type[ForgeApiError]] = {
    "NOT_FOUND": ForgeNotFound,
    "VALIDATION_FAILED": ForgeValidationFailed,
    "UNAUTHENTICATED": ForgeUnauthenticated,
    "FORBIDDEN": ForgeForbidden,
    "RATE_LIMITED": ForgeRateLimited,
    "INVALID_QUERY_PARAMETER": ForgeInvalidQuery,
    "SERVER_ERROR": ForgeServerError,
    "UNEXPECTED_ERROR": ForgeServerError,
}


class ForgeMalformedResponse(MalformedResponse):
    """The Forge answered, but not with the JSON it documents: `field` names the first part that is wrong."""

    def __init__(self, endpoint: str, field: str, detail: str) -> None:
        super().__init__(f"The Forge's answer to {endpoint} cannot be read: {field}: {detail}")
        self.endpoint = endpoint
        self.field = field
        self.detail = detail


_STATUS_WORDS = {
    400: "the Forge rejected the request as invalid",
    401: "this Forge instance wants an API token",
    403: "access was refused, often by a firewall or proxy in front of the Forge",
    404: "nothing is at that address; check the Forge URL setting",
    405: "that address does not accept this kind of request; check the Forge URL setting",
    408: "the server gave up waiting for the request",
    410: "that address is gone; check the Forge URL setting",
    413: "the request was too large",
    414: "the request address was too long",
    429: "too many requests were sent; the Forge asks to slow down",
    500: "the Forge had an internal error",
    502: "a proxy in front of the Forge got no valid answer from it",
    503: "the Forge is down for maintenance or overloaded",
    504: "a proxy in front of the Forge timed out waiting for it",
}


def status_in_words(status: int) -> str:
    """What an HTTP status means for a player, e.g. "access was refused, ... (HTTP 403 Forbidden)"."""
    try:
        phrase = f" {HTTPStatus(status).phrase}"
    except ValueError:
        phrase = ""
    words = _STATUS_WORDS.get(status)
    if words is None:
        words = "the server had a problem" if status >= 500 else "the request was refused"
    return f"{words} (HTTP {status}{phrase})"


def error_from_envelope(endpoint: str, status: int, payload: Mapping[str, Any],
                        headers: Mapping[str, str] | None = None) -> ForgeApiError | ForgeMalformedResponse:
    """The exception for an error envelope (`success: false`); a malformed envelope gives ForgeMalformedResponse."""
    code = payload.get("code")
    if not isinstance(code, str) or not code.strip():
        return ForgeMalformedResponse(endpoint, "code", "an error answer without an error code")
    message = payload.get("message", "")
    if not isinstance(message, str):
        return ForgeMalformedResponse(endpoint, "message", f"expected text, got {type(message).__name__}")
    errors = _field_errors(payload.get("errors"))
    if errors is None:
        return ForgeMalformedResponse(endpoint, "errors", "expected an object of field -> messages")
    text = f"The Forge could not answer {endpoint}: {message or status_in_words(status)}"
    if errors:
        text += " (" + "; ".join(f"{name}: {' '.join(lines)}" for name, lines in errors.items()) + ")"
    text += f" [{code}, HTTP {status}]"
    error = ERROR_CLASSES.get(code, ForgeApiError)(text, endpoint=endpoint, status=status, code=code,
                                                    message=message, errors=errors)
    if isinstance(error, ForgeRateLimited):
        error.retry_after = _retry_after(headers or {})
    return error


def _field_errors(value: Any) -> dict[str, list[str]] | None:
    if value is None or value == []:  # PHP sends an empty object as []
        return {}
    if not isinstance(value, dict):
        return None
    errors: dict[str, list[str]] = {}
    for name, lines in value.items():
        if isinstance(lines, str):
            lines = [lines]
        if not isinstance(lines, list) or not all(isinstance(line, str) for line in lines):
            return None
        errors[str(name)] = lines
    return errors


def _retry_after(headers: Mapping[str, str]) -> float | None:
    for name, value in headers.items():
        if name.lower() == "retry-after" and value.strip().isdigit():
            return float(value.strip())
    return None


def _body_kind(response: JsonResponse) -> str:
    body = response.content.lstrip()[:200].lower()
    content_type = next((v for k, v in response.headers.items() if k.lower() == "content-type"), "").lower()
    if not body:
        return "an empty answer"
    if "html" in content_type or body.startswith((b"<!doctype", b"<html", b"<")):
        return "an HTML page"
    return "something that is not JSON"


def _status_error(endpoint: str, response: JsonResponse) -> ForgeApiError:
    """An error answer that is not the Forge's JSON (an edge proxy's page): say what the status means in words."""
    text = (f"The Forge could not answer {endpoint}: {status_in_words(response.status)}. "
            f"It sent {_body_kind(response)} instead of the Forge's JSON.")
    error_class = ForgeRateLimited if response.status == 429 else ForgeApiError
    error = error_class(text, endpoint=endpoint, status=response.status)
    if isinstance(error, ForgeRateLimited):
        error.retry_after = _retry_after(response.headers)
    return error


def _envelope(endpoint: str, response: JsonResponse) -> dict[str, Any]:
    """The checked success envelope of an answer; anything else raises."""
    try:
        payload = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        if response.status >= 400:
            raise _status_error(endpoint, response) from None
        raise ForgeMalformedResponse(endpoint, "(body)", f"{_body_kind(response)}, not JSON "
                                                         f"(HTTP {response.status})") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("success"), bool):
        if response.status >= 400:
            raise _status_error(endpoint, response)
        raise ForgeMalformedResponse(endpoint, "success", "missing: this is not the Forge's answer envelope")
    if payload["success"] is False:
        raise error_from_envelope(endpoint, response.status, payload, response.headers)
    if response.status >= 400:
        raise ForgeMalformedResponse(endpoint, "success", f"true on an HTTP {response.status} answer")
    if "data" not in payload:
        raise ForgeMalformedResponse(endpoint, "data", "missing")
    return payload


# --- validation ---------------------------------------------------------------------------------------------------


@functools.cache
def _adapter(type_: Any) -> TypeAdapter[Any]:
    return TypeAdapter(type_)


def _validate(endpoint: str, type_: Any, value: Any, root: str = "data") -> Any:
    try:
        return _adapter(type_).validate_python(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ForgeMalformedResponse(endpoint, _field_path(root, first["loc"]), first["msg"]) from None


def _field_path(root: str, loc: Sequence[int | str]) -> str:
    path = root
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or root or "(body)"


def _page(endpoint: str, item_type: Any, payload: Mapping[str, Any]) -> Page[Any]:
    value = {("items" if key == "data" else key): payload[key] for key in ("data", "links", "meta") if key in payload}
    try:
        return Page[item_type].model_validate(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ["data" if index == 0 and part == "items" else part for index, part in enumerate(first["loc"])]
        raise ForgeMalformedResponse(endpoint, _field_path("", loc), first["msg"]) from None


class _Message(BaseModel):
    message: str


class _Token(BaseModel):
    token: str


# --- request parameters -------------------------------------------------------------------------------------------


def _comma(name: str, values: str | Iterable[str], allowed: frozenset[str] | None = None) -> str:
    items = [values] if isinstance(values, str) else list(values)
    items = [part.strip() for item in items for part in item.split(",") if part.strip()]
    if allowed is not None and (unknown := [item for item in items if item not in allowed]):
        raise ValueError(f"{name}: unknown {', '.join(unknown)}; the Forge accepts {', '.join(sorted(allowed))}")
    return ",".join(items)


def _query(*, filters: Filters | None = None, query: str | None = None, sort: Sort = None,
           include: str | Iterable[str] = (), allowed_includes: frozenset[str] | None = None,
           fields: str | Iterable[str] = (), page: int | None = None, per_page: int | None = None,
           max_per_page: int = MAX_PER_PAGE) -> dict[str, str]:
    params = filters.to_params() if filters is not None else {}
    if query:
        params["query"] = query  # full-text search; the Forge has no `search` parameter
    if sort and (joined := _comma("sort", sort)):
        params["sort"] = joined
    if include and (joined := _comma("include", include, allowed_includes)):
        params["include"] = joined
    if fields and (joined := _comma("fields", fields)):
        params["fields"] = joined
    if page is not None:
        if page < 1:
            raise ValueError(f"page must be 1 or more, not {page}")
        params["page"] = str(page)
    if per_page is not None:
        if not 1 <= per_page <= max_per_page:
            raise ValueError(f"per_page must be between 1 and {max_per_page} (the Forge's cap), not {per_page}")
        params["per_page"] = str(per_page)
    return params


def _route_id(name: str, value: int) -> int:
    # Routes only match [0-9]+; a bad id would otherwise come back as a confusing 404.
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, not {value!r}")
    return value


def format_pair(identifier: int | str, version: str) -> str:
    """`identifier:version` for /mods/updates and /mods/dependencies. The version is sent exactly as given: the Forge
    matches the stored version string exactly (`1.0` does not match `1.0.0`)."""
    if isinstance(identifier, bool) or not isinstance(identifier, int | str):
        raise ValueError(f"a mod identifier is a numeric id or a GUID, not {identifier!r}")
    if isinstance(identifier, int) and identifier <= 0:
        raise ValueError(f"a mod id is a positive number, not {identifier}")
    text_id = str(identifier).strip()
    if not isinstance(version, str) or not version.strip():
        raise ValueError(f"{text_id}: the version is empty")
    for part, what in ((text_id, "identifier"), (version, "version")):
        if not part or "," in part or ":" in part:
            raise ValueError(f"{text_id}:{version}: a {what} cannot be empty or contain ',' or ':' "
                             "(the Forge splits pairs on them)")
    return f"{text_id}:{version}"


def _pair_strings(pairs: Iterable[Pair]) -> list[str]:
    return list(dict.fromkeys(format_pair(identifier, version) for identifier, version in pairs))


def _dependency_result(endpoint: str, data: Any, sent_pairs: Sequence[str],
                       spt_version: str | None) -> DependencyResult:
    """Both answer shapes of the dependency endpoints as one model (reference §1.11)."""
    if isinstance(data, dict):
        by_pair: dict[str, list[DependencyNode]] = _validate(endpoint, dict[str, list[DependencyNode]], data)
        nodes = _unique(node for tree in by_pair.values() for node in tree)
        return DependencyResult(shape="keyed", spt_version=spt_version, by_pair=by_pair, nodes=nodes)
    if not isinstance(data, list):
        raise ForgeMalformedResponse(endpoint, "data", f"expected an object or a list, got {type(data).__name__}")
    if not data and spt_version is not None:  # today's `{}`, serialised by PHP as []
        return DependencyResult(shape="keyed", spt_version=spt_version)
    nodes = _validate(endpoint, list[DependencyNode], data)
    return DependencyResult(shape="flat", spt_version=spt_version, by_pair=_group_by_required(nodes, sent_pairs),
                            nodes=nodes)


def _unique(nodes: Iterable[DependencyNode]) -> list[DependencyNode]:
    seen: dict[tuple[int, int | None], DependencyNode] = {}
    for node in nodes:
        version = node.latest_compatible_version
        seen.setdefault((node.id, version.id if version else None), node)
    return list(seen.values())


def _group_by_required(nodes: Sequence[DependencyNode], sent_pairs: Sequence[str]) -> dict[str, list[DependencyNode]]:
    # The old shape names the queried identifier (id or GUID) in required_by, not the whole pair.
    by_identifier = {pair.rsplit(":", 1)[0].lower(): pair for pair in sent_pairs}
    by_pair: dict[str, list[DependencyNode]] = {}
    for node in nodes:
        for requirer in node.required_by:
            pair = requirer if requirer in sent_pairs else by_identifier.get(requirer.lower())
            if pair is not None and node not in by_pair.setdefault(pair, []):
                by_pair[pair].append(node)
    return by_pair


# --- iteration ----------------------------------------------------------------------------------------------------


class PageIterator(Generic[T]):
    """`async for item in iterator` over every item of every page, fetched one page at a time.

    Stops after the page whose `meta.current_page` reaches `meta.last_page` (or on an empty page). `source` is the
    combined source of the pages fetched so far; `collect()` fetches everything into a ForgeResult[list[T]].
    """

    def __init__(self, endpoint: str, fetch: Callable[[int], Awaitable[ForgeResult[Page[T]]]]) -> None:
        self.endpoint = endpoint
        self.sources: list[ResponseSource] = []
        self._fetch = fetch
        self._items = self._run()

    def __aiter__(self) -> PageIterator[T]:
        return self

    async def __anext__(self) -> T:
        return await self._items.__anext__()

    @property
    def source(self) -> ResponseSource | None:
        return ResponseSource.combine(self.sources) if self.sources else None

    async def collect(self) -> ForgeResult[list[T]]:
        items = [item async for item in self]
        assert self.sources, "at least one page is always fetched"
        return ForgeResult(items, ResponseSource.combine(self.sources))

    async def _run(self) -> AsyncIterator[T]:
        for number in range(1, MAX_PAGES + 1):
            result = await self._fetch(number)
            self.sources.append(result.source)
            page = result.data
            if page.meta.current_page != number:  # a server that ignores `page` would loop forever
                raise ForgeMalformedResponse(self.endpoint, "meta.current_page",
                                             f"asked for page {number}, got page {page.meta.current_page}")
            for item in page.items:
                yield item
            if not page.items or not page.has_next:
                return


# --- the client ---------------------------------------------------------------------------------------------------


class ForgeClient:
    """Typed access to every Forge API v0 endpoint; see the module docstring for the whole surface."""

    def __init__(self, api: ApiClient) -> None:
        self.api = api
        self._primary_api: ApiClient | None = None

    # -- plumbing

    async def _get(self, endpoint: str, params: Mapping[str, str] | None = None, *, use_cache: bool = True,
                   primary_only: bool = False) -> tuple[dict[str, Any], ResponseSource]:
        api = self._primary() if primary_only else self.api
        response = await api.get(endpoint, params, use_cache=use_cache)
        return _envelope(endpoint, response), ResponseSource.of(response, self.api.primary)

    async def _post(self, endpoint: str, body: Any = None) -> dict[str, Any]:
        response = await self._primary().post(endpoint, body)
        return _envelope(endpoint, response)

    def _primary(self) -> ApiClient:
        """The API restricted to the primary URL, for requests that carry credentials or personal data."""
        api = self.api
        if len(api.base_urls) == 1:
            return api
        if self._primary_api is None or self._primary_api.client is not api.client:
            self._primary_api = ApiClient(api.base_urls[:1], client=api.client, limiter=api.limiter, cache=None,
                                          retry=api.retry, sleep=api.sleep)
        self._primary_api.token = api.token
        self._primary_api.limiter = api.limiter
        return self._primary_api

    async def _one(self, endpoint: str, type_: Any, params: Mapping[str, str] | None = None, *,
                   use_cache: bool = True, primary_only: bool = False) -> ForgeResult[Any]:
        payload, source = await self._get(endpoint, params, use_cache=use_cache, primary_only=primary_only)
        return ForgeResult(_validate(endpoint, type_, payload["data"]), source)

    async def _list(self, endpoint: str, item_type: Any, params: Mapping[str, str]) -> ForgeResult[Page[Any]]:
        payload, source = await self._get(endpoint, params)
        return ForgeResult(_page(endpoint, item_type, payload), source)

    def _iterate(self, endpoint: str, item_type: Any, params: Mapping[str, str]) -> PageIterator[Any]:
        async def fetch(number: int) -> ForgeResult[Page[Any]]:
            return await self._list(endpoint, item_type, {**params, "page": str(number)})

        return PageIterator(endpoint, fetch)

    # -- general and auth

    async def ping(self) -> ForgeResult[str]:
        """"pong" when the Forge answers. Never answered from the cache: when no server answers, NetworkError."""
        payload, source = await self._get("/ping", use_cache=False)
        if source.offline:
            raise NetworkError(f"The Forge at {self.api.primary} did not answer.")
        return ForgeResult(_validate("/ping", _Message, payload["data"]).message, source)

    async def login(self, email: str, password: str, token_name: str = "kappa",
                    abilities: Sequence[str] = ("read",)) -> str:
        """A new API token (older instances only); it is also set on the ApiClient. Keep it in the keyring."""
        payload = await self._post("/auth/login", {"email": email, "password": password, "token_name": token_name,
                                                   "abilities": list(abilities)})
        token: str = _validate("/auth/login", _Token, payload["data"]).token
        self.api.token = token
        return token

    async def logout(self) -> str:
        """Revokes the token in use and forgets it."""
        payload = await self._post("/auth/logout")
        self.api.token = None
        return str(_validate("/auth/logout", _Message, payload["data"]).message)

    async def logout_all(self) -> str:
        """Revokes every token of the user and forgets the one in use."""
        payload = await self._post("/auth/logout/all")
        self.api.token = None
        return str(_validate("/auth/logout/all", _Message, payload["data"]).message)

    async def register(self, name: str, email: str, password: str, timezone: str) -> User:
        payload = await self._post("/auth/register", {"name": name, "email": email, "password": password,
                                                      "timezone": timezone})
        return _validate("/auth/register", User, payload["data"])  # type: ignore[no-any-return]

    async def resend_verification(self, email: str) -> str:
        payload = await self._post("/auth/email/resend", {"email": email})
        return str(_validate("/auth/email/resend", _Message, payload["data"]).message)

    async def user(self, include_role: bool = False) -> ForgeResult[User]:
        params = {"include": "role"} if include_role else None
        return await self._one("/auth/user", User, params, use_cache=False, primary_only=True)

    async def abilities(self) -> ForgeResult[list[str]]:
        return await self._one("/auth/abilities", list[str], use_cache=False, primary_only=True)

    # -- mods

    async def mods(self, filters: ModFilters | None = None, *, query: str | None = None, sort: Sort = None,
                   include: Iterable[str] = (), fields: Iterable[str] = (), page: int = 1,
                   per_page: int | None = None) -> ForgeResult[Page[Mod]]:
        """One page of mods. `query` is full-text search; `sort` names take a `-` prefix for descending order."""
        params = _query(filters=filters, query=query, sort=sort, include=include, allowed_includes=MOD_INCLUDES,
                        fields=fields, page=page, per_page=per_page)
        return await self._list("/mods", Mod, params)

    def iter_mods(self, filters: ModFilters | None = None, *, query: str | None = None, sort: Sort = None,
                  include: Iterable[str] = (), fields: Iterable[str] = (),
                  per_page: int = MAX_PER_PAGE) -> PageIterator[Mod]:
        params = _query(filters=filters, query=query, sort=sort, include=include, allowed_includes=MOD_INCLUDES,
                        fields=fields, per_page=per_page)
        return self._iterate("/mods", Mod, params)

    async def mod(self, mod_id: int, *, include: Iterable[str] = (),
                  fields: Iterable[str] = ()) -> ForgeResult[Mod]:
        endpoint = f"/mod/{_route_id('mod_id', mod_id)}"
        return await self._one(endpoint, Mod, _query(include=include, allowed_includes=MOD_INCLUDES, fields=fields))

    async def mod_versions(self, mod_id: int, filters: ModVersionFilters | None = None, *, sort: Sort = "-version",
                           include: Iterable[str] = ("dependencies", "virus_total_links"),
                           fields: Iterable[str] = (), page: int = 1,
                           per_page: int | None = None) -> ForgeResult[Page[ModVersion]]:
        """One page of a mod's versions, newest first by default (the Forge documents no default order)."""
        endpoint = f"/mod/{_route_id('mod_id', mod_id)}/versions"
        params = _query(filters=filters, sort=sort, include=include, allowed_includes=MOD_VERSION_INCLUDES,
                        fields=fields, page=page, per_page=per_page)
        return await self._list(endpoint, ModVersion, params)

    def iter_mod_versions(self, mod_id: int, filters: ModVersionFilters | None = None, *, sort: Sort = "-version",
                          include: Iterable[str] = ("dependencies", "virus_total_links"),
                          fields: Iterable[str] = (), per_page: int = MAX_PER_PAGE) -> PageIterator[ModVersion]:
        endpoint = f"/mod/{_route_id('mod_id', mod_id)}/versions"
        params = _query(filters=filters, sort=sort, include=include, allowed_includes=MOD_VERSION_INCLUDES,
                        fields=fields, per_page=per_page)
        return self._iterate(endpoint, ModVersion, params)

    async def version_file_tree(self, mod_id: int, version_id: int) -> ForgeResult[FileTree]:
        """The verified archive listing; ForgeNotFound for versions never verified (all pre-4.0 ones)."""
        endpoint = f"/mod/{_route_id('mod_id', mod_id)}/versions/{_route_id('version_id', version_id)}/file-tree"
        return await self._one(endpoint, FileTree)

    async def updates(self, pairs: Iterable[Pair], spt_version: str) -> ForgeResult[UpdateCheck]:
        """Which installed mods have updates for `spt_version` (an exact published SPT version, e.g. "4.0.11").

        `pairs` are `(identifier, installed_version)` with the numeric mod id or the GUID; versions are sent exactly.
        Sent in requests of at most 50 pairs whose answers are merged. Note that the Forge checks constraints
        between installed mods only within one request.
        """
        sent = _pair_strings(pairs)
        spt_version = spt_version.strip()
        if not spt_version:
            raise ValueError("an update check needs the installed SPT version")
        if not sent:
            return ForgeResult(UpdateCheck(spt_version=spt_version), ResponseSource.unsent(self.api.primary))
        merged: UpdateCheck | None = None
        sources: list[ResponseSource] = []
        for start in range(0, len(sent), MAX_PAIRS_PER_REQUEST):
            chunk = ",".join(sent[start:start + MAX_PAIRS_PER_REQUEST])
            result = await self._one("/mods/updates", UpdateCheck, {"mods": chunk, "spt_version": spt_version})
            merged = result.data if merged is None else merged.merged_with(result.data)
            sources.append(result.source)
        assert merged is not None
        return ForgeResult(merged, ResponseSource.combine(sources))

    async def dependencies(self, pairs: Iterable[Pair], spt_version: str | None) -> ForgeResult[DependencyResult]:
        """The dependency trees of the given mod versions for `spt_version` (required since 2026-07-28; pass None
        only for an older instance). One request: the Forge chooses versions globally across it, so it is not
        chunked."""
        return await self._dependencies("/mods/dependencies", "mods", pairs, spt_version)

    async def _dependencies(self, endpoint: str, parameter: str, pairs: Iterable[Pair],
                            spt_version: str | None) -> ForgeResult[DependencyResult]:
        sent = _pair_strings(pairs)
        spt_version = spt_version.strip() if spt_version is not None else None
        if not sent:
            return ForgeResult(DependencyResult(shape="keyed", spt_version=spt_version),
                               ResponseSource.unsent(self.api.primary))
        params = {parameter: ",".join(sent)}
        if spt_version:
            params["spt_version"] = spt_version
        payload, source = await self._get(endpoint, params)
        return ForgeResult(_dependency_result(endpoint, payload["data"], sent, spt_version), source)

    # -- addons

    async def addons(self, filters: AddonFilters | None = None, *, query: str | None = None, sort: Sort = None,
                     include: Iterable[str] = (), fields: Iterable[str] = (), page: int = 1,
                     per_page: int | None = None) -> ForgeResult[Page[Addon]]:
        params = _query(filters=filters, query=query, sort=sort, include=include, allowed_includes=ADDON_INCLUDES,
                        fields=fields, page=page, per_page=per_page)
        return await self._list("/addons", Addon, params)

    def iter_addons(self, filters: AddonFilters | None = None, *, query: str | None = None, sort: Sort = None,
                    include: Iterable[str] = (), fields: Iterable[str] = (),
                    per_page: int = MAX_PER_PAGE) -> PageIterator[Addon]:
        params = _query(filters=filters, query=query, sort=sort, include=include, allowed_includes=ADDON_INCLUDES,
                        fields=fields, per_page=per_page)
        return self._iterate("/addons", Addon, params)

    async def addon(self, addon_id: int, *, include: Iterable[str] = (),
                    fields: Iterable[str] = ()) -> ForgeResult[Addon]:
        endpoint = f"/addon/{_route_id('addon_id', addon_id)}"
        return await self._one(endpoint, Addon, _query(include=include, allowed_includes=ADDON_INCLUDES,
                                                       fields=fields))

    async def addon_versions(self, addon_id: int, filters: AddonVersionFilters | None = None, *,
                             sort: Sort = "-version", include: Iterable[str] = (), fields: Iterable[str] = (),
                             page: int = 1, per_page: int | None = None) -> ForgeResult[Page[AddonVersion]]:
        endpoint = f"/addon/{_route_id('addon_id', addon_id)}/versions"
        params = _query(filters=filters, sort=sort, include=include, allowed_includes=ADDON_VERSION_INCLUDES,
                        fields=fields, page=page, per_page=per_page)
        return await self._list(endpoint, AddonVersion, params)

    def iter_addon_versions(self, addon_id: int, filters: AddonVersionFilters | None = None, *,
                            sort: Sort = "-version", include: Iterable[str] = (), fields: Iterable[str] = (),
                            per_page: int = MAX_PER_PAGE) -> PageIterator[AddonVersion]:
        endpoint = f"/addon/{_route_id('addon_id', addon_id)}/versions"
        params = _query(filters=filters, sort=sort, include=include, allowed_includes=ADDON_VERSION_INCLUDES,
                        fields=fields, per_page=per_page)
        return self._iterate(endpoint, AddonVersion, params)

    async def addon_dependencies(self, pairs: Iterable[Pair],
                                 spt_version: str | None = None) -> ForgeResult[DependencyResult]:
        """Mod dependencies of addon versions; identifiers are addon ids or slugs. `spt_version` is sent if given."""
        return await self._dependencies("/addons/dependencies", "addons", pairs, spt_version)

    async def addon_file_tree(self, addon_id: int, version_id: int) -> ForgeResult[FileTree]:
        endpoint = f"/addon/{_route_id('addon_id', addon_id)}/versions/{_route_id('version_id', version_id)}/file-tree"
        return await self._one(endpoint, FileTree)

    # -- categories and SPT versions

    async def mod_categories(self, filters: ModCategoryFilters | None = None, *, sort: Sort = None,
                             fields: Iterable[str] = (), page: int = 1,
                             per_page: int | None = MAX_PER_PAGE) -> ForgeResult[Page[ModCategory]]:
        params = _query(filters=filters, sort=sort, fields=fields, page=page, per_page=per_page,
                        max_per_page=MAX_CATEGORIES_PER_PAGE)
        return await self._list("/mod-categories", ModCategory, params)

    def iter_mod_categories(self, filters: ModCategoryFilters | None = None, *, sort: Sort = None,
                            fields: Iterable[str] = (),
                            per_page: int = MAX_CATEGORIES_PER_PAGE) -> PageIterator[ModCategory]:
        params = _query(filters=filters, sort=sort, fields=fields, per_page=per_page,
                        max_per_page=MAX_CATEGORIES_PER_PAGE)
        return self._iterate("/mod-categories", ModCategory, params)

    async def mod_category(self, id_or_slug: int | str, *, fields: Iterable[str] = ()) -> ForgeResult[ModCategory]:
        if isinstance(id_or_slug, str):
            if not id_or_slug.strip() or "/" in id_or_slug:
                raise ValueError(f"not a category slug: {id_or_slug!r}")
            key = id_or_slug.strip()
        else:
            key = str(_route_id("category id", id_or_slug))
        return await self._one(f"/mod-categories/{key}", ModCategory, _query(fields=fields))

    async def spt_versions(self, filters: SptVersionFilters | None = None, *, sort: Sort = None,
                           fields: Iterable[str] = (), page: int = 1,
                           per_page: int | None = None) -> ForgeResult[Page[SptVersion]]:
        params = _query(filters=filters, sort=sort, fields=fields, page=page, per_page=per_page)
        return await self._list("/spt/versions", SptVersion, params)

    def iter_spt_versions(self, filters: SptVersionFilters | None = None, *, sort: Sort = None,
                          fields: Iterable[str] = (), per_page: int = MAX_PER_PAGE) -> PageIterator[SptVersion]:
        params = _query(filters=filters, sort=sort, fields=fields, per_page=per_page)
        return self._iterate("/spt/versions", SptVersion, params)


__all__ = [  # the models are re-exported so that callers need one import
    "ERROR_CLASSES",
    "Addon",
    "AddonFilters",
    "AddonVersion",
    "AddonVersionFilters",
    "DependencyNode",
    "DependencyResult",
    "FileTree",
    "ForgeApiError",
    "ForgeClient",
    "ForgeForbidden",
    "ForgeInvalidQuery",
    "ForgeMalformedResponse",
    "ForgeNotFound",
    "ForgeRateLimited",
    "ForgeResult",
    "ForgeServerError",
    "ForgeUnauthenticated",
    "ForgeValidationFailed",
    "Mod",
    "ModCategory",
    "ModCategoryFilters",
    "ModFilters",
    "ModVersion",
    "ModVersionFilters",
    "Page",
    "PageIterator",
    "ResponseSource",
    "SptVersion",
    "SptVersionFilters",
    "UpdateCheck",
    "User",
    "error_from_envelope",
    "format_pair",
    "status_in_words",
]
