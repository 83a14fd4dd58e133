"""Small dialogs: errors in plain words (details folded away), confirmations, help."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QMessageBox, QTextBrowser, QVBoxLayout, QWidget

from engine import bundled


def show_error(parent: QWidget, title: str, message: str, lead: str | None = None) -> None:
    """A plain sentence first; anything long (a traceback) goes under "Show Details"."""
    box = QMessageBox(QMessageBox.Warning, title, lead or message.splitlines()[0], parent=parent)
    lines = message.splitlines()
    if lead is not None:
        box.setInformativeText(message if len(lines) <= 8 else "\n".join(lines[:8]) + "\n…")
    elif len(lines) > 1:
        box.setInformativeText(lines[1] if len(lines) == 2 else "")
    if len(lines) > 8 or (lead is None and len(lines) > 2):
        box.setDetailedText(message)
    box.exec()


def confirm_objective(parent: QWidget, description: str) -> bool:
    """Show what will run before running code that came from a file."""
    box = QMessageBox(
        QMessageBox.Question, "Run this on your computer?",
        "This study was opened from a file. Each trial runs:", parent=parent,
    )
    box.setInformativeText(description + "\n\nRun it only if you trust where the file came "
                           "from.")
    run = box.addButton("Run", QMessageBox.AcceptRole)
    box.addButton(QMessageBox.Cancel)
    box.exec()
    return box.clickedButton() is run


def show_user_guide(parent: QWidget) -> None:
    dialog = QDialog(parent)
    dialog.setWindowTitle("Knobs user guide")
    dialog.resize(760, 680)
    browser = QTextBrowser()
    browser.setOpenExternalLinks(True)
    guide = bundled.user_guide()
    browser.setSearchPaths([str(guide.parent)])
    browser.setMarkdown(guide.read_text(encoding="utf-8"))
    QVBoxLayout(dialog).addWidget(browser)
    dialog.show()


def show_about(parent: QWidget) -> None:
    QMessageBox.about(
        parent, "About Knobs",
        f"<b>Knobs {bundled.version()}</b><p>Hyperparameter tuning on your desktop: grid, random, "
        "quasi-random and Bayesian search, live plots and a study file that keeps every "
        "trial.</p><p>Built with PySide6, pyqtgraph, NumPy, SciPy and scikit-learn.</p>",
    )
