"""The details pane's services: the dependency tree of hand-built installs (pure), and the Forge's side of a mod from
the local Forge over a real socket (its errors come back as words, never raised)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from app.core.data_dir import DataDir
from app.core.mods import InstalledMod, ScanResult
from app.core.spt_install import SptInstall
from app.net.forge_models import Mod
from app.net.http import RetryPolicy
from app.sandbox.forge import LocalForge
from app.services.forge_session import ForgeSession
from app.services.mod_info import (
    DepNode,
    ModInfo,
    dependency_tree,
    find_forge_mod,
    fits_spt,
    forge_url,
    load_mod_info,
)
from app.services.mod_library import Library, ModRow, build_rows
from app.services.update_check import CheckedMod

# -- dependency_tree on hand-built installs


def _mod(guid: str, version: str = "1.0.0", needs: dict[str, str] | None = None, *,
         enabled: bool = True) -> InstalledMod:
    return InstalledMod(guid=guid, name=guid.title(), version=version, author=None, kind="client",
                        path=f"BepInEx/plugins/{guid}.dll", spt_constraint=None, dependencies=needs or {},
                        enabled=enabled)


def _library(*mods: InstalledMod) -> Library:
    install = SptInstall(root=Path("/spt"), layout="4.0", server_dir=Path("/spt/SPT"), version="4.0.11")
    scan = ScanResult(install, mods)
    return Library(scan, build_rows(scan))


def _tree(library: Library, key: str, **kwargs: int) -> list[DepNode]:
    row = library.row(key)
    assert row is not None
    return dependency_tree(row, library, **kwargs)


def _summary(nodes: list[DepNode]) -> list[tuple[str, str, str | None]]:
    return [(node.guid, node.state, node.installed) for node in nodes]


def test_each_dependency_is_installed_missing_conflicting_or_disabled() -> None:
    library = _library(
        _mod("app", needs={"fits": "^1.0.0", "absent": "~2.0.0", "too.old": ">=2.0.0", "off": "*"}),
        _mod("fits", "1.4.0"), _mod("too.old", "1.9.0"), _mod("off", "3.0.0", enabled=False))
    nodes = _tree(library, "app")
    assert _summary(nodes) == [("fits", "installed", "1.4.0"), ("absent", "missing", None),
                               ("too.old", "conflicting", "1.9.0"), ("off", "disabled", "3.0.0")]
    assert nodes[0].name == "Fits" and nodes[1].name == "absent"  # the installed name, else the GUID
    assert nodes[2].describe() == "Conflicting: 1.9.0 does not fit >=2.0.0"
    assert nodes[1].describe().startswith("Missing")
    assert all(node.needed_by == "App 1.0.0" and not node.children for node in nodes)


def test_installed_dependencies_show_their_own_dependencies() -> None:
    library = _library(_mod("app", needs={"lib": "*"}), _mod("lib", needs={"core": "^1.0.0", "gone": "*"}),
                       _mod("core", "1.2.0", needs={"base": "*"}), _mod("base"))
    (lib,) = _tree(library, "app")
    assert lib.state == "installed"
    assert _summary(list(lib.children)) == [("core", "installed", "1.2.0"), ("gone", "missing", None)]
    assert _summary(list(lib.children[0].children)) == [("base", "installed", "1.0.0")]
    assert lib.children[0].needed_by == "Lib 1.0.0"


def test_a_disabled_dependency_still_shows_what_it_needs() -> None:
    library = _library(_mod("app", needs={"lib": "*"}), _mod("lib", needs={"gone": "*"}, enabled=False))
    (lib,) = _tree(library, "app")
    assert lib.state == "disabled"
    assert _summary(list(lib.children)) == [("gone", "missing", None)]


def test_a_cycle_is_shown_once_and_ends() -> None:
    library = _library(_mod("a", needs={"b": "*"}), _mod("b", needs={"c": "*"}), _mod("c", needs={"a": "*"}))
    (b,) = _tree(library, "a")
    (c,) = b.children
    (a,) = c.children
    assert (a.guid, a.cycle, a.children) == ("a", True, ())
    assert not b.cycle and not c.cycle


def test_a_deep_chain_is_cut() -> None:
    chain = [_mod(f"m{i}", needs={f"m{i + 1}": "*"}) for i in range(9)] + [_mod("m9")]
    library = _library(*chain)
    node = _tree(library, "m0", max_depth=3)[0]
    depth = 1
    while node.children:
        (node,) = node.children
        depth += 1
    assert depth == 3 and node.cut and node.guid == "m3"


def test_no_dependencies_gives_an_empty_tree() -> None:
    library = _library(_mod("alone"))
    assert _tree(library, "alone") == []


def test_forge_url_prefers_the_forges_own_address() -> None:
    assert forge_url(Mod(id=5, slug="x", detail_url="https://sp-mod.com/mod/5/x"), 5, "https://sp-mod.com/") \
        == "https://sp-mod.com/mod/5/x"
    assert forge_url(Mod(id=5, slug="better-x"), 5, "https://sp-mod.com/") == "https://sp-mod.com/mods/5/better-x"
    assert forge_url(None, 7, "https://sp-mod.com/") == "https://sp-mod.com/mods/7"


# -- load_mod_info against the local Forge


@pytest.fixture(scope="module")
def forge() -> Iterator[LocalForge]:
    with LocalForge(rate_limit=None) as local:
        yield local


def _row(guid: str, forge_id: int | None, forge_mod: Mod | None = None) -> ModRow:
    (row,) = _library(_mod(guid)).rows
    checked = CheckedMod(guid=guid, name=guid, installed="1.0.0", forge_id=forge_id,
                         status="up_to_date" if forge_id else "not_on_forge", latest=None,
                         matched_by="guid" if forge_id else "")
    return replace(row, checked=checked, forge_mod=forge_mod)


def _load(data_dir: DataDir, base_url: str, row: ModRow, **session: object) -> ModInfo:
    async def load() -> ModInfo:
        async with ForgeSession(data_dir, base_url, **session) as client:  # type: ignore[arg-type]
            return await load_mod_info(client, row)

    return asyncio.run(load())


def test_a_known_mod_brings_description_versions_and_links(forge: LocalForge, data_dir: DataDir) -> None:
    info = _load(data_dir, forge.base_url, _row("com.nightjar.lootpulse", 2291))
    assert info.problem is None and info.mod is not None
    assert info.mod.name == "LootPulse" and info.mod.description
    assert [v.version for v in info.versions][:3] == ["1.8.0", "1.7.4", "1.7.3+b"]  # newest first
    assert info.total_versions == len(info.versions)
    newest = info.versions[0]
    assert newest.spt_version_constraint == "~4.1.0" and newest.published_at is not None
    assert newest.fika_compatibility is not None and newest.dependencies  # included: the tooltip names them
    assert info.forge_url == f"{forge.root_url}/mods/2291/lootpulse"
    assert [link.url for link in info.source_links] == ["https://github.com/nightjar/lootpulse"]
    assert fits_spt(newest, "4.0.11") is False and fits_spt(info.versions[1], "4.0.11") is True
    assert fits_spt(newest, None) is None


def test_an_unknown_forge_id_gives_words(forge: LocalForge, data_dir: DataDir) -> None:
    info = _load(data_dir, forge.base_url, _row("com.example.gone", 999999))
    assert info.mod is None and info.versions == []
    assert info.problem == ("The Forge has no public mod with id 999999: it may have been removed or hidden, "
                            "or the match is wrong.")


def test_a_mod_without_forge_id_asks_nothing(forge: LocalForge, data_dir: DataDir) -> None:
    before = len(forge.requests)
    assert _load(data_dir, forge.base_url, _row("com.example.local", None)) == ModInfo()
    assert len(forge.requests) == before


def test_an_unreachable_forge_gives_words_and_keeps_what_the_check_knew(data_dir: DataDir) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    known = Mod(id=2291, name="LootPulse", detail_url="https://sp-mod.com/mods/2291/lootpulse")
    info = _load(data_dir, f"http://127.0.0.1:{port}/api/v0", _row("com.nightjar.lootpulse", 2291, known),
                 retry=RetryPolicy(attempts=1, backoff=0.0))
    assert info.problem is not None and info.problem.startswith("Kappa could not ask the Forge about this mod.")
    assert "Traceback" not in info.problem
    assert info.mod is known and info.forge_url == "https://sp-mod.com/mods/2291/lootpulse"


def test_find_forge_mod_checks_a_typed_id(forge: LocalForge, data_dir: DataDir) -> None:
    async def find(forge_id: int) -> Mod | None:
        async with ForgeSession(data_dir, forge.base_url) as client:
            return await find_forge_mod(client, forge_id)

    found = asyncio.run(find(1502))
    assert found is not None and found.name == "AmmoTools"
    assert asyncio.run(find(999999)) is None
