"""Who may use a cluster and what comes back from it: a local cluster accepts only its owner
(TLS with certificates made in memory), a remote tls:// scheduler is used with the user's own
certificate files, and a worker's answer is accepted only as plain JSON data."""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import cloudpickle
import pytest
from distributed import Client
from distributed.security import Security

from engine import dask_executor as dx
from engine import outcome_wire
from engine.cluster_address import ClusterError, ClusterTLS
from engine.dask_executor import DaskExecutor
from engine.objectives.python_function import PythonFunctionObjective
from engine.slots import Outcome
from engine.trial import TrialState
from tests.engine.processes import ROOT, knobs, saved_trials, write_python_spec

FAULTY = str(Path(__file__).parent / "objectives" / "faulty.py")
GOOD = PythonFunctionObjective(FAULTY, "good")


@pytest.fixture
def local_cluster():
    ex = DaskExecutor("local:1")
    ex.connect()
    yield ex
    ex.close()


# --- a local cluster is its owner's alone ------------------------------------------------


def test_a_local_cluster_listens_over_tls_and_refuses_clients_without_its_certificate(
        local_cluster):
    address = local_cluster.scheduler_address
    assert address.startswith("tls://127.0.0.1:")
    # No security at all, plain tcp on the same port, and a certificate of another CA: each
    # from a fresh process, as an intruder would come (a Dask client that failed can leave
    # its IO loop in a state that makes the next one in the same process fail for that).
    for target, kind in ((address, "none"), (address.replace("tls://", "tcp://"), "none"),
                         (address, "other-ca")):
        assert _connect_from_another_process(target, kind).startswith("refused"), (target, kind)
    # The owner still runs trials.
    assert local_cluster.slot(0).run(GOOD, {"x": 0.5}).state is TrialState.COMPLETE


_ATTEMPT = """
import asyncio, sys
from distributed import Client
from distributed.security import Security
address, kind = sys.argv[1], sys.argv[2]
extra = {"security": Security.temporary()} if kind == "other-ca" else {}
try:
    Client(address, timeout=3, set_as_default=False, **extra).close()
except (OSError, TimeoutError, asyncio.TimeoutError, TypeError, ValueError) as exc:
    print("refused", type(exc).__name__)
else:
    print("connected")
"""


def _connect_from_another_process(address: str, kind: str) -> str:
    done = subprocess.run([sys.executable, "-c", _ATTEMPT, address, kind], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    return done.stdout.strip() or done.stderr.strip()[-300:]


def test_another_local_user_cannot_complete_a_connection_to_a_local_cluster(local_cluster):
    # The attack of the issue: another uid on this machine connects to the scheduler's port.
    # Without the client certificate, which only this process holds, the TLS handshake fails.
    host, port = local_cluster.scheduler_address.removeprefix("tls://").rsplit(":", 1)
    code = (
        "import socket, ssl, sys\n"
        "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\n"
        "ctx.check_hostname = False\n"
        "ctx.verify_mode = ssl.CERT_NONE\n"
        "try:\n"
        "    with socket.create_connection((sys.argv[1], int(sys.argv[2])), 5) as raw:\n"
        "        with ctx.wrap_socket(raw) as tls:\n"
        "            tls.sendall(b'\\x00' * 64)\n"
        "            data = tls.recv(1)\n"
        "    print('refused' if not data else 'answered')\n"
        "except (ssl.SSLError, OSError) as exc:\n"
        "    print('refused', type(exc).__name__)\n"
    )
    result = _as_another_user(code, host, port)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("refused"), result.stdout


# --- what comes back is plain data ---------------------------------------------------------


class _Planted:
    """A result whose unpickling would create a file: proof of code run by a pickle."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _plant(marker: str) -> _Planted:
    return _Planted(marker)  # made on the worker: only the app would unpickle it


def test_a_worker_answer_that_needs_unpickling_is_refused_never_loaded(
        local_cluster, tmp_path, monkeypatch):
    marker = tmp_path / "unpickled"
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        monkeypatch.setattr(dx, "_trial_payload", lambda *a, **k: cloudpickle.dumps(
            dx._Call(functools.partial(_plant, str(marker)))))
        out = local_cluster.slot(0).run(GOOD, {"x": 0.5})
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    assert out.state is TrialState.FAILED and "could not fetch the result" in out.error
    assert not marker.exists()


def test_a_worker_answer_of_the_wrong_shape_fails_the_trial_with_what_is_wrong(
        local_cluster, monkeypatch):
    for answer, says in [
        ({"state": "complete"}, "expected the trial's outcome as JSON text, got dict"),
        ('{"state": "complete"}', "expected an object with"),
        ("[1, 2]", "expected an object with"),
        ("not json", "not valid JSON"),
    ]:
        monkeypatch.setattr(dx, "_trial_payload", lambda *a, answer=answer, **k: cloudpickle.dumps(
            dx._Call(functools.partial(_identity_json, answer))))
        out = local_cluster.slot(0).run(GOOD, {"x": 0.5})
        assert out.state is TrialState.FAILED
        assert "sent back something other than a trial outcome" in out.error, out.error
        assert says in out.error, out.error


def _identity_json(value):
    return value


def test_an_outcome_travels_as_json_and_only_its_own_shape_is_read_back():
    outcome = Outcome(TrialState.COMPLETE, value=0.25, metrics={"acc": 0.9, "model": object()},
                      error=None)
    text = outcome_wire.encode(outcome, [[0, 1.0], [1, 0.5]], "a1")
    assert isinstance(text, str)
    back, reports, attempt = outcome_wire.decode(text)
    assert back.state is TrialState.COMPLETE and back.value == 0.25
    assert back.metrics["acc"] == 0.9 and isinstance(back.metrics["model"], str)
    assert reports == [(0, 1.0), (1, 0.5)] and attempt == "a1"
    bad = [
        text.replace('"complete"', '"exploded"'),
        text.replace("0.25", '"0.25"'),
        text.replace('"error": null', '"error": 3'),
        text.replace("[[0, 1.0], [1, 0.5]]", "[[0.5, 1.0]]"),
        text.replace("0.25", "1" + "0" * 400),
    ]
    for b in bad:
        with pytest.raises(outcome_wire.WireError):
            outcome_wire.decode(b)


# --- a remote tls:// scheduler, with the user's certificates -------------------------------


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("certs")
    made = Security.temporary()
    files = {"ca": made.tls_ca_file, "cert": made.tls_client_cert, "key": made.tls_client_key}
    for name, pem in files.items():
        (folder / f"{name}.pem").write_text(pem)
        (folder / f"{name}.pem").chmod(0o600)
    return ClusterTLS(str(folder / "ca.pem"), str(folder / "cert.pem"), str(folder / "key.pem"))


@pytest.fixture(scope="module")
def tls_cluster(certs, tmp_path_factory):
    port = _free_port()
    address = f"tls://127.0.0.1:{port}"
    tls_args = ["--tls-ca-file", certs.ca_file, "--tls-cert", certs.cert_file,
                "--tls-key", certs.key_file]
    loopback = ["--host", "127.0.0.1", "--no-dashboard", "--dashboard-address", "127.0.0.1:0"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "dask", "scheduler", "--protocol", "tls", "--port", str(port),
         *tls_args, *loopback], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    worker = subprocess.Popen(
        [sys.executable, "-m", "dask", "worker", address, "--nthreads", "1", "--no-nanny",
         *tls_args, *loopback], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        cwd=tmp_path_factory.mktemp("worker"))
    try:
        _wait_for_worker(address, certs)
        yield address
    finally:
        for proc in (worker, scheduler):
            proc.kill()
            proc.wait(30)


def test_a_tls_scheduler_runs_trials_with_the_users_certificates(tls_cluster, certs):
    ex = DaskExecutor(tls_cluster, tls=certs)
    try:
        assert ex.connect().workers == 1
        out = ex.slot(0).run(GOOD, {"x": 0.5})
        assert out.state is TrialState.COMPLETE and out.value == pytest.approx(0.04)
    finally:
        ex.close()
    assert "1 worker with 1 thread" in dx.test_connection(tls_cluster, timeout=10, tls=certs)


def test_the_cli_runs_on_a_tls_scheduler_from_flags_and_from_the_spec(tls_cluster, certs,
                                                                      tmp_path):
    body = "def f(params):\n    return params['x']\n"
    spec = write_python_spec(tmp_path, body, trials=3)
    flags = ["--tls-ca", certs.ca_file, "--tls-cert", certs.cert_file, "--tls-key",
             certs.key_file]
    result = knobs("run", spec, "--out", tmp_path / "a.knobs", "--cluster", tls_cluster, *flags)
    assert result.returncode == 0, result.stderr
    assert f"on the Dask cluster at {tls_cluster}" in result.stdout
    assert len(saved_trials(tmp_path / "a.knobs")) == 3
    # The same from the spec's [cluster] table, files relative to the spec.
    for name in ("ca", "cert", "key"):
        shutil.copy(getattr(certs, f"{name}_file"), tmp_path / f"{name}.pem")
    spec.write_text(spec.read_text() + f'\n[cluster]\naddress = "{tls_cluster}"\n'
                    'ca_file = "ca.pem"\ncert_file = "cert.pem"\nkey_file = "key.pem"\n')
    result = knobs("run", spec, "--out", tmp_path / "b.knobs")
    assert result.returncode == 0, result.stderr
    assert f"on the Dask cluster at {tls_cluster}" in result.stdout


@pytest.mark.parametrize("args, says", [
    (["--cluster", "tls://127.0.0.1:8786"],
     "the cluster address tls://127.0.0.1:8786 is a TLS scheduler: give the certificate files "
     "to use with it (--tls-ca and --tls-cert"),
    (["--cluster", "tls://127.0.0.1:8786", "--tls-ca", "{ca}", "--tls-cert", "/no/such.pem"],
     "--tls-cert = '/no/such.pem': no such file; expected a readable PEM file"),
    (["--cluster", "tls://127.0.0.1:8786", "--tls-ca", "{folder}", "--tls-cert", "{ca}"],
     "--tls-ca = '{folder}': is a folder; expected a readable PEM file"),
    (["--cluster", "local:2", "--tls-ca", "{ca}", "--tls-cert", "{ca}"],
     "certificate files were given for local:2, but a local cluster makes its own"),
    (["--tls-cert", "{ca}"], "--tls-cert given without a tls:// scheduler"),
])
def test_the_cli_names_a_bad_tls_setting_in_one_line_and_writes_nothing(
        certs, tmp_path, args, says):
    spec = write_python_spec(tmp_path, "def f(params):\n    return 1.0\n", trials=2)
    fill = {"ca": certs.ca_file, "folder": str(tmp_path)}
    result = knobs("run", spec, "--out", tmp_path / "s.knobs", *[a.format(**fill) for a in args])
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says.format(**fill) in lines[0], result.stderr
    assert not (tmp_path / "s.knobs").exists()


def test_a_spec_cluster_table_is_checked_with_its_field_names(tmp_path):
    spec = write_python_spec(tmp_path, "def f(params):\n    return 1.0\n", trials=2,
                             extra='[cluster]\naddress = "tls://h:1"\nca_file = "ca.pem"\n'
                                   'cert_file = "nope.pem"\n')
    (tmp_path / "ca.pem").write_text("x")
    result = knobs("run", spec, "--out", tmp_path / "s.knobs")
    assert result.returncode == 2
    assert f"cluster.cert_file = '{tmp_path / 'nope.pem'}': no such file" in result.stderr
    assert not (tmp_path / "s.knobs").exists()
    with pytest.raises(ClusterError, match="a tcp:// scheduler does not use them"):
        DaskExecutor("tcp://h:1", tls=ClusterTLS(str(tmp_path / "ca.pem"),
                                                 str(tmp_path / "ca.pem")))


# --- helpers -----------------------------------------------------------------------


def _wait_for_worker(address: str, certs: ClusterTLS, timeout: float = 60) -> None:
    security = Security(tls_ca_file=certs.ca_file, tls_client_cert=certs.cert_file,
                        tls_client_key=certs.key_file, require_encryption=True)
    deadline = time.monotonic() + timeout
    while True:
        try:
            with Client(address, timeout=5, set_as_default=False, security=security) as client:
                client.wait_for_workers(1, timeout=max(1.0, deadline - time.monotonic()))
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _as_another_user(code: str, *args: str) -> subprocess.CompletedProcess:
    """``code`` as uid 65534 when we are root, else as ourselves (no certificate either way)."""
    if os.geteuid() != 0:
        return subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                              text=True, timeout=60)
    assert shutil.which("setpriv"), "running the tests as root needs setpriv (util-linux)"
    drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    for python in (sys.executable, "/usr/bin/python3"):
        with contextlib.suppress(OSError):
            if subprocess.run([*drop, python, "-c", "import ssl"],
                              capture_output=True).returncode == 0:
                return subprocess.run([*drop, python, "-c", code, *args], capture_output=True,
                                      text=True, timeout=60)
    raise AssertionError("no Python that uid 65534 may run")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
