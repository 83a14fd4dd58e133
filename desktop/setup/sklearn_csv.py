"""CsvSection: the CSV part of :class:`~desktop.setup.sklearn_form.SklearnFormWidget`,
mixed into it: the file read (off the GUI thread) in its encoding, the column to predict,
the summary under the preview, and what is wrong with the path or the encoding."""

from __future__ import annotations

from desktop.setup.csv_preview import label_order
from desktop.setup.csv_reader import CsvPeek, encoding_problem
from desktop.setup.form_base import Problem, blocked
from engine.objectives.sklearn_catalog import CLASSIFICATION
from engine.objectives.sklearn_data import infer_task


class CsvSection:
    """The CSV file, its encoding and the column to predict (uses the form's widgets)."""

    def _peek(self) -> CsvPeek | None:
        path = self.csv_field.resolved()
        if not self._is_csv() or path is None:
            return None
        encoding = self._encoding()
        return self._reader.peek(path, encoding) if encoding_problem(encoding) is None else None

    def _encoding(self) -> str:
        return self.encoding_edit.text().strip() or "utf-8"

    def _target_summary(self) -> tuple[str | None, list[str]]:
        """The task the target column calls for and its distinct values, sorted.

        Remembered for the last file and column: the lists and labels ask several times per
        change, and a column of a large file takes a while to go through.
        """
        peek, target = self._peek(), self.target_combo.currentData()
        if peek is None or peek.error or peek.partial or target not in peek.header:
            return None, []
        seen = self._summary[0]
        # The peek itself is kept, not its id(): an id can be reused once the object is gone.
        if seen is None or seen[0] is not peek or seen[1] != target:
            values = peek.column(target)
            distinct = sorted(set(values), key=label_order)
            self._summary = ((peek, target), (infer_task(values) if values else None, distinct))
        return self._summary[1]

    def _refill_targets(self, keep: str) -> None:
        peek = self._peek()
        header = peek.header if peek is not None else ()
        with blocked(self.target_combo):
            self.target_combo.clear()
            for name in header:
                self.target_combo.addItem(name, name)
            if keep and keep not in header:
                self.target_combo.addItem(f"{keep} (not in the file)", keep)
            self.target_combo.setCurrentIndex(self.target_combo.findData(keep) if keep else -1)

    def _csv_summary(self, peek: CsvPeek | None, target: str) -> str:
        if not self.csv_field.text():
            return "Choose a CSV file whose first row names the columns."
        if peek is None:
            return ""
        if peek.error:
            return "The file could not be read; see the problem below."
        if peek.partial:
            return f"Reading the file… (the first rows are shown); {len(peek.header)} columns."
        text = f"{len(peek.rows):,} rows, {len(peek.header)} columns."
        if target in peek.header:
            _, classes = self._target_summary()
            if self.task() == CLASSIFICATION:
                shown = ", ".join(classes[:5]) + (", …" if len(classes) > 5 else "")
                text += (f" '{target}' has {len(classes)} "
                         f"{'class' if len(classes) == 1 else 'classes'}: {shown}.")
            elif classes:
                text += f" '{target}' holds numbers."
        return text

    def _on_reader_ready(self) -> None:
        if self._edit_pending:
            self._on_csv_field_edited("")  # the user chose this file: choose as if it were read
            return
        # More of the file is known: the column list, preview and summary can say more.
        self._refill_targets(self.target_combo.currentData() or "")
        self._show_data()
        self._refill_models(self.model_combo.currentData() or "", adapt=False)
        self._refill_metrics(self.metric_combo.currentData() or "", adapt=False)
        self.revalidate.emit()

    def _file_problems(self) -> list[Problem]:
        """What is wrong with the CSV path or its encoding, said before any reading."""
        found: list[Problem] = []
        problem = encoding_problem(self._encoding())
        if problem:
            found.append(("encoding", problem))
        path = self.csv_field.resolved()
        if path is not None and path.is_dir():
            found.append(("csv", f"CSV file: '{self.csv_field.text()}' is a folder, not a "
                                 "file; choose a CSV file inside it"))
        return found

    def _on_encoding_edit_edited(self, _text: str) -> None:
        # Another encoding may read other column names: the same as choosing the file again.
        self._on_csv_field_edited("")

    def _on_csv_field_edited(self, _text: str) -> None:
        keep = self.target_combo.currentData() or ""
        peek = self._peek()
        if peek is not None and peek.header and keep not in peek.header:
            keep = peek.header[-1]  # most tables put the column to predict last
        self._refill_targets(keep)
        self._after_data_changed()
        # The rest of this edit happens as the file is read (see _on_reader_ready).
        self._edit_pending = self._is_csv() and self._reader.is_reading()

    def _on_preview_header_clicked(self, section: int) -> None:
        if self._editable:
            self.target_combo.setCurrentIndex(section)  # the combo lists the header in order
