"""The main window: study setup and run docks around live plots and the trials table."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths, Qt, QTimer, QUrl
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop import error_log
from desktop import preferences as prefs
from desktop.dialogs import confirm_objective, show_about, show_error, show_user_guide
from desktop.plots.panel import PlotsWidget
from desktop.run.run_panel import RunPanel
from desktop.run.worker_pool import WorkerPool
from desktop.scroll_area import VerticalScrollArea
from desktop.setup.objective_panel import ObjectivePanel
from desktop.setup.space_editor import SpaceEditorWidget
from desktop.trial_feed import TrialFeed
from desktop.trials.view import TrialsTableWidget
from engine import session
from engine.dask_executor import ClusterError, parse_cluster_address
from engine.objectives.base import ObjectiveError
from engine.objectives.registry import make_objective, resolve_paths
from engine.spec import SpecError, StudySpec, load_spec, save_spec
from engine.storage import StudyFileError
from engine.study import Study
from engine.trial import TrialState

STUDY_FILTER = "Knobs studies (*.knobs)"
SPEC_FILTER = "Study specs (*.toml *.json)"
OPEN_FILTER = "Studies and specs (*.knobs *.toml *.json);;" + STUDY_FILTER + ";;" + SPEC_FILTER
EXAMPLE_SPEC = Path(__file__).resolve().parents[1] / "resources" / "examples" / "mlp_digits.toml"
# Objectives that run code from a file: shown to the user before the first run.
RUNS_CODE = ("command", "python")


class MainWindow(QMainWindow):
    """One study at a time: its setup (editable until it runs), its trials and plots."""

    def __init__(self, settings: QSettings | None = None):
        super().__init__()
        self.settings = settings or prefs.make_settings()
        self.feed = TrialFeed(self)
        self.study: Study | None = None
        self.pool: WorkerPool | None = None
        self.spec_dir = EXAMPLE_SPEC.parent
        self._unconfirmed: dict | None = None  # objective loaded from a file, not yet shown
        # Where a run that needs a new study file puts it when no file is open.
        self.studies_folder = Path(
            QStandardPaths.writableLocation(QStandardPaths.DocumentsLocation) or Path.home()
        ) / "Knobs"
        self._loading = False
        self._space_edited = False  # the user changed the space since it was last set
        self._imported_from: Path | None = None
        self.setAcceptDrops(True)
        self._build_views()
        self._build_menus()
        self.feed.updated.connect(self._on_feed_updated)
        self.feed.reset.connect(self._on_feed_updated)
        self._restore_layout()

    # --- layout ----------------------------------------------------------------------

    def _build_views(self) -> None:
        self.plots = PlotsWidget(self.feed)
        self.table = TrialsTableWidget(self.feed)
        self.splitter = QSplitter(Qt.Vertical)
        self.splitter.addWidget(self.plots)
        self.splitter.addWidget(self.table)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.setCentralWidget(self.splitter)

        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("A name for this study")
        self.direction = QComboBox()
        self.direction.addItem("Minimize (lower is better)", "minimize")
        self.direction.addItem("Maximize (higher is better)", "maximize")
        self.objective_panel = ObjectivePanel()
        self.space_editor = SpaceEditorWidget()
        self.setup_tabs = QTabWidget()
        self.setup_tabs.addTab(VerticalScrollArea(self.objective_panel), "What to tune")
        self.setup_tabs.addTab(self.space_editor, "Search space")
        header = QFormLayout()
        header.addRow("Study", self.name_edit)
        header.addRow("Goal", self.direction)
        setup = QWidget()
        setup_layout = QVBoxLayout(setup)
        setup_layout.addLayout(header)
        setup_layout.addWidget(self.setup_tabs, 1)
        self.setup_dock = self._dock("Study setup", setup, "setup")

        self.run_panel = RunPanel()
        # The panel scrolls its own settings; its buttons and progress never scroll away.
        self.run_dock = self._dock("Run", self.run_panel, "run")
        self.splitDockWidget(self.setup_dock, self.run_dock, Qt.Vertical)

        self.counts_label = QLabel()
        self.statusBar().addPermanentWidget(self.counts_label)

        self.name_edit.textChanged.connect(self._on_setup_changed)
        self.direction.currentIndexChanged.connect(self._on_setup_changed)
        self.objective_panel.changed.connect(self._on_setup_changed)
        self.objective_panel.default_space_suggested.connect(self._on_objective_space_suggested)
        self.space_editor.changed.connect(self._on_space_edited)
        self.run_panel.changed.connect(self._on_setup_changed)
        # Once the panel has laid out its rows: only then does it ask for their height.
        self.run_panel.more_button.toggled.connect(lambda: QTimer.singleShot(0, self._size_docks))
        self.run_panel.run_requested.connect(self.run_study)
        self.run_panel.pause_requested.connect(self._on_run_pause)
        self.run_panel.resume_requested.connect(self._on_run_resume)
        self.run_panel.stop_requested.connect(self.stop_study)
        self.table.rerun_requested.connect(self._on_table_rerun)

    def _dock(self, title: str, widget: QWidget, name: str) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{name}")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable
                         | QDockWidget.DockWidgetClosable)
        self.addDockWidget(Qt.LeftDockWidgetArea, dock)
        return dock

    def _build_menus(self) -> None:
        file = self.menuBar().addMenu("&File")
        self._action(file, "&New study", self.new_study, QKeySequence.New)
        self._action(file, "&Open…", self._on_open_triggered, QKeySequence.Open)
        self.recent_menu = file.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file.addSeparator()
        self._action(file, "&Save", self.save, QKeySequence.Save)
        self._action(file, "Save &as…", self._on_save_as_triggered, QKeySequence.SaveAs)
        file.addSeparator()
        self._action(file, "&Import spec…", self._on_import_spec_triggered, "Ctrl+I")
        self._action(file, "Save s&pec as…", self._on_save_spec_triggered)
        export = file.addMenu("&Export trials")
        self._action(export, "As &CSV…", lambda: self._export_trials("csv"), "Ctrl+E")
        self._action(export, "As &JSON…", lambda: self._export_trials("json"))
        file.addSeparator()
        self._action(file, "&Quit", self.close, QKeySequence.Quit)

        view = self.menuBar().addMenu("&View")
        view.addAction(self.setup_dock.toggleViewAction())
        view.addAction(self.run_dock.toggleViewAction())
        view.addSeparator()
        self._action(view, "&Reset layout", self.reset_layout)

        help_menu = self.menuBar().addMenu("&Help")
        self._action(help_menu, "&User guide", lambda: show_user_guide(self),
                     QKeySequence.HelpContents)
        self._action(help_menu, "Open &log folder", self._on_open_log_folder)
        self._action(help_menu, "&About Knobs", lambda: show_about(self))

    def _on_open_log_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(error_log.log_folder())))

    def _action(self, menu, text, slot, shortcut=None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _restore_layout(self) -> None:
        self._default_state = self.saveState()
        geometry = self.settings.value(prefs.GEOMETRY)
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1440, 900)
        state = self.settings.value(prefs.WINDOW_STATE)
        self._docks_sized = state is not None  # else on first show, once laid out
        if state is not None:
            self.restoreState(state)
        splitter = self.settings.value(prefs.SPLITTER)
        if splitter is not None:
            self.splitter.restoreState(splitter)

    def reset_layout(self) -> None:
        self.restoreState(self._default_state)
        for dock in (self.setup_dock, self.run_dock):
            dock.show()
            dock.setFloating(False)
        self.splitter.setSizes([3, 2])
        self._size_docks()

    def _size_docks(self) -> None:
        # The run dock gets the height its folded settings and buttons ask for (up to about
        # half the window), so Run, Stop and the progress show with the settings they need.
        if self.run_dock.isFloating() or self.setup_dock.isFloating():
            return
        height = self.setup_dock.height() + self.run_dock.height()
        if not self.isVisible():
            height = max(self.height() - 60, 2)
        wanted = self.run_panel.sizeHint().height() + 30
        run = max(min(wanted, height - self.setup_dock.minimumSizeHint().height()), 0)
        self.resizeDocks([self.setup_dock, self.run_dock], [height - run, run], Qt.Vertical)

    # --- the study's setup -----------------------------------------------------------

    def load_spec(self, spec: StudySpec, spec_dir: Path, *, from_file: bool = True) -> None:
        """Show a spec in the setup forms; paths in it are taken from ``spec_dir``."""
        self._loading = True
        try:
            self.spec_dir = spec_dir
            objective = resolve_paths(spec.objective, spec_dir)
            self.name_edit.setText(spec.name)
            self.objective_panel.set_base_dir(spec_dir)
            self.objective_panel.set_settings(objective)
            self._set_space(spec.params)
            self.objective_panel.set_param_names([p.name for p in spec.params])
            self.direction.setCurrentIndex(max(0, self.direction.findData(spec.direction)))
            self.run_panel.load(spec)
        finally:
            self._loading = False
        kind = objective.get("kind")
        self._unconfirmed = objective if from_file and kind in RUNS_CODE else None
        self._imported_from = spec_dir if from_file else None
        self._refresh_state()

    def current_spec(self) -> StudySpec | None:
        """The spec the forms describe, or ``None`` while any form has a problem."""
        params = self.space_editor.params()
        if params is None or self.objective_panel.problems():
            return None
        implied = self.objective_panel.direction()
        spec = StudySpec(
            name=self.name_edit.text().strip() or "Untitled study",
            params=tuple(params),
            objective=self.objective_panel.settings(),
            direction=implied or self.direction.currentData(),
        )
        return self.run_panel.apply(spec)

    def setup_problems(self) -> list[str]:
        problems = list(self.objective_panel.problems())
        problems += self.space_editor.problems()
        return problems

    def _on_setup_changed(self) -> None:
        if self._loading:
            return
        self.objective_panel.set_param_names(
            [p.name for p in (self.space_editor.params() or [])]
        )
        self.setWindowModified(True)
        self._refresh_state()

    def _on_space_edited(self) -> None:
        if not self._loading:
            self._space_edited = True
        self._on_setup_changed()

    def _on_objective_space_suggested(self, params: list) -> None:
        if self._loading:
            return
        current = self.space_editor.params()
        # Ask whenever the user's own edits would go, on whichever tab they made them.
        if self._space_edited and current and list(current) != list(params):
            answer = QMessageBox.question(
                self, "Replace the search space?",
                "The chosen model comes with its own search space. Replace the parameters "
                "you have now with the model's defaults?",
            )
            if answer != QMessageBox.Yes:
                return
        self._set_space(params)

    def _set_space(self, params) -> None:
        self.space_editor.set_params(params)
        self._space_edited = False

    def _refresh_state(self) -> None:
        implied = self.objective_panel.direction()
        if implied is not None:
            self.direction.blockSignals(True)
            self.direction.setCurrentIndex(self.direction.findData(implied))
            self.direction.blockSignals(False)
        self.direction.setEnabled(implied is None and not self._busy)
        self.direction.setToolTip(
            "Set by the metric you chose." if implied else "Whether a lower or higher score wins."
        )
        self.run_panel.pruning.set_objective(self.objective_panel.settings())
        problems = self.setup_problems()
        readonly = self.study is not None and self.study.file is not None \
            and self.study.file.readonly
        continues = self._continues()
        info = False
        if readonly:
            reason, ok = "This study is being run by another Knobs window or process.", False
        elif problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            reason, ok = f"Fix the setup first: {problems[0]}{more}", False
        elif continues and self._budget_spent():
            reason = (f"All {self.run_panel.trials.value()} trials are done: raise Trials "
                      "to run more, or set a time limit.")
            ok, info = False, True
        else:
            reason, ok = "", True
        plan = self._plan()
        if continues:
            run_text = "Continue"
        elif plan is not None and plan.action == "new" and self.study is not None:
            run_text = "Run as a new study"
            reason = reason or (
                f"The search changed ({'; '.join(plan.changes)}): Run starts a new study file, "
                f"{plan.path.name}; the {len(self.study.trials)} trials so far stay in "
                f"{self.study.file.path.name if self.study.file else 'the open study'}.")
        else:
            run_text = "Run"
        self.run_panel.set_can_run(ok, reason, run_text, info=info)
        if not self._busy:
            # The estimate follows Trials/Workers, for the study that Run will add to.
            new = plan is not None and plan.action != "continue"
            self.run_panel.show_progress(None if new else self.study)
        self._update_title()

    def _plan(self) -> session.RunPlan | None:
        spec = self.current_spec()
        if spec is None:
            return None
        return session.plan_run(self.study, spec, self._studies_folder(self.study))

    def _continues(self) -> bool:
        spec = self.current_spec()
        return (self.study is not None and bool(self.study.trials) and spec is not None
                and spec.same_search_as(self.study.spec))

    def _budget_spent(self) -> bool:
        spec = self.current_spec()
        if spec is None or self.study is None or spec.time_s is not None:
            return False
        summary = self.feed.summary
        finished = summary.n_finished if summary is not None else self.study.n_finished
        return spec.trials is not None and finished >= spec.trials

    @property
    def _busy(self) -> bool:
        return self.pool is not None and self.pool.running

    def _update_title(self) -> None:
        name = self.name_edit.text().strip() or "Untitled study"
        where = self.study.file.path.name if self.study and self.study.file else "not saved"
        self.setWindowTitle(f"{name} — {where}[*] — Knobs")

    # --- files -----------------------------------------------------------------------

    def new_study(self) -> None:
        if not self._may_discard():
            return
        self._close_study()
        spec = load_spec(EXAMPLE_SPEC).evolve(name="Untitled study")
        self.load_spec(spec, EXAMPLE_SPEC.parent, from_file=False)
        self.setWindowModified(False)

    def open_path(self, path: str | Path) -> bool:
        """Open a study file (.knobs) or import a spec (.toml/.json); True on success."""
        path = Path(path)
        if path.suffix.lower() in (".toml", ".json"):
            return self.import_spec(path)
        if path.suffix.lower() == ".csv":
            return self._use_csv(path)
        if not self._may_discard():
            return False
        try:
            study, readonly = session.open_study(path)
            if readonly:
                self.statusBar().showMessage(
                    "Opened read-only: another Knobs process is running this study.", 10_000)
        except (StudyFileError, SpecError) as exc:
            show_error(self, "Cannot open the study", str(exc))
            return False
        self._close_study()
        self.study = study
        self.load_spec(study.spec, path.parent)
        if prefs.is_confirmed(self.settings, path, study.spec.objective):
            self._unconfirmed = None  # this user ran this study's code here before
        self.feed.set_study(study)
        self.run_panel.show_progress(study)
        self.setWindowModified(False)
        self._remember(path)
        return True

    def import_spec(self, path: str | Path) -> bool:
        path = Path(path)
        if not self._may_discard():
            return False
        try:
            spec = load_spec(path)
        except SpecError as exc:
            show_error(self, "Cannot import the spec", "\n".join(exc.problems),
                       f"{path} has {len(exc.problems)} problem(s):")
            return False
        self._close_study()
        self.load_spec(spec, path.parent)
        self.setWindowModified(True)
        self._remember(path)
        return True

    def save(self) -> bool:
        if self.study is None or self.study.file is None:
            return self._on_save_as_triggered()
        spec = self.current_spec()
        if spec is None:
            show_error(self, "Cannot save", "\n".join(self.setup_problems()),
                       "Fix these problems in the setup first:")
            return False
        if self.study.trials and not spec.same_search_as(self.study.spec):
            return self._on_save_as_triggered()  # changed setup: a new study
        try:
            if self.study.trials:
                self.study.reconfigure(spec)
            else:
                self.study.close()  # nothing run yet: the file takes the new setup whole
                self.study = Study.create(spec, self.study.file.path, overwrite=True)
                self.feed.set_study(self.study)
        except StudyFileError as exc:
            show_error(self, "Cannot save", str(exc))
            return False
        self.setWindowModified(False)
        self.statusBar().showMessage(f"Saved {self.study.file.path}", 5000)
        return True

    def save_as(self, target: str | Path) -> bool:
        target = Path(target)
        spec = self.current_spec()
        if spec is None:
            show_error(self, "Cannot save", "\n".join(self.setup_problems()),
                       "Fix these problems in the setup first:")
            return False
        try:
            keep = self.study is not None and self.study.file is not None \
                and spec.same_search_as(self.study.spec)
            if keep:
                self.study.file.copy_to(target)
                self._close_study()
                study = Study.open(target)
                study.reconfigure(spec)
            else:
                self._close_study()
                study = Study.create(spec, target, overwrite=True)
        except StudyFileError as exc:
            show_error(self, "Cannot save", str(exc))
            return False
        self.study = study
        self.feed.set_study(study)
        self.setWindowModified(False)
        self._remember(target)
        self._refresh_state()
        self.statusBar().showMessage(f"Saved {target}", 5000)
        return True

    def _on_open_triggered(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a study", self._folder(), OPEN_FILTER)
        if path:
            self.open_path(path)

    def _on_import_spec_triggered(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a spec", self._folder(), SPEC_FILTER)
        if path:
            self.import_spec(path)

    def _on_save_as_triggered(self) -> bool:
        name = (self.name_edit.text().strip() or "study").replace(" ", "-")
        path, _ = QFileDialog.getSaveFileName(
            self, "Save the study", str(Path(self._folder()) / f"{name}.knobs"), STUDY_FILTER)
        if not path:
            return False
        return self.save_as(path if path.endswith(".knobs") else path + ".knobs")

    def _on_save_spec_triggered(self) -> None:
        spec = self.current_spec()
        if spec is None:
            show_error(self, "Cannot save the spec", "\n".join(self.setup_problems()))
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save the spec", self._folder(), SPEC_FILTER)
        if not path:
            return
        target = Path(path if Path(path).suffix in (".toml", ".json") else path + ".toml")
        try:
            save_spec(spec, target)
        except OSError as exc:
            show_error(self, "Cannot save the spec",
                       f"{target}: cannot write: {exc.strerror or exc}")
            return
        self.statusBar().showMessage(f"Saved the spec to {target}", 5000)

    def _export_trials(self, fmt: str) -> None:
        if not self.feed.trials:
            show_error(self, "Nothing to export", "This study has no trials yet.")
            return
        self.table.export_with_dialog(fmt)

    def _use_csv(self, path: Path) -> bool:
        settings = {k: v for k, v in self.objective_panel.settings().items()
                    if k not in ("dataset", "csv", "target")}
        if settings.get("kind") != "sklearn":
            settings = {"kind": "sklearn", "model": "random_forest_classifier"}
        self.objective_panel.set_settings({**settings, "csv": str(path)})
        self.setup_tabs.setCurrentIndex(0)
        return True

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = prefs.recent_files(self.settings)
        for path in files:
            action = self.recent_menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.triggered.connect(lambda _=False, p=path: self.open_path(p))
        if not files:
            self.recent_menu.addAction("No recent studies").setEnabled(False)

    def _remember(self, path: Path) -> None:
        prefs.add_recent_file(self.settings, path)
        self.settings.setValue(prefs.LAST_FOLDER, str(Path(path).resolve().parent))

    def _folder(self) -> str:
        return str(self.settings.value(prefs.LAST_FOLDER, str(Path.home())))

    def _may_discard(self) -> bool:
        if not self.isWindowModified() or self._busy:
            return not self._busy or self._ask_stop()
        answer = QMessageBox.question(
            self, "Discard changes?",
            "The study setup has changes that are not saved. Discard them?",
            QMessageBox.Discard | QMessageBox.Cancel,
        )
        return answer == QMessageBox.Discard

    def _ask_stop(self) -> bool:
        answer = QMessageBox.question(
            self, "Stop the running study?",
            "Trials are running. Stop them? Finished trials are kept in the study file.",
        )
        if answer != QMessageBox.Yes:
            return False
        self.stop_study()
        self.pool.wait()
        return True

    def _close_study(self) -> None:
        self.feed.set_study(None)
        if self.study is not None:
            self.study.close()
        self.study = None
        self.run_panel.show_progress(None)

    # --- running ---------------------------------------------------------------------

    def run_study(self) -> None:
        spec = self.current_spec()
        if spec is None or self._busy:
            return
        cluster = self.run_panel.cluster_address()
        try:
            objective = make_objective(spec.objective)
            objective.check([p.name for p in spec.params])
            if cluster is not None:
                parse_cluster_address(cluster)
        except (ObjectiveError, ClusterError) as exc:
            show_error(self, "Cannot run", str(exc))
            return
        if self._unconfirmed is not None and spec.objective == self._unconfirmed:
            if not confirm_objective(self, objective.describe()):
                return
        self._unconfirmed = None
        was = self.study.file.path if self.study is not None and self.study.file else None
        try:
            study = self._study_for(spec)
        except (StudyFileError, OSError) as exc:
            show_error(self, "Cannot save the study", str(exc))
            return
        if spec.objective.get("kind") in RUNS_CODE and study.file is not None:
            prefs.add_confirmed(self.settings, study.file.path, study.spec.objective)
        self.pool = WorkerPool(study, objective, parent=self, cluster=cluster)
        self.pool.finished.connect(self._on_pool_finished)
        self.run_panel.mark_run_start(study.n_finished)
        self.run_panel.set_mode("running")
        self._set_setup_read_only(True)
        self.pool.start()
        where = study.file.path if study.file is not None else None
        saving = f" Saving to {where}." if where is not None and where != was else ""
        self.statusBar().showMessage(f"Running: {objective.describe()}.{saving}")

    def _study_for(self, spec: StudySpec) -> Study:
        """The study this run adds to: the open one if the search is the same, else new."""
        current = self.study
        plan = session.plan_run(current, spec, self._studies_folder(current))
        study = session.start(current, spec, plan)
        if study is not current:
            self.study = study
            self.feed.set_study(study)
            if plan.action == "new":
                self._remember(plan.path)
        self.setWindowModified(False)
        return study

    def _studies_folder(self, current: Study | None) -> Path:
        # Never inside the app's own example folder: see session.new_study_folder.
        return session.new_study_folder(current, self._imported_from, self.studies_folder)

    def stop_study(self) -> None:
        if self.pool is not None and self.pool.running:
            self.run_panel.set_mode("stopping")
            self.pool.stop()

    def _on_run_pause(self) -> None:
        if self.pool is not None:
            self.pool.pause()
            self.run_panel.set_mode("paused")
            self.statusBar().showMessage(
                "Paused: running trials finish, no new ones start. Resume to go on.")

    def _on_run_resume(self) -> None:
        if self.pool is not None:
            self.pool.resume()
            self.run_panel.set_mode("running")
            self.statusBar().showMessage("Running…")

    def _on_pool_finished(self, reason: str) -> None:
        self.feed.flush()
        pool, self.pool = self.pool, None
        self.run_panel.set_mode("idle")
        self._set_setup_read_only(False)
        self.run_panel.show_progress(self.study)
        self._refresh_state()
        if reason == "failed":
            show_error(self, "The study stopped", str(pool.error))
        else:
            best = self.feed.summary.best_trial if self.feed.summary else None
            text = {"done": "Study finished.", "stopped": "Stopped; finished trials are saved."}
            extra = f" Best: trial {best.number}." if best else ""
            self.statusBar().showMessage(text[reason] + extra, 10_000)

    def _on_table_rerun(self, params: dict) -> None:
        if self.study is None:
            return
        try:
            self.study.enqueue(params)
        except ValueError as exc:
            show_error(self, "Cannot re-run", str(exc))
            return
        if self._busy:
            self.statusBar().showMessage("Queued: it runs next.", 5000)
            return
        # Idle: run just this one on top of what is done.
        self.run_panel.trials.setValue(max(self.run_panel.trials.value(), 1))
        self.run_study()

    def _set_setup_read_only(self, read_only: bool) -> None:
        self.name_edit.setReadOnly(read_only)
        self.objective_panel.set_read_only(read_only)
        self.space_editor.set_read_only(read_only)
        self.direction.setEnabled(not read_only and self.objective_panel.direction() is None)

    def _on_feed_updated(self, *_args) -> None:
        # The feed's summary was taken on the worker side: no read through the study lock.
        summary = self.feed.summary
        if self.study is None or summary is None:
            self.counts_label.setText("No trials")
            return
        counts = summary.counts
        parts = [f"{counts[s]} {s.value}" for s in (TrialState.RUNNING, TrialState.COMPLETE,
                                                    TrialState.FAILED, TrialState.PRUNED)]
        if counts[TrialState.INTERRUPTED]:
            parts.append(f"{counts[TrialState.INTERRUPTED]} interrupted")
        self.counts_label.setText(" · ".join(parts))
        self.run_panel.show_progress(summary)

    # --- window events ---------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if not self._docks_sized:
            self._docks_sized = True
            self._size_docks()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if not self._may_discard():
            event.ignore()
            return
        if self.pool is not None:
            self.pool.stop()
            self.pool.wait()
        self.settings.setValue(prefs.GEOMETRY, self.saveGeometry())
        self.settings.setValue(prefs.WINDOW_STATE, self.saveState())
        self.settings.setValue(prefs.SPLITTER, self.splitter.saveState())
        self._close_study()
        event.accept()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if any(Path(u.toLocalFile()).suffix.lower() in (".knobs", ".toml", ".json", ".csv")
               for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.toLocalFile()]
        if paths:
            # Open after the drop returns: a dialog inside a drop handler blocks the drag.
            QTimer.singleShot(0, lambda: self.open_path(paths[0]))
            event.acceptProposedAction()
