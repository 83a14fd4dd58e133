"""Whether a process still runs, told the same way everywhere (worker watches, tests)."""

from __future__ import annotations

import os


def alive(pid: int) -> bool:
    """True while ``pid`` runs; a zombie (killed, not yet reaped by its parent) is not.

    The state is the field after the command name in ``/proc/PID/stat``; the name is in
    parentheses and may itself hold spaces or ')', so the line is split after the last ')'.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: it exists
    if not os.path.isdir("/proc"):
        return True  # macOS and others: kill(pid, 0) is all we know
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False  # it went between the two looks
    except (OSError, IndexError):
        return True
