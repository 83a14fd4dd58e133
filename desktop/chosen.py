"""Marking the chosen trial from the window: the table's row menu and the Pareto plot's
button both ask here whether a trial can be chosen and do it the same way."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from engine.chosen import choice_problem
from engine.storage import StudyFileError
from engine.study import Study

CHOOSE = "Mark as the chosen trial"
UNCHOOSE = "Unmark as the chosen trial"


def offers_choice(study: Study | None) -> bool:
    """A study of several objectives: its front has trade-offs to choose between."""
    return study is not None and len(study.spec.goals) > 1


def chosen_number(study: Study | None) -> int | None:
    chosen = study.summary().chosen if study is not None else None
    return None if chosen is None else chosen.number


def why_not(study: Study | None, number: int) -> str | None:
    """Why trial ``number`` cannot be marked now, as a sentence; None when it can."""
    if not offers_choice(study):
        return "Only a study of several objectives has a trial to choose from its front."
    file = study.file
    if file is not None and file.readonly:
        return "This study is open read-only, so a choice could not be saved."
    problem = choice_problem(number, study.trials, study.pareto_front)
    return f"Trial {number}: {problem}." if problem else None


def toggle_chosen(parent: QWidget, study: Study, number: int) -> None:
    """Mark trial ``number`` as chosen, or unmark it when it is the chosen one."""
    try:
        study.choose(None if chosen_number(study) == number else number)
    except (ValueError, StudyFileError) as exc:
        QMessageBox.warning(parent, "Chosen trial", f"The choice was not saved: {exc}")
