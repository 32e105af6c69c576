"""Kappa's command line: the scripting face of every capability, on the same services as the GUI.

Exit codes (shared/design.md): 0 success, 1 a user-facing error (message on stderr, no traceback),
2 bad usage, 3 a plan that cannot be satisfied.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from app import __version__
from app.core.data_dir import DataDir
from app.core.errors import KappaError
from app.core.mods import ScanResult
from app.services.installed_mods import InstalledModsService

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_UNSATISFIABLE = 0, 1, 2, 3
DEFAULT_FORGE_URL = "https://sp-mod.com/api/v0"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    command: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
    try:
        if command is None:
            from app.ui.app import run_gui  # imported late: the CLI must not pay for Qt

            return run_gui(spt=args.spt, data_dir=DataDir.at(args.data_dir), demo=args.demo,
                           smoke_test=args.smoke_test)
        return command(args)
    except KappaError as exc:
        print(f"kappa: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("kappa: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # `kappa scan | head`: the reader left; that is not an error of ours
        sys.stderr.close()
        return EXIT_OK


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kappa",
        description="Kappa, a mod manager for Single Player Tarkov. Without a command it opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"kappa {__version__}")
    parser.add_argument("--demo", action="store_true",
                        help="open the window on a built-in sample SPT install (no SPT or network needed)")
    parser.add_argument("--smoke-test", action="store_true",
                        help="open the window, scan, print a one-line summary and quit (for checks of a build)")
    _add_global_options(parser, suppress=False)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    scan = commands.add_parser("scan", help="list the installed server and client mods")
    _add_global_options(scan, suppress=True)
    scan.set_defaults(handler=_scan)
    return parser


def _add_global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """Options every command accepts before or after its name.

    On sub-commands the defaults are SUPPRESS, so an option given before the command is not overwritten.
    """
    def default(value: object) -> object:
        return argparse.SUPPRESS if suppress else value

    parser.add_argument("--spt", type=Path, metavar="PATH", default=default(None),
                        help="the SPT game root, or any folder inside it")
    parser.add_argument("--forge-url", metavar="URL", default=default(DEFAULT_FORGE_URL),
                        help=f"base URL of the Forge API (default {DEFAULT_FORGE_URL})")
    parser.add_argument("--data-dir", type=Path, metavar="DIR", default=default(None),
                        help="where Kappa keeps its own state (default: the user data folder)")
    parser.add_argument("--json", action="store_true", default=default(False), help="print data as JSON")
    parser.add_argument("--yes", action="store_true", default=default(False),
                        help="answer yes to confirmation prompts")


def _require_spt(args: argparse.Namespace) -> Path:
    return args.spt if args.spt is not None else Path.cwd()


def _scan(args: argparse.Namespace) -> int:
    result = InstalledModsService(DataDir.at(args.data_dir)).scan_now(_require_spt(args))
    if args.json:
        json.dump(result.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(format_scan_table(result))
    for problem in result.problems:
        print(f"kappa: skipped {problem}", file=sys.stderr)
    return EXIT_OK


def format_scan_table(result: ScanResult) -> str:
    install = result.install
    lines = [
        f"SPT {install.version or 'version unknown'} ({install.layout} layout) at {install.root}",
    ]
    if install.eft_version:
        lines.append(f"Escape from Tarkov client {install.eft_version}")
    rows = [("NAME", "VERSION", "KIND", "ENABLED", "PATH")]
    rows += [(m.name, m.version, m.kind, "yes" if m.enabled else "no", m.path) for m in result.mods]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines.append("")
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    servers = sum(1 for m in result.mods if m.kind == "server")
    lines += ["", f"{servers} server mods, {len(result.mods) - servers} client plugins"
                  + (f", {len(result.problems)} files skipped" if result.problems else "")]
    return "\n".join(lines) + "\n"
