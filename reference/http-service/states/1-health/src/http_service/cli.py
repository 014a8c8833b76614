"""Stages 1 and 8: `python -m http_service --port 8000 --data data`, the server process.

It serves the app with uvicorn on --host:--port, keeping its data in the --data folder (created
when missing). On SIGTERM or SIGINT it stops accepting connections, lets the requests in flight
finish (for up to GRACE_SECONDS), closes the store and exits 0: deploys stop services this way
many times a day, and a request that was accepted must get its answer.
"""

import argparse
import signal  # noqa: F401 (used by code you write)
from pathlib import Path

import uvicorn  # noqa: F401 (used by code you write)

from .app import create_app  # noqa: F401 (used by code you write)

GRACE_SECONDS = 10.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """--host (default 127.0.0.1), --port (required), --data (default ./data)."""
    parser = argparse.ArgumentParser(
        prog="python -m http_service", description="The link shortener service."
    )
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    parser.add_argument("--port", type=int, required=True, help="the TCP port")
    parser.add_argument(
        "--data", type=Path, default=Path("data"), help="the folder for the database"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGTERM or SIGINT, then finish the requests in flight and return 0."""
    opts = parse_args(argv)
    opts.data.mkdir(parents=True, exist_ok=True)
    config = uvicorn.Config(create_app(opts.data), host=opts.host, port=opts.port)
    uvicorn.Server(config).run()
    return 0
