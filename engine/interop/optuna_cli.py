"""``main.py show`` and ``main.py export`` on an Optuna storage (SQLite or journal file):
read, never written."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from engine.export import write_csv, write_json
from engine.interop.foreign import read_foreign
from engine.progress import format_params, format_value
from engine.trial import TrialState


def show_optuna(args: argparse.Namespace, out: TextIO) -> int:
    study = read_foreign(args.study, args.study_name)
    print(f"Optuna study '{study.name}' ({args.study}, read-only)", file=out)
    print(f"  direction: {study.direction}", file=out)
    print(f"  parameters: {', '.join(p['name'] for p in study.params)}", file=out)
    counts: dict[str, int] = {}
    for t in study.trials:
        counts[t.state.value] = counts.get(t.state.value, 0) + 1
    print("  trials: " + ", ".join(f"{n} {s}" for s, n in counts.items()), file=out)
    ranked = sorted(
        (t for t in study.trials if t.state is TrialState.COMPLETE and t.value is not None),
        key=lambda t: t.value, reverse=study.direction == "maximize",
    )[: args.top]
    if ranked:
        print(f"Top {len(ranked)}:", file=out)
    for t in ranked:
        print(f"  #{t.number:<5} {format_value(t.value):>12}  "
              f"{', '.join(format_params(t.params))}", file=out)
    return 0


def export_optuna(args: argparse.Namespace, target: Path, fmt: str, out: TextIO) -> int:
    study = read_foreign(args.study, args.study_name)
    names = [p["name"] for p in study.params]
    if fmt == "csv":
        write_csv(study.trials, names, target)
    else:
        write_json(study.trials, target, study={
            "name": study.name, "direction": study.direction, "params": list(study.params),
            "source": {"optuna_storage": study.source}})
    print(f"Wrote {len(study.trials)} trials to {target}", file=out)
    return 0
