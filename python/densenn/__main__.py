"""Command line: ``python -m densenn demo``, ``python -m densenn --version``."""

from __future__ import annotations

import argparse
import sys

from . import __version__


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m densenn", description="densenn: small, fast dense networks."
    )
    parser.add_argument("--version", action="version", version=f"densenn {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    from . import demo  # each command module adds its own subparser and handler (func)

    demo.add_parser(commands)
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 0
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
