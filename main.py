"""Knobs: with no arguments, open the window; with a command, run headless (see --help)."""

import sys


def main() -> int:
    if len(sys.argv) > 1:
        from engine.cli import main as cli_main

        return cli_main(sys.argv[1:])
    from engine.cli import build_parser

    build_parser().print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
