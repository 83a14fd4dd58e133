"""Trials out of a study: CSV (one row per trial, a column per parameter) and JSON."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from engine.trial import Trial

BASE_COLUMNS = ("number", "state", "value")
TAIL_COLUMNS = ("duration_s", "started", "worker", "error")


def scalar_metric_names(trials: Sequence[Trial]) -> list[str]:
    """Metrics that are single values in at least one trial, in first-seen order."""
    names: dict[str, None] = {}
    for t in trials:
        for k, v in t.metrics.items():
            if not isinstance(v, (list, dict)):
                names.setdefault(k)
    return list(names)


def trial_rows(
    trials: Sequence[Trial], param_names: Sequence[str]
) -> tuple[list[str], list[list]]:
    """Column names and rows; a parameter inactive in a trial is an empty cell."""
    metrics = scalar_metric_names(trials)
    taken = {*BASE_COLUMNS, *param_names, *TAIL_COLUMNS}
    # A metric named like a parameter (both "epochs") must not make two equal headers.
    metric_columns = [f"metric_{m}" if m in taken else m for m in metrics]
    columns = [*BASE_COLUMNS, *param_names, *metric_columns, *TAIL_COLUMNS]
    rows = []
    for t in trials:
        rows.append([
            t.number, t.state.value, _blank(t.value),
            *(_blank(t.params.get(n)) for n in param_names),
            *(_blank(t.metrics.get(m)) for m in metrics),
            _blank(None if t.duration is None else round(t.duration, 3)),
            _iso(t.started_at), _blank(t.worker), t.error or "",
        ])
    return columns, rows


def write_csv(trials: Sequence[Trial], param_names: Sequence[str], path: str | Path) -> None:
    columns, rows = trial_rows(trials, param_names)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        writer.writerows(rows)


def write_json(trials: Sequence[Trial], path: str | Path, *, study: dict | None = None) -> None:
    """Every trial in full (params, metrics, intermediate values), with the study's spec."""
    payload = {
        "study": study or {},
        "trials": [trial_to_dict(t) for t in trials],
    }
    Path(path).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


def trial_to_dict(t: Trial) -> dict[str, Any]:
    return {
        "number": t.number, "state": t.state.value, "value": t.value, "params": t.params,
        "metrics": t.metrics, "duration_s": t.duration, "started": _iso(t.started_at) or None,
        "worker": t.worker, "error": t.error,
        "intermediate": [{"step": s, "value": v} for s, v in t.intermediate],
    }


def _blank(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return v


def _iso(ts: float | None) -> str:
    return "" if ts is None else datetime.fromtimestamp(ts).isoformat(timespec="seconds")
