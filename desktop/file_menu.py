"""The main window's file chores: the open and save dialogs, recent files, the last folder,
and the questions asked before a study is closed (a part of MainWindow)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from desktop import preferences as prefs

STUDY_FILTER = "Knobs studies (*.knobs)"
SPEC_FILTER = "Study specs (*.toml *.json)"
OPEN_FILTER = ("Studies and specs (*.knobs *.toml *.json);;" + STUDY_FILTER + ";;" + SPEC_FILTER
               + ";;Optuna storages (*.db *.sqlite *.sqlite3 *.log *.jsonl)")


class FileMenuMixin:
    """Dialogs and recent files for MainWindow; opening and saving themselves stay there."""

    def _on_open_triggered(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a study", self._folder(), OPEN_FILTER)
        if path:
            self.open_path(path, background=True)

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

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = prefs.recent_files(self.settings)
        for path in files:
            action = self.recent_menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.triggered.connect(lambda _=False, p=path: self.open_path(p, background=True))
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

    def _use_csv(self, path: Path) -> bool:
        settings = {k: v for k, v in self.objective_panel.settings().items()
                    if k not in ("dataset", "csv", "target")}
        if settings.get("kind") != "sklearn":
            settings = {"kind": "sklearn", "model": "random_forest_classifier"}
        self.objective_panel.set_settings({**settings, "csv": str(path)})
        self.setup_tabs.setCurrentIndex(0)
        return True
