"""Render screenshots of Kappa's main views from the demo into docs/screenshots/ (README pictures).

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Runs the real app on the demo (sample install, local Forge and server emulators on 127.0.0.1), drives it like a
player would, and saves each view with `QWidget.grab()`. Nothing is written outside a temporary data dir and --out.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import qasync
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QApplication, QWidget

from app.core.data_dir import DataDir
from app.ui.app import keep_qt_settings_in, open_demo
from app.ui.main_window import MainWindow
from app.ui.theme import apply_theme

SIZE = (1600, 900)


async def until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("the demo did not get there in time")
        await asyncio.sleep(0.05)


def save(widget: QWidget, out: Path, name: str) -> None:
    path = out / f"{name}.png"
    widget.grab().save(str(path))
    print(f"wrote {path}")


def select(window: MainWindow, name: str) -> None:
    for row in range(window.proxy.rowCount()):
        index = window.proxy.index(row, 0)
        if index.data() == name:
            window.table.selectionModel().select(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
            return


async def shoot(app: QApplication, window: MainWindow, out: Path) -> None:
    window.resize(*SIZE)
    window.show()
    window.start_scan()
    await window.scan_finished()
    select(window, "Hideout Automation")
    await until(lambda: not window.details.loading())
    await asyncio.sleep(0.5)  # the servers' first poll
    save(window, out, "installed")

    window.tabs.setCurrentIndex(1)
    window.browse.search_edit.setText("loot")
    await until(lambda: window.browse.results.model().rowCount() > 0)
    window.browse.results.setCurrentIndex(window.browse.results.model().index(0, 0))
    await asyncio.sleep(1.0)  # thumbnails and the mod page
    save(window, out, "browse")

    window.tabs.setCurrentIndex(0)
    window.actions_.update(None)
    await until(lambda: bool(window.actions_.dialogs))
    await asyncio.sleep(0.2)
    save(window.actions_.dialogs[-1], out, "update-plan")
    window.actions_.dialogs[-1].accept()
    await until(lambda: all(job.state.finished for job in window.activity.jobs()))
    await window.scan_finished()
    save(window, out, "after-update")

    apply_theme(app, "dark")
    await asyncio.sleep(0.2)
    save(window, out, "installed-dark")
    apply_theme(app, "light")
    settings = window.show_settings()
    await asyncio.sleep(0.2)
    save(settings, out, "settings")
    settings.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv)
    with tempfile.TemporaryDirectory() as temp, contextlib.ExitStack() as running:
        data_dir = DataDir(Path(temp))
        keep_qt_settings_in(data_dir)
        apply_theme(app, "light")
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)

        async def run() -> None:
            window = open_demo(running, data_dir)
            try:
                await shoot(app, window, args.out)
            finally:
                await window.aclose()

        with loop:
            loop.run_until_complete(run())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
