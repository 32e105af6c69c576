"""`kappa diagnostics`: a zip for a bug report (logs, settings without secrets, the scan, versions)."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Any

from app.cli.output import EXIT_OK, print_json
from app.core.data_dir import DataDir
from app.core.spt_install import NotAnSptInstall, find_spt_root
from app.services.diagnostics import build_diagnostics, diagnostics_contents, diagnostics_summary
from app.services.installs import InstallsService


def register(commands: Any, add_global_options: Any) -> None:
    diagnostics = commands.add_parser(
        "diagnostics", help="save logs, settings (without secrets) and a scan in a zip to attach to a bug report")
    add_global_options(diagnostics, suppress=True)
    diagnostics.set_defaults(handler=run)


def install_to_report(spt: Path | None, data_dir: DataDir) -> Path | None:
    """The install named by --spt (scanned even when it is wrong: the zip then says why), else the current folder's,
    else the one opened last."""
    if spt is not None:
        return spt
    with contextlib.suppress(NotAnSptInstall, OSError):
        return find_spt_root(Path.cwd())
    return InstallsService(data_dir).current()


def run(args: argparse.Namespace) -> int:
    data_dir = DataDir.at(args.data_dir)
    path = build_diagnostics(data_dir, install_to_report(args.spt, data_dir))
    if args.json:
        print_json({"path": str(path), "size": path.stat().st_size, "contents": diagnostics_contents(path)})
    else:
        sys.stdout.write(f"Diagnostics saved to {path}\n{diagnostics_summary(path)}\n"
                         "Attach the zip to your bug report.\n")
    return EXIT_OK
