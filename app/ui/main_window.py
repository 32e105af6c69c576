"""Kappa's main window: the installed-mods table, filled by a scan that runs off the GUI thread, and (when given a
servers service) the servers dock on the right."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from PySide6.QtCore import QSortFilterProxyModel, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QHeaderView, QLabel, QLineEdit, QMainWindow, QTableView, QToolBar

from app.core.errors import KappaError
from app.core.mods import ScanResult
from app.services.installed_mods import InstalledModsService
from app.services.servers import ServersService
from app.ui.mods_model import InstalledModsModel
from app.ui.notifications import DesktopNotifier, Notifier
from app.ui.servers_dock import ServersDock

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    def __init__(self, service: InstalledModsService, spt_path: Path, *, note: str | None = None,
                 servers: ServersService | None = None, local_spt_root: Path | None = None,
                 notifier: Notifier | None = None, server_poll_interval: float = 5.0) -> None:
        super().__init__()
        self.service = service
        self.spt_path = spt_path
        self.note = note  # shown in the status bar after a scan, e.g. "demo install"
        self.last_result: ScanResult | None = None
        self._scan_task: asyncio.Task[None] | None = None
        self._close_task: asyncio.Task[None] | None = None

        self.setWindowTitle("Kappa")
        self.resize(1000, 620)
        self.model = InstalledModsModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)
        self.table = self._build_table()
        self.setCentralWidget(self.table)
        self._build_toolbar()
        self.summary = QLabel()
        self.statusBar().addPermanentWidget(self.summary)
        self.servers_dock: ServersDock | None = None
        if servers is not None:
            self._build_servers_dock(servers, local_spt_root, notifier or DesktopNotifier(self),
                                     server_poll_interval)

    def _build_table(self) -> QTableView:
        table = QTableView(self)
        table.setModel(self.proxy)
        table.setSortingEnabled(True)
        table.sortByColumn(InstalledModsModel.NAME, Qt.SortOrder.AscendingOrder)
        table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        table.setAlternatingRowColors(True)
        table.verticalHeader().hide()
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(InstalledModsModel.PATH, QHeaderView.ResizeMode.Stretch)
        return table

    def _build_toolbar(self) -> None:
        toolbar = QToolBar("Main", self)
        toolbar.setMovable(False)
        self.toolbar = toolbar
        self.addToolBar(toolbar)
        self.rescan_action = QAction("Rescan", self)
        self.rescan_action.setShortcut(QKeySequence.StandardKey.Refresh)
        self.rescan_action.triggered.connect(self.start_scan)
        toolbar.addAction(self.rescan_action)
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText("Filter mods…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setMaximumWidth(320)
        self.filter_edit.textChanged.connect(self.proxy.setFilterFixedString)
        toolbar.addWidget(self.filter_edit)

    def _build_servers_dock(self, servers: ServersService, local_spt_root: Path | None, notifier: Notifier,
                            interval: float) -> None:
        dock = ServersDock(servers, notifier=notifier, local_spt_root=local_spt_root, interval=interval, parent=self)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.servers_dock = dock
        toggle = dock.toggleViewAction()
        toggle.setText("Servers")
        toggle.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.menuBar().addMenu("&View").addAction(toggle)
        self.toolbar.addAction(toggle)
        # Polling needs the running asyncio loop: a zero timer fires once the event loop runs.
        QTimer.singleShot(0, dock.start)

    # -- scanning
    def start_scan(self) -> None:
        """Start (or restart) a scan; it runs on a worker thread and fills the table when done."""
        if self._scan_task is not None and not self._scan_task.done():
            self._scan_task.cancel()
        self.rescan_action.setEnabled(False)
        self.statusBar().showMessage(f"Scanning {self.spt_path} …")
        self._scan_task = asyncio.ensure_future(self._scan())

    async def scan_finished(self) -> None:
        """Wait until the current scan, if any, has finished (successfully or not)."""
        if self._scan_task is not None:
            await asyncio.gather(self._scan_task, return_exceptions=True)

    async def _scan(self) -> None:
        try:
            result = await self.service.scan(self.spt_path)
        except asyncio.CancelledError:
            raise
        except KappaError as exc:
            self._show_failure(str(exc))
        except Exception as exc:  # the window must survive anything a strange install does to the scanner
            log.exception("scan failed")
            self._show_failure(f"the scan failed unexpectedly ({exc})")
        else:
            self._show_result(result)
        finally:
            self.rescan_action.setEnabled(True)

    def _show_result(self, result: ScanResult) -> None:
        self.last_result = result
        self.model.set_mods(result.mods)
        install = result.install
        self.setWindowTitle(f"Kappa — {install.root}")
        servers = sum(1 for mod in result.mods if mod.kind == "server")
        parts = [f"SPT {install.version or '(version unknown)'}", f"{install.layout} layout",
                 f"{servers} server mods", f"{len(result.mods) - servers} client plugins"]
        if install.eft_build:
            parts.insert(1, f"EFT build {install.eft_build}")
        if result.problems:
            parts.append(f"{len(result.problems)} files skipped")
            self.summary.setToolTip("\n".join(str(problem) for problem in result.problems))
        if self.note:
            parts.append(self.note)
        self.summary.setText(" · ".join(parts))
        self.statusBar().showMessage("Scan finished", 4000)

    def _show_failure(self, message: str) -> None:
        self.summary.setText("")
        self.statusBar().showMessage(f"Could not read the install: {message}")

    def closeEvent(self, event) -> None:
        if self._scan_task is not None and not self._scan_task.done():
            self._scan_task.cancel()
        if self.servers_dock is not None and self._close_task is None:
            with contextlib.suppress(RuntimeError):  # no running loop: nothing polls either
                # Stops the polls and closes the connections to the servers.
                self._close_task = asyncio.get_running_loop().create_task(self.servers_dock.aclose())
        super().closeEvent(event)

    async def servers_closed(self) -> None:
        """Wait until closing has stopped the servers dock's polls (if the window has one and was closed)."""
        if self._close_task is not None:
            await asyncio.gather(self._close_task, return_exceptions=True)
