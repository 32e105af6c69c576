"""Scan speed on a generated install of 300 server mods and 300 client plugins (a benchmark, not a test).

Prints the cold scan time (empty scan cache), the warm scan time (cache filled by the cold scan), and both as
ratios of the floor: merely reading the bytes of every file the scan looks at, measured in the same run.
"Cold" means Kappa's cache is empty; the operating system's file cache is warm for every measurement alike.

    python bench/scan.py [--mods 300] [--plugins 300] [--repeat 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from app.core.scan import scan_install
from app.core.scan_cache import ScanCache
from app.core.spt_install import open_install
from app.sandbox.sample_install import ASSEMBLIES, create_sample_install

SERVER_DLLS = sorted((ASSEMBLIES / "server-4.0").glob("*.dll"))
CLIENT_DLLS = sorted((ASSEMBLIES / "client").glob("*.dll"))


def build_install(root: Path, server_mods: int, plugins: int) -> list[Path]:
    """A 4.0 install with `server_mods` mod folders and `plugins` plugin folders; returns the files scanned."""
    create_sample_install(root, "4.0")
    shutil.rmtree(root / "SPT/user/mods")
    shutil.rmtree(root / "BepInEx/plugins")
    (root / "BepInEx/plugins/spt").mkdir(parents=True)
    for index in range(server_mods):
        source = SERVER_DLLS[index % len(SERVER_DLLS)]
        folder = root / f"SPT/user/mods/Mod{index:03d}"
        folder.mkdir(parents=True)
        shutil.copyfile(source, folder / source.name)
    for index in range(plugins):
        source = CLIENT_DLLS[index % len(CLIENT_DLLS)]
        folder = root / f"BepInEx/plugins/Plugin{index:03d}"
        folder.mkdir(parents=True)
        shutil.copyfile(source, folder / source.name)
    scanned = [*(root / "SPT/user/mods").rglob("*.dll"), *(root / "BepInEx/patchers").rglob("*.dll"),
               *(p for p in (root / "BepInEx/plugins").rglob("*.dll") if "plugins/spt" not in p.as_posix())]
    return sorted(scanned)


def read_floor(files: list[Path]) -> float:
    start = time.perf_counter()
    for path in files:
        path.read_bytes()
    return time.perf_counter() - start


def timed_scan(root: Path, cache_file: Path | None, parallel: bool = True) -> tuple[float, int, int]:
    start = time.perf_counter()
    result = scan_install(open_install(root), ScanCache(cache_file), parallel=parallel)
    return time.perf_counter() - start, len(result.mods), result.files_read


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mods", type=int, default=300)
    parser.add_argument("--plugins", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kappa-bench-") as temp:
        root = Path(temp) / "SPT"
        files = build_install(root, options.mods, options.plugins)
        read_floor(files)  # warm the OS file cache for every measurement alike
        floors, colds, serials, warms = [], [], [], []
        for run in range(options.repeat):
            cache_file = Path(temp) / f"cache-{run}.json"
            floors.append(read_floor(files))
            cold, mods, read = timed_scan(root, cache_file)
            warm, _, reread = timed_scan(root, cache_file)
            assert reread == 0, "the warm scan must not parse anything"
            serials.append(timed_scan(root, None, parallel=False)[0])
            colds.append(cold)
            warms.append(warm)
        floor, cold, serial, warm = (statistics.median(v) for v in (floors, colds, serials, warms))
        print(f"install: {options.mods} server mods + {options.plugins} plugin folders, {len(files)} DLLs, "
              f"{mods} mods listed, {read} files parsed cold; median of {options.repeat} runs")
        print(f"floor (read every file's bytes): {floor * 1000:8.1f} ms")
        print(f"cold scan (empty scan cache):    {cold * 1000:8.1f} ms   {cold / floor:6.1f} x floor")
        print(f"cold scan in one process:        {serial * 1000:8.1f} ms   {serial / floor:6.1f} x floor")
        print(f"warm scan (cache filled):        {warm * 1000:8.1f} ms   {warm / floor:6.1f} x floor")


if __name__ == "__main__":
    main()
