"""The SPT installs the player works with: found, remembered in the settings, and the current one.

Every install added is kept in `settings.spt_installs` (so the player can switch between them) and the one open is
`settings.spt_path`; both are written through the one SettingsStore. The methods here touch the disk (they open
installs to read their versions): the GUI calls them through `asyncio.to_thread`, `discover` does so itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path

from app.core.data_dir import DataDir
from app.core.errors import KappaError
from app.core.install_finder import (
    FoundInstall,
    Source,
    find_installs,
    found_from,
    running_install_roots,
    same_root,
)
from app.core.settings import Settings, SettingsStore
from app.core.spt_install import NotAnSptInstall, SptInstall, find_spt_root, open_install


class InstallsService:
    """`locations` and `running_roots` say where `discover` looks (default: the usual places and the running SPT
    processes); tests pass temp folders."""

    def __init__(self, data_dir: DataDir, *, locations: Sequence[Path] | None = None,
                 running_roots: Callable[[], Sequence[Path]] = running_install_roots) -> None:
        self.store = SettingsStore(data_dir)
        self.locations = locations
        self.running_roots = running_roots

    def remembered(self) -> list[FoundInstall]:
        """The installs added before, in the order added; one that cannot be opened any more is listed with its
        `problem` (moved, deleted, a drive not plugged in) so the player can see it and forget it."""
        return [_open_remembered(Path(entry)) for entry in self.store.load().spt_installs]

    async def discover(self) -> list[FoundInstall]:
        """Every install found: running ones first, then the remembered ones, then those in the usual places."""
        remembered = self.store.load().spt_installs
        return await asyncio.to_thread(find_installs, remembered, (), True, locations=self.locations,
                                       running_roots=self.running_roots)

    def remember(self, root: str | Path) -> FoundInstall:
        """Add the install at (or above) `root` to the list; raises a KappaError in words if it is not one."""
        install = open_checked(Path(root))
        settings = self.store.load()
        if not any(same_root(entry, install.root) for entry in settings.spt_installs):
            self._save(settings, spt_installs=[*settings.spt_installs, str(install.root)])
        return found_from(install, "chosen")

    def forget(self, root: str | Path) -> None:
        """Take an install off the list (its files are not touched); forgetting the current one leaves none current."""
        settings = self.store.load()
        kept = [entry for entry in settings.spt_installs if not same_root(entry, root)]
        current = settings.spt_path if settings.spt_path and not same_root(settings.spt_path, root) else None
        self._save(settings, spt_installs=kept, spt_path=current)

    def current(self) -> Path | None:
        """The install opened last, when it is still an SPT install."""
        path = self.store.load().spt_path
        if not path:
            return None
        try:
            return find_spt_root(Path(path))
        except (NotAnSptInstall, OSError):
            return None

    def set_current(self, root: str | Path) -> FoundInstall:
        """Make the install at (or above) `root` the one to open, remembering it too."""
        found = self.remember(root)
        self._save(self.store.load(), spt_path=str(found.root))
        return found

    def _save(self, settings: Settings, **changes: object) -> None:
        self.store.save(settings.model_copy(update=changes))


def open_checked(folder: Path) -> SptInstall:
    """The install at or above `folder`, or a KappaError saying in words why it is not one."""
    try:
        return open_install(folder)
    except NotAnSptInstall:
        if not folder.expanduser().exists():
            raise KappaError(f"{folder} does not exist") from None
        raise KappaError(
            f"{folder} is not an SPT install: no SPT.Server was found there (no SPT/, SPT_Runtime/ or SPT_Data/ "
            "folder in it or in any folder above it); choose the folder that holds EscapeFromTarkov.exe"
        ) from None
    except OSError as exc:
        raise KappaError(f"{folder} cannot be read ({exc.strerror or exc})") from None


def _open_remembered(root: Path, source: Source = "remembered") -> FoundInstall:
    try:
        return found_from(open_install(root), source)
    except NotAnSptInstall:
        problem = ("the folder is gone (moved, deleted, or on a drive not plugged in)" if not root.exists()
                   else "no SPT server is there any more")
    except OSError as exc:
        problem = f"the folder cannot be read ({exc.strerror or exc})"
    return FoundInstall(root=root, version=None, layout="", source=source, problem=problem)
