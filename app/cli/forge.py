"""`kappa check` and `kappa forge ...`: what the Forge knows about installed mods and about any mod."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from app.cli.output import EXIT_OK, EXIT_USAGE, print_json, table, warn
from app.cli.scan import scan_install
from app.core.data_dir import DataDir
from app.core.errors import KappaError
from app.core.secrets import FORGE_TOKEN, delete_secret, get_secret, set_secret
from app.core.settings import SettingsStore, first_validation_error
from app.core.words import age_in_words, size_in_words
from app.net.forge import ForgeClient, ResponseSource
from app.net.forge_models import Mod, ModFilters, ModVersion
from app.services.forge_mappings import clear_mapping, set_mapping
from app.services.forge_session import ForgeSession
from app.services.update_check import CheckedMod, CheckReport, UpdateChecker

STATUS_WORDS = {
    "update_available": "update available",
    "blocked": "update blocked",
    "up_to_date": "up to date",
    "incompatible": "no version for this SPT",
    "not_on_forge": "not on the Forge",
}
BLOCK_REASONS = {
    "dependency_constraint_violation": "another installed mod does not accept it",
    "missing_dependency": "it needs a mod that has no version for this SPT",
    "chain_dependency_conflict": "its dependencies need versions that cannot all be met",
}


def register(commands: Any, add_global_options: Any) -> None:
    check = commands.add_parser("check", help="check the installed mods against the Forge")
    check.add_argument("--spt-version", metavar="V", help="check for this SPT version instead of the installed one")
    add_global_options(check, suppress=True)
    check.set_defaults(handler=run_check)

    forge = commands.add_parser("forge", help="ask the Forge about mods, and set how Kappa talks to it")
    actions = forge.add_subparsers(title="actions", metavar="ACTION", required=True)
    search = actions.add_parser("search", help="search mods by name, slug or description")
    search.add_argument("text")
    search.add_argument("--spt-version", metavar="V", help="only mods with a version for this SPT version")
    show = actions.add_parser("show", help="one mod, by Forge id or GUID")
    show.add_argument("mod", metavar="ID|GUID")
    versions = actions.add_parser("versions", help="every published version of a mod")
    versions.add_argument("mod_id", metavar="ID", type=int)
    mapping = actions.add_parser("map", help="remember which Forge mod an installed GUID is")
    mapping.add_argument("guid")
    mapping.add_argument("forge_id", metavar="ID", type=int, nargs="?")
    mapping.add_argument("--forget", action="store_true", help="forget the remembered mapping")
    settings = actions.add_parser("settings", help="show or change the Forge URL, mirror and token")
    settings.add_argument("--url", help="base URL of the Forge API")
    settings.add_argument("--mirror", help="a mirror tried when the Forge is down")
    settings.add_argument("--no-mirror", action="store_true", help="stop using a mirror")
    settings.add_argument("--token", action="store_true",
                          help="store a token for older Forge instances (read from the prompt or stdin)")
    settings.add_argument("--clear-token", action="store_true", help="delete the stored token")
    for parser, handler in ((search, run_search), (show, run_show), (versions, run_versions),
                            (mapping, run_map), (settings, run_settings)):
        add_global_options(parser, suppress=True)
        parser.set_defaults(handler=handler)


def _with_forge(args: argparse.Namespace, work: Callable[[ForgeClient], Awaitable[Any]]) -> Any:
    async def session() -> Any:
        async with ForgeSession(DataDir.at(args.data_dir), args.forge_url) as forge:
            return await work(forge)

    return asyncio.run(session())


def _say_where_from(source: ResponseSource | None) -> None:
    if source is None:
        return
    if source.offline:
        warn(f"the Forge could not be reached; these answers come from Kappa's cache ({age_in_words(source.age)} old)")
    elif source.mirror:
        warn(f"the Forge did not answer; the mirror {source.base_url} did")


# -- kappa check
def run_check(args: argparse.Namespace) -> int:
    scan = scan_install(args)
    data_dir = DataDir.at(args.data_dir)
    mappings = SettingsStore(data_dir).load().forge_mappings
    report: CheckReport = _with_forge(args, lambda forge: UpdateChecker(forge, mappings).check(scan, args.spt_version))
    _say_where_from(report.source)
    if args.json:
        print_json(report.to_json())
    else:
        sys.stdout.write(format_check(report))
    return EXIT_OK


def format_check(report: CheckReport) -> str:
    rows = []
    notes = []
    for mod in report.mods:
        latest = mod.latest or ""
        if mod.status == "blocked":
            latest += f" ({_why_blocked(mod)})"
        rows.append((mod.name, mod.installed, STATUS_WORDS[mod.status], latest,
                     str(mod.forge_id) if mod.forge_id is not None else ""))
        if mod.matched_by == "name":
            notes.append(f"{mod.name}: its GUID {mod.guid} is not on the Forge; matched by name to Forge mod "
                         f"{mod.forge_id} ({mod.confidence:.0%} alike). Confirm with: kappa forge map {mod.guid} "
                         f"{mod.forge_id}")
        elif mod.suggestion is not None:
            candidate = mod.suggestion.candidate
            notes.append(f"{mod.name}: not found by GUID; perhaps Forge mod {candidate.forge_id} \"{candidate.name}\" "
                         f"({mod.suggestion.confidence:.0%} alike). If so: kappa forge map {mod.guid} "
                         f"{candidate.forge_id}")
    lines = [f"Checked against SPT {report.spt_version}", "",
             *table(("NAME", "INSTALLED", "STATUS", "LATEST", "FORGE ID"), rows)]
    counts = {status: sum(1 for m in report.mods if m.status == status) for status in STATUS_WORDS}
    lines += ["", ", ".join(f"{n} {STATUS_WORDS[s]}" for s, n in counts.items() if n)]
    if notes:
        lines += ["", *notes]
    return "\n".join(lines) + "\n"


def _why_blocked(mod: CheckedMod) -> str:
    if mod.blocked_by:
        return "held back by " + ", ".join(f"{b.guid}, which wants {b.constraint}" for b in mod.blocked_by)
    return BLOCK_REASONS.get(mod.block_reason or "", "the Forge holds it back")


# -- kappa forge search / show / versions
def run_search(args: argparse.Namespace) -> int:
    filters = ModFilters(spt_version=args.spt_version) if args.spt_version else None
    result = _with_forge(args, lambda forge: forge.mods(filters, query=args.text, per_page=20))
    _say_where_from(result.source)
    mods: list[Mod] = result.data.items
    if args.json:
        print_json([mod.model_dump(mode="json", exclude_none=True) for mod in mods])
        return EXIT_OK
    if not mods:
        print(f"No mod on the Forge matches {args.text!r}.")
        return EXIT_OK
    rows = [(str(m.id), m.name or "", m.guid or "", f"{m.downloads or 0:,}") for m in mods]
    print("\n".join(table(("ID", "NAME", "GUID", "DOWNLOADS"), rows)))
    total = result.data.meta.total if result.data.meta else None
    if total and total > len(mods):
        print(f"\n{len(mods)} of {total} matches shown.")
    return EXIT_OK


async def _find_mod(forge: ForgeClient, wanted: str) -> Any:
    include = ("versions", "license", "category", "source_code_links")
    if wanted.isdigit():
        return await forge.mod(int(wanted), include=include)
    found = await forge.mods(ModFilters(guid=[wanted], include_legacy=True), per_page=1)
    if not found.data.items:
        raise KappaError(f"no mod on the Forge has the GUID {wanted}")
    return await forge.mod(found.data.items[0].id, include=include)


def run_show(args: argparse.Namespace) -> int:
    result = _with_forge(args, lambda forge: _find_mod(forge, args.mod))
    _say_where_from(result.source)
    mod: Mod = result.data
    if args.json:
        print_json(mod.model_dump(mode="json", exclude_none=True))
        return EXIT_OK
    lines = [f"{mod.name}  (Forge id {mod.id}, GUID {mod.guid or 'none'})"]
    if mod.owner is not None:
        lines.append(f"by {mod.owner.name}")
    if mod.teaser:
        lines.append(mod.teaser)
    if mod.detail_url:
        lines.append(mod.detail_url)
    if mod.versions:
        lines += ["", *table(("VERSION", "FOR SPT", "PUBLISHED"), [
            (v.version, v.spt_version_constraint or "(legacy)", str(v.published_at or "")[:10]) for v in mod.versions])]
    print("\n".join(lines))
    return EXIT_OK


def run_versions(args: argparse.Namespace) -> int:
    async def collect(forge: ForgeClient) -> Any:
        return await forge.iter_mod_versions(args.mod_id).collect()

    result = _with_forge(args, collect)
    _say_where_from(result.source)
    versions: list[ModVersion] = result.data
    if args.json:
        print_json([v.model_dump(mode="json", exclude_none=True) for v in versions])
        return EXIT_OK
    rows = [(v.version, v.spt_version_constraint or "(legacy)", size_in_words(v.content_length),
             ", ".join(f"{d.mod_guid or d.mod_name} {d.version_constraint}" for d in v.dependencies or []))
            for v in versions]
    print("\n".join(table(("VERSION", "FOR SPT", "SIZE", "NEEDS"), rows)))
    return EXIT_OK


# -- kappa forge map / settings
def run_map(args: argparse.Namespace) -> int:
    data_dir = DataDir.at(args.data_dir)
    if args.forget:
        clear_mapping(data_dir, [args.guid])
        print(f"Forgot the Forge mod for {args.guid}.")
    elif args.forge_id is None:
        warn("give the Forge id to remember, or --forget")
        return EXIT_USAGE
    else:
        set_mapping(data_dir, [args.guid], args.forge_id)
        print(f"{args.guid} is Forge mod {args.forge_id} from now on.")
    return EXIT_OK


def run_settings(args: argparse.Namespace) -> int:
    store = SettingsStore(DataDir.at(args.data_dir))
    settings = store.load()
    changes: dict[str, Any] = {}
    if args.url:
        changes["forge_url"] = args.url
    if args.mirror:
        changes["forge_mirror"] = args.mirror
    if args.no_mirror:
        changes["forge_mirror"] = None
    if changes:
        try:
            settings = settings.model_validate({**settings.model_dump(), **changes})
        except ValueError as exc:
            raise KappaError(f"cannot save that setting: {first_validation_error(exc)}") from None
        store.save(settings)
    if args.token:
        token = getpass.getpass("Forge token: ") if sys.stdin.isatty() else sys.stdin.readline().strip()
        if not token:
            raise KappaError("no token was given")
        set_secret(FORGE_TOKEN, token)
    if args.clear_token:
        delete_secret(FORGE_TOKEN)
    print(f"Forge URL:  {settings.forge_url}")
    print(f"Mirror:     {settings.forge_mirror or '(none)'}")
    token = "stored in the OS keyring" if get_secret(FORGE_TOKEN) else "(none; the public Forge needs none)"
    print(f"Token:      {token}")
    return EXIT_OK
