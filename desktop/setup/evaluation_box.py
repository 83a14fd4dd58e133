"""How the "model on a data set" form scores a trial: cross-validation or a held-out split."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QRadioButton,
    QSizePolicy,
    QSpinBox,
    QWidget,
)

from desktop.setup.form_base import blocked
from engine.objectives.sklearn_objective import DEFAULT_FOLDS


class EvaluationWidget(QWidget):
    """Edits ``folds`` or ``holdout`` of the objective; ``changed()`` on every user edit."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._editable = True
        self.cv_radio = QRadioButton("Cross-validate")
        self.cv_radio.setObjectName("cv")
        self.cv_radio.setToolTip(
            "Split the rows into parts (folds); train on all but one and test on that one, "
            "in turn. Slower, but the score depends less on luck.")
        self.folds_spin = QSpinBox()
        self.folds_spin.setObjectName("folds")
        # Wide ranges: a study file's value is shown as it is and checked, never clamped.
        self.folds_spin.setRange(2, 1000)
        self.folds_spin.setSuffix(" folds")
        self.folds_spin.setToolTip(self.cv_radio.toolTip())
        self.holdout_radio = QRadioButton("Hold out")
        self.holdout_radio.setObjectName("holdout_split")
        self.holdout_radio.setToolTip("Train once on part of the rows and test on the rest. "
                                      "Fast; good for large data sets.")
        self.holdout_spin = QSpinBox()
        self.holdout_spin.setObjectName("holdout")
        self.holdout_spin.setRange(1, 99)
        self.holdout_spin.setSingleStep(5)
        self.holdout_spin.setValue(20)
        self.holdout_spin.setSuffix(" % as test")
        self.holdout_spin.setToolTip(self.holdout_radio.toolTip())
        self.group = QButtonGroup(self)
        self.group.addButton(self.cv_radio)
        self.group.addButton(self.holdout_radio)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(4)
        grid.addWidget(self.cv_radio, 0, 0)
        grid.addWidget(self.folds_spin, 0, 1)
        grid.addWidget(self.holdout_radio, 1, 0)
        grid.addWidget(self.holdout_spin, 1, 1)
        grid.setColumnStretch(2, 1)
        for spin in (self.folds_spin, self.holdout_spin):
            # A spin box's minimum is its full size hint by default: a narrow dock cut labels.
            spin.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

        self.group.buttonToggled.connect(self._on_group_button_toggled)
        self.folds_spin.valueChanged.connect(self.changed)
        self.holdout_spin.valueChanged.connect(self.changed)

    def settings(self) -> dict[str, Any]:
        if self.holdout_radio.isChecked():
            return {"holdout": self.holdout_spin.value() / 100}
        return {"folds": self.folds_spin.value()}

    def fill(self, settings: Mapping[str, Any]) -> None:
        """Show ``settings`` without announcing them as an edit."""
        with blocked(self.group, self.cv_radio, self.holdout_radio, self.folds_spin,
                     self.holdout_spin):
            holdout = settings.get("holdout")
            if isinstance(holdout, (int, float)) and not isinstance(holdout, bool):
                self.holdout_radio.setChecked(True)
                self.holdout_spin.setValue(round(holdout * 100))
            else:
                self.cv_radio.setChecked(True)
            folds = settings.get("folds")
            self.folds_spin.setValue(folds if isinstance(folds, int) else DEFAULT_FOLDS)
        self._show()

    def set_editable(self, editable: bool) -> None:
        self._editable = editable
        self.cv_radio.setEnabled(editable)
        self.holdout_radio.setEnabled(editable)
        self._show()

    def _show(self) -> None:
        self.folds_spin.setEnabled(self.cv_radio.isChecked() and self._editable)
        self.holdout_spin.setEnabled(self.holdout_radio.isChecked() and self._editable)

    def _on_group_button_toggled(self, _button: QRadioButton, checked: bool) -> None:
        if checked:  # the group toggles two buttons per switch; report it once
            self._show()
            self.changed.emit()
