"""Reaching a Dask cluster: starting a local one, connecting, checking its workers.

Every connection Knobs makes accepts only plain data from the cluster where it can choose:
results are fetched with the ``msgpack`` deserializer alone, so a task result that is a
pickle is refused rather than loaded (see :func:`open_client`). A local cluster is
TLS-only, with certificates made in memory for that run: only this process holds the
client certificate, so no other user of the computer can connect to it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import socket
from dataclasses import dataclass
from typing import Any

from engine._dask_task import describe_worker
from engine.cluster_address import ClusterAddress, ClusterError, ClusterTLS, check_cluster

# Dask raises any of these when a scheduler does not answer in time. On Python 3.10 the
# asyncio and concurrent.futures ones are not the builtin TimeoutError (3.11 made them one).
TIMEOUTS = (TimeoutError, asyncio.TimeoutError, concurrent.futures.TimeoutError)

INSTALL = "install knobs[cluster] (pip install 'knobs[cluster]')"
# One retry after a worker dies, as the app allows on any cluster.
ATTEMPTS = 2


@dataclass(frozen=True)
class ClusterInfo:
    """What a scheduler reports: its workers and the trials they can run at once."""

    address: str
    workers: int
    threads: int

    def describe(self) -> str:
        if not self.workers:
            return (f"The scheduler at {self.address} answers, but no worker has joined it yet: "
                    f"start 'dask worker {self.address}' on the machines that should run trials.")
        return (f"{plural(self.workers, 'worker')} with {plural(self.threads, 'thread')} in "
                f"all: up to {plural(self.threads, 'trial')} at once "
                f"(set Workers to {self.threads}).")


def import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ClusterError(
            f"running trials on a Dask cluster needs the 'distributed' package: {INSTALL}"
        ) from None
    return distributed


def security_for(tls: ClusterTLS) -> Any:
    """Dask's Security object for a tls:// scheduler: our certificate, their CA, TLS only."""
    from distributed.security import Security

    return Security(tls_ca_file=tls.ca_file, tls_client_cert=tls.cert_file,
                    tls_client_key=tls.key_file, require_encryption=True)


def temporary_security() -> Any:
    """TLS for a local cluster: a CA and certificates made in memory, never written to disk.

    Needs the ``cryptography`` package (in the ``cluster`` extra)."""
    try:
        from distributed.security import Security

        return Security.temporary()
    except ImportError:
        raise ClusterError("a local Dask cluster needs the 'cryptography' package to make its "
                           f"certificates: {INSTALL}") from None


def start_local_cluster(n: int, scratch: str, security: Any) -> Any:
    """A LocalCluster of ``n`` single-thread processes on 127.0.0.1, TLS-only."""
    import dask

    distributed = import_distributed()
    with dask.config.set({"distributed.scheduler.allowed-failures": ATTEMPTS - 1,
                          "temporary-directory": scratch}):
        try:
            return distributed.LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                protocol="tls://", security=security,
                # The scheduler's web server listens even without a dashboard: on loopback,
                # on a free port (8787 may be taken by another cluster).
                dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR,
                local_directory=scratch,
            )
        except Exception as exc:  # noqa: BLE001 - any failure to start is told the same way
            raise ClusterError(
                f"could not start a local Dask cluster of {n} processes: {one_line(exc)}"
            ) from None


def open_client(address: str, *, security: Any, timeout: float, name: str) -> Any:
    """A client of the scheduler at ``address``; raises :class:`ClusterError` if unreachable.

    ``deserializers=["msgpack"]``: what the workers return is fetched as msgpack data only; a
    result that would need unpickling is refused (the trial fails), never loaded here.
    """
    distributed = import_distributed()
    probe(address, timeout)
    try:
        return distributed.Client(address, timeout=timeout, set_as_default=False, name=name,
                                  security=security, deserializers=["msgpack"])
    except (OSError, ValueError, *TIMEOUTS) as exc:
        raise ClusterError(unreachable(address, timeout, exc)) from None


def test_connection(address: str, timeout: float = 5.0, tls: ClusterTLS | None = None) -> str:
    """A sentence on the cluster at ``address``: its workers and threads.

    Raises :class:`ClusterError` with a plain sentence when the address or a TLS file is
    bad, the scheduler does not answer within ``timeout`` seconds, or its workers cannot
    import Knobs. ``local:N`` only checks that ``distributed`` is installed.
    """
    target = check_cluster(address, tls)
    import_distributed()
    if target.local_workers:
        return (f"Knobs will start a Dask cluster of "
                f"{plural(target.local_workers, 'worker process')} on this computer "
                "when the study runs.")
    client = open_client(target.text, security=security_for(tls) if tls else None,
                         timeout=timeout, name="knobs-test-connection")
    try:
        info = cluster_info(client, target.text)
        check_workers(client)
    finally:
        client.close()
    return f"Connected to {target.text}: {info.describe()}"


test_connection.__test__ = False  # a helper, not a test, for pytest's collector


def probe(address: str, timeout: float) -> None:
    # distributed retries a refused connection until its timeout runs out; a plain socket
    # tells at once that the host is unknown or that nothing listens on the port.
    host, port = ClusterAddress(address).host_port
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except socket.gaierror:
        raise ClusterError(f"cannot find the host {host!r} of the cluster address {address}: "
                           "check its spelling, or use its IP address") from None
    except ConnectionRefusedError:
        raise ClusterError(f"nothing listens at {address} (connection refused): is "
                           "'dask scheduler' running there, on that port?") from None
    except OSError as exc:  # TimeoutError included
        raise ClusterError(unreachable(address, timeout, exc)) from None


def check_workers(client: Any) -> None:
    try:
        client.run(describe_worker)  # unpickling it imports Knobs on each worker
    except Exception as exc:  # noqa: BLE001 - whatever a worker raised, say it
        raise ClusterError(
            f"a Dask worker cannot import Knobs ({exc}): install knobs on every worker, or "
            "start the workers where the project is on the Python path (see docs/cluster.md)"
        ) from None


def cluster_info(client: Any, address: str) -> ClusterInfo:
    workers = client.scheduler_info(n_workers=-1).get("workers", {})
    threads = sum(int(w.get("nthreads", 0)) for w in workers.values())
    return ClusterInfo(address, len(workers), threads)


def unreachable(address: str, timeout: float, exc: BaseException) -> str:
    reason = "no answer" if isinstance(exc, TIMEOUTS) else one_line(exc)
    return (f"could not reach the Dask scheduler at {address} within {timeout:g} s "
            f"({reason}): is 'dask scheduler' running there, and the port open to this "
            "computer?")


def one_line(exc: BaseException | None) -> str:
    if exc is None:
        return "unknown error"
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}{'es' if noun.endswith('s') else 's'}"
