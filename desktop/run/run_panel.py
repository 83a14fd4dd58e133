"""The run panel: search method, budget, workers, where trials run, Run / Pause / Stop,
progress and ETA."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.run.cluster_section import ClusterSection
from desktop.run.cluster_tls import TlsFields
from desktop.run.pruner_box import PrunerBox
from desktop.scroll_area import VerticalScrollArea
from engine.progress import eta_seconds, format_duration, format_value, planned_seconds
from engine.runner import default_workers
from engine.samplers import SAMPLERS
from engine.spec import StudySpec
from engine.study import Study, Summary
from engine.trial import TrialState

ESTIMATE_FROM = 2_000  # the last trials the estimate of a next run is made from

# Shown in the order a newcomer should consider them; only samplers that exist are listed.
METHODS = {
    "bayes": ("Bayesian optimization",
              "Learns from finished trials which settings look promising and tries those "
              "next. The best choice when each trial takes a while. Past 400 trials it "
              "models a sample of them, so each pick stays fast."),
    "sobol": ("Quasi-random (Sobol)",
              "Like random, but spread evenly, so fewer trials cover the space. "
              "A good first look at a new problem."),
    "random": ("Random",
               "Independent random draws. A strong baseline for any number of parameters."),
    "grid": ("Grid",
             "Every combination of each parameter's grid values, once. Best for one to three "
             "parameters with a few values each."),
}


class RunPanel(ClusterSection, QWidget):
    """Settings of a run and the buttons that drive it; owns no study.

    The main window calls :meth:`load` / :meth:`apply` to move settings between the panel
    and a spec, :meth:`set_mode` as the pool changes state, and :meth:`show_progress` on
    every batch of trial updates.
    """

    run_requested = Signal()
    pause_requested = Signal()
    resume_requested = Signal()
    stop_requested = Signal()
    changed = Signal()
    connection_tested = Signal(bool, str)  # ok, the sentence shown under the address

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._mode = "idle"
        self._test_generation = 0  # a result of an older test (or address) is dropped
        self._can_run = True
        self._run_started = 0.0
        self._finished_at_start = 0
        self._build()

    # --- building --------------------------------------------------------------------

    def _build(self) -> None:
        self.method = QComboBox()
        _narrow(self.method)
        for name, (label, tip) in METHODS.items():
            if name in SAMPLERS:
                self.method.addItem(label, name)
                self.method.setItemData(self.method.count() - 1, tip, Qt.ToolTipRole)
        self.method_help = QLabel()
        self.method_help.setWordWrap(True)
        self.method_help.setObjectName("hint")
        self.shuffle = QCheckBox("Visit the cells in random order")
        self.shuffle.setToolTip("With a budget smaller than the grid, a shuffled grid samples "
                                "the whole grid instead of its first corner.")

        self.pruning = PrunerBox()
        self.pruning.setToolTip("Stop trials whose learning curve is visibly going nowhere, "
                                "to spend the compute on promising ones.")

        self.trials = QSpinBox()
        self.trials.setRange(1, 1_000_000)
        self.trials.setToolTip("How many trials to finish (failed ones count too).")
        self.use_time = QCheckBox("Stop after")
        self.minutes = QDoubleSpinBox()
        self.minutes.setRange(0.1, 7 * 24 * 60)
        self.minutes.setDecimals(1)
        self.minutes.setSuffix(" min")
        self.minutes.setValue(30)
        self.use_steps = QCheckBox("Stop after")
        self.steps = QSpinBox()
        self.steps.setRange(1, 100_000_000)
        self.steps.setValue(1000)
        self.steps.setSuffix(" steps")
        self.steps.setToolTip("A budget of compute: the steps (epochs, iterations) all trials "
                              "report, summed. With pruning, stopped trials cost only the "
                              "steps they ran.")
        self.workers = QSpinBox()
        self.workers.setRange(1, 256)
        self.workers.setToolTip("Trials that run at the same time, each in its own process. "
                                f"This computer has {default_workers()} cores.")
        self.timeout = QSpinBox()
        self.timeout.setRange(0, 7 * 24 * 3600)
        self.timeout.setSuffix(" s")
        self.timeout.setSpecialValueText("no limit")
        self.timeout.setToolTip("A trial running longer than this is stopped and marked failed.")
        self.use_seed = QCheckBox("Fixed seed")
        self.use_seed.setToolTip("The same seed gives the same suggestions (with one worker).")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)

        time_row = QHBoxLayout()
        time_row.addWidget(self.use_time)
        time_row.addWidget(self.minutes, 1)
        steps_row = QHBoxLayout()
        steps_row.addWidget(self.use_steps)
        steps_row.addWidget(self.steps, 1)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.use_seed)
        seed_row.addWidget(self.seed, 1)

        # Where trials run is a choice for this run, not part of the study: apply() leaves
        # it out of the spec (a spec's [cluster] table, for the command line, is shown here).
        self.where = QComboBox()
        _narrow(self.where)
        self.where.addItem("This computer", "local")
        self.where.addItem("Dask cluster", "cluster")
        self.where.setToolTip("A Dask cluster runs the trials on other machines; choosing "
                              "trials and saving the study stay on this computer.")
        self.address = QLineEdit()
        self.address.setPlaceholderText("tcp://HOST:8786, tls://HOST:8786, or local:2 to try "
                                        "it here")
        self.address.setToolTip("The address of a running Dask scheduler (see the cluster "
                                "guide), or local:N for N worker processes on this computer.")
        self.tls_fields = TlsFields()  # shown for a tls:// address
        self.test_button = QPushButton("Test connection")
        self.test_button.setToolTip("Ask the scheduler how many workers and threads it has.")
        self.cluster_result = QLabel()
        self.cluster_result.setWordWrap(True)
        self.cluster_result.setObjectName("hint")
        self._test_row = QHBoxLayout()
        self._test_row.addWidget(self.test_button)
        self._test_row.addStretch(1)

        # Everything to start and stop a run stays in view: the settings scroll, the
        # buttons, message, progress and best below them never do. Settings a first run
        # needs come first; the rest fold under "More options", which says what it holds.
        self.more_button = QToolButton()
        self.more_button.setObjectName("more_options")
        self.more_button.setText("More options")
        self.more_button.setCheckable(True)
        self.more_button.setArrowType(Qt.RightArrow)
        self.more_button.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.more_button.setAutoRaise(True)
        self.more_button.setToolTip("Stopping bad trials early, a step budget, workers, the "
                                    "trial timeout, the seed and where trials run.")
        self.more_summary = QLabel()
        self.more_summary.setObjectName("hint")
        self.more_summary.setWordWrap(True)
        more_row = QHBoxLayout()
        more_row.addWidget(self.more_button)
        more_row.addWidget(self.more_summary, 1)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.DontWrapRows)
        form.addRow("Method", self.method)
        form.addRow("", self.method_help)
        form.addRow("", self.shuffle)
        form.addRow("Trials", self.trials)
        form.addRow("Time limit", time_row)
        form.addRow(more_row)
        # One form, so the folded rows line up with the others when shown.
        self._more_rows = (self.pruning, steps_row, self.workers, self.timeout, seed_row,
                           self.where)
        form.addRow("Stop early", self.pruning)
        form.addRow("Step budget", steps_row)
        form.addRow("Workers", self.workers)
        form.addRow("Timeout", self.timeout)
        form.addRow("Seed", seed_row)
        form.addRow("Run on", self.where)
        form.addRow("Scheduler", self.address)
        form.addRow("TLS files", self.tls_fields)
        form.addRow("", self._test_row)
        form.addRow("", self.cluster_result)
        self._form = form
        settings = QWidget()
        settings_layout = QVBoxLayout(settings)
        settings_layout.setContentsMargins(0, 0, 0, 0)
        settings_layout.addLayout(form)
        settings_layout.addStretch(1)
        self.settings_area = VerticalScrollArea(settings)
        # On a short screen the settings give up height first: the message under the
        # buttons wraps to its full length rather than being cut.
        self.settings_area.setMinimumHeight(3 * self.fontMetrics().lineSpacing())

        style = self.style()
        self.run_button = QPushButton(style.standardIcon(QStyle.SP_MediaPlay), "Run")
        self.run_button.setDefault(True)
        self.run_button.setShortcut("Ctrl+R")
        self.pause_button = QPushButton(style.standardIcon(QStyle.SP_MediaPause), "Pause")
        self.pause_button.setToolTip("Let the running trials finish and start no new ones.")
        self.stop_button = QPushButton(style.standardIcon(QStyle.SP_MediaStop), "Stop")
        self.stop_button.setToolTip("End the running trials now; finished trials are kept.")
        buttons = QHBoxLayout()
        for b in (self.run_button, self.pause_button, self.stop_button):
            buttons.addWidget(b)

        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.best_label = QLabel("Best so far: –")
        self.best_label.setWordWrap(True)
        self.eta_label = QLabel("")
        self.eta_label.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        status = QHBoxLayout()
        status.addWidget(self.best_label, 1)
        status.addWidget(self.eta_label)
        self.savings_label = QLabel("")
        self.savings_label.setObjectName("hint")
        self.savings_label.setWordWrap(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setObjectName("problem")
        self.message.hide()

        footer = QVBoxLayout()
        footer.addLayout(buttons)
        footer.addWidget(self.message)
        footer.addWidget(self.progress)
        footer.addLayout(status)
        footer.addWidget(self.savings_label)
        layout = QVBoxLayout(self)
        layout.addWidget(self.settings_area, 1)
        layout.addLayout(footer)

        self.method.currentIndexChanged.connect(self._on_method_changed)
        self.use_time.toggled.connect(self.minutes.setEnabled)
        self.use_steps.toggled.connect(self.steps.setEnabled)
        self.use_seed.toggled.connect(self.seed.setEnabled)
        for w in (self.trials, self.minutes, self.steps, self.workers, self.timeout, self.seed):
            w.valueChanged.connect(self.changed)
        for w in (self.shuffle, self.use_time, self.use_steps, self.use_seed):
            w.toggled.connect(self.changed)
        self.pruning.changed.connect(self.changed)
        self.changed.connect(self._update_more_summary)
        self.more_button.toggled.connect(self._on_more_button_toggled)
        self.run_button.clicked.connect(self.run_requested)
        self.pause_button.clicked.connect(self._on_pause_clicked)
        self.stop_button.clicked.connect(self.stop_requested)
        self.where.currentIndexChanged.connect(self._on_where_changed)
        self.address.textEdited.connect(self._on_address_edited)
        self.test_button.clicked.connect(self._on_test_clicked)
        # Queued: the result is emitted on the test's thread and shown on the GUI thread.
        self._on_more_button_toggled(False)
        self._on_method_changed()
        self.set_mode("idle")
        self.show_progress(None)

    # --- spec <-> panel --------------------------------------------------------------

    def load(self, spec: StudySpec) -> None:
        """Show a spec's run settings without announcing each one as a change."""
        widgets = (self.method, self.shuffle, self.trials, self.use_time, self.minutes,
                   self.use_steps, self.steps, self.workers, self.timeout, self.use_seed,
                   self.seed)
        for w in widgets:
            w.blockSignals(True)
        index = self.method.findData(spec.sampler)
        self.method.setCurrentIndex(max(index, 0))
        self.shuffle.setChecked(bool(spec.sampler_options.get("shuffle", False)))
        self.trials.setValue(spec.trials or 50)
        self.use_time.setChecked(spec.time_s is not None)
        self.minutes.setValue((spec.time_s or 1800) / 60)
        self.use_steps.setChecked(spec.steps is not None)
        self.steps.setValue(spec.steps or 1000)
        self.workers.setValue(spec.workers or default_workers())
        self.timeout.setValue(int(spec.timeout_s or 0))
        self.use_seed.setChecked(spec.seed is not None)
        self.seed.setValue(spec.seed or 0)
        for w in widgets:
            w.blockSignals(False)
        self.pruning.load(spec)
        self.load_cluster(spec.cluster)
        self._on_method_changed()
        self.minutes.setEnabled(self.use_time.isChecked())
        self.steps.setEnabled(self.use_steps.isChecked())
        self.seed.setEnabled(self.use_seed.isChecked())

    def apply(self, spec: StudySpec) -> StudySpec:
        """The spec with this panel's settings."""
        sampler = self.method.currentData()
        options = {"shuffle": True} if sampler == "grid" and self.shuffle.isChecked() else {}
        return self.pruning.apply(spec).evolve(
            sampler=sampler,
            sampler_options=options,
            trials=self.trials.value(),
            time_s=self.minutes.value() * 60 if self.use_time.isChecked() else None,
            steps=self.steps.value() if self.use_steps.isChecked() else None,
            workers=self.workers.value(),
            timeout_s=float(self.timeout.value()) if self.timeout.value() else None,
            seed=self.seed.value() if self.use_seed.isChecked() else None,
        )

    # --- state -----------------------------------------------------------------------

    def set_mode(self, mode: str) -> None:
        """``idle``, ``running``, ``paused`` or ``stopping``."""
        self._mode = mode
        busy = mode != "idle"
        for w in (self.method, self.shuffle, self.trials, self.use_time, self.minutes,
                  self.use_steps, self.steps, self.workers, self.timeout, self.use_seed,
                  self.seed, self.where, self.address, self.test_button, self.pruning,
                  self.tls_fields):
            w.setEnabled(not busy)
        if not busy:
            self.minutes.setEnabled(self.use_time.isChecked())
            self.steps.setEnabled(self.use_steps.isChecked())
            self.seed.setEnabled(self.use_seed.isChecked())
        self.run_button.setEnabled(not busy and self._can_run)
        self.pause_button.setEnabled(mode in ("running", "paused"))
        self.stop_button.setEnabled(mode in ("running", "paused"))
        icon = QStyle.SP_MediaPlay if mode == "paused" else QStyle.SP_MediaPause
        self.pause_button.setIcon(self.style().standardIcon(icon))
        self.pause_button.setText("Resume" if mode == "paused" else "Pause")
        if mode == "running":
            self._run_started = time.monotonic()

    def set_can_run(self, ok: bool, reason: str = "", run_text: str = "Run", *,
                    info: bool = False) -> None:
        """Enable Run, or disable it and say why right under the buttons.

        ``info`` marks a reason that is no fault (e.g. every planned trial is done): it is
        shown as a note, not in an error's colour.
        """
        self._can_run = ok
        self.run_button.setText(run_text)
        self.run_button.setEnabled(ok and self._mode == "idle")
        self.run_button.setToolTip(reason or "Start the trials (Ctrl+R)")
        self.message.setText(reason)
        name = "note" if info else "problem"
        if self.message.objectName() != name:
            self.message.setObjectName(name)
            self.message.style().unpolish(self.message)  # the style sheet colours by name
            self.message.style().polish(self.message)
        self.message.setVisible(bool(reason) and not ok)

    def mark_run_start(self, finished_before: int) -> None:
        self._run_started = time.monotonic()
        self._finished_at_start = finished_before

    def show_progress(self, study: Study | Summary | None) -> None:
        """Trials done / total, best so far and the ETA at this run's pace.

        During a run the window passes the feed's :class:`Summary` (never the study, whose
        lock a sampler may hold); idle, the study itself, for the estimate of a next run.
        """
        if study is None:
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
            self.progress.setFormat("No trials yet")
            self.best_label.setText("Best so far: –")
            self.eta_label.setText("")
            self.savings_label.setText("")
            return
        finished = study.n_finished
        total = study.total
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(min(finished, total))
            self.progress.setFormat(f"{finished} / {total} trials")
        else:
            self.progress.setRange(0, 0 if self._mode == "running" else 1)
            self.progress.setFormat(f"{finished} trials")
        best = study.best_trial
        summary = study.summary() if isinstance(study, Study) else study
        if summary.front_size is not None:
            # Several objectives: no single best; the front holds the trade-offs.
            n = summary.front_size
            self.best_label.setText(f"Best so far: {n} trial{'s' if n != 1 else ''} on the "
                                    "Pareto front" if n else "Best so far: –")
        else:
            self.best_label.setText(
                f"Best so far: {format_value(best.value)} (trial {best.number})" if best
                else "Best so far: –"
            )
        self.savings_label.setText(study.summary().savings_text if isinstance(study, Study)
                                   else study.savings_text)
        if self._mode in ("running", "paused"):
            remaining = None if total is None else max(0, total - finished)
            eta = eta_seconds(finished - self._finished_at_start,
                              time.monotonic() - self._run_started, remaining)
            self.eta_label.setText(f"ETA {format_duration(eta)}" if eta is not None
                                   else "ETA …")
        elif isinstance(study, Study):
            self.eta_label.setText(self._estimate_text(study))

    def _estimate_text(self, study: Study) -> str:
        """Before a run: what the planned trials should take, once some have run."""
        remaining = self.trials.value() - study.n_finished
        # The recent trials say how long the next ones take; reading all of a 100,000-trial
        # study here would hold up the window each time it is shown.
        durations = [t.duration for t in study.trials[-ESTIMATE_FROM:]
                     if t.state is TrialState.COMPLETE and t.duration is not None]
        seconds = planned_seconds(durations, remaining, self.workers.value())
        if seconds is None:
            return ""
        return f"{remaining} more: about {format_duration(seconds)}"

    # --- handlers --------------------------------------------------------------------

    def _on_method_changed(self) -> None:
        name = self.method.currentData()
        self.method_help.setText(METHODS.get(name, ("", ""))[1])
        self.shuffle.setVisible(name == "grid")
        self.changed.emit()

    def _on_more_button_toggled(self, shown: bool) -> None:
        self.more_button.setArrowType(Qt.DownArrow if shown else Qt.RightArrow)
        for row in self._more_rows:
            self._form.setRowVisible(row, shown)
        self.more_summary.setVisible(not shown)
        self._on_where_changed()
        if shown:
            self._form.activate()
            self.settings_area.ensureWidgetVisible(self.where)
            # Once the unfolded rows are laid out, scroll again: they may have pushed it down.
            area, where = self.settings_area, self.where
            QTimer.singleShot(0, area, lambda: area.ensureWidgetVisible(where))

    def _update_more_summary(self) -> None:
        """What the folded settings are set to, so nothing hidden surprises anyone."""
        parts = []
        pruner = self.pruning.pruner()
        if pruner != "none":
            parts.append(f"stops bad trials ({self.pruning.choice.currentText().split(':')[0]})")
        if self.use_steps.isChecked():
            parts.append(f"{self.steps.value():,} steps")
        workers = self.workers.value()
        parts.append(f"{workers} worker{'s' if workers != 1 else ''}")
        if self.timeout.value():
            parts.append(f"{self.timeout.value()} s timeout")
        if self.use_seed.isChecked():
            parts.append(f"seed {self.seed.value()}")
        if self.where.currentData() == "cluster":
            parts.append("on a Dask cluster")
        self.more_summary.setText(" · ".join(parts))

    def _on_pause_clicked(self) -> None:
        if self._mode == "paused":
            self.resume_requested.emit()
        else:
            self.pause_requested.emit()


def _narrow(combo: QComboBox) -> None:
    # A combo asks for its longest item's width by default, which pushed the dock wide;
    # the list still opens as wide as its items.
    combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(12)
