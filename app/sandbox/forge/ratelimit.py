"""The Forge's edge rate limiter (Cloudflare in front of the v0 API) and the download route's own limiter."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class RateWindow:
    max_requests: int
    window_seconds: float
    block_seconds: float


class RateLimitRule:
    """Windows of (max_requests, window_seconds, block_seconds): more than `max_requests` in any sliding
    `window_seconds` blocks every request for `block_seconds`."""

    def __init__(self, windows: Iterable[tuple[int, float, float] | RateWindow]) -> None:
        self.windows = tuple(w if isinstance(w, RateWindow) else RateWindow(int(w[0]), float(w[1]), float(w[2]))
                             for w in windows)
        if not self.windows:
            raise ValueError("a rate limit rule needs at least one window")
        for window in self.windows:
            if window.max_requests < 1 or window.window_seconds <= 0 or window.block_seconds <= 0:
                raise ValueError(f"invalid rate limit window {window}")

    def __repr__(self) -> str:
        return f"RateLimitRule({[(w.max_requests, w.window_seconds, w.block_seconds) for w in self.windows]})"


# Burst 40 / 10 s (then a 30 s block), sustained 200 / 60 s (then a 60 s block): sp-tarkov/forge 914fa3e9.
DEFAULT_EDGE_LIMITS = RateLimitRule([(40, 10.0, 30.0), (200, 60.0, 60.0)])


class EdgeLimiter:
    """Thread-safe sliding windows. Requests answered 429 during a block are not counted, as at the edge."""

    def __init__(self, rule: RateLimitRule | None, clock: Callable[[], float] = time.monotonic) -> None:
        self._rule = rule
        self._clock = clock
        self._lock = threading.Lock()
        self._hits: list[deque[float]] = [deque() for _ in (rule.windows if rule else ())]
        self._blocked_until = 0.0

    def check(self) -> int | None:
        """None if the request may pass; otherwise the Retry-After value in whole seconds."""
        if self._rule is None:
            return None
        with self._lock:
            now = self._clock()
            if now < self._blocked_until:
                return _seconds(self._blocked_until - now)
            for window, hits in zip(self._rule.windows, self._hits, strict=True):
                while hits and hits[0] <= now - window.window_seconds:
                    hits.popleft()
                hits.append(now)
                if len(hits) > window.max_requests:
                    self._blocked_until = max(self._blocked_until, now + window.block_seconds)
            if now < self._blocked_until:
                return _seconds(self._blocked_until - now)
            return None


def _seconds(remaining: float) -> int:
    return max(1, math.ceil(remaining - 1e-9))


class DownloadLimiter:
    """The web download route: 5 downloads per minute per client per mod, then `abort(429)`."""

    def __init__(self, limit: int = 5, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = limit
        self._window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._hits: dict[tuple[str, int], deque[float]] = {}

    def allow(self, client: str, mod_id: int) -> bool:
        with self._lock:
            now = self._clock()
            hits = self._hits.setdefault((client, mod_id), deque())
            while hits and hits[0] <= now - self._window:
                hits.popleft()
            if len(hits) >= self._limit:
                return False
            hits.append(now)
            return True
