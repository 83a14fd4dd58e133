"""Follow a study that another process is running: its new trials appear as they are written.

The reader never writes and never holds a lock the writer waits for: the study file is in
WAL mode, where readers and the writer do not block each other, and each poll is a short
read. A poll first asks SQLite's ``data_version`` (which changes when another connection
commits) and re-reads the trials only then; it hands the trials that differ from what the
study holds to :meth:`Study.absorb`, whose listeners (the window's feed) see them as if they
had run here. Polls are spaced at least :data:`MIN_INTERVAL_S` apart and at least
:data:`READ_SHARE` times the last read's duration, so a huge study is not re-read back to
back.
"""

from __future__ import annotations

import logging
import threading
import time

from engine.storage import StudyFileError
from engine.study import Study
from engine.trial import Trial, TrialState

log = logging.getLogger(__name__)
MIN_INTERVAL_S = 0.5
READ_SHARE = 10


class StudyFollower:
    """Polls a read-only study's file for what another process writes to it.

    ``poll()`` reads once (any thread); ``start()`` polls on a thread named
    ``knobs-follow`` until ``stop()``. ``writer_running`` says whether another process
    still holds the study's lock; once it is gone, the thread reads a last time and ends.
    ``problem`` holds the last read error, if any (the thread keeps trying).
    """

    def __init__(self, study: Study):
        if study.file is None or not study.file.readonly:
            raise ValueError("only a study opened read-only can follow another process's run")
        self.study = study
        self.writer_running = study.file.in_use_elsewhere()
        self.problem: str | None = None
        self.last_read_s = 0.0
        self._version: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def following(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def poll(self) -> list[Trial]:
        """Read the file if it changed; return (and give the study) the trials that did.

        Once the writer is gone, trials it left running (it crashed) read as interrupted,
        as when such a file is opened.
        """
        file = self.study.file
        self.writer_running = file.in_use_elsewhere()
        version = file.data_version()
        if version == self._version and self.writer_running:
            return []
        start = time.perf_counter()
        read = file.trials()
        self.last_read_s = time.perf_counter() - start
        self._version = version
        if not self.writer_running:
            read = [t.evolve(state=TrialState.INTERRUPTED,
                             error=t.error or "the app stopped while it ran")
                    if t.state is TrialState.RUNNING else t for t in read]
        known = self.study.trials
        changed = [t for t in read if t.number >= len(known) or t != known[t.number]]
        if changed:
            self.study.absorb(changed)
        return changed

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="knobs-follow", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop polling and wait for the thread (a read in progress is short)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll()
                self.problem = None
            except StudyFileError as exc:
                # A read can meet the file mid-replacement; say so and try again.
                self.problem = str(exc)
                log.warning("following %s: %s", self.study.file.path, exc)
            if not self.writer_running:
                return  # the writer is gone (that poll read its last word): nothing changes
            self._stop.wait(max(MIN_INTERVAL_S, READ_SHARE * self.last_read_s))
