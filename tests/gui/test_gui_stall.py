"""The GUI thread keeps answering while Kappa scans, checks, downloads and installs: a timer probe measures the
longest time it was kept from its event loop. `bench/gui_stall.py` reports the same on a 300-mod install."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from pytestqt.qtbot import QtBot

from app.core.data_dir import DataDir
from app.sandbox.forge import LocalForge
from app.sandbox.sample_install import create_sample_install
from app.services.workspace import Workspace
from app.ui.app import settle_heap
from app.ui.main_window import MainWindow
from app.ui.stall_probe import StallProbe

WAIT_MS = 30000
BAR = 0.050  # the bar: no stall over 50 ms


def test_the_probe_sees_a_blocked_gui_thread(qtbot: QtBot, event_loop: asyncio.AbstractEventLoop) -> None:
    probe = StallProbe(interval_ms=5)
    probe.start()
    qtbot.wait(30)
    time.sleep(0.12)  # a blocking call on the GUI thread, as a bug would make
    qtbot.wait(30)
    assert probe.stop() >= 0.1 and probe.ticks > 5


def test_scan_check_download_and_install_never_stall_the_gui(qtbot: QtBot, event_loop: asyncio.AbstractEventLoop,
                                                               data_dir: DataDir, tmp_path: Path) -> None:
    root = create_sample_install(tmp_path / "game", "4.0")
    with LocalForge(rate_limit=None) as forge:
        window = MainWindow(Workspace(data_dir, forge_url=forge.base_url), root)
        qtbot.addWidget(window)
        window.show()
        settle_heap()  # as run_gui does once the window is built
        probe = StallProbe(interval_ms=5)
        probe.start()
        window.start_scan()  # scan, then the check with the Forge
        qtbot.waitUntil(lambda: window.library is not None and window.library.report is not None, timeout=WAIT_MS)
        job = window.actions_.update(None)  # plan, download, unpack, install, rescan
        qtbot.waitUntil(lambda: bool(window.actions_.dialogs), timeout=WAIT_MS)
        window.actions_.dialogs[-1].go_button.click()
        qtbot.waitUntil(lambda: job.state.finished, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: window._scan_task is not None and window._scan_task.done(), timeout=WAIT_MS)
        worst = probe.stop()
        window.close()
        qtbot.waitUntil(lambda: window._close_task is None or window._close_task.done(), timeout=WAIT_MS)
    print(f"worst GUI stall: {worst * 1000:.1f} ms over {probe.ticks} ticks")
    assert job.state.name == "DONE", job.problem
    assert probe.ticks > 20
    assert worst < BAR, f"the GUI thread stalled {worst * 1000:.0f} ms"
