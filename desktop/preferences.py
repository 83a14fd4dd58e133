"""UI preferences kept in QSettings: window layout and recent files. Study data never."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QSettings

# Every key, declared once.
GEOMETRY = "window/geometry"
WINDOW_STATE = "window/state"
SPLITTER = "window/splitter"
RECENT_FILES = "files/recent"
LAST_FOLDER = "files/last_folder"
# Study files whose code-running objective this user has run here: not confirmed again.
CONFIRMED = "files/confirmed_objectives"

MAX_RECENT = 10


def make_settings() -> QSettings:
    return QSettings("Knobs", "Knobs")


def recent_files(settings: QSettings) -> list[str]:
    value = settings.value(RECENT_FILES, [])
    if isinstance(value, str):  # QSettings gives a lone entry back as a string
        value = [value]
    return [p for p in value if Path(p).exists()]


def add_recent_file(settings: QSettings, path: str | Path) -> list[str]:
    path = str(Path(path).resolve())
    files = [path, *(p for p in recent_files(settings) if p != path)][:MAX_RECENT]
    settings.setValue(RECENT_FILES, files)
    return files


def _confirmed_key(path: str | Path, objective: dict) -> str:
    return f"{Path(path).resolve()}\n{json.dumps(objective, sort_keys=True)}"


def is_confirmed(settings: QSettings, path: str | Path, objective: dict) -> bool:
    """True when this study file, with this very objective, was run here before."""
    value = settings.value(CONFIRMED, [])
    value = [value] if isinstance(value, str) else list(value or [])
    return _confirmed_key(path, objective) in value


def add_confirmed(settings: QSettings, path: str | Path, objective: dict) -> None:
    value = settings.value(CONFIRMED, [])
    value = [value] if isinstance(value, str) else list(value or [])
    key = _confirmed_key(path, objective)
    settings.setValue(CONFIRMED, [key, *(v for v in value if v != key)][:MAX_RECENT * 5])
