"""Kappa's command line: the scripting face of every capability, on the same services as the GUI.

Each command family lives in its own module (scan, forge, plan, install, servers, sandbox, diagnostics) and registers
its sub-commands here. Every command and the window log to the data dir (app/core/logs.py), secrets redacted.
Exit codes (shared/design.md): 0 success, 1 a user-facing error (message on stderr, no traceback),
2 bad usage, 3 a plan that cannot be satisfied.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from app import __version__
from app.cli import diagnostics, forge, install, plan, sandbox, scan, servers
from app.cli.output import EXIT_ERROR, EXIT_OK
from app.core.data_dir import DataDir
from app.core.errors import KappaError
from app.core.logs import FILE_ONLY, configure_logging, reset_logging
from app.core.settings import DEFAULT_FORGE_URL

log = logging.getLogger("app.cli")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    command: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
    data_dir = DataDir.at(args.data_dir)
    start_logging(data_dir, verbose=args.verbose)
    try:
        log.info("kappa %s started: %s", __version__,
                 f"{command.__module__}.{command.__name__}" if command is not None else "the window")
        if command is None:
            from app.ui.app import run_gui  # imported late: the CLI must not pay for Qt

            return run_gui(spt=args.spt, data_dir=data_dir, demo=args.demo,
                           smoke_test=args.smoke_test, forge_url=args.forge_url)
        return command(args)
    except KappaError as exc:
        log.info("stopped: %s", exc)
        print(f"kappa: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("kappa: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # `kappa scan | head`: the reader left; that is not an error of ours
        sys.stderr.close()
        return EXIT_OK
    except Exception:  # a bug: its traceback belongs in the log (Python prints it on stderr as it leaves)
        log.exception("kappa stopped on an unexpected error", extra={FILE_ONLY: True})
        raise
    finally:
        reset_logging()  # flushed and closed; a caller running main() again in-process starts afresh


def start_logging(data_dir: DataDir, *, verbose: bool) -> None:
    """Log to the data dir; a folder that cannot be written costs the log file, never the command."""
    try:
        configure_logging(data_dir, verbose=verbose)
    except OSError as exc:
        print(f"kappa: warning: cannot write the log file in {data_dir.root / 'logs'} ({exc}); "
              "going on without one", file=sys.stderr)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kappa",
        description="Kappa, a mod manager for Single Player Tarkov. Without a command it opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"kappa {__version__}")
    parser.add_argument("--demo", action="store_true",
                        help="open the window on a built-in sample SPT install (no SPT or network needed)")
    parser.add_argument("--smoke-test", action="store_true",
                        help="open the window, scan, check every lazily loaded module, print what worked and quit "
                             "(for checks of a build)")
    add_global_options(parser, suppress=False)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module in (scan, forge, plan, install, servers, sandbox, diagnostics):
        module.register(commands, add_global_options)
    return parser


def add_global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """Options every command accepts before or after its name.

    On sub-commands the defaults are SUPPRESS, so an option given before the command is not overwritten.
    """
    def default(value: object) -> object:
        return argparse.SUPPRESS if suppress else value

    parser.add_argument("--spt", type=Path, metavar="PATH", default=default(None),
                        help="the SPT game root, or any folder inside it (default: the current folder)")
    parser.add_argument("--forge-url", metavar="URL", default=default(None),
                        help=f"base URL of the Forge API (default: the saved setting, {DEFAULT_FORGE_URL})")
    parser.add_argument("--data-dir", type=Path, metavar="DIR", default=default(None),
                        help="where Kappa keeps its own state (default: the user data folder)")
    parser.add_argument("--json", action="store_true", default=default(False), help="print data as JSON")
    parser.add_argument("--yes", action="store_true", default=default(False),
                        help="answer yes to confirmation prompts")
    parser.add_argument("--verbose", action="store_true", default=default(False),
                        help="write debug detail to the log file (logs/kappa.log in the data dir)")
