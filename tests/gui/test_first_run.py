"""The first-run dialog: installs found in the background are listed; choosing one remembers it and makes it current;
a folder that is not SPT is refused in words; the demo is one button away."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.core.data_dir import DataDir
from app.core.install_finder import FoundInstall
from app.sandbox.sample_install import recreate_sample_install
from app.services.installs import InstallsService
from app.ui.first_run import FirstRunDialog, open_folder_dialog

WAIT_MS = 5000


@pytest.fixture
def games(tmp_path: Path) -> Path:
    folder = tmp_path / "Games"
    for layout in ("3.x", "4.0", "4.1"):
        recreate_sample_install(folder / f"SPT-{layout}", layout)
    (folder / "Photos").mkdir()
    return folder


class Chooser:
    """Stands in for the folder picker: answers with the next folder queued."""

    def __init__(self) -> None:
        self.folders: list[Path] = []

    def __call__(self, parent: QWidget, title: str, on_chosen: Callable[[Path], None]) -> None:
        on_chosen(self.folders.pop(0))


@pytest.fixture
def chooser() -> Chooser:
    return Chooser()


@pytest.fixture
def open_dialog(qtbot: QtBot, event_loop: asyncio.AbstractEventLoop, chooser: Chooser
                ) -> Callable[[InstallsService], FirstRunDialog]:
    def make(installs: InstallsService) -> FirstRunDialog:
        dialog = FirstRunDialog(installs, choose_folder=chooser)
        qtbot.addWidget(dialog)
        dialog.open()
        qtbot.waitUntil(lambda: not dialog.status_label.text().startswith("Looking"), timeout=WAIT_MS)
        return dialog

    return make


def test_found_installs_are_listed_running_first(open_dialog: Callable[[InstallsService], FirstRunDialog],
                                                 data_dir: DataDir, games: Path) -> None:
    installs = InstallsService(data_dir, locations=[games], running_roots=lambda: [games / "SPT-4.1"])
    dialog = open_dialog(installs)
    assert dialog.status_label.text() == "Found 3 SPT installs. Pick yours, or choose another folder."
    texts = [dialog.found_list.item(row).text() for row in range(dialog.found_list.count())]
    assert texts[0].startswith("SPT 4.1.2 (4.1 layout)") and "an SPT process runs from it" in texts[0]
    assert any(text.startswith("SPT 3.11.2 (3.x layout)") and "found in a usual place" in text for text in texts)
    assert dialog.found_list.currentRow() == 0 and dialog.use_button.isEnabled()


def test_choosing_a_found_install_emits_it_and_remembers_it(
        qtbot: QtBot, open_dialog: Callable[[InstallsService], FirstRunDialog], data_dir: DataDir,
        games: Path) -> None:
    installs = InstallsService(data_dir, locations=[games], running_roots=lambda: [])
    dialog = open_dialog(installs)
    row = next(row for row in range(dialog.found_list.count())
               if dialog.found()[row].root == games / "SPT-4.0")
    dialog.found_list.setCurrentRow(row)
    with qtbot.waitSignal(dialog.chosen, timeout=WAIT_MS) as chosen:
        qtbot.mouseClick(dialog.use_button, Qt.MouseButton.LeftButton)
    assert chosen.args == [games / "SPT-4.0"]
    assert installs.current() == games / "SPT-4.0"
    assert [found.root for found in installs.remembered()] == [games / "SPT-4.0"]
    assert not dialog.isVisible()


def test_a_folder_that_is_not_spt_is_refused_in_words(
        qtbot: QtBot, open_dialog: Callable[[InstallsService], FirstRunDialog], data_dir: DataDir, games: Path,
        chooser: Chooser) -> None:
    installs = InstallsService(data_dir, locations=[], running_roots=lambda: [])
    dialog = open_dialog(installs)
    assert dialog.status_label.text().startswith("No SPT install was found in the usual places.")
    assert not dialog.use_button.isEnabled()
    emitted: list[object] = []
    dialog.chosen.connect(emitted.append)

    chooser.folders.append(games / "Photos")
    qtbot.mouseClick(dialog.choose_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.error_label.isVisible, timeout=WAIT_MS)
    assert f"{games / 'Photos'} is not an SPT install: no SPT.Server" in dialog.error_label.text()
    assert emitted == [] and dialog.isVisible() and installs.current() is None
    assert dialog.choose_button.isEnabled()

    chooser.folders.append(games / "SPT-3.x" / "user" / "mods")  # a folder inside an install is fine
    with qtbot.waitSignal(dialog.chosen, timeout=WAIT_MS) as chosen:
        qtbot.mouseClick(dialog.choose_button, Qt.MouseButton.LeftButton)
    assert chosen.args == [games / "SPT-3.x"]
    assert installs.current() == games / "SPT-3.x"


def test_the_demo_button_asks_for_the_demo_and_remembers_nothing(
        qtbot: QtBot, open_dialog: Callable[[InstallsService], FirstRunDialog], data_dir: DataDir,
        games: Path) -> None:
    installs = InstallsService(data_dir, locations=[games], running_roots=lambda: [])
    dialog = open_dialog(installs)
    with qtbot.waitSignal(dialog.demo_requested, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.demo_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert installs.remembered() == [] and installs.current() is None


def test_discovery_runs_while_the_dialog_is_shown(
        qtbot: QtBot, event_loop: asyncio.AbstractEventLoop, data_dir: DataDir, games: Path) -> None:
    release = asyncio.Event()

    class SlowInstalls(InstallsService):
        async def discover(self) -> list[FoundInstall]:
            await release.wait()
            return await super().discover()

    dialog = FirstRunDialog(SlowInstalls(data_dir, locations=[games], running_roots=lambda: []))
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.wait(20)
    assert dialog.isVisible() and dialog.status_label.text() == "Looking for SPT installs…"
    release.set()
    qtbot.waitUntil(lambda: dialog.found_list.count() == 3, timeout=WAIT_MS)


def test_the_default_folder_chooser_does_not_block(qtbot: QtBot, event_loop: asyncio.AbstractEventLoop,
                                                   games: Path) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    picked: list[Path] = []
    chooser = open_folder_dialog(parent, "Choose your SPT folder", picked.append)  # returns at once: open(), not exec()
    assert chooser.isVisible() and chooser.windowTitle() == "Choose your SPT folder"
    chooser.fileSelected.emit(str(games / "SPT-4.0"))
    assert picked == [games / "SPT-4.0"]
    chooser.reject()
