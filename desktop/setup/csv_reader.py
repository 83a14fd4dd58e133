"""Reading a CSV file for the form, never on the GUI thread.

A worker thread reads the first rows (enough for the preview and the column list) and then
the whole file (for the row count, the target's classes and the checks). The newest request
wins: each has a generation number, and a result for an older file or encoding is dropped.
Whole files are cached by path, size, modification time and encoding.
"""

from __future__ import annotations

import codecs
import csv
import io
import threading
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal

from engine.objectives.base import ObjectiveError
from engine.objectives.sklearn_data import MISSING, read_table

PREVIEW_ROWS = 8
HEAD_BYTES = 64 * 1024  # the preview's rows are in the first few kilobytes of any table
_DELIMITERS = ",;\t|"

Key = tuple[str, float, int, str]

# Offered as the encoding is typed; any encoding Python knows is accepted.
COMMON_ENCODINGS = ("utf-8", "utf-16", "latin-1", "cp1252", "cp1250", "iso-8859-15",
                    "mac-roman", "shift_jis", "gb18030")


def encoding_problem(encoding: str) -> str | None:
    """Why ``encoding`` cannot read a file, in the field's words; None if it can."""
    try:
        codecs.lookup(encoding)
    except LookupError:
        return (f"CSV text encoding: '{encoding}' is not a text encoding Python knows; "
                "expected e.g. utf-8, latin-1, cp1252 or utf-16")
    return None


@dataclass(frozen=True)
class CsvPeek:
    """A CSV file's header and rows as text, or why it could not be read.

    ``partial``: only the first rows are here yet; the whole file is still being read.
    """

    header: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    error: str = ""
    partial: bool = False

    def column(self, name: str) -> list[str]:
        """The non-missing cells of a column."""
        i = self.header.index(name)
        return [r[i].strip() for r in self.rows if r[i].strip().lower() not in MISSING]


_whole: dict[Key, CsvPeek] = {}


def file_key(path: Path, encoding: str) -> Key | None:
    """What identifies one reading of a file; None when there is no such file."""
    try:
        stat = path.stat()
    except OSError:
        return None
    if not path.is_file():
        return None
    return (str(path), stat.st_mtime, stat.st_size, encoding)


def read_whole(path: Path, encoding: str) -> CsvPeek:
    try:
        header, numbered = read_table(path, encoding)
    except ObjectiveError as exc:
        return CsvPeek(error=str(exc))
    return CsvPeek(tuple(header), tuple(tuple(r) for _, r in numbered))


def read_head(path: Path, encoding: str) -> CsvPeek | None:
    """The header and first rows from the start of the file; None if they do not parse
    there (the whole read then says why)."""
    try:
        with path.open("rb") as f:
            data = f.read(HEAD_BYTES)
        name = codecs.lookup(encoding).name
        text = data.decode("utf-8-sig" if name == "utf-8" else encoding, errors="ignore")
    except (OSError, LookupError):
        return None
    if len(data) == HEAD_BYTES:
        text = text[: text.rfind("\n") + 1]  # the last line may be cut in two
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        return None
    delimiter = max(_DELIMITERS, key=lines[0].count)
    try:
        rows = [r for r in csv.reader(io.StringIO("\n".join(lines[: PREVIEW_ROWS + 1])),
                                      delimiter=delimiter)]
    except csv.Error:
        return None
    header = tuple(h.strip() for h in rows[0])
    return CsvPeek(header, tuple(tuple(r) for r in rows[1:]), partial=True)


class CsvReader(QObject):
    """Hands out what is known of a CSV file and reads the rest on a worker thread.

    ``ready()`` fires on the GUI thread when more of the last file asked for is known.
    """

    ready = Signal()
    _done = Signal(int, object, object)  # from the thread: generation, key, peek

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._generation = 0
        self._key: Key | None = None
        self._head: CsvPeek | None = None
        # Queued: the thread emits, the GUI thread stores and announces.
        self._done.connect(self._on_done, Qt.QueuedConnection)

    def peek(self, path: Path, encoding: str) -> CsvPeek | None:
        """The whole file if read, else its first rows (``partial``), else None; a read
        of this file starts if none is under way."""
        key = file_key(path, encoding)
        if key is None:
            return None
        if key in _whole:
            return _whole[key]
        if key != self._key:
            self._generation += 1
            self._key, self._head = key, None
            threading.Thread(target=self._read, args=(self._generation, key, path, encoding),
                             name="knobs-csv-read", daemon=True).start()
        return self._head

    def is_reading(self) -> bool:
        return self._key is not None and self._key not in _whole

    def _read(self, generation: int, key: Key, path: Path, encoding: str) -> None:
        try:
            head = read_head(path, encoding)
            if head is not None:
                self._done.emit(generation, key, head)
            try:
                whole = read_whole(path, encoding)
            except (OSError, MemoryError, ValueError) as exc:  # read_table names the rest
                whole = CsvPeek(error=f"objective.csv = '{path}': could not be read ({exc})")
            self._done.emit(generation, key, whole)
        except RuntimeError:
            pass  # the form was deleted meanwhile: nobody is waiting for the file

    def _on_done(self, generation: int, key: Key, peek: CsvPeek) -> None:
        if generation != self._generation:
            return  # another file (or encoding) was chosen since
        if peek.partial:
            self._head = peek
        else:
            if len(_whole) >= 4:  # a few files' text at most; a changed file gets a new key
                _whole.clear()
            _whole[key] = peek
        self.ready.emit()
