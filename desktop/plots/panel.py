"""PlotsWidget: every plot of the current study in tabs, one state filter, one export.

Trials arrive in batches from the :class:`TrialFeed`, which stores them in the one
:class:`TrialColumns` table the trials table reads too; the state filter becomes one boolean
mask, and both are handed to every plot. Only the plot on the visible tab redraws at once;
the others catch up when their tab is opened.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QMessageBox,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.plots import _style as style
from desktop.plots._base import TrialPlotWidget
from desktop.plots._export import export_plot
from desktop.plots.history import HistoryPlotWidget
from desktop.plots.importance import ImportancePlotWidget
from desktop.plots.learning import LearningPlotWidget
from desktop.plots.parallel import ParallelPlotWidget
from desktop.plots.pareto import ParetoPlotWidget
from desktop.plots.slice import SlicePlotWidget
from desktop.plots.surrogate import SurrogatePlotWidget
from desktop.plots.timeline import TimelinePlotWidget
from desktop.trial_feed import TrialFeed
from engine.analysis import TrialColumns
from engine.states import STATE_LABEL
from engine.study import Study
from engine.trial import Trial, TrialState

PLOT_KINDS: tuple[tuple[str, type[TrialPlotWidget]], ...] = (
    ("history", HistoryPlotWidget),
    ("pareto", ParetoPlotWidget),
    ("slice", SlicePlotWidget),
    ("parallel", ParallelPlotWidget),
    ("importance", ImportancePlotWidget),
    ("surrogate", SurrogatePlotWidget),
    ("learning", LearningPlotWidget),
    ("timeline", TimelinePlotWidget),
)
FILTER_STATES = (TrialState.COMPLETE, TrialState.FAILED, TrialState.PRUNED, TrialState.RUNNING,
                 TrialState.INTERRUPTED)
EXPORT_FILTERS = "PNG image (*.png);;SVG image (*.svg)"
DEFER_RESET_TRIALS = 20_000
# A live batch reaches the plots this long after the table: the table's update and paint,
# then the plot's, each in its own event-loop turn, so the window answers in between.
LIVE_DEFER_MS = 40


class PlotsWidget(QWidget):
    """All live plots of the feed's study, with a trial-state filter that applies to every
    plot and an "Export plot…" button for the plot on the current tab."""

    def __init__(self, feed: TrialFeed, parent: QWidget | None = None):
        super().__init__(parent)
        self.feed = feed
        self.columns: TrialColumns | None = None
        self.value_label = "Objective value"

        self.state_boxes: dict[TrialState, QCheckBox] = {}
        bar = QHBoxLayout()
        bar.setContentsMargins(10, 6, 10, 6)
        bar.setSpacing(10)
        for state in FILTER_STATES:
            box = QCheckBox(STATE_LABEL[state])
            box.setIcon(_dot(style.STATE_COLOURS[state]))
            box.setChecked(True)
            box.setToolTip(f"Show {STATE_LABEL[state].lower()} trials in every plot")
            box.toggled.connect(self._on_state_box_toggled)
            self.state_boxes[state] = box
            bar.addWidget(box)
        bar.addStretch(1)
        self.export_button = QPushButton("Export plot\u2026")
        self.export_button.setToolTip("Save the plot on this tab as a PNG or SVG image")
        self.export_button.clicked.connect(self._on_export_button_clicked)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        # Beside the tabs it exports, not in the state bar: that bar then fits a narrow window.
        self.tabs.setCornerWidget(self.export_button)
        self.plots: dict[str, TrialPlotWidget] = {}
        for key, cls in PLOT_KINDS:
            plot = cls(feed)
            self.plots[key] = plot
            self.tabs.addTab(plot, cls.title)
        self.plots["importance"].fitted.connect(self._update_export_button)
        self.plots["surrogate"].fitted.connect(self._update_export_button)
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.tabs, 1)

        self._reset_timer = QTimer(self)
        self._reset_timer.setSingleShot(True)
        self._reset_timer.timeout.connect(self._push)
        self._live_timer = QTimer(self)
        self._live_timer.setSingleShot(True)
        self._live_timer.setInterval(LIVE_DEFER_MS)
        self._live_timer.timeout.connect(lambda: self._push(live=True))
        feed.reset.connect(self._on_feed_reset)
        feed.updated.connect(self._on_feed_updated)
        self._on_feed_reset(feed.study)

    # --- public ----------------------------------------------------------------------

    def shown_states(self) -> list[TrialState]:
        return [s for s, box in self.state_boxes.items() if box.isChecked()]

    def current_plot(self) -> TrialPlotWidget:
        return self.tabs.currentWidget()

    def show_plot(self, key: str) -> TrialPlotWidget:
        """Bring a plot's tab to the front (e.g. ``"parallel"``) and return the plot."""
        self.tabs.setCurrentWidget(self.plots[key])
        return self.plots[key]

    def settle(self) -> None:
        """The run has ended: redraw now, the axes hugging the trials again (while it ran
        they kept room for trials to come)."""
        self._live_timer.stop()
        self._push()

    def export_current(self, path: str | Path) -> Path:
        """Save the current tab's plot; the file's extension (.png or .svg) picks the format."""
        path = Path(path)
        plot = self.current_plot()
        if not plot.can_export():
            raise ValueError(f"The {plot.title} tab shows no plot to export yet.")
        return export_plot(plot.export_item(), path, title=plot.title)

    # --- feed ------------------------------------------------------------------------

    def _on_feed_reset(self, study: Study | None) -> None:
        self._live_timer.stop()  # the reset below shows every trial of the new study
        self.columns = self.feed.columns  # the store the table reads too
        if study is not None:
            self.value_label = _value_label(study)
        # The Pareto tab only for studies of several objectives or limits.
        multi = study is not None and study.is_multi
        self.tabs.setTabVisible(self.tabs.indexOf(self.plots["pareto"]), multi)
        if self.columns is not None and self.columns.n > DEFER_RESET_TRIALS:
            # A big study just opened: the table shows first, the plots one event-loop
            # turn later, so that the window is not held up by both at once.
            self._reset_timer.start(0)
            return
        self._push()

    def _on_feed_updated(self, trials: list[Trial]) -> None:
        if self.columns is not None and not self._live_timer.isActive():
            # The feed has stored the batch in the shared columns; batches that come
            # meanwhile are drawn with it.
            self._live_timer.start()

    def _push(self, live: bool = False) -> None:
        """Hand the table and the filter to every plot (only the visible one draws now)."""
        mask = self.columns.mask(self.shown_states()) if self.columns is not None else None
        for plot in self.plots.values():
            plot.show_trials(self.columns, mask, self.value_label, live=live)
        self._update_counts()
        self._update_export_button()

    def _update_counts(self) -> None:
        counts = self.columns.counts() if self.columns is not None else {}
        for state, box in self.state_boxes.items():
            n = counts.get(state, 0)
            box.setText(f"{STATE_LABEL[state]} ({n})")
            if state is TrialState.INTERRUPTED:
                # Only reopened or stopped studies have these; keep the bar narrow otherwise.
                box.setVisible(n > 0 or not box.isChecked())

    def _update_export_button(self) -> None:
        self.export_button.setEnabled(self.columns is not None and self.current_plot().can_export())

    # --- user actions ----------------------------------------------------------------

    def _on_state_box_toggled(self, _checked: bool) -> None:
        self._push()

    def _on_tabs_current_changed(self, _index: int) -> None:
        self._update_export_button()

    def _on_export_button_clicked(self) -> None:
        plot = self.current_plot()
        name = self.feed.study.spec.name if self.feed.study is not None else "study"
        suggested = f"{name} - {plot.title}.png".replace("/", "-")
        path, chosen = QFileDialog.getSaveFileName(self, "Export plot", suggested, EXPORT_FILTERS)
        if not path:
            return
        if Path(path).suffix.lower() not in (".png", ".svg"):
            path += ".svg" if "svg" in chosen.lower() else ".png"
        try:
            self.export_current(path)
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            QMessageBox.warning(self, "Export plot", f"The plot could not be saved to "
                                f"{path}: {reason}.")


def _value_label(study: Study) -> str:
    metric = study.spec.objective.get("metric")
    name = str(metric).replace("_", " ").capitalize() if metric else "Objective value"
    better = "higher" if study.direction == "maximize" else "lower"
    return f"{name} ({better} is better)"


def _dot(colour: str, size: int = 10) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.Antialiasing)
    painter.setPen(Qt.NoPen)
    painter.setBrush(QColor(colour))
    painter.drawEllipse(1, 1, size - 2, size - 2)
    painter.end()
    return QIcon(pixmap)
