"""Help > Copy diagnostics builds the zip off the GUI thread and copies its path; Help > Open the log folder."""

from __future__ import annotations

import asyncio
import threading
import zipfile
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from app.core.data_dir import DataDir
from app.sandbox.sample_install import create_sample_install
from app.services import diagnostics
from app.services.workspace import Workspace
from app.ui import main_window
from app.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot: QtBot, event_loop: asyncio.AbstractEventLoop, data_dir: DataDir, tmp_path: Path) -> MainWindow:
    root = create_sample_install(tmp_path / "SPT", "4.0")
    win = MainWindow(Workspace(data_dir), root, check_with_forge=False)
    qtbot.addWidget(win)
    win.show()
    return win


def _help_action(window: MainWindow, text: str) -> QAction:
    assert [action.text() for action in window.menuBar().actions()][-1] == "&Help"
    menu = next(menu for menu in window.menuBar().findChildren(QMenu) if menu.title() == "&Help")
    return next(action for action in menu.actions() if action.text() == text)


def test_copy_diagnostics_puts_the_zip_path_on_the_clipboard(qtbot: QtBot, window: MainWindow, data_dir: DataDir,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[threading.Thread] = []
    real_build = diagnostics.build_diagnostics

    def recording_build(*args: object, **kwargs: object) -> Path:
        threads.append(threading.current_thread())
        return real_build(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(main_window, "build_diagnostics", recording_build)
    QGuiApplication.clipboard().setText("")

    _help_action(window, "Copy diagnostics for a bug report").trigger()
    qtbot.waitUntil(lambda: "kappa-diagnostics-" in QGuiApplication.clipboard().text(), timeout=15000)

    path = Path(QGuiApplication.clipboard().text().splitlines()[0])
    assert path.is_file() and path.is_relative_to(data_dir.root / "diagnostics")
    assert "the installed mods" in QGuiApplication.clipboard().text()  # the summary follows the path
    with zipfile.ZipFile(path) as archive:
        assert {"about.json", "settings.json", "scan.json", "history.json"} <= set(archive.namelist())
    assert threads and threads[0] is not threading.main_thread()
    assert window.statusBar().currentMessage() == (
        f"Diagnostics saved to {path} (path copied). Attach it to your bug report.")
    assert window.diagnostics_action.isEnabled()


def test_a_diagnostics_failure_is_said_in_words(qtbot: QtBot, window: MainWindow, data_dir: DataDir) -> None:
    data_dir.root.mkdir(parents=True, exist_ok=True)
    (data_dir.root / "diagnostics").write_text("a file where the folder should be", encoding="utf-8")

    window.diagnostics_action.trigger()
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Could not save the diagnostics"),
                    timeout=15000)
    assert "Traceback" not in window.statusBar().currentMessage()
    assert window.diagnostics_action.isEnabled()


def test_open_the_log_folder_opens_the_data_dirs_logs(window: MainWindow, data_dir: DataDir) -> None:
    opened: list[QUrl] = []
    window.open_url = opened.append

    _help_action(window, "Open the log folder").trigger()

    assert [url.toLocalFile() for url in opened] == [str(data_dir.root / "logs")]
    assert (data_dir.root / "logs").is_dir()
