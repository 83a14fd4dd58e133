"""`knobs export` to standard output: `-o -`, or no -o at all, as Unix tools do."""

import csv
import io
import json
import subprocess
import sys
from dataclasses import replace

import pytest

from engine.spec import load_spec
from engine.study import Study
from engine.trial import TrialState
from tests.engine.processes import ROOT, knobs

EXAMPLE = ROOT / "resources" / "examples" / "toy_training.toml"


@pytest.fixture(scope="module")
def study_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / "toy.knobs"
    assert knobs("run", EXAMPLE, "--trials", 4, "--out", path).returncode == 0
    return path


@pytest.mark.parametrize("where", [["-o", "-"], []])
def test_csv_goes_to_standard_output_and_no_file_is_made(study_file, tmp_path, where):
    result = knobs("export", study_file, *where, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 4 and all(r["state"] == "complete" for r in rows)
    assert list(tmp_path.iterdir()) == []  # no file named "-"


def test_json_goes_to_standard_output(study_file, tmp_path):
    result = knobs("export", study_file, "-o", "-", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["study"]["name"] == "toy training" and len(data["trials"]) == 4
    assert list(tmp_path.iterdir()) == []


def test_a_reader_that_stops_early_ends_the_export_quietly(tmp_path):
    # More trials than a pipe holds, read by something like `head -1`.
    path = tmp_path / "big.knobs"
    study = Study.create(replace(load_spec(EXAMPLE), trials=1500), path)
    for _ in range(1500):
        trial = study.ask()
        study.tell(trial.number, TrialState.COMPLETE, value=1.0)
    study.close()
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "export", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().startswith("number,state,value")
    proc.stdout.close()
    stderr = proc.stderr.read()
    proc.wait(60)
    proc.stderr.close()
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr
