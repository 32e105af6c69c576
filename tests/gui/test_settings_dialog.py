"""The settings dialog: saving writes settings.json in the data dir, bad input saves nothing and says why next to the
field, the token goes to the keyring only, the theme applies live, and the list of installs is edited in place."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import keyring
import pytest
from keyring.errors import KeyringError
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from app.core.data_dir import DataDir
from app.core.secrets import FORGE_TOKEN, SERVICE
from app.core.settings import Settings, SettingsStore
from app.sandbox.sample_install import recreate_sample_install
from app.services.installs import InstallsService
from app.ui.settings_dialog import SettingsDialog
from app.ui.theme import apply_theme, current_scheme, error_color, status_colors
from tests.conftest import MemoryKeyring

WAIT_MS = 5000
TOKEN = "forge-token-for-the-gui-test"


@pytest.fixture(autouse=True)
def restore_theme(qapp: QApplication) -> Iterator[None]:
    """The theme is the whole application's: put it back for the tests that follow."""
    style, palette = qapp.style().name(), qapp.palette()
    yield
    apply_theme(qapp, "system")
    qapp.setStyle(style)
    qapp.setPalette(palette)


@pytest.fixture
def games(tmp_path: Path) -> Path:
    folder = tmp_path / "Games"
    for layout in ("4.0", "4.1"):
        recreate_sample_install(folder / f"SPT-{layout}", layout)
    (folder / "Photos").mkdir()
    return folder


@pytest.fixture
def store(data_dir: DataDir) -> SettingsStore:
    return SettingsStore(data_dir)


@pytest.fixture
def installs(data_dir: DataDir, games: Path) -> InstallsService:
    return InstallsService(data_dir, locations=[games], running_roots=lambda: [])


class Chooser:
    """Stands in for the folder picker: answers with the next folder queued."""

    def __init__(self) -> None:
        self.folders: list[Path] = []
        self.titles: list[str] = []

    def __call__(self, parent: QWidget, title: str, on_chosen: Callable[[Path], None]) -> None:
        self.titles.append(title)
        on_chosen(self.folders.pop(0))


@pytest.fixture
def chooser() -> Chooser:
    return Chooser()


@pytest.fixture
def open_dialog(qtbot: QtBot, event_loop: asyncio.AbstractEventLoop, store: SettingsStore,
                installs: InstallsService, chooser: Chooser) -> Callable[[], SettingsDialog]:
    def make() -> SettingsDialog:
        dialog = SettingsDialog(store, installs, choose_folder=chooser)
        qtbot.addWidget(dialog)
        dialog.open()
        qtbot.waitUntil(lambda: dialog.has_token is not None, timeout=WAIT_MS)  # the keyring answered
        return dialog

    return make


def saved_json(data_dir: DataDir) -> dict[str, object]:
    return json.loads((data_dir.root / "settings.json").read_text(encoding="utf-8"))


def save(qtbot: QtBot, dialog: SettingsDialog) -> Settings:
    with qtbot.waitSignal(dialog.saved, timeout=WAIT_MS) as blocker:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    return blocker.args[0]


# -- saving

def test_the_dialog_shows_the_saved_settings(open_dialog: Callable[[], SettingsDialog], store: SettingsStore) -> None:
    store.save(Settings(forge_url="https://forge.example/api/v0", forge_mirror="https://mirror.example",
                        download_concurrency=5, backup_max_mb=512, backup_max_days=7, theme="light"))
    dialog = open_dialog()
    assert dialog.forge_url_edit.text() == "https://forge.example/api/v0"
    assert dialog.mirror_edit.text() == "https://mirror.example"
    assert (dialog.concurrency_spin.value(), dialog.backup_mb_spin.value(), dialog.backup_days_spin.value()) == (
        5, 512, 7)
    assert dialog.chosen_theme() == "light"


def test_edit_and_save_writes_settings_json(qtbot: QtBot, open_dialog: Callable[[], SettingsDialog],
                                            store: SettingsStore, data_dir: DataDir, games: Path) -> None:
    store.save(Settings(spt_installs=[str(games / "SPT-4.0")], forge_mappings={"com.x.mod": 12}))
    dialog = open_dialog()
    dialog.forge_url_edit.setText("  http://127.0.0.1:8080/api/v0/ ")
    dialog.mirror_edit.setText("https://mirror.example/api/v0")
    dialog.concurrency_spin.setValue(8)
    dialog.backup_mb_spin.setValue(100)
    dialog.backup_days_spin.setValue(3)
    settings = save(qtbot, dialog)
    written = saved_json(data_dir)
    assert written["forge_url"] == "http://127.0.0.1:8080/api/v0" == settings.forge_url
    assert written["forge_mirror"] == "https://mirror.example/api/v0"
    assert (written["download_concurrency"], written["backup_max_mb"], written["backup_max_days"]) == (8, 100, 3)
    # what the dialog does not edit is kept
    assert written["spt_installs"] == [str(games / "SPT-4.0")]
    assert written["forge_mappings"] == {"com.x.mod": 12}
    assert not dialog.isVisible()


def test_an_empty_mirror_is_saved_as_none(qtbot: QtBot, open_dialog: Callable[[], SettingsDialog],
                                          store: SettingsStore, data_dir: DataDir) -> None:
    store.save(Settings(forge_mirror="https://mirror.example"))
    dialog = open_dialog()
    dialog.mirror_edit.setText("   ")
    save(qtbot, dialog)
    assert saved_json(data_dir)["forge_mirror"] is None


@pytest.mark.parametrize(("field", "value", "words"), [
    ("forge_url", "ftp://forge.example", "'ftp://forge.example' is not an http(s) URL."),
    ("forge_url", "", "'' is not an http(s) URL."),
    ("forge_mirror", "mirror.example", "'mirror.example' is not an http(s) URL."),
])
def test_an_invalid_url_shows_the_words_by_its_field_and_saves_nothing(
        qtbot: QtBot, open_dialog: Callable[[], SettingsDialog], data_dir: DataDir, memory_keyring: MemoryKeyring,
        field: str, value: str, words: str) -> None:
    dialog = open_dialog()
    edit = dialog.forge_url_edit if field == "forge_url" else dialog.mirror_edit
    edit.setText(value)
    dialog.token_edit.setText(TOKEN)
    emitted: list[Settings] = []
    dialog.saved.connect(emitted.append)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.wait(50)
    error = dialog.errors[field]
    assert error.isVisible() and error.text() == words
    assert not any(label.isVisible() for name, label in dialog.errors.items() if name != field)
    assert not (data_dir.root / "settings.json").exists()
    assert memory_keyring.store == {}  # not even the token
    assert emitted == [] and dialog.isVisible()
    # fixing it clears the words and saves
    edit.setText("https://forge.example/api")
    save(qtbot, dialog)
    assert (data_dir.root / "settings.json").exists()


# -- the token

def test_the_token_goes_to_the_keyring_only(qtbot: QtBot, open_dialog: Callable[[], SettingsDialog],
                                            data_dir: DataDir, memory_keyring: MemoryKeyring) -> None:
    dialog = open_dialog()
    assert dialog.token_state.text() == "No token saved."
    assert not dialog.clear_token_button.isEnabled()
    dialog.token_edit.setText(TOKEN)
    assert dialog.token_edit.echoMode() == dialog.token_edit.EchoMode.Password
    save(qtbot, dialog)
    assert memory_keyring.store == {(SERVICE, FORGE_TOKEN): TOKEN}
    assert TOKEN not in (data_dir.root / "settings.json").read_text(encoding="utf-8")

    again = open_dialog()
    assert again.token_edit.text() == ""  # never read back into the form
    assert "A token is saved" in again.token_state.text() and TOKEN not in again.token_state.text()
    qtbot.mouseClick(again.clear_token_button, Qt.MouseButton.LeftButton)
    assert "will be forgotten" in again.token_state.text()
    assert memory_keyring.store  # only when saving
    save(qtbot, again)
    assert memory_keyring.store == {}


class BrokenKeyring(MemoryKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringError("no secret service on this desktop")


def test_without_a_keyring_the_token_error_is_shown_and_nothing_is_saved(
        qtbot: QtBot, open_dialog: Callable[[], SettingsDialog], data_dir: DataDir) -> None:
    keyring.set_keyring(BrokenKeyring())
    dialog = open_dialog()
    dialog.concurrency_spin.setValue(7)
    dialog.token_edit.setText(TOKEN)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.errors["token"].isVisible, timeout=WAIT_MS)
    assert "keyring is not available" in dialog.errors["token"].text()
    assert not (data_dir.root / "settings.json").exists()
    assert dialog.isVisible() and dialog.save_button.isEnabled()


# -- the theme

def test_the_theme_combo_applies_live_and_cancel_puts_it_back(
        qtbot: QtBot, qapp: QApplication, open_dialog: Callable[[], SettingsDialog], data_dir: DataDir) -> None:
    apply_theme(qapp, "system")  # offscreen reports no scheme: light
    dialog = open_dialog()
    assert current_scheme(qapp) == "light"
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("dark"))
    assert current_scheme(qapp) == "dark"
    assert qapp.style().name().lower() == "fusion"
    dialog.forge_url_edit.setText("forge.example")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert error_color("dark").name() in dialog.errors["forge_url"].styleSheet()  # error words stay readable
    dialog.reject()
    assert current_scheme(qapp) == "light"
    assert not (data_dir.root / "settings.json").exists()

    again = open_dialog()
    again.theme_combo.setCurrentIndex(again.theme_combo.findData("dark"))
    assert save(qtbot, again).theme == "dark"
    assert saved_json(data_dir)["theme"] == "dark"
    assert current_scheme(qapp) == "dark"


def test_following_the_system_tracks_its_changes(qapp: QApplication) -> None:
    apply_theme(qapp, "system")
    qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert current_scheme(qapp) == "dark"
    qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert current_scheme(qapp) == "light"
    apply_theme(qapp, "light")  # a fixed choice ignores the system
    qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert current_scheme(qapp) == "light"


def test_status_chips_are_readable_in_both_schemes() -> None:
    def luminance(red: float, green: float, blue: float) -> float:
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (red, green, blue)]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    for scheme in ("light", "dark"):
        colours = status_colors(scheme)
        assert {"update", "blocked", "incompatible", "missing", "not_on_forge", "disabled", "up_to_date",
                "unchecked"} <= colours.keys()
        for background, text in colours.values():
            lighter, darker = sorted((luminance(*background.getRgbF()[:3]), luminance(*text.getRgbF()[:3])),
                                     reverse=True)
            assert (lighter + 0.05) / (darker + 0.05) >= 4.5


# -- the installs list

def test_installs_are_listed_added_and_removed(qtbot: QtBot, open_dialog: Callable[[], SettingsDialog],
                                               installs: InstallsService, chooser: Chooser, games: Path) -> None:
    installs.set_current(games / "SPT-4.0")
    dialog = open_dialog()
    qtbot.waitUntil(lambda: dialog.installs_list.count() == 1, timeout=WAIT_MS)
    assert "SPT 4.0.11" in dialog.installs_list.item(0).text() and "(current)" in dialog.installs_list.item(0).text()

    chooser.folders.append(games / "SPT-4.1" / "BepInEx")
    qtbot.mouseClick(dialog.add_install_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.installs_list.count() == 2, timeout=WAIT_MS)
    assert [found.root for found in dialog.remembered_installs()] == [games / "SPT-4.0", games / "SPT-4.1"]

    chooser.folders.append(games / "Photos")
    qtbot.mouseClick(dialog.add_install_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.installs_error.isVisible, timeout=WAIT_MS)
    assert "Photos is not an SPT install" in dialog.installs_error.text()
    assert len(installs.remembered()) == 2

    dialog.installs_list.setCurrentRow(1)
    qtbot.mouseClick(dialog.remove_install_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.installs_list.count() == 1, timeout=WAIT_MS)
    assert [found.root for found in installs.remembered()] == [games / "SPT-4.0"]


def test_find_installs_adds_what_it_finds(qtbot: QtBot, open_dialog: Callable[[], SettingsDialog],
                                         installs: InstallsService, games: Path) -> None:
    dialog = open_dialog()
    qtbot.waitUntil(lambda: "No install added yet" in dialog.installs_note.text(), timeout=WAIT_MS)
    qtbot.mouseClick(dialog.find_installs_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.installs_list.count() == 2, timeout=WAIT_MS)
    assert dialog.installs_note.text() == "Found 2 SPT installs; 2 new ones added."
    assert {found.root for found in installs.remembered()} == {games / "SPT-4.0", games / "SPT-4.1"}


# -- keyboard and tooltips

def test_every_field_has_a_tooltip_and_a_labelled_shortcut(open_dialog: Callable[[], SettingsDialog]) -> None:
    dialog = open_dialog()
    fields = [dialog.forge_url_edit, dialog.mirror_edit, dialog.token_edit, dialog.concurrency_spin,
              dialog.backup_mb_spin, dialog.backup_days_spin, dialog.theme_combo, dialog.installs_list]
    buddies = {label.buddy(): label.text() for label in dialog.findChildren(QLabel) if label.buddy() is not None}
    mnemonics = []
    for field in fields:
        assert field.toolTip(), field
        assert "&" in buddies[field], field
        mnemonics.append(buddies[field].split("&")[1][0].lower())
    for button in dialog.findChildren(QPushButton):
        if "&" in button.text():
            mnemonics.append(button.text().split("&")[1][0].lower())
    assert len(mnemonics) == len(set(mnemonics)), mnemonics  # no two fields or buttons share an Alt+letter
    # Tab walks the form top to bottom
    dialog.forge_url_edit.setFocus()
    assert dialog.forge_url_edit.nextInFocusChain() is dialog.mirror_edit
