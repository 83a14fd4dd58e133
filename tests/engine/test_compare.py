"""Several studies side by side, as plain arrays."""

import math
from pathlib import Path

import numpy as np
import pytest

from engine.compare import StudyRecord, compare, load_record, record_of, value_distribution
from engine.space import FloatParam
from engine.spec import StudySpec
from engine.study import Study
from engine.trial import Trial, TrialState

C, F = TrialState.COMPLETE, TrialState.FAILED
OPTUNA_DB = Path(__file__).parent / "data" / "optuna_two_studies.db"


def trial(n, value, state=C, start=100.0, **params):
    return Trial(n, params or {"x": 0.5}, state, value, started_at=start + n,
                 finished_at=start + n + 0.5)


def test_best_so_far_by_trial_and_time_and_the_best_rows():
    a = StudyRecord("random", "minimize", (trial(0, 3.0), trial(1, None, F), trial(2, 1.0),
                                           trial(3, 2.0)), ("x",), "a.knobs")
    b = StudyRecord("bayes", "minimize", (trial(0, 2.0, start=500.0, y=1),
                                          trial(1, 0.5, start=500.0, y=2)), ("y",), "b.knobs")
    out = compare([a, b])
    ra, rb = out.curves
    assert ra.numbers.tolist() == [0, 2, 3] and ra.best.tolist() == [3.0, 1.0, 1.0]
    np.testing.assert_allclose(ra.elapsed, [0.5, 2.5, 3.5])  # from the study's first start
    np.testing.assert_allclose(rb.elapsed, [0.5, 1.5])
    assert out.param_names == ("x", "y") and out.note == ""
    best_a, best_b = out.best
    assert (best_a.number, best_a.value, best_a.n_complete, best_a.n_trials) == (2, 1.0, 3, 4)
    assert best_a.seconds_to_best == pytest.approx(2.5)
    assert (best_b.number, best_b.params) == (1, {"y": 2})
    x, share = value_distribution(ra)
    assert x.tolist() == [1.0, 2.0, 3.0] and share.tolist() == pytest.approx([1 / 3, 2 / 3, 1])


def test_a_study_without_results_and_mixed_directions_are_said_plainly():
    empty = StudyRecord("empty", "maximize", (trial(0, None, F),), ("x",), "e")
    full = StudyRecord("full", "minimize", (trial(0, 1.0),), ("x",), "f")
    out = compare([full, empty])
    assert out.best[1].number is None and out.best[1].n_trials == 1
    assert out.curves[1].values.size == 0
    assert "do not share a direction" in out.note


def test_records_come_from_knobs_files_open_studies_and_optuna_storages(tmp_path):
    spec = StudySpec(name="knobs one", params=(FloatParam("x", 0.0, 1.0),),
                     objective={"kind": "python", "path": "x.py", "function": "f"},
                     sampler="random", trials=3, seed=0)
    study = Study.create(spec, tmp_path / "k.knobs")
    for _ in range(3):
        t = study.ask()
        study.tell(t.number, C, value=t.params["x"])
    live = record_of(study)
    assert live.name == "knobs one" and len(live.trials) == 3
    study.close()
    from_file = load_record(tmp_path / "k.knobs")
    assert from_file.trials == live.trials and from_file.param_names == ("x",)
    optuna_rec = load_record(OPTUNA_DB, "toy")
    assert optuna_rec.name == "toy" and optuna_rec.param_names == ("lr", "layers", "activation")
    out = compare([from_file, optuna_rec])
    assert [r.name for r in out.best] == ["knobs one", "toy"]
    assert all(math.isfinite(r.value) for r in out.best)


def test_the_analysis_modules_never_import_qt():
    import subprocess
    import sys

    modules = ("engine.surrogate", "engine.fanova", "engine.compare", "engine.follow",
               "engine.interop.as_study", "engine.interop.optuna_journal")
    code = (f"import sys, {', '.join(modules)}; "
            "sys.exit(any(m.split('.')[0] in ('PySide6', 'pyqtgraph') for m in sys.modules))")
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, timeout=120)
    assert done.returncode == 0, "an engine analysis module pulled in Qt"
