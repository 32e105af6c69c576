"""The Activity dock: Kappa's downloads and installs, one row per job with its transfers below it.

Each job row shows its title, its step in words, a progress bar (busy while the size is unknown), speed and time
left, and a Cancel (queued, running, waiting) or Retry (failed, cancelled) button. A failed job has a row under it
with the problem, the next step to take and, for a download that is not a direct link, the page to open in the
browser. Delete cancels the selected job; the context menu and the toolbar offer the same actions and
"Clear finished". `summary_changed` carries the one-line summary for the main window's status bar.

The dock only listens to `app.services.activity.Activity`: no work and no waiting happen here. Listener calls mark
jobs as changed; the rows are repainted at most ~10 times a second, except that a change of state (started,
waiting, failed...) shows at once.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import shiboken6
from PySide6.QtCore import QEvent, QObject, QPoint, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QProgressBar,
    QStackedWidget,
    QToolBar,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.words import seconds_in_words, size_in_words
from app.services.activity import Activity, Job, JobState, Transfer

log = logging.getLogger(__name__)

UrlOpener = Callable[[QUrl], object]
REPAINT_MS = 100  # progress repaints at most ~10 times a second
BAR_STEPS = 1000  # progress bars count in thousandths: byte counts would overflow a QProgressBar's int
JOB_ROLE = Qt.ItemDataRole.UserRole  # every row carries the id of its job


@dataclass
class _TransferRow:
    item: QTreeWidgetItem
    bar: QProgressBar


@dataclass
class _JobRow:
    """The widgets of one job's row; `state` is the state last painted (a new one repaints at once)."""

    item: QTreeWidgetItem
    bar: QProgressBar
    button: QToolButton
    state: JobState | None = None
    attempt: int = 0
    transfers: dict[str, _TransferRow] = field(default_factory=dict)
    problem_item: QTreeWidgetItem | None = None
    problem_label: QLabel | None = None


class ActivityDock(QDockWidget):
    """Downloads and installs: queue, progress, speed, time left, cancel, retry, and problems in words."""

    summary_changed = Signal(str)

    TASK, STATUS, PROGRESS, SPEED, LEFT, ACTION = range(6)
    HEADERS = ("Task", "Status", "Progress", "Speed", "Left", "")

    def __init__(self, activity: Activity, parent: QWidget | None = None, *, opener: UrlOpener | None = None,
                 repaint_ms: int = REPAINT_MS) -> None:
        super().__init__("Activity", parent)
        self.setObjectName("activity")  # saveState/restoreState need it
        self.activity = activity
        self.opener: UrlOpener = opener or QDesktopServices.openUrl  # tests pass their own
        self.rows: dict[int, _JobRow] = {}
        self._dirty: set[int] = set()
        self._summary = ""
        self.menu: QMenu | None = None  # the last context menu (tests pick its actions)
        self._repaint = QTimer(self)
        self._repaint.setSingleShot(True)
        self._repaint.setInterval(repaint_ms)
        self._repaint.timeout.connect(self.repaint_now)
        self._build()
        self._dirty.update(job.id for job in activity.jobs())
        activity.add_listener(self._job_changed)
        self.repaint_now()

    @property
    def summary(self) -> str:
        """The status-bar line last emitted through `summary_changed`."""
        return self._summary

    def detach(self) -> None:
        """Stop listening to the activity (before the dock is thrown away while the activity lives on)."""
        self.activity.remove_listener(self._job_changed)
        self._repaint.stop()

    # -- layout

    def _build(self) -> None:
        holder = QWidget()
        self.toolbar = QToolBar("Activity")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.tree = self._build_tree()
        self.cancel_action = self._action("Cancel", self.cancel_selected, "Stop the selected download or install")
        self.cancel_action.setShortcut(QKeySequence(Qt.Key.Key_Delete))
        self.cancel_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.tree.addAction(self.cancel_action)  # Delete works while the list has the focus
        self.retry_action = self._action("Retry", self.retry_selected, "Run the selected failed or cancelled job again")
        self.open_link_action = QAction("Open download page", self)
        self.open_link_action.setToolTip("Open the page of a download that is not a direct link in your browser")
        self.open_link_action.triggered.connect(lambda _checked=False: self.open_selected_link())
        self.clear_action = self._action("Clear finished", self.clear_finished,
                                         "Remove the done, failed and cancelled jobs from the list")
        self.placeholder = QLabel("Nothing is downloading or installing. Installs, updates and downloads you start "
                                  "appear here with their progress.")
        self.placeholder.setWordWrap(True)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(self.tree)
        layout = QVBoxLayout(holder)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.stack, 1)
        self.setWidget(holder)
        self.setMinimumWidth(360)

    def _build_tree(self) -> QTreeWidget:
        tree = QTreeWidget()
        tree.setColumnCount(len(self.HEADERS))
        tree.setHeaderLabels(list(self.HEADERS))
        tree.setUniformRowHeights(False)  # problem rows wrap their words over several lines
        tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        tree.customContextMenuRequested.connect(self._show_menu)
        tree.itemSelectionChanged.connect(self._update_actions)
        header = tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(self.TASK, QHeaderView.ResizeMode.Stretch)
        for column in (self.STATUS, self.SPEED, self.LEFT, self.ACTION):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(self.PROGRESS, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(self.PROGRESS, 140)
        tree.viewport().installEventFilter(self)  # a new width re-wraps the problem rows
        return tree

    def _action(self, text: str, slot: Callable[[], object], tip: str) -> QAction:
        action = QAction(text, self)
        action.setToolTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.toolbar.addAction(action)
        return action

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and watched is self.tree.viewport():
            QTimer.singleShot(0, self._fit_problem_rows)  # after the view has laid out its columns
        return super().eventFilter(watched, event)

    # -- following the activity

    def _job_changed(self, job: Job) -> None:
        if not shiboken6.isValid(self):  # the dock is gone but the activity lives on
            self.activity.remove_listener(self._job_changed)
            return
        self._dirty.add(job.id)
        row = self.rows.get(job.id)
        if row is None or self.activity.get(job.id) is None or row.state is not job.state \
                or row.attempt != job.attempt:
            self.repaint_now()  # a new job, a new state or a removal shows at once
        elif not self._repaint.isActive():
            self._repaint.start()

    def repaint_now(self) -> None:
        """Paint every job that changed since the last repaint, then the actions and the summary."""
        self._repaint.stop()
        dirty, self._dirty = sorted(self._dirty), set()
        for job_id in dirty:
            job = self.activity.get(job_id)
            if job is None:
                self._remove_row(job_id)
            else:
                self._paint_job(job)
        self.stack.setCurrentWidget(self.tree if self.rows else self.placeholder)
        self._update_actions()
        summary = self.activity.summary()
        if summary != self._summary:
            self._summary = summary
            self.summary_changed.emit(summary)

    def _paint_job(self, job: Job) -> None:
        row = self.rows.get(job.id) or self._add_row(job)
        new_state = row.state is not job.state or row.attempt != job.attempt
        row.state, row.attempt = job.state, job.attempt
        item = row.item
        item.setText(self.TASK, job.title)
        item.setToolTip(self.TASK, job.title if job.attempt == 1 else f"{job.title} (attempt {job.attempt})")
        item.setText(self.STATUS, job.step)
        item.setToolTip(self.STATUS, job.problem.message if job.problem else job.step)
        active = job.state.active
        item.setText(self.SPEED, _speed_words(job.speed) if active else "")
        item.setText(self.LEFT, _eta_words(job.eta) if active else "")
        _show_progress(row.bar, job.fraction if active else None, visible=active)
        self._paint_button(row, job)
        self._paint_transfers(row, job)
        self._paint_problem(row, job)
        if new_state and job.state is JobState.DONE:
            item.setExpanded(False)  # a finished job's files need no more room
        elif new_state and job.state is JobState.FAILED:
            item.setExpanded(True)  # its problem row must be seen

    def _add_row(self, job: Job) -> _JobRow:
        item = QTreeWidgetItem(self.tree)
        item.setData(self.TASK, JOB_ROLE, job.id)
        bar = _progress_bar()
        button = QToolButton()
        button.setAutoRaise(True)
        button.clicked.connect(lambda _checked=False, job_id=job.id: self._press(job_id))
        self.tree.setItemWidget(item, self.PROGRESS, _cell(bar))
        self.tree.setItemWidget(item, self.ACTION, _cell(button))
        item.setExpanded(True)
        row = self.rows[job.id] = _JobRow(item, bar, button)
        return row

    def _remove_row(self, job_id: int) -> None:
        row = self.rows.pop(job_id, None)
        if row is None:
            return
        index = self.tree.indexOfTopLevelItem(row.item)
        if index >= 0:
            self.tree.takeTopLevelItem(index)  # the row's widgets go with it

    def _paint_button(self, row: _JobRow, job: Job) -> None:
        if job.can_retry:
            row.button.setText("Retry")
            row.button.setToolTip(f"Run “{job.title}” again")
        else:
            row.button.setText("Cancel")
            row.button.setToolTip(f"Stop “{job.title}”")
        row.button.setEnabled(job.can_retry or job.can_cancel)
        row.button.setVisible(job.state is not JobState.DONE)

    def _paint_transfers(self, row: _JobRow, job: Job) -> None:
        for label in [label for label in row.transfers if label not in job.transfers]:
            gone = row.transfers.pop(label)
            row.item.removeChild(gone.item)
        for label, transfer in job.transfers.items():
            shown = row.transfers.get(label)
            if shown is None:
                child = QTreeWidgetItem(row.item)
                child.setData(self.TASK, JOB_ROLE, job.id)
                shown = row.transfers[label] = _TransferRow(child, _progress_bar())
                self.tree.setItemWidget(child, self.PROGRESS, _cell(shown.bar))
            _paint_transfer(shown, transfer, moving=job.state.active)

    def _paint_problem(self, row: _JobRow, job: Job) -> None:
        problem = job.problem if job.state is JobState.FAILED else None
        if problem is None:
            if row.problem_item is not None:
                row.item.removeChild(row.problem_item)
                row.problem_item = row.problem_label = None
            return
        if row.problem_item is None:
            row.problem_item = QTreeWidgetItem()
            row.item.insertChild(0, row.problem_item)  # right under the job, above its transfers
            row.problem_item.setData(self.TASK, JOB_ROLE, job.id)
            row.problem_item.setFirstColumnSpanned(True)
            row.problem_item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            label = QLabel()
            label.setObjectName("problem")
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
            label.setOpenExternalLinks(False)  # the opener decides (tests count the pages opened)
            label.linkActivated.connect(self._open_link)
            label.setContentsMargins(4, 2, 4, 4)
            self.tree.setItemWidget(row.problem_item, self.TASK, label)
            row.problem_label = label
        assert row.problem_label is not None
        row.problem_label.setText(_problem_html(problem.message, problem.next_step, problem.link))
        row.problem_label.setToolTip(problem.link or "")
        self._fit_problem_row(row)

    def _fit_problem_rows(self) -> None:
        if not shiboken6.isValid(self):
            return
        for row in self.rows.values():
            self._fit_problem_row(row)

    def _fit_problem_row(self, row: _JobRow) -> None:
        """Give a problem row the height its wrapped words need at the tree's current width."""
        if row.problem_item is None or row.problem_label is None:
            return
        # A child row starts two indentations in: one for the root decoration, one for its depth.
        indent = self.tree.indentation() * (2 if self.tree.rootIsDecorated() else 1)
        width = max(120, self.tree.viewport().width() - indent)
        wanted = QSize(width, row.problem_label.heightForWidth(width))
        if row.problem_item.sizeHint(self.TASK) != wanted:
            # The view sizes a row by its widget's size hint bounded by the widget's minimum and maximum height,
            # and a word-wrapped label's hint is for a narrow width: the fixed height is what fits this width.
            row.problem_label.setFixedHeight(wanted.height())
            row.problem_item.setSizeHint(self.TASK, wanted)

    # -- actions

    def selected_job(self) -> Job | None:
        """The job of the selected row (a transfer's or problem's row stands for its job)."""
        items = self.tree.selectedItems()
        if not items:
            return None
        job_id = items[0].data(self.TASK, JOB_ROLE)
        return self.activity.get(job_id) if isinstance(job_id, int) else None

    def select_job(self, job_id: int) -> None:
        row = self.rows.get(job_id)
        if row is not None:
            self.tree.setCurrentItem(row.item)

    def cancel_selected(self) -> None:
        job = self.selected_job()
        if job is not None:
            self.activity.cancel(job.id)

    def retry_selected(self) -> None:
        job = self.selected_job()
        if job is not None and job.can_retry:
            self.activity.retry(job.id)

    def open_selected_link(self) -> None:
        job = self.selected_job()
        if job is not None and job.problem is not None and job.problem.link:
            self._open_link(job.problem.link)

    def clear_finished(self) -> None:
        self.activity.clear_finished()

    def _press(self, job_id: int) -> None:
        """A row's button: Retry when the job can be retried, else Cancel."""
        job = self.activity.get(job_id)
        if job is None:
            return
        if job.can_retry:
            self.activity.retry(job_id)
        else:
            self.activity.cancel(job_id)

    def _open_link(self, url: str) -> None:
        if not self.opener(QUrl(url)):
            log.warning("no browser could open %s", url)

    def _update_actions(self) -> None:
        job = self.selected_job()
        self.cancel_action.setEnabled(job is not None and job.can_cancel)
        self.retry_action.setEnabled(job is not None and job.can_retry)
        self.open_link_action.setEnabled(job is not None and job.problem is not None and bool(job.problem.link))
        self.clear_action.setEnabled(any(job.state.finished for job in self.activity.jobs()))

    def _show_menu(self, position: QPoint) -> None:
        item = self.tree.itemAt(position)
        if item is not None:
            self.tree.setCurrentItem(item)
        self._update_actions()
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        for action in (self.cancel_action, self.retry_action, self.open_link_action):
            if action.isEnabled():
                menu.addAction(action)
        if not menu.isEmpty():
            menu.addSeparator()
        menu.addAction(self.clear_action)
        self.menu = menu  # a reference for tests; popup() does not block, unlike exec()
        menu.popup(self.tree.viewport().mapToGlobal(position))


# -- painting helpers ----------------------------------------------------------------------------------------------

def _cell(content: QWidget) -> QWidget:
    """`content` in a holder: the view shows and hides the widgets of rows itself, so the dock shows or hides
    what is inside."""
    holder = QWidget()
    layout = QHBoxLayout(holder)
    layout.setContentsMargins(2, 1, 2, 1)
    layout.addWidget(content)
    return holder


def _progress_bar() -> QProgressBar:
    bar = QProgressBar()
    bar.setRange(0, BAR_STEPS)
    bar.setTextVisible(True)
    bar.setMaximumHeight(18)
    bar.hide()
    return bar


def _show_progress(bar: QProgressBar, fraction: float | None, *, visible: bool) -> None:
    """A bar at `fraction`, or busy (an endless animation) while the size is unknown."""
    bar.setVisible(visible)
    if not visible:
        return
    if fraction is None:
        bar.setRange(0, 0)
        return
    bar.setRange(0, BAR_STEPS)
    bar.setValue(round(fraction * BAR_STEPS))


def _paint_transfer(row: _TransferRow, transfer: Transfer, *, moving: bool) -> None:
    item = row.item
    item.setText(ActivityDock.TASK, transfer.label)
    item.setToolTip(ActivityDock.TASK, transfer.label)
    sizes = size_in_words(transfer.received)
    if transfer.total:
        sizes = f"{sizes or '0 KiB'} of {size_in_words(transfer.total)}"
    item.setText(ActivityDock.STATUS, "Done" if transfer.done else sizes)
    going = moving and not transfer.done
    item.setText(ActivityDock.SPEED, _speed_words(transfer.speed) if going else "")
    item.setText(ActivityDock.LEFT, _eta_words(transfer.eta) if going else "")
    _show_progress(row.bar, transfer.fraction, visible=going)


def _speed_words(speed: float) -> str:
    return f"{size_in_words(int(speed))}/s" if speed >= 1 else ""


def _eta_words(eta: float | None) -> str:
    return seconds_in_words(eta) if eta is not None and eta > 0 else ""


def _problem_html(message: str, next_step: str, link: str | None) -> str:
    """The problem in bold, the next step under it, then the link to open (clickable)."""
    parts = [f"<b>{html.escape(message)}</b>", html.escape(next_step)]
    if link:
        parts.append(f'<a href="{html.escape(link, quote=True)}">{html.escape(link)}</a>')
    return "<br>".join(part for part in parts if part)
