"""Where a Dask cluster is and how to prove who we are to it: checked without Dask.

An address is ``tcp://HOST:PORT``, ``tls://HOST:PORT`` or ``local:N`` (a cluster Knobs
starts on this computer, always over TLS with certificates made for that run). A
``tls://`` scheduler needs the user's own files: the certificate authority that signed the
cluster's certificates, this user's certificate and its private key.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.space import show_value

MAX_LOCAL = 256
ACCEPTED = ("tcp://HOST:PORT or tls://HOST:PORT (a running Dask scheduler) or local:N "
            "(a Dask cluster of N processes on this computer)")
_REMOTE = re.compile(
    r"^(?P<scheme>tcp|tls)://(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(?P<port>\d{1,5})$")
_LOCAL = re.compile(r"^local:(?P<n>\d+)$")
# The TLS settings as the spec's [cluster] table names them, and the command line's flags.
TLS_FIELDS = (("ca_file", "--tls-ca"), ("cert_file", "--tls-cert"), ("key_file", "--tls-key"))
_CLUSTER_KEYS = ("address", "ca_file", "cert_file", "key_file")


class ClusterError(ValueError):
    """A cluster address that is malformed, unreachable or unusable; a plain sentence."""


@dataclass(frozen=True)
class ClusterAddress:
    """A parsed cluster address: a scheduler's, or ``local_workers`` for local:N."""

    text: str
    local_workers: int | None = None

    @property
    def tls(self) -> bool:
        return self.text.startswith("tls://")

    @property
    def host_port(self) -> tuple[str, int]:
        host, port = self.text.split("://", 1)[1].rsplit(":", 1)
        return host.strip("[]"), int(port)


def parse_cluster_address(text: str) -> ClusterAddress:
    """Check a cluster address; raises :class:`ClusterError` naming the value and the forms."""
    value = text.strip()
    local = _LOCAL.match(value)
    if local:
        n = int(local["n"])
        if not 1 <= n <= MAX_LOCAL:
            raise ClusterError(
                f"the cluster address local:N needs 1 <= N <= {MAX_LOCAL}, but got {text!r}"
            )
        return ClusterAddress(value, n)
    remote = _REMOTE.match(value)
    if remote and 1 <= int(remote["port"]) <= 65535:
        return ClusterAddress(value)
    raise ClusterError(f"the cluster address must be {ACCEPTED}, but got {text!r}")


@dataclass(frozen=True)
class ClusterTLS:
    """The user's files for a ``tls://`` scheduler (PEM). ``key_file`` may be left out when
    the certificate file holds the key too."""

    ca_file: str
    cert_file: str
    key_file: str | None = None

    def problems(self, names: dict[str, str] | None = None) -> list[str]:
        """One sentence per file that is missing or unreadable, named as ``names`` says
        (the spec's field or the command line's flag)."""
        names = names or {}
        out = []
        for field, path in (("ca_file", self.ca_file), ("cert_file", self.cert_file),
                            ("key_file", self.key_file)):
            if path is None:
                continue
            problem = _file_problem(path)
            if problem:
                out.append(f"{names.get(field, field)} = {path!r}: {problem}; expected a "
                           "readable PEM file")
        return out


@dataclass(frozen=True)
class ClusterSpec:
    """Where a study's trials run, as the spec's ``[cluster]`` table says: a run setting,
    like ``workers``; the command line's ``--cluster`` and ``--tls-*`` override it."""

    address: str
    tls: ClusterTLS | None = None


def check_cluster(address: str, tls: ClusterTLS | None,
                  names: dict[str, str] | None = None, *, files: bool = True) -> ClusterAddress:
    """The address parsed, with its TLS files checked (unless not ``files``); raises
    :class:`ClusterError`.

    A ``tls://`` scheduler needs the CA and certificate files, and only it takes them:
    ``local:N`` makes its own certificates and ``tcp://`` has no use for any.
    """
    names = names or {}
    parsed = parse_cluster_address(address)
    flags = " and ".join(names.get(f, f) for f, _ in TLS_FIELDS[:2])
    if tls is not None and not parsed.tls:
        what = ("a local cluster makes its own certificates" if parsed.local_workers
                else "a tcp:// scheduler does not use them; use its tls:// address")
        raise ClusterError(f"certificate files were given for {parsed.text}, but {what}")
    if parsed.tls and tls is None:
        raise ClusterError(f"the cluster address {parsed.text} is a TLS scheduler: give the "
                           f"certificate files to use with it ({flags}, and the key file "
                           "unless the certificate file holds the key)")
    if parsed.tls:
        empty = [names.get(f, f) for f in ("ca_file", "cert_file") if not getattr(tls, f)]
        if empty:
            raise ClusterError(f"{' and '.join(empty)} is empty: the TLS scheduler at "
                               f"{parsed.text} needs {flags}")
    if tls is not None and files:
        problems = tls.problems(names)
        if problems:
            raise ClusterError("; ".join(problems))
    return parsed


def _file_problem(path: str) -> str | None:
    p = Path(path)
    if not p.exists():
        return "no such file"
    if p.is_dir():
        return "is a folder"
    if not os.access(p, os.R_OK):
        return "not readable by this user"
    try:
        with open(p, "rb") as f:
            f.read(1)
    except OSError as exc:
        return f"cannot read it ({exc.strerror})"
    return None


# --- the spec's [cluster] table ------------------------------------------------------


def read_cluster(table: dict[str, Any], problems: list[str]) -> ClusterSpec | None:
    """The [cluster] table: its address and, for a tls:// scheduler, the certificate files.
    Whether the files exist is checked when a run starts (paths may be relative)."""
    problems.extend(f"cluster.{key}: unknown setting; accepted: {', '.join(_CLUSTER_KEYS)}"
                    for key in table if key not in _CLUSTER_KEYS)
    found = len(problems)
    values = {}
    for key in _CLUSTER_KEYS:
        value = table.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            problems.append(f"cluster.{key} = {show_value(value)}: expected "
                            f"{'an address' if key == 'address' else 'a file path'} as text")
        values[key] = value
    if values["address"] is None:
        problems.append("cluster.address is missing: give the scheduler's address "
                        "(tcp://HOST:PORT, tls://HOST:PORT) or local:N")
    if len(problems) > found:
        return None
    tls = None
    if values["ca_file"] or values["cert_file"] or values["key_file"]:
        tls = ClusterTLS(values["ca_file"] or "", values["cert_file"] or "", values["key_file"])
    names = {k: f"cluster.{k}" for k in _CLUSTER_KEYS}
    try:
        check_cluster(values["address"], tls, names, files=False)
    except ClusterError as exc:
        problems.append(f"cluster.address = {show_value(values['address'])}: {exc}")
        return None
    return ClusterSpec(values["address"].strip(), tls)


def cluster_to_dict(cluster: ClusterSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"address": cluster.address}
    if cluster.tls is not None:
        out["ca_file"], out["cert_file"] = cluster.tls.ca_file, cluster.tls.cert_file
        if cluster.tls.key_file is not None:
            out["key_file"] = cluster.tls.key_file
    return out
