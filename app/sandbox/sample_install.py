"""Sample SPT installs built from the compiled test assemblies, for `kappa --demo`, tests and benchmarks.

The assemblies are compiled from the C# sources in tests/assemblies/ (see its README); this module only
places copies of them where a real install keeps such files, in each of the three layouts.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

ASSEMBLIES = Path(__file__).resolve().parent / "assemblies"
LAYOUTS = ("3.x", "4.0", "4.1")


@dataclass(frozen=True)
class _Copy:
    source: str  # relative to ASSEMBLIES
    target: str  # relative to the game root; "{server}" is SPT, SPT_Runtime or the root itself


_COMMON_CLIENT = (
    _Copy("eft/EscapeFromTarkov.exe", "EscapeFromTarkov.exe"),
    _Copy("lib/BepInEx.dll", "BepInEx/core/BepInEx.dll"),
    _Copy("lib/Mono.Cecil.dll", "BepInEx/core/Mono.Cecil.dll"),
    _Copy("spt/spt-core.dll", "BepInEx/plugins/spt/spt-core.dll"),
    # a plugin with hard, soft and minimum-version dependencies, shipping a helper library beside it
    _Copy("client/TacticalHUD.dll", "BepInEx/plugins/TacticalHUD/TacticalHUD.dll"),
    _Copy("client/TacticalHUD.Shared.dll", "BepInEx/plugins/TacticalHUD/TacticalHUD.Shared.dll"),
    # two plugins in one folder
    _Copy("client/SwiftSort.Core.dll", "BepInEx/plugins/SwiftSort/SwiftSort.Core.dll"),
    _Copy("client/SwiftSort.Extras.dll", "BepInEx/plugins/SwiftSort/SwiftSort.Extras.dll"),
    # one DLL holding two plugins, loose in plugins/
    _Copy("client/AmmoTools.dll", "BepInEx/plugins/AmmoTools.dll"),
    # the client half of a server+client mod, disabled the way Kappa disables plugins
    _Copy("client/LootPulse.Client.dll", "BepInEx/plugins/LootPulse/LootPulse.Client.dll.disabled"),
    _Copy("patchers/Ravenfall.Prepatch.dll", "BepInEx/patchers/Ravenfall.Prepatch.dll"),
)

_SERVER_40 = (
    _Copy("spt-4.0/SPTarkov.Server.Core.dll", "SPT/SPTarkov.Server.Core.dll"),
    _Copy("lib/SemanticVersioning.dll", "SPT/SemanticVersioning.dll"),
    _Copy("server-4.0/BetterScavKarma.dll", "SPT/user/mods/BetterScavKarma/BetterScavKarma.dll"),
    _Copy("server-4.0/Fika.Server.dll", "SPT/user/mods/fika-server/Fika.Server.dll"),
    _Copy("server-4.0/HideoutAutomation.dll", "SPT/user/mods/HideoutAutomation/HideoutAutomation.dll"),
    _Copy("server-4.0/HideoutAutomation.Common.dll", "SPT/user/mods/HideoutAutomation/HideoutAutomation.Common.dll"),
    _Copy("server-4.0/Larkspur.TraderTimers.dll", "SPT/user/mods/TraderTimers/Larkspur.TraderTimers.dll"),
    _Copy("server-4.0/LootPulse.Server.dll", "SPT/user/mods/LootPulse/LootPulse.Server.dll"),
    # a metadata DLL below the top of a mod folder: the server never loads it, so it must not count
    _Copy("server-4.0/LootPulse.Compat.dll", "SPT/user/mods/LootPulse/compat/LootPulse.Compat.dll"),
)

_SERVER_41 = (
    _Copy("spt-4.1/SPTarkov.Server.Core.dll", "SPT_Runtime/SPTarkov.Server.Core.dll"),
    _Copy("lib/SemanticVersioning.dll", "SPT_Runtime/SemanticVersioning.dll"),
    _Copy("server-4.1/FleaTweaks.dll", "SPT_Runtime/user/mods/FleaTweaks/FleaTweaks.dll"),
    _Copy("server-4.1/Larkspur.StashSorter.dll", "SPT_Runtime/user/mods/StashSorter/Larkspur.StashSorter.dll"),
    # disabled the way Kappa disables server mods: moved out of user/mods
    _Copy("server-4.1/RaidReview.dll", "SPT_Runtime/user/mods.disabled/RaidReview/RaidReview.dll"),
)

# SPT 3.x server mods are JavaScript packages; only their package.json matters to a scan.
_PACKAGES_3X: dict[str, dict[str, object]] = {
    "user/mods/SAIN": {
        "name": "SAIN", "author": "Solarint", "version": "3.2.1", "sptVersion": "~3.11",
        "modDependencies": {"BigBrain": "^1.3.0", "Waypoints": "~1.6.0"}, "licence": "MIT",
        "loadAfter": ["BigBrain"], "main": "src/mod.js",
    },
    "user/mods/BigBrain": {
        "name": "BigBrain", "author": "DrakiaXYZ", "version": "1.3.2", "sptVersion": ">=3.11.0 <3.12.0",
        "licence": "MIT", "main": "src/mod.js",
    },
    "user/mods/Waypoints": {
        "name": "Waypoints", "author": "DrakiaXYZ", "version": "1.6.4", "sptVersion": "~3.11.0",
        "incompatibilities": ["OldNavMesh"], "licence": "MIT", "main": "src/mod.js",
    },
    # an old mod that still says akiVersion (SPT <= 3.7 era)
    "user/mods/LootValue": {
        "name": "LootValue", "author": "IhanaMies", "version": "3.0.0", "akiVersion": "~3.7.0",
        "licence": "MIT", "main": "src/mod.js",
    },
    "user/mods.disabled/QuestingBots": {
        "name": "QuestingBots", "author": "DanW", "version": "0.10.3", "sptVersion": "~3.11",
        "modDependencies": {"BigBrain": ">=1.3.0", "Waypoints": ">=1.6.0"}, "licence": "MIT",
        "main": "src/mod.js",
    },
}
_CORE_JSON_3X = {"sptVersion": "3.11.2", "projectName": "SPT", "compatibleTarkovVersion": "0.16.1.35392"}


def create_sample_install(root: Path, layout: str = "4.0") -> Path:
    """Build a sample SPT install of `layout` ("3.x", "4.0" or "4.1") at `root`, which must not exist yet."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown SPT layout {layout!r}; expected one of {', '.join(LAYOUTS)}")
    root.mkdir(parents=True, exist_ok=False)
    copies = _COMMON_CLIENT + {"4.0": _SERVER_40, "4.1": _SERVER_41, "3.x": ()}[layout]
    for copy in copies:
        target = root / copy.target
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ASSEMBLIES / copy.source, target)
    if layout == "3.x":
        _write_json(root / "SPT_Data/Server/configs/core.json", _CORE_JSON_3X)
        for folder, package in _PACKAGES_3X.items():
            _write_json(root / folder / "package.json", package)
            (root / folder / "src").mkdir(exist_ok=True)
            (root / folder / "src" / "mod.js").write_text("// sample server mod: never executed by Kappa\n")
    return root


def recreate_sample_install(root: Path, layout: str = "4.0") -> Path:
    """A fresh sample install at `root`, replacing an earlier one (used by `kappa --demo`)."""
    if root.exists():
        shutil.rmtree(root)
    return create_sample_install(root, layout)


def _write_json(path: Path, document: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
