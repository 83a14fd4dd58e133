"""GoalsWidget: what else to optimise besides the score, and the limits trials must keep.

Part of the objective panel. Each extra objective is a metric the objective reports (the
sklearn objective's training time, prediction time, model size; any name a command or
function returns) with "lower / higher is better"; each limit is a metric with "at most" or
"at least" and a number, repeated in plain words ("Keep training time under 60 s"). What it
edits is the spec's ``[[objectives]]`` and ``[[constraints]]``, checked by engine/goals.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.setup.form_base import blocked, hint_label
from engine.goals import VALUE, Goal, Limit, metric_label, read_goals

_BETTER = (("lower is better", "minimize"), ("higher is better", "maximize"))
_BOUND = (("at most", "max"), ("at least", "min"))


class _NumberBox(QDoubleSpinBox):
    """A limit's number as people write it: 60, 0.9, 1e-3 (no trailing zeros)."""

    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt override
        return f"{value:g}"


class _Row:
    """One objective or limit row: widgets in a grid row, and a remove button."""

    def __init__(self, metric: QComboBox, choice: QComboBox, number: QDoubleSpinBox | None,
                 words: QLabel | None, remove: QToolButton):
        self.metric, self.choice, self.number, self.words, self.remove = (
            metric, choice, number, words, remove)

    def widgets(self) -> list[QWidget]:
        return [w for w in (self.metric, self.choice, self.number, self.words, self.remove)
                if w is not None]

    def metric_name(self) -> str:
        data = self.metric.currentData()
        text = self.metric.currentText().strip()
        # An editable combo: a typed name is not one of the items' data.
        return data if data is not None and self.metric.itemText(
            self.metric.currentIndex()) == text else text


class GoalsWidget(QWidget):
    """Extra objectives and limits; ``changed()`` on every edit."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._known: dict[str, str | None] | None = {}
        self._main_direction = "minimize"
        self._objectives: list[_Row] = []
        self._limits: list[_Row] = []
        self._read_only = False

        title = QLabel("<b>Objectives and limits</b>")
        self.about = hint_label(
            "Optimise more than the score: add what else matters (a trade-off is shown as a "
            "Pareto front), and limits every good trial must keep.")
        self.objective_grid = QGridLayout()
        self.limit_grid = QGridLayout()
        self.add_objective_button = QPushButton("Add an objective")
        self.add_objective_button.setToolTip("Also optimise another metric the objective "
                                             "reports, e.g. training time")
        self.add_limit_button = QPushButton("Add a limit")
        self.add_limit_button.setToolTip("A limit every trial must keep to count, e.g. "
                                         "training time at most 60 s")
        self.add_objective_button.clicked.connect(lambda: self.add_objective())
        self.add_limit_button.clicked.connect(lambda: self.add_limit())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addWidget(title)
        layout.addWidget(self.about)
        for grid in (self.objective_grid, self.limit_grid):
            grid.setColumnMinimumWidth(0, 95)  # "Also optimise:" and "Limits:" line up
            grid.setColumnStretch(6, 1)  # rows keep their natural width, left-aligned
        layout.addLayout(self.objective_grid)
        layout.addWidget(self.add_objective_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addLayout(self.limit_grid)
        layout.addWidget(self.add_limit_button, 0, Qt.AlignmentFlag.AlignLeft)

    # --- public API ------------------------------------------------------------------------

    def set_metrics(self, known: Mapping[str, str | None] | None, main_direction: str) -> None:
        """The metrics this objective reports (name -> the direction it is better in) with
        the main score as ``"value"``; ``None`` when any name may be typed."""
        known = dict(known) if known is not None else None
        if known == self._known and main_direction == self._main_direction:
            return
        self._known, self._main_direction = known, main_direction
        for row in [*self._objectives, *self._limits]:
            name = row.metric_name()
            self._fill_metrics(row.metric, with_score=row in self._limits)
            self._set_metric(row.metric, name)
        self._refresh_words()

    def objectives(self) -> tuple[Goal, ...]:
        """The spec's objectives: none when only the score counts, else the score first."""
        extra = [Goal(r.metric_name(), r.choice.currentData()) for r in self._objectives]
        return (Goal(VALUE, self._main_direction), *extra) if extra else ()

    def constraints(self) -> tuple[Limit, ...]:
        out = []
        for r in self._limits:
            bound = {r.choice.currentData(): float(r.number.value())}
            out.append(Limit(r.metric_name(), **bound))
        return tuple(out)

    def set_goals(self, objectives: Sequence[Goal], limits: Sequence[Limit]) -> None:
        """Show a spec's objectives (the score's own row is implied) and limits."""
        with blocked(self):
            for row in [*self._objectives, *self._limits]:
                self._remove(row, emit=False)
            for g in objectives:
                if g.metric != VALUE:
                    self.add_objective(g.metric, g.direction)
            for c in limits:
                if c.max is not None:
                    self.add_limit(c.metric, "max", c.max)
                if c.min is not None:
                    self.add_limit(c.metric, "min", c.min)
        self._refresh_words()

    def problems(self) -> list[str]:
        """What stops these goals from running, in the words of the spec's checks."""
        problems: list[str] = []
        data = {"objectives": [{"metric": g.metric, "direction": g.direction}
                               for g in self.objectives()] or None,
                "constraints": [{"metric": c.metric, **({"max": c.max} if c.max is not None
                                                        else {"min": c.min})}
                                for c in self.constraints()] or None}
        read_goals({k: v for k, v in data.items() if v is not None}, self._main_direction,
                   self._known, problems)
        return [_plain(p) for p in problems]

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        for w in (self.add_objective_button, self.add_limit_button):
            w.setEnabled(not read_only)
        for row in [*self._objectives, *self._limits]:
            for w in row.widgets():
                w.setEnabled(not read_only)

    # --- rows ------------------------------------------------------------------------------

    def add_objective(self, metric: str | None = None, direction: str | None = None) -> None:
        combo = self._metric_combo(with_score=False)
        better = QComboBox()
        for text, data in _BETTER:
            better.addItem(text, data)
        row = _Row(combo, better, None, None, self._remove_button())
        if metric is None:
            taken = {r.metric_name() for r in self._objectives}
            free = [combo.itemData(i) for i in range(combo.count())
                    if combo.itemData(i) not in taken]
            metric = free[0] if free else ""
        self._set_metric(combo, metric)
        self._set_direction(row, direction)
        self._objectives.append(row)
        self._place(self.objective_grid, self._objectives, "Also optimise:")
        combo.currentTextChanged.connect(lambda _t, r=row: self._on_objective_metric(r))
        better.currentIndexChanged.connect(self._on_edited)
        row.remove.clicked.connect(lambda _=False, r=row: self._remove(r))
        self._on_edited()

    def add_limit(self, metric: str | None = None, bound: str = "max",
                  number: float | None = None) -> None:
        combo = self._metric_combo(with_score=True)
        kind = QComboBox()
        for text, data in _BOUND:
            kind.addItem(text, data)
        kind.setCurrentIndex(0 if bound == "max" else 1)
        spin = _NumberBox()
        spin.setRange(-1e12, 1e12)
        spin.setDecimals(4)
        spin.setKeyboardTracking(False)
        words = QLabel()
        words.setProperty("hint", True)
        row = _Row(combo, kind, spin, words, self._remove_button())
        if metric is None:
            metric = next((combo.itemData(i) for i in range(combo.count())
                           if combo.itemData(i) != VALUE), "")
        self._set_metric(combo, metric)
        spin.setValue(60.0 if number is None else number)
        self._limits.append(row)
        self._place(self.limit_grid, self._limits, "Limits:")
        for signal in (combo.currentTextChanged, kind.currentIndexChanged, spin.valueChanged):
            signal.connect(self._on_edited)
        row.remove.clicked.connect(lambda _=False, r=row: self._remove(r))
        self._on_edited()

    def _metric_combo(self, with_score: bool) -> QComboBox:
        combo = QComboBox()
        combo.setEditable(self._known is None)
        if self._known is None:
            combo.setToolTip("The name of a metric your program prints in its final JSON "
                             "line, or your function returns in its dict")
            combo.lineEdit().setPlaceholderText("metric name")
        self._fill_metrics(combo, with_score)
        return combo

    def _fill_metrics(self, combo: QComboBox, with_score: bool) -> None:
        with blocked(combo):
            combo.clear()
            combo.setEditable(self._known is None)
            names = [VALUE] if with_score else []
            names += [m for m in (self._known or {}) if m != VALUE]
            for name in names:
                combo.addItem("the score" if name == VALUE else metric_label(name), name)

    def _set_metric(self, combo: QComboBox, name: str) -> None:
        with blocked(combo):
            i = combo.findData(name)
            if i >= 0:
                combo.setCurrentIndex(i)
            elif combo.isEditable():
                combo.setEditText(name)
            elif name:  # a metric this objective does not report: shown, and named a problem
                combo.addItem(name, name)
                combo.setCurrentIndex(combo.count() - 1)

    def _set_direction(self, row: _Row, direction: str | None) -> None:
        implied = (self._known or {}).get(row.metric_name())
        chosen = direction or implied or "minimize"
        with blocked(row.choice):
            row.choice.setCurrentIndex(row.choice.findData(chosen))

    def _remove_button(self) -> QToolButton:
        button = QToolButton()
        button.setText("✕")
        button.setToolTip("Remove")
        return button

    def _place(self, grid: QGridLayout, rows: list[_Row], title: str) -> None:
        while grid.count():
            grid.takeAt(0)
        for i, row in enumerate(rows):
            grid.addWidget(QLabel(title) if i == 0 else QLabel(""), i, 0)
            for c, w in enumerate(row.widgets(), start=1):
                grid.addWidget(w, i, c)

    def _remove(self, row: _Row, emit: bool = True) -> None:
        rows = self._objectives if row in self._objectives else self._limits
        rows.remove(row)
        for w in row.widgets():
            w.deleteLater()
        grid = self.objective_grid if rows is self._objectives else self.limit_grid
        self._place(grid, rows, "Also optimise:" if rows is self._objectives else "Limits:")
        if emit:
            self._on_edited()

    # --- reactions -------------------------------------------------------------------------

    def _on_objective_metric(self, row: _Row) -> None:
        self._set_direction(row, None)  # a known metric knows which way is better
        self._on_edited()

    def _on_edited(self, *_args) -> None:
        self._refresh_words()
        if not self.signalsBlocked():
            self.changed.emit()

    def _refresh_words(self) -> None:
        for row in self._objectives:
            implied = (self._known or {}).get(row.metric_name())
            row.choice.setEnabled(implied is None and not self._read_only)
        for row, limit in zip(self._limits, self.constraints()):
            label = "the score" if limit.metric == VALUE else None
            row.words.setText(limit.words(label) if limit.metric else "")


def _plain(problem: str) -> str:
    """The spec's words for a problem, with the form's names: "Limit 1", "Objective 2"."""
    for key, word in (("objectives[", "Objective "), ("constraints[", "Limit ")):
        if problem.startswith(key):
            index, rest = problem[len(key):].split("]", 1)
            n = int(index) + 1  # the score is objective 1; extra rows follow it
            return f"{word}{n} {rest.lstrip('.')}".replace(" : ", ": ")
    return problem
