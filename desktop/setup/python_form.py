"""The Python form of the objective panel: a function in a file, read as text only."""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QComboBox, QWidget

from desktop.setup.form_base import (
    ObjectiveFormWidget,
    PathFieldWidget,
    Problem,
    blocked,
    combo_box,
    hint_label,
)
from engine.objectives.base import ObjectiveError
from engine.objectives.python_function import PythonFunctionObjective


@dataclass(frozen=True)
class FunctionScan:
    """The top-level functions a Python file defines, found by reading it as text."""

    names: tuple[str, ...]
    syntax_error: str = ""


_scans: dict[tuple[str, float, int], FunctionScan] = {}
_DEF = re.compile(r"^def\s+([A-Za-z_]\w*)\s*\(", re.MULTILINE)
# Names a training function is usually given; the first one found is preselected.
_LIKELY = ("objective", "train", "evaluate", "score", "run", "main")


def scan_functions(path: Path) -> FunctionScan | None:
    """The file's top-level ``def`` names, cached by modification time; None if unreadable.

    The text is only parsed into a syntax tree (``ast.parse`` runs nothing), never imported.
    """
    try:
        stat = path.stat()
        if not path.is_file():
            return None
        key = (str(path), stat.st_mtime, stat.st_size)
        if key not in _scans:
            text = path.read_text(encoding="utf-8", errors="replace")
            try:
                tree = ast.parse(text, filename=str(path))
            except (SyntaxError, ValueError, RecursionError) as exc:
                line = getattr(exc, "lineno", None)
                where = f"line {line} is" if line else "the file is"
                why = getattr(exc, "msg", "") or type(exc).__name__
                scan = FunctionScan(tuple(_DEF.findall(text)),
                                    f"{where} not valid Python ({why})")
            else:
                scan = FunctionScan(tuple(n.name for n in tree.body
                                          if isinstance(n, ast.FunctionDef)))
            if len(_scans) > 16:
                _scans.clear()
            _scans[key] = scan
        return _scans[key]
    except (OSError, ValueError):
        return None


class PythonFormWidget(ObjectiveFormWidget):
    """A function in a Python file, called once per trial with the parameter values."""

    kind = PythonFunctionObjective.kind
    labels = {"path": "Python file", "function": "Function"}
    own_settings = ("path", "function")

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.path_field = PathFieldWidget(name_filter="Python files (*.py)",
                                          title="Python file with the training function")
        self.path_field.line_edit.setObjectName("py_path")
        self.path_field.line_edit.setPlaceholderText("train.py")
        self.path_field.line_edit.setToolTip("The .py file that holds your training function.")
        self.function_combo = combo_box("function")
        self.function_combo.setEditable(True)
        self.function_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.function_combo.lineEdit().setPlaceholderText("choose a file first")
        self.function_combo.setToolTip(
            "The function Knobs calls for each trial. It receives a dict of parameter values "
            "and returns the score (a number, or a dict with a \"value\").")
        self.rows.add("Python file:", self.path_field)
        self.rows.add("Function:", self.function_combo)
        self.rows.add_hint(hint_label(
            "Knobs only reads the file to list its functions. The function runs when you press "
            "Run, once per trial, in a separate process."))
        self.path_field.edited.connect(self._on_path_field_edited)
        self.function_combo.currentTextChanged.connect(self._on_function_combo_text_changed)

    def _edited_settings(self) -> dict[str, Any]:
        return {"path": self.path_field.text(),
                "function": self.function_combo.currentText().strip()}

    def _fill(self, settings: Mapping[str, Any]) -> None:
        self.path_field.set_text(str(settings.get("path") or ""))
        self._refill_functions(str(settings.get("function") or ""))

    def set_base_dir(self, base_dir: Path | None) -> None:
        super().set_base_dir(base_dir)
        self.path_field.base_dir = base_dir
        self._refill_functions(self.function_combo.currentText())

    def set_read_only(self, read_only: bool) -> None:
        self.path_field.set_read_only(read_only)
        self.function_combo.setEnabled(not read_only)

    def field_widget(self, setting: str | None) -> QWidget | None:
        return {"path": self.path_field.line_edit,
                "function": self.function_combo}.get(setting or "")

    def _scan(self) -> FunctionScan | None:
        path = self.path_field.resolved()
        return scan_functions(path) if path is not None else None

    def _refill_functions(self, keep: str) -> None:
        scan = self._scan()
        names = list(scan.names) if scan else []
        with blocked(self.function_combo):
            self.function_combo.clear()
            self.function_combo.addItems(names)
            self.function_combo.setEditText(keep)
            index = self.function_combo.findText(keep)
            if index >= 0:
                self.function_combo.setCurrentIndex(index)

    def problems(self) -> list[Problem]:
        settings = self.resolved_settings()
        try:
            PythonFunctionObjective.from_settings(settings).check()
            engine: list[Problem] = []
        except ObjectiveError as exc:
            engine = self._engine_problems(str(exc))
        scan = self._scan()
        if scan is None or any(setting != "function" for setting, _ in engine):
            return engine  # no readable file yet: the engine's sentence says why
        path, function = self.path_field.text(), settings["function"]
        if scan.syntax_error:
            return [("path", f"Python file = '{path}': {scan.syntax_error}; the function "
                             "cannot run until the file is fixed")]
        if function.isidentifier() and function not in scan.names:
            # Also when check() passed: it looks for the text "def name", which a
            # "def name_2" satisfies too. The list of names helps more than its sentence.
            return [("function", f"Function = '{function}': no function of that name at the "
                                 f"top level of {path}; the functions are "
                                 + (", ".join(scan.names) or "none"))]
        return engine

    def _on_path_field_edited(self, _text: str) -> None:
        current = self.function_combo.currentText().strip()
        scan = self._scan()
        if not current and scan and scan.names:
            current = next((n for n in _LIKELY if n in scan.names), scan.names[0])
        self._refill_functions(current)
        self.changed.emit()

    def _on_function_combo_text_changed(self, _text: str) -> None:
        self.changed.emit()
