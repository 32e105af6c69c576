"""`FikaEmulator`: a Fika 2.x server (SPT 4.x) on 127.0.0.1, over TLS with a self-signed certificate like SPT's.

It answers the admin API `fika/api/*` as project-fika/Fika-Server-CSharp does (`FikaServer/API/*.cs`): the
`RequireApiKey` texts, plain JSON, raids as an array (Fika 2.2.1+) or as the older object keyed by match id,
empty 200s for the actions, 400s with the controllers' sentences or ASP.NET's validation "problem details".

The server lives on its own clock: players come online and leave, raids go LOADING -> IN_GAME -> COMPLETE and
vanish, headless clients drop to NotReady and come back and host raids. Everything is drawn from one seeded random
generator, event by event, so that a seed and a clock give the same server every time; `advance(seconds)` moves the
emulator's clock for tests. At a 5-second poll something changes every half minute or so.

Admin actions change the state and are recorded (`messages`, `sent_items`, `flea_bans`, `logouts`, `restarts`) for
tests to check. `python -m app.sandbox.fika` runs one for a demo.
"""

from __future__ import annotations

import argparse
import json
import random
import string
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from app.sandbox.certificates import SelfSignedCertificate, TlsHttpServer, make_self_signed
from app.sandbox.serving import EmulatorHandler, TlsEmulator

DEFAULT_API_KEY = "demo-fika-api-key"
GAME_VERSION = "0.16.9.40087"
FIKA_VERSION = "2.2.0"  # what the old raids shape says it came from
JSON_TYPE = "application/json; charset=utf-8"
PROBLEM_TYPE = "application/problem+json; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"
RFC9110 = "https://tools.ietf.org/html/rfc9110"  # where ASP.NET's problem details point
NEVER = float("inf")

# -- data ---------------------------------------------------------------------------------------------------------

# (template id, name, stack size, description). Fika's items answer gives "stackable" = stack size x 10.
ITEMS: tuple[tuple[str, str, int, str], ...] = (
    ("5449016a4bdc2d6f028b456f", "Roubles", 500000, "The Russian currency; what most of Tarkov runs on."),
    ("5696686a4bdc2da3298b456a", "Dollars", 50000, "US dollars, traded by Peacekeeper."),
    ("569668774bdc2da2298b4568", "Euros", 50000, "Euros, traded by Skier."),
    ("59faff1d86f7746c51718c9c", "Physical Bitcoin", 1, "A coin-shaped keepsake of a cryptocurrency."),
    ("5c0530ee86f774697952d952", "LEDX Skin Transilluminator", 1, "A medical device for finding veins."),
    ("5d235bb686f77443f4331278", "SICC organizational pouch", 1, "A pouch for keys, cards and documents."),
    ("5c093ca986f7740a1867ab12", "Secure container Kappa", 1, "The collector's reward: a roomy secure container."),
    ("5857a8bc2459772bad15db29", "Secure container Gamma", 1, "A secure container with nine slots."),
    ("544a11ac4bdc2d470e8b456a", "Secure container Alpha", 1, "The smallest secure container."),
    ("5c0a840b86f7742ffa4f2482", "T H I C C item case", 1, "A huge case for nearly anything."),
    ("5b6d9ce188a4501afc1b2b25", "T H I C C Weapon case", 1, "A huge case for weapons."),
    ("5aafbcd986f7745e590fff23", "Medicine case", 1, "A case for medical supplies."),
    ("590c60fc86f77412b13fddcf", "Documents case", 1, "A case for papers, maps and cards."),
    ("5c94bbff86f7747ee735c08f", "TerraGroup Labs access keycard", 1, "A single-use pass into the Labs."),
    ("5c1d0efb86f7744baf2e7b7b", "TerraGroup Labs keycard (Red)", 1, "Opens the red door in the Labs."),
    ("5c1d0c5f86f7744bb2683cf0", "TerraGroup Labs keycard (Blue)", 1, "Opens the blue door in the Labs."),
    ("5780cf7f2459777de4559322", "Dorm room 314 marked key", 1, "The key to a marked room in the Customs dorms."),
    ("590c657e86f77412b013051d", "Grizzly medical kit", 1, "A large first aid kit that treats nearly anything."),
    ("5755356824597772cb798962", "AI-2 medkit", 1, "A small personal first aid kit."),
    ("590c678286f77426c9660122", "IFAK individual first aid kit", 1, "A compact kit that also stops bleeding."),
    ("544fb45d4bdc2dee738b4568", "Salewa first aid kit", 1, "A first aid kit that also stops light bleeding."),
    ("5e831507ea0a7c419c2f9bd9", "Esmarch tourniquet", 1, "Stops heavy bleeding."),
    ("5c10c8fd86f7743d7d706df3", "Adrenaline injector", 1, "A quick boost of strength and endurance."),
    ("5c0e534186f7747fa1419867", "eTG-change regenerative stimulant injector", 1, "Heals over time."),
    ("5448be9a4bdc2dfd2f8b456a", "RGD-5 hand grenade", 1, "An offensive fragmentation grenade."),
    ("5710c24ad2720bc3458b45a3", "F-1 hand grenade", 1, "A defensive fragmentation grenade."),
    ("56dff3afd2720bba668b4567", "5.45x39mm PS gs", 60, "Standard steel-core 5.45 ammunition."),
    ("54527ac44bdc2d36668b4567", "5.56x45mm M855A1", 60, "Enhanced 5.56 NATO ammunition."),
    ("59e690b686f7746c9f75e848", "5.56x45mm M995", 60, "Armour-piercing 5.56 NATO ammunition."),
    ("5656d7c34bdc2d9d198b4587", "7.62x39mm PS gzh", 60, "Steel-core 7.62x39 ammunition."),
    ("5efb0c1bd79ff02a1f5e68d9", "7.62x51mm M993", 40, "Armour-piercing 7.62 NATO ammunition."),
    ("5447a9cd4bdc2dbd208b4567", "Colt M4A1 5.56x45 assault rifle", 1, "A carbine for special operations."),
    ("5bb2475ed4351e00853264e3", "HK 416A5 5.56x45 assault rifle", 1, "A piston-driven carbine."),
    ("5ac66d2e5acfc43b321d4b53", "AK-103 7.62x39 assault rifle", 1, "A modern AK in 7.62x39."),
    ("5644bd2b4bdc2d3b4c8b4572", "AK-74N 5.45x39 assault rifle", 1, "The AK-74 with a scope mount."),
    ("5a367e5dc4a282000e49738f", "Remington R11 RSASS 7.62x51 marksman rifle", 1, "A semi-automatic marksman rifle."),
    ("545cdb794bdc2d3a198b456a", "6B43 6A Zabralo-Sh body armor", 1, "Heavy full-coverage body armour."),
    ("5aa7e276e5b5b000171d0647", "Altyn bulletproof helmet", 1, "A heavy titanium helmet with a visor."),
    ("5c0558060db834001b735271", "GPNVG-18 Night Vision goggles", 1, "Panoramic night vision."),
    ("57347ca924597744596b4e71", "Graphics card", 1, "A computer part, wanted for bitcoin farms."),
    ("5734758f24597738025ee253", "Golden neck chain", 1, "A heavy gold chain."),
    ("5d1b36a186f7742523398433", "Metal fuel tank", 1, "Fuel for the hideout's generator."),
    ("5448fee04bdc2dbc018b4567", "Bottle of water (0.6L)", 1, "Drinking water."),
    ("57347d7224597744596b4e72", "Can of beef stew (Small)", 1, "Tinned food."),
)
NICKNAMES = ("Kappa_Hunter", "LabRat", "CheekiBreeki", "ShturmanSleeps", "BEAR_Boris", "USEC_Mike",
             "WoodsWanderer", "Tagilla_Hammer", "ScavKing", "DormCamper")
HEADLESS_COUNT = 2
# (map id as raidConfig.location says it, EFikaLocation, the name locationData gives). Weighted by repetition.
MAPS: tuple[tuple[str, int, str], ...] = (
    ("bigmap", 3, "Customs"), ("bigmap", 3, "Customs"), ("factory4_day", 2, "Factory"),
    ("factory4_night", 2, "Factory"), ("woods", 4, "Woods"), ("woods", 4, "Woods"), ("shoreline", 5, "Shoreline"),
    ("interchange", 6, "Interchange"), ("interchange", 6, "Interchange"), ("rezervbase", 7, "Reserve"),
    ("tarkovstreets", 8, "Streets of Tarkov"), ("lighthouse", 9, "Lighthouse"), ("sandbox", 10, "Ground Zero"),
    ("laboratory", 11, "Laboratory"), ("labyrinth", 12, "Labyrinth"),
)
LAN_PREFIX = "192.168.1."
FIKA_PORT = 25565  # Fika's default port for the raid host
# Seconds between the moments a life changes (min, max), drawn uniformly.
OFFLINE_FOR = (240.0, 1200.0)
IDLE_FOR = (40.0, 160.0)  # online, in the menus or the hideout, before deciding what next
LOADING_FOR = (30.0, 75.0)
IN_GAME_FOR = (240.0, 720.0)
COMPLETE_FOR = (10.0, 25.0)
HEADLESS_READY_FOR = (240.0, 720.0)
HEADLESS_DOWN_FOR = (20.0, 45.0)
HEADLESS_RESTART_FOR = (12.0, 25.0)  # after an admin's restart
ID_EPOCH = 0x68000000  # MongoIds start with a creation time; this is April 2025


# -- state --------------------------------------------------------------------------------------------------------


@dataclass
class _Account:
    profile_id: str
    nickname: str
    level: int
    headless: bool = False
    experience: int = 0
    stats: dict[str, float] = field(default_factory=dict)


@dataclass
class _Player:
    account: _Account
    where: str = "offline"  # "offline" | "menu" | "hideout" | "raid"
    raid: str | None = None  # serverGuid of the raid while in one
    next_at: float = NEVER


@dataclass
class _Headless:
    account: _Account
    ready: bool = True
    raid: str | None = None
    next_at: float = NEVER


@dataclass
class _Raid:
    server_guid: str
    match_id: str  # the host's profile id, as Fika keys its matches
    host: str  # hostUsername
    map_index: int  # into MAPS
    started: float
    side: int
    time: int
    raid_code: str
    crc32: int
    ip: str
    raids: int
    headless: str | None  # the headless client's profile id when it hosts
    players: list[str] = field(default_factory=list)
    status: int = 0
    next_at: float = NEVER


@dataclass(frozen=True)
class SeenRequest:
    method: str
    path: str  # without the query
    headers: dict[str, str]
    status: int


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b""
    content_type: str | None = None


class _BadRequest(Exception):
    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


# -- the emulator -------------------------------------------------------------------------------------------------


class FikaEmulator(TlsEmulator):
    """A Fika server on 127.0.0.1 over TLS. Usable as a context manager."""

    def __init__(self, port: int = 0, *, api_key: str = DEFAULT_API_KEY, raids_shape: str = "array",
                 certificate: SelfSignedCertificate | None = None, clock: Callable[[], float] = time.time,
                 seed: int = 0, fika_installed: bool = True) -> None:
        if raids_shape not in ("array", "object"):
            raise ValueError(f"raids_shape must be 'array' or 'object', not {raids_shape!r}")
        self.api_key = api_key
        self.raids_shape = raids_shape
        super().__init__(port, certificate or make_self_signed("Fika emulator"), handler=_FikaHandler,
                         name="fika-emulator")
        self.clock = clock
        self.fika_installed = fika_installed
        # The admin actions, as the server received them: request bodies (dicts) and profile ids.
        self.messages: list[dict[str, Any]] = []
        self.sent_items: list[dict[str, Any]] = []  # senditem and senditemtoall bodies, one per request
        self.flea_bans: dict[str, int] = {}
        self.logouts: list[str] = []
        self.restarts: list[str] = []
        self._offset = 0.0
        self._lock = threading.RLock()
        self._requests: list[SeenRequest] = []
        self._scripted: dict[str, deque[Reply]] = {}
        self._rng = random.Random(seed)
        self._items = {tpl: (name, stack * 10, description) for tpl, name, stack, description in ITEMS}
        self._accounts: dict[str, _Account] = {}
        self._players: list[_Player] = []
        self._headless: list[_Headless] = []
        self._raids: dict[str, _Raid] = {}  # by serverGuid, in creation order
        self._hosted: dict[str, int] = {}  # raids hosted so far, by host profile id
        self._populate(self.now())

    # -- time

    def now(self) -> float:
        return self.clock() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the emulator's clock forward (the state catches up at once)."""
        with self._lock:
            self._offset += seconds
            self._catch_up(self.now())

    # -- for tests

    def answer_next(self, path: str, body: bytes | str, *, status: int = 200, content_type: str = JSON_TYPE) -> None:
        """Answer the next request of `path` ("fika/api/raids") with this, before the auth check: a broken server."""
        data = body.encode() if isinstance(body, str) else body
        with self._lock:
            self._scripted.setdefault(path.strip("/"), deque()).append(Reply(status, data, content_type))

    @property
    def requests(self) -> list[SeenRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def player_ids(self) -> list[str]:
        """Every player account's profile id (headless profiles excluded), in a fixed order."""
        return [player.account.profile_id for player in self._players]

    @property
    def headless_ids(self) -> list[str]:
        return [client.account.profile_id for client in self._headless]

    def nickname(self, profile_id: str) -> str:
        return self._accounts[profile_id].nickname

    def online_ids(self) -> list[str]:
        with self._lock:
            self._catch_up(self.now())
            return [p.account.profile_id for p in self._players if p.where != "offline"]

    def document(self, endpoint: str) -> Any:
        """What `fika/api/<endpoint>` answers right now (a read route), as Python data."""
        with self._lock:
            self._catch_up(self.now())
            return self._reads()[endpoint]()

    # -- the simulation

    def _between(self, bounds: tuple[float, float]) -> float:
        return self._rng.uniform(*bounds)

    def _new_id(self) -> str:
        created = ID_EPOCH + self._rng.randrange(0, 0x00800000)
        return f"{created:08x}{self._rng.getrandbits(64):016x}"

    def _populate(self, now: float) -> None:
        """The server as the demo opens on it: a raid under way, another loading, a few players in the menus and
        the hideout, one headless client ready and another coming up."""
        for nickname in NICKNAMES:
            level = self._rng.randint(3, 62)
            account = _Account(self._new_id(), nickname, level, experience=level * 41_000,
                               stats={"kills": float(self._rng.randint(10, 900)),
                                      "deaths": float(self._rng.randint(10, 400)),
                                      "headshots": float(self._rng.randint(2, 300)),
                                      "bossKills": float(self._rng.randint(0, 12))})
            self._accounts[account.profile_id] = account
            self._players.append(_Player(account))
        for _ in range(HEADLESS_COUNT):
            profile_id = self._new_id()
            account = _Account(profile_id, f"headless_{profile_id[-6:]}", 1, headless=True)
            self._accounts[profile_id] = account
            self._headless.append(_Headless(account))
        host, mate, loader = self._players[0], self._players[1], self._players[2]
        under_way = self._open_raid(host, now - 140.0, headless=None)
        self._join(under_way, mate)
        under_way.status, under_way.next_at = 1, now + self._between(IN_GAME_FOR)
        self._open_raid(loader, now - 5.0, headless=None)
        for player in self._players[3:]:  # the others, some of them online
            if self._rng.random() < 0.45:
                player.where = self._rng.choice(("menu", "hideout", "hideout"))
                player.next_at = now + self._between(IDLE_FOR)
            else:
                player.next_at = now + self._between(OFFLINE_FOR)
        self._headless[0].next_at = now + self._between(HEADLESS_READY_FOR)
        for client in self._headless[1:]:
            client.ready, client.next_at = False, now + self._between(HEADLESS_DOWN_FOR)

    def _catch_up(self, now: float) -> None:
        """Play every change due by `now`, in time order; each one draws the next from the seeded generator."""
        while True:
            due = self._next_due()
            if due is None or due[0] > now:
                return
            at, kind, target = due
            if kind == "player":
                self._player_moves(target, at)
            elif kind == "raid":
                self._raid_moves(target, at)
            else:
                self._headless_moves(target, at)

    def _next_due(self) -> tuple[float, str, Any] | None:
        best: tuple[float, str, Any] | None = None
        candidates: list[tuple[float, str, Any]] = [(r.next_at, "raid", r) for r in self._raids.values()]
        candidates += [(p.next_at, "player", p) for p in self._players]
        candidates += [(h.next_at, "headless", h) for h in self._headless]
        for candidate in candidates:  # ties: raids first, then players, then headless, each in a fixed order
            if candidate[0] != NEVER and (best is None or candidate[0] < best[0]):
                best = candidate
        return best

    def _player_moves(self, player: _Player, at: float) -> None:
        if player.where == "raid":  # died or extracted before the raid was over: back in the menus
            self._after_raid(player.account)
            self._leave_raid(player, at)
            player.where, player.next_at = "menu", at + self._between(IDLE_FOR)
            return
        if player.where == "offline":
            player.where = self._rng.choice(("menu", "hideout"))
            player.next_at = at + self._between(IDLE_FOR)
            return
        roll = self._rng.random()
        joinable = [raid for raid in self._raids.values() if raid.status == 0 and len(raid.players) < 5]
        ready = [client for client in self._headless if client.ready and client.raid is None]
        if roll < 0.3:
            player.where, player.next_at = "offline", at + self._between(OFFLINE_FOR)
        elif roll < 0.6 and joinable:
            self._join(self._rng.choice(joinable), player)
        elif roll < 0.7 and ready:
            client = self._rng.choice(ready)
            self._open_raid(player, at, headless=client)
        elif roll < 0.8:
            self._open_raid(player, at, headless=None)
        else:
            player.where = "hideout" if player.where == "menu" else "menu"
            player.next_at = at + self._between(IDLE_FOR)

    def _open_raid(self, player: _Player, at: float, *, headless: _Headless | None) -> _Raid:
        host = headless.account if headless is not None else player.account
        self._hosted[host.profile_id] = self._hosted.get(host.profile_id, 0) + 1
        raid = _Raid(
            server_guid=str(uuid.UUID(int=self._rng.getrandbits(128), version=4)),
            match_id=host.profile_id, host=host.nickname, map_index=self._rng.randrange(len(MAPS)),
            started=at, side=1 if self._rng.random() < 0.25 else 0, time=self._rng.randrange(2),
            raid_code="".join(self._rng.choices(string.ascii_uppercase + string.digits, k=6)),
            crc32=self._rng.getrandbits(32), ip=f"{LAN_PREFIX}{self._rng.randint(10, 250)}",
            raids=self._hosted[host.profile_id], headless=host.profile_id if headless is not None else None,
            next_at=at + self._between(LOADING_FOR))
        if headless is not None:
            headless.raid, headless.next_at = raid.server_guid, NEVER
        self._raids[raid.server_guid] = raid
        self._join(raid, player)
        for friend in self._players:  # some of those online make up their minds sooner, to join in time
            if friend.where in ("menu", "hideout") and self._rng.random() < 0.4:
                friend.next_at = min(friend.next_at, at + self._between((3.0, 20.0)))
        return raid

    def _join(self, raid: _Raid, player: _Player) -> None:
        raid.players.append(player.account.profile_id)
        player.where, player.raid, player.next_at = "raid", raid.server_guid, NEVER

    def _raid_moves(self, raid: _Raid, at: float) -> None:
        if raid.status == 0:
            playing = self._between(IN_GAME_FOR)
            raid.status, raid.next_at = 1, at + playing
            for profile_id in raid.players:  # some guests will not see the end of it
                player = self._player(profile_id)
                if player is not None and profile_id != raid.match_id and self._rng.random() < 0.4:
                    player.next_at = at + self._rng.uniform(60.0, playing)
        elif raid.status == 1:
            self._complete(raid, at)
        else:
            del self._raids[raid.server_guid]

    def _complete(self, raid: _Raid, at: float) -> None:
        """The raid is over: its players are back in the menus, with a little experience and a few kills."""
        raid.status, raid.next_at = 2, at + self._between(COMPLETE_FOR)
        for profile_id in raid.players:
            player = self._player(profile_id)
            if player is None or player.raid != raid.server_guid:
                continue
            self._after_raid(player.account)
            player.where, player.raid = "menu", None
            player.next_at = at + self._between(IDLE_FOR)
        client = self._headless_client(raid.headless)
        if client is not None and client.raid == raid.server_guid:
            client.raid = None
            if self._rng.random() < 0.35:  # like Fika's restartAfterAmountOfRaids: a fresh start now and then
                client.ready, client.next_at = False, at + self._between(HEADLESS_DOWN_FOR)
            else:
                client.next_at = at + self._between(HEADLESS_READY_FOR)

    def _after_raid(self, account: _Account) -> None:
        account.experience += self._rng.randint(2_000, 30_000)
        account.level = min(79, max(account.level, account.experience // 41_000))
        survived = self._rng.random() < 0.6
        account.stats["kills"] = account.stats.get("kills", 0.0) + self._rng.randint(0, 6)
        account.stats["deaths"] = account.stats.get("deaths", 0.0) + (0 if survived else 1)

    def _leave_raid(self, player: _Player, at: float) -> None:
        raid = self._raids.get(player.raid or "")
        player.raid = None
        if raid is None:
            return
        if player.account.profile_id in raid.players:
            raid.players.remove(player.account.profile_id)
        if raid.status != 2 and (raid.match_id == player.account.profile_id or not raid.players):
            self._complete(raid, at)  # the host left, or the last player: the raid is over

    def _headless_moves(self, client: _Headless, at: float) -> None:
        if client.ready:
            client.ready, client.next_at = False, at + self._between(HEADLESS_DOWN_FOR)
        else:
            client.ready, client.next_at = True, at + self._between(HEADLESS_READY_FOR)

    def _player(self, profile_id: str) -> _Player | None:
        return next((p for p in self._players if p.account.profile_id == profile_id), None)

    def _headless_client(self, profile_id: str | None) -> _Headless | None:
        return next((h for h in self._headless if h.account.profile_id == profile_id), None)

    # -- answering (handler threads)

    def answer(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        """The whole server: one request in, one reply out (the handler only moves bytes)."""
        parts = urlsplit(target)
        path = parts.path.strip("/")
        with self._lock:
            reply = self._answer(method, path, parts.query, headers, body)
            self._requests.append(SeenRequest(method, "/" + path, dict(headers), reply.status))
        return reply

    def _answer(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Reply:
        scripted = self._scripted.get(path)
        if scripted:
            return scripted.popleft()
        if not self.fika_installed or not path.startswith("fika/api/"):
            return Reply(404)  # SPT without the Fika mod has no such route
        endpoint = path.removeprefix("fika/api/")
        reads, actions = self._reads(), self._actions()
        known = {("GET", name) for name in reads} | {("GET", "heartbeat"), ("GET", "rawprofile")}
        known |= set(actions)
        if (method, endpoint) not in known:
            return Reply(405 if any(name == endpoint for _, name in known) else 404)
        refused = self._check_key(headers)
        if refused is not None:
            return refused
        self._catch_up(self.now())
        if endpoint == "heartbeat":
            return Reply(200)
        if method == "GET" and endpoint == "rawprofile":
            return self._raw_profile(parse_qs(query).get("profileId", [""])[0])
        if method == "GET":
            return _json(200, reads[endpoint]())
        try:
            return actions[(method, endpoint)](headers, body)
        except _BadRequest as refusal:
            return refusal.reply

    def _check_key(self, headers: dict[str, str]) -> Reply | None:
        """RequireApiKey, to the letter (FikaServer/Models/FikaApiKeyAttribute.cs)."""
        token = _header(headers, "Authorization")
        if token is None:
            return Reply(401, b"Unauthorized: Missing Authorization header", TEXT_TYPE)
        if not token or not token.lower().startswith("bearer "):
            return Reply(401, b"Unauthorized: Invalid Authorization format", TEXT_TYPE)
        if token[7:].strip() != self.api_key:
            return Reply(403, b"Forbidden: Invalid API Key", TEXT_TYPE)
        return None

    # reads

    def _reads(self) -> dict[str, Callable[[], Any]]:
        return {"raids": self._raids_document, "players": self._players_document,
                "headless": self._headless_document, "profiles": self._profiles_document,
                "items": self._items_document, "statistics": self._statistics_document}

    def _raids_document(self) -> Any:
        if self.raids_shape == "array":
            return [self._raid_array_entry(raid) for raid in self._raids.values()]
        return {raid.match_id: self._raid_object_entry(raid) for raid in self._raids.values()}

    def _raid_common(self, raid: _Raid) -> dict[str, Any]:
        return {"ips": [raid.ip], "serverGuid": raid.server_guid, "port": FIKA_PORT, "hostUsername": raid.host,
                "timestamp": int(raid.started), "crc32": raid.crc32, "gameVersion": GAME_VERSION,
                "status": raid.status, "timeout": 0, "side": raid.side, "time": raid.time,
                "raidCode": raid.raid_code, "natPunch": False, "isHeadless": raid.headless is not None,
                "raids": raid.raids}

    def _raid_array_entry(self, raid: _Raid) -> dict[str, Any]:
        """FikaMatchResponse (Fika 2.2.1+): players as a list of profile ids, no map."""
        return {**self._raid_common(raid), "players": list(raid.players), "useFikaNatPunchServer": False,
                "customRaidSettings": {"useCustomWeather": False, "disableOverload": False,
                                       "disableLegStamina": False, "disableArmStamina": False}}

    def _raid_object_entry(self, raid: _Raid) -> dict[str, Any]:
        """FikaMatch as older 2.x servers sent it: raidConfig and locationData (much shortened), players by id."""
        map_id, _, name = MAPS[raid.map_index]
        players = {profile_id: {"groupId": raid.match_id, "isDead": False, "isSpectator": False}
                   for profile_id in raid.players}
        return {**self._raid_common(raid), "fikaVersion": FIKA_VERSION, "players": players,
                "raidConfig": {"keyId": "", "side": "Savage" if raid.side else "Pmc", "location": map_id,
                               "timeVariant": "PAST" if raid.time else "CURR", "metabolismDisabled": False,
                               "playersSpawnPlace": "SamePlace"},
                "locationData": {"Id": map_id, "Name": name, "EscapeTimeLimit": 40, "Enabled": True}}

    def _players_document(self) -> dict[str, Any]:
        players = []
        for player in self._players:
            if player.where == "offline":
                continue
            raid = self._raids.get(player.raid or "")
            location = MAPS[raid.map_index][1] if raid is not None else 1 if player.where == "hideout" else 0
            account = player.account
            players.append({"profileId": account.profile_id, "nickname": account.nickname, "level": account.level,
                            "location": location})
        return {"players": players}

    def _headless_document(self) -> dict[str, Any]:
        clients = []
        for client in self._headless:
            raid = self._raids.get(client.raid or "")
            ids = list(raid.players) if raid is not None else []
            clients.append({"profileId": client.account.profile_id, "nickname": client.account.nickname,
                            "state": 0 if client.ready else 1, "players": len(ids), "profileIds": ids})
        return {"headlessClients": clients}

    def _profiles_document(self) -> list[dict[str, Any]]:
        return [{"nickname": account.nickname, "profileId": account.profile_id,
                 "hasFleaBan": account.profile_id in self.flea_bans, "level": account.level}
                for account in self._accounts.values()]

    def _items_document(self) -> dict[str, Any]:
        return {"items": {tpl: {"name": name, "description": description, "stackable": stackable}
                          for tpl, (name, stackable, description) in self._items.items()}}

    def _statistics_document(self) -> dict[str, Any]:
        players = []
        for account in self._accounts.values():
            if account.headless:
                continue
            stats = account.stats
            players.append({"nickname": account.nickname, "kills": stats.get("kills", 0.0),
                            "deaths": stats.get("deaths", 0.0), "ammoUsed": stats.get("kills", 0.0) * 37.0,
                            "bodyDamage": stats.get("kills", 0.0) * 410.0,
                            "armorDamage": stats.get("kills", 0.0) * 95.0, "headshots": stats.get("headshots", 0.0),
                            "bossKills": stats.get("bossKills", 0.0)})
        return {"players": players}

    def _raw_profile(self, profile_id: str) -> Reply:
        if not _is_mongo_id(profile_id):
            return _problem(400, "Bad Request", f"{RFC9110}#section-15.5.1")
        account = self._accounts.get(profile_id)
        if account is None:
            return _problem(404, "Not Found", f"{RFC9110}#section-15.5.5")
        bans = ([{"banType": 1, "dateTime": int(self.now()) + (self.flea_bans[profile_id] or 9999) * 86400}]
                if profile_id in self.flea_bans else [])
        pmc = {"_id": profile_id, "aid": int(profile_id[:8], 16) % 100000, "savage": None,
               "Info": {"Nickname": account.nickname, "LowerNickname": account.nickname.lower(),
                        "Side": "Bear" if account.nickname.startswith("BEAR") else "Usec", "Level": account.level,
                        "Experience": account.experience, "GameVersion": "standard", "Bans": bans}}
        document = {"info": {"id": profile_id, "username": account.nickname.lower(), "password": "", "wipe": False,
                             "edition": "Standard"},
                    "characters": {"pmc": pmc, "scav": {"_id": None, "Info": {"Level": 1}}},
                    "dialogues": {}, "spt": {"version": "4.0.0"}}
        return Reply(200, json.dumps(document, indent=2).encode(), "application/json; charset=utf-8")

    # actions: each reads its body as the controller's request record would, then acts

    def _actions(self) -> dict[tuple[str, str], Callable[[dict[str, str], bytes], Reply]]:
        return {("POST", "sendmessage"): self._send_message, ("POST", "senditem"): self._send_item,
                ("POST", "senditemtoall"): self._send_item_to_all, ("POST", "fleaban"): self._flea_ban,
                ("DELETE", "fleaban"): self._flea_unban, ("POST", "logout"): self._logout,
                ("POST", "restartheadless"): self._restart_headless}

    def _send_message(self, headers: dict[str, str], body: bytes) -> Reply:
        request = _read_body(headers, body, "SendMessageRequest", {"profileId": str, "message": str})
        _profile_id(request)
        self.messages.append(request)
        return Reply(200)

    def _item_request(self, headers: dict[str, str], body: bytes, record: str, ids: dict[str, type]) -> dict:
        request = _read_body(headers, body, record,
                             {**ids, "itemTpl": str, "amount": int, "message": str, "fir": bool | None,
                              "expirationDays": int | None})
        item = self._items.get(request["itemTpl"])
        if item is None:
            raise _BadRequest(Reply(400, b"That item could not be found.", TEXT_TYPE))
        if request["amount"] > item[1]:
            raise _BadRequest(Reply(400, b"Too many items requested. Please lower the amount and try again.",
                                    TEXT_TYPE))
        return request

    def _send_item(self, headers: dict[str, str], body: bytes) -> Reply:
        request = self._item_request(headers, body, "SendItemRequest", {"profileId": str})
        _profile_id(request)
        self.sent_items.append(request)
        return Reply(200)

    def _send_item_to_all(self, headers: dict[str, str], body: bytes) -> Reply:
        request = self._item_request(headers, body, "SendItemToAllRequest", {"profileIds": list})
        ids = request["profileIds"]
        if not all(isinstance(i, str) for i in ids):
            raise _BadRequest(_validation({"$.profileIds": ["The JSON value could not be converted to "
                                                            "System.String[]. Path: $.profileIds"]}))
        for profile_id in ids:
            _require_mongo_id(profile_id)
        self.sent_items.append(request)
        return Reply(200)

    def _flea_target(self, headers: dict[str, str], body: bytes, record: str, fields: dict[str, type],
                     empty_text: bytes) -> tuple[str, dict[str, Any]]:
        """FleaBanController's checks, in its order: a profile id at all, its format, a profile behind it."""
        request = _read_body(headers, body, record, fields)
        profile_id = request["profileId"]
        if not profile_id:
            raise _BadRequest(Reply(400, empty_text, TEXT_TYPE))
        if not _is_mongo_id(profile_id):
            raise _BadRequest(Reply(400, b"Invalid profile ID format.", TEXT_TYPE))
        if profile_id not in self._accounts:
            raise _BadRequest(Reply(404, b"Profile not found.", TEXT_TYPE))
        return profile_id, request

    def _flea_ban(self, headers: dict[str, str], body: bytes) -> Reply:
        profile_id, request = self._flea_target(headers, body, "AddFleaBanRequest",
                                                {"profileId": str, "amountOfDays": int}, b"Invalid request data.")
        self.flea_bans[profile_id] = request["amountOfDays"]
        return Reply(200)

    def _flea_unban(self, headers: dict[str, str], body: bytes) -> Reply:
        profile_id, _ = self._flea_target(headers, body, "ProfileIdRequest", {"profileId": str},
                                          b"Invalid request.")
        self.flea_bans.pop(profile_id, None)
        return Reply(200)

    def _logout(self, headers: dict[str, str], body: bytes) -> Reply:
        profile_id = _profile_id(_read_body(headers, body, "ProfileIdRequest", {"profileId": str}))
        self.logouts.append(profile_id)
        player = self._player(profile_id)
        if player is not None and player.where != "offline":
            now = self.now()
            self._leave_raid(player, now)
            player.where, player.next_at = "offline", now + self._between(OFFLINE_FOR)
        return Reply(200)

    def _restart_headless(self, headers: dict[str, str], body: bytes) -> Reply:
        """Unknown ids are a 200 that does nothing; a headless client whose socket is closed (NotReady) a 404."""
        profile_id = _profile_id(_read_body(headers, body, "ProfileIdRequest", {"profileId": str}))
        client = self._headless_client(profile_id)
        if client is not None:
            if not client.ready:
                return _problem(404, "Not Found", f"{RFC9110}#section-15.5.5")
            now = self.now()
            raid = self._raids.get(client.raid or "")
            if raid is not None and raid.status != 2:
                self._complete(raid, now)  # the raid it hosted dies with it
            client.raid = None
            client.ready, client.next_at = False, now + self._between(HEADLESS_RESTART_FOR)
        self.restarts.append(profile_id)
        return Reply(200)



# -- request bodies, validated as ASP.NET does for [ApiController] ------------------------------------------------


def _read_body(headers: dict[str, str], body: bytes, record: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The body as the C# record would be bound: 415 without JSON, 400 "problem details" for a bad one."""
    content_type = (_header(headers, "Content-Type") or "").split(";")[0].strip().lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise _BadRequest(_problem(415, "Unsupported Media Type", f"{RFC9110}#section-15.5.16"))
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise _BadRequest(_validation({"$": ["The input does not contain any JSON tokens or is not valid JSON."]})) \
            from None
    if not isinstance(document, dict):
        raise _BadRequest(_validation({"$": [f"The JSON value could not be converted to FikaShared.Requests."
                                             f"{record}. Path: $"]}))
    missing = [name for name, kind in fields.items() if name not in document and not _optional(kind)]
    if missing:
        names = ", ".join(f"'{name}'" for name in missing)
        raise _BadRequest(_validation({"$": [f"JSON deserialization for type 'FikaShared.Requests.{record}' was "
                                             f"missing required properties including: {names}."]}))
    for name, kind in fields.items():
        value = document.get(name)
        if value is None and _optional(kind):
            continue
        if not _is_kind(value, kind):
            raise _BadRequest(_validation({f"$.{name}": [f"The JSON value could not be converted to "
                                                         f"{_dotnet_type(kind)}. Path: $.{name}"]}))
    message = document.get("message")
    if isinstance(message, str) and len(message.encode("utf-16-le")) // 2 > 255:
        raise _BadRequest(_validation({"Message": ["The field Message must be a string or array type with a "
                                                   "maximum length of '255'."]}))
    return document


def _optional(kind: Any) -> bool:
    return kind in (bool | None, int | None)


def _is_kind(value: Any, kind: Any) -> bool:
    if kind in (int, int | None):
        return isinstance(value, int) and not isinstance(value, bool)
    if kind in (bool, bool | None):
        return isinstance(value, bool)
    return isinstance(value, kind)


def _dotnet_type(kind: Any) -> str:
    return {str: "System.String", list: "System.String[]"}.get(kind, "System.Boolean" if kind == bool | None
                                                                else "System.Int32")


def _profile_id(request: dict[str, Any]) -> str:
    return _require_mongo_id(request["profileId"])


def _require_mongo_id(value: str) -> str:
    """`new MongoId(text)` throws on a bad id; the real server answers 500 then, the emulator a plain 400."""
    if not _is_mongo_id(value):
        raise _BadRequest(Reply(400, b"Invalid profile ID format.", TEXT_TYPE))
    return value


def _is_mongo_id(value: str) -> bool:
    return len(value) == 24 and all(c in string.hexdigits for c in value)


def _header(headers: dict[str, str], name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def _json(status: int, document: Any) -> Reply:
    return Reply(status, json.dumps(document, separators=(",", ":")).encode(), JSON_TYPE)


def _problem(status: int, title: str, kind: str, **extra: Any) -> Reply:
    trace = f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-00"
    document = {"type": kind, "title": title, "status": status, **extra, "traceId": trace}
    return Reply(status, json.dumps(document).encode(), PROBLEM_TYPE)


def _validation(errors: dict[str, list[str]]) -> Reply:
    return _problem(400, "One or more validation errors occurred.", f"{RFC9110}#section-15.5.1",
                    errors={**errors, "request": ["The request field is required."]})


# -- the HTTP side: thin --------------------------------------------------------------------------------------------


class _FikaHandler(EmulatorHandler):
    methods = ("GET", "POST", "DELETE", "PUT")
    server_version = "Kestrel"
    timeout = 60
    server: TlsHttpServer

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        try:
            reply = self.server.emulator.answer(method, self.path, dict(self.headers.items()), body)
        except Exception:  # a bug here must still answer, or the client would wait for its timeout
            reply = Reply(500, b"", None)
        self.send_response(reply.status)
        if reply.content_type:
            self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)


def main(argv: list[str] | None = None) -> None:
    """Run an emulator until Ctrl+C, for trying the server panel by hand."""
    parser = argparse.ArgumentParser(prog="python -m app.sandbox.fika", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=6969)
    parser.add_argument("--key", default=DEFAULT_API_KEY)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--raids-shape", choices=("array", "object"), default="array")
    args = parser.parse_args(argv)
    with FikaEmulator(args.port, api_key=args.key, seed=args.seed, raids_shape=args.raids_shape) as emulator:
        print(f"Fika emulator at {emulator.base_url}\nAPI key: {emulator.api_key}\n"
              f"Certificate SHA-256: {emulator.certificate.sha256}\nCtrl+C stops it.")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
