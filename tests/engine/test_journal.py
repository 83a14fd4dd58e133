"""Optuna JournalStorage files read without Optuna: studies, params, states, steps; the file
untouched.

``data/optuna_journal.log`` was written by Optuna 5.1.0 (JournalFileBackend, RandomSampler
seed 0): study ``toy`` minimizes over ``lr`` (log float 1e-4..0.1), ``layers`` (int 1..4)
and ``activation`` (relu/tanh) for 7 trials reporting steps 0..2, trial 3 raising (FAIL),
trial 5 pruned, then one enqueued trial never run; study ``other`` maximizes ``x`` (float
-1..1) for 3 trials.
"""

import shutil
from pathlib import Path

import pytest

from engine.cli import main
from engine.compare import load_record
from engine.interop import (
    OptunaStorageError,
    foreign_kind,
    is_optuna_journal,
    list_foreign_studies,
    read_journal_study,
    trials_table,
)
from engine.trial import TrialState

FIXTURE = Path(__file__).parent / "data" / "optuna_journal.log"
optuna = pytest.importorskip("optuna")  # only to write journals in some tests


@pytest.fixture
def journal(tmp_path):
    (tmp_path / "src").mkdir()
    path = tmp_path / "src" / "journal.log"
    shutil.copy(FIXTURE, path)
    return path


def fingerprint(path: Path):
    return path.read_bytes(), path.stat().st_mtime_ns, sorted(p.name for p in path.parent.iterdir())


def test_reads_the_committed_journal_without_touching_it(journal):
    before = fingerprint(journal)
    assert is_optuna_journal(journal) and foreign_kind(journal) == "optuna-journal"
    assert list_foreign_studies(journal) == ["toy", "other"]
    toy = read_journal_study(journal, "toy")
    assert toy.direction == "minimize"
    assert [p["name"] for p in toy.params] == ["lr", "layers", "activation"]
    lr, layers, activation = toy.params
    assert lr["type"] == "float" and lr["log"] is True and lr["low"] == pytest.approx(1e-4)
    assert (layers["type"], layers["low"], layers["high"]) == ("int", 1, 4)
    assert activation["choices"] == ["relu", "tanh"]
    states = [t.state for t in toy.trials]
    assert len(states) == 7  # the enqueued trial never started: left out
    assert states[3] is TrialState.FAILED and states[5] is TrialState.PRUNED
    assert states.count(TrialState.COMPLETE) == 5
    first = toy.trials[0]
    assert [s for s, _ in first.intermediate] == [0, 1, 2]
    assert first.value == pytest.approx(first.params["lr"] * 10 + first.params["layers"]
                                        + (first.params["activation"] == "tanh"))
    assert first.finished_at >= first.started_at
    other = read_journal_study(journal, "other")
    assert other.direction == "maximize" and len(other.trials) == 3
    assert fingerprint(journal) == before


def test_reads_what_optuna_itself_reads(tmp_path):
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    path = tmp_path / "made.log"
    storage = JournalStorage(JournalFileBackend(str(path)))
    study = optuna.create_study(study_name="s", storage=storage,
                                sampler=optuna.samplers.RandomSampler(seed=3))

    def f(trial):
        x = trial.suggest_float("x", -2, 2, step=0.5)
        c = trial.suggest_categorical("c", [1, 2, 3])
        trial.report(x, 1)
        if trial.number % 4 == 3:
            raise optuna.TrialPruned()
        return x * c

    study.optimize(f, n_trials=12)
    dist = {"x": optuna.distributions.FloatDistribution(-2, 2, step=0.5),
            "c": optuna.distributions.CategoricalDistribution([1, 2, 3])}
    study.add_trial(optuna.trial.create_trial(params={"x": 1.0, "c": 2}, distributions=dist,
                                              value=2.0))
    ours = read_journal_study(path)
    theirs = study.get_trials()
    assert len(ours.trials) == len(theirs) == 13
    for a, b in zip(ours.trials, theirs):
        assert a.number == b.number and a.params == b.params
        assert a.state.value == {"COMPLETE": "complete", "PRUNED": "pruned"}[b.state.name]
        assert a.value == b.value or (a.state is TrialState.PRUNED)
        assert dict(a.intermediate) == b.intermediate_values


def test_deleted_studies_and_bad_names_and_damaged_lines_are_named(tmp_path, journal):
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    path = tmp_path / "two.log"
    storage = JournalStorage(JournalFileBackend(str(path)))
    optuna.create_study(study_name="kept", storage=storage)
    optuna.create_study(study_name="dropped", storage=storage)
    optuna.delete_study(study_name="dropped", storage=storage)
    assert list_foreign_studies(path) == ["kept"]
    with pytest.raises(OptunaStorageError, match=r"no study named 'nope'; the journal holds: "
                                                 r"other, toy"):
        read_journal_study(journal, "nope")
    with pytest.raises(OptunaStorageError, match=r"holds 2 studies; name one of: other, toy"):
        read_journal_study(journal)
    damaged = tmp_path / "damaged.log"
    lines = FIXTURE.read_bytes().split(b"\n")
    damaged.write_bytes(b"\n".join([*lines[:3], b"{not json", *lines[3:]]))
    with pytest.raises(OptunaStorageError, match=r"line 4 is not an Optuna journal entry"):
        read_journal_study(damaged, "toy")
    # A last line still being written is not read yet, not an error.
    partial = tmp_path / "partial.log"
    partial.write_bytes(FIXTURE.read_bytes() + b'{"op_code": 4, "worker')
    assert len(read_journal_study(partial, "toy").trials) == 7


def test_show_export_and_tables_take_a_journal(journal, tmp_path, capsys):
    assert main(["show", str(journal)]) == 2
    assert "other, toy" in capsys.readouterr().err
    assert main(["show", str(journal), "--study", "toy"]) == 0
    assert "Optuna study 'toy'" in capsys.readouterr().out
    assert main(["export", str(journal), "--study", "toy", "-o", str(tmp_path / "t.csv")]) == 0
    assert (tmp_path / "t.csv").read_text().count("\n") == 8
    assert trials_table(journal, "other")["params_x"][0] is not None
    record = load_record(journal, "toy")
    assert record.name == "toy" and len(record.trials) == 7
