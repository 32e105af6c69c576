"""`DedicatedServerEmulator`: a dedicated game server's HTTPS API (`seeds/dedicated-server-https-api.txt`) on
127.0.0.1, over TLS with a self-signed certificate, like the real server when nobody gave it one.

What it serves: POST `/api/v1` with the envelope ``{"function": ..., "data": {...}}`` (GET with ``?function=`` for the
functions that take no data), Bearer application tokens, the error envelope ``{errorCode, errorMessage, errorData}``
with the document's status codes, request bodies in gzip or deflate (415 for other encodings or charsets), and the
functions HealthCheck, VerifyAuthenticationToken, QueryServerState, GetServerOptions, SaveGame, RunCommand and
Shutdown. Answers use the key spelling chosen by `key_case`: "community" (default: ``serverGameState`` and its keys
with a lower-case first letter, as the community notes say), "documented" (as the document's tables spell them) or
"camel" (every property lower-case first, as Unreal's JSON converter writes them).

The game moves with the clock, deterministically for a seed: players join and leave (at most one per
`SEGMENT_SECONDS`), the server pauses while nobody is online (FG.DSAutoPause) so the game duration only grows
while someone plays, the tick rate wanders and now and then drops under ten (health "slow"), and milestones are
completed as play time adds up. `advance(seconds)` moves the emulator's own clock for tests.

Tests read back what happened: `.saves`, `.commands`, `.shutdowns`, `.requests`; `state()` is the truth the client
should report. `stop()` then `start()` serves again on the same port; Shutdown stops serving by itself, like the
real server when no restart script brings it back.
"""

from __future__ import annotations

import base64
import codecs
import json
import random
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from typing import Any
from urllib.parse import parse_qs, urlsplit

from app.sandbox.certificates import SelfSignedCertificate, TlsHttpServer, make_self_signed
from app.sandbox.serving import EmulatorHandler, TlsEmulator

# -- the game -------------------------------------------------------------------------------------------------------

SEGMENT_SECONDS = 20.0  # players join or leave, and the tick rate changes, at most once per segment
MILESTONE_SECONDS = 1800.0  # unpaused play time per completed milestone
LAG_CHANCE = 0.06  # share of segments in which the server lags (tick rate under ten: health "slow")
PLAYER_LIMIT = 4
SESSIONS = ("Kappa Works", "Northern Forest Rails", "Dune Desert Co-op", "Grass Fields Mega Base")
MILESTONES = (("Schematic_3-4", 3), ("Schematic_4-2", 4), ("Schematic_5-3", 5), ("Schematic_6-7", 6),
              ("Schematic_7-2", 7), ("Schematic_8-1", 8))  # (asset name, tech tier), in the order they are reached
PHASE_OF_TIER = {1: 1, 2: 1, 3: 2, 4: 2, 5: 3, 6: 3, 7: 4, 8: 4, 9: 5}  # the Space Elevator phase being worked on
SCHEMATIC_PATH = "/Script/Engine.BlueprintGeneratedClass'/Game/FactoryGame/Schematics/Progression/{0}.{0}_C'"
PHASE_PATH = ("/Script/FactoryGame.FGGamePhase'/Game/FactoryGame/GamePhases/"
              "GP_Project_Assembly_Phase_{0}.GP_Project_Assembly_Phase_{0}'")
SERVER_OPTIONS = {"FG.DSAutoPause": "True", "FG.DSAutoSaveOnDisconnect": "True", "FG.AutosaveInterval": "300.000000",
                  "FG.ServerRestartTimeSlot": "1440.000000", "FG.SendGameplayData": "True", "FG.NetworkQuality": "3"}
CONSOLE_COMMANDS = {
    "help": "Lists these commands",
    "server.SaveGame": "server.SaveGame <name>: saves the session",
    "server.GenerateAPIToken": "Prints a new application token for the HTTPS API",
    "server.InvalidateAPITokens": "Revokes every application token",
    **{name: f"Prints the value of {name}" for name in SERVER_OPTIONS},
}

# -- the API --------------------------------------------------------------------------------------------------------

PRIVILEGE_RANK = {"NotAuthenticated": 0, "InitialAdmin": 0, "Client": 1, "Administrator": 2, "APIToken": 2}
KEY_CASES = ("community", "documented", "camel")
MAX_BODY = 1 << 20
_MAP_PROPERTIES = frozenset({"ServerOptions", "PendingServerOptions"})  # map<string, string>: keys are option names
_JSON = "application/json;charset=utf-8"


@dataclass(frozen=True)
class ApiFunction:
    privilege: str  # the least privilege level that may run it
    params: tuple[str, ...] = ()  # required `data` properties (strings)
    query: bool = False  # a query without required data: may also be called with GET
    stops_server: bool = False


FUNCTIONS = {
    "HealthCheck": ApiFunction("NotAuthenticated", query=True),
    "VerifyAuthenticationToken": ApiFunction("Client", query=True),
    "QueryServerState": ApiFunction("Client", query=True),
    "GetServerOptions": ApiFunction("Administrator", query=True),
    "SaveGame": ApiFunction("Administrator", ("SaveName",)),
    "RunCommand": ApiFunction("Administrator", ("Command",)),
    "Shutdown": ApiFunction("Administrator", stops_server=True),
}
_BY_FOLDED_NAME = {name.casefold(): name for name in FUNCTIONS}  # Unreal names are case-insensitive


@dataclass(frozen=True)
class DedicatedRequest:
    method: str
    function: str  # as sent ("" when it could not be read)
    status: int
    token: str | None  # the Bearer token sent, if any


@dataclass
class RawAnswer:
    """An answer sent as is (`script_next`), to show a client what a broken server or a proxy sends."""

    status: int
    body: bytes = b""
    content_type: str = _JSON


class _Refusal(Exception):
    """An error answer: the API's error envelope with an HTTP status."""

    def __init__(self, status: int, code: str, message: str, data: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.data = status, code, message, data


@dataclass
class _Answer:
    status: int
    body: bytes = b""
    content_type: str = _JSON
    stops_server: bool = False


# -- the timeline ---------------------------------------------------------------------------------------------------


class _Timeline:
    """Players and base tick rate per segment, drawn once from the seed, and the play time before each segment."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"kappa-dedicated:{seed}:timeline")
        self.players = [self._rng.randint(0, 2)]
        self.ticks = [self._tick(self.players[0])]
        self.played_before = [0.0]

    def at(self, elapsed: float) -> tuple[int, float, float]:
        """(players, base tick rate, unpaused seconds so far) `elapsed` seconds after the emulator was made."""
        index = int(elapsed // SEGMENT_SECONDS)
        while len(self.players) <= index:
            self._grow()
        played = self.played_before[index]
        if self.players[index] > 0:  # FG.DSAutoPause: the game only runs while someone is online
            played += elapsed - index * SEGMENT_SECONDS
        return self.players[index], self.ticks[index], played

    def _grow(self) -> None:
        last = self.players[-1]
        self.played_before.append(self.played_before[-1] + (SEGMENT_SECONDS if last > 0 else 0.0))
        players = min(PLAYER_LIMIT, max(0, last + self._rng.choice((-1, 0, 0, 1))))
        self.players.append(players)
        self.ticks.append(self._tick(players))

    def _tick(self, players: int) -> float:
        if self._rng.random() < LAG_CHANCE:
            return self._rng.uniform(4.0, 9.5)
        return 30.0 - players * self._rng.uniform(0.2, 1.2) - self._rng.uniform(0.0, 1.5)


# -- the emulator ---------------------------------------------------------------------------------------------------


class DedicatedServerEmulator(TlsEmulator):
    """A dedicated game server's HTTPS API on 127.0.0.1. Usable as a context manager."""

    def __init__(self, port: int = 0, *, token: str | None = "demo-token",
                 certificate: SelfSignedCertificate | None = None, clock: Callable[[], float] = time.time,
                 seed: int = 0, key_case: str = "community", game_loaded: bool = True) -> None:
        if key_case not in KEY_CASES:
            raise ValueError(f"key_case must be one of {', '.join(KEY_CASES)}")
        self.token = token  # None: like FG.DedicatedServer.AllowInsecureLocalAccess=1, no token needed
        super().__init__(port, certificate or make_self_signed("FactoryServer"), handler=_Handler,
                         name="dedicated-emulator")
        self.clock = clock
        self.seed = seed
        self.key_case = key_case
        self.game_loaded = game_loaded
        self.options = dict(SERVER_OPTIONS)
        self.pending_options: dict[str, str] = {}
        self.saves: list[str] = []
        self.commands: list[str] = []
        self.shutdowns = 0
        self._requests: list[DedicatedRequest] = []
        self._tokens: dict[str, str] = {token: "APIToken"} if token else {}
        self._scripted: deque[RawAnswer] = deque()
        self._lock = threading.RLock()
        self._offset = 0.0
        self._epoch = clock()
        self._lag_until = float("-inf")
        self._lag_rate = 0.0
        rng = random.Random(f"kappa-dedicated:{seed}:session")
        self.session = rng.choice(SESSIONS)
        self._initial_duration = rng.randint(20, 200) * 3600 + rng.randint(0, 3599)
        self._first_milestone = rng.randrange(2)  # tier 3 or 4: the second phase, named in the document
        self._timeline = _Timeline(seed)
        self._token_rng = random.Random(f"kappa-dedicated:{seed}:tokens")

    # -- run-time controls

    def now(self) -> float:
        return self.clock() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the emulator's clock forward (the game plays on, players come and go)."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        with self._lock:
            self._offset += seconds

    def lag(self, seconds: float, tick_rate: float = 7.5) -> None:
        """Hold the tick rate at `tick_rate` for `seconds` from now (health "slow" under ten)."""
        with self._lock:
            self._lag_until, self._lag_rate = self.now() + seconds, tick_rate

    def add_token(self, privilege: str = "APIToken") -> str:
        """A new token in the real format (base64 JSON payload "." hex fingerprint) with that privilege level."""
        if privilege not in PRIVILEGE_RANK:
            raise ValueError(f"unknown privilege level {privilege!r}")
        with self._lock:
            payload = base64.b64encode(json.dumps({"pl": privilege}).encode()).decode()
            token = f"{payload}.{self._token_rng.getrandbits(256):064X}"
            self._tokens[token] = privilege
        return token

    def invalidate_tokens(self) -> None:
        """server.InvalidateAPITokens: every application token stops working (player tokens are not kept here)."""
        with self._lock:
            self._tokens = {token: level for token, level in self._tokens.items() if level != "APIToken"}

    def script_next(self, *answers: RawAnswer) -> None:
        """Answer the next requests with `answers`, in order, whatever they ask; then as usual."""
        with self._lock:
            self._scripted.extend(answers)

    @property
    def requests(self) -> list[DedicatedRequest]:
        with self._lock:
            return list(self._requests)

    # -- the game

    def state(self) -> dict[str, Any]:
        """ServerGameState now, spelled as the document's table does."""
        with self._lock:
            elapsed = max(0.0, self.now() - self._epoch)
            players, tick, played = self._timeline.at(elapsed)
            if self.now() < self._lag_until:
                tick = self._lag_rate
            else:  # a little noise from second to second; never enough to cross the "slow" line
                tick += random.Random(f"kappa-dedicated:{self.seed}:{int(elapsed)}").uniform(-0.3, 0.3)
        if not self.game_loaded:
            return {"ActiveSessionName": "", "NumConnectedPlayers": 0, "PlayerLimit": PLAYER_LIMIT, "TechTier": 0,
                    "ActiveSchematic": "None", "GamePhase": "None", "IsGameRunning": False, "TotalGameDuration": 0,
                    "IsGamePaused": False, "AverageTickRate": round(tick, 3), "AutoLoadSessionName": self.session}
        index = min(len(MILESTONES) - 1, self._first_milestone + int(played // MILESTONE_SECONDS))
        schematic, tier = MILESTONES[index]
        return {"ActiveSessionName": self.session, "NumConnectedPlayers": players, "PlayerLimit": PLAYER_LIMIT,
                "TechTier": tier, "ActiveSchematic": SCHEMATIC_PATH.format(schematic),
                "GamePhase": PHASE_PATH.format(PHASE_OF_TIER[tier]), "IsGameRunning": True,
                "TotalGameDuration": self._initial_duration + int(played), "IsGamePaused": players == 0,
                "AverageTickRate": round(tick, 3), "AutoLoadSessionName": self.session}

    # -- answering (handler threads)

    def answer(self, method: str, target: str, headers: Message, body: bytes) -> _Answer:
        with self._lock:
            scripted = self._scripted.popleft() if self._scripted else None
        if scripted is not None:
            return _Answer(scripted.status, scripted.body, scripted.content_type)
        token = _bearer(headers)
        function = ""
        try:
            function, data = _read_request(method, target, headers, body)
            name = _BY_FOLDED_NAME.get(function.casefold())
            if name is None:
                raise _Refusal(404, "function_not_found", f"Function '{function}' was not found")
            spec = FUNCTIONS[name]
            if method == "GET" and not spec.query:
                raise _Refusal(200, "bad_request", f"Function '{name}' must be called with POST")
            self._authorize(name, spec, token)
            result = getattr(self, f"_run_{name}")(_params(spec, data))
            answer = _Answer(204) if result is None else _Answer(200, _json({"data": self._spell(result)}))
            answer.stops_server = spec.stops_server
        except _Refusal as refusal:
            error: dict[str, Any] = {"errorCode": refusal.code, "errorMessage": refusal.message}
            if refusal.data:
                error["errorData"] = refusal.data
            answer = _Answer(refusal.status, _json(error))
        with self._lock:
            self._requests.append(DedicatedRequest(method, function, answer.status, token))
        return answer

    def _authorize(self, name: str, spec: ApiFunction, token: str | None) -> None:
        needed = PRIVILEGE_RANK[spec.privilege]
        if needed == 0 or (self.token is None and token is None):
            return
        if token is None:
            if name == "VerifyAuthenticationToken":  # checking a token that is not there
                raise _Refusal(401, "invalid_token", "No authentication token was provided")
            raise _Refusal(403, "insufficient_scope", f"Function '{name}' requires authentication")
        with self._lock:
            level = self._tokens.get(token)
        if level is None:
            raise _Refusal(401, "invalid_token", "The authentication token is invalid or has expired")
        if PRIVILEGE_RANK[level] < needed:
            raise _Refusal(403, "insufficient_scope",
                           f"Privilege level {level} may not execute function '{name}'")

    def _spell(self, data: dict[str, Any]) -> dict[str, Any]:
        if self.key_case == "camel":
            return _camel(data)
        if self.key_case == "community" and "ServerGameState" in data:
            return {"serverGameState": {_lower_first(key): value for key, value in data["ServerGameState"].items()}}
        return data

    # -- the functions: each takes the checked `data` (keys as documented) and returns the answer's data or None

    def _run_HealthCheck(self, data: dict[str, Any]) -> dict[str, Any]:
        healthy = self.state()["AverageTickRate"] > 10
        return {"Health": "healthy" if healthy else "slow", "ServerCustomData": ""}

    def _run_VerifyAuthenticationToken(self, data: dict[str, Any]) -> None:
        return None

    def _run_QueryServerState(self, data: dict[str, Any]) -> dict[str, Any]:
        return {"ServerGameState": self.state()}

    def _run_GetServerOptions(self, data: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            return {"ServerOptions": dict(self.options), "PendingServerOptions": dict(self.pending_options)}

    def _run_SaveGame(self, data: dict[str, Any]) -> None:
        self._save(data["SaveName"])

    def _run_RunCommand(self, data: dict[str, Any]) -> dict[str, Any]:
        line = data["Command"].strip()
        if not line:
            raise _Refusal(200, "bad_request", "The command is empty")
        with self._lock:
            self.commands.append(line)
        output, ok = self._console(line)
        return {"CommandResult": output, "ReturnValue": ok}

    def _run_Shutdown(self, data: dict[str, Any]) -> None:
        with self._lock:
            self.shutdowns += 1

    def _save(self, name: str) -> str:
        if not self.game_loaded:
            raise _Refusal(200, "save_game_failed", "No session is loaded on this server")
        clean = "".join("_" if char in '<>:"/\\|?*' or ord(char) < 32 else char for char in name).strip(" .")
        if not clean:
            raise _Refusal(200, "save_game_failed", "The save name is empty")
        with self._lock:
            self.saves.append(clean)
        return clean

    def _console(self, line: str) -> tuple[str, bool]:
        command, *arguments = line.split()
        wanted = command.casefold()
        if wanted == "help":
            return "\n".join(f"{name} - {text}" for name, text in CONSOLE_COMMANDS.items()), True
        if wanted == "server.savegame":
            if not arguments:
                return "Usage: server.SaveGame <name>", False
            try:
                return f"Saved the game as {self._save(' '.join(arguments))}", True
            except _Refusal as refusal:
                return refusal.message, False
        if wanted == "server.generateapitoken":
            return f"New API token: {self.add_token()}", True
        if wanted == "server.invalidateapitokens":
            self.invalidate_tokens()
            return "Invalidated all API tokens", True
        for name, value in self.options.items():
            if name.casefold() == wanted:
                return f'{name} = "{value}"      LastSetBy: Constructor', True
        return f"Command not recognized: {line}", False


# -- reading a request ----------------------------------------------------------------------------------------------


def _read_request(method: str, target: str, headers: Message, body: bytes) -> tuple[str, Any]:
    """(function name, data) from a request; _Refusal when the request cannot be read."""
    url = urlsplit(target)
    if url.path.rstrip("/") != "/api/v1":
        raise _Refusal(404, "not_found", f"There is nothing at {url.path}; the API is at /api/v1")
    if method == "GET":
        names = parse_qs(url.query).get("function")
        if not names:
            raise _Refusal(200, "bad_request", "A GET request names its function with ?function=")
        return names[0], None
    envelope = _json_body(headers, body)
    if not isinstance(envelope, dict):
        raise _Refusal(200, "bad_request", "The request body is not a JSON object")
    function = _get_folded(envelope, "function")
    if not isinstance(function, str) or not function:
        raise _Refusal(200, "bad_request", "The request names no function", {"missingParameters": ["function"]})
    return function, _get_folded(envelope, "data")


def _json_body(headers: Message, body: bytes) -> Any:
    content_type = headers.get("Content-Type")
    if content_type is not None and headers.get_content_type() != "application/json":
        raise _Refusal(415, "unsupported_media_type", f"Content type {headers.get_content_type()} is not supported")
    charset = headers.get_content_charset() or "utf-8"
    try:
        codecs.lookup(charset)
    except LookupError:
        raise _Refusal(415, "unsupported_media_type", f"Charset {charset} is not supported") from None
    raw = _decompress(headers.get("Content-Encoding", ""), body)
    try:
        return json.loads(raw.decode(charset))
    except (ValueError, UnicodeDecodeError):
        raise _Refusal(400, "invalid_json", "The request body could not be parsed as JSON") from None


def _decompress(encoding: str, body: bytes) -> bytes:
    """The body under its Content-Encoding: only gzip and deflate, as the document says (deflate: zlib or raw)."""
    coding = encoding.strip().lower()
    if coding in ("", "identity"):
        return body
    if coding not in ("gzip", "deflate"):
        raise _Refusal(415, "unsupported_media_type", f"Content encoding {encoding} is not supported")
    for window in ((31,) if coding == "gzip" else (15, -15)):
        inflater = zlib.decompressobj(window)
        try:
            raw = inflater.decompress(body, MAX_BODY + 1)
        except zlib.error:
            continue
        if len(raw) > MAX_BODY:
            raise _Refusal(400, "invalid_json", "The request body is too large")
        return raw
    raise _Refusal(400, "invalid_json", f"The request body is not valid {coding} data")


def _params(spec: ApiFunction, data: Any) -> dict[str, Any]:
    """The function's parameters with their documented names; key case does not matter, as on the real server."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise _Refusal(200, "bad_request", "`data` must be an object")
    missing = [name for name in spec.params if _get_folded(data, name) is None]
    if missing:
        raise _Refusal(200, "bad_request", f"Missing required parameter: {', '.join(missing)}",
                       {"missingParameters": missing})
    wrong = [name for name in spec.params if not isinstance(_get_folded(data, name), str)]
    if wrong:
        raise _Refusal(200, "bad_request", f"Parameter {', '.join(wrong)} must be a string",
                       {"invalidParameters": wrong})
    return {name: _get_folded(data, name) for name in spec.params}


def _get_folded(mapping: dict[str, Any], name: str) -> Any:
    return next((value for key, value in mapping.items() if key.casefold() == name.casefold()), None)


def _bearer(headers: Message) -> str | None:
    """The token of an `Authorization: Bearer` header; "" for a header in another scheme (it cannot be parsed)."""
    value = headers.get("Authorization")
    if value is None:
        return None
    scheme, _, token = value.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


# -- writing an answer ----------------------------------------------------------------------------------------------


def _json(value: Any) -> bytes:
    return json.dumps(value).encode("utf-8")


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _camel(value: Any) -> Any:
    """Every property name lower-case first; the keys of map properties (option names) stay as they are."""
    if not isinstance(value, dict):
        return value
    return {_lower_first(key): item if key in _MAP_PROPERTIES else _camel(item) for key, item in value.items()}


# -- the server -----------------------------------------------------------------------------------------------------


class _Handler(EmulatorHandler):
    methods = ("GET", "POST")
    server_version = "FactoryServer"
    server: TlsHttpServer

    def _handle(self, method: str) -> None:
        emulator = self.server.emulator
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True  # the body is not read, so the connection cannot carry another request
            answer = _Answer(400, _json({"errorCode": "invalid_json", "errorMessage": "The request is too large"}))
        else:
            body = self.rfile.read(length) if length > 0 else b""
            try:
                answer = emulator.answer(method, self.path, self.headers, body)
            except Exception:  # a bug here must still answer, or the client would wait for its timeout
                answer = _Answer(500, _json({"errorCode": "internal_error", "errorMessage": "Internal error"}))
        if answer.stops_server:
            emulator.go_down(keep=self.connection)  # nobody else gets in while Shutdown's answer goes out
            self.close_connection = True
        self.send_response(answer.status)
        if answer.status != 204:
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if answer.status != 204:
            self.wfile.write(answer.body)

