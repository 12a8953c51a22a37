"""`python -m brokers.sandbox`: the sandbox without the app (no Qt needed)."""

from __future__ import annotations

import argparse
import sys

from brokers.sandbox.cli import add_arguments, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m brokers.sandbox",
        description="Run Brokerdeck's local broker emulators on 127.0.0.1 until interrupted.",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
