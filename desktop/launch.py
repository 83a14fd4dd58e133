"""The ``knobs`` command and main.py: no arguments (or a study file) opens the window; a
command (``run``, ``show``, ``export``, ``--help``) runs headless.

Qt's widgets are imported only for the window, so the headless commands work on a server
without a display or X libraries.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from engine.bundled import NotInstalledError

HEADLESS = {"run", "show", "export", "-h", "--help", "--version"}
EXIT_SIGTERM = 128 + signal.SIGTERM


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        return _start(args)
    except NotInstalledError as exc:
        print(f"knobs: {exc}", file=sys.stderr)
        return 1


def _start(args: list[str]) -> int:
    if args and (args[0] in HEADLESS or not Path(args[0]).exists()):
        return headless(args)
    from desktop.qt_platform import window_problem

    problem = window_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    from desktop.app import run

    return run(args[0] if args else None)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is: running trials end interrupted, finished ones stay."""


def headless(args: list[str]) -> int:
    from engine.cli import EXIT_INTERRUPTED
    from engine.cli import main as cli_main

    terminated = False

    def on_sigterm(signum, frame):
        nonlocal terminated
        if terminated:
            return  # already stopping: a second one must not break the tidy-up
        terminated = True
        raise _Terminated

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        code = cli_main(args)
    except KeyboardInterrupt:  # stopped outside a run (show, export): nothing to tidy
        code = EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of our output went away (`knobs export … | head`): stop quietly.
        # Python's own flush at exit would raise again, so point stdout at nothing.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    if terminated and code == EXIT_INTERRUPTED:
        return EXIT_SIGTERM
    return code
