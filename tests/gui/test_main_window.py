"""The main window opens at once and fills its table from a scan that runs off the GUI thread."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent
from pytestqt.qtbot import QtBot

from app.core.data_dir import DataDir
from app.core.mods import ScanResult
from app.sandbox.sample_install import create_sample_install
from app.services.installed_mods import InstalledModsService
from app.services.mod_library import ModLibrary
from app.services.workspace import Workspace
from app.ui.main_window import MainWindow
from app.ui.mods_model import InstalledModsModel


class _RecordingService(InstalledModsService):
    """The real service, noting which thread did the scanning."""

    def __init__(self, data_dir: DataDir) -> None:
        super().__init__(data_dir)
        self.threads: list[threading.Thread] = []

    def scan_now(self, spt_path: Path) -> ScanResult:
        self.threads.append(threading.current_thread())
        return super().scan_now(spt_path)


@pytest.fixture
def window(qtbot: QtBot, event_loop: asyncio.AbstractEventLoop, data_dir: DataDir, tmp_path: Path) -> MainWindow:
    root = create_sample_install(tmp_path / "SPT-4.0", "4.0")
    library = ModLibrary(data_dir)
    library.scanner = _RecordingService(data_dir)
    win = MainWindow(Workspace(data_dir), root, note="demo install", library=library, check_with_forge=False)
    qtbot.addWidget(win)
    win.show()
    return win


def _cells(window: MainWindow, column: int) -> list[str]:
    model = window.proxy
    return [model.index(row, column).data() for row in range(model.rowCount())]


def _scanned(qtbot: QtBot, window: MainWindow) -> None:
    window.start_scan()
    qtbot.waitUntil(lambda: window.last_result is not None, timeout=15000)


def test_the_window_fills_the_table_from_a_background_scan(qtbot: QtBot, window: MainWindow) -> None:
    window.start_scan()
    assert window.statusBar().currentMessage().startswith("Scanning")
    qtbot.waitUntil(lambda: window.last_result is not None, timeout=15000)

    scanner = window.library_service.scanner
    assert isinstance(scanner, _RecordingService)
    assert scanner.threads and all(t is not threading.main_thread() for t in scanner.threads)
    names = _cells(window, InstalledModsModel.NAME)
    assert "LootPulse" in names and "SwiftSort Extras" in names and "spt-core" not in names
    assert len(window.last_result.mods) == 12 and len(names) == 11  # LootPulse's halves are one row
    assert [window.model.headerData(c, Qt.Orientation.Horizontal) for c in range(6)] == list(
        InstalledModsModel.COLUMNS)
    summary = window.summary.text()
    assert "SPT 4.0.11" in summary and "5 server mods" in summary and "7 client plugins" in summary
    assert "demo install" in summary
    parts = dict(zip(names, _cells(window, InstalledModsModel.PARTS), strict=True))
    assert parts["LootPulse"] == "Server + client" and parts["TacticalHUD"] == "Client"
    statuses = set(_cells(window, InstalledModsModel.STATUS))
    assert "Not checked" in statuses  # nothing is claimed before the Forge answered


def test_filter_and_show_narrow_the_table(qtbot: QtBot, window: MainWindow) -> None:
    _scanned(qtbot, window)
    window.filter_edit.setText("swiftsort")
    assert sorted(_cells(window, InstalledModsModel.NAME)) == ["SwiftSort Core", "SwiftSort Extras"]
    window.filter_edit.setText("")
    window.show_combo.setCurrentText("Needs attention")  # missing dependencies, blocked, incompatible
    assert "Better Scav Karma" in _cells(window, InstalledModsModel.NAME)
    assert "SwiftSort Core" not in _cells(window, InstalledModsModel.NAME)


def test_selection_drives_the_actions_and_the_details(qtbot: QtBot, window: MainWindow) -> None:
    _scanned(qtbot, window)
    assert not window.uninstall_action.isEnabled() and not window.update_action.isEnabled()
    window.table.selectRow(0)
    assert window.uninstall_action.isEnabled() and window.disable_action.isEnabled()
    assert not window.enable_action.isEnabled()
    assert window.details.row is not None and window.details.row.name == _cells(window, 0)[0]
    window.table.selectAll()
    assert window.details.row is None  # several rows: the pane waits for one


def test_every_action_has_a_shortcut_and_a_tooltip(window: MainWindow) -> None:
    for action in (window.rescan_action, window.update_action, window.update_all_action, window.disable_action,
                   window.enable_action, window.uninstall_action, window.undo_action, window.history_action,
                   window.open_action, window.settings_action):
        assert not action.shortcut().isEmpty(), action.text()
        assert action.toolTip(), action.text()


def test_a_vanished_install_is_reported_in_words(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    window.root = tmp_path / "gone"
    window.start_scan()
    qtbot.waitUntil(lambda: not window._scan_task or window._scan_task.done(), timeout=15000)
    message = window.statusBar().currentMessage()
    assert message.startswith("Could not read the install") and "does not exist" in message
    assert "Traceback" not in message


def test_dropping_something_that_is_not_a_mod_says_why(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    _scanned(qtbot, window)
    notes = tmp_path / "notes.txt"
    notes.write_text("not a mod\n")
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(notes))])
    event = QDropEvent(QPoint(10, 10), Qt.DropAction.CopyAction, data, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    message = window.statusBar().currentMessage()
    assert "notes.txt: not a mod archive" in message and ".zip" in message
    assert window.activity.jobs() == []
