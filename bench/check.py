"""`kappa check` for 300 installed mods against the local Forge (a benchmark, not a test).

Prints the number of HTTP requests (goal: at most 7), the wall time, and whether the requests kept within the
Forge's edge limits (40 per 10 s, 200 per 60 s), judged from the arrival times the local Forge recorded.
The local Forge enforces those limits too, so a 429 would show up as well.

    python bench/check.py [--mods 300] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

from app.core.data_dir import DataDir
from app.core.scan import scan_install
from app.core.scan_cache import ScanCache
from app.core.spt_install import open_install
from app.sandbox.forge import DEFAULT_EDGE_LIMITS, LocalForge, synthetic_catalogue, synthetic_installed
from app.services.forge_session import ForgeSession
from app.services.update_check import UpdateChecker

SPT_VERSION = "3.11.2"


def build_install(root: Path, count: int) -> None:
    """An SPT 3.11 install whose server mods are the synthetic Forge mods, at their installed versions."""
    (root / "SPT_Data/Server/configs").mkdir(parents=True)
    (root / "SPT_Data/Server/configs/core.json").write_text(json.dumps({"sptVersion": SPT_VERSION}))
    for guid, version in synthetic_installed(count):
        folder = root / "user/mods" / guid
        folder.mkdir(parents=True)
        package = {"name": guid, "author": "Acme Modding", "version": version, "sptVersion": "~3.11"}
        (folder / "package.json").write_text(json.dumps(package))


def within_limits(times: list[float]) -> bool:
    return all(sum(1 for t in times if start <= t < start + period) <= limit
               for start in times for limit, period in ((40, 10.0), (200, 60.0)))


async def one_check(root: Path, data_dir: DataDir, forge_url: str):  # type: ignore[no-untyped-def]
    scan = scan_install(open_install(root), ScanCache(None))
    async with ForgeSession(data_dir, forge_url) as forge:
        return await UpdateChecker(forge).check(scan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mods", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kappa-bench-") as temp:
        root = Path(temp) / "SPT"
        build_install(root, options.mods)
        catalogue = synthetic_catalogue(options.mods, SPT_VERSION)
        with LocalForge(catalogue, rate_limit=DEFAULT_EDGE_LIMITS, archive_dir=Path(temp) / "archives") as forge:
            walls, requests = [], []
            for run in range(options.repeat):
                forge.reset_requests()
                start = time.perf_counter()
                report = asyncio.run(one_check(root, DataDir.at(Path(temp) / f"data-{run}"), forge.base_url))
                walls.append(time.perf_counter() - start)
                requests.append(list(forge.requests))
            cached_start = time.perf_counter()
            forge.reset_requests()
            asyncio.run(one_check(root, DataDir.at(Path(temp) / "data-0"), forge.base_url))
            cached_wall, cached_requests = time.perf_counter() - cached_start, len(forge.requests)
        counts = [len(r) for r in requests]
        statuses = {}
        for mod in report.mods:
            statuses[mod.status] = statuses.get(mod.status, 0) + 1
        print(f"{options.mods} installed mods, SPT {SPT_VERSION}; {options.repeat} cold runs (empty HTTP cache)")
        print(f"statuses: {statuses}")
        print(f"HTTP requests per check: {counts} (goal: at most 7)")
        print(f"wall time per check (scan + check): median {statistics.median(walls) * 1000:.0f} ms")
        print(f"429 answers: {sum(1 for r in requests for x in r if x.status == 429)}; "
              f"within 40/10 s and 200/60 s: {all(within_limits([x.time for x in r]) for r in requests)}")
        print(f"repeat within five minutes (warm cache): {cached_requests} requests, {cached_wall * 1000:.0f} ms")


if __name__ == "__main__":
    main()
