"""Whole-tree snapshots: the byte-for-byte "exactly as before" that install tests compare."""

from __future__ import annotations

from pathlib import Path

Tree = dict[str, bytes | None]  # relative path -> file bytes, or None for a directory


def snapshot(root: Path, *, skip: tuple[str, ...] = ()) -> Tree:
    """Every file's bytes and every directory below `root`, keyed by forward-slash relative path."""
    tree: Tree = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if any(relative == s or relative.startswith(s + "/") for s in skip):
            continue
        tree[relative] = None if path.is_dir() and not path.is_symlink() else path.read_bytes()
    return tree


def differences(before: Tree, after: Tree) -> list[str]:
    """Readable differences, for assertion messages."""
    lines = [f"gone: {p}" for p in sorted(before.keys() - after.keys())]
    lines += [f"new: {p}" for p in sorted(after.keys() - before.keys())]
    lines += [f"changed: {p}" for p in sorted(before.keys() & after.keys()) if before[p] != after[p]]
    return lines
