"""The GUI thread keeps answering while Kappa scans, checks, downloads and installs.

A timer probe (app/ui/stall_probe.py) measures the longest time the GUI thread was kept from its event loop. The
whole flow is measured by `bench/gui_stall.py` in a fresh interpreter, as a player runs the app: inside this test
process the heap holds every earlier test's objects, and collecting them would be measured instead of Kappa.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from pytestqt.qtbot import QtBot

from app.ui.stall_probe import StallProbe

BENCH = Path(__file__).resolve().parents[2] / "bench" / "gui_stall.py"


def test_the_probe_sees_a_blocked_gui_thread(qtbot: QtBot, event_loop: asyncio.AbstractEventLoop) -> None:
    probe = StallProbe(interval_ms=5)
    probe.start()
    qtbot.wait(30)
    time.sleep(0.12)  # a blocking call on the GUI thread, as a bug would make
    qtbot.wait(30)
    assert probe.stop() >= 0.1 and probe.ticks > 5


def test_scan_check_download_install_and_undo_never_stall_the_gui_over_50_ms(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TMPDIR": str(tmp_path)}
    completed = subprocess.run([sys.executable, str(BENCH), "--rounds", "1", "--mods", "40"], capture_output=True,
                               text=True, timeout=180, env=env, check=False)
    print(completed.stdout)
    stalls = {name.strip(): float(ms) for name, ms in re.findall(r"^  (\S[^\d]*?)\s+([\d.]+) ms", completed.stdout,
                                                                  re.MULTILINE)}
    assert {"scan", "check", "download + install", "undo"} <= stalls.keys(), completed.stdout + completed.stderr
    assert completed.returncode == 0, f"the GUI thread stalled over 50 ms:\n{completed.stdout}"
    assert "Traceback" not in completed.stderr
