"""The first-run dialog: find the player's SPT install (running, remembered or in a usual place), let them pick one or
choose its folder, or try the demo; and the non-modal folder chooser the settings dialog shares.

Discovery runs in a worker thread while the dialog is already on screen, so the window never freezes on a slow
disk. Choosing an install remembers it and makes it current before `chosen` is emitted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import KappaError
from app.core.install_finder import SOURCE_WORDS, FoundInstall
from app.services.installs import InstallsService
from app.ui.dialogs import TaskKeeper, sentence
from app.ui.theme import ErrorLabel

log = logging.getLogger(__name__)

# (parent, title, on_chosen): shows a folder chooser without blocking and calls `on_chosen` with the folder picked.
FolderChooser = Callable[[QWidget, str, Callable[[Path], None]], object]
INSTALL_ROLE = Qt.ItemDataRole.UserRole


def open_folder_dialog(parent: QWidget, title: str, on_chosen: Callable[[Path], None]) -> QFileDialog:
    """A folder picker shown with open(): a modal exec() would stop the asyncio tasks running on the Qt loop."""
    dialog = QFileDialog(parent, title)
    dialog.setFileMode(QFileDialog.FileMode.Directory)
    dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.fileSelected.connect(lambda path: on_chosen(Path(path)))
    dialog.open()
    return dialog


def install_item(found: FoundInstall, *, current: bool = False) -> QListWidgetItem:
    """A list row for an install: what it is on the first line, where it was found on the second; the current
    install in bold."""
    where = SOURCE_WORDS.get(found.source, found.source)
    first = f"{found.describe()}  (current)" if current else found.describe()
    item = QListWidgetItem(f"{first}\n    {where}" if found.usable else first)
    item.setData(INSTALL_ROLE, found)
    if current:
        font = QFont(item.font())
        font.setBold(True)
        item.setFont(font)
    item.setToolTip(str(found.root) if found.usable else f"{found.root}: {found.problem}")
    return item


class FirstRunDialog(QDialog):
    """Shown when Kappa knows no SPT install. Emits `chosen` (the game root, already remembered and current) or
    `demo_requested`; closing it emits neither (the caller decides what happens then)."""

    chosen = Signal(object)  # Path
    demo_requested = Signal()

    def __init__(self, installs: InstallsService, parent: QWidget | None = None, *,
                 choose_folder: FolderChooser = open_folder_dialog) -> None:
        super().__init__(parent)
        self.installs = installs
        self.choose_folder = choose_folder
        self.tasks = TaskKeeper()
        self._discovery: asyncio.Task[Any] | None = None
        self.setWindowTitle("Welcome to Kappa")
        self._build()
        self.resize(640, 380)

    def _build(self) -> None:
        intro = QLabel("Kappa manages the mods of a Single Player Tarkov install, and never leaves it half-changed. "
                       "Which install is yours?")
        intro.setWordWrap(True)
        self.status_label = QLabel("Looking for SPT installs…")
        self.status_label.setWordWrap(True)
        self.found_list = QListWidget()
        self.found_list.setToolTip("The SPT installs found on this computer: running ones first")
        self.found_list.setAccessibleName("SPT installs found")
        self.found_list.itemDoubleClicked.connect(lambda _item: self.use_selected())
        self.found_list.currentItemChanged.connect(lambda *_: self._update_buttons())
        list_label = QLabel("&Installs found:")
        list_label.setBuddy(self.found_list)
        self.error_label = ErrorLabel()
        self.use_button = QPushButton("&Use this install")
        self.use_button.setToolTip("Open the selected install; Kappa remembers it for next time")
        self.use_button.clicked.connect(self.use_selected)
        self.choose_button = QPushButton("&Choose folder…")
        self.choose_button.setToolTip("Pick the SPT folder yourself: the one that holds EscapeFromTarkov.exe")
        self.choose_button.clicked.connect(self.choose)
        self.demo_button = QPushButton("Try the &demo")
        self.demo_button.setToolTip("Look around Kappa with a sample install in its data folder; your game is "
                                    "not touched")
        self.demo_button.clicked.connect(self.try_demo)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        for button in (self.use_button, self.choose_button, self.demo_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        for widget in (intro, self.status_label, list_label, self.found_list, self.error_label):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        self.use_button.setDefault(True)
        self._update_buttons()

    # -- discovery

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self._discovery is None:
            self._discovery = self.tasks.spawn(self._discover(), "finding SPT installs")

    async def _discover(self) -> None:
        try:
            found = await self.installs.discover()
        except Exception as exc:  # a search that fails leaves the folder chooser and the demo
            log.exception("finding SPT installs failed")
            self.status_label.setText(f"Looking for SPT installs failed ({exc}). Choose the folder yourself, "
                                      "or try the demo.")
            return
        self.show_found(found)

    def show_found(self, found: list[FoundInstall]) -> None:
        self.found_list.clear()
        for install in found:
            self.found_list.addItem(install_item(install))
        if found:
            self.found_list.setCurrentRow(0)
            self.found_list.setFocus()
            self.status_label.setText(f"Found {_count(len(found))}. Pick yours, or choose another folder.")
        else:
            self.status_label.setText("No SPT install was found in the usual places. Choose its folder (the one "
                                      "that holds EscapeFromTarkov.exe), or try the demo.")
            self.choose_button.setFocus()
        self._update_buttons()

    def found(self) -> list[FoundInstall]:
        return [self.found_list.item(row).data(INSTALL_ROLE) for row in range(self.found_list.count())]

    # -- choosing

    def use_selected(self) -> None:
        item = self.found_list.currentItem()
        if item is not None:
            self.use(item.data(INSTALL_ROLE).root)

    def choose(self) -> None:
        self.choose_folder(self, "Choose your SPT folder", self.use)

    def use(self, folder: Path) -> None:
        """Remember the install at (or above) `folder`, make it current and hand it over; words if it is not one."""
        self.error_label.show_error("")
        self._set_busy(True)
        self.tasks.spawn(self._use(folder), "choosing an SPT install")

    async def _use(self, folder: Path) -> None:
        try:
            found = await asyncio.to_thread(self.installs.set_current, folder)
        except KappaError as exc:
            self.error_label.show_error(sentence(str(exc)))
            self._set_busy(False)
            return
        self.chosen.emit(found.root)
        self.accept()

    def try_demo(self) -> None:
        self.demo_requested.emit()
        self.accept()

    def done(self, result: int) -> None:
        self.tasks.cancel_all()
        super().done(result)

    def _set_busy(self, busy: bool) -> None:
        for button in (self.choose_button, self.demo_button):
            button.setEnabled(not busy)
        self.use_button.setEnabled(not busy and self.found_list.currentItem() is not None)

    def _update_buttons(self) -> None:
        self.use_button.setEnabled(self.found_list.currentItem() is not None)


def _count(number: int) -> str:
    return "one SPT install" if number == 1 else f"{number} SPT installs"
