"""The servers dock: one panel per configured game server, each fed by its own `ServerWatcher`.

The dock owns the watchers (poll, back off while down), turns their snapshots into panel updates and their events
into desktop notifications (for servers with notifications on), refreshes every status line once a second
("updated 3 s ago"), and handles adding, editing, removing and trusting servers. Nothing here blocks the GUI thread:
polls and actions are asyncio tasks, dialogs are opened with `open()`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QLabel, QStackedWidget, QTabWidget, QToolBar, QVBoxLayout, QWidget

from app.core.errors import KappaError
from app.core.settings import ServerEntry
from app.services.servers import (
    CertificateProblem,
    ServerEvent,
    ServerSnapshot,
    ServersService,
    ServerWatcher,
)
from app.ui.dialogs import TaskKeeper, confirm, sentence
from app.ui.notifications import Notifier, notify_events
from app.ui.server_dialogs import CertificatePrompt, ServerDialog, ServerForm, is_changed
from app.ui.server_panels import ServerPanel, make_panel

log = logging.getLogger(__name__)
LOCAL_NAME = "Local Fika"


class ServersDock(QDockWidget):
    def __init__(self, service: ServersService, *, notifier: Notifier, local_spt_root: Path | None = None,
                 interval: float = 5.0, max_interval: float = 60.0, parent: QWidget | None = None) -> None:
        super().__init__("Servers", parent)
        self.setObjectName("serversDock")  # saveState/restoreState need it
        self.service = service
        self.notifier = notifier
        self.local_spt_root = local_spt_root
        self.interval = interval
        self.max_interval = max_interval
        self.panels: dict[str, ServerPanel] = {}
        self.watchers: dict[str, ServerWatcher] = {}
        self.dialog: QWidget | None = None  # the last dialog the dock opened (tests press its buttons)
        self.tasks = TaskKeeper()
        self.started = False
        self._first_contact: set[str] = set()  # servers added here: their first certificate prompt opens by itself
        self._build()
        self.clock = QTimer(self)
        self.clock.setInterval(1000)
        self.clock.timeout.connect(self.tick)
        for entry in self.service.list():
            self._add_panel(entry)
        self._update_actions()

    # -- layout
    def _build(self) -> None:
        holder = QWidget()
        self.toolbar = QToolBar("Servers")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.add_action = self._action("Add…", self.ask_add, "Add a Fika or dedicated server")
        self.add_local_action = self._action("Add local Fika server", self.add_local_fika,
                                             "Add the Fika server of this SPT install (address, key and certificate "
                                             "are read from its configuration)")
        self.add_local_action.setEnabled(self.local_spt_root is not None)
        self.edit_action = self._action("Edit…", self.ask_edit, "Change the shown server")
        self.remove_action = self._action("Remove…", self.ask_remove, "Remove the shown server from Kappa")
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.currentChanged.connect(lambda _index: self._update_actions())
        self.placeholder = QLabel("No game servers yet. Add your Fika server or a dedicated server to see its "
                                  "players, raids and status here.")
        self.placeholder.setWordWrap(True)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(self.tabs)
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.hide()
        layout = QVBoxLayout(holder)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.message_label)
        layout.addWidget(self.stack, 1)
        self.setWidget(holder)
        self.setMinimumWidth(360)

    def _action(self, text: str, slot: object, tip: str) -> QAction:
        action = QAction(text, self)
        action.setToolTip(tip)
        action.triggered.connect(lambda _checked=False: slot())  # type: ignore[operator]
        self.toolbar.addAction(action)
        return action

    def _update_actions(self) -> None:
        has_current = self.current_panel() is not None
        self.edit_action.setEnabled(has_current)
        self.remove_action.setEnabled(has_current)
        self.stack.setCurrentWidget(self.tabs if self.panels else self.placeholder)

    def current_panel(self) -> ServerPanel | None:
        widget = self.tabs.currentWidget()
        return widget if isinstance(widget, ServerPanel) else None

    def show_message(self, text: str, *, error: bool = False) -> None:
        self.message_label.setStyleSheet("color: #b00020;" if error else "")
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))

    # -- running
    def start(self) -> None:
        """Start polling every server (needs the running asyncio loop, so it is called once the app runs)."""
        if self.started:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            log.error("the servers dock was started without a running event loop; nothing is polled")
            return
        self.started = True
        for name in self.panels:
            self._start_watcher(name)
        self.clock.start()

    async def aclose(self) -> None:
        """Stop every poll and action and close the connections; the dock can be thrown away afterwards."""
        self.clock.stop()
        self.started = False
        self.tasks.cancel_all()
        for panel in self.panels.values():
            panel.close_panel()
        watchers, self.watchers = list(self.watchers.values()), {}
        await asyncio.gather(*(watcher.stop() for watcher in watchers), return_exceptions=True)
        await self.service.aclose()

    def tick(self) -> None:
        now = time.time()
        for panel in self.panels.values():
            panel.tick(now)

    def _start_watcher(self, name: str) -> None:
        watcher = ServerWatcher(self.service, name, interval=self.interval, max_interval=self.max_interval,
                                on_snapshot=lambda snapshot: self._on_snapshot(watcher, snapshot),
                                on_events=lambda events: self._on_events(watcher, events))
        self.watchers[name] = watcher
        watcher.start()

    def _stop_watcher(self, name: str) -> None:
        watcher = self.watchers.pop(name, None)
        if watcher is not None:
            self.tasks.spawn(watcher.stop(), f"stop watching {name}")

    def _current(self, watcher: ServerWatcher) -> ServerPanel | None:
        """The panel a watcher feeds, unless the server was removed, renamed or stopped meanwhile."""
        if self.watchers.get(watcher.name) is not watcher:
            return None
        return self.panels.get(watcher.name)

    def _on_snapshot(self, watcher: ServerWatcher, snapshot: ServerSnapshot) -> None:
        panel = self._current(watcher)
        if panel is None:
            return
        panel.set_entry(snapshot.entry)
        panel.show_snapshot(snapshot)
        problem = snapshot.certificate_problem
        if problem is not None and watcher.name in self._first_contact:
            self._first_contact.discard(watcher.name)
            self.ask_certificate(panel, problem)
        elif problem is None and snapshot.reachable:
            self._first_contact.discard(watcher.name)

    def _on_events(self, watcher: ServerWatcher, events: Sequence[ServerEvent]) -> None:
        panel = self._current(watcher)
        if panel is None:
            return
        notify_events(self.notifier, panel.entry, events)  # the watcher survives a broken tray

    # -- panels
    def _add_panel(self, entry: ServerEntry, index: int = -1) -> ServerPanel:
        panel = make_panel(self.service, entry, self)
        panel.trustRequested.connect(lambda problem: self.trust(panel, problem))
        panel.detailsRequested.connect(lambda problem: self.ask_certificate(panel, problem))
        panel.dontConnectRequested.connect(lambda: self.dont_connect(panel))
        panel.reconnectRequested.connect(lambda: self.reconnect(panel))
        self.panels[entry.name] = panel
        self.tabs.insertTab(index, panel, entry.name)
        self._update_actions()
        if self.started:
            self._start_watcher(entry.name)
        return panel

    def _drop_panel(self, name: str) -> int:
        self._stop_watcher(name)
        self._first_contact.discard(name)
        panel = self.panels.pop(name, None)
        if panel is None:
            return -1
        index = self.tabs.indexOf(panel)
        panel.close_panel()
        self.tabs.removeTab(index)
        panel.deleteLater()
        self._update_actions()
        return index

    def _show_new(self, entry: ServerEntry, index: int = -1) -> ServerPanel:
        panel = self._add_panel(entry, index)
        self.tabs.setCurrentWidget(panel)
        return panel

    # -- adding, editing, removing
    def ask_add(self) -> ServerDialog:
        dialog = ServerDialog(self, self._apply_add)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _apply_add(self, form: ServerForm) -> None:
        entry = self.service.add(form.name, form.kind, form.url, secret=form.secret or None, notify=form.notify)
        self._first_contact.add(entry.name)
        self._show_new(entry)
        self.show_message("")

    def add_local_fika(self) -> asyncio.Task[None] | None:
        if self.local_spt_root is None:
            return None
        self.add_local_action.setEnabled(False)
        self.show_message(f"Reading the Fika server settings of {self.local_spt_root} …")
        return self.tasks.spawn(self._add_local_fika(self.local_spt_root), "add local Fika server")

    async def _add_local_fika(self, root: Path) -> None:
        name = self._free_name(LOCAL_NAME)
        try:
            # Reads fika.jsonc, http.json and the certificate file, and writes settings and pins: off the GUI thread.
            entry = await asyncio.to_thread(self.service.add_local_fika, root, name=name)
        except KappaError as exc:
            self.show_message(f"Could not add the local Fika server: {sentence(str(exc))}", error=True)
        except Exception as exc:  # a button must end in words, never in a traceback
            log.exception("adding the local Fika server failed")
            self.show_message(f"Could not add the local Fika server: it failed unexpectedly ({exc}).", error=True)
        else:
            self.show_message(f"Added {entry.name} ({entry.url}); its certificate was taken from the install.")
            self._show_new(entry)
        finally:
            self.add_local_action.setEnabled(self.local_spt_root is not None)

    def _free_name(self, base: str) -> str:
        taken = {entry.name.casefold() for entry in self.service.list()}
        if base.casefold() not in taken:
            return base
        number = 2
        while f"{base} {number}".casefold() in taken:
            number += 1
        return f"{base} {number}"

    def ask_edit(self, panel: ServerPanel | None = None) -> ServerDialog | None:
        panel = panel or self.current_panel()
        if panel is None:
            return None
        name = panel.entry.name
        try:
            entry, has_secret = self.service.get(name), self.service.has_secret(name)
        except KappaError as exc:  # removed meanwhile (say, with `kappa servers remove`)
            self.show_message(f"Cannot edit {name}: {sentence(str(exc))}", error=True)
            return None
        dialog = ServerDialog(self, lambda form: self._apply_edit(name, form), entry=entry, has_secret=has_secret)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _apply_edit(self, name: str, form: ServerForm) -> None:
        old = self.service.get(name)
        entry = self.service.update(name, new_name=form.name, url=None if old.spt_root else form.url,
                                    notify=form.notify, secret=form.secret or None, clear_secret=form.forget_secret)
        # A new watcher starts from scratch (no stale back-off, no events against the old address's players).
        index = self._drop_panel(name)
        if entry.url != old.url:
            self._first_contact.add(entry.name)
        self._show_new(entry, index)
        self.show_message("")

    def ask_remove(self, panel: ServerPanel | None = None) -> None:
        panel = panel or self.current_panel()
        if panel is None:
            return
        name = panel.entry.name
        self.dialog = confirm(self, "Remove a server", f"Remove {name} from Kappa?", lambda: self.remove(name),
                              yes_text="Remove", details="Its stored key is forgotten too. The server itself is not "
                              "touched.")

    def remove(self, name: str) -> None:
        try:
            self.service.remove(name)
        except KappaError as exc:
            self.show_message(f"Could not remove {name}: {sentence(str(exc))}", error=True)
            return
        self._drop_panel(name)
        self.show_message(f"Removed {name}.")

    # -- certificates
    def ask_certificate(self, panel: ServerPanel, problem: CertificateProblem | None) -> CertificatePrompt | None:
        if problem is None:
            return None
        prompt = CertificatePrompt(self, panel.entry.name, problem)
        prompt.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        prompt.accepted.connect(lambda: self.trust(panel, problem))
        prompt.rejected.connect(lambda: self.dont_connect(panel))
        self.dialog = prompt
        prompt.open()
        return prompt

    def trust(self, panel: ServerPanel, problem: CertificateProblem) -> None:
        name = panel.entry.name
        try:
            self.service.trust(name, problem.presented)
        except (KappaError, OSError) as exc:
            panel.report(f"Could not trust the certificate: {sentence(str(exc))}", ok=False)
            return
        panel.report(f"Trusted the certificate {problem.presented.fingerprint}; connecting…", ok=True)
        panel.banner.hide()
        watcher = self.watchers.get(name)
        if watcher is None:
            self._start_watcher(name)
        else:
            watcher.poll_now()

    def dont_connect(self, panel: ServerPanel) -> None:
        name = panel.entry.name
        self._stop_watcher(name)
        changed = panel.problem is not None and is_changed(panel.problem)
        why = ("its certificate changed and you did not trust the new one" if changed
               else "you did not trust its certificate")
        panel.show_stopped(f"Not connected: {why}. Nothing is sent to this server until you connect again.")

    def reconnect(self, panel: ServerPanel) -> None:
        name = panel.entry.name
        if name not in self.watchers:
            panel.stopped.hide()
            panel.status_label.setText("connecting…")
            self._start_watcher(name)
