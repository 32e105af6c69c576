"""Kappa's main window: the installed mods (table, details, actions), Browse the Forge, and the Activity and Servers
docks. Scans, checks, downloads and installs run off the GUI thread; every change goes through `ModActions`.

Keyboard: F5 rescans, Ctrl+F filters, Ctrl+U updates the selection, Ctrl+Shift+U updates everything, Ctrl+D/Ctrl+E
disable/enable, Delete uninstalls, Ctrl+Z undoes the last change, Ctrl+H shows the history, Ctrl+O installs archives,
Ctrl+, opens the settings, Ctrl+1/Ctrl+2 switch between Installed and Browse.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QKeySequence,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QSplitter,
    QStyle,
    QTableView,
    QTabWidget,
    QToolBar,
    QWidget,
)

from app.core.errors import KappaError
from app.core.logs import active_log_path, log_path
from app.core.mods import ScanResult
from app.services.activity import Activity
from app.services.diagnostics import build_diagnostics, diagnostics_summary
from app.services.forge_browser import ForgeBrowser
from app.services.installs import InstallsService
from app.services.mod_library import Library, ModLibrary, ModRow, ModStatus
from app.services.servers import ServersService
from app.services.workspace import Workspace
from app.ui.activity_dock import ActivityDock
from app.ui.browse_view import BrowseView
from app.ui.dialogs import TaskKeeper
from app.ui.history_dialog import HistoryDialog
from app.ui.mod_actions import ModActions
from app.ui.mod_details import ModDetailsPane
from app.ui.mods_model import ROW_ROLE, InstalledModsModel, ModsFilter
from app.ui.notifications import DesktopNotifier, Notifier
from app.ui.servers_dock import ServersDock
from app.ui.settings_dialog import SettingsDialog
from app.ui.status_chip import StatusChipDelegate
from app.ui.theme import apply_theme

log = logging.getLogger(__name__)

MOD_SUFFIXES = (".zip", ".7z", ".rar", ".dll")


class MainWindow(QMainWindow):
    def __init__(self, workspace: Workspace, root: Path | None, *, note: str | None = None,
                 servers: ServersService | None = None, local_spt_root: Path | None = None,
                 notifier: Notifier | None = None, server_poll_interval: float = 5.0,
                 library: ModLibrary | None = None, check_with_forge: bool = True) -> None:
        super().__init__()
        self.workspace = workspace
        self.root = root
        self.note = note  # shown in the status bar after a scan, e.g. "demo install"
        self.check_with_forge = check_with_forge
        self.library_service = library or ModLibrary(workspace.data_dir)
        self.installs = InstallsService(workspace.data_dir)
        self.library: Library | None = None
        self._scan_task: asyncio.Task[None] | None = None
        self._close_task: asyncio.Task[None] | None = None
        self._dialogs: list[QWidget] = []
        self.tasks = TaskKeeper()
        self.open_url: Callable[[QUrl], object] = QDesktopServices.openUrl  # tests replace it

        self.setWindowTitle("Kappa")
        self.resize(1180, 720)
        self.setAcceptDrops(True)
        self.activity = Activity()
        self.actions_ = ModActions(workspace, activity=self.activity, root=self._current_root, parent=self)
        self.actions_.changed.connect(self.start_scan)
        self.actions_.notice.connect(lambda text: self.statusBar().showMessage(text, 8000))

        self.model = InstalledModsModel(self)
        self.proxy = ModsFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = self._build_table()
        self.details = ModDetailsPane(lambda: self.workspace.forge, workspace.data_dir, self)
        self.details.mapping_changed.connect(self.start_scan)
        self.browse = self._build_browse()
        self.tabs = self._build_tabs()
        self.setCentralWidget(self.tabs)
        self._build_actions()
        self._build_toolbar()
        self._build_menus()
        self._build_context_menu()
        self.summary = QLabel()
        self.activity_summary = QLabel()
        self.statusBar().addPermanentWidget(self.activity_summary)
        self.statusBar().addPermanentWidget(self.summary)
        self.activity_dock = ActivityDock(self.activity, self)
        self.activity_dock.summary_changed.connect(self.activity_summary.setText)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.activity_dock)
        self._add_view_toggle(self.activity_dock, "Activity", "Ctrl+Shift+A")
        self.servers_dock: ServersDock | None = None
        if servers is not None:
            self._build_servers_dock(servers, local_spt_root, notifier or DesktopNotifier(self),
                                     server_poll_interval)
        self._docks_sized = False
        self._update_action_states()

    # -- building the window
    def _build_table(self) -> QTableView:
        table = QTableView(self)
        table.setModel(self.proxy)
        table.setSortingEnabled(True)
        table.sortByColumn(InstalledModsModel.STATUS, Qt.SortOrder.AscendingOrder)
        table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QTableView.SelectionMode.ExtendedSelection)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.verticalHeader().hide()
        table.setItemDelegateForColumn(InstalledModsModel.STATUS, StatusChipDelegate(table))
        header = table.horizontalHeader()
        header.setResizeContentsPrecision(64)  # measure 64 rows, not all 300: a reset must not stall the GUI
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(InstalledModsModel.NAME, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(InstalledModsModel.STATUS, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(InstalledModsModel.STATUS, 190)  # long chips elide; the tooltip has the sentence
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        table.selectionModel().selectionChanged.connect(self._selection_changed)
        table.doubleClicked.connect(lambda _index: self.details.setFocus())
        return table

    def _build_browse(self) -> BrowseView:
        # a provider, not the client: changed Forge settings replace the client
        browse = BrowseView(ForgeBrowser(lambda: self.workspace.forge), self.workspace.thumbnails, self)
        browse.install_requested.connect(lambda forge_id, name: self.actions_.install_from_forge(forge_id, name))
        return browse

    def _build_tabs(self) -> QTabWidget:
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.table)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([700, 420])
        tabs = QTabWidget(self)
        tabs.addTab(splitter, "Installed")
        tabs.addTab(self.browse, "Browse the Forge")
        tabs.setTabToolTip(0, "The mods in this SPT install (Ctrl+1)")
        tabs.setTabToolTip(1, "Find mods on the Forge and install them (Ctrl+2)")
        return tabs

    def _action(self, text: str, shortcut: str | QKeySequence.StandardKey | None, tip: str,
                slot: Callable[[], object], icon: QStyle.StandardPixmap | None = None) -> QAction:
        action = QAction(text, self)
        if icon is not None:  # the style's own icons: drawn for the screen's pixel ratio, in either theme
            action.setIcon(self.style().standardIcon(icon))
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(f"{tip} ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
                          if shortcut is not None else tip)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work wherever the focus is
        return action

    def _build_actions(self) -> None:
        self.rescan_action = self._action("Rescan", QKeySequence.StandardKey.Refresh,
                                          "Read the install again and ask the Forge for updates", self.start_scan,
                                          QStyle.StandardPixmap.SP_BrowserReload)
        self.update_action = self._action("Update", "Ctrl+U", "Update the selected mods (the plan is shown first)",
                                          lambda: self.actions_.update(self.selected_rows()),
                                          QStyle.StandardPixmap.SP_ArrowUp)
        self.update_all_action = self._action("Update all", "Ctrl+Shift+U",
                                              "Update every mod that has an update (the plan is shown first)",
                                              lambda: self.actions_.update(None), QStyle.StandardPixmap.SP_ArrowUp)
        self.disable_action = self._action("Disable", "Ctrl+D", "Move the selected mods out of the game",
                                           lambda: self.actions_.disable(self._rows_where(enabled=True)),
                                           QStyle.StandardPixmap.SP_MediaPause)
        self.enable_action = self._action("Enable", "Ctrl+E", "Put the selected disabled mods back into the game",
                                          lambda: self.actions_.enable(self._rows_where(enabled=False)),
                                          QStyle.StandardPixmap.SP_MediaPlay)
        self.uninstall_action = self._action("Uninstall", QKeySequence.StandardKey.Delete,
                                             "Remove the selected mods: exactly the files they own",
                                             lambda: self.actions_.uninstall(self._rows_where(enabled=True)),
                                             QStyle.StandardPixmap.SP_TrashIcon)
        self.undo_action = self._action("Undo", QKeySequence.StandardKey.Undo, "Revert the last change",
                                        self.actions_.undo, QStyle.StandardPixmap.SP_ArrowBack)
        self.history_action = self._action("History", "Ctrl+H", "Every change Kappa made to this install",
                                           self.show_history, QStyle.StandardPixmap.SP_FileDialogDetailedView)
        self.open_action = self._action("Install from file…", QKeySequence.StandardKey.Open,
                                        "Install mod archives (zip, 7z, rar) or DLLs", self.choose_archives,
                                        QStyle.StandardPixmap.SP_DialogOpenButton)
        self.settings_action = self._action("Settings…", QKeySequence.StandardKey.Preferences,
                                            "Forge address, downloads, backups, theme and SPT installs",
                                            self.show_settings)
        self.filter_action = self._action("Filter", QKeySequence.StandardKey.Find, "Filter the installed mods",
                                          self._focus_filter)
        for number in (1, 2):
            self._action(f"Tab {number}", f"Ctrl+{number}", "Switch tab",
                         lambda n=number: self.tabs.setCurrentIndex(n - 1))

    def _build_toolbar(self) -> None:
        toolbar = QToolBar("Main", self)
        toolbar.setObjectName("main-toolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toolbar = toolbar
        self.addToolBar(toolbar)
        self.install_combo = QComboBox(self)
        self.install_combo.setToolTip("The SPT install Kappa works on; add more in the settings")
        self.install_combo.setMinimumContentsLength(24)
        self.install_combo.activated.connect(self._install_chosen)
        toolbar.addWidget(self.install_combo)
        # the toolbar holds what is used every day; disable, enable and uninstall are in the Mods menu and
        # on the table's context menu
        for action in (self.rescan_action, self.update_action, self.update_all_action, self.undo_action,
                       self.history_action, self.open_action):
            toolbar.addAction(action)
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText("Filter mods…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setMaximumWidth(260)
        self.filter_edit.textChanged.connect(self.proxy.set_text)
        toolbar.addWidget(self.filter_edit)
        self.show_combo = QComboBox(self)
        self.show_combo.addItems(list(ModsFilter.SHOWS))
        self.show_combo.setToolTip("Show all mods, or only those with updates, problems…")
        self.show_combo.currentTextChanged.connect(self.proxy.set_show)
        toolbar.addWidget(self.show_combo)

    def _build_context_menu(self) -> None:
        for action in (self.update_action, self.disable_action, self.enable_action, self.uninstall_action):
            self.table.addAction(action)

    def _build_menus(self) -> None:
        menu = self.menuBar()
        file = menu.addMenu("&File")
        file.addAction(self.open_action)
        file.addAction(self.settings_action)
        file.addSeparator()
        file.addAction(self._action("Quit", QKeySequence.StandardKey.Quit, "Close Kappa", self.close))
        mods = menu.addMenu("&Mods")
        for action in (self.rescan_action, self.update_action, self.update_all_action, self.disable_action,
                       self.enable_action, self.uninstall_action):
            mods.addAction(action)
        edit = menu.addMenu("&Edit")
        edit.addAction(self.undo_action)
        edit.addAction(self.history_action)
        edit.addAction(self.filter_action)
        self.view_menu = menu.addMenu("&View")
        help_menu = menu.addMenu("&Help")  # after View: the docks add their toggles to View later
        self.diagnostics_action = self._action(
            "Copy diagnostics for a bug report", None,
            "Save the logs, the settings (without secrets) and a scan in a zip, and copy its path",
            lambda: self.tasks.spawn(self.copy_diagnostics(), name="diagnostics"))
        self.log_folder_action = self._action("Open the log folder", None, "Show Kappa's log files",
                                              self.open_log_folder)
        help_menu.addAction(self.diagnostics_action)
        help_menu.addAction(self.log_folder_action)

    def _add_view_toggle(self, dock: QWidget, text: str, shortcut: str) -> None:
        toggle = dock.toggleViewAction()  # type: ignore[attr-defined]
        toggle.setText(text)
        toggle.setShortcut(QKeySequence(shortcut))
        self.view_menu.addAction(toggle)

    def _build_servers_dock(self, servers: ServersService, local_spt_root: Path | None, notifier: Notifier,
                            interval: float) -> None:
        dock = ServersDock(servers, notifier=notifier, local_spt_root=local_spt_root, interval=interval, parent=self)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.servers_dock = dock
        self._add_view_toggle(dock, "Servers", "Ctrl+Shift+S")
        # Polling needs the running asyncio loop: a zero timer fires once the event loop runs.
        QTimer.singleShot(0, dock.start)

    # -- help
    async def copy_diagnostics(self) -> Path | None:
        """Build the diagnostics zip off the GUI thread; put its path and contents on the clipboard."""
        self.diagnostics_action.setEnabled(False)
        self.statusBar().showMessage("Collecting diagnostics …")
        try:
            path = await asyncio.to_thread(build_diagnostics, self.workspace.data_dir, self.root)
            summary = await asyncio.to_thread(diagnostics_summary, path)
        except Exception as exc:  # whatever it is, the player is told; a bug also goes to the log
            if not isinstance(exc, OSError | KappaError):
                log.exception("building the diagnostics failed")
            self.statusBar().showMessage(f"Could not save the diagnostics: {exc}", 15000)
            return None
        finally:
            self.diagnostics_action.setEnabled(True)
        QGuiApplication.clipboard().setText(f"{path}\n{summary}")
        self.statusBar().showMessage(f"Diagnostics saved to {path} (path copied). Attach it to your bug report.",
                                     30000)
        return path

    def open_log_folder(self) -> Path:
        folder = (active_log_path() or log_path(self.workspace.data_dir)).parent
        folder.mkdir(parents=True, exist_ok=True)  # inside the data dir; the file comes with the first line logged
        self.open_url(QUrl.fromLocalFile(str(folder)))
        return folder

    # -- the install
    def _current_root(self) -> Path:
        if self.root is None:
            raise KappaError("no SPT install is open: choose one in the settings")
        return self.root

    def open_install(self, root: Path) -> None:
        """Switch to another install (remembered, and opened next time)."""
        self.root = root
        self.library = None
        self.model.set_rows([])
        self.start_scan()

    def _install_chosen(self, index: int) -> None:
        root = Path(self.install_combo.itemData(index))
        if root == self.root:
            return

        async def switch() -> None:
            try:  # opening the install reads its files: off the GUI thread
                await asyncio.to_thread(self.installs.set_current, root)
            except KappaError as exc:
                self.statusBar().showMessage(str(exc), 10000)
                self._fill_install_combo()
                return
            self.open_install(root)

        self.tasks.spawn(switch())

    def _fill_install_combo(self) -> None:
        self.install_combo.clear()
        roots = [Path(p) for p in self.workspace.settings().spt_installs]
        if self.root is not None and self.root not in roots:
            roots.insert(0, self.root)
        for root in roots:
            self.install_combo.addItem(str(root), str(root))
        if self.root is not None:
            self.install_combo.setCurrentIndex(roots.index(self.root))

    # -- scanning and checking
    @property
    def last_result(self) -> ScanResult | None:
        return self.library.scan if self.library else None

    def start_scan(self) -> None:
        """Start (or restart) a scan on a worker thread, then ask the Forge about what it found."""
        if self._scan_task is not None and not self._scan_task.done():
            self._scan_task.cancel()
        if self.root is None:
            self.statusBar().showMessage("No SPT install is open: add one in the settings (Ctrl+,).")
            return
        self.rescan_action.setEnabled(False)
        self.statusBar().showMessage(f"Scanning {self.root} …")
        self._scan_task = asyncio.ensure_future(self._scan(self.root))

    async def scan_finished(self) -> None:
        """Wait until the current scan (and its Forge check), if any, has finished."""
        if self._scan_task is not None:
            await asyncio.gather(self._scan_task, return_exceptions=True)

    async def _scan(self, root: Path) -> None:
        try:
            library = await self.library_service.load(root)
            self._show_library(library)
            if self.check_with_forge and library.rows:
                self.statusBar().showMessage("Asking the Forge for updates …")
                self._show_library(await self.library_service.check(
                    library, self.workspace.forge, self.workspace.settings().forge_mappings))
                self.statusBar().showMessage(self._check_words(), 6000)
        except asyncio.CancelledError:
            raise
        except KappaError as exc:
            self._show_failure(str(exc))
        except Exception as exc:  # the window must survive anything a strange install does to the scanner
            log.exception("scan failed")
            self._show_failure(f"the scan failed unexpectedly ({exc})")
        finally:
            self.rescan_action.setEnabled(True)

    def _show_library(self, library: Library) -> None:
        selected = {row.key for row in self.selected_rows()}
        self.library = library
        self.model.set_rows(library.rows)
        self._reselect(selected)
        install = library.scan.install
        self.setWindowTitle(f"Kappa — {install.root}")
        self.summary.setText(self._summary_words(library))
        self.browse.set_installed({g.lower() for row in library.rows for g in row.guids},
                                  {row.forge_id for row in library.rows if row.forge_id is not None},
                                  install.version)
        if self.install_combo.currentData() != str(self.root):  # the settings file is read only on a switch
            self._fill_install_combo()
        self._update_action_states()
        self._selection_changed()

    def _summary_words(self, library: Library) -> str:
        result, install = library.scan, library.scan.install
        servers = sum(1 for mod in result.mods if mod.kind == "server")
        parts = [f"SPT {install.version or '(version unknown)'}", f"{install.layout} layout",
                 f"{servers} server mods", f"{len(result.mods) - servers} client plugins"]
        if install.eft_build:
            parts.insert(1, f"EFT build {install.eft_build}")
        if library.updates:
            parts.append(f"{len(library.updates)} update{'s' * (len(library.updates) != 1)}")
        if result.problems:
            parts.append(f"{len(result.problems)} files skipped")
            self.summary.setToolTip("\n".join(str(problem) for problem in result.problems))
        if self.note:
            parts.append(self.note)
        return " · ".join(parts)

    def _check_words(self) -> str:
        if self.library is None or self.library.report is None:
            return "Scan finished"
        updates = len(self.library.updates)
        return f"Checked with the Forge: {updates} update{'s' * (updates != 1)} available"

    def _show_failure(self, message: str) -> None:
        if self.library is None:
            self.summary.setText("")
        self.statusBar().showMessage(f"Could not read the install or ask the Forge: {message}")

    # -- selection
    def selected_rows(self) -> list[ModRow]:
        rows = []
        for index in self.table.selectionModel().selectedRows():
            row = index.data(ROW_ROLE)
            if isinstance(row, ModRow):
                rows.append(row)
        return rows

    def _rows_where(self, *, enabled: bool) -> list[ModRow]:
        return [row for row in self.selected_rows() if row.enabled == enabled]

    def _reselect(self, keys: set[str]) -> None:
        if not keys:
            return
        selection = self.table.selectionModel()
        for proxy_row in range(self.proxy.rowCount()):
            index = self.proxy.index(proxy_row, 0)
            if index.data(ROW_ROLE).key in keys:
                selection.select(index, selection.SelectionFlag.Select | selection.SelectionFlag.Rows)

    def _selection_changed(self, *_args: object) -> None:
        rows = self.selected_rows()
        self.details.show_row(rows[0] if len(rows) == 1 else None, self.library)
        self._update_action_states()

    def _update_action_states(self) -> None:
        rows = self.selected_rows()
        self.update_action.setEnabled(any(row.status == ModStatus.UPDATE for row in rows))
        self.update_all_action.setEnabled(self.library is not None and self.library.report is not None)
        self.disable_action.setEnabled(any(row.enabled for row in rows))
        self.enable_action.setEnabled(any(not row.enabled for row in rows))
        self.uninstall_action.setEnabled(any(row.enabled for row in rows))

    def _focus_filter(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.filter_edit.setFocus()
        self.filter_edit.selectAll()

    # -- dialogs (all opened with open()/show(): never a modal exec() inside the event loop)
    def show_history(self) -> HistoryDialog:
        dialog = HistoryDialog(self)
        dialog.undo_requested.connect(self.actions_.undo)
        dialog.undo_requested.connect(dialog.close)
        self._keep(dialog)
        dialog.show()

        async def fill() -> None:
            try:
                installer = self.workspace.installer(self._current_root())
                dialog.show_records(await asyncio.to_thread(installer.history))
            except KappaError as exc:
                dialog.headline.setText(f"The history cannot be read: {exc}")

        self._keep_task(fill())
        return dialog

    def show_settings(self) -> SettingsDialog:
        dialog = SettingsDialog(self.workspace.settings_store, self.installs, self)
        dialog.saved.connect(self._settings_saved)
        self._keep(dialog)
        dialog.open()
        return dialog

    def _settings_saved(self, settings: object) -> None:
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, self.workspace.settings().theme)
        self._keep_task(self._reconnect())
        self._fill_install_combo()

    async def _reconnect(self) -> None:
        await self.workspace.reopen_forge()
        self.browse.search_now()
        self.start_scan()

    def choose_archives(self) -> QFileDialog:
        dialog = QFileDialog(self, "Install mod archives")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setNameFilter("Mod archives (*.zip *.7z *.rar *.dll)")
        dialog.filesSelected.connect(lambda files: self.install_files([Path(f) for f in files]))
        self._keep(dialog)
        dialog.open()
        return dialog

    def _keep(self, dialog: QWidget) -> None:
        self._dialogs = [d for d in self._dialogs if d.isVisible()] + [dialog]

    def _keep_task(self, work: Coroutine[Any, Any, Any]) -> None:
        self.tasks.spawn(work)

    # -- drag and drop: archives or DLLs anywhere on the window
    def install_files(self, paths: list[Path]) -> None:
        """Install what the player dropped or chose; anything that is not a mod archive is explained."""
        mods = [p for p in paths if p.is_file() and p.suffix.lower() in MOD_SUFFIXES]
        refused = [p for p in paths if p not in mods]
        if refused:
            names = ", ".join(p.name for p in refused)
            self.statusBar().showMessage(
                f"{names}: not a mod archive. Kappa installs .zip, .7z and .rar archives and .dll plugins.", 12000)
        if mods:
            self.tabs.setCurrentIndex(0)
            self.actions_.install_archives(mods)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.install_files(paths)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._docks_sized:  # docks take their share only once the window is laid out
            self._docks_sized = True
            QTimer.singleShot(0, self._size_docks)

    def _size_docks(self) -> None:
        self.resizeDocks([self.activity_dock], [130], Qt.Orientation.Vertical)
        if self.servers_dock is not None:
            self.resizeDocks([self.servers_dock], [int(self.width() * 0.3)], Qt.Orientation.Horizontal)

    # -- closing
    def closeEvent(self, event: QCloseEvent) -> None:
        if self._scan_task is not None and not self._scan_task.done():
            self._scan_task.cancel()
        if self._close_task is None:
            with contextlib.suppress(RuntimeError):  # no running loop: nothing runs either
                self._close_task = asyncio.get_running_loop().create_task(self.aclose())
        super().closeEvent(event)

    async def aclose(self) -> None:
        """Stop the jobs and the polls and close every connection."""
        self.tasks.cancel_all()
        self.details.close()  # cancels its Forge lookups
        await self.activity.aclose()
        self.activity_dock.detach()
        await self.browse.aclose()
        if self.servers_dock is not None:
            await self.servers_dock.aclose()
        await self.workspace.aclose()

    async def servers_closed(self) -> None:
        """Wait until closing has stopped everything (if the window was closed)."""
        if self._close_task is not None:
            await asyncio.gather(self._close_task, return_exceptions=True)
