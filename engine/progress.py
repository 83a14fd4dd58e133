"""A one-line progress display for headless runs: done / total, best so far, ETA."""

from __future__ import annotations

import math
import time
from typing import Any, TextIO

from engine.formatting import format_duration, format_number
from engine.study import Study
from engine.trial import TrialState

_BAR = 24


def format_value(v: float | None) -> str:
    """A value for the terminal: as everywhere else, with a dash when there is none."""
    return "-" if v is None else format_number(v, 6)


def format_params(params: dict[str, Any]) -> list[str]:
    return [f"{k} = {format_value(v) if isinstance(v, float) else repr(v)}"
            for k, v in params.items()]


def eta_seconds(done_this_run: int, elapsed: float, remaining: int | None) -> float | None:
    """Time left at the pace of this run so far; unknown before the first trial ends."""
    if remaining is None or done_this_run == 0:
        return None
    # A grid count can exceed any float; past 1e18 trials the ETA is "over a year" anyway.
    return elapsed / done_this_run * min(remaining, 10**18)


def format_count(n: int) -> str:
    """A trial count; a grid larger than a person reads is shown as a power of ten."""
    if n < 10**12:
        return str(n)
    # str() of a number with thousands of digits is refused by Python 3.11+; bits are not.
    return f"about 10^{int(n.bit_length() * math.log10(2))}"


def planned_seconds(durations: list[float], remaining: int, workers: int) -> float | None:
    """How long ``remaining`` more trials should take on ``workers``, from past durations."""
    if not durations or remaining <= 0:
        return None
    per_trial = sorted(durations)[len(durations) // 2]  # median: one slow outlier misleads
    rounds = -(-remaining // max(1, workers))
    return per_trial * rounds


class ProgressLine:
    """Redraws one status line on a terminal; on a pipe, prints a line per change."""

    def __init__(self, study: Study, stream: TextIO):
        self.study = study
        self.stream = stream
        self.tty = stream.isatty()
        self._started = time.monotonic()
        self._finished_before = study.n_finished
        self._last_text = ""
        self._last_print = 0.0

    def text(self) -> str:
        study = self.study
        counts = study.counts()
        finished = study.n_finished
        total = study.total
        elapsed = time.monotonic() - self._started
        parts = []
        if total:
            filled = min(_BAR, math.floor(_BAR * finished / total))
            parts.append(f"[{'#' * filled}{'.' * (_BAR - filled)}] "
                         f"{finished}/{format_count(total)}")
        else:
            parts.append(f"{finished} trials")
        front = study.summary().front_size
        if front is not None:  # several objectives: no single best
            parts.append(f"front {front}")
        else:
            best = study.best_trial
            parts.append(f"best {format_value(best.value if best else None)}")
        remaining = None if total is None else max(0, total - finished)
        if study.spec.time_s is not None:
            time_left = max(0.0, study.spec.time_s - elapsed)
            remaining_t = eta_seconds(finished - self._finished_before, elapsed, remaining)
            eta = time_left if remaining_t is None else min(time_left, remaining_t)
        else:
            eta = eta_seconds(finished - self._finished_before, elapsed, remaining)
        parts.append(f"ETA {format_duration(eta)}" if eta is not None else "ETA --")
        parts.append(f"{counts[TrialState.RUNNING]} running")
        if counts[TrialState.FAILED]:
            parts.append(f"{counts[TrialState.FAILED]} failed")
        return "  ".join(parts)

    def update(self, *, final: bool = False) -> None:
        text = self.text()
        if self.tty:
            self.stream.write("\r" + text.ljust(len(self._last_text)))
            self._last_text = text
        elif text != self._last_text and (final or time.monotonic() - self._last_print >= 1.0):
            # On a pipe (a log file, CI) a line per second at most keeps logs readable.
            self.stream.write(text + "\n")
            self._last_text = text
            self._last_print = time.monotonic()
        self.stream.flush()

    def finish(self) -> None:
        self.update(final=True)
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
