"""Which other tool's storage a file is, and its studies: one entry point for the readers."""

from __future__ import annotations

from pathlib import Path

from engine.interop.optuna_journal import (
    is_optuna_journal,
    list_journal_studies,
    read_journal_study,
)
from engine.interop.optuna_rdb import ForeignStudy, is_optuna_storage, list_studies, read_study


def foreign_kind(path: str | Path) -> str | None:
    """``"optuna-rdb"``, ``"optuna-journal"``, or ``None`` for anything else."""
    if is_optuna_storage(path):
        return "optuna-rdb"
    if is_optuna_journal(path):
        return "optuna-journal"
    return None


def list_foreign_studies(path: str | Path) -> list[str] | None:
    """The study names in another tool's storage, or ``None`` when it is not one."""
    kind = foreign_kind(path)
    if kind == "optuna-rdb":
        return list_studies(path)
    if kind == "optuna-journal":
        return list_journal_studies(path)
    return None


def read_foreign(path: str | Path, study: str | None = None) -> ForeignStudy | None:
    """One study of another tool's storage (read only), or ``None`` when it is not one."""
    kind = foreign_kind(path)
    if kind == "optuna-rdb":
        return read_study(path, study)
    if kind == "optuna-journal":
        return read_journal_study(path, study)
    return None
