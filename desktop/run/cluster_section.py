"""The Run panel's cluster section: where trials run, the scheduler address and TLS files,
checked inline, and "Test connection" on a worker thread (a part of RunPanel)."""

from __future__ import annotations

from desktop.background import run_in_background
from desktop.run.cluster_tls import NAMES as TLS_NAMES
from engine import dask_executor
from engine.cluster_address import ClusterError, ClusterSpec, ClusterTLS, check_cluster

TEST_TIMEOUT_S = 5.0  # how long "Test connection" waits for a scheduler to answer


class ClusterSection:
    """RunPanel's methods for the cluster fields (which RunPanel builds)."""

    def cluster_address(self) -> str | None:
        """Where to run: ``None`` for this computer, else the address as typed (unchecked)."""
        if self.where.currentData() != "cluster":
            return None
        return self.address.text().strip()

    def cluster_tls(self) -> ClusterTLS | None:
        """The TLS files as typed (unchecked), for a tls:// address; else None."""
        if not (self.cluster_address() or "").startswith("tls://"):
            return None
        return self.tls_fields.tls()

    def check_cluster(self) -> bool:
        """Check the address and TLS files before a run; a problem is shown here, inline."""
        address = self.cluster_address()
        if address is None:
            return True
        try:
            check_cluster(address, self.cluster_tls(), TLS_NAMES)
        except ClusterError as exc:
            self.more_button.setChecked(True)  # the cluster fields are among the folded ones
            self._show_cluster_result(_sentence(str(exc)), ok=False)
            return False
        return True

    def load_cluster(self, cluster: ClusterSpec | None) -> None:
        """Show a spec's [cluster] table (written for the command line); without one, the
        section keeps its choice. The choice made here stays out of the study."""
        if cluster is None:
            return
        self.where.setCurrentIndex(self.where.findData("cluster"))
        self.address.setText(cluster.address)
        self.tls_fields.load(cluster.tls)
        self._on_where_changed()

    def _on_where_changed(self) -> None:
        cluster = self.more_button.isChecked() and self.where.currentData() == "cluster"
        self._form.setRowVisible(self.address, cluster)
        self._form.setRowVisible(self.tls_fields, cluster and self.address.text().strip()
                                 .startswith("tls://"))
        self._form.setRowVisible(self._test_row, cluster)
        self._form.setRowVisible(self.cluster_result, cluster and bool(self.cluster_result.text()))
        self._update_more_summary()

    def _on_address_edited(self, text: str) -> None:
        self._test_generation += 1  # a test of the old address says nothing about this one
        self.test_button.setEnabled(self._mode == "idle")
        self._on_where_changed()  # the TLS files show for a tls:// address
        problem = ""
        if text.strip():
            try:
                dask_executor.parse_cluster_address(text)
            except dask_executor.ClusterError as exc:
                problem = str(exc)
        self._show_cluster_result(_sentence(problem), ok=False)

    def _on_test_clicked(self) -> None:
        self._test_generation += 1
        if not self.check_cluster():  # a bad address or TLS file: said inline, nothing sent
            return
        generation, address = self._test_generation, self.address.text()
        tls = self.cluster_tls()
        self.test_button.setEnabled(False)
        self._show_cluster_result(f"Connecting to {address.strip()}…", ok=True)
        # Off the GUI thread: a scheduler that does not answer takes seconds.
        run_in_background(lambda: (generation, *_test_connection(address, tls)),
                          self._on_test_done, name="knobs-cluster-test")

    def _on_test_done(self, result: tuple[int, bool, str]) -> None:
        generation, ok, text = result
        if generation != self._test_generation:
            return  # the address changed, or a newer test started
        self.test_button.setEnabled(self._mode == "idle")
        self._show_cluster_result(text, ok=ok)
        self.connection_tested.emit(ok, text)

    def _show_cluster_result(self, text: str, ok: bool) -> None:
        label = self.cluster_result
        label.setText(text)
        label.setObjectName("hint" if ok else "problem")
        label.style().unpolish(label)  # the style sheet colours it by object name
        label.style().polish(label)
        self._form.setRowVisible(label, bool(text) and self.more_button.isChecked()
                                 and self.where.currentData() == "cluster")


def _test_connection(address: str, tls: ClusterTLS | None) -> tuple[bool, str]:
    try:
        return True, _sentence(dask_executor.test_connection(
            address, timeout=TEST_TIMEOUT_S, **({"tls": tls} if tls else {})))
    except dask_executor.ClusterError as exc:
        return False, _sentence(str(exc))
    except Exception as exc:  # noqa: BLE001 - shown as a sentence, never a traceback
        return False, f"The test failed: {exc}"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
