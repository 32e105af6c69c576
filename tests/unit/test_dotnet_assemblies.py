"""Every compiled test assembly reads back exactly as tests/assemblies/expected.json (derived from the C# sources)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.core.dotnet import PluginDependency, PluginInfo, read_assembly
from app.sandbox.sample_install import ASSEMBLIES

EXPECTED: dict[str, dict[str, Any]] = json.loads(
    (Path(__file__).resolve().parents[1] / "assemblies" / "expected.json").read_text(encoding="utf-8"))


def _plugin(entry: dict[str, Any]) -> PluginInfo:
    return PluginInfo(
        guid=entry["guid"], name=entry["name"], version=entry["version"],
        dependencies=tuple(PluginDependency(d["guid"], hard=d["flags"] == "hard", min_version=d["min_version"])
                           for d in entry["dependencies"]),
        incompatibilities=tuple(entry["incompatibilities"]), processes=tuple(entry["processes"]),
    )


@pytest.mark.parametrize("relative", sorted(EXPECTED))
def test_assembly_reads_as_its_source_says(relative: str) -> None:
    expected = EXPECTED[relative]
    info = read_assembly(ASSEMBLIES / relative, with_version_resource=True)
    assert info.assembly_name == expected["assembly_name"]
    assert info.assembly_version == expected["assembly_version"]
    assert info.file_version == expected["file_version"]
    kind = expected["kind"]
    assert info.is_patcher == (kind == "patcher")
    assert info.plugins == tuple(_plugin(p) for p in expected.get("plugins", []))
    if kind != "server":
        assert info.server_mods == ()
        return
    (meta,) = info.server_mods
    assert meta.generation == expected["generation"]
    assert (meta.guid, meta.name, meta.author, meta.version, meta.spt_constraint) == (
        expected["guid"], expected["name"], expected["author"], expected["version"], expected["spt_constraint"])
    assert meta.dependencies == (expected["dependencies"] or {})
    assert meta.incompatibilities == tuple(expected["incompatibilities"] or ())
    assert meta.contributors == tuple(expected["contributors"] or ())
    assert (meta.url, meta.license) == (expected["url"], expected["license"])


def test_every_compiled_assembly_is_covered() -> None:
    compiled = {p.relative_to(ASSEMBLIES).as_posix() for p in ASSEMBLIES.rglob("*") if p.suffix in (".dll", ".exe")}
    assert compiled == set(EXPECTED)
