"""Knobs from a source checkout: the same as the installed ``knobs`` command.

With no arguments (or a study file), open the window; with a command, run headless (see --help).
"""

import sys

from desktop.launch import main

if __name__ == "__main__":
    sys.exit(main())
