"""SurrogateFitter: fits the engine's GP to the shown trials off the GUI thread.

The Surrogate tab and the Slice band both ask it for a prediction (a grid of two
parameters, or a curve of one). A fit runs on a short-lived thread (named
``knobs-surrogate``, so the tests' leak check sees it), at most one at a time and at most
every :data:`REFIT_INTERVAL_S` while trials stream in; the newest request waits for the
running one and older ones are forgotten. Each request gets a generation number and a
result that comes back for an older generation is dropped, so a stale fit never replaces
a newer view. The fitted model is kept and reused while the trials it was fitted to stay
the same, so changing the parameters shown only recomputes the prediction.

scipy (through the GP) and threadpoolctl are imported here, on the GUI thread, for the
reason sklearn is in importance.py: importing extension modules on a worker thread while
the Qt event loop runs crashed PySide6 6.12.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, NamedTuple

import numpy as np
import threadpoolctl  # noqa: F401 - see the module notes
from PySide6.QtCore import QObject, QTimer, Signal

import engine._gp.encoding  # noqa: F401 - see the module notes
import engine._gp.gp  # noqa: F401 - see the module notes
from desktop.background import run_in_background
from engine.analysis import COMPLETE, TrialColumns
from engine.surrogate import MIN_SURROGATE_TRIALS, Surrogate, fit_surrogate

log = logging.getLogger(__name__)
REFIT_INTERVAL_S = 2.0


class Request(NamedTuple):
    """What to predict: ``("grid", x, y, others)`` or ``("curve", param, "", others)``."""

    kind: str
    first: str
    second: str
    others: str


class SurrogateFitter(QObject):
    """``ready(request, result)``: ``result`` is a SurrogateGrid/SurrogateCurve, or a plain
    sentence saying why there is none. ``pending`` is true while a request waits or runs."""

    ready = Signal(object, object)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._generation = 0
        self._thread: threading.Thread | None = None
        self._waiting: tuple[TrialColumns, np.ndarray | None, Request] | None = None
        self._model: Surrogate | None = None
        self._model_key: tuple | None = None
        self._last_fit = -np.inf
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._start_waiting)

    @property
    def pending(self) -> bool:
        return self._thread is not None or self._waiting is not None

    def request(self, columns: TrialColumns, mask: np.ndarray | None, request: Request) -> None:
        """Predict ``request`` from the complete trials of ``columns`` under ``mask``; the
        answer comes by ``ready``. A newer request replaces one not started yet."""
        self._generation += 1
        self._waiting = (columns.copy(), None if mask is None else mask.copy(), request)
        if self._thread is None:
            self._start_waiting()

    def forget(self) -> None:
        """Another study: drop the model and whatever is being fitted."""
        self._generation += 1
        self._waiting = None
        self._timer.stop()
        self._model, self._model_key = None, None

    # --- inside ----------------------------------------------------------------------

    def _start_waiting(self) -> None:
        if self._waiting is None or self._thread is not None:
            return
        columns, mask, request = self._waiting
        rows = np.flatnonzero((columns.states == COMPLETE) & np.isfinite(columns.values)
                              & (True if mask is None else mask[: columns.n]))
        key = (columns.space, columns.direction, rows.size,
               hash(rows.tobytes()), hash(columns.values[rows].tobytes()))
        reuse = key == self._model_key
        if not reuse:
            wait = self._last_fit + REFIT_INTERVAL_S - time.monotonic()
            if wait > 0 and self._model is not None:
                self._timer.start(int(wait * 1000) + 1)
                return
            self._last_fit = time.monotonic()
        self._waiting = None
        model = self._model if reuse else None
        warm = self._model.model.theta if self._model is not None else None
        trials = [columns.trials[r] for r in rows.tolist()]
        generation = self._generation

        def work() -> tuple:  # holds no widget (desktop/background.py)
            fitted, out = model, None
            try:
                if fitted is None:
                    if len(trials) < MIN_SURROGATE_TRIALS:
                        out = (f"The model needs at least {MIN_SURROGATE_TRIALS} complete "
                               f"trials to fit; there are {len(trials)} shown.")
                    else:
                        fitted = fit_surrogate(columns.space, columns.direction, trials,
                                               warm=warm)
                if fitted is not None:
                    out = _predict(fitted, request)
            except ValueError as exc:
                out = str(exc)
            except Exception as exc:  # shown inline; a plot must not take the app down
                log.exception("the surrogate model could not be fitted")
                out = f"The model could not be fitted: {exc}"
            return generation, key, fitted, request, out

        self._thread = run_in_background(work, self._on_done, name="knobs-surrogate")

    def _on_done(self, done: tuple) -> None:
        generation, key, model, request, out = done
        self._thread = None
        if model is not None:
            # Kept even for a stale answer: the key says which trials it models, and the
            # next request may well be about the same ones.
            self._model, self._model_key = model, key
        if generation == self._generation:
            self.ready.emit(request, out)
        self._start_waiting()


def _predict(model: Surrogate, request: Request) -> Any:
    if request.kind == "grid":
        # Averaging costs one prediction per averaged trial: a coarser grid keeps it quick.
        n = 48 if request.others == "best" else 32
        return model.grid(request.first, request.second, n=n, others=request.others)
    return model.curve(request.first, n=120, others=request.others)
