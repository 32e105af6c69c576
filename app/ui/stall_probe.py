"""A timer probe that measures how long the GUI thread was kept from its event loop.

A short repeating timer fires every `interval` ms while the event loop runs; when the GUI thread
is busy (a blocking read, a long paint), the next tick comes late. The worst lateness is the longest stall a player
would have felt. Used by the GUI tests and by `bench/gui_stall.py`.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Qt, QTimer


class StallProbe(QObject):
    def __init__(self, interval_ms: int = 5, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.interval = interval_ms / 1000
        self.worst = 0.0  # seconds
        self.ticks = 0
        self._last: float | None = None
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.worst, self.ticks, self._last = 0.0, 0, time.perf_counter()
        self._timer.start()

    def stop(self) -> float:
        """Stop probing; the worst stall in seconds."""
        self._timer.stop()
        self._last = None
        return self.worst

    def _tick(self) -> None:
        now = time.perf_counter()
        if self._last is not None:
            self.worst = max(self.worst, now - self._last - self.interval)
        self._last = now
        self.ticks += 1
