"""The TLS files of a tls:// Dask scheduler, in the run panel's cluster section: the CA that
signed the cluster's certificates, the user's certificate and its key."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from engine.cluster_address import ClusterTLS

# What the fields are called where a problem names them.
NAMES = {"ca_file": "CA file", "cert_file": "Certificate", "key_file": "Key"}
_HINTS = {
    "ca_file": "The certificate authority (PEM) that signed the scheduler's and workers' "
               "certificates.",
    "cert_file": "Your certificate (PEM), signed by that authority.",
    "key_file": "Your private key (PEM); leave empty if the certificate file holds it.",
}


class TlsFields(QWidget):
    """Three file fields with Browse buttons; :meth:`tls` is what they hold."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self.edits: dict[str, QLineEdit] = {}
        for row, (field, label) in enumerate(NAMES.items()):
            edit = QLineEdit()
            edit.setPlaceholderText("optional" if field == "key_file" else "path to a .pem file")
            edit.setToolTip(_HINTS[field])
            browse = QPushButton("Browse…")
            browse.setToolTip(f"Choose the {label.lower()}.")
            browse.clicked.connect(lambda _=False, f=field: self._browse(f))
            grid.addWidget(QLabel(label), row, 0)
            grid.addWidget(edit, row, 1)
            grid.addWidget(browse, row, 2)
            self.edits[field] = edit

    def tls(self) -> ClusterTLS | None:
        """The files as typed (unchecked); None when every field is empty."""
        values = {f: e.text().strip() for f, e in self.edits.items()}
        if not any(values.values()):
            return None
        return ClusterTLS(values["ca_file"], values["cert_file"], values["key_file"] or None)

    def load(self, tls: ClusterTLS | None) -> None:
        for field, edit in self.edits.items():
            edit.setText((getattr(tls, field) or "") if tls is not None else "")

    def _browse(self, field: str) -> None:
        edit = self.edits[field]
        path, _ = QFileDialog.getOpenFileName(self, f"Choose the {NAMES[field].lower()}",
                                              edit.text(), "PEM files (*.pem *.crt *.key);;"
                                              "All files (*)")
        if path:
            edit.setText(path)
