"""Knobs: with no arguments, open the window; with a command, run headless (see --help)."""

import sys
from pathlib import Path

HEADLESS = {"run", "show", "export", "-h", "--help"}


def main() -> int:
    args = sys.argv[1:]
    if args and (args[0] in HEADLESS or not Path(args[0]).exists()):
        from engine.cli import main as cli_main

        return cli_main(args)
    from desktop.app import run

    return run(args[0] if args else None)


if __name__ == "__main__":
    sys.exit(main())
