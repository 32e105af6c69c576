"""A client for a dedicated game server's HTTPS API (`seeds/dedicated-server-https-api.txt`).

Every function is one POST to `{base}/api/v1` with the envelope ``{"function": ..., "data": {...}}`` and an
application token (``Authorization: Bearer``, made with ``server.GenerateAPIToken`` in the server console). A
success answers ``{"data": {...}}`` or 204 without a body; a failure answers ``{"errorCode", "errorMessage"?,
"errorData"?}``, with a 4xx/5xx status or, for ``bad_request`` and function errors, with 200.

Public API::

    client = DedicatedClient("https://host:7777", token, http)   # http: app.net.http.create_client(verify=pinned)
    await client.call(function, data=None)  -> dict | None   # the answer's `data`; None for 204 / no data
    await client.health()                   -> Health        # HealthCheck, sent without the token
    await client.verify_token()             -> None          # VerifyAuthenticationToken
    await client.state()                    -> ServerState   # QueryServerState
    await client.options()                  -> ServerOptions # GetServerOptions
    await client.save_game(save_name)       -> None
    await client.run_command(command)       -> CommandResult
    await client.shutdown()                 -> None

Key case: the document spells properties with a capital first letter; the real server (and the community notes:
``serverGameState``, ``authenticationToken``, the keys inside ServerGameState) answers with a lower-case one. Every
answer is read case-insensitively, so both spellings work. Failures raise `DedicatedError` (`DedicatedAuthError`
for 401/403, `DedicatedMalformedResponse` for an answer that is not the promised JSON); an unreachable server
raises `app.net.http.ServerUnreachable`. Tokens never appear in messages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from app.core.errors import KappaError
from app.net.http import unreachable

API_PATH = "/api/v1"
TOKEN_HINT = "make one with server.GenerateAPIToken in the server console"

# The document names these two phases and two schematics; other values are shown as "Phase N" or their raw tail.
PHASE_NAMES = {1: "Distribution Platform", 2: "Construction Dock"}
SCHEMATIC_NAMES = {"Schematic_6-7": "Railway Signalling", "Schematic_7-2": "Logistics Mk.5"}
_PHASE = re.compile(r"GP_Project_Assembly_Phase_(\d+)")

_STATUS_WORDS = {
    400: "the server could not read the request (it is not valid JSON)",
    415: "the server does not accept how the request was encoded",
    500: "the server had an internal error",
}
_CODE_WORDS = {
    "bad_request": "the request was incomplete or had a wrong value",
    "save_game_failed": "the game could not be saved",
    "file_not_found": "the save file was not found",
    "session_not_found": "the session was not found",
    "wrong_password": "the password is wrong",
    "server_not_claimed": "the server has not been claimed yet",
    "server_claimed": "the server has already been claimed",
}
_RESOURCE_CODES = frozenset({"file_not_found", "session_not_found"})  # 404s that are not "no such function"


class DedicatedError(KappaError):
    """The server refused or failed a function. `code` is its errorCode ("" if none), `status` the HTTP status."""

    def __init__(self, message: str, *, code: str = "", status: int = 0, function: str = "",
                 error_message: str = "", error_data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.function = function
        self.error_message = error_message
        self.error_data = error_data


class DedicatedAuthError(DedicatedError):
    """401 (token missing, wrong or expired) or 403 (the token may not run that function)."""


class DedicatedMalformedResponse(DedicatedError):
    """The answer is not the JSON the API promises (another program on that port, a proxy page, a broken body)."""


@dataclass(frozen=True)
class Health:
    healthy: bool
    health: str  # "healthy" | "slow" (tick rate at or under ten per second)
    custom_data: str


@dataclass(frozen=True)
class ServerState:
    session: str
    players: int
    player_limit: int
    tech_tier: int
    active_schematic: str  # readable: a known name, else the raw tail ("Schematic_5-3"), "None" when there is none
    game_phase: str  # readable: "Phase 2 (Construction Dock)", "Phase 4", else the raw tail; "None" with no game
    running: bool
    duration_s: int
    paused: bool
    tick_rate: float
    autoload_session: str


@dataclass(frozen=True)
class ServerOptions:
    current: dict[str, str]
    pending: dict[str, str]


@dataclass(frozen=True)
class CommandResult:
    output: str
    ok: bool


class DedicatedClient:
    """One dedicated server's API. The httpx client comes from `create_client` (with the pinned TLS context)."""

    def __init__(self, base_url: str, token: str | None, client: httpx.AsyncClient) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token or None
        self.client = client

    @property
    def what(self) -> str:
        return f"the dedicated server at {self.base_url}"

    async def call(self, function: str, data: dict | None = None, *, authenticate: bool = True) -> dict | None:
        """Run `function`; returns the answer's `data` object, or None when the server sent none (204)."""
        body: dict[str, Any] = {"function": function}
        if data is not None:
            body["data"] = data
        headers = {"Authorization": f"Bearer {self.token}"} if authenticate and self.token else {}
        try:
            response = await self.client.post(self.base_url + API_PATH, json=body, headers=headers)
        except httpx.TransportError as exc:
            raise unreachable(exc, self.what) from exc
        except httpx.HTTPError as exc:  # e.g. a body whose Content-Encoding does not decode
            raise self._malformed(function, 0, f"an answer that could not be read ({exc})") from exc
        return self._data(function, response, sent_token=authenticate and self.token is not None)

    async def health(self) -> Health:
        # Sent without the token: health needs none, and a revoked token must not make a healthy server look down.
        return parse_health(await self._object("HealthCheck", {"ClientCustomData": ""}, authenticate=False))

    async def verify_token(self) -> None:
        await self.call("VerifyAuthenticationToken")

    async def state(self) -> ServerState:
        data = await self._object("QueryServerState")
        try:
            return parse_state(data)
        except ValueError as exc:
            raise self._malformed("QueryServerState", 200, str(exc)) from None

    async def options(self) -> ServerOptions:
        data = await self._object("GetServerOptions")
        try:
            return parse_options(data)
        except ValueError as exc:
            raise self._malformed("GetServerOptions", 200, str(exc)) from None

    async def save_game(self, save_name: str) -> None:
        await self.call("SaveGame", {"SaveName": save_name})

    async def run_command(self, command: str) -> CommandResult:
        data = await self._object("RunCommand", {"Command": command})
        try:
            return parse_command_result(data)
        except ValueError as exc:
            raise self._malformed("RunCommand", 200, str(exc)) from None

    async def shutdown(self) -> None:
        await self.call("Shutdown")

    # -- answers

    async def _object(self, function: str, data: dict | None = None, *, authenticate: bool = True) -> Mapping:
        result = await self.call(function, data, authenticate=authenticate)
        if result is None:
            raise self._malformed(function, 204, "no data, where the API promises some")
        return result

    def _data(self, function: str, response: httpx.Response, *, sent_token: bool) -> dict | None:
        status = response.status_code
        payload: Any = None
        if response.content.strip():
            try:
                payload = json.loads(response.content)
            except (ValueError, UnicodeDecodeError):
                if status >= 400:
                    raise self._status_error(function, status, sent_token) from None
                raise self._malformed(function, status, "something that is not JSON") from None
        if isinstance(payload, Mapping) and any_case(payload, "errorCode") is not None:
            raise self._envelope_error(function, status, payload, sent_token)
        if status >= 400:
            raise self._status_error(function, status, sent_token)
        if payload is None:
            return None
        if not isinstance(payload, Mapping):
            raise self._malformed(function, status, f"JSON that is not an object ({type(payload).__name__})")
        data = any_case(payload, "data")
        if data is not None and not isinstance(data, Mapping):
            raise self._malformed(function, status, f"a `data` that is not an object ({type(data).__name__})")
        return dict(data) if data is not None else None

    def _envelope_error(self, function: str, status: int, payload: Mapping, sent_token: bool) -> DedicatedError:
        code = str(any_case(payload, "errorCode") or "")
        message = any_case(payload, "errorMessage")
        message = message.strip() if isinstance(message, str) else ""
        error_data = any_case(payload, "errorData")
        words = self._words(function, status, code, sent_token)
        text = f"The dedicated server at {self.base_url} could not run {function}: {words}."
        if message:
            text += f" It said: {message.rstrip('.')}."
        details = _describe_error_data(error_data)
        if details:
            text += f" ({details})"
        text += f" [{code or 'no error code'}, HTTP {status}]"
        kind = DedicatedAuthError if status in (401, 403) else DedicatedError
        return kind(text, code=code, status=status, function=function, error_message=message, error_data=error_data)

    def _status_error(self, function: str, status: int, sent_token: bool) -> DedicatedError:
        """An error status without the API's error envelope: a proxy's page, or not a dedicated server at all."""
        if status == 404:
            return DedicatedError(f"There is no dedicated-server API at {self.base_url}{API_PATH} (HTTP 404): check "
                                  f"the address and port.", status=status, function=function)
        words = self._words(function, status, "", sent_token)
        kind = DedicatedAuthError if status in (401, 403) else DedicatedError
        return kind(f"The dedicated server at {self.base_url} could not run {function}: {words} (HTTP {status}).",
                    status=status, function=function)

    def _words(self, function: str, status: int, code: str, sent_token: bool) -> str:
        if status == 401:
            if sent_token:
                return f"the API token is wrong, expired or was revoked ({TOKEN_HINT})"
            return f"the API token is missing or expired ({TOKEN_HINT})"
        if status == 403:
            if sent_token:
                return f"this token may not run {function}"
            return f"it needs an API token to run {function} ({TOKEN_HINT})"
        if status == 404 and code not in _RESOURCE_CODES:
            return f"the server does not know the function {function}"
        if code in _CODE_WORDS:
            return _CODE_WORDS[code]
        if status in _STATUS_WORDS:
            return _STATUS_WORDS[status]
        return f"it answered with the error {code}" if code else f"it answered with HTTP {status}"

    def _malformed(self, function: str, status: int, what: str) -> DedicatedMalformedResponse:
        return DedicatedMalformedResponse(
            f"The dedicated server at {self.base_url} answered {function} with {what}"
            + (f" (HTTP {status})." if status else "."), status=status, function=function)


# -- reading answers (pure; both key spellings) -------------------------------------------------------------------


def any_case(mapping: Mapping, name: str) -> Any:
    """`mapping[name]` whatever the case of its letters ("ServerGameState", "serverGameState", ...); None if absent."""
    if name in mapping:
        return mapping[name]
    wanted = name.casefold()
    for key, value in mapping.items():
        if isinstance(key, str) and key.casefold() == wanted:
            return value
    return None


def parse_health(data: Mapping) -> Health:
    health = _text(data, "Health", "")
    return Health(healthy=health.casefold() == "healthy", health=health,
                  custom_data=_text(data, "ServerCustomData", ""))


def parse_state(data: Mapping) -> ServerState:
    """ServerState from QueryServerState's `data`; ValueError naming the field when the shape is wrong."""
    state = any_case(data, "ServerGameState")
    if not isinstance(state, Mapping):
        raise ValueError("no serverGameState object")
    return ServerState(
        session=_text(state, "ActiveSessionName", ""),
        players=_integer(state, "NumConnectedPlayers"),
        player_limit=_integer(state, "PlayerLimit"),
        tech_tier=_integer(state, "TechTier"),
        active_schematic=readable_schematic(_text(state, "ActiveSchematic", "None")),
        game_phase=readable_game_phase(_text(state, "GamePhase", "None")),
        running=_boolean(state, "IsGameRunning"),
        duration_s=_integer(state, "TotalGameDuration"),
        paused=_boolean(state, "IsGamePaused"),
        tick_rate=_number(state, "AverageTickRate"),
        autoload_session=_text(state, "AutoLoadSessionName", ""),
    )


def parse_options(data: Mapping) -> ServerOptions:
    return ServerOptions(current=_string_map(data, "ServerOptions"), pending=_string_map(data, "PendingServerOptions"))


def parse_command_result(data: Mapping) -> CommandResult:
    return CommandResult(output=_text(data, "CommandResult", ""), ok=_boolean(data, "ReturnValue"))


def readable_game_phase(value: str) -> str:
    """"Phase 2 (Construction Dock)" from "/Script/FactoryGame.FGGamePhase'/Game/.../GP_Project_Assembly_Phase_2.…'"."""
    match = _PHASE.search(value)
    if match is None:
        return _tail(value)
    number = int(match.group(1))
    name = PHASE_NAMES.get(number)
    return f"Phase {number} ({name})" if name else f"Phase {number}"


def readable_schematic(value: str) -> str:
    """"Railway Signalling" from "/Script/Engine.BlueprintGeneratedClass'/Game/.../Schematic_6-7.Schematic_6-7_C'"."""
    tail = _tail(value)
    return SCHEMATIC_NAMES.get(tail, tail)


def _tail(value: str) -> str:
    """The asset's own name from an Unreal object path: "GP_Thing" from "/Script/X.Y'/Game/A/GP_Thing.GP_Thing'"."""
    text = value.strip().strip("'\"")
    if "/" not in text:
        return text or "None"
    last = text.rstrip("'\"").rsplit("/", 1)[-1]
    return last.split(".", 1)[0] or text


def _text(mapping: Mapping, name: str, default: str) -> str:
    value = any_case(mapping, name)
    if value is None:
        return default
    if not isinstance(value, str):
        raise ValueError(f"`{name}` is not text ({type(value).__name__})")
    return value


def _integer(mapping: Mapping, name: str) -> int:
    value = any_case(mapping, name)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"`{name}` is not a number ({type(value).__name__})")
    try:
        return int(float(value))
    except ValueError:
        raise ValueError(f"`{name}` is not a number ({value!r})") from None


def _number(mapping: Mapping, name: str) -> float:
    value = any_case(mapping, name)
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"`{name}` is not a number ({type(value).__name__})")
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"`{name}` is not a number ({value!r})") from None


def _boolean(mapping: Mapping, name: str) -> bool:
    value = any_case(mapping, name)
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.casefold() in ("true", "false"):
        return value.casefold() == "true"
    raise ValueError(f"`{name}` is not true or false ({value!r})")


def _string_map(mapping: Mapping, name: str) -> dict[str, str]:
    """A map<string, string>; values the server sent as JSON numbers or booleans are stringified like Unreal does."""
    value = any_case(mapping, name)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"`{name}` is not an object ({type(value).__name__})")
    return {str(key): _stringify(item) for key, item in value.items()}


def _stringify(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    return value if isinstance(value, str) else json.dumps(value)


def _describe_error_data(value: Any) -> str:
    """errorData in a few words, e.g. "missingParameters: SaveName"."""
    if not isinstance(value, Mapping) or not value:
        return ""
    parts = []
    for key, item in value.items():
        shown = ", ".join(str(v) for v in item) if isinstance(item, list) else str(item)
        parts.append(f"{key}: {shown}")
    return "; ".join(parts)[:300]
