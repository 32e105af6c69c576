"""Scanning an SPT install: every server mod folder and every BepInEx plugin, read statically.

What counts follows what the game and the server load:
- 4.x server mods: each folder in `<server>/user/mods`, and only the DLLs at the top of it (the server's
  ModDllLoader does not look deeper); exactly one metadata class per mod.
- 3.x server mods: each folder in `user/mods` with a `package.json`.
- Client mods: every DLL under `BepInEx/plugins` (any depth, except SPT's own `plugins/spt/`) and
  `BepInEx/patchers`.
Disabled mods are recognised where other SPT managers put them: `<server>/user/mods.disabled/`,
`BepInEx/plugins.disabled/`, `BepInEx/patchers.disabled/`, and plugin files renamed to `*.dll.disabled`; and in
Kappa's own disabled store, a mirror of the game root outside it (see app/core/install.py), whose mods are listed
at the path they return to when enabled.

A file that cannot be read becomes a ScanProblem with a reason; it never stops the scan.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from app.core.dotnet import AssemblyInfo, AssemblyReadError, PluginInfo, ServerModMetadata, read_assembly
from app.core.mods import InstalledMod, ScanProblem, ScanResult
from app.core.scan_cache import ScanCache, assembly_from_record, assembly_to_record, error_to_record
from app.core.spt_install import LAYOUT_3X, SptInstall

DISABLED_SUFFIX = ".disabled"
# Below this many files to parse, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 48
_MAX_PACKAGE_JSON_BYTES = 1024 * 1024


@dataclass(frozen=True)
class _DllJob:
    path: Path
    stamp: list[int]
    with_version_resource: bool


def scan_install(install: SptInstall, cache: ScanCache | None = None, *, parallel: bool = True,
                 disabled_store: Path | None = None) -> ScanResult:
    """Read every installed mod of `install`. Pure reading: nothing on disk changes (but the cache file).

    `disabled_store` is Kappa's mirror of the game root holding disabled mods: they are listed as disabled.
    """
    cache = cache or ScanCache(None)
    result = _Scanner(install, cache, parallel).run()
    if disabled_store is None or not disabled_store.is_dir():
        return result
    stored = _Scanner(install.moved_to(disabled_store), cache, parallel).run()
    mods = sorted([*result.mods, *(replace(mod, enabled=False) for mod in stored.mods)],
                  key=lambda m: (m.kind != "server", m.path.lower(), m.guid.lower()))
    return ScanResult(install, tuple(mods), result.problems + stored.problems, result.files_read + stored.files_read)


class _Scanner:
    def __init__(self, install: SptInstall, cache: ScanCache, parallel: bool) -> None:
        self.install = install
        self.cache = cache
        self.parallel = parallel
        self.problems: list[ScanProblem] = []
        self.assemblies: dict[Path, AssemblyInfo] = {}
        self.files_read = 0
        self.seen: set[str] = set()

    def run(self) -> ScanResult:
        server_folders = list(self._server_folders())
        plugin_files = list(self._client_files())
        # Patchers carry no plugin attribute, so their version comes from the file's version resource.
        to_read = [(file.path, file.is_patcher_dir) for file in plugin_files]
        if self.install.layout != LAYOUT_3X:
            to_read += [(dll, False) for folder in server_folders for dll in folder.dlls]
        self._read_assemblies(to_read)
        mods = [*self._server_mods(server_folders), *self._client_mods(plugin_files)]
        mods.sort(key=lambda m: (m.kind != "server", m.path.lower(), m.guid.lower()))
        self.cache.forget_missing(self.seen, self.install.root)
        self.cache.save()
        return ScanResult(self.install, tuple(mods), tuple(self.problems), self.files_read)

    def problem(self, path: Path, reason: str) -> None:
        self.problems.append(ScanProblem(self.install.relative(path), reason))

    # -- finding files
    def _server_folders(self) -> Iterator[_ServerFolder]:
        for parent, enabled in ((self.install.mods_dir, True), (self.install.disabled_mods_dir, False)):
            for folder in _sorted_entries(parent):
                if folder.is_dir():
                    yield _ServerFolder(Path(folder.path), enabled, _top_level_dlls(Path(folder.path)))

    def _client_files(self) -> Iterator[_ClientFile]:
        bepinex = self.install.bepinex_dir
        for name, is_patcher_dir in (("plugins", False), ("patchers", True)):
            for folder, folder_enabled in ((bepinex / name, True), (bepinex / (name + DISABLED_SUFFIX), False)):
                skip = folder / "spt" if name == "plugins" else None
                for path in _walk_files(folder, skip_dir=skip):
                    lower = path.name.lower()
                    if lower.endswith(".dll"):
                        yield _ClientFile(path, folder_enabled, is_patcher_dir)
                    elif lower.endswith(".dll" + DISABLED_SUFFIX):
                        yield _ClientFile(path, False, is_patcher_dir)

    # -- reading assemblies (cache first, then in parallel)
    def _read_assemblies(self, files: Iterable[tuple[Path, bool]]) -> None:
        jobs: list[_DllJob] = []
        for path, with_version in files:
            try:
                stamp = ScanCache.stamp(path.stat())
            except OSError as exc:
                self.problem(path, f"cannot read the file ({exc.strerror or exc})")
                continue
            self.seen.add(str(path))
            record = self.cache.get(path, stamp)
            if record is None:
                jobs.append(_DllJob(path, stamp, with_version))
            else:
                self._accept(path, record)
        for job, record in zip(jobs, self._parse_all(jobs), strict=True):
            self.cache.put(job.path, job.stamp, record)
            self._accept(job.path, record)
        self.files_read += len(jobs)

    def _parse_all(self, jobs: list[_DllJob]) -> list[dict[str, Any]]:
        arguments = [(str(job.path), job.with_version_resource) for job in jobs]
        workers = min(os.cpu_count() or 1, 8)
        if not self.parallel or workers < 2 or len(jobs) < PARALLEL_THRESHOLD:
            return [_parse_dll(*args) for args in arguments]
        # "spawn" because the GUI calls this from a worker thread, where forking a Qt process is unsafe.
        try:
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
                chunk = max(1, len(arguments) // (workers * 4))
                return list(pool.map(_parse_dll_args, arguments, chunksize=chunk))
        except (OSError, BrokenProcessPool):  # no processes allowed here, or a worker died: do it ourselves
            return [_parse_dll(*args) for args in arguments]

    def _accept(self, path: Path, record: dict[str, Any]) -> None:
        if "error" in record:
            self.problem(path, record["error"])
        else:
            self.assemblies[path] = assembly_from_record(record)

    # -- server mods
    def _server_mods(self, folders: list[_ServerFolder]) -> Iterator[InstalledMod]:
        for folder in folders:
            read = self._package_json_mod if self.install.layout == LAYOUT_3X else self._dll_server_mod
            mod = read(folder)
            if mod is not None:
                yield mod

    def _dll_server_mod(self, folder: _ServerFolder) -> InstalledMod | None:
        if not folder.dlls:
            self.problem(folder.path, _why_no_server_dll(folder.path))
            return None
        found = [(dll, meta) for dll in folder.dlls if dll in self.assemblies
                 for meta in self.assemblies[dll].server_mods]
        if not found:
            if any(dll in self.assemblies for dll in folder.dlls):
                self.problem(folder.path, "no server-mod metadata found: none of the DLLs at the top of this "
                                          "folder has a class based on AbstractModMetadata or IModMetadata")
            return None
        if len(found) > 1:
            names = ", ".join(meta.type_name for _, meta in found)
            self.problem(folder.path, f"more than one metadata class ({names}); the SPT server refuses such a "
                                      "mod. Kappa lists the first.")
        dll, meta = found[0]
        if not meta.guid:
            self.problem(folder.path, f"the ModGuid of {meta.type_name} could not be read without running it")
            return None
        return self._server_mod_from_metadata(folder, dll, meta)

    def _server_mod_from_metadata(self, folder: _ServerFolder, dll: Path, meta: ServerModMetadata) -> InstalledMod:
        version = meta.version
        if not version:
            # The Forge requires the csproj <Version> to equal the metadata version, so this is the same number.
            version = _three_parts(self.assemblies[dll].assembly_version) or "0.0.0"
            self.problem(folder.path, f"the Version of {meta.type_name} could not be read; using the assembly "
                                      f"version {version}")
        return InstalledMod(
            guid=meta.guid or "",
            name=meta.name or folder.path.name,
            version=version,
            author=meta.author,
            kind="server",
            path=self.install.relative(folder.path),
            spt_constraint=meta.spt_constraint,
            dependencies=dict(meta.dependencies),
            enabled=folder.enabled,
            incompatibilities=meta.incompatibilities,
            url=meta.url,
            license=meta.license,
            source="dll",
        )

    def _package_json_mod(self, folder: _ServerFolder) -> InstalledMod | None:
        try:
            package = _read_package_json(folder.path / "package.json")
        except ValueError as exc:
            self.problem(folder.path, str(exc))
            return None
        name, version = package.get("name"), package.get("version")
        if not isinstance(name, str) or not name.strip():
            self.problem(folder.path, "package.json has no \"name\"")
            return None
        if not isinstance(version, str) or not version.strip():
            self.problem(folder.path, "package.json has no \"version\"")
            return None
        spt = package.get("sptVersion", package.get("akiVersion"))
        return InstalledMod(
            guid=name.strip(),
            name=name.strip(),
            version=version.strip(),
            author=_text_or_none(package.get("author")),
            kind="server",
            path=self.install.relative(folder.path),
            spt_constraint=spt.strip() if isinstance(spt, str) else None,
            dependencies=_string_mapping(package.get("modDependencies")),
            enabled=folder.enabled,
            incompatibilities=_string_tuple(package.get("incompatibilities")),
            url=_text_or_none(package.get("url")),
            license=_text_or_none(package.get("licence", package.get("license"))),
            source="package.json",
            load_before=_string_tuple(package.get("loadBefore")),
            load_after=_string_tuple(package.get("loadAfter")),
        )

    # -- client mods
    def _client_mods(self, files: list[_ClientFile]) -> Iterator[InstalledMod]:
        for file in files:
            info = self.assemblies.get(file.path)
            if info is None:
                continue
            relative = self.install.relative(file.path)
            for plugin in info.plugins:
                yield _plugin_mod(plugin, relative, file.enabled)
            if not info.plugins and info.is_patcher and info.assembly_name:
                version = _three_parts(info.file_version) or _three_parts(info.assembly_version) or "0.0.0"
                yield InstalledMod(guid=info.assembly_name, name=info.assembly_name, version=version, author=None,
                                   kind="client", path=relative, spt_constraint=None, dependencies={},
                                   enabled=file.enabled, source="patcher")


@dataclass(frozen=True)
class _ServerFolder:
    path: Path
    enabled: bool
    dlls: list[Path]  # only those at the top of the folder: the server loads no others


@dataclass(frozen=True)
class _ClientFile:
    path: Path
    enabled: bool
    is_patcher_dir: bool


def _parse_dll(path: str, with_version_resource: bool) -> dict[str, Any]:
    try:
        return assembly_to_record(read_assembly(Path(path), with_version_resource=with_version_resource))
    except AssemblyReadError as exc:
        return error_to_record(str(exc))


def _parse_dll_args(args: tuple[str, bool]) -> dict[str, Any]:
    return _parse_dll(*args)


def _plugin_mod(plugin: PluginInfo, relative: str, enabled: bool) -> InstalledMod:
    required = {d.guid: (f">={d.min_version}" if d.min_version else "*") for d in plugin.dependencies if d.hard}
    optional = {d.guid: (f">={d.min_version}" if d.min_version else "*") for d in plugin.dependencies if not d.hard}
    return InstalledMod(
        guid=plugin.guid, name=plugin.name, version=plugin.version, author=None, kind="client", path=relative,
        spt_constraint=None, dependencies=required, enabled=enabled, optional_dependencies=optional,
        incompatibilities=plugin.incompatibilities, source="plugin",
    )


def _sorted_entries(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as entries:
            return sorted(entries, key=lambda e: e.name.lower())
    except OSError:
        return []


def _top_level_dlls(folder: Path) -> list[Path]:
    return [Path(e.path) for e in _sorted_entries(folder) if e.name.lower().endswith(".dll") and e.is_file()]


def _walk_files(folder: Path, skip_dir: Path | None) -> Iterator[Path]:
    """Every file below `folder`, in a stable order, not descending into `skip_dir` (compared case-blind)."""
    skip = str(skip_dir).lower() if skip_dir else None
    for entry in _sorted_entries(folder):
        if entry.is_dir(follow_symlinks=False):
            if skip is None or entry.path.lower() != skip:
                yield from _walk_files(Path(entry.path), None)
        elif entry.is_file():
            yield Path(entry.path)


def _why_no_server_dll(folder: Path) -> str:
    names = [e.name.lower() for e in _sorted_entries(folder)]
    if "package.json" in names or any(n.endswith((".js", ".ts")) for n in names):
        return "a JavaScript mod for SPT 3.x; SPT 4.x cannot load it"
    if folder.name.lower() == "bepinex" or "plugins" in names:
        return "a client mod placed among the server mods; it belongs in BepInEx/plugins"
    return "no DLL at the top of this folder (the SPT server only loads DLLs placed directly in it)"


def _read_package_json(path: Path) -> dict[str, Any]:
    try:
        if path.stat().st_size > _MAX_PACKAGE_JSON_BYTES:
            raise ValueError("package.json is implausibly large")
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ValueError("no package.json in this folder, so the SPT 3.x server will not load it") from None
    except OSError as exc:
        raise ValueError(f"cannot read package.json ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise ValueError("package.json is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"package.json is not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(document, dict):
        raise ValueError("package.json does not hold a JSON object")
    return document


def _three_parts(version: str | None) -> str | None:
    if not version:
        return None
    parts = version.split(".")
    if len(parts) < 3 or not all(p.isdigit() for p in parts[:3]):
        return None
    return ".".join(parts[:3])


def _text_or_none(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _string_tuple(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _string_mapping(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {k: v.strip() for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}


def files_of(scan: ScanResult, mod: InstalledMod) -> list[str]:
    """Every file of an installed mod Kappa did not install: a server mod's folder, a plugin's own folder (a
    folder directly in BepInEx/plugins that holds no other mod's plugin), or else the plugin's DLL alone."""
    install = scan.install
    path = install.root / mod.path
    plugins = install.bepinex_dir / "plugins"
    folder = path.parent
    if mod.kind == "client" and folder != plugins and folder.parent == plugins \
            and not _folder_shared(scan, mod, folder):
        path = folder
    if path.is_file():
        return [mod.path]
    return [install.relative(file) for file in sorted(path.rglob("*")) if file.is_file()]


def _folder_shared(scan: ScanResult, mod: InstalledMod, folder: Path) -> bool:
    """Whether another mod's plugin lives in `folder` too (a DLL holding two plugins is still one file)."""
    prefix = scan.install.relative(folder) + "/"
    return any(other.path.startswith(prefix) and other.path != mod.path for other in scan.mods)
