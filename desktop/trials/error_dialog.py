"""TrialErrorDialog: why a trial failed, opened from the trials table."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.trials.columns import error_reason
from engine.formatting import format_number
from engine.trial import Trial


class TrialErrorDialog(QDialog):
    """Why a trial failed: the plain reason, with the traceback in a collapsible section."""

    def __init__(self, trial: Trial, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"Trial {trial.number} failed")
        reason = error_reason(trial.error) or "The trial failed without saying why."
        details = "\n".join((trial.error or "").strip().splitlines()[1:])

        icon = QLabel()
        icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
                       .pixmap(32, 32))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.reason_label = QLabel(f"<b>Trial {trial.number} failed.</b><br>{_html(reason)}")
        self.reason_label.setWordWrap(True)
        self.reason_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        params = ", ".join(f"{k}={format_number(v, 4)}" for k, v in trial.params.items())
        params_label = QLabel(f"Parameters: {params}" if params else "")
        params_label.setWordWrap(True)
        params_label.setStyleSheet("color: palette(placeholder-text);")

        self.details_button = QToolButton()
        self.details_button.setText("Details")
        self.details_button.setCheckable(True)
        self.details_button.setAutoRaise(True)
        self.details_button.setArrowType(Qt.ArrowType.RightArrow)
        self.details_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.details_button.toggled.connect(self._on_details_button_toggled)
        self.details_button.setVisible(bool(details))
        self.details_edit = QPlainTextEdit(details)
        self.details_edit.setReadOnly(True)
        self.details_edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.details_edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details_edit.setMinimumHeight(160)
        self.details_edit.hide()

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = buttons.addButton("Copy", QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(trial.error or ""))
        buttons.rejected.connect(self.reject)

        top = QHBoxLayout()
        top.addWidget(icon)
        text = QVBoxLayout()
        text.addWidget(self.reason_label)
        text.addWidget(params_label)
        text.addStretch(1)
        top.addLayout(text, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.details_edit, 1)
        layout.addWidget(buttons)
        self.resize(600, self.sizeHint().height())

    def _on_details_button_toggled(self, shown: bool) -> None:
        self.details_button.setArrowType(
            Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow
        )
        self.details_edit.setVisible(shown)
        # Grow or shrink downwards only; adjustSize() would also narrow the dialog.
        self.resize(self.width(), self.sizeHint().height())


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
