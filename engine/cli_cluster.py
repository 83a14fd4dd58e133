"""Where ``knobs run`` sends its trials: ``--cluster`` and ``--tls-*``, else the spec's
``[cluster]`` table; checked (address, files exist and are readable) before any file is
written, each problem naming the flag or the spec field it came from."""

from __future__ import annotations

import argparse
from pathlib import Path

from engine.cluster_address import (
    TLS_FIELDS,
    ClusterError,
    ClusterSpec,
    ClusterTLS,
    check_cluster,
)
from engine.spec import StudySpec


def cluster_target(args: argparse.Namespace, spec: StudySpec) -> ClusterSpec | None:
    """The cluster to use, checked; ``None`` for this computer. Raises ``ClusterError``."""
    flags = {field: getattr(args, flag.lstrip("-").replace("-", "_"), None)
             for field, flag in TLS_FIELDS}
    from_spec = spec.cluster
    address = args.cluster or (from_spec.address if from_spec else None)
    if address is None:
        if any(flags.values()):
            names = ", ".join(flag for field, flag in TLS_FIELDS if flags[field])
            raise ClusterError(f"{names} given without a tls:// scheduler: add --cluster "
                                 "tls://HOST:PORT")
        return None
    if any(flags.values()):
        tls = ClusterTLS(flags["ca_file"] or "", flags["cert_file"] or "", flags["key_file"])
        names = dict(TLS_FIELDS)
    elif from_spec is not None and from_spec.tls is not None and address.startswith("tls://"):
        # The spec's files are relative to the spec, as the objective's are.
        base = Path(getattr(args, "spec", ".")).parent
        tls = ClusterTLS(*(None if p is None else str((base / p).resolve()) for p in (
            from_spec.tls.ca_file, from_spec.tls.cert_file, from_spec.tls.key_file)))
        names = {field: f"cluster.{field}" for field, _ in TLS_FIELDS}
    else:
        tls, names = None, dict(TLS_FIELDS)
    check_cluster(address, tls, names)
    return ClusterSpec(address.strip(), tls)

