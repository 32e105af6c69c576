"""The Fika server's admin API (`fika/api/*`, Fika 2.x on SPT 4.x): what the server panel reads, what an admin does.

The facts below are from project-fika/Fika-Server-CSharp (the controllers in `FikaServer/API/`, the request and
answer records in `FikaShared/`), summarised in ../shared/reference/spt-ecosystem.md section 3.2:

- Every route checks `Authorization: Bearer <server.apiKey>` (`RequireApiKey`): no header or no "Bearer " is 401,
  a wrong key 403 "Forbidden: Invalid API Key". The answers are plain JSON (not zlib); `requestcompressed: 0` and
  `responsecompressed: 0` are sent anyway, as Fika's own web app and the SPT tools do.
- `fika/api/raids` was an object keyed by match id until Fika 2.2.1 and is an array since (no match id in it: the
  raid's `serverGuid` stands in). Both are read.
- The POST actions answer 200 with an empty body; their 400 answers carry a sentence ("That item could not be
  found.") or ASP.NET's validation "problem details" JSON. `DELETE fika/api/fleaban` takes the same JSON body as the
  other profile actions, `{"profileId": ...}` (FleaBanController.HandleDeleteRequest, `[FromBody] ProfileIdRequest`).
- A 404 from a route that exists for every Fika 2.x server means the mod is missing; rawprofile, fleaban and
  restartheadless also answer 404 for an unknown profile or a disconnected headless client, so there a heartbeat
  decides which it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from app.core.errors import KappaError
from app.net.http import unreachable

LOCATIONS = ("None", "Hideout", "Factory", "Customs", "Woods", "Shoreline", "Interchange", "Reserve", "Streets",
             "Lighthouse", "Ground Zero", "Laboratory", "Labyrinth")  # EFikaLocation by index
STATUSES = ("LOADING", "IN_GAME", "COMPLETE")  # EFikaMatchStatus by value
SIDES = ("PMC", "Scav")  # EFikaSide: 0 PMC, 1 Savage
TIMES = ("current", "past")  # EFikaTime: 0 CURR, 1 PAST
# Map ids (raidConfig.location in the old raids shape) as Fika's PlayersController.ToFikaLocation names them.
MAP_NAMES = {"bigmap": "Customs", "factory4_day": "Factory", "factory4_night": "Factory", "interchange": "Interchange",
             "laboratory": "Laboratory", "labyrinth": "Labyrinth", "lighthouse": "Lighthouse", "rezervbase": "Reserve",
             "sandbox": "Ground Zero", "sandbox_high": "Ground Zero", "shoreline": "Shoreline",
             "tarkovstreets": "Streets", "woods": "Woods", "hideout": "Hideout"}
MAX_MESSAGE = 255  # [MaxLength(255)] on the C# string: counted in UTF-16 code units
MAX_BAN_DAYS = 9999  # what the server puts in for "for ever" (0); Fika's web app clamps to it too
_MONGO_ID = re.compile(r"[0-9a-fA-F]{24}")
_NOISE = "The request field is required."  # ASP.NET adds it to every body error; it says nothing


class FikaError(KappaError):
    """The Fika server answered, but not with what was asked for. `status` is the HTTP status, if there was one."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class FikaAuthError(FikaError):
    """401 (no key, or not sent as a bearer token) or 403 (a wrong key)."""


class FikaNotInstalled(FikaError):
    """The server does not know `fika/api/*`: no Fika server mod, or one older than 2.0."""


class ShapeError(ValueError):
    """An answer that is JSON but not the shape Fika sends."""


@dataclass(frozen=True)
class Raid:
    match_id: str  # the old shape's key; the array shape has none, so its serverGuid (stable for the raid)
    host: str
    status: str  # "LOADING" | "IN_GAME" | "COMPLETE" (unknown ints -> "UNKNOWN (n)")
    side: str  # "PMC" | "Scav"
    time: str  # "current" | "past"
    location: str | None  # map name when the raid says it (only the old shape does), else None
    players: tuple[str, ...]  # profile ids
    headless: bool
    raid_code: str
    started_at: float | None  # unix seconds
    game_version: str


@dataclass(frozen=True)
class Player:
    profile_id: str
    nickname: str
    level: int
    location: int  # EFikaLocation
    location_name: str


@dataclass(frozen=True)
class Headless:
    profile_id: str
    nickname: str
    ready: bool
    players: int
    profile_ids: tuple[str, ...] = ()  # the players in its raid (`profileIds`, newer Fika 2.x servers only)


@dataclass(frozen=True)
class Item:
    tpl: str
    name: str
    description: str
    stackable: int  # the most Fika sends at once (the item's stack size x 10)


@dataclass(frozen=True)
class Profile:
    profile_id: str
    nickname: str
    level: int
    has_flea_ban: bool


# -- reading the answers (pure functions, so that odd shapes can be tested without a server) --------------------


def parse_raids(document: Any) -> list[Raid]:
    """Both shapes: the array (Fika 2.2.1+) and the object keyed by match id (older 2.x)."""
    if isinstance(document, list):
        entries: list[tuple[str | None, Any]] = [(None, entry) for entry in document]
    elif isinstance(document, dict):
        entries = list(document.items())
    else:
        raise ShapeError(f"expected a list of raids, got {_kind(document)}")
    return [_raid(key, entry, index) for index, (key, entry) in enumerate(entries)]


def _raid(key: str | None, entry: Any, index: int) -> Raid:
    if not isinstance(entry, dict):
        raise ShapeError(f"raid {key or index} is {_kind(entry)}, not an object")
    players = entry.get("players")
    if isinstance(players, dict):
        ids = tuple(str(profile_id) for profile_id in players)
    elif isinstance(players, list):
        ids = tuple(str(profile_id) for profile_id in players if isinstance(profile_id, str | int))
    else:
        ids = ()
    match_id = key or _text(entry, "matchId") or _text(entry, "serverGuid") or _text(entry, "raidCode")
    return Raid(
        match_id=match_id or f"{_text(entry, 'hostUsername')}@{_text(entry, 'timestamp') or index}",
        host=_text(entry, "hostUsername"),
        status=_enum(entry.get("status"), STATUSES, aliases={}),
        side=_enum(entry.get("side", 0), SIDES, aliases={"pmc": 0, "savage": 1, "scav": 1}),
        time=_enum(entry.get("time", 0), TIMES, aliases={"curr": 0, "current": 0, "past": 1}),
        location=_raid_location(entry),
        players=ids,
        headless=entry.get("isHeadless") is True,
        raid_code=_text(entry, "raidCode"),
        started_at=_timestamp(entry.get("timestamp")),
        game_version=_text(entry, "gameVersion"),
    )


def _raid_location(entry: dict[str, Any]) -> str | None:
    config = entry.get("raidConfig")
    map_id = config.get("location") if isinstance(config, dict) else None
    if isinstance(map_id, str) and map_id.lower() in MAP_NAMES:
        return MAP_NAMES[map_id.lower()]
    data = entry.get("locationData")
    name = data.get("Name") if isinstance(data, dict) else None
    if isinstance(name, str) and name.strip():
        return name.strip()
    if isinstance(map_id, str) and map_id.strip():
        return map_id.strip()
    location = entry.get("location")  # not sent today; cheap to honour if a later version adds it
    if isinstance(location, int) and not isinstance(location, bool) and 0 < location < len(LOCATIONS):
        return LOCATIONS[location]
    return None


def parse_players(document: Any) -> list[Player]:
    players = _list_in(document, "players")
    result = []
    for entry in players:
        if not isinstance(entry, dict):
            raise ShapeError(f"a player is {_kind(entry)}, not an object")
        location = _location_index(entry.get("location"))
        name = LOCATIONS[location] if 0 <= location < len(LOCATIONS) else f"Unknown ({location})"
        result.append(Player(_required_text(entry, "profileId"), _text(entry, "nickname") or "Unknown",
                             _int(entry.get("level"), 0), location, name))
    return result


def parse_headless(document: Any) -> list[Headless]:
    result = []
    for entry in _list_in(document, "headlessClients"):
        if not isinstance(entry, dict):
            raise ShapeError(f"a headless client is {_kind(entry)}, not an object")
        raw_ids = entry.get("profileIds")
        ids = tuple(str(i) for i in raw_ids if isinstance(i, str)) if isinstance(raw_ids, list) else ()
        state = _enum(entry.get("state", 1), ("Ready", "NotReady"), aliases={"ready": 0, "notready": 1})
        result.append(Headless(_required_text(entry, "profileId"), _text(entry, "nickname"), state == "Ready",
                               _int(entry.get("players"), len(ids)), ids))
    return result


def parse_profiles(document: Any) -> list[Profile]:
    result = []
    for entry in _list_in(document, "profiles"):
        if not isinstance(entry, dict):
            raise ShapeError(f"a profile is {_kind(entry)}, not an object")
        result.append(Profile(_required_text(entry, "profileId"), _text(entry, "nickname") or "Unknown",
                              _int(entry.get("level"), 0), entry.get("hasFleaBan") is True))
    return result


def parse_items(document: Any) -> list[Item]:
    """Sorted by name, as a picker shows them."""
    items = document.get("items") if isinstance(document, dict) else None
    if not isinstance(items, dict):
        raise ShapeError(f"expected an object with an \"items\" object, got {_kind(document)}")
    result = []
    for tpl, data in items.items():
        if not isinstance(data, dict):
            raise ShapeError(f"item {tpl} is {_kind(data)}, not an object")
        result.append(Item(str(tpl), _text(data, "name") or str(tpl), _text(data, "description"),
                           _int(data.get("stackable"), 1)))
    result.sort(key=lambda item: (item.name.casefold(), item.tpl))
    return result


def problem_text(body: bytes) -> str:
    """The words of an error answer: a plain sentence as is, ASP.NET's validation details as their messages."""
    text = body.decode("utf-8", "replace").strip()
    try:
        document = json.loads(text) if text.startswith("{") else None
    except ValueError:
        document = None
    if not isinstance(document, dict):
        return text[:300]
    errors = document.get("errors")
    if isinstance(errors, dict):
        messages = [str(message) for values in errors.values() if isinstance(values, list) for message in values]
        useful = [message for message in messages if message != _NOISE] or messages
        if useful:
            return "; ".join(useful)[:300]
    for key in ("detail", "title", "message", "error"):
        if isinstance(document.get(key), str) and document[key].strip():
            return document[key].strip()[:300]
    return text[:300]


def _list_in(document: Any, key: str) -> list[Any]:
    """The list under `key` (`{"players": [...]}`), or the document itself when it is already the list."""
    if isinstance(document, dict):
        document = document.get(key)
    if not isinstance(document, list):
        raise ShapeError(f"expected a list of {key}, got {_kind(document)}")
    return document


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__)


def _text(entry: dict[str, Any], key: str) -> str:
    value = entry.get(key)
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value)


def _required_text(entry: dict[str, Any], key: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise ShapeError(f"an entry has no {key!r}")
    return value


def _int(value: Any, default: int) -> int:
    if isinstance(value, bool) or value is None:
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return int(value.strip())
    return default


def _enum(value: Any, names: tuple[str, ...], *, aliases: Mapping[str, int]) -> str:
    """An enum sent as its number (System.Text.Json's default) or, should a server be set up so, its name."""
    if isinstance(value, str):
        folded = value.strip().lower().replace("_", "")
        for name in names:
            if name.lower().replace("_", "") == folded:
                return name
        if folded in aliases:
            return names[aliases[folded]]
        return f"UNKNOWN ({value})"
    number = _int(value, -1)
    if value is None or isinstance(value, bool) or not 0 <= number < len(names):
        return f"UNKNOWN ({value})"
    return names[number]


def _location_index(value: Any) -> int:
    if isinstance(value, str):
        folded = value.replace(" ", "").lower()
        for index, name in enumerate(LOCATIONS):
            if name.replace(" ", "").lower() == folded:
                return index
        return -1
    return _int(value, 0)


def _timestamp(value: Any) -> float | None:
    number = _int(value, 0) if not isinstance(value, float) else value
    if not number or number < 0:
        return None
    return number / 1000 if number > 100_000_000_000 else float(number)  # milliseconds, should a server send them


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# -- the client ---------------------------------------------------------------------------------------------------


class FikaClient:
    """One Fika server. `client` comes from `app.net.http.create_client` with the server's pinned TLS context."""

    def __init__(self, base_url: str, api_key: str | None, client: httpx.AsyncClient) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key or None
        self.client = client
        self._items: list[Item] | None = None
        self._items_lock = asyncio.Lock()

    @property
    def what(self) -> str:
        return f"the Fika server at {self.base_url}"

    # -- reads

    async def heartbeat(self) -> float:
        """Seconds the round trip took."""
        started = time.perf_counter()
        await self._call("GET", "heartbeat", "answer a heartbeat")
        return time.perf_counter() - started

    async def raids(self) -> list[Raid]:
        return self._parsed("raids", parse_raids, await self._json("GET", "raids", "list the raids"))

    async def players(self) -> list[Player]:
        return self._parsed("players", parse_players, await self._json("GET", "players", "list the players"))

    async def headless(self) -> list[Headless]:
        document = await self._json("GET", "headless", "list the headless clients")
        return self._parsed("headless", parse_headless, document)

    async def profiles(self) -> list[Profile]:
        """Every account on the server, online or not (headless profiles included: the server lists them)."""
        return self._parsed("profiles", parse_profiles, await self._json("GET", "profiles", "list the profiles"))

    async def items(self) -> list[Item]:
        """The server's item list, fetched once (it is about a megabyte and changes only with the server's mods)."""
        async with self._items_lock:
            if self._items is None:
                document = await self._json("GET", "items", "list the items")
                self._items = self._parsed("items", parse_items, document)
            return self._items

    async def search_items(self, text: str, limit: int = 50) -> list[Item]:
        """Case-insensitive: names that start with `text`, then names that contain it, then template ids."""
        items = await self.items()
        needle = text.strip().casefold()
        if not needle:
            return items[:limit]
        named = [item for item in items if needle in item.name.casefold()]
        named.sort(key=lambda item: not item.name.casefold().startswith(needle))  # stable: keeps name order
        found = {item.tpl for item in named}
        by_tpl = [item for item in items if item.tpl not in found and needle in item.tpl.casefold()]
        return (named + by_tpl)[:limit]

    async def raw_profile(self, profile_id: str) -> dict[str, Any]:
        _check_id(profile_id, "profile id")
        document = await self._json("GET", "rawprofile", "send the profile", params={"profileId": profile_id},
                                    missing=f"There is no profile {profile_id} on {self.what}.")
        if not isinstance(document, dict):
            raise FikaError(f"{_cap(self.what)} answered fika/api/rawprofile with {_kind(document)}, "
                            "not a profile.")
        return document

    # -- actions

    async def send_message(self, profile_id: str, message: str) -> None:
        _check_id(profile_id, "profile id")
        _check_message(message)
        await self._call("POST", "sendmessage", "send the message", {"profileId": profile_id, "message": message})

    async def send_item(self, profile_id: str, item_tpl: str, amount: int = 1, *, message: str = "",
                        fir: bool = False, expiration_days: int = 7) -> None:
        _check_id(profile_id, "profile id")
        body = _item_body(item_tpl, amount, message, fir, expiration_days)
        await self._call("POST", "senditem", "send the item", {"profileId": profile_id, **body})

    async def send_item_to_all(self, profile_ids: Sequence[str], item_tpl: str, amount: int = 1, *,
                               message: str = "", fir: bool = False, expiration_days: int = 7) -> None:
        if isinstance(profile_ids, str) or not profile_ids:
            raise FikaError("Choose at least one player to send the item to.")
        for profile_id in profile_ids:
            _check_id(profile_id, "profile id")
        body = _item_body(item_tpl, amount, message, fir, expiration_days)
        await self._call("POST", "senditemtoall", "send the item", {"profileIds": list(profile_ids), **body})

    async def flea_ban(self, profile_id: str, days: int) -> None:
        """Ban from the flea market for `days` days; 0 bans for ever (the server writes 9999 days)."""
        _check_id(profile_id, "profile id")
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_BAN_DAYS:
            raise FikaError(f"A flea market ban lasts 1 to {MAX_BAN_DAYS} days, or 0 for ever; {days!r} is not "
                            "one of those.")
        await self._call("POST", "fleaban", "ban the player from the flea market",
                         {"profileId": profile_id, "amountOfDays": days},
                         missing=f"There is no profile {profile_id} on {self.what}.")

    async def flea_unban(self, profile_id: str) -> None:
        # FleaBanController.HandleDeleteRequest reads `[FromBody] ProfileIdRequest`: a JSON body on a DELETE,
        # exactly as Fika's web app sends it (ModifyProfileDialog's RemoveFleaBan).
        _check_id(profile_id, "profile id")
        await self._call("DELETE", "fleaban", "lift the flea market ban", {"profileId": profile_id},
                         missing=f"There is no profile {profile_id} on {self.what}.")

    async def logout(self, profile_id: str) -> None:
        _check_id(profile_id, "profile id")
        await self._call("POST", "logout", "log the player out", {"profileId": profile_id})

    async def restart_headless(self, profile_id: str) -> None:
        _check_id(profile_id, "profile id")
        await self._call("POST", "restartheadless", "restart the headless client", {"profileId": profile_id},
                         missing=f"The headless client {profile_id} is not connected to {self.what}, so it "
                                 "cannot be restarted.")

    # -- the wire

    def _headers(self, with_body: bool) -> dict[str, str]:
        headers = {"requestcompressed": "0", "responsecompressed": "0"}
        if self.api_key is not None:
            headers["Authorization"] = f"Bearer {self.api_key}"
        if with_body:
            headers["Content-Type"] = "application/json"
        return headers

    async def _send(self, method: str, endpoint: str, params: Mapping[str, str] | None,
                    body: Mapping[str, Any] | None) -> httpx.Response:
        content = json.dumps(body).encode() if body is not None else None
        try:
            return await self.client.request(method, f"{self.base_url}/fika/api/{endpoint}", params=params,
                                             content=content, headers=self._headers(content is not None))
        except httpx.TransportError as exc:
            raise unreachable(exc, self.what) from exc

    async def _call(self, method: str, endpoint: str, action: str, body: Mapping[str, Any] | None = None, *,
                    params: Mapping[str, str] | None = None, missing: str | None = None) -> httpx.Response:
        """Send one request; any answer but a 2xx becomes the FikaError that says what went wrong."""
        response = await self._send(method, endpoint, params, body)
        status = response.status_code
        if 200 <= status < 300:
            return response
        text = problem_text(response.content)
        if status == 404 and missing is not None and await self._mod_answers():
            raise FikaError(missing, status=404)
        raise self._failure(status, text, endpoint, action)

    async def _json(self, method: str, endpoint: str, action: str, *, params: Mapping[str, str] | None = None,
                    missing: str | None = None) -> Any:
        response = await self._call(method, endpoint, action, params=params, missing=missing)
        try:
            return json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            snippet = response.content[:60].decode("utf-8", "replace").strip() or "an empty body"
            raise FikaError(f"{_cap(self.what)} answered fika/api/{endpoint} with something that is not JSON "
                            f"({snippet!r}).", status=response.status_code) from None

    def _parsed(self, endpoint: str, parse: Any, document: Any) -> Any:
        try:
            return parse(document)
        except ShapeError as exc:
            raise FikaError(f"{_cap(self.what)} answered fika/api/{endpoint} in a shape Kappa cannot read "
                            f"({exc}).") from None

    async def _mod_answers(self) -> bool:
        """Whether the Fika API is there at all, to tell "no such profile" from "no Fika" after a 404."""
        response = await self._send("GET", "heartbeat", None, None)
        return response.status_code != 404

    def _failure(self, status: int, text: str, endpoint: str, action: str) -> FikaError:
        said = f" (it said: {text})" if text else ""
        if status == 401:
            if self.api_key is None:
                return FikaAuthError(f"{_cap(self.what)} wants an API key{said}. Copy server.apiKey from its "
                                     "fika.jsonc into this server's settings.", status=status)
            return FikaAuthError(f"{_cap(self.what)} did not accept the API key as sent{said}.", status=status)
        if status == 403:
            return FikaAuthError(f"The API key for {self.what} is wrong{said}. Check server.apiKey in the "
                                 "server's fika.jsonc.", status=status)
        if status == 404:
            return FikaNotInstalled(f"The Fika server mod is not installed (or is older than 2.0) on "
                                    f"{self.base_url}: it does not know fika/api/{endpoint}.", status=status)
        if status == 400:
            return FikaError(f"{_cap(self.what)} refused to {action}: {text or 'bad request (HTTP 400)'}",
                             status=status)
        if status >= 500:
            return FikaError(f"{_cap(self.what)} failed while trying to {action} (HTTP {status}){said}.",
                             status=status)
        return FikaError(f"{_cap(self.what)} did not {action}: HTTP {status}{said}.", status=status)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _check_id(value: str, what: str) -> None:
    if not isinstance(value, str) or not _MONGO_ID.fullmatch(value):
        raise FikaError(f"{value!r} is not a valid {what}: it must be 24 hexadecimal digits.")


def _check_message(message: str) -> None:
    length = _utf16_length(message)
    if length > MAX_MESSAGE:
        raise FikaError(f"The message is {length} characters long; Fika accepts at most {MAX_MESSAGE}.")


def _item_body(item_tpl: str, amount: int, message: str, fir: bool, expiration_days: int) -> dict[str, Any]:
    _check_id(item_tpl, "item template id")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
        raise FikaError(f"Send at least one item ({amount!r} is not a positive whole number).")
    if isinstance(expiration_days, bool) or not isinstance(expiration_days, int) or expiration_days < 1:
        raise FikaError(f"The items must stay in the mailbox at least one day ({expiration_days!r} days was asked).")
    _check_message(message)
    return {"itemTpl": item_tpl, "amount": amount, "message": message, "fir": bool(fir),
            "expirationDays": expiration_days}
