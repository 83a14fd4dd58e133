"""UI preferences kept in QSettings: window layout and recent files. Study data never."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

# Every key, declared once.
GEOMETRY = "window/geometry"
WINDOW_STATE = "window/state"
SPLITTER = "window/splitter"
RECENT_FILES = "files/recent"
LAST_FOLDER = "files/last_folder"

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
