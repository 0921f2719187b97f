"""python -m sandbox [--port 12111] [--state FILE]"""
from __future__ import annotations

import argparse

from .server import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description="Offline Stripe-compatible sandbox server")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--state", default=None, help="JSON file to load state from and save it to")
    args = parser.parse_args(argv)
    serve(port=args.port, state_file=args.state)


if __name__ == "__main__":
    main()
