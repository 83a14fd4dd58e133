"""A large CSV is read and checked off the GUI thread: the window answers while it reads,
the first rows show before the whole file is read, and a stale read never wins."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QTableView

import desktop.setup.csv_reader as csv_reader
import engine.objectives.sklearn_data as sklearn_data
from desktop.setup.objective_panel import ObjectivePanel

ROWS = 200_000


@pytest.fixture
def panel(qtbot, tmp_path):
    widget = ObjectivePanel()
    widget.set_base_dir(tmp_path)
    qtbot.addWidget(widget)
    widget.resize(480, 700)
    widget.show()
    return widget


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "big.csv"
    lines = ["age,colour,price,label"]
    lines += [f"{20 + i % 50},{'red' if i % 3 else 'blue'},{1.5 * (i % 97)},"
              f"{'yes' if i % 2 else 'no'}" for i in range(ROWS)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """The thread of every whole-file read, in the form's reader and in the engine's check."""
    threads: list[str] = []

    def recording(original):
        def read_table(path, encoding="utf-8"):
            threads.append(threading.current_thread().name)
            return original(path, encoding)
        return read_table

    monkeypatch.setattr(csv_reader, "read_table", recording(csv_reader.read_table))
    monkeypatch.setattr(sklearn_data, "read_table", recording(sklearn_data.read_table))
    return threads


def child(panel, cls, name):
    widget = panel.findChild(cls, name)
    assert widget is not None, name
    return widget


def type_path(panel, qtbot, path: Path) -> None:
    combo = child(panel, QComboBox, "dataset")
    combo.setCurrentIndex(combo.findData("\x00csv"))
    field = child(panel, QLineEdit, "csv_path")
    field.clear()
    qtbot.keyClicks(field, str(path))


def read_and_checked(panel) -> bool:
    return not any(w in p for p in panel.problems()
                   for w in ("CSV file: reading", "CSV file: checking"))


def test_a_large_csv_is_read_and_checked_off_the_gui_thread(panel, qtbot, big_csv, reads):
    type_path(panel, qtbot, big_csv)
    # Typing returned before the file was read: the window says so and keeps answering.
    assert any("CSV file: reading big.csv" in p or f"reading {big_csv}" in p
               for p in panel.problems())
    preview = child(panel, QTableView, "preview")
    qtbot.waitUntil(lambda: preview.isVisible() and preview.model().rowCount() == 8,
                    timeout=60_000)
    qtbot.waitUntil(lambda: read_and_checked(panel), timeout=120_000)
    assert f"{ROWS:,} rows" in child(panel, QLabel, "csv_info").text()
    assert child(panel, QComboBox, "target").currentData() == "label"
    assert panel.problems() == []
    assert reads, "the file was never read"
    assert threading.main_thread().name not in reads


def test_a_file_chosen_while_another_is_read_wins(panel, qtbot, tmp_path, big_csv, reads):
    small = tmp_path / "small.csv"
    small.write_text("height,weight,kind\n" + "".join(
        f"{150 + i},{50 + i},{'a' if i % 2 else 'b'}\n" for i in range(20)), encoding="utf-8")
    type_path(panel, qtbot, big_csv)
    type_path(panel, qtbot, small)  # before the big file is read
    qtbot.waitUntil(lambda: read_and_checked(panel), timeout=120_000)
    target = child(panel, QComboBox, "target")
    assert [target.itemData(i) for i in range(target.count())] == ["height", "weight", "kind"]
    assert "20 rows" in child(panel, QLabel, "csv_info").text()
    assert threading.main_thread().name not in reads
