"""Putting test files into an install engine's staging area, as a service would after extracting an archive."""

from __future__ import annotations

import hashlib

from app.core.install import InstallEngine, NewFile


def stage(engine: InstallEngine, files: dict[str, bytes]) -> tuple[NewFile, ...]:
    """Write `files` (target -> bytes) into a fresh staging area and describe them for a ModChange."""
    area = engine.new_staging_area()
    staged = []
    for target, data in files.items():
        path = area / target
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        staged.append(NewFile(target=target, path=path, sha256=hashlib.sha256(data).hexdigest(), size=len(data)))
    return tuple(staged)
