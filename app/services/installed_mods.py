"""Reading what is installed: the one entry point the CLI and the GUI share for scans."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from pathlib import Path

from app.core.data_dir import DataDir
from app.core.install import InstallBusy, InstallEngine
from app.core.mods import ScanResult
from app.core.scan import scan_install
from app.core.scan_cache import ScanCache
from app.core.spt_install import open_install


class InstalledModsService:
    def __init__(self, data_dir: DataDir) -> None:
        self.data_dir = data_dir

    def scan_now(self, spt_path: Path) -> ScanResult:
        """Scan on the calling thread (the CLI); the GUI uses `scan`.

        A transaction a crash interrupted is finished or rolled back first, so that no scan ever shows a
        half-installed state; the sentences saying so come back as the result's notes.
        """
        install = open_install(spt_path)
        engine = InstallEngine(install.root, self.data_dir)
        recovered: list[str] = []
        with contextlib.suppress(InstallBusy):  # another Kappa is mid-transaction: it will finish it
            recovered = engine.recover()
        result = scan_install(install, ScanCache(self.data_dir.scan_cache_file), disabled_store=engine.disabled_root)
        return replace(result, notes=tuple(recovered))

    async def scan(self, spt_path: Path) -> ScanResult:
        """Scan on a worker thread: DLL parsing must never run on the GUI thread."""
        return await asyncio.to_thread(self.scan_now, spt_path)
