"""`kappa servers …`, `kappa fika …` and `kappa dedicated …`: the side panels' command-line face, for headless hosts.

The same `ServersService` as the GUI's dock: servers are kept in the settings, keys in the OS keyring, certificates
pinned in the data dir. Every admin action says what it will do and asks first (`--yes` skips that).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import getpass
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from app.cli.output import EXIT_ERROR, EXIT_OK, confirm, print_json, table
from app.core.cert_pins import format_fingerprint, normalize_fingerprint
from app.core.data_dir import DataDir
from app.core.errors import KappaError
from app.core.secrets import NoKeyring
from app.core.spt_install import find_spt_root
from app.core.words import seconds_in_words
from app.net.dedicated import DedicatedClient
from app.net.fika import FikaClient, Item, Profile
from app.services.servers import DedicatedStatus, FikaStatus, ServerSnapshot, ServersService

T = TypeVar("T")


def register(commands: Any, add_global_options: Any) -> None:
    _register_servers(commands, add_global_options)
    _register_fika(commands, add_global_options)
    _register_dedicated(commands, add_global_options)


def _register_servers(commands: Any, add_global_options: Any) -> None:
    servers = commands.add_parser("servers", help="the game servers shown in the side panels (Fika, dedicated)")
    actions = servers.add_subparsers(title="actions", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="add a server")
    add.add_argument("name")
    add.add_argument("--kind", choices=("fika", "dedicated"), default="fika")
    add.add_argument("--url", help="the server's address, e.g. https://192.168.1.20:6969")
    add.add_argument("--key", metavar="SECRET",
                     help="the Fika API key or the dedicated server's API token (kept in the OS keyring); "
                          "'-' reads it from the terminal or standard input")
    add.add_argument("--from-spt", type=Path, metavar="PATH",
                     help="a local SPT install: read the Fika server's address and key from it, pin its certificate")
    add.add_argument("--notify", action="store_true", help="desktop notifications about players, raids, headless")
    add_global_options(add, suppress=True)
    add.set_defaults(handler=run_add)

    listing = actions.add_parser("list", help="list the servers")
    add_global_options(listing, suppress=True)
    listing.set_defaults(handler=run_list)

    remove = actions.add_parser("remove", help="remove a server (and its stored key)")
    remove.add_argument("name")
    add_global_options(remove, suppress=True)
    remove.set_defaults(handler=run_remove)

    trust = actions.add_parser("trust", help="connect, show the server's certificate and pin it")
    trust.add_argument("name")
    trust.add_argument("--fingerprint", metavar="SHA256",
                       help="pin only if the certificate has this SHA-256 fingerprint (as the host read it out)")
    add_global_options(trust, suppress=True)
    trust.set_defaults(handler=run_trust)

    status = actions.add_parser("status", help="live status of every server, or of one")
    status.add_argument("name", nargs="?")
    add_global_options(status, suppress=True)
    status.set_defaults(handler=run_status)


def _register_fika(commands: Any, add_global_options: Any) -> None:
    fika = commands.add_parser("fika", help="Fika admin actions (players, items, flea bans, headless clients)")
    action = _action_adder(fika, add_global_options, "Fika")

    action("profiles", "every profile on the server", run_fika_profiles)
    items = action("items", "search the server's items by name", run_fika_items)
    items.add_argument("text")
    message = action("message", "send a message to a player", run_fika_message)
    message.add_argument("player", help="nickname or profile id")
    message.add_argument("text")
    for name, help_text, handler in (("send-item", "send items to a player", run_fika_send_item),
                                     ("send-item-all", "send items to every player", run_fika_send_item_all)):
        send = action(name, help_text, handler)
        if name == "send-item":
            send.add_argument("player", help="nickname or profile id")
        send.add_argument("item", help="item name (or part of it) or template id")
        send.add_argument("--amount", type=int, default=1)
        send.add_argument("--message", default="", help="a message sent with the items")
        send.add_argument("--fir", action="store_true", help="mark them found in raid")
        send.add_argument("--expires", type=int, default=7, metavar="DAYS", help="days before the gift expires")
    ban = action("flea-ban", "ban a player from the flea market", run_fika_flea_ban)
    ban.add_argument("player")
    ban.add_argument("--days", type=int, default=0, help="0 (the default) bans for ever")
    unban = action("flea-unban", "lift a player's flea market ban", run_fika_flea_unban)
    unban.add_argument("player")
    logout = action("logout", "log a player out of the game", run_fika_logout)
    logout.add_argument("player")
    restart = action("restart-headless", "restart a headless client", run_fika_restart_headless)
    restart.add_argument("headless", help="the headless client's nickname or profile id")
    profile = action("profile", "print a player's raw profile (JSON)", run_fika_profile)
    profile.add_argument("player")


def _register_dedicated(commands: Any, add_global_options: Any) -> None:
    dedicated = commands.add_parser("dedicated", help="dedicated game server admin actions (save, command, shutdown)")
    action = _action_adder(dedicated, add_global_options, "dedicated")

    save = action("save", "save the game", run_dedicated_save)
    save.add_argument("save_name", metavar="SAVE_NAME")
    command = action("command", "run a console command and print its output", run_dedicated_command)
    command.add_argument("command", metavar="COMMAND")
    action("shutdown", "shut the server down (a restart script brings it back)", run_dedicated_shutdown)
    action("options", "print the server options (and those waiting for a restart)", run_dedicated_options)


def _action_adder(family: argparse.ArgumentParser, add_global_options: Any,
                  kind: str) -> Callable[[str, str, Callable[[argparse.Namespace], int]], argparse.ArgumentParser]:
    """`action(name, help, handler)` adds one admin action, with --server and the global options, to a family."""
    actions = family.add_subparsers(title="actions", metavar="ACTION", required=True)

    def action(name: str, help_text: str, handler: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
        parser = actions.add_parser(name, help=help_text)
        parser.add_argument("--server", metavar="NAME", help=f"which {kind} server (default: the only one)")
        add_global_options(parser, suppress=True)
        parser.set_defaults(handler=handler)
        return parser

    return action


# -- plumbing

def _service(args: argparse.Namespace) -> ServersService:
    return ServersService(DataDir.at(args.data_dir))


def _run(args: argparse.Namespace, work: Callable[[ServersService], Awaitable[T]]) -> T:
    async def session() -> T:
        service = _service(args)
        try:
            return await work(service)
        finally:
            await service.aclose()

    return asyncio.run(session())


def _only_server(service: ServersService, wanted: str | None, kind: str) -> str:
    if wanted:
        entry = service.get(wanted)
        if entry.kind != kind:
            raise KappaError(f"{entry.name!r} is a {entry.kind} server, not a {kind} server")
        return entry.name
    of_kind = [entry.name for entry in service.list() if entry.kind == kind]
    if len(of_kind) == 1:
        return of_kind[0]
    if not of_kind:
        raise KappaError(f"no {kind} server is set up; add one with `kappa servers add NAME --kind {kind} …`")
    raise KappaError(f"there are several {kind} servers ({', '.join(of_kind)}); choose one with --server NAME")


def _read_secret(value: str | None) -> str | None:
    if value != "-":
        return value
    secret = getpass.getpass("Key: ") if sys.stdin.isatty() else sys.stdin.readline().strip()
    if not secret:
        raise KappaError("no key was given")
    return secret


# -- kappa servers

def run_add(args: argparse.Namespace) -> int:
    service = _service(args)
    if args.from_spt is not None:
        if args.url or args.key:
            raise KappaError("--from-spt reads the address and key from the install; leave out --url and --key")
        if args.kind != "fika":
            raise KappaError("--from-spt adds the install's Fika server; it needs --kind fika")
        entry = service.add_local_fika(find_spt_root(args.from_spt), name=args.name, notify=args.notify)
        pin = service.pin_of(entry.name)
        print(f"Added {entry.name!r}: the Fika server of {entry.spt_root} at {entry.url}.")
        print("Its key is read from the install's fika.jsonc whenever Kappa connects.")
        if pin is not None:
            print(f"Its certificate is pinned from the install: SHA-256 {format_fingerprint(pin.sha256)}")
        return EXIT_OK
    if not args.url:
        raise KappaError("give the server's address with --url (or --from-spt PATH for a local SPT install)")
    try:
        entry = service.add(args.name, args.kind, args.url, secret=_read_secret(args.key), notify=args.notify)
    except NoKeyring as exc:
        raise KappaError(f"{exc}. Nothing was added. On a host without a keyring, add the Fika server of a local SPT "
                         "install with --from-spt PATH: its key is then read from fika.jsonc") from None
    print(f"Added {entry.name!r} ({entry.kind}) at {entry.url}.")
    if not args.key:
        print("No key was given: most of its API will refuse to answer until one is added.")
    print(f"On first contact Kappa shows its certificate; `kappa servers trust {_quoted(entry.name)}` pins it.")
    return EXIT_OK


def run_list(args: argparse.Namespace) -> int:
    service = _service(args)
    entries = service.list()
    if args.json:
        print_json({"servers": [_entry_json(service, entry.name) for entry in entries]})
        return EXIT_OK
    if not entries:
        print("No servers yet. Add one with `kappa servers add NAME --kind fika --url https://HOST:6969 --key KEY`.")
        return EXIT_OK
    rows = []
    for entry in entries:
        pin = service.pin_of(entry.name)
        rows.append((entry.name, entry.kind, entry.url,
                     "from the install" if entry.spt_root else ("stored" if service.has_secret(entry.name) else "none"),
                     f"{format_fingerprint(pin.sha256)[:23]}…" if pin else "not pinned",
                     "on" if entry.notify else "off"))
    print("\n".join(table(("NAME", "KIND", "URL", "KEY", "CERTIFICATE", "NOTIFY"), rows)))
    return EXIT_OK


def run_remove(args: argparse.Namespace) -> int:
    entry = _service(args).remove(args.name)
    print(f"Removed {entry.name!r} and its stored key.")
    return EXIT_OK


def run_trust(args: argparse.Namespace) -> int:
    expected = None
    if args.fingerprint:
        try:
            expected = normalize_fingerprint(args.fingerprint)
        except ValueError as exc:
            raise KappaError(str(exc)) from None

    async def work(service: ServersService) -> int:
        entry = service.get(args.name)
        presented = await service.certificate(entry.name)
        print(f"{entry.name} ({entry.url}) presents this certificate:")
        print(presented.describe())
        if expected is not None and presented.sha256 != expected:
            print(f"kappa: its fingerprint is not {format_fingerprint(expected)}: nothing was pinned. "
                  "Check the fingerprint on the server itself before trusting it.", file=sys.stderr)
            return EXIT_ERROR
        old = service.pin_of(entry.name)
        service.trust(entry.name, presented)
        if old is not None and old.sha256 != presented.sha256:
            print(f"Pinned it in place of the certificate pinned before ({format_fingerprint(old.sha256)}).")
        else:
            print("Pinned it: Kappa will connect to this server only while it shows this certificate.")
        return EXIT_OK

    return _run(args, work)


def run_status(args: argparse.Namespace) -> int:
    async def work(service: ServersService) -> list[ServerSnapshot]:
        names = [service.get(args.name).name] if args.name else [entry.name for entry in service.list()]
        return list(await asyncio.gather(*(service.poll(name) for name in names)))

    snapshots = _run(args, work)
    if args.json:
        print_json({"servers": [snapshot_json(snapshot) for snapshot in snapshots]})
    elif not snapshots:
        print("No servers yet. Add one with `kappa servers add NAME …`.")
    else:
        print("\n\n".join(format_snapshot(snapshot) for snapshot in snapshots))
    return EXIT_OK if all(snapshot.reachable and not snapshot.error for snapshot in snapshots) else EXIT_ERROR


def _entry_json(service: ServersService, name: str) -> dict[str, Any]:
    entry = service.get(name)
    pin = service.pin_of(name)
    return {"name": entry.name, "kind": entry.kind, "url": entry.url, "notify": entry.notify,
            "spt_root": entry.spt_root, "has_key": service.has_secret(name),
            "pinned_sha256": pin.sha256 if pin else None}


def snapshot_json(snapshot: ServerSnapshot) -> dict[str, Any]:
    """The JSON shape of design.md: name, kind, url, reachable, error, then the server's live data."""
    entry = snapshot.entry
    document: dict[str, Any] = {"name": entry.name, "kind": entry.kind, "url": entry.url,
                                "reachable": snapshot.reachable, "error": snapshot.error,
                                "updated_at": snapshot.updated_at, "down_since": snapshot.down_since}
    data = snapshot.data
    if isinstance(data, FikaStatus):
        document |= {"raids": [dataclasses.asdict(raid) for raid in data.raids],
                     "players": [dataclasses.asdict(player) for player in data.players],
                     "headless": [dataclasses.asdict(client) for client in data.headless],
                     "heartbeat_ms": round(data.heartbeat_s * 1000, 1)}
    elif isinstance(data, DedicatedStatus):
        document |= {"health": dataclasses.asdict(data.health),
                     "state": dataclasses.asdict(data.state) if data.state else None,
                     "options": dataclasses.asdict(data.options) if data.options else None}
    return document


def format_snapshot(snapshot: ServerSnapshot, now: float | None = None) -> str:
    now = time.time() if now is None else now
    entry = snapshot.entry
    lines = [f"{entry.name}  ({entry.kind}, {entry.url}): {snapshot.status_line(now)}"]
    if snapshot.error:
        lines.append(f"  {snapshot.error}")
    data = snapshot.data
    if isinstance(data, FikaStatus):
        lines += _format_fika(data, now)
    elif isinstance(data, DedicatedStatus):
        lines += _format_dedicated(data)
    return "\n".join(lines)


def _format_fika(data: FikaStatus, now: float) -> list[str]:
    lines = [f"  Heartbeat: {data.heartbeat_s * 1000:.0f} ms", f"  Raids ({len(data.raids)}):"]
    if data.raids:
        rows = [(raid.host, raid.status, raid.location or "?", raid.side, raid.time, str(len(raid.players)),
                 "yes" if raid.headless else "no", raid.raid_code or "-",
                 seconds_in_words(now - raid.started_at) if raid.started_at else "-") for raid in data.raids]
        lines += ["    " + line for line in
                  table(("HOST", "STATUS", "MAP", "SIDE", "TIME", "PLAYERS", "HEADLESS", "CODE", "AGE"), rows)]
    lines.append(f"  Players online ({len(data.players)}):")
    if data.players:
        rows = [(player.nickname, str(player.level), player.location_name) for player in data.players]
        lines += ["    " + line for line in table(("NICKNAME", "LEVEL", "WHERE"), rows)]
    lines.append(f"  Headless clients ({len(data.headless)}):")
    if data.headless:
        rows = [(client.nickname, "ready" if client.ready else "not ready", str(client.players))
                for client in data.headless]
        lines += ["    " + line for line in table(("NICKNAME", "STATE", "PLAYERS"), rows)]
    return lines


def _format_dedicated(data: DedicatedStatus) -> list[str]:
    lines = [f"  Health: {data.health.health}"]
    state = data.state
    if state is not None:
        lines[0] += f", {state.tick_rate:.1f} ticks/s"
        session = state.session if state.running else "(no game loaded)"
        lines += [f"  Session: {session}", f"  Players: {state.players} / {state.player_limit}",
                  f"  Tech tier: {state.tech_tier}", f"  Game phase: {state.game_phase}",
                  f"  Played: {seconds_in_words(state.duration_s)}{' (paused)' if state.paused else ''}"]
    if data.options is not None and data.options.pending:
        pending = ", ".join(f"{key}={value}" for key, value in sorted(data.options.pending.items()))
        lines.append(f"  Options waiting for a restart: {pending}")
    return lines


def _quoted(name: str) -> str:
    return f'"{name}"' if " " in name else name


# -- kappa fika

def _fika(args: argparse.Namespace, work: Callable[[FikaClient], Awaitable[T]]) -> T:
    async def session(service: ServersService) -> T:
        name = _only_server(service, args.server, "fika")
        return await service.act(name, work)

    return _run(args, session)


async def _profile(client: FikaClient, wanted: str) -> Profile:
    """A profile by id or nickname (case-insensitive); the nickname must name exactly one."""
    profiles = await client.profiles()
    for profile in profiles:
        if profile.profile_id == wanted:
            return profile
    matches = [profile for profile in profiles if profile.nickname.casefold() == wanted.casefold()]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise KappaError(f"several profiles are called {wanted!r}; use a profile id: "
                         + ", ".join(profile.profile_id for profile in matches))
    raise KappaError(f"no profile on the server is called {wanted!r} (see `kappa fika profiles`)")


async def _item(client: FikaClient, wanted: str) -> Item:
    found = await client.search_items(wanted, limit=20)
    exact = [item for item in found if item.tpl == wanted or item.name.casefold() == wanted.casefold()]
    if len(exact) == 1 or len(found) == 1:
        return (exact or found)[0]
    if not found:
        raise KappaError(f"no item on the server matches {wanted!r}")
    names = "\n".join(f"  {item.tpl}  {item.name}" for item in found[:10])
    raise KappaError(f"{wanted!r} matches several items; give the template id or the full name:\n{names}")


def _confirm_or_stop(question: str, args: argparse.Namespace) -> bool:
    if confirm(question, args.yes):
        return True
    print("Nothing was done.")
    return False


def run_fika_profiles(args: argparse.Namespace) -> int:
    profiles = _fika(args, lambda client: client.profiles())
    if args.json:
        print_json({"profiles": [dataclasses.asdict(profile) for profile in profiles]})
    else:
        rows = [(profile.nickname, str(profile.level), profile.profile_id, "banned" if profile.has_flea_ban else "")
                for profile in profiles]
        print("\n".join(table(("NICKNAME", "LEVEL", "PROFILE ID", "FLEA"), rows)))
    return EXIT_OK


def run_fika_items(args: argparse.Namespace) -> int:
    items = _fika(args, lambda client: client.search_items(args.text))
    if args.json:
        print_json({"items": [dataclasses.asdict(item) for item in items]})
    elif not items:
        print(f"No item matches {args.text!r}.")
    else:
        print("\n".join(table(("TEMPLATE ID", "NAME", "STACK"),
                              [(item.tpl, item.name, str(item.stackable)) for item in items])))
    return EXIT_OK


def _player_action(args: argparse.Namespace, question: Callable[[Profile], str],
                   act: Callable[[FikaClient, Profile], Awaitable[None]], done: Callable[[Profile], str]) -> int:
    async def work(client: FikaClient) -> int:
        profile = await _profile(client, args.player)
        if not _confirm_or_stop(question(profile), args):
            return EXIT_OK
        await act(client, profile)
        print(done(profile))
        return EXIT_OK

    return _fika(args, work)


def run_fika_message(args: argparse.Namespace) -> int:
    return _player_action(
        args, lambda p: f"Send {p.nickname} the message {args.text!r}?",
        lambda client, p: client.send_message(p.profile_id, args.text), lambda p: f"Message sent to {p.nickname}.")


def run_fika_send_item(args: argparse.Namespace) -> int:
    async def work(client: FikaClient) -> int:
        profile = await _profile(client, args.player)
        item = await _item(client, args.item)
        if not _confirm_or_stop(f"Send {args.amount} x {item.name} to {profile.nickname}"
                                f"{' (found in raid)' if args.fir else ''}?", args):
            return EXIT_OK
        await client.send_item(profile.profile_id, item.tpl, args.amount, message=args.message, fir=args.fir,
                               expiration_days=args.expires)
        print(f"Sent {args.amount} x {item.name} to {profile.nickname}.")
        return EXIT_OK

    return _fika(args, work)


def run_fika_send_item_all(args: argparse.Namespace) -> int:
    async def work(client: FikaClient) -> int:
        item = await _item(client, args.item)
        headless = {client.profile_id for client in await client.headless()}
        profiles = [profile for profile in await client.profiles() if profile.profile_id not in headless]
        if not profiles:
            raise KappaError("the server has no profiles to send items to")
        if not _confirm_or_stop(f"Send {args.amount} x {item.name} to each of the {len(profiles)} players?", args):
            return EXIT_OK
        await client.send_item_to_all([profile.profile_id for profile in profiles], item.tpl, args.amount,
                                      message=args.message, fir=args.fir, expiration_days=args.expires)
        print(f"Sent {args.amount} x {item.name} to {len(profiles)} players.")
        return EXIT_OK

    return _fika(args, work)


def run_fika_flea_ban(args: argparse.Namespace) -> int:
    length = "for ever" if args.days == 0 else f"for {args.days} days"
    return _player_action(
        args, lambda p: f"Ban {p.nickname} from the flea market {length}?",
        lambda client, p: client.flea_ban(p.profile_id, args.days),
        lambda p: f"{p.nickname} is banned from the flea market {length}.")


def run_fika_flea_unban(args: argparse.Namespace) -> int:
    return _player_action(
        args, lambda p: f"Lift {p.nickname}'s flea market ban?",
        lambda client, p: client.flea_unban(p.profile_id), lambda p: f"{p.nickname} may use the flea market again.")


def run_fika_logout(args: argparse.Namespace) -> int:
    return _player_action(
        args, lambda p: f"Log {p.nickname} out of the game?",
        lambda client, p: client.logout(p.profile_id), lambda p: f"{p.nickname} was logged out.")


def run_fika_restart_headless(args: argparse.Namespace) -> int:
    async def work(client: FikaClient) -> int:
        clients = await client.headless()
        wanted = args.headless.casefold()
        matches = [c for c in clients if c.profile_id == args.headless or c.nickname.casefold() == wanted]
        if not matches:
            known = ", ".join(c.nickname for c in clients) or "none is connected"
            raise KappaError(f"no headless client is called {args.headless!r} ({known})")
        target = matches[0]
        busy = f" It is hosting {target.players} players right now." if target.players else ""
        if not _confirm_or_stop(f"Restart the headless client {target.nickname}?{busy}", args):
            return EXIT_OK
        await client.restart_headless(target.profile_id)
        print(f"The headless client {target.nickname} is restarting.")
        return EXIT_OK

    return _fika(args, work)


def run_fika_profile(args: argparse.Namespace) -> int:
    async def work(client: FikaClient) -> dict[str, Any]:
        return await client.raw_profile((await _profile(client, args.player)).profile_id)

    print_json(_fika(args, work))
    return EXIT_OK


# -- kappa dedicated

def _dedicated(args: argparse.Namespace, work: Callable[[DedicatedClient], Awaitable[T]]) -> T:
    async def session(service: ServersService) -> T:
        name = _only_server(service, args.server, "dedicated")
        return await service.act(name, work)

    return _run(args, session)


def run_dedicated_save(args: argparse.Namespace) -> int:
    if not _confirm_or_stop(f"Save the game as {args.save_name!r}?", args):
        return EXIT_OK
    _dedicated(args, lambda client: client.save_game(args.save_name))
    print(f"Saved as {args.save_name!r}.")
    return EXIT_OK


def run_dedicated_command(args: argparse.Namespace) -> int:
    if not _confirm_or_stop(f"Run {args.command!r} on the server?", args):
        return EXIT_OK
    result = _dedicated(args, lambda client: client.run_command(args.command))
    if args.json:
        print_json(dataclasses.asdict(result))
    else:
        print(result.output.rstrip("\n"))
    return EXIT_OK if result.ok else EXIT_ERROR


def run_dedicated_shutdown(args: argparse.Namespace) -> int:
    if not _confirm_or_stop("Shut the server down? Players on it are disconnected.", args):
        return EXIT_OK
    _dedicated(args, lambda client: client.shutdown())
    print("The server is shutting down.")
    return EXIT_OK


def run_dedicated_options(args: argparse.Namespace) -> int:
    options = _dedicated(args, lambda client: client.options())
    if args.json:
        print_json(dataclasses.asdict(options))
        return EXIT_OK
    rows = [(key, value, options.pending.get(key, "")) for key, value in sorted(options.current.items())]
    print("\n".join(table(("OPTION", "VALUE", "AFTER RESTART"), rows)))
    return EXIT_OK
