"""Starting the desktop app: QApplication, the qasync event loop, and the main window."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import qasync  # after PySide6, so that qasync binds to it
from PySide6.QtWidgets import QApplication

from app.core.data_dir import DataDir
from app.core.spt_install import NotAnSptInstall, find_spt_root
from app.sandbox.sample_install import recreate_sample_install
from app.services.installed_mods import InstalledModsService
from app.ui.main_window import MainWindow


def choose_install(spt: Path | None, data_dir: DataDir, demo: bool) -> tuple[Path, str | None]:
    """The install to open and a note for the status bar: the given one, the current folder, or the demo."""
    if not demo:
        try:
            return find_spt_root(spt or Path.cwd()), None
        except NotAnSptInstall:
            if spt is not None:
                raise
    root = recreate_sample_install(data_dir.demo_root, "4.0")
    return root, "demo install (no SPT install was given)" if not demo else "demo install"


def run_gui(spt: Path | None, data_dir: DataDir, demo: bool, smoke_test: bool = False) -> int:
    """Open the window and run until it closes. With `smoke_test`, quit once the first scan is shown."""
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Kappa")
    app.setOrganizationName("Kappa")
    root, note = choose_install(spt, data_dir, demo)
    window = MainWindow(InstalledModsService(data_dir), root, note=note)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    closed = asyncio.Event()
    app.aboutToQuit.connect(closed.set)

    async def run() -> int:
        window.show()
        window.start_scan()
        if smoke_test:
            await window.scan_finished()
            if window.last_result is None:
                print("kappa smoke test: the scan failed", file=sys.stderr)
                return 1
            print(f"kappa smoke test: window open, {len(window.last_result.mods)} mods listed", flush=True)
            return 0
        await closed.wait()
        return 0

    with loop:
        return loop.run_until_complete(run())
