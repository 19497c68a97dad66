"""Command line: ``python -m densenn --version`` and ``--cmakedir`` (also as the ``densenn`` command)."""

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
    args = parser.parse_args(argv)
    if args.cmakedir:
        print(cmake_dir())
        return 0
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
