"""The settings dialog: the Forge (URL, mirror, token), downloads, backups, the theme, and the list of SPT installs.

The form is saved only when every value passes the Settings model; otherwise the model's sentence appears under the
field at fault and nothing is written. The token goes to the OS keyring only; the dialog never reads it back, it only
says whether one is saved. The list of installs applies at once (through InstallsService), separately from Save.
Keyring and disk work runs in worker threads: a keyring may wait for the player to unlock it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import KappaError
from app.core.install_finder import FoundInstall, same_root
from app.core.secrets import FORGE_TOKEN, delete_secret, get_secret, set_secret
from app.core.settings import DEFAULT_FORGE_URL, Settings, SettingsStore, first_validation_error
from app.services.installs import InstallsService
from app.ui.dialogs import TaskKeeper, sentence
from app.ui.first_run import INSTALL_ROLE, FolderChooser, install_item, open_folder_dialog
from app.ui.theme import THEMES, ErrorLabel, apply_theme

log = logging.getLogger(__name__)

MAX_BACKUP_MB = 1_000_000
MAX_BACKUP_DAYS = 3650
# The fields this dialog edits; every other setting (installs, servers, mappings) is left as it is on disk.
FORM_FIELDS = ("forge_url", "forge_mirror", "download_concurrency", "backup_max_mb", "backup_max_days", "theme")


@dataclass(frozen=True)
class TokenChange:
    new: str | None = None  # a token to save
    forget: bool = False  # forget the saved one


class SettingsDialog(QDialog):
    """Emits `saved` with the new Settings after they (and the token) were written."""

    saved = Signal(object)  # Settings

    def __init__(self, store: SettingsStore, installs: InstallsService, parent: QWidget | None = None, *,
                 choose_folder: FolderChooser = open_folder_dialog) -> None:
        super().__init__(parent)
        self.store = store
        self.installs = installs
        self.choose_folder = choose_folder
        self.tasks = TaskKeeper()
        self.loaded = store.load()
        self.has_token: bool | None = None  # None until the keyring answered
        self.forget_token = False
        self.current_root: Path | None = None
        self._started = False
        self.errors: dict[str, ErrorLabel] = {}
        self.setWindowTitle("Kappa settings")
        self._build()
        self._fill(self.loaded)
        self.resize(640, 620)

    # -- building

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.addWidget(self._forge_group())
        layout.addWidget(self._downloads_group())
        layout.addWidget(self._appearance_group())
        layout.addWidget(self._installs_group(), 1)
        self.general_error = ErrorLabel()
        layout.addWidget(self.general_error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setToolTip("Check and save the settings above (the list of installs is saved as you "
                                    "change it)")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._set_tab_order()

    def _forge_group(self) -> QGroupBox:
        self.forge_url_edit = QLineEdit()
        self.forge_url_edit.setPlaceholderText(DEFAULT_FORGE_URL)
        self.forge_url_edit.setToolTip("The Forge API Kappa checks for updates and downloads from. Leave the "
                                       f"default ({DEFAULT_FORGE_URL}) unless you run a copy of it.")
        self.mirror_edit = QLineEdit()
        self.mirror_edit.setPlaceholderText("none")
        self.mirror_edit.setToolTip("Optional: a second Forge API address, tried when the first does not answer.")
        self.token_edit = QLineEdit()
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_edit.setToolTip("Your personal Forge API token (from your Forge account page). It is kept in "
                                   "your system's keyring, never in Kappa's files, and never shown again.")
        self.token_edit.textChanged.connect(lambda _text: self._show_token_state())
        self.token_state = QLabel("Checking the keyring…")
        self.token_state.setWordWrap(True)
        self.clear_token_button = QPushButton("&Clear token")
        self.clear_token_button.setToolTip("Forget the saved Forge token when you save")
        self.clear_token_button.setEnabled(False)
        self.clear_token_button.clicked.connect(self.clear_token)
        token_row = QHBoxLayout()
        token_row.addWidget(self.token_edit, 1)
        token_row.addWidget(self.clear_token_button)
        group = QGroupBox("Forge")
        form = QFormLayout(group)
        self._add_row(form, "&Forge URL:", self.forge_url_edit, "forge_url")
        self._add_row(form, "M&irror:", self.mirror_edit, "forge_mirror")
        self._add_row(form, "&Token:", self.token_edit, "token", layout=token_row)
        form.addRow("", self.token_state)
        return group

    def _downloads_group(self) -> QGroupBox:
        self.concurrency_spin = QSpinBox()
        self.concurrency_spin.setRange(1, 8)
        self.concurrency_spin.setToolTip("How many mod archives are downloaded at the same time (1 to 8).")
        self.backup_mb_spin = QSpinBox()
        self.backup_mb_spin.setRange(0, MAX_BACKUP_MB)
        self.backup_mb_spin.setSingleStep(256)
        self.backup_mb_spin.setSuffix(" MB")
        self.backup_mb_spin.setToolTip("Backups of replaced or removed files (what Undo restores) are pruned, "
                                       "oldest first, beyond this size. The last change's backup is always kept; "
                                       "0 keeps only that one.")
        self.backup_days_spin = QSpinBox()
        self.backup_days_spin.setRange(0, MAX_BACKUP_DAYS)
        self.backup_days_spin.setSuffix(" days")
        self.backup_days_spin.setToolTip("Backups older than this are pruned. The last change's backup is always "
                                         "kept, so one Undo always works.")
        group = QGroupBox("Downloads and backups")
        form = QFormLayout(group)
        self._add_row(form, "&Downloads at once:", self.concurrency_spin, "download_concurrency")
        self._add_row(form, "Backups up to (si&ze):", self.backup_mb_spin, "backup_max_mb")
        self._add_row(form, "Backups kept for (a&ge):", self.backup_days_spin, "backup_max_days")
        return group

    def _appearance_group(self) -> QGroupBox:
        self.theme_combo = QComboBox()
        for theme, label in THEMES:
            self.theme_combo.addItem(label, theme)
        self.theme_combo.setToolTip("Light, dark, or whatever your system uses (and switch when it does). "
                                    "Shown at once; kept when you save.")
        self.theme_combo.currentIndexChanged.connect(lambda _index: self._preview_theme())
        group = QGroupBox("Appearance")
        form = QFormLayout(group)
        self._add_row(form, "T&heme:", self.theme_combo, "theme")
        return group

    def _installs_group(self) -> QGroupBox:
        self.installs_list = QListWidget()
        self.installs_list.setToolTip("The SPT installs Kappa switches between; the current one is in bold. "
                                      "Changes to this list are saved at once.")
        self.installs_list.setAccessibleName("SPT installs")
        self.installs_list.currentItemChanged.connect(lambda *_: self._update_install_buttons())
        self.add_install_button = QPushButton("&Add…")
        self.add_install_button.setToolTip("Add an SPT install by choosing its folder")
        self.add_install_button.clicked.connect(self.add_install)
        self.remove_install_button = QPushButton("&Remove")
        self.remove_install_button.setToolTip("Take the selected install off the list (its files are not touched)")
        self.remove_install_button.clicked.connect(self.remove_install)
        self.find_installs_button = QPushButton("Fi&nd installs")
        self.find_installs_button.setToolTip("Look for SPT installs in the usual places and in running SPT "
                                             "processes, and add the ones found")
        self.find_installs_button.clicked.connect(self.find_installs)
        self.installs_note = QLabel("")
        self.installs_note.setWordWrap(True)
        self.installs_error = ErrorLabel()
        buttons = QHBoxLayout()
        for button in (self.add_install_button, self.remove_install_button, self.find_installs_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        group = QGroupBox("SPT installs")
        layout = QVBoxLayout(group)
        label = QLabel("&List of installs:")
        label.setBuddy(self.installs_list)
        layout.addWidget(label)
        layout.addWidget(self.installs_list, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.installs_note)
        layout.addWidget(self.installs_error)
        self._update_install_buttons()
        return group

    def _add_row(self, form: QFormLayout, text: str, field: QWidget, name: str, *,
                 layout: QHBoxLayout | None = None) -> None:
        """A labelled field (its label its buddy, so Alt+letter jumps to it) with its error line beneath."""
        label = QLabel(text)
        label.setBuddy(field)
        label.setToolTip(field.toolTip())
        error = ErrorLabel()
        self.errors[name] = error
        column = QVBoxLayout()
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        if layout is not None:
            column.addLayout(layout)
        else:
            column.addWidget(field)
        column.addWidget(error)
        form.addRow(label, column)

    def _set_tab_order(self) -> None:
        order = [self.forge_url_edit, self.mirror_edit, self.token_edit, self.clear_token_button,
                 self.concurrency_spin, self.backup_mb_spin, self.backup_days_spin, self.theme_combo,
                 self.installs_list, self.add_install_button, self.remove_install_button,
                 self.find_installs_button, self.save_button,
                 self.buttons.button(QDialogButtonBox.StandardButton.Cancel)]
        for first, second in pairwise(order):
            QWidget.setTabOrder(first, second)

    def _fill(self, settings: Settings) -> None:
        self.forge_url_edit.setText(settings.forge_url)
        self.mirror_edit.setText(settings.forge_mirror or "")
        self.concurrency_spin.setValue(settings.download_concurrency)
        self.backup_mb_spin.setValue(min(settings.backup_max_mb, MAX_BACKUP_MB))
        self.backup_days_spin.setValue(min(settings.backup_max_days, MAX_BACKUP_DAYS))
        self.theme_combo.blockSignals(True)  # filling in is not the player choosing a theme
        self.theme_combo.setCurrentIndex(max(0, self.theme_combo.findData(settings.theme)))
        self.theme_combo.blockSignals(False)

    # -- reading what Kappa knows (in the background, when the dialog first shows)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._started:
            self._started = True
            self.tasks.spawn(self._read_token_state(), "reading the keyring")
            self.tasks.spawn(self._load_installs(), "reading the SPT installs")

    async def _read_token_state(self) -> None:
        try:
            self.has_token = await asyncio.to_thread(lambda: get_secret(FORGE_TOKEN) is not None)
        except Exception as exc:  # a broken keyring backend: say so, and still let a new token be typed
            log.warning("cannot read the keyring: %s", exc)
            self.has_token = False
            self._show_token_state()
            self.token_state.setText(f"The keyring could not be read ({exc}).")
            return
        self._show_token_state()

    def _show_token_state(self) -> None:
        if self.token_edit.text().strip():
            text = "The token typed above will be saved in the keyring."
        elif self.forget_token:
            text = "The saved token will be forgotten when you save."
        elif self.has_token is None:
            text = "Checking the keyring…"
        else:
            text = "A token is saved (in the keyring; it is not shown)." if self.has_token else "No token saved."
        self.token_state.setText(text)
        self.clear_token_button.setEnabled(bool(self.has_token) and not self.forget_token)

    def clear_token(self) -> None:
        self.forget_token = True
        self.token_edit.clear()
        self._show_token_state()

    # -- the installs list (applies at once)

    async def _load_installs(self) -> None:
        remembered, current = await asyncio.to_thread(lambda: (self.installs.remembered(), self.installs.current()))
        self.current_root = current
        self._show_installs(remembered)

    def _show_installs(self, installs: list[FoundInstall]) -> None:
        selected = self.selected_install()
        self.installs_list.clear()
        for found in installs:
            current = self.current_root is not None and same_root(found.root, self.current_root)
            item = install_item(found, current=current)
            self.installs_list.addItem(item)
            if selected is not None and same_root(found.root, selected.root):
                self.installs_list.setCurrentItem(item)
        if not installs and not self.installs_note.text():
            self.installs_note.setText("No install added yet: add one, or let Kappa find them.")
        self._update_install_buttons()

    def remembered_installs(self) -> list[FoundInstall]:
        return [self.installs_list.item(row).data(INSTALL_ROLE) for row in range(self.installs_list.count())]

    def selected_install(self) -> FoundInstall | None:
        item = self.installs_list.currentItem()
        return item.data(INSTALL_ROLE) if item is not None else None

    def add_install(self) -> None:
        self.choose_folder(self, "Add an SPT install", self._add_folder)

    def _add_folder(self, folder: Path) -> None:
        self._run_install_change(self._remember(folder), "adding an SPT install")

    async def _remember(self, folder: Path) -> str:
        found = await asyncio.to_thread(self.installs.remember, folder)
        return f"Added {found.root}."

    def remove_install(self) -> None:
        found = self.selected_install()
        if found is not None:
            self._run_install_change(self._forget(found), "forgetting an SPT install")

    async def _forget(self, found: FoundInstall) -> str:
        await asyncio.to_thread(self.installs.forget, found.root)
        return f"Removed {found.root} from the list; its files are untouched."

    def find_installs(self) -> None:
        self.installs_note.setText("Looking for SPT installs…")
        self._run_install_change(self._find(), "finding SPT installs")

    async def _find(self) -> str:
        found = [install for install in await self.installs.discover() if install.usable]
        known = [install.root for install in await asyncio.to_thread(self.installs.remembered)]
        new = [install for install in found if not any(same_root(install.root, root) for root in known)]
        for install in new:
            await asyncio.to_thread(self.installs.remember, install.root)
        if not found:
            return "No SPT install was found in the usual places; add yours with Add…."
        added = f"{len(new)} new one{'s' if len(new) != 1 else ''} added" if new else "all of them were listed"
        return f"Found {len(found)} SPT install{'s' if len(found) != 1 else ''}; {added}."

    def _run_install_change(self, change: Any, name: str) -> None:
        self.installs_error.show_error("")
        self._set_installs_busy(True)
        self.tasks.spawn(self._install_change(change), name)

    async def _install_change(self, change: Any) -> None:
        try:
            note = await change
        except KappaError as exc:
            self.installs_error.show_error(sentence(str(exc)))
        else:
            self.installs_note.setText(note)
        finally:
            self._set_installs_busy(False)
        await self._load_installs()

    def _set_installs_busy(self, busy: bool) -> None:
        for button in (self.add_install_button, self.find_installs_button):
            button.setEnabled(not busy)
        self.remove_install_button.setEnabled(not busy and self.selected_install() is not None)

    def _update_install_buttons(self) -> None:
        self.remove_install_button.setEnabled(self.selected_install() is not None)

    # -- theme

    def chosen_theme(self) -> str:
        return str(self.theme_combo.currentData())

    def _preview_theme(self) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, self.chosen_theme())

    # -- saving

    def form_values(self) -> dict[str, Any]:
        mirror = self.mirror_edit.text().strip()
        return {
            "forge_url": self.forge_url_edit.text().strip(),
            "forge_mirror": mirror or None,
            "download_concurrency": self.concurrency_spin.value(),
            "backup_max_mb": self.backup_mb_spin.value(),
            "backup_max_days": self.backup_days_spin.value(),
            "theme": self.chosen_theme(),
        }

    def token_change(self) -> TokenChange:
        typed = self.token_edit.text().strip()
        return TokenChange(new=typed) if typed else TokenChange(forget=self.forget_token)

    def save(self) -> None:
        """Check the form against the Settings model; write it (and the token) only when all of it is valid."""
        self._clear_errors()
        values = self.form_values()
        try:
            Settings.model_validate({**self.loaded.model_dump(), **values})
        except ValidationError as exc:
            self._show_validation_error(exc)
            return
        self.save_button.setEnabled(False)
        self.tasks.spawn(self._save(values, self.token_change()), "saving the settings")

    async def _save(self, values: dict[str, Any], token: TokenChange) -> None:
        try:
            settings = await asyncio.to_thread(self._write, values, token)
        except KappaError as exc:
            self.errors["token"].show_error(sentence(str(exc)))
            return
        except (OSError, ValidationError) as exc:
            self.general_error.show_error(f"The settings could not be saved ({_reason(exc)}). Nothing was changed.")
            return
        finally:
            self.save_button.setEnabled(True)
        self.loaded = settings
        self.saved.emit(settings)
        super().accept()

    def _write(self, values: dict[str, Any], token: TokenChange) -> Settings:
        """In a worker thread: the keyring first (it is what may fail), then the settings merged into what is on
        disk now, so installs or servers changed meanwhile are kept."""
        if token.new:
            set_secret(FORGE_TOKEN, token.new)
        elif token.forget:
            delete_secret(FORGE_TOKEN)
        settings = Settings.model_validate({**self.store.load().model_dump(), **values})
        self.store.save(settings)
        return settings

    def _show_validation_error(self, exc: ValidationError) -> None:
        words = sentence(first_validation_error(exc))
        location = exc.errors()[0].get("loc", ())
        field = str(location[0]) if location else ""
        label = self.errors.get(field, self.general_error)
        label.show_error(words)
        widget = {"forge_url": self.forge_url_edit, "forge_mirror": self.mirror_edit}.get(field)
        if widget is not None:
            widget.setFocus()
            widget.selectAll()

    def _clear_errors(self) -> None:
        for label in (*self.errors.values(), self.general_error):
            label.show_error("")

    def accept(self) -> None:
        self.save()  # Enter presses Save: it closes the dialog only once the settings are written

    def reject(self) -> None:
        if self.chosen_theme() != self.loaded.theme:
            app = QApplication.instance()
            if isinstance(app, QApplication):
                apply_theme(app, self.loaded.theme)  # the preview was only a preview
        super().reject()

    def done(self, result: int) -> None:
        self.tasks.cancel_all()
        super().done(result)


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return first_validation_error(exc) if isinstance(exc, ValueError) else str(exc)
