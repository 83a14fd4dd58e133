"""The "model on a data set" form of the objective panel (objective kind ``sklearn``).

The data decides the task (a bundled data set has its own; a CSV's target column is
inspected), the task decides which models and metrics are offered, and choosing a model
suggests its default search space. A CSV is read once per modification time for its
header, a preview and the task; the full check is the engine's own ``check()``, cached.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCompleter,
    QLineEdit,
    QWidget,
)

from desktop.setup.csv_preview import (
    BUNDLED_INFO,
    METRIC_NAMES,
    MODEL_ABOUT,
    TASK_WORDS,
    CsvPreviewWidget,
)
from desktop.setup.csv_reader import COMMON_ENCODINGS, CsvReader
from desktop.setup.evaluation_box import EvaluationWidget
from desktop.setup.form_base import (
    ObjectiveFormWidget,
    PathFieldWidget,
    Problem,
    add_group_title,
    blocked,
    combo_box,
    hint_label,
    plain_message,
    select_data,
    setting_of,
)
from desktop.setup.sklearn_csv import CsvSection
from engine.objectives.base import ObjectiveError
from engine.objectives.sklearn_catalog import (
    CATALOG,
    CLASSIFICATION,
    DEFAULT_METRIC,
    METRICS,
    TASKS,
    default_space,
    direction_of,
    metrics_for,
    models_for,
)
from engine.objectives.sklearn_data import BUNDLED
from engine.objectives.sklearn_objective import DEFAULT_FOLDS, SklearnObjective

CSV_CHOICE = "\x00csv"  # the data set combo's "CSV file…" entry; no bundled name looks like it


# ---------------------------------------------------------------------------- the form


class SklearnFormWidget(CsvSection, ObjectiveFormWidget):
    """A model from the catalog, scored on a bundled data set or a CSV file."""

    kind = SklearnObjective.kind
    labels = {"model": "Model", "dataset": "Data set", "csv": "CSV file",
              "target": "Column to predict", "task": "Task", "metric": "Score",
              "folds": "Cross-validation folds", "holdout": "Held-out split",
              "encoding": "CSV text encoding",
              "categorical": "Category columns (categorical)",
              "ignore": "Ignored columns (ignore)"}
    own_settings = ("model", "dataset", "csv", "target", "task", "metric", "folds", "holdout",
                    "encoding")
    # Settings the form does not show, outlined on the field they concern.
    _FIELD_OF = {"categorical": "csv", "ignore": "csv"}

    _check_done = Signal(int, str, object)  # from the check thread: generation, key, problems

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._checked: dict[str, list[Problem]] = {}
        self._editable = True
        self._summary: tuple[Any, tuple[str | None, list[str]]] = (None, (None, []))
        # Data is read and checked on worker threads; the newest request wins.
        self._reader = CsvReader(self)
        self._reader.ready.connect(self._on_reader_ready)
        self._check_generation = 0
        self._checking: str | None = None  # the key of the check under way
        self._edit_pending = False  # the user chose a file that is still being read
        self._check_done.connect(self._on_check_done, Qt.ConnectionType.QueuedConnection)

        self.dataset_combo = combo_box("dataset")
        self.dataset_combo.setToolTip("The rows to learn from: a data set that comes with "
                                      "Knobs, or your own table saved as a CSV file.")
        for name in BUNDLED:
            title, _, about = BUNDLED_INFO.get(name, (name, "", ""))
            self.dataset_combo.addItem(title, name)
            self.dataset_combo.setItemData(self.dataset_combo.count() - 1, about,
                                           Qt.ItemDataRole.ToolTipRole)
        self.dataset_combo.insertSeparator(self.dataset_combo.count())
        self.dataset_combo.addItem("CSV file…", CSV_CHOICE)
        self.dataset_info = hint_label("", "dataset_info")

        self.csv_field = PathFieldWidget(name_filter="CSV files (*.csv *.tsv *.txt);;All files (*)",
                                         title="CSV file with the data")
        self.csv_field.line_edit.setObjectName("csv_path")
        self.csv_field.line_edit.setPlaceholderText("data.csv")
        self.csv_field.line_edit.setToolTip(
            "A table saved as CSV (for example from Excel: Save As → CSV UTF-8). The first "
            "row must name the columns.")
        self.encoding_edit = QLineEdit()
        self.encoding_edit.setObjectName("encoding")
        self.encoding_edit.setPlaceholderText("utf-8")
        self.encoding_edit.setCompleter(QCompleter(list(COMMON_ENCODINGS), self.encoding_edit))
        self.encoding_edit.setToolTip(
            "How the file's text is stored. Leave empty for UTF-8 (what Excel's \"CSV UTF-8\" "
            "writes); older Excel files on Windows are often cp1252, Excel's \"Unicode text\" "
            "is utf-16.")
        self.target_combo = combo_box("target")
        self.target_combo.setPlaceholderText("Choose the column to predict")
        self.target_combo.setToolTip("The column the model should learn to predict; every "
                                     "other column is used as input.")
        self.preview = CsvPreviewWidget()
        self.preview.setObjectName("preview")
        self.csv_info = hint_label("", "csv_info")

        self.task_combo = combo_box("task")
        self.task_combo.addItem("Automatic", "")
        for task in TASKS:
            self.task_combo.addItem(TASK_WORDS[task], task)
        self.task_combo.setToolTip(
            "Classification predicts a category (such as yes/no or a species); regression "
            "predicts a number (such as a price). Automatic decides from the column to "
            "predict: text or a few whole numbers mean classification.")

        self.model_combo = combo_box("model")
        self.model_combo.setToolTip("The kind of model to tune. Choosing one fills in the "
                                    "settings worth tuning for it.")
        self.metric_combo = combo_box("metric")
        self.metric_combo.setToolTip("How each trial is scored; the list fits the task.")

        self.evaluation_box = EvaluationWidget()
        box = self.evaluation_box
        self.cv_radio, self.folds_spin = box.cv_radio, box.folds_spin
        self.holdout_radio, self.holdout_spin = box.holdout_radio, box.holdout_spin

        self.rows.add("Data set:", self.dataset_combo)
        self.rows.add_hint(self.dataset_info)
        self.rows.add("CSV file:", self.csv_field)
        self.rows.add("Text encoding:", self.encoding_edit)
        self.rows.add("Column to predict:", self.target_combo)
        self.rows.add_hint(self.csv_info)
        self.rows.add_wide(self.preview)
        self.rows.add("Task:", self.task_combo)
        self.rows.add("Model:", self.model_combo)
        self.rows.add("Score:", self.metric_combo)
        self.rows.add("Evaluation:", self.evaluation_box, tall=True)

        self._fill({"dataset": "iris", "folds": DEFAULT_FOLDS})

        self.dataset_combo.currentIndexChanged.connect(self._on_dataset_combo_changed)
        self.csv_field.edited.connect(self._on_csv_field_edited)
        self.encoding_edit.textEdited.connect(self._on_encoding_edit_edited)
        self.target_combo.currentIndexChanged.connect(self._on_target_combo_changed)
        self.preview.horizontalHeader().sectionClicked.connect(self._on_preview_header_clicked)
        self.task_combo.currentIndexChanged.connect(self._on_task_combo_changed)
        self.model_combo.currentIndexChanged.connect(self._on_model_combo_changed)
        self.metric_combo.currentIndexChanged.connect(self._on_metric_combo_changed)
        self.evaluation_box.changed.connect(self.changed)

    # --- settings ----------------------------------------------------------------------

    def _is_csv(self) -> bool:
        return self.dataset_combo.currentData() == CSV_CHOICE

    def _edited_settings(self) -> dict[str, Any]:
        out: dict[str, Any] = {"model": self.model_combo.currentData() or ""}
        if self._is_csv():
            out["csv"] = self.csv_field.text()
            out["target"] = self.target_combo.currentData() or ""
            if self.encoding_edit.text().strip():
                out["encoding"] = self.encoding_edit.text().strip()
        else:
            out["dataset"] = self.dataset_combo.currentData() or ""
        if self.task_combo.currentData():
            out["task"] = self.task_combo.currentData()
        if self.metric_combo.currentData():
            out["metric"] = self.metric_combo.currentData()
        out.update(self.evaluation_box.settings())
        return out

    def _fill(self, settings: Mapping[str, Any]) -> None:
        widgets = (self.dataset_combo, self.target_combo, self.task_combo, self.model_combo,
                   self.metric_combo)
        with blocked(*widgets):
            csv = str(settings.get("csv") or "")
            if csv or ("csv" in settings and not settings.get("dataset")):
                select_data(self.dataset_combo, CSV_CHOICE)
            else:
                dataset = str(settings.get("dataset") or "")
                select_data(self.dataset_combo, dataset, f"{dataset} (unknown data set)")
            self.csv_field.set_text(csv)
            self.encoding_edit.setText(str(settings.get("encoding") or ""))
            target = str(settings.get("target") or "")
            self._refill_targets(target)
            task = str(settings.get("task") or "")
            select_data(self.task_combo, task, f"{task} (unknown task)")
            self.evaluation_box.fill(settings)
            self._show_data()
            self._refill_models(str(settings.get("model") or ""), adapt=False)
            self._refill_metrics(str(settings.get("metric") or ""), adapt=False)

    def direction(self) -> str | None:
        metric = self.metric_combo.currentData()
        return direction_of(metric) if metric in METRICS else None

    # --- derived state -------------------------------------------------------------------

    def detected_task(self) -> str | None:
        """The task the data calls for, or None while it is unknown (no column chosen)."""
        if not self._is_csv():
            info = BUNDLED_INFO.get(self.dataset_combo.currentData())
            return info[1] if info else None
        return self._target_summary()[0]

    def task(self) -> str | None:
        chosen = self.task_combo.currentData()
        return chosen if chosen in TASKS else self.detected_task()

    def _show_data(self) -> None:
        """Show or hide the CSV rows and update the preview and the descriptions."""
        csv = self._is_csv()
        for widget in (self.csv_field, self.encoding_edit, self.target_combo, self.csv_info,
                       self.preview):
            self.rows.set_visible(widget, csv)
        self.rows.set_visible(self.dataset_info, not csv)
        info = BUNDLED_INFO.get(self.dataset_combo.currentData())
        self.dataset_info.setText(info[2] if info else "")
        peek, target = self._peek(), self.target_combo.currentData() or ""
        readable = peek is not None and not peek.error
        self.preview.show_table(*((peek.header, peek.rows) if readable else ((), ())), target)
        self.preview.setVisible(readable and csv)
        self.csv_info.setText(self._csv_summary(peek, target))
        detected = self.detected_task()
        with blocked(self.task_combo):
            self.task_combo.setItemText(0, f"Automatic: {detected}" if detected else
                                        "Automatic (decided by the column to predict)")

    def _refill_models(self, keep: str, *, adapt: bool) -> bool:
        """List the models for the task, keeping ``keep`` if it fits; True if it changed.

        With ``adapt`` (a user changed the data or task) a model of the other task is
        swapped for its counterpart; without it (settings being loaded) it stays, listed
        apart, and check() reports the mismatch.
        """
        task = self.task()
        chosen = keep
        if adapt and task and keep in CATALOG and CATALOG[keep].task != task:
            twin = [e.id for e in models_for(task) if e.name == CATALOG[keep].name]
            chosen = twin[0] if twin else models_for(task)[0].id
        elif not keep:
            chosen = models_for(task or CLASSIFICATION)[0].id
        with blocked(self.model_combo):
            self.model_combo.clear()
            for t in (task,) if task else TASKS:
                if not task:
                    add_group_title(self.model_combo, f"{t.capitalize()} models")
                for entry in models_for(t):
                    self.model_combo.addItem(entry.name, entry.id)
                    self.model_combo.setItemData(self.model_combo.count() - 1,
                                                 MODEL_ABOUT.get(entry.name),
                                                 Qt.ItemDataRole.ToolTipRole)
            if self.model_combo.findData(chosen) < 0:
                entry = CATALOG.get(chosen)
                self.model_combo.insertSeparator(self.model_combo.count())
                self.model_combo.addItem(f"{entry.name} (a {entry.task} model)" if entry
                                         else f"{chosen} (unknown model)", chosen)
            self.model_combo.setCurrentIndex(self.model_combo.findData(chosen))
        return chosen != keep

    def _refill_metrics(self, keep: str, *, adapt: bool) -> None:
        task = self.task()
        chosen = keep
        if adapt and task and (keep not in METRICS or METRICS[keep][0] != task):
            chosen = DEFAULT_METRIC[task]
        elif not keep:
            chosen = DEFAULT_METRIC[task or CLASSIFICATION]
        with blocked(self.metric_combo):
            self.metric_combo.clear()
            for t in (task,) if task else TASKS:
                if not task:
                    add_group_title(self.metric_combo, f"{t.capitalize()} scores")
                for metric, (metric_task, _) in METRICS.items():
                    if metric_task == t:
                        self._add_metric(metric)
            if self.metric_combo.findData(chosen) < 0:
                self.metric_combo.insertSeparator(self.metric_combo.count())
                if chosen in METRICS:
                    name = METRIC_NAMES.get(chosen, (chosen, ""))[0].split(" (")[0]
                    self.metric_combo.addItem(f"{name} (a {METRICS[chosen][0]} score)", chosen)
                else:
                    self.metric_combo.addItem(f"{chosen} (unknown score)", chosen)
            self.metric_combo.setCurrentIndex(self.metric_combo.findData(chosen))

    def _add_metric(self, metric: str) -> None:
        name, about = METRIC_NAMES.get(metric, (metric, ""))
        better = "higher" if direction_of(metric) == "maximize" else "lower"
        self.metric_combo.addItem(f"{name} ({better} is better)", metric)
        self.metric_combo.setItemData(self.metric_combo.count() - 1, about,
                                      Qt.ItemDataRole.ToolTipRole)

    # --- panel API -------------------------------------------------------------------------

    def set_base_dir(self, base_dir: Path | None) -> None:
        super().set_base_dir(base_dir)
        self.csv_field.base_dir = base_dir
        # The same relative path may now name another file: show it, but change no choice.
        self._refill_targets(self.target_combo.currentData() or "")
        self._show_data()
        self._refill_models(self.model_combo.currentData() or "", adapt=False)
        self._refill_metrics(self.metric_combo.currentData() or "", adapt=False)

    def set_read_only(self, read_only: bool) -> None:
        self._editable = not read_only
        for widget in (self.dataset_combo, self.target_combo, self.task_combo, self.model_combo,
                       self.metric_combo):
            widget.setEnabled(not read_only)
        self.csv_field.set_read_only(read_only)
        self.encoding_edit.setReadOnly(read_only)
        self.evaluation_box.set_editable(not read_only)

    def field_widget(self, setting: str | None) -> QWidget | None:
        setting = self._FIELD_OF.get(setting or "", setting)
        return {"model": self.model_combo, "dataset": self.dataset_combo,
                "csv": self.csv_field.line_edit, "target": self.target_combo,
                "encoding": self.encoding_edit,
                "task": self.task_combo, "metric": self.metric_combo,
                "folds": self.folds_spin, "holdout": self.holdout_spin}.get(setting or "")

    def problems(self) -> list[Problem]:
        if self._is_csv() and not self.csv_field.text():
            return [("csv", "CSV file: no file chosen yet; type its path or click Browse… "
                            "to choose a CSV file")] + self._param_problems()
        if self._is_csv():
            found = self._file_problems()
            if found:
                return found + self._param_problems()
        peek = self._peek()
        if self._is_csv() and self._reader.is_reading():
            return [("csv", f"CSV file: reading {self.csv_field.text()}…")] + self._param_problems()
        if peek is not None and not peek.error and not self.target_combo.currentData():
            return [("target", "Column to predict: none chosen yet; pick the column the model "
                               "should learn to predict (or click its heading in the preview)")
                    ] + self._param_problems()
        settings = self.resolved_settings()
        path = Path(settings["csv"]) if settings.get("csv") else None
        stamp = path.stat().st_mtime if path is not None and path.is_file() else None
        # A failing CSV is parsed again on every check; the engine only caches good ones.
        key = json.dumps([settings, stamp], sort_keys=True, default=str)
        if key not in self._checked and settings.get("csv"):
            # Checking loads the whole table: on a worker thread, the newest check wins.
            if key != self._checking:
                self._check_generation += 1
                self._checking = key
                threading.Thread(target=self._check_in_thread,
                                 args=(self._check_generation, key, settings),
                                 name="knobs-csv-check", daemon=True).start()
            return [("csv", f"CSV file: checking {self.csv_field.text()}…")
                    ] + self._param_problems()
        if key not in self._checked:
            if len(self._checked) > 32:
                self._checked.clear()
            self._checked[key] = self._check(settings)
        found = self._checked[key]
        reported = {setting for setting, _ in found}
        return (found + [p for p in self._fit_problems() if p[0] not in reported]
                + self._param_problems())

    def _check_in_thread(self, generation: int, key: str, settings: dict[str, Any]) -> None:
        found = self._check(settings)
        try:
            self._check_done.emit(generation, key, found)
        except RuntimeError:
            pass  # the form was deleted meanwhile

    def _on_check_done(self, generation: int, key: str, found: list) -> None:
        if generation != self._check_generation:
            return  # the settings changed since; a newer check is under way
        self._checking = None
        if len(self._checked) > 32:
            self._checked.clear()
        self._checked[key] = found
        self.revalidate.emit()

    def _check(self, settings: dict[str, Any]) -> list[Problem]:
        objective = SklearnObjective.from_settings(
            {k: v for k, v in settings.items() if k != "kind"})
        # Without param names: check() stops at its first problem, and a space left over
        # from another model would hide every problem with the data (_param_problems).
        try:
            objective.check()
        except ObjectiveError as exc:
            return [(setting_of(str(exc)), plain_message(str(exc), self.labels))]
        return []

    def _fit_problems(self) -> list[Problem]:
        """A model or score of the other task; check() stops before these at a data problem."""
        task, found = self.task(), []
        model, metric = self.model_combo.currentData(), self.metric_combo.currentData()
        if task and model in CATALOG and CATALOG[model].task != task:
            names = ", ".join(e.name for e in models_for(task))
            found.append(("model", f"Model = '{model}': a {CATALOG[model].task} model, but "
                                   f"the task is {task}; expected one of {names}"))
        if task and metric in METRICS and METRICS[metric][0] != task:
            names = ", ".join(METRIC_NAMES.get(m, (m, ""))[0] for m in metrics_for(task))
            found.append(("metric", f"Score = '{metric}': a {METRICS[metric][0]} score, but "
                                    f"the task is {task}; expected one of {names}"))
        return found

    def _param_problems(self) -> list[Problem]:
        model = self.model_combo.currentData()
        if self.param_names is None or model not in CATALOG:
            return []
        try:
            CATALOG[model].check_names(self.param_names)
        except ObjectiveError as exc:
            return [("model", plain_message(str(exc), self.labels))]
        return []

    # --- user actions ----------------------------------------------------------------------

    def _after_data_changed(self) -> None:
        self._show_data()
        model_changed = self._refill_models(self.model_combo.currentData() or "", adapt=True)
        self._refill_metrics(self.metric_combo.currentData() or "", adapt=True)
        if model_changed:
            self._suggest_space()
        self.changed.emit()

    def _suggest_space(self) -> None:
        model = self.model_combo.currentData()
        if model in CATALOG:
            self.default_space_suggested.emit(list(default_space(model).params))

    def _on_dataset_combo_changed(self, _index: int) -> None:
        self._refill_targets(self.target_combo.currentData() or "")
        self._after_data_changed()

    def _on_target_combo_changed(self, _index: int) -> None:
        self._after_data_changed()

    def _on_task_combo_changed(self, _index: int) -> None:
        self._after_data_changed()

    def _on_model_combo_changed(self, _index: int) -> None:
        self._suggest_space()
        self.changed.emit()

    def _on_metric_combo_changed(self, _index: int) -> None:
        self.changed.emit()
