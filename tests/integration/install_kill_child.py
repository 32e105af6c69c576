"""Child process of test_install_kill.py: runs one install transaction and SIGKILLs itself at checkpoint N.

Usage: python install_kill_child.py SPEC_JSON. The spec gives the SPT root, the data dir, the action ("apply",
"undo" or "uninstall") with its arguments, and `kill_at` (the checkpoint number to die at; -1: never). Every
checkpoint label is printed (flushed) before the kill check, so the parent knows how far the child got.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script: make `app` importable

from app.core.data_dir import DataDir
from app.core.install import InstallEngine, ModChange, NewFile


def main() -> None:
    spec = json.loads(sys.argv[1])
    kill_at: int = spec["kill_at"]
    steps = 0

    def checkpoint(label: str) -> None:
        nonlocal steps
        print(label, flush=True)
        if steps == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        steps += 1

    engine = InstallEngine(Path(spec["root"]), DataDir(Path(spec["data"])), checkpoint=checkpoint,
                           running_check=lambda root: [])
    action = spec["action"]
    if action == "apply":
        changes = [ModChange(key=change["key"], name=change["name"], version=change["version"],
                             new_files=tuple(NewFile(target=new["target"], path=Path(new["path"]),
                                                     sha256=new["sha256"], size=new["size"])
                                             for new in change["new_files"]))
                   for change in spec["changes"]]
        engine.apply(changes, kind=spec["kind"], summary=spec["summary"])
    elif action == "undo":
        engine.undo()
    elif action == "uninstall":
        engine.uninstall(spec["key"], spec["name"])
    else:
        raise SystemExit(f"unknown action {action}")


if __name__ == "__main__":
    main()
