"""How long the GUI thread is kept from its event loop while Kappa scans, checks, downloads and installs.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/gui_stall.py [--rounds 3] [--mods 300]

A timer probe (app/ui/stall_probe.py) ticks every 5 ms on the GUI thread; a tick that comes late measures a stall.
Each phase runs on the real main window against the local Forge over 127.0.0.1: scan (a sample install padded
with synthetic plugins to --mods), check with the Forge, then update everything (plan, download, unpack, install,
rescan). The baseline is the same probe over an idle event loop of the same length, in the same run: the
scheduler's own jitter. The issue's bar: no stall over 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import qasync
from PySide6.QtWidgets import QApplication

from app.core.data_dir import DataDir
from app.sandbox.forge import LocalForge
from app.sandbox.sample_install import create_sample_install
from app.services.workspace import Workspace
from app.ui.app import warm_up
from app.ui.main_window import MainWindow
from app.ui.stall_probe import StallProbe


def pad_install(root: Path, mods: int) -> None:
    """Copies of a sample plugin under new folders, so the scan reads `mods` plugins (each its own DLL)."""
    source = next((root / "BepInEx" / "plugins").rglob("SwiftSort.Core.dll"))
    for number in range(mods):
        folder = root / "BepInEx" / "plugins" / f"Padding{number:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, folder / f"Padding{number:03d}.dll")


async def measured(probe: StallProbe, work: Callable[[], Awaitable[object]]) -> tuple[float, float]:
    probe.start()
    started = time.perf_counter()
    await work()
    return probe.stop(), time.perf_counter() - started


async def until(condition: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not get there")
        await asyncio.sleep(0.01)


async def one_round(window: MainWindow, probe: StallProbe) -> dict[str, tuple[float, float]]:
    results: dict[str, tuple[float, float]] = {}

    async def scan() -> None:
        window.check_with_forge = False
        window.start_scan()
        await window.scan_finished()

    async def check() -> None:
        window.check_with_forge = True
        window.start_scan()
        await window.scan_finished()

    async def update_all() -> None:
        window.actions_.update(None)
        await until(lambda: bool(window.actions_.dialogs))
        window.actions_.dialogs[-1].go_button.click()
        await until(lambda: all(job.state.finished for job in window.activity.jobs()))
        await until(lambda: window._scan_task is not None and window._scan_task.done())

    async def undo() -> None:
        window.actions_.undo()
        await until(lambda: bool(window.actions_.dialogs))
        box = window.actions_.dialogs[-1]
        next(b for b in box.buttons() if b.text() == "Undo").click()
        await until(lambda: all(job.state.finished for job in window.activity.jobs()))
        await until(lambda: window._scan_task is not None and window._scan_task.done())

    for name, work in (("scan", scan), ("check", check), ("download + install", update_all), ("undo", undo)):
        results[name] = await measured(probe, work)
    idle_for = max(seconds for _, seconds in results.values())
    results["idle (baseline)"] = await measured(probe, lambda: asyncio.sleep(idle_for))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mods", type=int, default=300, help="plugins in the install (padded)")
    args = parser.parse_args()
    app = QApplication(sys.argv)
    worst: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as temp, LocalForge(rate_limit=None) as forge:
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)

        async def run() -> None:
            for number in range(args.rounds):
                root = create_sample_install(Path(temp) / f"game{number}", "4.0")
                pad_install(root, max(0, args.mods - 12))
                window = MainWindow(Workspace(DataDir(Path(temp) / f"data{number}"), forge_url=forge.base_url), root)
                window.resize(1280, 800)
                window.show()
                await warm_up()  # as run_gui does once the window is built
                probe = StallProbe()
                with contextlib.suppress(Exception):
                    await asyncio.sleep(0.2)
                measured_round = await one_round(window, probe)
                print(f"round {number + 1}: " + ", ".join(f"{name} {stall * 1000:.1f} ms"
                                                         for name, (stall, _) in measured_round.items()))
                for name, (stall, _) in measured_round.items():
                    worst[name] = max(worst.get(name, 0.0), stall)
                await window.aclose()
                window.deleteLater()

        with loop:
            loop.run_until_complete(run())
    baseline = worst.pop("idle (baseline)")
    print(f"worst GUI-thread stall over {args.rounds} rounds, {args.mods} mods (bar: 50 ms)")
    for name, stall in worst.items():
        print(f"  {name:<20} {stall * 1000:6.1f} ms   ({stall / baseline if baseline else float('inf'):.1f}x idle)")
    print(f"  {'idle (baseline)':<20} {baseline * 1000:6.1f} ms")
    return 0 if max(worst.values()) <= 0.050 else 1


if __name__ == "__main__":
    raise SystemExit(main())
