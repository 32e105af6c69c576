"""Dialogs of the server panels: add/edit a server, the certificate prompt, the item picker, the raw profile viewer.

Every dialog here is shown with `open()` and answers through signals or callbacks: a modal `exec()` inside the
qasync loop would stop every other asyncio task (the pollers) until it closes. Each helper returns the dialog so that
the caller keeps a reference (and tests can press its buttons).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontDatabase, QTextCharFormat, QTextCursor, QTextDocument
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.core.cert_pins import format_fingerprint
from app.core.errors import KappaError
from app.core.settings import ServerEntry
from app.ui.dialogs import TaskKeeper, sentence

if TYPE_CHECKING:
    from app.net.fika import Item
    from app.net.tls import CertificateProblem

log = logging.getLogger(__name__)

KINDS = (("fika", "Fika server"), ("dedicated", "Dedicated game server"))
URL_HINTS = {"fika": "https://192.168.1.20:6969", "dedicated": "https://192.168.1.20:7777"}
SECRET_LABELS = {"fika": "API key", "dedicated": "API token"}
MAX_MESSAGE = 255  # Fika refuses longer messages
MAX_HIGHLIGHTS = 2000  # highlighting every "a" of a 5 MB profile would make the viewer crawl


# -- adding and editing a server

@dataclass(frozen=True)
class ServerForm:
    name: str
    kind: str  # "fika" | "dedicated"
    url: str
    secret: str  # "" = none given (when editing: keep the stored one)
    notify: bool
    forget_secret: bool = False


class ServerDialog(QDialog):
    """Add a server (`entry` None) or edit one. `apply` saves the form and raises a KappaError when it cannot;
    the dialog then stays open with the error in words, so nothing typed is lost."""

    def __init__(self, parent: QWidget | None, apply: Callable[[ServerForm], None], *,
                 entry: ServerEntry | None = None, has_secret: bool = False) -> None:
        super().__init__(parent)
        self.apply = apply
        self.entry = entry
        self.setWindowTitle(f"Edit {entry.name}" if entry else "Add a server")
        self.name_edit = QLineEdit(entry.name if entry else "")
        self.name_edit.setPlaceholderText("e.g. Friday squad")
        self.kind_combo = QComboBox()
        for kind, label in KINDS:
            self.kind_combo.addItem(label, kind)
        self.url_edit = QLineEdit(entry.url if entry else "")
        self.secret_edit = QLineEdit()
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.forget_secret = QCheckBox("Forget the stored key")
        self.notify_check = QCheckBox("Desktop notifications (players, raids, headless client)")
        self.notify_check.setChecked(entry.notify if entry else False)
        self.error_label = _error_label()
        self._lay_out(has_secret)
        if entry is not None:
            self.kind_combo.setCurrentIndex(self.kind_combo.findData(entry.kind))
            self.kind_combo.setEnabled(False)  # a Fika server does not become a dedicated one; add another instead
        self.kind_combo.currentIndexChanged.connect(self._kind_changed)
        self._kind_changed()

    def _lay_out(self, has_secret: bool) -> None:
        form = QFormLayout()
        form.addRow("Name", self.name_edit)
        form.addRow("Kind", self.kind_combo)
        form.addRow("Address", self.url_edit)
        self.secret_label = QLabel()
        form.addRow(self.secret_label, self.secret_edit)
        if self.entry is not None and self.entry.spt_root:
            # A local server's address and key are read from its install on every connection.
            self.url_edit.setEnabled(False)
            self.secret_edit.setEnabled(False)
            form.addRow("", QLabel(f"Address and key come from the SPT install at {self.entry.spt_root}."))
        elif self.entry is not None and has_secret:
            self.secret_edit.setPlaceholderText("leave empty to keep the stored key")
            form.addRow("", self.forget_secret)
        else:
            self.forget_secret.hide()
        form.addRow("", self.notify_check)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

    def _kind_changed(self) -> None:
        kind = self.kind()
        self.url_edit.setPlaceholderText(URL_HINTS[kind])
        self.secret_label.setText(SECRET_LABELS[kind])
        if not self.secret_edit.placeholderText() or self.entry is None:
            self.secret_edit.setPlaceholderText("from fika.jsonc (server.apiKey)" if kind == "fika"
                                                else "the token the server's owner gave you (optional)")

    def kind(self) -> str:
        return str(self.kind_combo.currentData())

    def form(self) -> ServerForm:
        return ServerForm(name=self.name_edit.text().strip(), kind=self.kind(), url=self.url_edit.text().strip(),
                          secret=self.secret_edit.text().strip(), notify=self.notify_check.isChecked(),
                          forget_secret=self.forget_secret.isChecked())

    def accept(self) -> None:
        form = self.form()
        if not form.name or not form.url:
            self.show_error("Give the server a name and an address.")
            return
        try:
            self.apply(form)
        except KappaError as exc:
            self.show_error(sentence(str(exc)))
            return
        super().accept()

    def show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()


# -- certificates

class CertificatePrompt(QDialog):
    """Trust a server's certificate or not. A first contact shows the details calmly; a CHANGED certificate is a
    warning that names both fingerprints and makes "Don't connect" the default."""

    def __init__(self, parent: QWidget | None, server_name: str, problem: CertificateProblem) -> None:
        super().__init__(parent)
        self.server_name = server_name
        self.problem = problem
        self.changed = is_changed(problem)
        self.setWindowTitle(f"{server_name}: certificate changed" if self.changed
                            else f"{server_name}: trust this certificate?")
        self.heading = QLabel(self._heading())
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.explanation = QLabel(self._explanation())
        self.explanation.setWordWrap(True)
        self.details = QPlainTextEdit(problem.presented.describe())
        self.details.setReadOnly(True)
        self.details.setFont(_monospace())
        self.details.setMinimumWidth(620)
        self.details.setMaximumHeight(140)
        self.buttons = QDialogButtonBox()
        self.trust_button = self.buttons.addButton("Trust this certificate", QDialogButtonBox.ButtonRole.AcceptRole)
        self.reject_button = self.buttons.addButton("Don't connect", QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (self.heading, self.explanation, self.details, self.buttons):
            layout.addWidget(widget)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        # After showing: the button box makes its accept button the default when the dialog appears.
        default, other = (self.reject_button, self.trust_button) if self.changed else (self.trust_button,
                                                                                       self.reject_button)
        other.setDefault(False)
        default.setDefault(True)
        default.setFocus()

    def _heading(self) -> str:
        if self.changed:
            return ("<b style='color:#b00020'>Warning: the certificate of this server has CHANGED.</b>")
        return "<b>First connection to this server: check its certificate.</b>"

    def _explanation(self) -> str:
        address = self.problem.address
        if self.changed:
            pinned = pinned_fingerprint(self.problem)
            return (f"{self.server_name} ({address}) now shows a different certificate than the one you trusted "
                    "before. That happens when the server was reinstalled or made itself a new certificate, but it "
                    "is also exactly what someone pretending to be your server looks like. Kappa has sent it "
                    "nothing: no key, no admin action.\n\n"
                    f"Trusted before: {pinned or '(unknown)'}\n"
                    f"Shown now: {self.problem.presented.fingerprint}\n\n"
                    "Trust the new certificate only if the server's owner confirms this new fingerprint.")
        return (f"{self.server_name} ({address}) uses a certificate it made itself, as SPT, Fika and dedicated "
                "servers do, so nobody vouches for it and Kappa has not seen it before. Nothing has been sent to "
                "the server yet.\n\nCompare the SHA-256 fingerprint below with the one the server's owner sees; "
                "trust it only if they match.")


def is_changed(problem: CertificateProblem) -> bool:
    return type(problem).__name__ == "CertificateChanged"


def pinned_fingerprint(problem: CertificateProblem) -> str | None:
    """The formatted fingerprint of the certificate trusted before (a CertificateChanged carries it)."""
    pinned = getattr(problem, "pinned_sha256", None)
    if pinned is None:  # some callers keep the whole pin instead
        pinned = getattr(getattr(problem, "pinned", None), "sha256", None)
    try:
        return format_fingerprint(pinned) if pinned else None
    except ValueError:
        return None


# -- picking an item to send

Search = Callable[[str], Awaitable[Sequence["Item"]]]


class ItemPicker(QWidget):
    """Type part of an item's name; the server's item list is searched once typing pauses (debounced), so a
    fast typist does not fire a request per key."""

    itemChosen = Signal(object)  # the Item, or None when the selection is cleared

    def __init__(self, search: Search, parent: QWidget | None = None, *, debounce_ms: int = 300) -> None:
        super().__init__(parent)
        self.search = search
        self.tasks = TaskKeeper()
        self._current: asyncio.Task[Any] | None = None
        self.searches = 0  # how many searches went out (tests check the debounce)
        self.query_edit = QLineEdit()
        self.query_edit.setPlaceholderText("Search items by name…")
        self.query_edit.setClearButtonEnabled(True)
        self.results = QListWidget()
        self.note = QLabel("Type at least two letters.")
        self.note.setWordWrap(True)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(debounce_ms)
        self.timer.timeout.connect(self._search_now)
        self.query_edit.textChanged.connect(lambda _text: self.timer.start())
        self.results.currentItemChanged.connect(self._selection_changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.query_edit, self.results, self.note):
            layout.addWidget(widget)

    def selected_item(self) -> Item | None:
        current = self.results.currentItem()
        return current.data(Qt.ItemDataRole.UserRole) if current is not None else None

    def _selection_changed(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        self.itemChosen.emit(current.data(Qt.ItemDataRole.UserRole) if current is not None else None)

    def _search_now(self) -> None:
        text = self.query_edit.text().strip()
        if self._current is not None and not self._current.done():
            self._current.cancel()  # an older, slower answer must not overwrite a newer one
        if len(text) < 2:
            self.results.clear()
            self.note.setText("Type at least two letters.")
            return
        self.searches += 1
        self.note.setText("Searching…")
        self._current = self.tasks.spawn(self._search(text), "item search")

    async def _search(self, text: str) -> None:
        try:
            items = await self.search(text)
        except asyncio.CancelledError:
            raise
        except KappaError as exc:
            self.note.setText(sentence(str(exc)))
            return
        except Exception as exc:  # a picker must never raise into Qt
            log.exception("item search failed")
            self.note.setText(f"The search failed unexpectedly ({exc}).")
            return
        self._show(items)

    def _show(self, items: Sequence[Item]) -> None:
        self.results.clear()
        for item in items:
            row = QListWidgetItem(f"{item.name}  ({item.tpl})")
            row.setData(Qt.ItemDataRole.UserRole, item)
            row.setToolTip(item.description or item.name)
            self.results.addItem(row)
        self.note.setText(f"{len(items)} items found." if items else "No item has that name.")

    def closeEvent(self, event: Any) -> None:
        self.tasks.cancel_all()
        super().closeEvent(event)


@dataclass(frozen=True)
class SendItemRequest:
    item: Item
    amount: int
    fir: bool
    message: str


class SendItemDialog(QDialog):
    """An item, an amount, found-in-raid or not, and a message for the gift; `chosen` is emitted on OK."""

    chosen = Signal(object)  # SendItemRequest

    def __init__(self, parent: QWidget | None, search: Search, recipients: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Send an item to {recipients}")
        self.picker = ItemPicker(search, self)
        self.amount = QSpinBox()
        self.amount.setRange(1, 1_000_000)
        self.fir = QCheckBox("Found in raid")
        self.message = QLineEdit()
        self.message.setMaxLength(MAX_MESSAGE)
        self.message.setPlaceholderText("optional, shown with the gift")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Send…")
        self.ok_button.setEnabled(False)
        self.picker.itemChosen.connect(lambda item: self.ok_button.setEnabled(item is not None))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Amount", self.amount)
        form.addRow("", self.fir)
        form.addRow("Message", self.message)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"To: {recipients}"))
        layout.addWidget(self.picker)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.resize(520, 480)

    def request(self) -> SendItemRequest | None:
        item = self.picker.selected_item()
        if item is None:
            return None
        return SendItemRequest(item=item, amount=self.amount.value(), fir=self.fir.isChecked(),
                               message=self.message.text().strip())

    def accept(self) -> None:
        request = self.request()
        if request is None:
            return
        self.picker.tasks.cancel_all()
        super().accept()
        self.chosen.emit(request)

    def reject(self) -> None:
        self.picker.tasks.cancel_all()
        super().reject()


# -- reading a raw profile

class RawProfileViewer(QDialog):
    """A profile's JSON, read-only, with a search box: every match highlighted, Find next walks through them."""

    def __init__(self, parent: QWidget | None, title: str, text: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint)
        self.editor = QPlainTextEdit()
        self.editor.setReadOnly(True)
        self.editor.setFont(_monospace())
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.editor.setPlainText(text)
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Find in profile…")
        self.search_edit.setClearButtonEnabled(True)
        self.find_button = QPushButton("Find next")
        self.matches_label = QLabel()
        self.search_edit.textChanged.connect(self._highlight)
        self.search_edit.returnPressed.connect(self.find_next)
        self.find_button.clicked.connect(self.find_next)
        bar = QHBoxLayout()
        bar.addWidget(self.search_edit, 1)
        bar.addWidget(self.find_button)
        bar.addWidget(self.matches_label)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.editor)
        self.resize(820, 640)

    def find_next(self) -> bool:
        """Select the next match after the cursor, wrapping round at the end; False when there is none."""
        text = self.search_edit.text()
        if not text:
            return False
        if self.editor.find(text):
            return True
        cursor = self.editor.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.Start)
        self.editor.setTextCursor(cursor)
        return self.editor.find(text)

    def selected_line(self) -> int:
        return self.editor.textCursor().blockNumber() + 1

    def _highlight(self, text: str) -> None:
        selections: list[QTextEdit.ExtraSelection] = []
        count = self.editor.toPlainText().casefold().count(text.casefold()) if text else 0
        if text:
            highlight = QTextCharFormat()
            highlight.setBackground(QColor("#ffe066"))
            cursor = self.editor.document().find(text, 0)
            while not cursor.isNull() and len(selections) < MAX_HIGHLIGHTS:
                selection = QTextEdit.ExtraSelection()
                selection.cursor = cursor  # type: ignore[attr-defined]
                selection.format = highlight  # type: ignore[attr-defined]
                selections.append(selection)
                cursor = self.editor.document().find(text, cursor, QTextDocument.FindFlag(0))
        self.editor.setExtraSelections(selections)
        self.matches_label.setText("" if not text else f"{count} matches" if count else "not found")


# -- helpers

def _error_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet("color: #b00020;")
    label.hide()
    return label


def _monospace() -> QFont:
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
