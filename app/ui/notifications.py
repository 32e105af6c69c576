"""Desktop notifications about game servers: a player came online, a raid started or ended, a headless client is ready.

A notifier is anything with `notify(title, text)`. The desktop one uses the system tray's balloon messages when the
desktop has a tray and falls back to the main window's status bar otherwise (and offscreen); tests inject
`CollectingNotifier` to see exactly what would have been shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMainWindow, QStyle, QSystemTrayIcon

from app.core.settings import ServerEntry
from app.services.servers import ServerEvent

# What a player wants to hear about; someone leaving is shown in the panel but is not worth a pop-up.
NOTIFIED_KINDS = frozenset({"player_online", "raid_started", "raid_ended", "headless_ready"})
STATUS_BAR_MS = 10_000
TRAY_MS = 8_000


class Notifier(Protocol):
    def notify(self, title: str, text: str) -> None: ...


class DesktopNotifier:
    """The tray's balloon when the desktop has a tray, else a status-bar message in `window` (if any)."""

    def __init__(self, window: QMainWindow | None = None) -> None:
        self.window = window
        self._tray: QSystemTrayIcon | None = None

    def notify(self, title: str, text: str) -> None:
        tray = self._tray_icon()
        if tray is not None:
            tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, TRAY_MS)
        elif self.window is not None:
            self.window.statusBar().showMessage(f"{title}: {text}", STATUS_BAR_MS)

    def _tray_icon(self) -> QSystemTrayIcon | None:
        """Made on the first notification, so that a user who never turns notifications on never gets a tray icon."""
        if self._tray is None and QSystemTrayIcon.isSystemTrayAvailable():
            self._tray = QSystemTrayIcon(self._icon(), self.window)
            self._tray.setToolTip("Kappa")
            self._tray.show()
        return self._tray

    def _icon(self) -> QIcon:
        if self.window is not None and not self.window.windowIcon().isNull():
            return self.window.windowIcon()
        return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_ComputerIcon)


class CollectingNotifier:
    """Keeps what would have been shown (tests, and a future "recent events" list)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []

    def notify(self, title: str, text: str) -> None:
        self.messages.append((title, text))


def notify_events(notifier: Notifier, entry: ServerEntry, events: Sequence[ServerEvent]) -> int:
    """Show the events worth a notification, only for a server whose notifications are on; how many were shown."""
    if not entry.notify:
        return 0
    shown = 0
    for event in events:
        if event.kind in NOTIFIED_KINDS:
            notifier.notify(entry.name, _sentence(event.text))
            shown += 1
    return shown


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")
