"""ObjectivePanel: the part of "Study setup" where a person picks what to tune.

Three kinds, one form each: a model on a data set (``sklearn``), a training command
(``command``) and a function in a Python file (``python``). The panel edits the spec's
``[objective]`` table and shows every problem inline, on the field it is about, before
anything runs. Switching kinds keeps what was typed in the other forms.

Checking never runs user code: data files are read, Python files only parsed as text.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QButtonGroup,
    QComboBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop.setup.command_form import CommandFormWidget
from desktop.setup.form_base import FormRows, ObjectiveFormWidget, blocked, hint_label
from desktop.setup.goals_box import GoalsWidget
from desktop.setup.python_form import PythonFormWidget
from desktop.setup.sklearn_form import SklearnFormWidget
from engine.goals import Goal, Limit
from engine.objectives.registry import reported_metrics

CHECK_DELAY_MS = 150  # typing re-checks once it pauses, not on every key

_KINDS = (
    ("sklearn", "Model on a data set",
     "Pick a ready-made model and a data set; Knobs trains and scores it. No coding needed."),
    ("command", "Training command",
     "Run your own training program (e.g. a PyTorch or Keras script) once per trial."),
    ("python", "Python function",
     "Call a function from your own Python file once per trial; it returns the score."),
)

# Qt's own arrow images: a styled border makes Qt draw the whole control from the style
# sheet, and without images the combo and spin box arrows would vanish.
_ARROW = ":/qt-project.org/styles/commonstyle/images/arrow-{}-16.png"
_STYLE = """
*[problem="true"] { border: 1px solid #c62828; border-radius: 3px; }
QLineEdit[problem="true"] { padding: 0 2px; }
QComboBox[problem="true"] { padding: 0 20px 0 4px; background: palette(button); }
QComboBox[problem="true"]:editable { background: palette(base); }
QComboBox[problem="true"]::drop-down {
    subcontrol-origin: padding; subcontrol-position: center right; width: 18px; border: none;
}
QComboBox[problem="true"]::down-arrow { image: url(DOWN); width: 8px; height: 8px; }
QSpinBox[problem="true"] { padding-right: 15px; }
QSpinBox[problem="true"]::up-button, QSpinBox[problem="true"]::down-button {
    subcontrol-origin: border; width: 15px; border: none;
}
QSpinBox[problem="true"]::up-arrow { image: url(UP); width: 7px; height: 7px; }
QSpinBox[problem="true"]::down-arrow { image: url(DOWN); width: 7px; height: 7px; }
QLabel[hint="true"] { color: palette(placeholder-text); }
QLabel#problems { color: #b71c1c; }
""".replace("UP", _ARROW.format("up")).replace("DOWN", _ARROW.format("down"))


class ObjectivePanel(QWidget):
    """Edits the objective of a study: ``settings()`` is the spec's ``[objective]`` table.

    Signals:

    - ``changed()``: the user edited something (also once after ``set_settings``).
    - ``validity_changed(bool)``: whether ``problems()`` is empty has changed.
    - ``default_space_suggested(list)``: the user chose a model; the list holds its default
      search space's parameters. The main window decides whether to replace the space.
    """

    changed = Signal()
    validity_changed = Signal(bool)
    # The problems changed without an edit (a file finished reading in the background).
    problems_changed = Signal()
    default_space_suggested = Signal(list)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setStyleSheet(_STYLE)
        self._valid: bool | None = None
        self._load_problem = ""
        self._outlined: list[QWidget] = []

        self._forms: dict[str, ObjectiveFormWidget] = {
            "sklearn": SklearnFormWidget(),
            "command": CommandFormWidget(),
            "python": PythonFormWidget(),
        }
        self._kind_buttons = QButtonGroup(self)
        kind_row = QVBoxLayout()
        kind_row.setSpacing(2)
        for i, (kind, title, about) in enumerate(_KINDS):
            button = QRadioButton(title)
            button.setObjectName(f"kind_{kind}")
            button.setToolTip(about)
            self._kind_buttons.addButton(button, i)
            kind_row.addWidget(button)
        self._kind_about = hint_label("", "kind_about")
        top = FormRows(QGridLayout())
        top.add("What to tune:", kind_row, tall=True)
        top.add_hint(self._kind_about)
        self._top_rows = top

        self._kind = "sklearn"
        for form in self._forms.values():
            form.changed.connect(self._on_form_changed)
            form.default_space_suggested.connect(self.default_space_suggested)
            form.revalidate.connect(self._on_form_revalidate)

        self._problems_label = QLabel()
        self._problems_label.setObjectName("problems")
        self._problems_label.setWordWrap(True)
        self._problems_label.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)  # it usually sits in a tab or a dock already
        layout.addLayout(top.grid)
        layout.addSpacing(4)
        # Only the current form is shown; a hidden one lends no height (a QStackedWidget
        # would size for the tallest, leaving a gap above the problems).
        for form in self._forms.values():
            layout.addWidget(form)
        self.goals = GoalsWidget()
        self.goals.changed.connect(self._on_form_changed)
        layout.addWidget(self.goals)
        layout.addWidget(self._problems_label)
        layout.addStretch(1)

        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(CHECK_DELAY_MS)
        self._check_timer.timeout.connect(self._on_check_timer_timeout)

        self._align_labels()
        self._show_kind("sklearn")
        self._kind_buttons.idToggled.connect(self._on_kind_buttons_toggled)
        self._show_problems()

    # --- public API ------------------------------------------------------------------------

    def kind(self) -> str:
        """The kind of objective shown: "sklearn", "command" or "python"."""
        return self._kind

    def settings(self) -> dict[str, Any]:
        """The spec's ``[objective]`` table, ``kind`` first; paths as the user wrote them."""
        return {"kind": self.kind(), **self._form().settings()}

    def set_settings(self, settings: Mapping[str, Any]) -> None:
        """Show a study's objective, then emit ``changed`` once (and maybe validity)."""
        kind = settings.get("kind")
        self._load_problem = ""
        if kind not in self._forms:
            known = ", ".join(k for k, _, _ in _KINDS)
            self._load_problem = (f"What to tune: the study's objective kind {kind!r} is not "
                                  f"one Knobs knows; expected {known}. Choose one above.")
            kind = self.kind()
        else:
            self._forms[kind].set_settings(settings)
        self._show_kind(kind)
        self._check_timer.stop()
        self._show_problems()
        self.changed.emit()

    def problems(self) -> list[str]:
        """Every problem that would stop a run, as plain sentences naming field and value."""
        listed = [self._load_problem] if self._load_problem else []
        self._update_goal_metrics()
        return (listed + [message for _, message in self._form().problems()]
                + self.goals.problems())

    def objectives(self, direction: str) -> tuple[Goal, ...]:
        """The spec's ``objectives``: none when the score alone counts, else the score (in
        ``direction``) first, then the extra objectives chosen."""
        return tuple(Goal(g.metric, direction) if g.metric == "value" else g
                     for g in self.goals.objectives())

    def constraints(self) -> tuple[Limit, ...]:
        """The spec's ``constraints``: the limits chosen."""
        return self.goals.constraints()

    def set_goals(self, objectives, constraints) -> None:
        """Show a spec's objectives and limits."""
        self._update_goal_metrics()
        self.goals.set_goals(objectives, constraints)
        self._show_problems()

    def _update_goal_metrics(self) -> None:
        self.goals.set_metrics(reported_metrics(self.settings()), self.direction() or "minimize")

    def is_valid(self) -> bool:
        return not self.problems()

    def direction(self) -> str | None:
        """The direction the chosen metric implies, "maximize" or "minimize".

        None for commands and functions: the window then asks the user.
        """
        form = self._form()
        return form.direction() if isinstance(form, SklearnFormWidget) else None

    def set_param_names(self, names: list[str] | None) -> None:
        """The search space's parameter names, for the checks that refer to them."""
        for form in self._forms.values():
            form.set_param_names(list(names) if names is not None else None)
        self._show_problems()

    def set_base_dir(self, path: str | Path | None) -> None:
        """The study's folder: relative paths in the settings start there."""
        base_dir = Path(path) if path else None
        for form in self._forms.values():
            form.set_base_dir(base_dir)
        self._show_problems()

    def set_read_only(self, read_only: bool) -> None:
        """Show the objective without letting it change (e.g. while a study runs)."""
        for button in self._kind_buttons.buttons():
            button.setEnabled(not read_only)
        for form in self._forms.values():
            form.set_read_only(read_only)
        self.goals.set_read_only(read_only)

    # --- internals ---------------------------------------------------------------------------

    def _form(self) -> ObjectiveFormWidget:
        return self._forms[self._kind]

    def _show_kind(self, kind: str) -> None:
        index = [k for k, _, _ in _KINDS].index(kind)
        with blocked(self._kind_buttons, *self._kind_buttons.buttons()):
            self._kind_buttons.button(index).setChecked(True)
        self._kind_about.setText(_KINDS[index][2])
        self._kind = kind
        for form in self._forms.values():
            form.setVisible(form.kind == kind)

    def _align_labels(self) -> None:
        """Give every form's labels one width, so that fields line up across the panel."""
        all_rows = [self._top_rows] + [form.rows for form in self._forms.values()]
        width = max(rows.label_width() for rows in all_rows)
        for rows in all_rows:
            rows.set_label_width(width)

    def _show_problems(self) -> None:
        """Outline the fields that have problems, list the problems, report validity."""
        form = self._form()
        messages = [self._load_problem] if self._load_problem else []
        by_widget: dict[QWidget, list[str]] = {}
        for setting, message in form.problems():
            messages.append(message)
            widget = form.field_widget(setting)
            if widget is not None:
                by_widget.setdefault(widget, []).append(message)
        self._update_goal_metrics()
        messages += self.goals.problems()
        for widget in self._outlined:
            if widget not in by_widget:
                _set_problem(widget, "")
        for widget, texts in by_widget.items():
            _set_problem(widget, "\n".join(texts))
        self._outlined = list(by_widget)
        self._problems_label.setText("\n".join(f"⚠ {m}" for m in messages))
        self._problems_label.setVisible(bool(messages))
        valid = not messages
        if valid != self._valid:
            self._valid = valid
            self.validity_changed.emit(valid)

    def _on_kind_buttons_toggled(self, index: int, checked: bool) -> None:
        if not checked:
            return
        self._load_problem = ""
        self._show_kind(_KINDS[index][0])
        self._show_problems()
        self.changed.emit()

    def _on_form_changed(self) -> None:
        self._check_timer.start()
        self.changed.emit()

    def _on_form_revalidate(self) -> None:
        if self.sender() is self._form():
            self._show_problems()
            self.problems_changed.emit()

    def _on_check_timer_timeout(self) -> None:
        self._show_problems()


def _set_problem(widget: QWidget, message: str) -> None:
    """Outline ``widget`` in red with ``message`` as its tooltip, or restore it ("")."""
    if widget.property("plain_tooltip") is None:
        widget.setProperty("plain_tooltip", widget.toolTip())
        # Drawn from the style sheet, a field would be a few pixels shorter than its
        # neighbours; keep the height the platform gave it, so the form does not jump.
        if isinstance(widget, (QComboBox, QLineEdit, QAbstractSpinBox)):
            widget.setMinimumHeight(max(widget.minimumHeight(), widget.sizeHint().height()))
    if widget.property("problem") is bool(message) and widget.property("problem_text") == message:
        return  # unchanged: no restyling
    widget.setProperty("problem", bool(message))
    widget.setProperty("problem_text", message)
    plain = widget.property("plain_tooltip")
    # The problem comes first; the usual explanation still helps to fix it.
    widget.setToolTip(f"{message}\n\n{plain}" if message and plain else message or plain)
    # A dynamic property only restyles once the style is applied again.
    widget.style().unpolish(widget)
    widget.style().polish(widget)
    widget.update()
