"""Small non-modal dialog helpers every part of the window shares: confirm, ask for text or a number, keep the
tasks a widget started alive, and turn a service message into a sentence.

Every question here is shown with `open()` and answers through a callback: a modal `exec()` inside the qasync loop
would stop every other asyncio task until it closes. Each helper returns the dialog so that the caller keeps a
reference (and tests can press its buttons).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QInputDialog, QLineEdit, QMessageBox, QWidget

log = logging.getLogger(__name__)


class TaskKeeper:
    """Strong references to the tasks a widget started (asyncio keeps only weak ones), so none is collected
    half-way; a task that fails unexpectedly is logged instead of vanishing."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, work: Coroutine[Any, Any, Any], name: str | None = None) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(work)
        if name:
            task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())

    def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    def busy(self) -> bool:
        return bool(self._tasks)


# -- small non-modal questions

def confirm(parent: QWidget, title: str, text: str, on_yes: Callable[[], None], *, yes_text: str = "OK",
            details: str | None = None, warning: bool = False) -> QMessageBox:
    """Ask before doing something to a server; `on_yes` runs only when the user presses `yes_text`."""
    box = QMessageBox(QMessageBox.Icon.Warning if warning else QMessageBox.Icon.Question, title, text,
                      QMessageBox.StandardButton.NoButton, parent)
    yes = box.addButton(yes_text, QMessageBox.ButtonRole.AcceptRole)
    no = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(no if warning else yes)  # Enter must not shut a server down by accident
    if details:
        box.setInformativeText(details)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def clicked(button: QAbstractButton) -> None:
        if button is yes:
            on_yes()

    box.buttonClicked.connect(clicked)
    box.open()
    return box


def ask_text(parent: QWidget, title: str, label: str, on_ok: Callable[[str], None], *, text: str = "",
             max_length: int | None = None) -> QInputDialog:
    dialog = QInputDialog(parent)
    dialog.setWindowTitle(title)
    dialog.setLabelText(label)
    dialog.setInputMode(QInputDialog.InputMode.TextInput)
    dialog.setTextValue(text)
    edit = dialog.findChild(QLineEdit)
    if max_length is not None and edit is not None:
        edit.setMaxLength(max_length)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.textValueSelected.connect(on_ok)
    dialog.open()
    return dialog


def ask_number(parent: QWidget, title: str, label: str, on_ok: Callable[[int], None], *, value: int = 0,
               minimum: int = 0, maximum: int = 3650) -> QInputDialog:
    dialog = QInputDialog(parent)
    dialog.setWindowTitle(title)
    dialog.setLabelText(label)
    dialog.setInputMode(QInputDialog.InputMode.IntInput)
    dialog.setIntRange(minimum, maximum)
    dialog.setIntValue(value)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.intValueSelected.connect(on_ok)
    dialog.open()
    return dialog


def sentence(text: str) -> str:
    """Service messages are written lower-case to fit into other sentences; a dialog or panel shows them alone."""
    text = text.strip()
    if not text:
        return text
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")
