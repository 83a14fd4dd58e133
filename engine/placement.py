"""Where a run's trials go: local worker processes, or a Dask cluster given its address.

Above both kinds of slot, so neither imports the other: :mod:`engine.executors` knows only
local processes, :mod:`engine.dask_executor` builds on them.
"""

from __future__ import annotations

import os

from engine.cluster_address import ClusterTLS
from engine.executors import LocalProcessExecutor


def make_executor(cluster: str | None, *, workers: int, memory_limit_mb: int | None = None,
                  tls: ClusterTLS | None = None):
    """Local processes for ``cluster=None``, else a Dask executor for the address.

    ``cluster`` is ``tcp://HOST:PORT`` or ``tls://HOST:PORT`` (a running Dask scheduler;
    ``tls`` holds the user's certificate files for the latter) or ``local:N`` (a Dask
    cluster of N processes started here, TLS-only); a bad address or TLS file raises
    :class:`engine.cluster_address.ClusterError`. ``workers`` is how many trials run at
    once, used to share this computer's cores among local workers.
    """
    if cluster is None:
        cores = max(1, os.cpu_count() or 1)
        return LocalProcessExecutor(
            threads_per_worker=max(1, cores // max(1, workers)), memory_limit_mb=memory_limit_mb
        )
    # Imported here: the Dask executor is optional (the ``cluster`` extra).
    from engine.dask_executor import DaskExecutor

    return DaskExecutor(cluster, memory_limit_mb=memory_limit_mb, tls=tls)
