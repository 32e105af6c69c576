"""THE kill test: a real process is SIGKILLed at every step of a transaction, and recovery must leave the install
exactly the old tree or exactly the new tree (every file's bytes and every folder), with the state DB agreeing.

The child (install_kill_child.py) runs the transaction with a checkpoint hook that kills it at step N; for every N
from 0 until the child finishes, the parent restores a fresh copy of the install, runs the child, then recovers in a
fresh InstallEngine. Old tree when the commit record was not written, new tree when it was.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.core.data_dir import DataDir
from app.core.install import InstallEngine, ModChange
from app.sandbox.sample_install import create_sample_install
from tests.staging import stage
from tests.trees import Tree, snapshot

pytestmark = pytest.mark.skipif(os.name == "nt", reason="SIGKILL is POSIX only")

CHILD = Path(__file__).with_name("install_kill_child.py")


FOO_V1 = {
    "BepInEx/plugins/Foo/Foo.dll": b"foo client 1.0",
    "BepInEx/plugins/Foo/Foo.Helpers.dll": b"foo helpers 1.0",
    "BepInEx/config/com.example.foo.cfg": b"[General]\nEnabled = true\n",
    "SPT/user/mods/Foo/Foo.Server.dll": b"foo server 1.0",
    "SPT/user/mods/Foo/config/config.json": b'{"loot": 1}\n',
    "SPT/user/mods/Foo/data/items.json": b'{"items": [1]}\n',
    "SPT/user/mods/Foo/legacy/old.json": b'{"old": true}\n',
}
FOO_V2 = {
    "BepInEx/plugins/Foo/Foo.dll": b"foo client 2.0",
    "BepInEx/config/com.example.foo.cfg": b"[General]\nEnabled = true\nNew = 1\n",
    "SPT/user/mods/Foo/Foo.Server.dll": b"foo server 2.0",
    "SPT/user/mods/Foo/config/config.json": b'{"loot": 1, "new": 2}\n',
    "SPT/user/mods/Foo/data/items.json": b'{"items": [1, 2]}\n',
    "SPT/user/mods/Foo/assets/bundles/foo.bundle": b"bundle " * 50,
}
BAR = {
    "BepInEx/plugins/Bar/Bar.dll": b"bar client",
    "BepInEx/plugins/Bar/lang/en.json": b'{"hello": "Hello"}\n',
    "SPT/user/mods/Bar/Bar.Server.dll": b"bar server",
}
USER_EDITS = {
    "BepInEx/config/com.example.foo.cfg": b"[General]\nEnabled = false\n",
    "SPT/user/mods/Foo/config/config.json": b'{"loot": 5}\n',
}


WORKERS = 4  # the loop waits mostly on process start and fsync, so a few labs run side by side even on 2 cores


@dataclass(frozen=True)
class Scenario:
    name: str
    template: Path  # a copy of the lab's `work` folder taken before the transaction
    spec: dict[str, Any]


@dataclass(frozen=True)
class Reference:
    """What an uninterrupted run does: the checkpoint labels, and the trees and state before and after."""

    labels: list[str]
    old_tree: Tree
    new_tree: Tree
    old_state: StateView
    new_state: StateView

    def step(self, label: str) -> int:
        return self.labels.index(label)


def test_kill_at_every_step_of_an_update_plus_install(tmp_path: Path) -> None:
    assert kill_at_every_step(tmp_path, "update") >= 40


def test_kill_at_every_step_of_undo(tmp_path: Path) -> None:
    assert kill_at_every_step(tmp_path, "undo") >= 30


def test_kill_at_every_step_of_uninstall(tmp_path: Path) -> None:
    assert kill_at_every_step(tmp_path, "uninstall") >= 15


def kill_at_every_step(tmp_path: Path, scenario_name: str) -> int:
    """Kill the child at step 0, 1, 2... (spread over a few labs) until it finishes; returns the number of steps."""
    labs = [KillLab(tmp_path / f"lab{index}") for index in range(WORKERS)]
    with ThreadPoolExecutor(WORKERS) as pool:
        scenarios = list(pool.map(lambda lab: lab.scenario(scenario_name), labs))
        reference = labs[0].reference(scenarios[0])
        steps = range(len(reference.labels))
        runs = [pool.submit(lab.kill_each, scenario, steps[index::WORKERS], reference)
                for index, (lab, scenario) in enumerate(zip(labs, scenarios, strict=True))]
        for run in runs:
            run.result()
    return len(reference.labels)


class KillLab:
    """One lab: the install lives at a fixed path (`work`), because the state DB records absolute paths, and each run
    starts from a copy of a template taken at that path."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.work = base / "work"
        self.root = self.work / "SPT"
        self.data = self.work / "data"
        self.trash = base / "trash"  # renaming the last run away is instant; deleting it is not
        self.runs = 0

    def engine(self) -> InstallEngine:
        return InstallEngine(self.root, DataDir(self.data), running_check=lambda root: [])

    def restore(self, template: Path) -> None:
        if self.work.exists():
            self.trash.mkdir(parents=True, exist_ok=True)
            self.work.rename(self.trash / str(self.runs))
            self.runs += 1
        shutil.copytree(template, self.work, symlinks=True)

    def save(self, name: str) -> Path:
        template = self.base / name
        shutil.copytree(self.work, template, symlinks=True)
        return template

    # -- scenarios ---------------------------------------------------------------------------------------------------

    def scenario(self, name: str) -> Scenario:
        if name == "uninstall":
            return Scenario(name, self.base_template(), {"action": "uninstall", "key": "foo", "name": "Foo"})
        update = self.update_scenario()
        if name == "update":
            return update
        self.restore(update.template)
        assert run_child(self.child_spec(update.spec, -1))[0] == 0
        return Scenario(name, self.save("template-undo"), {"action": "undo"})

    def base_template(self) -> Path:
        """The sample install with Foo 1.0 installed by Kappa and two configuration files edited by the player."""
        create_sample_install(self.root, "4.0")
        engine = self.engine()
        engine.apply([ModChange("foo", "Foo", "1.0", stage(engine, FOO_V1), kind="both")],
                     kind="install", summary="install Foo 1.0")
        for target, data in USER_EDITS.items():
            (self.root / target).write_bytes(data)
        return self.save("template-base")

    def update_scenario(self) -> Scenario:
        """Update Foo (files replaced, removed, added in new folders; edited configuration kept) and install Bar."""
        self.restore(self.base_template())
        engine = self.engine()
        changes = [ModChange("foo", "Foo", "2.0", stage(engine, FOO_V2), kind="both"),
                   ModChange("bar", "Bar", "0.5", stage(engine, BAR), kind="both")]
        spec = {"action": "apply", "kind": "update", "summary": "update Foo 2.0, install Bar 0.5",
                "changes": [change_spec(change) for change in changes]}
        return Scenario("update", self.save("template-update"), spec)

    # -- the loop ----------------------------------------------------------------------------------------------------

    def child_spec(self, spec: dict[str, Any], kill_at: int) -> dict[str, Any]:
        return {**spec, "root": str(self.root), "data": str(self.data), "kill_at": kill_at}

    def reference(self, scenario: Scenario) -> Reference:
        self.restore(scenario.template)
        old_tree, old_state = snapshot(self.root), state_view(self.engine())
        code, labels = run_child(self.child_spec(scenario.spec, -1))
        assert code == 0, labels
        reference = Reference(labels, old_tree, snapshot(self.root), old_state, state_view(self.engine()))
        assert reference.new_tree != reference.old_tree
        return reference

    def kill_each(self, scenario: Scenario, steps: range, reference: Reference) -> None:
        for kill_at in steps:
            self.kill_once(scenario, kill_at, reference)

    def kill_once(self, scenario: Scenario, kill_at: int, reference: Reference) -> None:
        self.restore(scenario.template)
        code, seen = run_child(self.child_spec(scenario.spec, kill_at))
        assert code == -signal.SIGKILL, (kill_at, seen)
        assert seen[-1] == reference.labels[kill_at]
        where = f"{scenario.name}: killed at step {kill_at} ({reference.labels[kill_at]})"

        engine = self.engine()
        sentences = engine.recover()
        committed = kill_at >= reference.step("committed")
        assert snapshot(self.root) == (reference.new_tree if committed else reference.old_tree), where
        self.assert_state_agrees(engine, committed, reference, where)
        unfinished = reference.step("journal") <= kill_at < reference.step("cleaned")
        assert len(sentences) == (1 if unfinished else 0), (where, sentences)
        assert engine.recover() == [], where  # idempotent: nothing is left to do
        if kill_at >= reference.step("journal"):
            assert not any(engine.staging.iterdir()), where  # a rolled back transaction's staging is discarded
        self.assert_next_transaction_works(engine, where)

    def assert_state_agrees(self, engine: InstallEngine, committed: bool, reference: Reference, where: str) -> None:
        now, old, new = state_view(engine), reference.old_state, reference.new_state
        if committed:
            assert now == new, where
            return
        assert now.mods == old.mods, where
        if len(now.history) > len(old.history):  # the journal was written: the transaction is rolled back
            assert now.history[0][:2] == new.history[0][:2], where
            assert now.history[0][2] == "rolled_back", where
            assert now.history[1:] == old.history, where
        else:
            assert now.history == old.history, where

    def assert_next_transaction_works(self, engine: InstallEngine, where: str) -> None:
        probe = {"BepInEx/plugins/Probe/Probe.dll": b"probe"}
        record = engine.apply([ModChange("probe", "Probe", "1.0", stage(engine, probe))], kind="install",
                              summary="install Probe")
        assert record.state == "committed", where
        assert (self.root / "BepInEx/plugins/Probe/Probe.dll").read_bytes() == b"probe", where
        assert engine.owner_of("BepInEx/plugins/Probe/Probe.dll") == "probe", where


@dataclass(frozen=True)
class StateView:
    mods: tuple[tuple[Any, ...], ...]  # (key, version, enabled, files, and each file's owner)
    history: tuple[tuple[str, str, str], ...]  # (summary, kind, state), newest first


def state_view(engine: InstallEngine) -> StateView:
    mods = tuple((mod.key, mod.version, mod.enabled, mod.files, tuple(engine.owner_of(f) for f in mod.files))
                 for mod in engine.managed_mods())
    history = tuple((record.summary, record.kind, record.state) for record in engine.history())
    return StateView(mods=mods, history=history)


def run_child(spec: dict[str, Any]) -> tuple[int, list[str]]:
    result = subprocess.run([sys.executable, str(CHILD), json.dumps(spec)], capture_output=True, text=True,
                            timeout=60, check=False)
    if result.returncode not in (0, -signal.SIGKILL):
        raise AssertionError(f"child failed ({result.returncode}): {result.stderr}")
    return result.returncode, result.stdout.splitlines()


def change_spec(change: ModChange) -> dict[str, Any]:
    return {"key": change.key, "name": change.name, "version": change.version,
            "new_files": [{"target": new.target, "path": str(new.path), "sha256": new.sha256, "size": new.size}
                          for new in change.new_files]}


