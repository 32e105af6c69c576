"""`kappa sandbox`: the built-in emulators on 127.0.0.1, in the foreground, for demos and scripted tests."""

from __future__ import annotations

import argparse
import json
import threading
from pathlib import Path
from typing import Any

from app.cli.output import EXIT_OK
from app.core.fileio import atomic_write_text


def register(commands: Any, add_global_options: Any) -> None:
    sandbox = commands.add_parser("sandbox", help="run the local Forge, Fika and dedicated-server emulators on "
                                                  "127.0.0.1 until Ctrl+C")
    sandbox.add_argument("--port-file", type=Path, metavar="F", help="write the emulators' base URLs as JSON to F")
    sandbox.add_argument("--port", type=int, default=0, help="the Forge's port (default: any free port)")
    sandbox.add_argument("--old-shapes", action="store_true",
                         help="answer with the response shapes the Forge used before July 2026 (and Fika before 2.2.1)")
    add_global_options(sandbox, suppress=True)
    sandbox.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    # the sandbox is never imported by the app's normal paths
    from app.core.cert_pins import format_fingerprint
    from app.sandbox.demo_servers import DemoServers
    from app.sandbox.forge import LocalForge

    servers = DemoServers(fika_raids_shape="object" if args.old_shapes else "array")
    with LocalForge(port=args.port, shape="old" if args.old_shapes else "new") as forge, servers:
        urls = {"forge": forge.base_url, **servers.describe()}
        if args.port_file is not None:
            atomic_write_text(args.port_file, json.dumps(urls, indent=2) + "\n")
        print(f"Local Forge:       {forge.base_url}", flush=True)
        print(f"Fika server:       {servers.fika.base_url}  (API key {servers.fika.api_key})")
        print(f"  certificate      SHA-256 {format_fingerprint(servers.fika.certificate.sha256)}")
        print(f"Dedicated server:  {servers.dedicated.base_url}  (API token {servers.dedicated.token})")
        print(f"  certificate      SHA-256 {format_fingerprint(servers.dedicated.certificate.sha256)}")
        print("Press Ctrl+C to stop.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("Stopped.")
    return EXIT_OK
