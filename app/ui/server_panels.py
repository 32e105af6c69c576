"""One panel per game server: what its last poll said, and its admin actions.

`ServerPanel` holds what every kind shares: the status line ("updated 3 s ago"), errors in words, the certificate
banner and the result of the last admin action. `FikaPanel` adds raids, players and headless clients with the Fika
admin actions; `DedicatedPanel` the dedicated server's state, options and console. Every action is confirmed first,
runs as an asyncio task through `ServersService.act` (so a rejected certificate becomes the banner, not a traceback)
and reports its outcome in the panel.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import KappaError
from app.core.settings import ServerEntry
from app.core.words import seconds_in_words
from app.services.servers import (
    CertificateProblem,
    DedicatedStatus,
    FikaStatus,
    Headless,
    Player,
    Raid,
    ServerSnapshot,
    ServersService,
)
from app.ui.dialogs import TaskKeeper, ask_number, ask_text, confirm, sentence
from app.ui.server_dialogs import (
    MAX_MESSAGE,
    RawProfileViewer,
    SendItemDialog,
    SendItemRequest,
    is_changed,
    pinned_fingerprint,
)
from app.ui.theme import ErrorLabel

if TYPE_CHECKING:
    from app.net.dedicated import CommandResult
    from app.net.fika import Profile

log = logging.getLogger(__name__)
T = TypeVar("T")
W = TypeVar("W", bound=QWidget)
_Index = QModelIndex | QPersistentModelIndex
OK_COLOUR = "#1b7f3b"
ERROR_COLOUR = "#b00020"


# -- a table that refreshes in place

@dataclass(frozen=True)
class Row:
    key: Hashable  # stable across polls (a match id, a profile id): keeps the selection when the data changes
    cells: tuple[str, ...]
    payload: Any = None
    tooltip: str = ""  # for the whole row, e.g. who is in a raid


class RowsModel(QAbstractTableModel):
    """Rows of text with a payload each. A refresh with the same keys only changes cells, so the user's selection
    and scroll position survive the poll every few seconds."""

    def __init__(self, columns: Sequence[str], parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = tuple(columns)
        self.rows: list[Row] = []

    def set_rows(self, rows: Sequence[Row]) -> None:
        rows = list(rows)
        if [row.key for row in rows] == [row.key for row in self.rows]:
            self.rows = rows
            if rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, len(self.columns) - 1))
            return
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def payload(self, row: int) -> Any:
        return self.rows[row].payload if 0 <= row < len(self.rows) else None

    def cell(self, row: int, column: int) -> str:
        return self.rows[row].cells[column]

    def column_texts(self, column: int) -> list[str]:
        return [row.cells[column] for row in self.rows]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt API)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt API)
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return row.cells[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.tooltip or row.cells[index.column()]
        if role == Qt.ItemDataRole.UserRole:
            return row.payload
        return None


def refill(view: QTableView, model: RowsModel, rows: Sequence[Row]) -> None:
    """Replace the rows and select again the row that was selected (by key), if it is still there."""
    selected = view.selectionModel().selectedRows()
    key = model.rows[selected[0].row()].key if selected and selected[0].row() < len(model.rows) else None
    model.set_rows(rows)
    if key is None:
        return
    for number, row in enumerate(model.rows):
        if row.key == key:
            flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
            view.selectionModel().select(model.index(number, 0), flags)
            return


def make_table(model: RowsModel) -> QTableView:
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
    table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    table.verticalHeader().hide()
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return table


def selected_payload(view: QTableView) -> Any:
    rows = view.selectionModel().selectedRows()
    model = view.model()
    return model.payload(rows[0].row()) if rows and isinstance(model, RowsModel) else None


# -- words for the cells

def duration_in_words(seconds: int) -> str:
    hours, rest = divmod(max(0, int(seconds)), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


def days_in_words(days: int) -> str:
    return "for ever" if days == 0 else "for 1 day" if days == 1 else f"for {days} days"


def short_list(names: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


# -- what every panel shares

class ServerPanel(QWidget):
    """The frame of a server's panel. The dock feeds it snapshots and reacts to its certificate signals."""

    trustRequested = Signal(object)  # the CertificateProblem to trust
    detailsRequested = Signal(object)  # open the certificate prompt for this problem
    dontConnectRequested = Signal()
    reconnectRequested = Signal()

    def __init__(self, service: ServersService, entry: ServerEntry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.entry = entry
        self.last: ServerSnapshot | None = None
        self.problem: CertificateProblem | None = None  # the certificate problem the banner shows
        self.tasks = TaskKeeper()
        self.dialogs: list[QWidget] = []  # the dialogs this panel opened (kept alive; tests press their buttons)
        self.title = QLabel()
        self.status_label = QLabel("not polled yet")
        self.error_label = ErrorLabel()
        self.result_label = _words_label(OK_COLOUR)
        self.banner = self._build_banner()
        self.stopped = self._build_stopped()
        self.body = QWidget()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        for widget in (self.title, self.status_label, self.banner, self.stopped, self.error_label,
                       self.result_label, self.body):
            layout.addWidget(widget)
        layout.setStretchFactor(self.body, 1)
        layout.addStretch(0)  # takes the room while the body is hidden, so the lines above stay together
        self.set_entry(entry)

    def set_entry(self, entry: ServerEntry) -> None:
        self.entry = entry
        self.title.setText(f"<b>{entry.name}</b> · {entry.url}")

    def _build_banner(self) -> QFrame:
        banner = QFrame()
        banner.setFrameShape(QFrame.Shape.StyledPanel)
        # a fixed light banner with its own dark text: readable whatever the theme
        banner.setStyleSheet("QFrame { background: #fff4e5; color: #3d2a00; }")
        self.banner_label = QLabel()
        self.banner_label.setWordWrap(True)
        self.banner_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.trust_button = QPushButton("Trust this certificate")
        self.details_button = QPushButton("Details…")
        self.refuse_button = QPushButton("Don't connect")
        self.trust_button.clicked.connect(self._trust_clicked)
        self.details_button.clicked.connect(lambda: self.detailsRequested.emit(self.problem))
        self.refuse_button.clicked.connect(self.dontConnectRequested.emit)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.details_button, self.refuse_button, self.trust_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(banner)
        layout.addWidget(self.banner_label)
        layout.addLayout(buttons)
        banner.hide()
        return banner

    def _build_stopped(self) -> QFrame:
        stopped = QFrame()
        self.stopped_label = QLabel()
        self.stopped_label.setWordWrap(True)
        self.reconnect_button = QPushButton("Connect again")
        self.reconnect_button.clicked.connect(self.reconnectRequested.emit)
        layout = QHBoxLayout(stopped)
        layout.addWidget(self.stopped_label, 1)
        layout.addWidget(self.reconnect_button)
        stopped.hide()
        return stopped

    # -- snapshots
    def show_snapshot(self, snapshot: ServerSnapshot) -> None:
        self.last = snapshot
        self.stopped.hide()
        self.refresh_status_line()
        if snapshot.certificate_problem is not None:
            self.show_certificate_problem(snapshot.certificate_problem)
            self.error_label.hide()
            self.clear_data()  # nothing from a server whose identity is in doubt
            self.body.hide()
            return
        self.problem = None
        self.banner.hide()
        self.body.show()
        self._show_error(snapshot.error if not snapshot.reachable or snapshot.data is None else None)
        if snapshot.data is not None:
            self.body.setEnabled(True)
            self.show_data(snapshot.data)
        elif snapshot.reachable:
            self.clear_data()  # it answered, but not with data (wrong key, mod missing): stale rows would mislead
        else:
            self.body.setEnabled(False)  # down: the last data stays readable, greyed, until it answers again

    def refresh_status_line(self, now: float | None = None) -> None:
        if self.last is not None:
            self.status_label.setText(self.last.status_line(time.time() if now is None else now))

    def show_certificate_problem(self, problem: CertificateProblem) -> None:
        self.problem = problem
        presented = problem.presented
        if is_changed(problem):
            self.banner_label.setText(
                f"<b style='color:{ERROR_COLOUR}'>Warning: this server's certificate has CHANGED.</b> It may have "
                "been reinstalled, or someone may be pretending to be it. Nothing was sent to it.<br>"
                f"Trusted before: <tt>{_wrapped(pinned_fingerprint(problem) or '(unknown)')}</tt><br>"
                f"Shown now: <tt>{_wrapped(presented.fingerprint)}</tt>")
            self.trust_button.setText("Trust the new certificate…")
        else:
            self.banner_label.setText(
                "<b>This server's certificate is not trusted yet.</b> Compare its fingerprint with the one the "
                "server's owner sees, then trust it.<br>"
                f"SHA-256: <tt>{_wrapped(presented.fingerprint)}</tt>")
            self.trust_button.setText("Trust this certificate")
        self.banner.show()

    def _trust_clicked(self) -> None:
        if self.problem is None:
            return
        if is_changed(self.problem):
            self.detailsRequested.emit(self.problem)  # a changed certificate is trusted only after the full warning
        else:
            self.trustRequested.emit(self.problem)

    def show_stopped(self, text: str) -> None:
        """Polling was stopped on purpose (the user refused a certificate)."""
        self.banner.hide()
        self.body.hide()
        self.error_label.hide()
        self.status_label.setText("not connected")
        self.stopped_label.setText(text)
        self.stopped.show()

    def _show_error(self, error: str | None) -> None:
        self.error_label.setText(sentence(error) if error else "")
        self.error_label.setVisible(bool(error))

    # -- subclasses
    def show_data(self, data: FikaStatus | DedicatedStatus) -> None:
        raise NotImplementedError

    def clear_data(self) -> None:
        raise NotImplementedError

    def tick(self, now: float) -> None:
        """Once a second: the status line, and anything else that ages."""
        self.refresh_status_line(now)

    # -- actions
    def run_action(self, what: str, work: Callable[[Any], Awaitable[T]],
                   done: Callable[[T], str]) -> asyncio.Task[None]:
        """Run `work(client)` against this server; `what` says what is being done ("send the message to X") for
        the failure sentence, `done(result)` the success sentence."""
        self.report(f"{sentence(what)[:-1]}…", ok=True)
        return self.tasks.spawn(self._act(what, work, done), f"{self.entry.name}: {what}")

    async def _act(self, what: str, work: Callable[[Any], Awaitable[T]], done: Callable[[T], str]) -> None:
        try:
            result = await self.service.act(self.entry.name, work)
        except asyncio.CancelledError:
            raise
        except CertificateProblem as problem:
            self.show_certificate_problem(problem)
            self.report(f"Could not {what}: {problem.reason}.", ok=False)
        except KappaError as exc:
            self.report(f"Could not {what}: {sentence(str(exc))}", ok=False)
        except Exception as exc:  # an action must end in words in the panel, never in a traceback
            log.exception("%s: %s failed", self.entry.name, what)
            self.report(f"Could not {what}: it failed unexpectedly ({exc}).", ok=False)
        else:
            self.report(done(result), ok=True)

    def report(self, text: str, *, ok: bool) -> None:
        self.result_label.setStyleSheet(f"color: {OK_COLOUR if ok else ERROR_COLOUR};")
        self.result_label.setText(f"{time.strftime('%H:%M:%S')}  {text}")
        self.result_label.show()

    def keep(self, dialog: W) -> W:
        """Remember a dialog this panel opened (they have this panel as parent; the list is for tests and close)."""
        self.dialogs = [*[d for d in self.dialogs if _alive(d)][-8:], dialog]
        return dialog

    def close_panel(self) -> None:
        self.tasks.cancel_all()
        for dialog in self.dialogs:
            if _alive(dialog):
                dialog.close()


# -- Fika

RAID_COLUMNS = ("Host", "Status", "Map", "Side", "Time", "Players", "Headless", "Raid code", "Age")
PLAYER_COLUMNS = ("Nickname", "Level", "Location")
HEADLESS_COLUMNS = ("Headless client", "State", "Players")


class FikaPanel(ServerPanel):
    def __init__(self, service: ServersService, entry: ServerEntry, parent: QWidget | None = None) -> None:
        super().__init__(service, entry, parent)
        self.status: FikaStatus | None = None
        self.raids_model = RowsModel(RAID_COLUMNS, self)
        self.players_model = RowsModel(PLAYER_COLUMNS, self)
        self.headless_model = RowsModel(HEADLESS_COLUMNS, self)
        self.raids_table = make_table(self.raids_model)
        self.players_table = make_table(self.players_model)
        self.headless_table = make_table(self.headless_model)
        self.heartbeat_label = QLabel()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.raids_table, "Raids")
        self.tabs.addTab(self._with_toolbar(self.players_table, self._player_actions()), "Players")
        self.tabs.addTab(self._with_toolbar(self.headless_table, self._headless_actions()), "Headless")
        self.players_table.customContextMenuRequested.connect(
            lambda point: self._context_menu(self.players_table, point, self.player_actions))
        self.headless_table.customContextMenuRequested.connect(
            lambda point: self._context_menu(self.headless_table, point, self.headless_actions))
        layout = QVBoxLayout(self.body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heartbeat_label)
        layout.addWidget(self.tabs)

    def _player_actions(self) -> list[QAction]:
        self.message_action = self._action("Message…", self.ask_message)
        self.send_item_action = self._action("Send item…", self.ask_send_item)
        self.send_all_action = self._action("Send item to all…", self.ask_send_item_to_all)
        self.ban_action = self._action("Flea ban…", self.ask_flea_ban)
        self.unban_action = self._action("Flea unban…", self.ask_flea_unban)
        self.logout_action = self._action("Log out…", self.ask_logout)
        self.profile_action = self._action("Raw profile", lambda: self.view_profile(self.selected_player()))
        self.player_actions = [self.message_action, self.send_item_action, self.send_all_action, self.ban_action,
                               self.unban_action, self.logout_action, self.profile_action]
        return self.player_actions

    def _headless_actions(self) -> list[QAction]:
        self.restart_action = self._action("Restart…", self.ask_restart_headless)
        self.headless_profile_action = self._action("Raw profile",
                                                    lambda: self.view_profile(self.selected_headless()))
        self.headless_actions = [self.restart_action, self.headless_profile_action]
        return self.headless_actions

    def _action(self, text: str, slot: Callable[[], Any]) -> QAction:
        action = QAction(text, self)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _with_toolbar(self, table: QTableView, actions: list[QAction]) -> QWidget:
        holder = QWidget()
        bar = QToolBar()
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        bar.addActions(actions)
        layout = QVBoxLayout(holder)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(bar)
        layout.addWidget(table)
        return holder

    def _context_menu(self, table: QTableView, point: QPoint, actions: list[QAction]) -> None:
        index = table.indexAt(point)
        if not index.isValid():
            return
        table.selectRow(index.row())
        menu = QMenu(self)
        menu.addActions(actions)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(table.viewport().mapToGlobal(point))  # popup, not exec: the pollers keep running

    # -- data
    def show_data(self, data: FikaStatus | DedicatedStatus) -> None:
        if not isinstance(data, FikaStatus):
            return
        self.status = data
        refill(self.raids_table, self.raids_model, self._raid_rows(data.raids, time.time()))
        refill(self.players_table, self.players_model, [_player_row(player) for player in data.players])
        refill(self.headless_table, self.headless_model, [_headless_row(client) for client in data.headless])
        self.tabs.setTabText(0, f"Raids ({len(data.raids)})")
        self.tabs.setTabText(1, f"Players ({len(data.players)})")
        self.tabs.setTabText(2, f"Headless ({len(data.headless)})")
        self.heartbeat_label.setText(f"Heartbeat {data.heartbeat_s * 1000:.0f} ms")

    def clear_data(self) -> None:
        self.status = None
        for model in (self.raids_model, self.players_model, self.headless_model):
            model.set_rows([])
        for number, name in enumerate(("Raids", "Players", "Headless")):
            self.tabs.setTabText(number, name)
        self.heartbeat_label.setText("")

    def tick(self, now: float) -> None:
        super().tick(now)
        if self.status is not None and self.status.raids:  # the age column grows between polls
            self.raids_model.set_rows(self._raid_rows(self.status.raids, now))

    def _raid_rows(self, raids: Sequence[Raid], now: float) -> list[Row]:
        players = {player.profile_id: player for player in self.status.players} if self.status else {}
        return [_raid_row(raid, players, now) for raid in raids]

    def selected_player(self) -> Player | None:
        return selected_payload(self.players_table)

    def selected_headless(self) -> Headless | None:
        return selected_payload(self.headless_table)

    def _need_player(self) -> Player | None:
        player = self.selected_player()
        if player is None:
            self.report("Pick a player in the list first.", ok=False)
        return player

    # -- admin actions: ask, confirm, run
    def ask_message(self) -> None:
        if (player := self._need_player()) is not None:
            self.keep(ask_text(self, "Send a message", f"Message to {player.nickname} (up to {MAX_MESSAGE} letters):",
                               lambda text: self.confirm_message(player, text), max_length=MAX_MESSAGE))

    def confirm_message(self, player: Player, text: str) -> None:
        text = text.strip()
        if not text:
            self.report("The message was empty; nothing was sent.", ok=False)
            return
        self.keep(confirm(self, "Send a message", f"Send this message to {player.nickname}?",
                          lambda: self.send_message(player, text), yes_text="Send", details=text))

    def send_message(self, player: Player, text: str) -> asyncio.Task[None]:
        return self.run_action(f"send the message to {player.nickname}",
                               lambda client: client.send_message(player.profile_id, text),
                               lambda _: f"Message sent to {player.nickname}.")

    def ask_send_item(self) -> None:
        if (player := self._need_player()) is not None:
            dialog = SendItemDialog(self, self._search_items, player.nickname)
            dialog.chosen.connect(lambda request: self.confirm_send_item(player, request))
            self.keep(dialog).open()

    def confirm_send_item(self, player: Player, request: SendItemRequest) -> None:
        self.keep(confirm(self, "Send an item", f"Send {_gift(request)} to {player.nickname}?",
                          lambda: self.send_item(player, request), yes_text="Send", details=request.message or None))

    def send_item(self, player: Player, request: SendItemRequest) -> asyncio.Task[None]:
        return self.run_action(
            f"send {request.item.name} to {player.nickname}",
            lambda client: client.send_item(player.profile_id, request.item.tpl, request.amount,
                                            message=request.message, fir=request.fir),
            lambda _: f"Sent {_gift(request)} to {player.nickname}.")

    def ask_send_item_to_all(self) -> None:
        dialog = SendItemDialog(self, self._search_items, "every account on this server")
        dialog.chosen.connect(self.fetch_accounts_then_confirm)
        self.keep(dialog).open()

    def fetch_accounts_then_confirm(self, request: SendItemRequest) -> asyncio.Task[None]:
        """The recipients are every account (online or not), read afresh so that the confirmation names them."""

        def ask(profiles: list[Profile]) -> str:
            if not profiles:
                return "There are no accounts on this server; nothing was sent."
            names = [profile.nickname for profile in profiles]
            self.keep(confirm(self, "Send an item to everyone",
                              f"Send {_gift(request)} to all {len(profiles)} accounts ({short_list(names)})?",
                              lambda: self.send_item_to_all(profiles, request), yes_text="Send to all",
                              details=request.message or None))
            return f"{len(profiles)} accounts found; confirm to send."

        return self.run_action("read the list of accounts", lambda client: client.profiles(), ask)

    def send_item_to_all(self, profiles: Sequence[Profile], request: SendItemRequest) -> asyncio.Task[None]:
        ids = [profile.profile_id for profile in profiles]
        return self.run_action(
            f"send {request.item.name} to every account",
            lambda client: client.send_item_to_all(ids, request.item.tpl, request.amount, message=request.message,
                                                   fir=request.fir),
            lambda _: f"Sent {_gift(request)} to all {len(ids)} accounts.")

    def _search_items(self, text: str) -> Awaitable[Any]:
        return self.service.act(self.entry.name, lambda client: client.search_items(text))

    def ask_flea_ban(self) -> None:
        if (player := self._need_player()) is not None:
            self.keep(ask_number(self, "Flea market ban", f"Ban {player.nickname} from the flea market for how many "
                                 "days? (0 = for ever)", lambda days: self.confirm_flea_ban(player, days), value=7))

    def confirm_flea_ban(self, player: Player, days: int) -> None:
        self.keep(confirm(self, "Flea market ban",
                          f"Ban {player.nickname} from the flea market {days_in_words(days)}?",
                          lambda: self.flea_ban(player, days), yes_text="Ban", warning=True))

    def flea_ban(self, player: Player, days: int) -> asyncio.Task[None]:
        return self.run_action(f"ban {player.nickname} from the flea market",
                               lambda client: client.flea_ban(player.profile_id, days),
                               lambda _: f"{player.nickname} is banned from the flea market {days_in_words(days)}.")

    def ask_flea_unban(self) -> None:
        if (player := self._need_player()) is not None:
            self.keep(confirm(self, "Lift a flea market ban", f"Let {player.nickname} use the flea market again?",
                              lambda: self.flea_unban(player), yes_text="Lift the ban"))

    def flea_unban(self, player: Player) -> asyncio.Task[None]:
        return self.run_action(f"lift {player.nickname}'s flea market ban",
                               lambda client: client.flea_unban(player.profile_id),
                               lambda _: f"{player.nickname} may use the flea market again.")

    def ask_logout(self) -> None:
        if (player := self._need_player()) is not None:
            self.keep(confirm(self, "Log a player out",
                              f"Log {player.nickname} out? Their game loses the connection to the server.",
                              lambda: self.logout(player), yes_text="Log out", warning=True))

    def logout(self, player: Player) -> asyncio.Task[None]:
        return self.run_action(f"log {player.nickname} out", lambda client: client.logout(player.profile_id),
                               lambda _: f"{player.nickname} was logged out.")

    def ask_restart_headless(self) -> None:
        client = self.selected_headless()
        if client is None:
            self.report("Pick a headless client in the list first.", ok=False)
            return
        busy = f" It is hosting a raid with {client.players} players, who will be disconnected." if client.players \
            else ""
        self.keep(confirm(self, "Restart a headless client", f"Restart the headless client {client.nickname}?{busy}",
                          lambda: self.restart_headless(client), yes_text="Restart", warning=bool(client.players)))

    def restart_headless(self, client: Headless) -> asyncio.Task[None]:
        return self.run_action(f"restart the headless client {client.nickname}",
                               lambda fika: fika.restart_headless(client.profile_id),
                               lambda _: f"The headless client {client.nickname} is restarting.")

    def view_profile(self, who: Player | Headless | None) -> asyncio.Task[None] | None:
        """Read-only, so not confirmed; the JSON is pretty-printed off the GUI thread (profiles are large)."""
        if who is None:
            self.report("Pick a player in the list first.", ok=False)
            return None

        async def fetch(client: Any) -> str:
            profile = await client.raw_profile(who.profile_id)
            return await asyncio.to_thread(json.dumps, profile, indent=2, ensure_ascii=False)

        def show(text: str) -> str:
            viewer = RawProfileViewer(self, f"{who.nickname}: raw profile ({self.entry.name})", text)
            viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.keep(viewer).show()
            return f"Opened {who.nickname}'s profile."

        return self.run_action(f"read {who.nickname}'s profile", fetch, show)


def _raid_row(raid: Raid, players: dict[str, Player], now: float) -> Row:
    names = [players[profile_id].nickname if profile_id in players else profile_id for profile_id in raid.players]
    age = seconds_in_words(now - raid.started_at) if raid.started_at else ""
    cells = (raid.host, raid.status, raid.location or "", raid.side, raid.time,
             str(len(raid.players)), yes_no(raid.headless), raid.raid_code, age)
    return Row(raid.match_id, cells, raid, tooltip=", ".join(names))


def _player_row(player: Player) -> Row:
    return Row(player.profile_id, (player.nickname, str(player.level), player.location_name), player)


def _headless_row(client: Headless) -> Row:
    return Row(client.profile_id, (client.nickname, "Ready" if client.ready else "Not ready", str(client.players)),
               client)


def _gift(request: SendItemRequest) -> str:
    found = " (found in raid)" if request.fir else ""
    return f"{request.amount} × {request.item.name}{found}"  # noqa: RUF001 (a multiplication sign, meant)


# -- dedicated servers

OPTION_COLUMNS = ("Option", "Current", "Pending")


class DedicatedPanel(ServerPanel):
    def __init__(self, service: ServersService, entry: ServerEntry, parent: QWidget | None = None) -> None:
        super().__init__(service, entry, parent)
        self.status: DedicatedStatus | None = None
        self.values: dict[str, QLabel] = {}
        form = QFormLayout()
        for name in ("Health", "Session", "Players", "Tech tier", "Game phase", "Duration", "Paused"):
            self.values[name] = QLabel()
            self.values[name].setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(name, self.values[name])
        self.problem_label = _words_label(ERROR_COLOUR)
        self.options_model = RowsModel(OPTION_COLUMNS, self)
        self.options_table = make_table(self.options_model)
        self.command_edit = QLineEdit()
        self.command_edit.setPlaceholderText("Console command, e.g. help")
        self.command_edit.returnPressed.connect(self.ask_run_command)
        self.run_button = QPushButton("Run…")
        self.run_button.clicked.connect(self.ask_run_command)
        self.output = QPlainTextEdit()
        self.output.setReadOnly(True)
        self.output.setPlaceholderText("Command output appears here.")
        self.output.setMaximumBlockCount(2000)
        self._lay_out(form)

    def _lay_out(self, form: QFormLayout) -> None:
        self.save_button = QPushButton("Save game…")
        self.save_button.clicked.connect(self.ask_save_game)
        self.shutdown_button = QPushButton("Shut down…")
        self.shutdown_button.clicked.connect(self.ask_shutdown)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.shutdown_button)
        buttons.addStretch(1)
        command = QHBoxLayout()
        command.addWidget(self.command_edit, 1)
        command.addWidget(self.run_button)
        layout = QVBoxLayout(self.body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.problem_label)
        layout.addLayout(buttons)
        layout.addWidget(QLabel("Server options"))
        layout.addWidget(self.options_table, 1)
        layout.addLayout(command)
        layout.addWidget(self.output, 1)

    # -- data
    def show_data(self, data: FikaStatus | DedicatedStatus) -> None:
        if not isinstance(data, DedicatedStatus):
            return
        self.status = data
        state = data.state
        tick = f" · {state.tick_rate:.1f} ticks/s" if state else ""
        texts = _state_texts(state) if state else dict.fromkeys(self.values, "")
        texts["Health"] = f"{data.health.health}{tick}"  # health answers without a token; the rest may not
        for name, text in texts.items():
            self.values[name].setText(text)
        self.problem_label.setText(sentence(data.problem) if data.problem else "")
        self.problem_label.setVisible(bool(data.problem))
        options = data.options
        if options is None:
            self.options_model.set_rows([])
            return
        names = list(dict.fromkeys([*options.current, *options.pending]))
        refill(self.options_table, self.options_model,
               [Row(name, (name, options.current.get(name, ""), options.pending.get(name, ""))) for name in names])

    def clear_data(self) -> None:
        self.status = None
        for label in self.values.values():
            label.setText("")
        self.problem_label.hide()
        self.options_model.set_rows([])

    # -- actions
    def ask_save_game(self) -> None:
        self.keep(ask_text(self, "Save the game", "Name of the save:", self.confirm_save_game, text="kappa-save"))

    def confirm_save_game(self, name: str) -> None:
        name = name.strip()
        if not name:
            self.report("A save needs a name; nothing was saved.", ok=False)
            return
        self.keep(confirm(self, "Save the game", f"Save the game on {self.entry.name} as “{name}”?",
                          lambda: self.save_game(name), yes_text="Save"))

    def save_game(self, name: str) -> asyncio.Task[None]:
        return self.run_action(f"save the game as “{name}”", lambda client: client.save_game(name),
                               lambda _: f"The game was saved as “{name}”.")

    def ask_run_command(self) -> None:
        command = self.command_edit.text().strip()
        if not command:
            self.report("Type a console command first.", ok=False)
            return
        self.keep(confirm(self, "Run a console command", f"Run “{command}” on {self.entry.name}?",
                          lambda: self.run_command(command), yes_text="Run"))

    def run_command(self, command: str) -> asyncio.Task[None]:
        def shown(result: CommandResult) -> str:
            self.output.appendPlainText(f"> {command}\n{result.output or '(no output)'}")
            return f"“{command}” ran." if result.ok else f"“{command}” ran, but the server says it failed."

        return self.run_action(f"run “{command}”", lambda client: client.run_command(command), shown)

    def ask_shutdown(self) -> None:
        self.keep(confirm(self, "Shut the server down",
                          f"Shut {self.entry.name} down? Everyone playing on it is disconnected, and it stays off "
                          "until someone starts it again.", self.shutdown, yes_text="Shut down", warning=True))

    def shutdown(self) -> asyncio.Task[None]:
        return self.run_action("shut the server down", lambda client: client.shutdown(),
                               lambda _: "The server is shutting down.")


def _state_texts(state: Any) -> dict[str, str]:
    return {
        "Session": state.session or "(none)",
        "Players": f"{state.players} / {state.player_limit}",
        "Tech tier": str(state.tech_tier),
        "Game phase": state.game_phase if state.running else f"{state.game_phase} (no game running)",
        "Duration": duration_in_words(state.duration_s),
        "Paused": yes_no(state.paused),
    }


# -- helpers

def make_panel(service: ServersService, entry: ServerEntry, parent: QWidget | None = None) -> ServerPanel:
    panel_class = FikaPanel if entry.kind == "fika" else DedicatedPanel
    return panel_class(service, entry, parent)


def _wrapped(fingerprint: str) -> str:
    """A fingerprint on two lines: 95 characters without a space would keep the dock from getting narrower."""
    half = fingerprint.find(":", len(fingerprint) // 2)
    return fingerprint if half < 0 else f"{fingerprint[:half + 1]}<br>{fingerprint[half + 1:]}"


def _words_label(colour: str) -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {colour};")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


def _alive(widget: QWidget) -> bool:
    try:
        widget.objectName()
    except RuntimeError:  # deleted on close (WA_DeleteOnClose)
        return False
    return True
