"""FollowController: a study another process runs, shown live in the window.

When the window's feed gets a study opened read-only because another process holds it
(the CLI on a server, another window), a :class:`StudyFollower` polls its file on a thread;
the trials it reads reach the table and plots through the study's listeners and the feed,
like trials run here. A label in the status bar says that the study is being followed,
and when the other process has finished.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QStatusBar

from desktop.relay import call_on_gui_thread, ensure_relay
from desktop.trial_feed import TrialFeed
from engine.follow import StudyFollower
from engine.study import Study

FOLLOWING = "\u25cf Following a run in another process (read-only)"
FINISHED = "The other process stopped running this study; every trial it wrote is shown."


class FollowController(QObject):
    """Starts and stops following as the feed's study changes."""

    def __init__(self, feed: TrialFeed, status_bar: QStatusBar, parent: QObject | None = None):
        super().__init__(parent)
        self.feed = feed
        self.follower: StudyFollower | None = None
        self.label = QLabel()
        self.label.setStyleSheet("color: #0d9488; padding: 0 8px;")
        self.label.hide()
        self._status_bar = status_bar
        status_bar.addPermanentWidget(self.label)
        ensure_relay()  # the follower's thread reports through it (see desktop/relay.py)
        feed.reset.connect(self._on_feed_reset)

    @property
    def following(self) -> bool:
        return self.follower is not None and self.follower.following

    def stop(self) -> None:
        if self.follower is not None:
            self.follower.stop()
            self.follower = None
        self.label.hide()

    def _on_feed_reset(self, study: Study | None) -> None:
        self.stop()
        if study is None or study.file is None or not study.file.readonly:
            return
        if not study.file.in_use_elsewhere():
            return  # nobody writes it: nothing to follow
        self.follower = StudyFollower(study, on_change=self._emit_writer_changed)
        self.follower.start()
        self.label.setText(FOLLOWING)
        self.label.setToolTip(f"New trials appear as {study.file.path.name} is written; "
                              "Knobs only reads it and never holds up the run.")
        self.label.show()

    def _emit_writer_changed(self) -> None:
        call_on_gui_thread(self, "_on_writer_changed")  # runs on the follower's thread

    def _on_writer_changed(self) -> None:
        if self.follower is not None and not self.follower.writer_running:
            self.label.hide()
            self._status_bar.showMessage(FINISHED, 15_000)
