"""`kappa install | update | uninstall | disable | enable | history | undo`: changing an install, one transaction each.

Every command first finishes or rolls back a transaction an earlier crash interrupted, then shows what it is about
to do and asks (skipped with --yes). Nothing is written before the answer; the install engine writes it all as one
transaction that `kappa undo` reverts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from app.cli.output import EXIT_ERROR, EXIT_OK, EXIT_UNSATISFIABLE, confirm, print_json, table, warn
from app.cli.plan import explain_unsatisfiable
from app.cli.scan import spt_path
from app.core.data_dir import DataDir
from app.core.errors import KappaError
from app.core.install import ConflictPolicy, TransactionRecord
from app.core.settings import SettingsStore
from app.core.spt_install import open_install
from app.core.words import size_in_words
from app.net.download import Downloader, DownloadProgress
from app.net.http import create_client
from app.services.forge_session import ForgeSession
from app.services.installer import Installer, NothingToInstall, Proposal
from app.services.planner import ModSpec, PlanOutcome

CONFLICT_CHOICES = ("ask", "overwrite", "keep", "cancel")


def register(commands: Any, add_global_options: Any) -> None:
    install = commands.add_parser("install", help="install archives or Forge mods (and what they need)")
    install.add_argument("targets", nargs="+", metavar="ARCHIVE|ID|GUID[@CONSTRAINT]",
                         help="archive files (zip, 7z, rar, dll) or Forge mod ids/GUIDs")
    install.add_argument("--with-optional", action="store_true", help="also install optional dependencies")
    install.add_argument("--no-deps", action="store_true",
                         help="for archives: do not offer missing dependencies from the Forge")
    update = commands.add_parser("update", help="update installed mods from the Forge, keeping everything consistent")
    which = update.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="update every installed mod")
    which.add_argument("mods", nargs="*", metavar="GUID", default=[])
    for parser in (install, update):
        parser.add_argument("--on-conflict", choices=CONFLICT_CHOICES, default="ask",
                            help="when two mods write the same file: ask (default), overwrite it, keep the file "
                                 "already there, or cancel")
    uninstall = commands.add_parser("uninstall", help="remove a mod: exactly the files it owns")
    disable = commands.add_parser("disable", help="move a mod out of the game into Kappa's disabled store")
    enable = commands.add_parser("enable", help="move a disabled mod back into the game")
    for parser in (uninstall, disable, enable):
        parser.add_argument("guid", metavar="GUID")
    history = commands.add_parser("history", help="every transaction Kappa made on this install")
    backups = commands.add_parser("backups", help="show or change how long the backups that undo needs are kept")
    backups.add_argument("--max-mb", type=int, metavar="MB", help="keep at most this much (oldest pruned first)")
    backups.add_argument("--max-days", type=int, metavar="DAYS", help="prune backups older than this")
    undo = commands.add_parser("undo", help="revert the last transaction, byte for byte")
    handlers = {install: run_install, update: run_update, uninstall: run_uninstall, disable: run_disable,
                enable: run_enable, history: run_history, undo: run_undo, backups: run_backups}
    for parser, handler in handlers.items():
        add_global_options(parser, suppress=True)
        parser.set_defaults(handler=handler)


# -- the commands
def run_install(args: argparse.Namespace) -> int:
    archives = [Path(t) for t in args.targets if _looks_like_file(t)]
    specs = [ModSpec.parse(t) for t in args.targets if not _looks_like_file(t)]
    for archive in archives:
        if not archive.is_file():
            raise KappaError(f"{archive}: no such file")

    async def propose(installer: Installer) -> Proposal | PlanOutcome:
        proposal: Proposal | PlanOutcome | None = None
        if archives:
            proposal = await installer.propose_archives([a.absolute() for a in archives])
        if specs:
            extend = proposal if isinstance(proposal, Proposal) else None
            proposal = await installer.propose_plan(install=specs, with_optional=args.with_optional, extend=extend)
        assert proposal is not None
        if isinstance(proposal, Proposal) and proposal.missing and not args.no_deps and installer.forge:
            proposal = await _offer_missing(installer, proposal, args)
        return proposal

    return _change(args, propose)


def run_update(args: argparse.Namespace) -> int:
    async def propose(installer: Installer) -> Proposal | PlanOutcome:
        return await installer.propose_plan(update=args.mods or None, update_all=args.all)

    return _change(args, propose)


def run_uninstall(args: argparse.Namespace) -> int:
    return _simple(args, "uninstall")


def run_disable(args: argparse.Namespace) -> int:
    return _simple(args, "disable")


def run_enable(args: argparse.Namespace) -> int:
    return _simple(args, "enable")


def run_undo(args: argparse.Namespace) -> int:
    return _simple(args, "undo")


def run_history(args: argparse.Namespace) -> int:
    installer = _installer(args)
    records = installer.history()
    if args.json:
        print_json({"transactions": [record.to_json() for record in records]})
        return EXIT_OK
    if not records:
        print("No transactions yet: Kappa has not changed this install.")
        return EXIT_OK
    rows = [(str(r.id), _when(r.started_at), r.kind, r.state, r.summary, _backup_words(r)) for r in records]
    print("\n".join(table(("#", "WHEN", "KIND", "STATE", "WHAT", "BACKUP"), rows)))
    return EXIT_OK


def run_backups(args: argparse.Namespace) -> int:
    store = SettingsStore(DataDir.at(args.data_dir))
    settings = store.load()
    if args.max_mb is not None or args.max_days is not None:
        if any(value is not None and value < 0 for value in (args.max_mb, args.max_days)):
            raise KappaError("--max-mb and --max-days cannot be negative")
        settings = settings.model_copy(update={k: v for k, v in (("backup_max_mb", args.max_mb),
                                                                  ("backup_max_days", args.max_days)) if v is not None})
        store.save(settings)
    report = _installer(args).prune_backups()
    if args.json:
        print_json({"max_mb": settings.backup_max_mb, "max_days": settings.backup_max_days, **report.to_json()})
        return EXIT_OK
    print(f"Backups are kept up to {settings.backup_max_mb} MB and {settings.backup_max_days} days; the last "
          "transaction's backup is always kept, so it can be undone.")
    print(f"The backup store holds {size_in_words(report.kept_bytes) or 'nothing'}"
          + (f"; pruned the backups of #{', #'.join(map(str, report.pruned))} ({size_in_words(report.freed_bytes)})"
             if report.pruned else "") + ".")
    return EXIT_OK


# -- shared machinery
def _installer(args: argparse.Namespace, **services: Any) -> Installer:
    data_dir = DataDir.at(args.data_dir)
    install = open_install(spt_path(args))
    installer = Installer(install, data_dir, mappings=SettingsStore(data_dir).load().forge_mappings, **services)
    for sentence in installer.recover():
        warn(sentence)
    return installer


def _simple(args: argparse.Namespace, action: str) -> int:
    installer = _installer(args)
    if action in ("uninstall", "disable"):
        dependants = installer.dependants(args.guid, installer.scan())
        if dependants and not confirm(f"{', '.join(dependants)} need {args.guid} and will stop working. "
                                      f"{action.capitalize()} it anyway?", args.yes):
            return EXIT_ERROR
    elif action == "undo":
        # what the engine reverts: the newest committed transaction that is not itself an undo
        last = next((r for r in installer.history() if r.state == "committed" and r.kind != "undo"), None)
        if last is None:
            raise KappaError("nothing to undo")
        if not confirm(f"Undo #{last.id} ({last.summary})?", args.yes):
            return EXIT_ERROR
    operation = getattr(installer, action)
    record = asyncio.run(operation() if action == "undo" else operation(args.guid))
    _report(args, record, None)
    return EXIT_OK


def _change(args: argparse.Namespace, propose: Any) -> int:
    async def work() -> int:
        async with _services(args) as installer:
            proposal = await propose(installer)
            if isinstance(proposal, PlanOutcome):
                return _unsatisfiable(args, proposal)
            try:
                policy = _conflict_policy(args, proposal)
                if not args.json:
                    sys.stdout.write(format_proposal(proposal))
                if policy is None or not confirm("Go ahead?", args.yes):
                    installer.discard(proposal)
                    print("Nothing was changed.", file=sys.stderr)
                    return EXIT_ERROR
            except BaseException:
                installer.discard(proposal)
                raise
            record = await installer.commit(proposal, policy)
            _report(args, record, proposal)
            return EXIT_OK

    try:
        return asyncio.run(work())
    except NothingToInstall as nothing:
        print(str(nothing))
        return EXIT_OK


@contextlib.asynccontextmanager
async def _services(args: argparse.Namespace) -> AsyncIterator[Installer]:
    data_dir = DataDir.at(args.data_dir)
    progress = _ProgressPrinter(quiet=args.json)
    async with ForgeSession(data_dir, args.forge_url) as forge, create_client() as client:
        downloader = Downloader(data_dir.downloads_dir, client=client)
        yield _installer(args, forge=forge, downloader=downloader, on_download=progress.download)


async def _offer_missing(installer: Installer, proposal: Proposal, args: argparse.Namespace) -> Proposal | PlanOutcome:
    lines = [m.describe() for m in proposal.missing]
    if not args.json:
        print("Missing dependencies:\n" + "\n".join(f"  {line}" for line in lines))
    if not confirm("Also install them from the Forge?", args.yes):
        return proposal
    try:
        return await installer.add_missing_from_forge(proposal)
    except NothingToInstall:
        return proposal


def _conflict_policy(args: argparse.Namespace, proposal: Proposal) -> ConflictPolicy | None:
    """How to treat files two mods write; None means cancel."""
    if not proposal.conflicts:
        return ConflictPolicy.FAIL
    choice = args.on_conflict
    if choice == "ask":
        if not args.json:
            sys.stdout.write(format_conflicts(proposal))
        if args.yes or not sys.stdin.isatty():
            raise KappaError(f"{len(proposal.conflicts)} files would be written by two mods; choose with "
                             "--on-conflict overwrite|keep|cancel")
        answer = input("Overwrite them (o), keep the files already there (k) or cancel (c)? ").strip().lower()
        choice = {"o": "overwrite", "k": "keep"}.get(answer[:1], "cancel")
    return {"overwrite": ConflictPolicy.OVERWRITE, "keep": ConflictPolicy.KEEP}.get(choice)


def _unsatisfiable(args: argparse.Namespace, outcome: PlanOutcome) -> int:
    if args.json:
        print_json(outcome.to_json())
    explain_unsatisfiable(outcome)
    return EXIT_UNSATISFIABLE


def _report(args: argparse.Namespace, record: TransactionRecord, proposal: Proposal | None) -> None:
    if args.json:
        print_json({"transaction": record.to_json(), "proposal": proposal.to_json() if proposal else None})
        return
    print(f"Done: #{record.id} {record.kind}: {record.summary} ({record.files_placed} files placed, "
          f"{record.files_removed} removed). `kappa undo` reverts it.")
    for note in record.notes:
        print(f"note: {note}")


# -- words
def format_proposal(proposal: Proposal) -> str:
    rows: list[tuple[str, str, str, str]] = [("remove", change.name, "", "") for change in proposal.removals]
    for mod in proposal.staged:
        action = "update" if mod.replaces else "install"
        version = f"{mod.replaces} -> {mod.version}" if mod.replaces else mod.version
        size = size_in_words(sum(f.size for f in mod.files))
        rows.append((action, mod.name, version, f"{mod.source}, {len(mod.files)} files, {size}"))
    lines = table(("ACTION", "MOD", "VERSION", "FROM"), rows)
    for mod in proposal.staged:
        if mod.skipped:
            lines.append(f"not copied into the game from {mod.source}: {', '.join(mod.skipped)}")
    lines += [f"warning: {w}" for w in proposal.warnings]
    lines += [f"missing dependency: {m.describe()}" for m in proposal.missing]
    return "\n".join(lines) + "\n"


def format_conflicts(proposal: Proposal) -> str:
    rows = [(c.target, c.owner_name or "no mod (put there by hand)", c.wanted_by) for c in proposal.conflicts]
    return "Files two mods write:\n" + "\n".join(table(("FILE", "NOW FROM", "WANTED BY"), rows)) + "\n"


def _looks_like_file(target: str) -> bool:
    return Path(target).suffix.lower() in (".zip", ".7z", ".rar", ".dll") or Path(target).exists()


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def _backup_words(record: TransactionRecord) -> str:
    if record.backup_pruned:
        return "pruned"
    return size_in_words(record.backup_bytes) or "-"


class _ProgressPrinter:
    """Download progress on stderr: a line that rewrites itself on a terminal, a line per file otherwise."""

    def __init__(self, *, quiet: bool) -> None:
        self.quiet = quiet
        self.terminal = sys.stderr.isatty()

    def download(self, label: str, progress: DownloadProgress) -> None:
        if self.quiet:
            return
        done = progress.total is not None and progress.received >= progress.total
        if not self.terminal and not done:
            return
        share = f"{progress.received * 100 // progress.total}%" if progress.total else size_in_words(progress.received)
        speed = f"{progress.speed / 1024 / 1024:.1f} MiB/s"
        eta = f", {progress.eta:.0f} s left" if progress.eta and not done else ""
        end = "\n" if done or not self.terminal else ""
        print(f"\rdownloading {label}: {share} at {speed}{eta}\033[K" if self.terminal else
              f"downloaded {label} ({size_in_words(progress.received)})", end=end, file=sys.stderr, flush=True)

