"""The main window opens at once and fills its table from a scan that runs off the GUI thread."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.core.data_dir import DataDir
from app.services.installed_mods import InstalledModsService
from app.ui.app import choose_install
from app.ui.main_window import MainWindow
from app.ui.mods_model import InstalledModsModel


class _RecordingService(InstalledModsService):
    """The real service, noting which thread did the scanning."""

    def __init__(self, data_dir: DataDir) -> None:
        super().__init__(data_dir)
        self.threads: list[threading.Thread] = []

    def scan_now(self, spt_path: Path):  # type: ignore[no-untyped-def]
        self.threads.append(threading.current_thread())
        return super().scan_now(spt_path)


@pytest.fixture
def window(qtbot: QtBot, event_loop: asyncio.AbstractEventLoop, data_dir: DataDir) -> MainWindow:
    root, note = choose_install(None, data_dir, demo=True)
    win = MainWindow(_RecordingService(data_dir), root, note=note)
    qtbot.addWidget(win)
    win.show()
    return win


def _cells(window: MainWindow, column: int) -> list[str]:
    model = window.proxy
    return [model.index(row, column).data() for row in range(model.rowCount())]


def test_demo_window_fills_the_table_from_a_background_scan(qtbot: QtBot, window: MainWindow) -> None:
    window.start_scan()
    assert window.statusBar().currentMessage().startswith("Scanning")
    qtbot.waitUntil(lambda: window.last_result is not None, timeout=15000)

    service = window.service
    assert isinstance(service, _RecordingService)
    assert service.threads and all(t is not threading.main_thread() for t in service.threads)
    names = _cells(window, InstalledModsModel.NAME)
    assert "LootPulse" in names and "SwiftSort Extras" in names and "spt-core" not in names
    assert len(names) == len(window.last_result.mods) == 12
    assert window.model.columnCount() == 5
    assert [window.model.headerData(c, _horizontal()) for c in range(5)] == list(InstalledModsModel.COLUMNS)
    summary = window.summary.text()
    assert "SPT 4.0.11" in summary and "5 server mods" in summary and "7 client plugins" in summary
    assert "demo install" in summary


def test_disabled_mods_show_as_disabled(qtbot: QtBot, window: MainWindow) -> None:
    window.start_scan()
    qtbot.waitUntil(lambda: window.last_result is not None, timeout=15000)
    rows = dict(zip(_cells(window, InstalledModsModel.PATH), _cells(window, InstalledModsModel.ENABLED), strict=True))
    assert rows["BepInEx/plugins/LootPulse/LootPulse.Client.dll.disabled"] == "Disabled"
    assert rows["SPT/user/mods/LootPulse"] == "Enabled"


def test_filter_narrows_the_table(qtbot: QtBot, window: MainWindow) -> None:
    window.start_scan()
    qtbot.waitUntil(lambda: window.last_result is not None, timeout=15000)
    window.filter_edit.setText("swiftsort")
    assert sorted(_cells(window, InstalledModsModel.NAME)) == ["SwiftSort Core", "SwiftSort Extras"]


def test_a_vanished_install_is_reported_in_words(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    window.spt_path = tmp_path / "gone"
    window.start_scan()
    qtbot.waitUntil(lambda: not window._scan_task or window._scan_task.done(), timeout=15000)
    message = window.statusBar().currentMessage()
    assert message.startswith("Could not read the install:") and "does not exist" in message
    assert "Traceback" not in message


def _horizontal():  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    return Qt.Orientation.Horizontal
