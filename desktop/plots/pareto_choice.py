"""The Pareto plot's "Mark as chosen" button: the trial selected in any view becomes the
study's chosen trial (see :mod:`engine.chosen`), or stops being it."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from desktop.chosen import CHOOSE, UNCHOOSE, chosen_number, offers_choice, toggle_chosen, why_not
from desktop.trial_feed import TrialFeed

NOTHING_SELECTED = "Click a trial on the front, then mark it as the one you keep."


class ChooseControls:
    """A button acting on the selected trial and a label naming the chosen one."""

    def __init__(self, feed: TrialFeed, parent: QWidget):
        self.feed = feed
        self.parent = parent
        self.button = QPushButton(CHOOSE)
        self.button.clicked.connect(self._on_button_clicked)
        self.label = QLabel()
        feed.selected.connect(self._on_feed_selected)

    def update(self) -> None:
        """Follow the study, its chosen trial and the selection."""
        study = self.feed.study
        shown = offers_choice(study)
        self.button.setVisible(shown)
        self.label.setVisible(shown)
        if not shown:
            return
        chosen = chosen_number(study)
        self.label.setText(f"Chosen: trial {chosen}" if chosen is not None
                           else "No trial chosen yet")
        number = self.feed.selection
        if number >= 0 and number == chosen:
            self.button.setText(UNCHOOSE)
            self.button.setEnabled(study.file is None or not study.file.readonly)
            self.button.setToolTip(f"Trial {number} is the chosen trial; unmark it")
            return
        self.button.setText(CHOOSE)
        why = why_not(study, number) if number >= 0 else NOTHING_SELECTED
        self.button.setEnabled(why is None)
        self.button.setToolTip(why or f"Keep trial {number} as the study's chosen trade-off: "
                               "it is saved in the study file, starred in the plots and "
                               "exported")

    def _on_feed_selected(self, _number: int) -> None:
        self.update()

    def _on_button_clicked(self) -> None:
        study, number = self.feed.study, self.feed.selection
        if study is None or number < 0:
            return
        toggle_chosen(self.parent, study, number)
        self.feed.flush()  # the views show the choice now, not at the next tick
        self.update()
