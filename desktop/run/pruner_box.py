"""The "Stop bad trials early" part of the run panel: the pruner in plain words, its few
options, and what trials of the objective are judged by (epochs, iterations, trees, data
fraction, reported steps)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from engine.pruners import option_defaults
from engine.pruners.fidelity import describe
from engine.spec import StudySpec

# (label, what it does); the order a newcomer should consider them. Threshold needs bounds
# that only the user knows, so it stays a spec-file setting.
CHOICES = {
    "none": ("Never: run every trial to its end", "Every trial runs all its steps."),
    "asha": ("Successive halving: keep the best third at each checkpoint",
             "At steps 1, 3, 9, 27… (from the first checkpoint, times 3) a trial goes on only "
             "if it is in the best third of the trials that reached that checkpoint. Saves "
             "the most compute; never waits for other trials."),
    "hyperband": ("Hyperband: successive halving at several speeds",
                  "Runs successive halving from aggressive to cautious side by side; safer "
                  "when a slow starter can end up best. Set the steps of a full trial."),
    "median": ("Stop trials that fall behind the median",
               "After the warm-up, a trial whose score at a step is worse than the median of "
               "the other trials at that step is stopped. Gentle and easy to trust."),
}
# The options shown for each pruner: (option, label, tooltip).
OPTIONS = {
    "asha": (("min_steps", "First checkpoint", "The step of the first decision."),
             ("eta", "Keep 1 in", "At each checkpoint, 1 in this many trials goes on.")),
    "hyperband": (("min_steps", "First checkpoint", "The step of the first decision."),
                  ("max_steps", "Steps of a full trial", "Epochs or iterations of one trial."),
                  ("eta", "Keep 1 in", "At each checkpoint, 1 in this many trials goes on.")),
    "median": (("warmup_steps", "Warm-up steps", "No trial is stopped before this step."),
               ("min_trials", "Warm-up trials",
                "No trial is stopped before this many others reached the same step.")),
}
_RANGES = {"min_steps": (1, 100_000), "max_steps": (2, 1_000_000), "eta": (2, 10),
           "warmup_steps": (0, 100_000), "min_trials": (0, 10_000)}


class PrunerBox(QWidget):
    """Edits ``pruner`` / ``pruner_options`` of a spec."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._kept: dict[str, Any] = {}  # options the box does not show (e.g. max_steps)
        self.choice = QComboBox()
        # Its items are sentences: do not let the longest one set the dock's width.
        self.choice.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.choice.setMinimumContentsLength(12)
        for name, (label, tip) in CHOICES.items():
            self.choice.addItem(label, name)
            self.choice.setItemData(self.choice.count() - 1, tip, Qt.ToolTipRole)
        self.help = QLabel()
        self.help.setWordWrap(True)
        self.help.setObjectName("hint")
        self.fidelity = QLabel()
        self.fidelity.setWordWrap(True)
        self.fidelity.setObjectName("hint")
        self.fidelity.setVisible(False)
        self.spins: dict[str, QSpinBox] = {}
        self._form = QFormLayout()
        self._form.setContentsMargins(0, 0, 0, 0)
        for option, (low, high) in _RANGES.items():
            spin = QSpinBox()
            spin.setRange(low, high)
            spin.setObjectName(option)
            spin.valueChanged.connect(self.changed)
            self.spins[option] = spin
            self._form.addRow(option, spin)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.choice)
        layout.addWidget(self.help)
        layout.addWidget(self.fidelity)
        layout.addLayout(self._form)
        self.choice.currentIndexChanged.connect(self._on_choice_changed)
        self._on_choice_changed()

    # --- spec <-> box ----------------------------------------------------------------

    def load(self, spec: StudySpec) -> None:
        widgets = (self.choice, *self.spins.values())
        for w in widgets:
            w.blockSignals(True)
        index = self.choice.findData(spec.pruner)
        if index < 0:  # threshold: written in the spec, kept as it is
            self.choice.addItem(f"{spec.pruner.capitalize()} (from the study file)", spec.pruner)
            index = self.choice.count() - 1
        self.choice.setCurrentIndex(index)
        values = {**option_defaults(spec.pruner), **spec.pruner_options}
        shown = {o for o, _, _ in OPTIONS.get(spec.pruner, ())}
        self._kept = {k: v for k, v in spec.pruner_options.items() if k not in shown}
        for option, spin in self.spins.items():
            if option in shown and values.get(option) is not None:
                spin.setValue(int(values[option]))
        for w in widgets:
            w.blockSignals(False)
        self._on_choice_changed(announce=False)

    def apply(self, spec: StudySpec) -> StudySpec:
        name = self.pruner()
        if name == spec.pruner and name not in OPTIONS:
            return spec  # a pruner the box does not edit keeps its own options
        options = {**(self._kept if name == spec.pruner else {}),
                   **{o: self.spins[o].value() for o, _, _ in OPTIONS.get(name, ())}}
        if options.get("max_steps") is not None and options["max_steps"] <= options.get(
                "min_steps", 1):
            options["max_steps"] = options.get("min_steps", 1) + 1
        return spec.evolve(pruner=name, pruner_options=options)

    def pruner(self) -> str:
        return self.choice.currentData()

    def set_objective(self, objective: Mapping[str, Any]) -> None:
        """Say what this objective's trials are judged by."""
        self.fidelity.setText(describe(objective))
        self.fidelity.setVisible(bool(self.fidelity.text()))

    # --- handlers --------------------------------------------------------------------

    def _on_choice_changed(self, *_: Any, announce: bool = True) -> None:
        name = self.pruner()
        self.help.setText(CHOICES.get(name, ("", ""))[1])
        self.help.setVisible(name != "none")
        defaults = option_defaults(name)
        shown = {o: (label, tip) for o, label, tip in OPTIONS.get(name, ())}
        for option, spin in self.spins.items():
            visible = option in shown
            self._form.setRowVisible(spin, visible)
            if visible:
                label = self._form.labelForField(spin)
                label.setText(shown[option][0])
                spin.setToolTip(shown[option][1])
                if announce and defaults.get(option) is not None:
                    spin.blockSignals(True)
                    spin.setValue(int(defaults[option]))
                    spin.blockSignals(False)
        if announce:
            self.changed.emit()
