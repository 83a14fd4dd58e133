"""The main window's frame: the setup and run docks around the plots and the trials table,
the menus, and the layout kept between sessions (a part of MainWindow)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFormLayout,
    QLineEdit,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop import error_log
from desktop import preferences as prefs
from desktop.dialogs import show_about, show_user_guide
from desktop.plots.panel import PlotsWidget
from desktop.run.run_panel import RunPanel
from desktop.scroll_area import VerticalScrollArea
from desktop.setup.objective_panel import ObjectivePanel
from desktop.setup.space_editor import SpaceEditorWidget
from desktop.status_counts import StatusCountsLabel
from desktop.studies.menu import install_analysis
from desktop.study_loader import StudyLoader
from desktop.trials.view import TrialsTableWidget


class WindowLayoutMixin:
    """Builds MainWindow's views, docks and menus and keeps their layout; no study logic."""

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

        self.counts_label = StatusCountsLabel()
        self.statusBar().addPermanentWidget(self.counts_label)
        self.loader = StudyLoader(self.statusBar(), self)  # reads study files off the GUI thread
        self.loader.loaded.connect(self._on_loader_loaded)
        self.loader.failed.connect(self._on_loader_failed)

        self.name_edit.textChanged.connect(self._on_setup_changed)
        self.direction.currentIndexChanged.connect(self._on_setup_changed)
        self.objective_panel.changed.connect(self._on_setup_changed)
        self.objective_panel.problems_changed.connect(self._refresh_state)
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
        install_analysis(self)

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
