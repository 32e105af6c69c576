"""`kappa plan install|update`: one consistent plan for the whole install, or the conflict in words (exit 3)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from app.cli.output import EXIT_OK, EXIT_UNSATISFIABLE, print_json, table
from app.cli.scan import scan_install
from app.core.data_dir import DataDir
from app.core.settings import SettingsStore
from app.core.words import size_in_words
from app.services.forge_session import ForgeSession
from app.services.planner import ModSpec, Planner, PlanOutcome


def register(commands: Any, add_global_options: Any) -> None:
    plan = commands.add_parser("plan", help="plan installs and updates without changing anything")
    actions = plan.add_subparsers(title="actions", metavar="ACTION", required=True, dest="command_action")
    install = actions.add_parser("install", help="install mods (and whatever they need)")
    install.add_argument("mods", nargs="+", metavar="ID|GUID[@CONSTRAINT]")
    install.add_argument("--with-optional", action="store_true", help="also install optional dependencies")
    update = actions.add_parser("update", help="update installed mods, keeping everything consistent")
    which = update.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="update every installed mod")
    which.add_argument("mods", nargs="*", metavar="GUID", default=[])
    for parser in (install, update):
        parser.add_argument("--pin", action="append", default=[], metavar="GUID[@VERSION]",
                            help="keep an installed mod at this version (default: the installed one)")
        parser.add_argument("--spt-version", metavar="V", help="plan for this SPT version instead of the installed one")
        add_global_options(parser, suppress=True)
        parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    scan = scan_install(args)
    data_dir = DataDir.at(args.data_dir)
    mappings = SettingsStore(data_dir).load().forge_mappings
    installing = [ModSpec.parse(text) for text in getattr(args, "mods", [])] if args.command_action == "install" \
        else []

    async def work() -> PlanOutcome:
        async with ForgeSession(data_dir, args.forge_url) as forge:
            return await Planner(forge, mappings).plan(
                scan, install=installing,
                update=args.mods if args.command_action == "update" and not args.all else None,
                update_all=args.command_action == "update" and args.all,
                pins=[ModSpec.parse(text) for text in args.pin],
                with_optional=getattr(args, "with_optional", False), spt_version=args.spt_version)

    outcome = asyncio.run(work())
    if args.json:
        print_json(outcome.to_json())
    elif outcome.plan is not None:
        sys.stdout.write(format_plan(outcome))
    if outcome.plan is None:
        explain_unsatisfiable(outcome)
        return EXIT_UNSATISFIABLE
    return EXIT_OK


def explain_unsatisfiable(outcome: PlanOutcome) -> None:
    print(f"kappa: no plan satisfies every constraint.\n{outcome.explanation.text}", file=sys.stderr)
    for suggestion in outcome.explanation.suggestions:
        print(f"  what would work: {suggestion}", file=sys.stderr)


def format_plan(outcome: PlanOutcome) -> str:
    plan = outcome.plan
    assert plan is not None
    changes = plan.changes()
    lines = [f"Plan for SPT {outcome.spt_version}"]
    if not changes:
        lines.append("Nothing to change: every mod stays as it is.")
    else:
        rows = [(step.action, step.name, step.from_version or "", step.to_version or "", "; ".join(step.reasons))
                for step in changes]
        lines += ["", *table(("ACTION", "MOD", "FROM", "TO", "WHY"), rows)]
        lines += ["", f"{len(changes)} changes, {size_in_words(plan.download_size) or 'nothing'} to download"]
    for warning in plan.warnings:
        lines.append(f"warning: {warning}")
    for disagreement in outcome.disagreements:
        lines.append(f"note: the Forge says {disagreement.name}: {disagreement.forge}; this plan: {disagreement.kappa}")
    return "\n".join(lines) + "\n"

