"""Runs kept in JSON-lines files, one run a line, so a long benchmark can be done in parts
(``--save`` appends, ``--skip`` leaves out what a file holds, ``--load`` prints tables
from files without running anything)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read(files: str | None) -> list[dict[str, Any]]:
    """The rows of every file of a comma-separated list; none for None or an empty text.
    A file that does not exist yet holds no rows (a first ``--skip`` of a new file)."""
    rows = []
    for name in (files or "").split(","):
        if name and Path(name).exists():
            rows += [json.loads(line) for line in Path(name).read_text().splitlines()
                     if line.strip()]
    return rows


def append(path: str | None, rows: list[dict[str, Any]]) -> None:
    if not path:
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as sink:
        for row in rows:
            sink.write(json.dumps(row) + "\n")
