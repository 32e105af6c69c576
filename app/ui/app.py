"""Starting the desktop app: QApplication, the qasync event loop, and the main window."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import qasync  # after PySide6, so that qasync binds to it
from PySide6.QtWidgets import QApplication

from app.core.data_dir import DataDir
from app.core.spt_install import NotAnSptInstall, find_spt_root
from app.sandbox.sample_install import recreate_sample_install
from app.services.installed_mods import InstalledModsService
from app.services.servers import MemorySecrets, ServersService
from app.ui.main_window import MainWindow

if TYPE_CHECKING:
    from app.sandbox.demo_servers import DemoServers
    from app.ui.servers_dock import ServersDock


def choose_install(spt: Path | None, data_dir: DataDir, demo: bool) -> tuple[Path, str | None]:
    """The install to open and a note for the status bar: the given one, the current folder, or the demo."""
    if not demo:
        try:
            return find_spt_root(spt or Path.cwd()), None
        except NotAnSptInstall:
            if spt is not None:
                raise
    root = recreate_sample_install(data_dir.demo_root, "4.0")
    return root, "demo install (no SPT install was given)" if not demo else "demo install"


def demo_servers_service(data_dir: DataDir, servers: DemoServers, root: Path) -> ServersService:
    """The demo's side panels: its own settings (the user's list is left alone), its Fika server added from the
    sample install like a real local one, and a dedicated server whose certificate is left for the user to trust."""
    from app.sandbox.demo_servers import write_local_fika_config

    port = int(servers.fika.base_url.rsplit(":", 1)[1])
    write_local_fika_config(root / "SPT", port, servers.fika.api_key, servers.fika.certificate)
    service = ServersService(DataDir(data_dir.root / "demo" / "state"), secrets=MemorySecrets())
    for entry in service.list():  # the emulators' ports change from run to run
        service.remove(entry.name)
    service.add_local_fika(root, name="Fika (demo)", notify=True)
    service.add("Dedicated (demo)", "dedicated", servers.dedicated.base_url, secret=servers.dedicated.token)
    return service


def run_gui(spt: Path | None, data_dir: DataDir, demo: bool, smoke_test: bool = False) -> int:
    """Open the window and run until it closes. With `smoke_test`, quit once the first scan is shown."""
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Kappa")
    app.setOrganizationName("Kappa")
    root, note = choose_install(spt, data_dir, demo)
    with contextlib.ExitStack() as running:
        if note is not None:  # the demo install: its servers are emulated too
            from app.sandbox.demo_servers import DemoServers

            servers = demo_servers_service(data_dir, running.enter_context(DemoServers()), root)
        else:
            servers = ServersService(data_dir)
        window = MainWindow(InstalledModsService(data_dir), root, note=note, servers=servers, local_spt_root=root)
        return _run_window(app, window, smoke_test)


def _run_window(app: QApplication, window: MainWindow, smoke_test: bool) -> int:
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    closed = asyncio.Event()
    app.aboutToQuit.connect(closed.set)

    async def run() -> int:
        try:
            return await show_until_closed()
        finally:  # inside the loop: the polls' connections must close while it still runs
            if window.servers_dock is not None:
                await window.servers_dock.aclose()

    async def show_until_closed() -> int:
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
            return 0
        await closed.wait()
        return 0

    with loop:
        return loop.run_until_complete(run())


async def _first_server_status(dock: ServersDock, timeout: float = 15.0) -> str:
    """Wait (a while) for every server panel's first poll; say how many servers answered."""
    deadline = asyncio.get_running_loop().time() + timeout
    while any(panel.last is None for panel in dock.panels.values()):
        if asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.05)
    answering = [name for name, panel in dock.panels.items() if panel.last is not None and panel.last.data]
    return f"{len(dock.panels)} servers, answering: {', '.join(answering) or 'none'}"
