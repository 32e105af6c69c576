"""`kappa scan`: what is installed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from app.cli.output import EXIT_OK, print_json, table, warn
from app.core.data_dir import DataDir
from app.core.mods import ScanResult
from app.services.installed_mods import InstalledModsService


def register(commands: Any, add_global_options: Any) -> None:
    scan = commands.add_parser("scan", help="list the installed server and client mods")
    add_global_options(scan, suppress=True)
    scan.set_defaults(handler=run)


def spt_path(args: argparse.Namespace) -> Path:
    return args.spt if args.spt is not None else Path.cwd()


def scan_install(args: argparse.Namespace) -> ScanResult:
    """Scan the install the options name, reporting skipped files on stderr (shared by other commands)."""
    result = InstalledModsService(DataDir.at(args.data_dir)).scan_now(spt_path(args))
    for note in result.notes:
        warn(note)
    for problem in result.problems:
        warn(f"skipped {problem}")
    return result


def run(args: argparse.Namespace) -> int:
    result = scan_install(args)
    if args.json:
        print_json(result.to_json())
    else:
        sys.stdout.write(format_scan(result))
    return EXIT_OK


def format_scan(result: ScanResult) -> str:
    install = result.install
    lines = [f"SPT {install.version or 'version unknown'} ({install.layout} layout) at {install.root}"]
    if install.eft_version:
        lines.append(f"Escape from Tarkov client {install.eft_version}")
    rows = [(m.name, m.version, m.kind, "yes" if m.enabled else "no", m.path) for m in result.mods]
    lines += ["", *table(("NAME", "VERSION", "KIND", "ENABLED", "PATH"), rows)]
    servers = sum(1 for m in result.mods if m.kind == "server")
    lines += ["", f"{servers} server mods, {len(result.mods) - servers} client plugins"
                  + (f", {len(result.problems)} files skipped" if result.problems else "")]
    return "\n".join(lines) + "\n"
