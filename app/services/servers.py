"""The game servers of the side panels: the configured list, one client per server, status polls and events.

One mechanism serves every kind of server. A *provider* per kind (Fika, dedicated) knows how to build its client and
read a status; `ServersService` keeps the list, the secrets and the certificate pins; `ServerWatcher` polls one
server with back-off while it is down and turns the difference between two polls into events for notifications.

Certificates: a server is reached only through a TLS context that trusts exactly its pinned certificate, or, when
nothing is pinned, the usual certificate authorities. A rejected certificate is then looked at (without sending
anything to the server) and reported as a first contact or as a changed certificate, never silently accepted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

import httpx

from app.core.cert_pins import CertPins, Pin, address_of
from app.core.data_dir import DataDir
from app.core.errors import KappaError
from app.core.local_server import read_local_server
from app.core.secrets import delete_secret, get_secret, set_secret
from app.core.settings import ServerEntry, SettingsStore, first_validation_error
from app.core.spt_install import open_install
from app.core.words import seconds_in_words
from app.net.dedicated import DedicatedClient, DedicatedError, Health, ServerOptions, ServerState
from app.net.fika import FikaClient, Headless, Player, Raid
from app.net.http import ServerUnreachable, create_client
from app.net.tls import (
    CertificateProblem,
    PresentedCertificate,
    certificate_from_file,
    check_presented,
    default_context,
    fetch_certificate,
    pinned_context,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
Client = FikaClient | DedicatedClient


class ServerConfigError(KappaError):
    """A server cannot be added, changed or found as asked."""


# -- what a poll yields

@dataclass(frozen=True)
class FikaStatus:
    raids: list[Raid]
    players: list[Player]
    headless: list[Headless]
    heartbeat_s: float


@dataclass(frozen=True)
class DedicatedStatus:
    health: Health
    state: ServerState | None  # None when the token is missing or refused (health needs none)
    options: ServerOptions | None
    problem: str | None = None  # why state and options are missing


@dataclass(frozen=True)
class ServerSnapshot:
    entry: ServerEntry
    reachable: bool
    data: FikaStatus | DedicatedStatus | None = None
    error: str | None = None  # a sentence for the user
    reason: str | None = None  # a few words for a status line
    updated_at: float | None = None  # time.time() of the last poll that got an answer
    down_since: float | None = None
    certificate_problem: CertificateProblem | None = None

    def status_line(self, now: float | None = None) -> str:
        now = time.time() if now is None else now
        if self.certificate_problem is not None:
            return f"not connected: {self.certificate_problem.reason}"
        if self.reachable and self.updated_at is not None:
            problem = ", but refused what was asked" if self.error else ""
            return f"updated {seconds_in_words(now - self.updated_at)} ago{problem}"
        if self.down_since is not None:
            since = time.strftime("%H:%M", time.localtime(self.down_since))
            return f"unreachable since {since} ({self.reason or 'no answer'})"
        return "not polled yet"


EventKind = Literal["player_online", "player_offline", "raid_started", "raid_ended", "headless_ready"]


@dataclass(frozen=True)
class ServerEvent:
    server: str
    kind: EventKind
    text: str


# -- one provider per kind of server

class Provider(Protocol):
    def client(self, entry: ServerEntry, secret: str | None, http: httpx.AsyncClient) -> Client: ...

    async def status(self, client: Any) -> FikaStatus | DedicatedStatus: ...


class FikaProvider:
    def client(self, entry: ServerEntry, secret: str | None, http: httpx.AsyncClient) -> FikaClient:
        return FikaClient(entry.url, secret, http)

    async def status(self, client: FikaClient) -> FikaStatus:
        heartbeat = await client.heartbeat()  # first, alone: a wrong key or a missing mod says so once
        raids, players, headless = await asyncio.gather(client.raids(), client.players(), client.headless())
        return FikaStatus(raids=with_maps(raids, players), players=players, headless=headless, heartbeat_s=heartbeat)


def with_maps(raids: list[Raid], players: list[Player]) -> list[Raid]:
    """Since Fika 2.2.1 a raid no longer names its map; the players in it do."""
    where = {player.profile_id: player.location_name for player in players if player.location > 1}  # not hideout
    return [raid if raid.location else replace(raid, location=next(
        (where[profile_id] for profile_id in raid.players if profile_id in where), None)) for raid in raids]


class DedicatedProvider:
    def client(self, entry: ServerEntry, secret: str | None, http: httpx.AsyncClient) -> DedicatedClient:
        return DedicatedClient(entry.url, secret, http)

    async def status(self, client: DedicatedClient) -> DedicatedStatus:
        health = await client.health()
        try:
            state, options = await asyncio.gather(client.state(), client.options())
        except DedicatedError as exc:  # health answers without a token; the rest may not
            return DedicatedStatus(health=health, state=None, options=None, problem=str(exc))
        return DedicatedStatus(health=health, state=state, options=options)


PROVIDERS: dict[str, Provider] = {"fika": FikaProvider(), "dedicated": DedicatedProvider()}


# -- where secrets are kept

class SecretStore(Protocol):
    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str) -> None: ...

    def delete(self, name: str) -> None: ...


class KeyringSecrets:
    def get(self, name: str) -> str | None:
        return get_secret(name)

    def set(self, name: str, value: str) -> None:
        set_secret(name, value)

    def delete(self, name: str) -> None:
        delete_secret(name)


class MemorySecrets:
    """For the demo, whose sandbox keys are not secrets and which must work where no OS keyring exists."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def set(self, name: str, value: str) -> None:
        self.values[name] = value

    def delete(self, name: str) -> None:
        self.values.pop(name, None)


def secret_name(server: str) -> str:
    return f"server:{server}"


# -- the service

class ServersService:
    def __init__(self, data_dir: DataDir, *, secrets: SecretStore | None = None) -> None:
        self.settings = SettingsStore(data_dir)
        self.pins = CertPins(data_dir)
        self.secrets = secrets or KeyringSecrets()
        self._clients: dict[str, tuple[httpx.AsyncClient, Client]] = {}

    # the list
    def list(self) -> list[ServerEntry]:
        return list(self.settings.load().servers)

    def get(self, name: str) -> ServerEntry:
        for entry in self.list():
            if entry.name.casefold() == name.casefold():
                return entry
        known = ", ".join(entry.name for entry in self.list()) or "none yet"
        raise ServerConfigError(f"there is no server named {name!r} (servers: {known})")

    def add(self, name: str, kind: str, url: str, *, secret: str | None = None, notify: bool = False,
            spt_root: str | None = None) -> ServerEntry:
        entry = make_entry(name=name, kind=kind, url=url, notify=notify, spt_root=spt_root)
        settings = self.settings.load()
        if any(other.name.casefold() == entry.name.casefold() for other in settings.servers):
            raise ServerConfigError(f"a server named {entry.name!r} exists already; pick another name")
        if secret:
            self.secrets.set(secret_name(entry.name), secret)
        self.settings.save(settings.model_copy(update={"servers": [*settings.servers, entry]}))
        return entry

    def update(self, name: str, *, new_name: str | None = None, url: str | None = None, notify: bool | None = None,
               secret: str | None = None, clear_secret: bool = False) -> ServerEntry:
        """Change a server; a secret of None keeps the stored one."""
        old = self.get(name)
        changes = {key: value for key, value in (("name", new_name), ("url", url), ("notify", notify))
                   if value is not None}
        entry = make_entry(**{**old.model_dump(), **changes})
        settings = self.settings.load()
        if entry.name.casefold() != old.name.casefold() and any(
                other.name.casefold() == entry.name.casefold() for other in settings.servers):
            raise ServerConfigError(f"a server named {entry.name!r} exists already; pick another name")
        kept = None if clear_secret else secret or self.secrets.get(secret_name(old.name))
        self.secrets.delete(secret_name(old.name))
        if kept:  # under the (new) name
            self.secrets.set(secret_name(entry.name), kept)
        servers = [entry if other.name == old.name else other for other in settings.servers]
        self.settings.save(settings.model_copy(update={"servers": servers}))
        self._drop_client(old.name)
        return entry

    def remove(self, name: str) -> ServerEntry:
        entry = self.get(name)
        settings = self.settings.load()
        self.settings.save(settings.model_copy(
            update={"servers": [other for other in settings.servers if other.name != entry.name]}))
        self.secrets.delete(secret_name(entry.name))
        self._drop_client(entry.name)
        return entry

    def has_secret(self, name: str) -> bool:
        return self._secret_of(self.get(name)) is not None

    def add_local_fika(self, spt_root: Path, *, name: str = "Local Fika", notify: bool = True) -> ServerEntry:
        """The Fika server of a local SPT install, in one step: its address and key from the install's own
        configuration, its certificate pinned from `user/certs/`."""
        local = read_local_server(open_install(spt_root))
        if not local.fika_installed:
            raise ServerConfigError(f"the Fika server mod is not installed in {spt_root}; install it first")
        entry = self.add(name, "fika", local.url, notify=notify, spt_root=str(spt_root))
        if local.certificate_file is not None:
            self.pins.pin(address_of(local.url), certificate_from_file(local.certificate_file), source="spt-install")
        return entry

    # certificates
    async def certificate(self, name: str) -> PresentedCertificate:
        host, port = _host_and_port(self.get(name).url)
        return await fetch_certificate(host, port)

    def trust(self, name: str, presented: PresentedCertificate) -> Pin:
        entry = self.get(name)
        pin = self.pins.pin(address_of(entry.url), presented.der, source="user")
        self._drop_client(entry.name)
        return pin

    def pin_of(self, name: str) -> Pin | None:
        return self.pins.get(address_of(self.get(name).url))

    # talking to servers
    async def poll(self, name: str, previous: ServerSnapshot | None = None) -> ServerSnapshot:
        """One status poll. `previous` carries the last answer's time and the start of an outage forward."""
        entry = self.get(name)
        now = time.time()
        try:
            data = await self.act(entry.name, PROVIDERS[entry.kind].status)
        except CertificateProblem as problem:
            return ServerSnapshot(entry=entry, reachable=False, error=str(problem), reason=problem.reason,
                                  certificate_problem=problem, down_since=_down_since(previous, now))
        except ServerUnreachable as exc:
            return ServerSnapshot(entry=entry, reachable=False, error=str(exc), reason=exc.reason,
                                  updated_at=previous.updated_at if previous else None,
                                  down_since=_down_since(previous, now))
        except KappaError as exc:  # it answered, but not with what we asked (wrong key, no Fika mod, bad JSON)
            return ServerSnapshot(entry=entry, reachable=True, error=str(exc), updated_at=now)
        problem = data.problem if isinstance(data, DedicatedStatus) else None
        return ServerSnapshot(entry=entry, reachable=True, data=data, updated_at=now, error=problem)

    async def act(self, name: str, work: Callable[[Any], Awaitable[T]]) -> T:
        """Run `work(client)` against a server; a rejected certificate becomes a `CertificateProblem`."""
        entry = self.get(name)
        for attempt in range(2):
            try:
                return await work(self._client(entry))
            except ServerUnreachable as exc:
                if not exc.certificate_rejected:
                    raise
                problem = await self._certificate_problem(entry)
                if problem is None and attempt == 0:
                    continue  # the install's own new certificate was pinned: once more with it
                raise (problem or exc) from None
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        clients, self._clients = self._clients, {}
        for http, _ in clients.values():
            await http.aclose()

    # internals
    def _client(self, entry: ServerEntry) -> Client:
        if entry.name not in self._clients:
            pin = self.pins.get(address_of(entry.url))
            http = create_client(verify=pinned_context(pin.der) if pin else default_context(),
                                 timeout=httpx.Timeout(10.0, connect=5.0))
            self._clients[entry.name] = (http, PROVIDERS[entry.kind].client(entry, self._secret_of(entry), http))
        return self._clients[entry.name][1]

    def _drop_client(self, name: str) -> None:
        dropped = self._clients.pop(name, None)
        if dropped is not None:
            _close_later(dropped[0])

    def _secret_of(self, entry: ServerEntry) -> str | None:
        if entry.spt_root is not None:  # read afresh: the host may have regenerated the key
            with contextlib.suppress(KappaError, OSError):
                return read_local_server(open_install(Path(entry.spt_root))).api_key
        return self.secrets.get(secret_name(entry.name))

    async def _certificate_problem(self, entry: ServerEntry) -> CertificateProblem | None:
        """Why the certificate was rejected; None when it is the one the server's own SPT install holds now
        (it was regenerated): that one is pinned, as when the server was added."""
        address = address_of(entry.url)
        host, port = _host_and_port(entry.url)
        presented = await fetch_certificate(host, port)
        pin = self.pins.get(address)
        if entry.spt_root is not None and self._install_certificate_is(entry, presented):
            # The certificate the user's own SPT install just generated: pin it as we did when it was added.
            self.pins.pin(address, presented.der, source="spt-install")
            self._drop_client(entry.name)
            return None
        if pin is not None and pin.sha256 == presented.sha256:  # pinned, yet refused for another reason
            return None
        try:
            check_presented(address, presented, pin, server_name=entry.name)
        except CertificateProblem as problem:
            return problem
        return None

    def _install_certificate_is(self, entry: ServerEntry, presented: PresentedCertificate) -> bool:
        try:
            local = read_local_server(open_install(Path(entry.spt_root or "")))
            return (local.certificate_file is not None
                    and certificate_from_file(local.certificate_file) == presented.der)
        except (KappaError, OSError, ValueError):
            return False


def make_entry(**fields: Any) -> ServerEntry:
    try:
        return ServerEntry.model_validate(fields)
    except ValueError as exc:
        raise ServerConfigError(first_validation_error(exc)) from None


def _host_and_port(url: str) -> tuple[str, int]:
    parsed = httpx.URL(url)
    return parsed.host, parsed.port or 443


def _down_since(previous: ServerSnapshot | None, now: float) -> float:
    if previous is not None and not previous.reachable and previous.down_since is not None:
        return previous.down_since
    return now


def _close_later(http: httpx.AsyncClient) -> None:
    with contextlib.suppress(RuntimeError):  # no running loop: the client is garbage collected instead
        task = asyncio.get_running_loop().create_task(http.aclose())
        _BACKGROUND.add(task)
        task.add_done_callback(_BACKGROUND.discard)


_BACKGROUND: set[asyncio.Task[None]] = set()


# -- events between two polls

def events_between(server: str, old: FikaStatus | None, new: FikaStatus) -> list[ServerEvent]:
    """What a player would want to be told about: who came and went, which raids began and ended, and the headless
    client becoming ready. Nothing is reported for the first poll (everything would look new)."""
    if old is None:
        return []
    events: list[ServerEvent] = []
    before = {player.profile_id: player for player in old.players}
    after = {player.profile_id: player for player in new.players}
    for profile_id in after.keys() - before.keys():
        events.append(ServerEvent(server, "player_online", f"{after[profile_id].nickname} came online"))
    for profile_id in before.keys() - after.keys():
        events.append(ServerEvent(server, "player_offline", f"{before[profile_id].nickname} went offline"))
    old_raids = {raid.match_id: raid for raid in old.raids}
    new_raids = {raid.match_id: raid for raid in new.raids}
    for match_id, raid in new_raids.items():
        if match_id not in old_raids and raid.status != "COMPLETE":
            events.append(ServerEvent(server, "raid_started", f"{raid.host} started a raid{_on(raid)}"))
    for match_id, raid in old_raids.items():
        ended = match_id not in new_raids or new_raids[match_id].status == "COMPLETE"
        if ended and raid.status != "COMPLETE":
            events.append(ServerEvent(server, "raid_ended", f"{raid.host}'s raid{_on(raid)} ended"))
    was_ready = {client.profile_id for client in old.headless if client.ready}
    for client in new.headless:
        if client.ready and client.profile_id not in was_ready:
            events.append(ServerEvent(server, "headless_ready", f"the headless client {client.nickname} is ready"))
    return events


def _on(raid: Raid) -> str:
    return f" on {raid.location}" if raid.location else ""


# -- polling one server

class ServerWatcher:
    """Polls one server every `interval` seconds while it answers, backing off up to `max_interval` while it
    does not, and reports each snapshot and the events between two snapshots to plain callbacks."""

    def __init__(self, service: ServersService, name: str, *,
                 on_snapshot: Callable[[ServerSnapshot], None],
                 on_events: Callable[[Sequence[ServerEvent]], None] = lambda events: None,
                 interval: float = 5.0, max_interval: float = 60.0) -> None:
        self.service = service
        self.name = name
        self.on_snapshot = on_snapshot
        self.on_events = on_events
        self.interval = interval
        self.max_interval = max_interval
        self.last: ServerSnapshot | None = None
        self._last_fika: FikaStatus | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"watch:{self.name}")

    def poll_now(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def next_delay(self, failures: int) -> float:
        return min(self.max_interval, self.interval * 2 ** failures) if failures else self.interval

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                await self.poll_once()
            except ServerConfigError:  # removed or renamed meanwhile; its panel goes away with it
                return
            failures = 0 if self.last is not None and self.last.reachable else failures + 1
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.next_delay(max(0, failures - 1)))

    async def poll_once(self) -> ServerSnapshot:
        try:
            snapshot = await self.service.poll(self.name, self.last)
        except ServerConfigError:
            raise
        except Exception as exc:  # a watcher must never die of a surprise; say it in the panel instead
            log.exception("polling %s failed", self.name)
            entry = self.service.get(self.name)
            snapshot = ServerSnapshot(entry=entry, reachable=False, error=f"polling failed unexpectedly ({exc})",
                                      reason="unexpected error", down_since=_down_since(self.last, time.time()))
        self.last = snapshot
        events: list[ServerEvent] = []
        if isinstance(snapshot.data, FikaStatus):
            events = events_between(self.name, self._last_fika, snapshot.data)
            self._last_fika = snapshot.data
        try:  # a listener's bug must not stop the polling
            self.on_snapshot(snapshot)
            if events:
                self.on_events(events)
        except Exception:
            log.exception("a listener of %s failed", self.name)
        return snapshot
