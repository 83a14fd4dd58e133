"""Another tool's study as a read-only Knobs :class:`~engine.study.Study`, for analysis.

The window shows a study through a ``Study`` (its trials, space and direction go to the
table and every plot). :func:`open_foreign_study` builds one from an Optuna storage whose
``file`` is a :class:`ForeignFile`: read-only, so nothing can be run in it, no note saved
and no trial written, and the storage is never opened for writing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.interop.foreign import foreign_kind, read_foreign
from engine.interop.optuna_rdb import OptunaStorageError
from engine.spec import SpecError, spec_from_dict
from engine.storage import StudyFileError
from engine.study import Study

KIND_NAMES = {"optuna-rdb": "an Optuna storage", "optuna-journal": "an Optuna journal"}


class ForeignFile:
    """Stands in for a study file: where the study came from, always read-only."""

    readonly = True

    def __init__(self, path: Path, kind: str, study_name: str):
        self.path = path
        self.kind = kind
        self.study_name = study_name
        self.readonly_reason = (f"This study was read from {KIND_NAMES.get(kind, kind)} "
                                f"({path.name}) for analysis; Knobs never writes to it.")

    def in_use_elsewhere(self) -> bool:
        return False  # it is not ours to follow; reopen it to see newer trials

    def study_note(self) -> str:
        return ""

    def chosen(self) -> None:
        return None  # Optuna keeps no chosen trial

    def close(self) -> None:
        """Nothing is held open: the storage was read once."""

    def checkpoint(self) -> None:
        """Nothing to save."""

    def copy_to(self, target: Any) -> None:
        raise StudyFileError(f"{self.path}: {self.readonly_reason} Export its trials (File → "
                             "Export trials) to keep them in another form.")

    def write_spec(self, spec: Any) -> None:
        raise StudyFileError(f"{self.path}: opened read-only")

    def _refuse(self, *args: Any) -> None:
        raise StudyFileError(f"{self.path}: opened read-only; {self.readonly_reason}")

    write_trial = write_intermediate = write_note = write_study_note = write_chosen = _refuse


def open_foreign_study(path: str | Path, name: str | None = None) -> Study:
    """Read study ``name`` of an Optuna storage (SQLite or journal) into a read-only Study.

    Raises OptunaStorageError when the file is not such a storage, the name is missing or
    unknown, or its parameters cannot be Knobs parameters.
    """
    path = Path(path)
    kind = foreign_kind(path)
    foreign = read_foreign(path, name) if kind is not None else None
    if foreign is None:
        raise OptunaStorageError(f"{path}: not an Optuna storage (SQLite or journal file)")
    try:
        spec = spec_from_dict({
            "name": foreign.name, "direction": foreign.direction, "params": list(foreign.params),
            # Never run: the study is read-only. The form shows an empty Python objective.
            "objective": {"kind": "python", "path": "", "function": "objective"},
        }, source=str(path))
    except SpecError as exc:
        raise OptunaStorageError(f"{path}: study {foreign.name!r} cannot be shown: "
                                 + "; ".join(exc.problems)) from None
    return Study(spec, ForeignFile(path, kind, foreign.name), list(foreign.trials))
