"""Command line: ``python -m densenn --version``."""

from __future__ import annotations

import argparse
import sys

from . import __version__


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m densenn", description="densenn: small, fast dense networks."
    )
    parser.add_argument("--version", action="version", version=f"densenn {__version__}")
    parser.parse_args(argv)
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
