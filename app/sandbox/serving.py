"""Running a sandbox HTTP server on a background thread, and stopping it: shared by every emulator."""

from __future__ import annotations

import threading
from socketserver import BaseServer


def serve_in_background(server: BaseServer, name: str) -> threading.Thread:
    """Serve on a daemon thread that polls for shutdown every 10 ms, so that stopping is quick."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01},
                              name=f"{name}:{server.server_address[1]}", daemon=True)  # type: ignore[attr-defined]
    thread.start()
    return thread


def shut_down(server: BaseServer, thread: threading.Thread | None) -> None:
    server.shutdown()
    server.server_close()
    if thread is not None:
        thread.join(timeout=5)
