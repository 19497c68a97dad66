"""Command line (``python -m densenn`` or ``densenn``): train, predict, demo, --version, --cmakedir."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__


def cmake_dir() -> Path:
    """The folder holding densennConfig.cmake, for find_package(densenn CONFIG) in C++ projects."""
    return Path(__file__).resolve().parent / "share" / "cmake" / "densenn"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="densenn", description="densenn: small, fast dense networks.")
    parser.add_argument("--version", action="version", version=f"densenn {__version__}")
    parser.add_argument(
        "--cmakedir", action="store_true", help="print the folder to pass to CMake as densenn_DIR, and exit"
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    from . import cli, demo  # each command module adds its own subparsers and handlers (func)

    cli.add_parser(commands)
    demo.add_parser(commands)
    args = parser.parse_args(argv)
    if args.cmakedir:
        print(cmake_dir())
        return 0
    if not hasattr(args, "func"):
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except KeyboardInterrupt:  # Ctrl-C: a line, not a traceback, and the shell's usual status
        print("densenn: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
