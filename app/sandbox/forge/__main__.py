"""Run the local Forge in the foreground: ``python -m app.sandbox.forge [--port N] [--shape old] [--no-limit]``."""

from __future__ import annotations

import argparse
import contextlib
import threading

from app.sandbox.forge import DEFAULT_EDGE_LIMITS, LocalForge


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the local Forge (API v0) on 127.0.0.1 until interrupted.")
    parser.add_argument("--port", type=int, default=0, help="port to bind (default: any free port)")
    parser.add_argument("--shape", choices=("new", "old"), default="new", help="API generation to mimic")
    parser.add_argument("--no-limit", action="store_true", help="turn the edge rate limit off")
    parser.add_argument("--require-token", action="store_true", help="act like an old instance that needs a token")
    args = parser.parse_args()
    forge = LocalForge(port=args.port, shape=args.shape, rate_limit=None if args.no_limit else DEFAULT_EDGE_LIMITS,
                       require_token=args.require_token)
    with forge:
        print(f"Local Forge at {forge.base_url} (files under {forge.root_url}/files/); Ctrl-C stops it.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
