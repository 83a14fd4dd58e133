"""The main window: study setup and run docks around live plots and the trials table."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths, QTimer
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QShowEvent
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox

from desktop import error_log
from desktop import preferences as prefs
from desktop.dialogs import confirm_objective, show_error
from desktop.file_menu import SPEC_FILTER, FileMenuMixin
from desktop.run.worker_pool import WorkerPool
from desktop.run_state import RunStateMixin
from desktop.studies.optuna_open import open_optuna_study
from desktop.study_loader import LoadedStudy
from desktop.trial_feed import TrialFeed
from desktop.window_layout import WindowLayoutMixin
from engine import bundled, session
from engine.interop.foreign import foreign_kind
from engine.objectives.base import ObjectiveError
from engine.objectives.registry import make_objective, resolve_paths
from engine.spec import SpecError, StudySpec, load_spec, save_spec
from engine.storage import StudyFileError
from engine.study import Study

EXAMPLE_SPEC = bundled.example_spec()
# Objectives that run code from a file: shown to the user before the first run.
RUNS_CODE = ("command", "python")


class MainWindow(WindowLayoutMixin, FileMenuMixin, RunStateMixin, QMainWindow):
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
            self.objective_panel.set_goals(spec.objectives, spec.constraints)
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
        direction = implied or self.direction.currentData()
        spec = StudySpec(
            name=self.name_edit.text().strip() or "Untitled study",
            params=tuple(params),
            objective=self.objective_panel.settings(),
            direction=direction,
            objectives=self.objective_panel.objectives(direction),
            constraints=self.objective_panel.constraints(),
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

    # --- files -----------------------------------------------------------------------

    def new_study(self) -> None:
        if not self._may_discard():
            return
        self._close_study()
        spec = load_spec(EXAMPLE_SPEC).evolve(name="Untitled study")
        self.load_spec(spec, EXAMPLE_SPEC.parent, from_file=False)
        self.setWindowModified(False)

    def open_path(self, path: str | Path, *, background: bool = False) -> bool:
        """Open a study file (.knobs) or import a spec (.toml/.json); True on success.

        With ``background`` a study file is read off the GUI thread (the window stays
        responsive, with a busy cursor and a status line) and shown when read; True then
        means the reading started.
        """
        path = Path(path)
        if path.suffix.lower() in (".toml", ".json"):
            return self.import_spec(path)
        if path.suffix.lower() == ".csv":
            return self._use_csv(path)
        if not self._may_discard():
            return False
        if foreign_kind(path) is not None:
            return open_optuna_study(self, path)
        if background:
            self.loader.load(path)
            return True
        try:
            study, readonly = session.open_study(path)
        except (StudyFileError, SpecError) as exc:
            show_error(self, "Cannot open the study", str(exc))
            return False
        self._show_opened(LoadedStudy(path, study, readonly, None))
        return True

    def show_opened_study(self, study: Study, path: Path, *, from_file: bool = True) -> None:
        """Make an opened study the window's: setup, table, plots, recent files."""
        self._show_opened(LoadedStudy(path, study, False, None), from_file=from_file)

    def _show_opened(self, opened: LoadedStudy, *, from_file: bool = True) -> None:
        path, study = opened.path, opened.study
        self._close_study()
        if opened.readonly:
            self.statusBar().showMessage(
                "Opened read-only: another Knobs process is running this study.", 10_000)
        self.study = study
        self.load_spec(study.spec, path.parent, from_file=from_file)
        if prefs.is_confirmed(self.settings, path, study.spec.objective):
            self._unconfirmed = None  # this user ran this study's code here before
        self.feed.set_study(study, opened.columns)
        self.run_panel.show_progress(study)
        self.setWindowModified(False)
        self._remember(path)

    def _on_loader_loaded(self, opened: LoadedStudy) -> None:
        if self._busy:  # a run started while the file was read: it keeps the window
            opened.study.close()
            return
        self._show_opened(opened)

    def _on_loader_failed(self, path: Path, exc: Exception) -> None:
        if isinstance(exc, (StudyFileError, SpecError)):
            show_error(self, "Cannot open the study", str(exc))
        else:
            error_log.log.error("opening %s failed", path, exc_info=exc)
            show_error(self, "Cannot open the study",
                       f"{path} could not be read: {exc}. The details are in the log "
                       "(Help > Open log folder).")

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
        if self._read_for_analysis_only():
            return False
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
        if self._read_for_analysis_only():
            return False
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

    def _close_study(self) -> None:
        self.loader.cancel()  # a file still being read would replace what is shown now
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
        cluster, tls = self.run_panel.cluster_address(), self.run_panel.cluster_tls()
        try:
            objective = make_objective(spec.objective)
            objective.check([p.name for p in spec.params])
        except ObjectiveError as exc:
            show_error(self, "Cannot run", str(exc))
            return
        if not self.run_panel.check_cluster():  # the problem is shown in the panel
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
        self.pool = WorkerPool(study, objective, parent=self, cluster=cluster, tls=tls)
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
        self.plots.settle()
        pool, self.pool = self.pool, None
        outcome = pool.outcome  # made on the worker side, as the CLI's summary is
        pool.deleteLater()  # its worker threads were joined before it said finished
        self.run_panel.set_mode("idle")
        self._set_setup_read_only(False)
        self.run_panel.show_progress(self.study)
        self._refresh_state()
        if reason == "failed":
            show_error(self, "The study stopped", str(outcome.error))
        else:
            best = outcome.summary.best_trial
            text = {"done": "Study finished.", "stopped": "Stopped; finished trials are saved."}
            extra = f" Best: trial {best.number}." if best else ""
            if outcome.fallbacks:
                extra += (f" The {self.study.spec.sampler} sampler failed {outcome.fallbacks} "
                          "time(s); those trials got random points.")
            front = outcome.summary.front_size
            if front:
                extra += f" {front} trial{'s' if front != 1 else ''} on the Pareto front."
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
        summary = self.feed.summary if self.study is not None else None
        self.counts_label.show_summary(summary)
        if summary is not None:
            self.run_panel.show_progress(summary)

    # --- window events ---------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if not self._docks_sized:
            self._docks_sized = True
            self._size_docks()

    def _read_for_analysis_only(self) -> bool:
        """True (and says so) when the open study came from another tool: not ours to save."""
        reason = getattr(self.study.file, "readonly_reason", None) if self.study else None
        if reason:
            show_error(self, "Cannot save", f"{reason} Export its trials (File \u2192 Export "
                       "trials) to keep them in another form.")
        return bool(reason)

    _ending_now = False  # set by end_now: close without asking

    def end_now(self) -> None:
        """Close without asking (SIGTERM, a logout): running trials end interrupted, finished
        ones stay saved, unsaved setup edits are lost as with any killed program."""
        self._ending_now = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if not self._ending_now and not self._may_discard():
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
            QTimer.singleShot(0, lambda: self.open_path(paths[0], background=True))
            event.acceptProposedAction()
