"""GUI tests run offscreen with a qasync event loop, so that qtbot's waits also drive asyncio tasks."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
import qasync
from PySide6.QtWidgets import QApplication


@pytest.fixture
def event_loop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    loop = qasync.QEventLoop(qapp, already_running=True)
    executor = qasync.QThreadExecutor(2)  # owned here, so that its threads are joined before Qt goes away
    loop.set_default_executor(executor)
    asyncio.set_event_loop(loop)
    yield loop
    for task in asyncio.all_tasks(loop):
        task.cancel()
    executor.shutdown(wait=True)
    # qasync marked this thread as running the loop for good; undo it, so later tests may call asyncio.run().
    asyncio.events._set_running_loop(None)
    loop._after_run_forever()
    asyncio.set_event_loop(None)
