"""Starting the desktop app: QApplication, the qasync event loop, the first run, the demo, and the main window."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import qasync  # after PySide6, so that qasync binds to it
from PySide6.QtCore import QSettings
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from app.core.data_dir import DataDir
from app.core.errors import KappaError
from app.core.settings import SettingsStore
from app.core.spt_install import NotAnSptInstall, find_spt_root
from app.net.http import load_async_backend
from app.services.installs import InstallsService
from app.services.servers import MemorySecrets, ServersService
from app.services.workspace import Workspace
from app.ui.first_run import FirstRunDialog
from app.ui.main_window import MainWindow
from app.ui.theme import apply_theme

if TYPE_CHECKING:
    from app.sandbox.demo_servers import DemoServers
    from app.ui.servers_dock import ServersDock

DEMO = "demo"


def known_install(spt: Path | None, data_dir: DataDir) -> Path | None:
    """The install to open without asking: the one given, the current folder, or the one opened last."""
    if spt is not None:
        return find_spt_root(spt)  # a wrong path is the player's mistake: say so rather than guess
    with contextlib.suppress(NotAnSptInstall):
        return find_spt_root(Path.cwd())
    return InstallsService(data_dir).current()


def demo_state(data_dir: DataDir) -> DataDir:
    """The demo's own data dir, emptied: its sample install is new on every run, so old history would lie."""
    state = DataDir(data_dir.root / "demo" / "state")
    shutil.rmtree(state.root, ignore_errors=True)
    return state


def demo_servers_service(state: DataDir, servers: DemoServers, root: Path) -> ServersService:
    """The demo's side panels: its Fika server added from the sample install like a real local one, and a
    dedicated server whose certificate is left for the user to trust."""
    from app.sandbox.demo_servers import write_local_fika_config

    port = int(servers.fika.base_url.rsplit(":", 1)[1])
    write_local_fika_config(root / "SPT", port, servers.fika.api_key, servers.fika.certificate)
    service = ServersService(state, secrets=MemorySecrets())
    service.add_local_fika(root, name="Fika (demo)", notify=True)
    service.add("Dedicated (demo)", "dedicated", servers.dedicated.base_url, secret=servers.dedicated.token)
    return service


def open_demo(running: contextlib.ExitStack, data_dir: DataDir) -> MainWindow:
    """The window on a fresh sample install, with the local Forge and the server emulators on 127.0.0.1."""
    from app.sandbox.demo_servers import DemoServers
    from app.sandbox.forge import LocalForge
    from app.sandbox.sample_install import recreate_sample_install

    state = demo_state(data_dir)
    root = recreate_sample_install(data_dir.demo_root, "4.0")
    forge = running.enter_context(LocalForge(archive_dir=data_dir.root / "demo" / "forge-archives"))
    servers = demo_servers_service(state, running.enter_context(DemoServers()), root)
    return MainWindow(Workspace(state, forge_url=forge.base_url), root, note="demo install", servers=servers,
                      local_spt_root=root)


def keep_qt_settings_in(data_dir: DataDir) -> None:
    """Qt's file dialogs remember their state in QSettings (~/.config or the registry by default): keep it in the
    data dir, the one place outside an SPT install that Kappa writes to."""
    for kind in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(kind, QSettings.Scope.UserScope, str(data_dir.root / "qt"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)


def run_gui(spt: Path | None, data_dir: DataDir, demo: bool, smoke_test: bool = False,
            forge_url: str | None = None) -> int:
    """Open the window and run until it closes. With `smoke_test`, quit once the first scan is shown."""
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("Kappa")
    app.setOrganizationName("Kappa")
    app.setWindowIcon(QIcon(str(Path(__file__).resolve().parent.parent / "resources" / "kappa.png")))
    keep_qt_settings_in(data_dir)
    apply_theme(app, SettingsStore(data_dir).load().theme)
    root = None if demo else known_install(spt, data_dir)
    if root is None and smoke_test:
        demo = True  # nothing to ask a smoke test: show what the app does on the demo
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        return loop.run_until_complete(_session(app, data_dir, root, demo, smoke_test, forge_url))


async def _session(app: QApplication, data_dir: DataDir, root: Path | None, demo: bool, smoke_test: bool,
                   forge_url: str | None) -> int:
    with contextlib.ExitStack() as running:
        if root is None and not demo:
            choice = await first_run(InstallsService(data_dir))
            if choice is None:
                return 0
            demo, root = choice == DEMO, choice if isinstance(choice, Path) else None
        if demo:
            window = open_demo(running, data_dir)
        else:
            assert root is not None
            with contextlib.suppress(KappaError):  # remembered for next time and for the install switcher
                await asyncio.to_thread(InstallsService(data_dir).set_current, root)
            window = MainWindow(Workspace(data_dir, forge_url), root, servers=ServersService(data_dir),
                                local_spt_root=root)
        await warm_up()
        try:
            return await _show_until_closed(app, window, smoke_test)
        finally:  # inside the loop: connections must close while it still runs
            await window.aclose()


async def warm_up() -> None:
    """Do before the window answers what would otherwise stall it later (bench/gui_stall.py measured each):

    - import what the first check and the first install import lazily (httpx's async backend, psutil): under
      PySide6 every import is read through its import hook, and two dozen of them cost 30 to 40 ms;
    - move everything start-up created (Qt wrappers, modules, models) out of the garbage collector's sight: a full
      collection walks every tracked object holding the GIL, 25 to 70 ms with the window built. Start-up objects
      live as long as the app does anyway.
    """
    sys.setswitchinterval(0.001)
    await load_async_backend()
    importlib.import_module("psutil")
    gc.collect()
    gc.freeze()


async def first_run(installs: InstallsService) -> Path | str | None:
    """Ask which install to open (or the demo); None when the player closes the dialog."""
    answer: asyncio.Future[Path | str | None] = asyncio.get_running_loop().create_future()
    dialog = FirstRunDialog(installs)

    def settle(value: Path | str | None) -> None:
        if not answer.done():
            answer.set_result(value)

    dialog.chosen.connect(lambda root: settle(Path(root)))
    dialog.demo_requested.connect(lambda: settle(DEMO))
    dialog.finished.connect(lambda _code: settle(None))
    dialog.open()
    try:
        return await answer
    finally:
        dialog.close()


async def _show_until_closed(app: QApplication, window: MainWindow, smoke_test: bool) -> int:
    closed = asyncio.Event()
    app.aboutToQuit.connect(closed.set)
    app.lastWindowClosed.connect(closed.set)
    window.show()
    window.start_scan()
    if smoke_test:
        await window.scan_finished()
        if window.last_result is None:
            print("kappa smoke test: the scan failed", file=sys.stderr)
            return 1
        print(f"kappa smoke test: window open, {len(window.last_result.mods)} mods listed", flush=True)
        if window.servers_dock is not None and window.servers_dock.panels:
            print(f"kappa smoke test: {await _first_server_status(window.servers_dock)}", flush=True)
        return _check_build()
    await closed.wait()
    return 0


def _check_build() -> int:
    """The smoke test's second half: everything Kappa loads only when needed is there (a frozen build's gaps)."""
    from app import smoke

    for check, passed in ((smoke.check_lazy_imports, f"lazy imports ok ({len(smoke.modules_to_check())} modules)"),
                          (smoke.check_runtime, "image formats and scan worker processes ok")):
        problems = check()
        for problem in problems:
            print(f"kappa smoke test: {problem}", file=sys.stderr)
        if problems:
            return 1
        print(f"kappa smoke test: {passed}", flush=True)
    return 0


async def _first_server_status(dock: ServersDock, timeout: float = 15.0) -> str:
    """Wait (a while) for every server panel's first poll; say how many servers answered."""
    deadline = asyncio.get_running_loop().time() + timeout
    while any(panel.last is None for panel in dock.panels.values()):
        if asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.05)
    answering = [name for name, panel in dock.panels.items() if panel.last is not None and panel.last.data]
    return f"{len(dock.panels)} servers, answering: {', '.join(answering) or 'none'}"
