"""FollowController: a study another process runs, shown live in the window.

When the window's feed gets a study opened read-only because another process holds it
(the CLI on a server, another window), a :class:`StudyFollower` polls its file on a thread;
the trials it reads reach the table and plots through the study's listeners and the feed,
like trials run here. A label in the status bar says that the study is being followed,
and when the other process has finished.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QLabel, QStatusBar

from desktop.trial_feed import TrialFeed
from engine.follow import StudyFollower
from engine.study import Study

FOLLOWING = "\u25cf Following a run in another process (read-only)"
FINISHED = "The other process stopped running this study; every trial it wrote is shown."
WATCH_MS = 500


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
        # The follower's thread never touches a widget: this timer, on the GUI thread, looks
        # at what it found (new trials reach the views through the study and the feed).
        self._watch = QTimer(self)
        self._watch.setInterval(WATCH_MS)
        self._watch.timeout.connect(self._on_watch_timeout)
        feed.reset.connect(self._on_feed_reset)

    @property
    def following(self) -> bool:
        return self.follower is not None and self.follower.following

    def stop(self) -> None:
        self._watch.stop()
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
        self.follower = StudyFollower(study)
        self.follower.start()
        self._watch.start()
        self.label.setText(FOLLOWING)
        self.label.setToolTip(f"New trials appear as {study.file.path.name} is written; "
                              "Knobs only reads it and never holds up the run.")
        self.label.show()

    def _on_watch_timeout(self) -> None:
        if self.follower is not None and not self.follower.following:
            self._watch.stop()  # the writer is gone and its last trials were read
            self.label.hide()
            self._status_bar.showMessage(FINISHED, 15_000)
