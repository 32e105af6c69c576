"""Download, extraction and install of big archives from the sandbox (a benchmark, not a test).

For a zip and a 7z of the same mod (default 500 MB of plugin assets, three quarters incompressible), served by
the local Forge's file host on 127.0.0.1, this prints in the same run, on the same disk:
- download: Kappa's downloader against `curl` fetching the same URL (goal: no slower than 1.1x);
- extraction: Kappa's inspect + normalise + extract against `unzip` / `7z x` of the same archive (goal: 1.25x);
- peak memory of a whole `kappa install` (download, extraction, transaction) in a child process (goal: < 200 MB).

    python bench/install.py [--size-mb 500] [--repeat 3]

Needs `curl`, `unzip` and `7z` on PATH (the baselines).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from app.core.archive import extract, inspect_archive, plan_layout
from app.core.data_dir import DataDir
from app.net.download import Downloader
from app.net.http import create_client
from app.sandbox.forge import LocalForge
from app.sandbox.sample_install import ASSEMBLIES, create_sample_install

CHUNK = 4 * 2**20


def make_payload(folder: Path, size_mb: int) -> Path:
    """A plugin folder as big mods ship them: the DLL plus many asset files, most of them incompressible."""
    mod = folder / "BenchMod" / "BepInEx" / "plugins" / "BenchMod"
    (mod / "assets").mkdir(parents=True)
    shutil.copyfile(ASSEMBLIES / "client/TacticalHUD.dll", mod / "BenchMod.dll")
    text = b"".join(b"bundle %08d: texture atlas, mip level 3, sRGB\n" % i for i in range(CHUNK // 48 + 1))[:CHUNK]
    for index in range(size_mb * 2**20 // CHUNK):
        data = text if index % 4 == 3 else os.urandom(CHUNK)
        (mod / "assets" / f"bundle{index:04d}.bin").write_bytes(data)
    return folder / "BenchMod"


def build_archives(payload: Path, into: Path) -> tuple[Path, Path]:
    zip_path, seven_path = into / "benchmod.zip", into / "benchmod.7z"
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for file in sorted(payload.rglob("*")):
            archive.write(file, file.relative_to(payload.parent).as_posix())
    subprocess.run(["7z", "a", "-mx=1", "-bd", "-bso0", str(seven_path), str(payload)], check=True)
    return zip_path, seven_path


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def kappa_extract(archive: Path, out: Path) -> None:
    listing = inspect_archive(archive)
    extract(listing, plan_layout(listing, "4.0"), out)


def baseline_extract(archive: Path, out: Path) -> None:
    out.mkdir(parents=True)
    command = ["unzip", "-q", "-o", str(archive), "-d", str(out)] if archive.suffix == ".zip" else \
        ["7z", "x", "-y", "-bd", "-bso0", f"-o{out}", str(archive)]
    subprocess.run(command, check=True)


def kappa_download(url: str, folder: Path) -> None:
    async def fetch() -> None:
        async with create_client() as client:
            downloaded = await Downloader(folder, client=client).download(url)
            downloaded.path.unlink()

    asyncio.run(fetch())


def curl_download(url: str, folder: Path) -> None:
    target = folder / "curl.out"
    subprocess.run(["curl", "-s", "-f", "-o", str(target), url], check=True)
    target.unlink()


def compare(label: str, ours: Callable[[Path], None], theirs: Callable[[Path], None], scratch: Path,
            repeat: int) -> None:
    kappa_times, baseline_times = [], []
    for run in range(repeat):  # alternate, so that neither side always meets a warmer machine
        for action, times, name in ((ours, kappa_times, "kappa"), (theirs, baseline_times, "base")):
            out = scratch / f"{name}-{run}"
            times.append(timed(lambda action=action, out=out: action(out)))
            shutil.rmtree(out, ignore_errors=True)
    kappa_time, baseline_time = statistics.median(kappa_times), statistics.median(baseline_times)
    print(f"{label:34s} kappa {kappa_time:7.2f} s   baseline {baseline_time:7.2f} s   "
          f"ratio {kappa_time / baseline_time:5.2f}x")


@contextlib.contextmanager
def _file_host_process(folder: Path) -> Iterator[str]:
    """The sandbox file host in its own process, so that neither downloader shares a CPU lock with the server."""
    script = ("import sys, threading; from pathlib import Path; from app.sandbox.file_host import FileHost\n"
              "with FileHost(Path(sys.argv[1])) as host:\n"
              "    print(host.url(''), flush=True); threading.Event().wait()\n")
    server = subprocess.Popen([sys.executable, "-c", script, str(folder)], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        yield server.stdout.readline().strip().rstrip("/")
    finally:
        server.kill()
        server.wait()


def peak_install_memory(url: str, forge_url: str, temp: Path, name: str) -> float:
    """Peak resident memory (MB) of a child process that downloads `url` and installs it with `kappa install`."""
    root = create_sample_install(temp / f"game-{name}", "4.0")
    data = temp / f"data-{name}"
    child = subprocess.Popen([sys.executable, __file__, "--child", url, forge_url, str(root), str(data)],
                             stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"the child install of {name} failed")
    if not (root / "BepInEx/plugins/BenchMod/BenchMod.dll").is_file():
        raise SystemExit(f"the child install of {name} did not install the mod")
    return usage.ru_maxrss / 1024  # Linux reports KiB


def child_install(url: str, forge_url: str, root: Path, data: Path) -> None:
    from app.cli import main

    folder = DataDir.at(data).downloads_dir

    async def fetch() -> Path:
        async with create_client() as client:
            return (await Downloader(folder, client=client).download(url)).path

    archive = asyncio.run(fetch())
    named = archive.with_name("benchmod" + Path(url).suffix)
    archive.rename(named)
    raise SystemExit(main(["install", str(named), "--yes", "--no-deps", "--json", "--spt", str(root),
                           "--data-dir", str(data), "--forge-url", forge_url]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=4, metavar=("URL", "FORGE", "ROOT", "DATA"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child_install(options.child[0], options.child[1], Path(options.child[2]), Path(options.child[3]))
    with tempfile.TemporaryDirectory(prefix="kappa-bench-", dir=os.environ.get("KAPPA_BENCH_DIR")) as name:
        temp = Path(name)
        payload = make_payload(temp / "payload", options.size_mb)
        (temp / "files").mkdir()
        archives = build_archives(payload, temp / "files")
        shutil.rmtree(payload.parent)
        with LocalForge(rate_limit=None, archive_dir=temp / "forge") as forge, \
                _file_host_process(temp / "files") as files_url:
            scratch = temp / "scratch"
            scratch.mkdir()
            for archive in archives:
                size = archive.stat().st_size / 2**20
                url = f"{files_url}/{archive.name}"
                print(f"{archive.name}: {size:.0f} MB, {options.size_mb} MB of files, median of {options.repeat}")
                compare("  download (vs curl)", lambda out, url=url: kappa_download(url, out.parent),
                        lambda out, url=url: curl_download(url, out.parent), scratch, options.repeat)
                base = "unzip" if archive.suffix == ".zip" else "7z x"
                compare(f"  extraction (vs {base})", lambda out, a=archive: kappa_extract(a, out),
                        lambda out, a=archive: baseline_extract(a, out), scratch, options.repeat)
                peak = peak_install_memory(url, forge.base_url, temp, archive.suffix[1:])
                print(f"  peak memory of `kappa install` (download + install): {peak:.0f} MB")


if __name__ == "__main__":
    main()
