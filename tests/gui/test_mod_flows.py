"""The desktop app's flows end to end, as a player drives them: the real window, a sample install in a temp dir, and the
local Forge over a socket. Update all, undo the batch, drop an archive, search and install from Browse, a conflict
explained, a download cancelled."""

from __future__ import annotations

import asyncio
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.core.data_dir import DataDir
from app.sandbox.forge import LocalForge
from app.sandbox.sample_install import ASSEMBLIES, create_sample_install
from app.services.activity import Job, JobState
from app.services.workspace import Workspace
from app.ui.main_window import MainWindow
from app.ui.mods_model import InstalledModsModel
from app.ui.plan_dialog import PlanDialog
from tests.trees import differences, snapshot

WAIT_MS = 20000


@pytest.fixture(scope="module")
def archive_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("forge-archives")


@pytest.fixture
def forge(archive_dir: Path) -> Iterator[LocalForge]:
    with LocalForge(rate_limit=None, archive_dir=archive_dir) as local:
        yield local


@pytest.fixture
def window(qtbot: QtBot, event_loop: asyncio.AbstractEventLoop, data_dir: DataDir, tmp_path: Path,
           forge: LocalForge) -> Iterator[MainWindow]:
    root = create_sample_install(tmp_path / "game", "4.0")
    win = MainWindow(Workspace(data_dir, forge_url=forge.base_url), root)
    qtbot.addWidget(win)
    win.show()
    win.start_scan()
    qtbot.waitUntil(lambda: win.library is not None and win.library.report is not None, timeout=WAIT_MS)
    yield win
    win.close()  # stops the jobs and closes the connections
    qtbot.waitUntil(lambda: win._close_task is None or win._close_task.done(), timeout=WAIT_MS)


def version_of(window: MainWindow, name: str) -> str:
    model = window.model
    for row in range(model.rowCount()):
        if model.index(row, InstalledModsModel.NAME).data() == name:
            return model.index(row, InstalledModsModel.VERSION).data()
    raise AssertionError(f"{name} is not in the table")


def the_dialog(qtbot: QtBot, window: MainWindow) -> PlanDialog | QMessageBox:
    qtbot.waitUntil(lambda: bool(window.actions_.dialogs), timeout=WAIT_MS)
    return window.actions_.dialogs[-1]


def finished(qtbot: QtBot, window: MainWindow, job: Job) -> Job:
    qtbot.waitUntil(lambda: job.state.finished, timeout=WAIT_MS)
    return job


def rescanned(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window._scan_task is not None and window._scan_task.done()
                    and window.library is not None and window.library.report is not None, timeout=WAIT_MS)


def update_everything(qtbot: QtBot, window: MainWindow) -> Job:
    window.update_all_action.trigger()
    (job,) = window.activity.jobs()
    dialog = the_dialog(qtbot, window)
    assert isinstance(dialog, PlanDialog)
    assert job.state == JobState.WAITING  # nothing is downloaded before the player said yes
    rows = [dialog.changes.topLevelItem(i).text(1) for i in range(dialog.changes.topLevelItemCount())]
    assert "Better Scav Karma" in rows and "Ravenfall CoreLib" in rows  # an update and a new dependency
    assert "to download" in dialog.headline.text() and "new dependencies" in dialog.headline.text()
    dialog.go_button.click()
    finished(qtbot, window, job)
    assert job.state == JobState.DONE, job.problem
    rescanned(qtbot, window)
    return job


def test_update_all_shows_the_plan_first_then_updates(qtbot: QtBot, window: MainWindow) -> None:
    assert version_of(window, "Better Scav Karma") == "0.9.14"
    update_everything(qtbot, window)
    assert version_of(window, "Better Scav Karma") == "0.9.15"
    assert version_of(window, "LootPulse") == "1.7.4"
    assert window.history_action.isEnabled()


def test_saying_no_to_the_plan_changes_nothing(qtbot: QtBot, window: MainWindow) -> None:
    before = snapshot(window.root)
    window.update_all_action.trigger()
    dialog = the_dialog(qtbot, window)
    dialog.reject()
    (job,) = window.activity.jobs()
    finished(qtbot, window, job)
    assert job.state == JobState.DONE and job.result is None
    assert differences(before, snapshot(window.root)) == []
    assert window.workspace.installer(window.root).history() == []


def test_undo_reverts_the_whole_batch(qtbot: QtBot, window: MainWindow) -> None:
    before = snapshot(window.root)
    update_everything(qtbot, window)
    assert differences(before, snapshot(window.root))
    window.undo_action.trigger()
    box = the_dialog(qtbot, window)
    assert isinstance(box, QMessageBox) and "Undo #1" in box.text()
    next(b for b in box.buttons() if b.text() == "Undo").click()
    job = window.activity.jobs()[-1]
    finished(qtbot, window, job)
    assert job.state == JobState.DONE, job.problem
    assert differences(before, snapshot(window.root)) == []
    rescanned(qtbot, window)
    assert version_of(window, "Better Scav Karma") == "0.9.14"
    history = window.show_history()
    qtbot.waitUntil(lambda: history.table.topLevelItemCount() == 2, timeout=WAIT_MS)
    assert not history.undo_button.isEnabled()  # the update is undone; an undo is not undone by Undo
    history.close()


def test_dropping_an_archive_installs_it_with_its_missing_dependencies(qtbot: QtBot, window: MainWindow,
                                                                        tmp_path: Path) -> None:
    shutil.rmtree(window.root / "BepInEx/plugins/TacticalHUD")
    archive = tmp_path / "TacticalHUD.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for name in ("TacticalHUD.dll", "TacticalHUD.Shared.dll"):
            zipped.writestr(f"BepInEx/plugins/TacticalHUD/{name}", (ASSEMBLIES / "client" / name).read_bytes())
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(archive))])
    window.dropEvent(QDropEvent(QPoint(5, 5), Qt.DropAction.CopyAction, data, Qt.MouseButton.NoButton,
                                Qt.KeyboardModifier.NoModifier))
    dialog = the_dialog(qtbot, window)
    assert isinstance(dialog, PlanDialog) and dialog.add_missing is not None and dialog.add_missing.isChecked()
    assert "com.ravenfall.corelib" in dialog.notes.text()
    dialog.go_button.click()
    (job,) = window.activity.jobs()
    finished(qtbot, window, job)
    assert job.state == JobState.DONE, job.problem
    assert (window.root / "BepInEx/plugins/TacticalHUD/TacticalHUD.dll").is_file()
    rescanned(qtbot, window)
    assert version_of(window, "TacticalHUD") == "2.1.0"
    (record,) = window.workspace.installer(window.root).history()
    assert "install Ravenfall CoreLib 1.2.3" in record.summary and "install TacticalHUD 2.1.0" in record.summary


def test_search_and_install_from_browse(qtbot: QtBot, window: MainWindow) -> None:
    window.tabs.setCurrentWidget(window.browse)
    browse = window.browse
    qtbot.keyClicks(browse.search_edit, "squad comms")
    qtbot.waitUntil(lambda: browse.results.model().rowCount() > 0, timeout=WAIT_MS)
    browse.results.setCurrentIndex(browse.results.model().index(0, 0))
    qtbot.waitUntil(lambda: browse.install_button.isEnabled(), timeout=WAIT_MS)
    browse.install_button.click()
    dialog = the_dialog(qtbot, window)
    assert isinstance(dialog, PlanDialog)
    names = [dialog.changes.topLevelItem(i).text(1) for i in range(dialog.changes.topLevelItemCount())]
    assert "Squad Comms" in names and "Squad Core" in names  # with what it needs
    dialog.go_button.click()
    (job,) = window.activity.jobs()
    finished(qtbot, window, job)
    assert job.state == JobState.DONE, job.problem
    (record,) = window.workspace.installer(window.root).history()
    assert "install Squad Comms" in record.summary and "install Squad Core" in record.summary


def test_a_conflict_is_explained_and_nothing_changes(qtbot: QtBot, window: MainWindow) -> None:
    before = snapshot(window.root)
    job = window.actions_.install_from_forge(1109, "Questing Bots")  # what Browse's Install button calls
    dialog = the_dialog(qtbot, window)
    assert isinstance(dialog, PlanDialog) and dialog.go_button is None  # an explanation: there is nothing to confirm
    assert "No plan satisfies" in dialog.headline.text()
    assert "WTT-CommonLib" in dialog.notes.text()
    finished(qtbot, window, job)
    assert job.state == JobState.FAILED and job.problem is not None and "No plan" in job.problem.message
    assert differences(before, snapshot(window.root)) == []


def test_cancelling_a_download_changes_nothing(qtbot: QtBot, window: MainWindow, forge: LocalForge,
                                               data_dir: DataDir) -> None:
    before = snapshot(window.root)
    forge.slow_downloads(0.5)  # every archive now trickles in
    window.update_all_action.trigger()
    dialog = the_dialog(qtbot, window)
    dialog.go_button.click()
    (job,) = window.activity.jobs()
    qtbot.waitUntil(lambda: job.step == "Downloading" and bool(job.transfers), timeout=WAIT_MS)
    window.activity_dock.select_job(job.id)
    window.activity_dock.cancel_selected()
    finished(qtbot, window, job)
    assert job.state == JobState.CANCELLED
    assert differences(before, snapshot(window.root)) == []
    assert not any((data_dir.vault_dir / "staging").glob("*/*")) if (data_dir.vault_dir / "staging").exists() \
        else True


def select(window: MainWindow, name: str) -> None:
    for row in range(window.proxy.rowCount()):
        if window.proxy.index(row, InstalledModsModel.NAME).data() == name:
            window.table.selectRow(row)
            return
    raise AssertionError(f"{name} is not in the table")


def test_disable_then_enable_from_the_selection(qtbot: QtBot, window: MainWindow) -> None:
    select(window, "Hideout Automation")
    window.disable_action.trigger()
    box = the_dialog(qtbot, window)
    assert isinstance(box, QMessageBox) and "Disable Hideout Automation?" in box.text()
    next(b for b in box.buttons() if b.text() == "Disable").click()
    finished(qtbot, window, window.activity.jobs()[-1])
    rescanned(qtbot, window)
    assert not (window.root / "SPT/user/mods/HideoutAutomation").exists()
    select(window, "Hideout Automation")
    (row,) = window.selected_rows()
    assert row.status_text == "Disabled" and window.enable_action.isEnabled()
    window.enable_action.trigger()  # putting a mod back asks nothing
    finished(qtbot, window, window.activity.jobs()[-1])
    rescanned(qtbot, window)
    assert (window.root / "SPT/user/mods/HideoutAutomation").is_dir()


def test_uninstalling_a_dependency_names_who_needs_it(qtbot: QtBot, window: MainWindow) -> None:
    select(window, "SwiftSort Core")  # SwiftSort Extras needs it
    window.uninstall_action.trigger()
    box = the_dialog(qtbot, window)
    assert isinstance(box, QMessageBox) and "SwiftSort Extras 1.3.0 needs it" in box.informativeText()
    box.reject()
    job = finished(qtbot, window, window.activity.jobs()[-1])
    assert job.state == JobState.DONE and (window.root / "BepInEx/plugins/SwiftSort/SwiftSort.Core.dll").is_file()
