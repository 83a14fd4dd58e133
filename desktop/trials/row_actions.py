"""RowActions: what a trial's row in the trials table offers, mixed into
:class:`~desktop.trials.view.TrialsTableWidget`: its context menu (copy the params as JSON or
as Python code, re-run, the error of a failed trial, the note), double-click and Ctrl+C."""

from __future__ import annotations

import json

from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMenu

from desktop.chosen import CHOOSE, UNCHOOSE, chosen_number, offers_choice, toggle_chosen, why_not
from desktop.trials.code_snippet import python_code
from desktop.trials.error_dialog import TrialErrorDialog
from desktop.trials.model import NUMBER_ROLE
from desktop.trials.note_field import add_note_field
from engine.trial import TrialState


class RowActions:
    """A trial row's actions (mixed into the table widget; uses its model, view, proxy)."""

    def copy_params_as_json(self, number: int) -> str:
        text = json.dumps(self._trial(number).params, indent=2)
        QGuiApplication.clipboard().setText(text)
        return text

    def copy_as_python_code(self, number: int) -> str:
        trial = self._trial(number)
        study = self.model.study
        objective = study.spec.objective if study else {}
        text = python_code(objective, trial)
        QGuiApplication.clipboard().setText(text)
        return text

    def rerun(self, number: int) -> None:
        self.rerun_requested.emit(dict(self._trial(number).params))

    def show_error(self, number: int) -> TrialErrorDialog:
        dialog = TrialErrorDialog(self._trial(number), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def row_menu(self, number: int) -> QMenu:
        """The context menu for one trial's row (not shown yet)."""
        trial = self._trial(number)
        menu = QMenu(self)
        menu.addAction("Copy params as JSON", lambda: self.copy_params_as_json(number))
        menu.addAction("Copy as Python code", lambda: self.copy_as_python_code(number))
        menu.addSeparator()
        menu.addAction("Re-run this configuration", lambda: self.rerun(number))
        if trial.state is TrialState.FAILED:
            menu.addSeparator()
            menu.addAction("Show error…", lambda: self.show_error(number))
        study = self.model.study
        if offers_choice(study):
            menu.addSeparator()
            self._add_choice_action(menu, study, number)
        menu.addSeparator()
        add_note_field(menu, study, trial)
        return menu

    def _add_choice_action(self, menu: QMenu, study, number: int) -> None:
        # Several objectives: the trade-off the user keeps (desktop/chosen.py).
        if chosen_number(study) == number:
            action = menu.addAction(UNCHOOSE, lambda: self._toggle_chosen(number))
            action.setEnabled(study.file is None or not study.file.readonly)
            return
        action = menu.addAction(CHOOSE, lambda: self._toggle_chosen(number))
        why = why_not(study, number)
        if why:
            action.setEnabled(False)
            action.setToolTip(why)
            menu.setToolTipsVisible(True)

    def _toggle_chosen(self, number: int) -> None:
        toggle_chosen(self, self.model.study, number)
        self.model.flush_feed()

    def _on_view_double_clicked(self, index: QModelIndex) -> None:
        trial = self.model.trial_at(self.proxy.mapToSource(index).row())
        if trial.state is TrialState.FAILED:
            self.show_error(trial.number)

    def _on_view_context_menu_requested(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if not index.isValid():
            return
        menu = self.row_menu(index.data(NUMBER_ROLE))
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.view.viewport().mapToGlobal(pos))

    def _on_copy_shortcut_triggered(self) -> None:
        current = self.view.currentIndex()
        if current.isValid():
            self.copy_params_as_json(current.data(NUMBER_ROLE))
