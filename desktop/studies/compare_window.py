"""Studies: several studies side by side (bayes against random on one model, one model
against another).

A list of studies (Knobs files, Optuna SQLite storages and journal files, the study open in
the window), each read once, read-only, and drawn in its own colour: the best value so far
by trial or by wall time, the distribution of values, and every study's best trial in one
table. The numbers come from :mod:`engine.compare`; this window only draws them.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.plots import _style as style
from engine.compare import Comparison, StudyRecord, compare, load_record, value_distribution
from engine.interop import OptunaStorageError, list_foreign_studies
from engine.storage import StudyFileError

COLOURS = ("#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#db2777", "#0891b2",
           "#4b5563")
OPEN_FILTER = ("Studies (*.knobs *.db *.sqlite *.sqlite3 *.log *.jsonl);;"
               "Knobs study files (*.knobs);;All files (*)")
BY_TRIAL, BY_TIME = "trial", "time"


class StudiesWindow(QWidget):
    """Several studies compared; add them with :meth:`add_path` or :meth:`add_record`."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Studies side by side")
        self.records: list[StudyRecord] = []
        self._hidden: set[str] = set()  # sources of the studies the user unticked
        self.comparison: Comparison | None = None

        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.itemChanged.connect(self._on_list_item_changed)
        self.add_button = QPushButton("Add study\u2026")
        self.add_button.setToolTip("A Knobs study file, or an Optuna storage (SQLite or journal)")
        self.add_button.clicked.connect(self._on_add_button_clicked)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self._on_remove_button_clicked)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b91c1c;")
        self.problem.hide()
        left = QVBoxLayout()
        left.addWidget(QLabel("<b>Studies</b>"))
        left.addWidget(self.list, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        left.addLayout(buttons)
        left.addWidget(self.problem)
        left_widget = QWidget()
        left_widget.setLayout(left)

        self.by_trial = QRadioButton("by trial")
        self.by_time = QRadioButton("by wall time")
        self.by_trial.setChecked(True)
        group = QButtonGroup(self)
        for b in (self.by_trial, self.by_time):
            group.addButton(b)
        self.by_trial.toggled.connect(self._redraw)
        self.history = pg.PlotWidget(background=style.BACKGROUND)
        style.style_plot(self.history.getPlotItem(), "Best value so far", "Trial", "Value")
        self.history_legend = self.history.getPlotItem().addLegend(offset=(-10, 10))
        history_box = QWidget()
        hb = QVBoxLayout(history_box)
        hb.setContentsMargins(0, 0, 0, 0)
        axis_row = QHBoxLayout()
        axis_row.addWidget(QLabel("Best so far"))
        axis_row.addWidget(self.by_trial)
        axis_row.addWidget(self.by_time)
        axis_row.addStretch(1)
        hb.addLayout(axis_row)
        hb.addWidget(self.history, 1)
        self.values = pg.PlotWidget(background=style.BACKGROUND)
        style.style_plot(self.values.getPlotItem(), "Distribution of values", "Value",
                         "Share of complete trials at or below")
        self.values_legend = self.values.getPlotItem().addLegend(offset=(-10, -10))
        for plot in (self.history, self.values):
            for side in ("left", "bottom"):
                # Values are shown as they are: a "(x0.001)" unit prefix confuses more.
                plot.getPlotItem().getAxis(side).enableAutoSIPrefix(False)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(history_box, "Best so far")
        self.tabs.addTab(self.values, "Values")

        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet(f"color: {style.AXIS};")
        self.note.hide()
        self.table = QTableWidget()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        right = QSplitter(Qt.Orientation.Vertical)
        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.tabs, 1)
        tl.addWidget(self.note)
        right.addWidget(top)
        right.addWidget(self.table)
        right.setSizes([420, 160])

        splitter = QSplitter()
        splitter.addWidget(left_widget)
        splitter.addWidget(right)
        splitter.setSizes([230, 770])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self.resize(1000, 620)
        self._redraw()

    # --- studies in --------------------------------------------------------------------

    def add_record(self, record: StudyRecord) -> None:
        """Show one more study (a study already listed from the same source is replaced)."""
        for i, r in enumerate(self.records):
            if r.source == record.source:
                self.records[i] = record
                break
        else:
            self.records.append(record)
        self._fill_list()
        self._redraw()

    def add_path(self, path: str | Path, study: str | None = None) -> bool:
        """Read a study file or a storage's study (read-only) and show it; False (with the
        reason shown under the list) when it cannot be read."""
        try:
            record = load_record(path, study)
        except (StudyFileError, OptunaStorageError, ValueError, OSError) as exc:
            self.problem.setText(f"Cannot add {Path(path).name}: {exc}")
            self.problem.show()
            return False
        self.problem.hide()
        self.add_record(record)
        return True

    def checked_records(self) -> list[StudyRecord]:
        return [r for r in self.records if r.source not in self._hidden]

    def set_axis(self, which: str) -> None:
        (self.by_trial if which == BY_TRIAL else self.by_time).setChecked(True)

    # --- drawing ---------------------------------------------------------------------

    def _fill_list(self) -> None:
        self.list.blockSignals(True)  # a programmatic change is not the user's choice
        self.list.clear()
        for i, r in enumerate(self.records):
            item = QListWidgetItem(_swatch(COLOURS[i % len(COLOURS)]), r.name)
            item.setToolTip(r.source)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked if r.source in self._hidden
                               else Qt.CheckState.Checked)
            self.list.addItem(item)
        self.list.blockSignals(False)

    def _redraw(self, *_args) -> None:
        records = self.checked_records()
        colours = {r.source: COLOURS[i % len(COLOURS)] for i, r in enumerate(self.records)}
        for plot, legend in ((self.history, self.history_legend),
                             (self.values, self.values_legend)):
            plot.getPlotItem().clear()
            legend.clear()
        if not records:
            self.comparison = None
            self.table.setRowCount(0)
            self.table.setColumnCount(0)
            self.note.setText("Add two or more studies to compare them: the study open in "
                              "the window, Knobs study files, or Optuna storages.")
            self.note.show()
            return
        out = compare(records)
        self.comparison = out
        by_time = self.by_time.isChecked()
        scale, unit = _time_scale(out) if by_time else (1.0, "")
        for record, curve in zip(records, out.curves):
            colour = colours[record.source]
            x = curve.elapsed / scale if by_time else curve.numbers.astype(float)
            keep = np.isfinite(x)
            xs, ys = _steps(x[keep], curve.best[keep])
            self.history.plot(xs, ys, pen=style.pen(colour, 2), name=record.name)
            self.history.plot(x[keep], curve.values[keep], pen=None, symbol="o", symbolSize=4,
                              symbolPen=None, symbolBrush=style.brush(colour, 70))
            vx, share = value_distribution(curve)
            vs, ss = _steps(vx, share)
            self.values.plot(vs, ss, pen=style.pen(colour, 2), name=record.name)
        hist = self.history.getPlotItem()
        # Frame the best-so-far lines: a few awful early trials would flatten them.
        bests = [c.best for c in out.curves if c.best.size]
        if bests:
            low = min(float(b.min()) for b in bests)
            high = max(float(b.max()) for b in bests)
            pad = 0.08 * (high - low) if high > low else max(abs(high), 1.0) * 0.1
            hist.setYRange(low - pad, high + pad, padding=0)
        style.set_axis_label(hist, "bottom", f"Wall time since each study began ({unit})"
                             if by_time else "Trial")
        better = "higher" if out.direction == "maximize" else "lower"
        style.set_axis_label(hist, "left", f"Value ({better} is better)")
        self.note.setText(out.note)
        self.note.setVisible(bool(out.note))
        self._fill_table(out)

    def _fill_table(self, out: Comparison) -> None:
        head = ["Study", "Best trial", "Value", "Complete", "Time to best", *out.param_names]
        self.table.setColumnCount(len(head))
        self.table.setHorizontalHeaderLabels(head)
        self.table.setRowCount(len(out.best))
        for row, best in enumerate(out.best):
            cells = [best.name, "" if best.number is None else f"#{best.number}",
                     "" if best.value is None else f"{best.value:.6g}",
                     f"{best.n_complete} of {best.n_trials}",
                     _duration(best.seconds_to_best),
                     *(_cell(best.params.get(p)) for p in out.param_names)]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col in (1, 2, 3) or isinstance(best.params.get(head[col]), (int, float)):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, item)
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)

    # --- user actions ----------------------------------------------------------------

    def _on_add_button_clicked(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Add studies", "", OPEN_FILTER)
        for path in paths:
            names = list_foreign_studies(path)
            study = None
            if names is not None and len(names) > 1:
                study, ok = QInputDialog.getItem(self, "Which study?",
                                                 f"{Path(path).name} holds several studies:",
                                                 names, 0, False)
                if not ok:
                    continue
            self.add_path(path, study)

    def _on_remove_button_clicked(self) -> None:
        rows = sorted({i.row() for i in self.list.selectedIndexes()}, reverse=True)
        for row in rows:
            del self.records[row]
        self._fill_list()
        self._redraw()

    def _on_list_item_changed(self, item: QListWidgetItem) -> None:
        source = self.records[self.list.row(item)].source
        if item.checkState() == Qt.CheckState.Checked:
            self._hidden.discard(source)
        else:
            self._hidden.add(source)
        self._redraw()


def _steps(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A staircase through the points: each value holds until the next x."""
    if x.size < 2:
        return x, y
    xs = np.repeat(x, 2)[1:]
    ys = np.repeat(y, 2)[:-1]
    return xs, ys


def _time_scale(out: Comparison) -> tuple[float, str]:
    longest = max((float(np.nanmax(c.elapsed)) for c in out.curves
                   if c.elapsed.size and np.isfinite(c.elapsed).any()), default=0.0)
    if longest > 2 * 3600:
        return 3600.0, "h"
    if longest > 120:
        return 60.0, "min"
    return 1.0, "s"


def _duration(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return ""
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _swatch(colour: str, size: int = 12) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(colour))
    return QIcon(pixmap)
