"""Query-string handling the way the Forge's Laravel stack does it: PHP-style brackets, strict filter/include/
field/sort validation with the Forge's own error wording, and Laravel's length-aware pagination envelope."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qsl, quote_plus

T = TypeVar("T")

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SUBKEY = re.compile(r"\[([^\[\]]*)\]")
_LEADING_INT = re.compile(r"^\s*[+-]?\d+")
_NUMERIC = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")


class ApiError(Exception):
    """An error answer in the Forge's envelope: status, code, message and optional per-field errors."""

    def __init__(self, status: int, code: str, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        document: dict[str, Any] = {"success": False, "code": self.code, "message": self.message}
        if self.errors is not None:
            document["errors"] = self.errors
        return document


def invalid_query(message: str) -> ApiError:
    return ApiError(400, "INVALID_QUERY_PARAMETER", message)


def not_found() -> ApiError:
    return ApiError(404, "NOT_FOUND", "Resource not found.")


def validation_failed(message: str) -> ApiError:
    # The update and dependency endpoints answer their own parameter errors with 400, not Laravel's 422.
    return ApiError(400, "VALIDATION_FAILED", message)


def parse_php_query(raw: str) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Parse a query string as PHP does (``filter[id]=1`` nests; ``a[]=x`` makes an array; the last plain key
    wins). Arrays are dicts. Also returns the flat (key, value) pairs, for rebuilding pagination URLs."""
    pairs = parse_qsl(raw, keep_blank_values=True)
    result: dict[str, Any] = {}
    for key, value in pairs:
        match = _KEY.match(key)
        if match is None:
            result[key] = value
            continue
        base, tail = match.group(1), match.group(2)
        subkeys = _SUBKEY.findall(tail)
        if not subkeys:
            result[base] = value
            continue
        node = result.get(base)
        if not isinstance(node, dict):
            node = result[base] = {}
        for sub in subkeys[:-1]:
            child = node.get(sub or len(node))
            if not isinstance(child, dict):
                child = node[sub or len(node)] = {}
            node = child
        node[subkeys[-1] or len(node)] = value
    return result, pairs


def php_int(value: Any, default: int) -> int:
    """Laravel's ``$request->integer()``: PHP's intval of the input (leading digits; 0 when there are none)."""
    if value is None:
        return default
    if not isinstance(value, str):
        return 0
    match = _LEADING_INT.match(value)
    return int(match.group(0)) if match else 0


def php_is_numeric(value: str) -> bool:
    return bool(_NUMERIC.match(value))


def php_bool(value: str) -> bool:
    """The Forge's parseBooleanInput: only 1, true, yes and on (any case) are true."""
    return value.lower() in ("1", "true", "yes", "on")


def comma_list(value: str) -> list[str]:
    """The Forge's parseCommaSeparatedInput: split on commas, dropping '' and '0'."""
    return [part for part in value.split(",") if part not in ("", "0")]


def comma_ints(value: str) -> list[int]:
    return [php_int(part, 0) for part in comma_list(value)]


def text_param(params: dict[str, Any], name: str) -> str:
    """``$request->string(name)->trim()``: arrays and absent values read as ''."""
    value = params.get(name)
    return value.strip() if isinstance(value, str) else ""


def _split_list(params: dict[str, Any], name: str) -> list[str]:
    value = params.get(name)
    if not isinstance(value, str):
        return []
    return [item.strip() for item in value.split(",") if item.strip()]


# ----------------------------------------------------------------------------------------------------------
# List endpoints: filters, includes, fields, sorts
# ----------------------------------------------------------------------------------------------------------

FilterFactory = Callable[[str], Callable[[T], bool]]


@dataclass
class ListSpec(Generic[T]):
    """What one of the Forge's query builders allows. Filter factories get the raw value and return a predicate
    (so a value is parsed once); sort keys return a comparable value (None sorts first, as in MySQL)."""

    filters: dict[str, FilterFactory[T]]
    includes: Sequence[str]
    fields: Sequence[str]  # allowed, dynamic attributes included, in the order the error message lists them
    required_fields: Sequence[str]
    sorts: dict[str, Callable[[T], Any]]
    # Sorts that order on several columns where only some follow the direction (the version sort).
    special_sorts: dict[str, Callable[[Sequence[T], bool], list[T]]] = field(default_factory=dict)


@dataclass
class ListRequest:
    includes: set[str]
    fields: list[str] | None  # None: every field


def apply_list(items: Iterable[T], params: dict[str, Any], spec: ListSpec[T]) -> tuple[list[T], ListRequest]:
    """Filter and sort `items` as the query builder would, raising ApiError for anything it rejects."""
    rows = _apply_filters(list(items), params.get("filter"), spec)
    includes = _validated_includes(params, spec)
    fields = _validated_fields(params, spec)
    rows = _apply_sorts(rows, params, spec)
    return rows, ListRequest(includes, fields)


def _apply_filters(rows: list[T], filters: Any, spec: ListSpec[T]) -> list[T]:
    if not isinstance(filters, dict) or not filters:
        return rows
    invalid = [str(name) for name in filters if name not in spec.filters]
    if invalid:
        raise invalid_query(f"Invalid filter(s): {', '.join(invalid)}. Valid filters are: {', '.join(spec.filters)}")
    for name, value in filters.items():
        if not isinstance(value, str):
            raise invalid_query(
                f"The '{name}' filter must be a single value. Provide multiple values as a comma-separated "
                f"string (e.g. filter[{name}]=value1,value2).")
        predicate = spec.filters[name](value)
        rows = [row for row in rows if predicate(row)]
    return rows


def validated_includes(params: dict[str, Any], allowed: Sequence[str]) -> set[str]:
    requested = _split_list(params, "include")
    invalid = [name for name in requested if name not in allowed]
    if invalid:
        raise invalid_query(f"Invalid parameter(s): {', '.join(invalid)}. Valid parameters are: {', '.join(allowed)}")
    return set(requested)


def _validated_includes(params: dict[str, Any], spec: ListSpec[Any]) -> set[str]:
    return validated_includes(params, spec.includes)


def validated_fields(params: dict[str, Any], allowed: Sequence[str], required: Sequence[str]) -> list[str] | None:
    requested = _split_list(params, "fields")
    if not requested:
        return None
    invalid = [name for name in requested if name not in required and name not in allowed]
    if invalid:
        raise invalid_query(f"Invalid field(s): {', '.join(invalid)}. Valid fields are: {', '.join(allowed)}")
    return requested


def _validated_fields(params: dict[str, Any], spec: ListSpec[Any]) -> list[str] | None:
    return validated_fields(params, spec.fields, spec.required_fields)


def _apply_sorts(rows: list[T], params: dict[str, Any], spec: ListSpec[T]) -> list[T]:
    requested = _split_list(params, "sort")
    if not requested:
        return rows
    allowed = list(spec.sorts) + [name for name in spec.special_sorts if name not in spec.sorts]
    invalid = [sort for sort in requested if sort.removeprefix("-") not in allowed]
    if invalid:
        raise invalid_query(f"Invalid sort parameter(s): {', '.join(invalid)}. Valid sorts are: {', '.join(allowed)}")
    # Stable sorts applied from the last key to the first give ORDER BY first, second, ...
    for sort in reversed(requested):
        descending = sort.startswith("-")
        name = sort.removeprefix("-")
        if name in spec.special_sorts:
            rows = spec.special_sorts[name](rows, descending)
        else:
            key = spec.sorts[name]
            rows = sorted(rows, key=lambda row, k=key: _null_first(k(row)), reverse=descending)
    return rows


def _null_first(value: Any) -> tuple[int, Any]:
    return (0, 0) if value is None else (1, value)


def like(term: str) -> Callable[[str | None], bool]:
    """MySQL ``LIKE '%term%'`` under a case-insensitive collation (``%`` and ``_`` stay wildcards)."""
    pattern = re.compile(
        "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in term), re.IGNORECASE | re.DOTALL)
    return lambda text: text is not None and pattern.search(text) is not None


def between(value: str) -> tuple[str, str]:
    """A ``start,end`` date range as the Forge splits it; a missing end is a PHP error, hence a 500."""
    parts = value.split(",")
    if len(parts) < 2:
        raise ApiError(500, "SERVER_ERROR", "An unexpected error occurred.")
    return parts[0].strip(), parts[1].strip()


def in_range(moment: str | None, bounds: tuple[str, str]) -> bool:
    """MySQL's ``BETWEEN`` on 'YYYY-MM-DD HH:MM:SS' strings: a bare end date means its midnight."""
    if moment is None:
        return False
    return _mysql_datetime(bounds[0]) <= moment <= _mysql_datetime(bounds[1])


def _mysql_datetime(text: str) -> str:
    text = text.replace("T", " ").rstrip("Z")
    return text if len(text) > 10 else f"{text} 00:00:00"


# ----------------------------------------------------------------------------------------------------------
# Pagination (Illuminate\Pagination\LengthAwarePaginator, one link window of 3 pages on each side)
# ----------------------------------------------------------------------------------------------------------

ON_EACH_SIDE = 3


@dataclass(frozen=True)
class PageRequest:
    path: str  # absolute URL of the route, no query
    pairs: list[tuple[str, str]]  # the request's query, in order
    page: int
    per_page: int


def page_request(path: str, params: dict[str, Any], pairs: list[tuple[str, str]], default: int = 12,
                 maximum: int = 50) -> PageRequest:
    per_page = min(php_int(params.get("per_page"), default), maximum)
    if per_page <= 0:
        per_page = 15  # Eloquent's paginate(0) falls back to the model's default page size
    raw_page = params.get("page")
    page = 1
    if isinstance(raw_page, str) and re.fullmatch(r"\s*[+-]?\d+\s*", raw_page) and int(raw_page) >= 1:
        page = int(raw_page)
    return PageRequest(path, pairs, page, per_page)


def paginate(rows: Sequence[T], request: PageRequest, render: Callable[[T], Any]) -> dict[str, Any]:
    total = len(rows)
    last_page = max(math.ceil(total / request.per_page), 1)
    start = (request.page - 1) * request.per_page
    chunk = rows[start:start + request.per_page]
    first_index = start + 1 if chunk else None
    return {
        "success": True,
        "data": [render(row) for row in chunk],
        "links": {
            "first": _page_url(request, 1),
            "last": _page_url(request, last_page),
            "prev": _page_url(request, request.page - 1) if request.page > 1 else None,
            "next": _page_url(request, request.page + 1) if request.page < last_page else None,
        },
        "meta": {
            "current_page": request.page,
            "from": first_index,
            "last_page": last_page,
            "links": _link_collection(request, last_page),
            "path": request.path,
            "per_page": request.per_page,
            "to": start + len(chunk) if chunk else None,
            "total": total,
        },
    }


def _page_url(request: PageRequest, page: int) -> str:
    pairs: list[tuple[str, str]] = []
    placed = False
    for key, value in request.pairs:
        if key == "page":
            if not placed:
                pairs.append((key, str(page)))
                placed = True
            continue
        pairs.append((key, value))
    if not placed:
        pairs.append(("page", str(page)))
    return request.path + "?" + "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in pairs)


def _link_collection(request: PageRequest, last_page: int) -> list[dict[str, Any]]:
    current = request.page
    links: list[dict[str, Any]] = [{
        "url": _page_url(request, current - 1) if current > 1 else None,
        "label": "&laquo; Previous", "page": current - 1 if current > 1 else None, "active": False,
    }]
    for element in _window(current, last_page):
        if element is None:
            links.append({"url": None, "label": "...", "page": None, "active": False})
            continue
        links.extend({"url": _page_url(request, page), "label": str(page), "page": page, "active": page == current}
                     for page in element)
    links.append({
        "url": _page_url(request, current + 1) if current < last_page else None,
        "label": "Next &raquo;", "page": current + 1 if current < last_page else None, "active": False,
    })
    return links


def _window(current: int, last: int) -> list[range | None]:
    """Laravel's UrlWindow: every page when there are few, else first/last pages and a slider with '...'."""
    if last < ON_EACH_SIDE * 2 + 8:
        return [range(1, last + 1)]
    window = ON_EACH_SIDE + 4
    start, finish = range(1, 3), range(last - 1, last + 1)
    if current <= window:
        return [range(1, window + ON_EACH_SIDE + 1), None, finish]
    if current > last - window:
        return [start, None, range(last - (window + (ON_EACH_SIDE - 1)), last + 1)]
    return [start, None, range(current - ON_EACH_SIDE, current + ON_EACH_SIDE + 1), None, finish]


# ----------------------------------------------------------------------------------------------------------
# Filter factories for ListSpec (each parses the value once and returns the row predicate)
# ----------------------------------------------------------------------------------------------------------


def ids_filter(get: Callable[[T], Any]) -> FilterFactory[T]:
    """``whereIn(column, parseCommaSeparatedInput(value, 'integer'))``."""
    def factory(value: str) -> Callable[[T], bool]:
        wanted = set(comma_ints(value))
        return lambda row: get(row) in wanted
    return factory


def list_filter(get: Callable[[T], Any]) -> FilterFactory[T]:
    def factory(value: str) -> Callable[[T], bool]:
        wanted = set(comma_list(value))
        return lambda row: get(row) in wanted
    return factory


def like_filter(get: Callable[[T], str | None]) -> FilterFactory[T]:
    def factory(value: str) -> Callable[[T], bool]:
        test = like(value)
        return lambda row: test(get(row))
    return factory


def bool_filter(get: Callable[[T], Any]) -> FilterFactory[T]:
    def factory(value: str) -> Callable[[T], bool]:
        wanted = php_bool(value)
        return lambda row: bool(get(row)) == wanted
    return factory


def date_filter(get: Callable[[T], str | None]) -> FilterFactory[T]:
    """``whereBetween(column, explode(',', value))`` on a column `get` renders as 'YYYY-MM-DD HH:MM:SS'."""
    def factory(value: str) -> Callable[[T], bool]:
        bounds = between(value)
        return lambda row: in_range(get(row), bounds)
    return factory
