"""TrialsModel: the trials of one study as a table that stays fast at 100,000 rows.

The model keeps the ``Trial`` snapshots in arrival order and, next to them, one float
array per column holding that column's sort key (NaN where the cell is blank). Display
text is made only for the cells a view asks for, so nothing grows with the number of
rows except a few numpy arrays.

Sorting happens here with ``numpy.argsort`` (as Orange3's table model does) rather than
in a ``QSortFilterProxyModel``: the proxy compares rows through ``data()``, which at
100,000 rows means millions of Python calls (measured: ~16 s per click). The proxy in
this module only filters, and the filter itself is also evaluated with numpy here
(:mod:`desktop.trials.filter_expr`); the proxy merely looks the answer up.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

import numpy as np
from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont

from desktop.trial_feed import TrialFeed
from desktop.trials.columns import (
    HEAD_COLUMNS,
    STATE_CODE,
    STATE_LABEL,
    STATE_RGB,
    STATES,
    TAIL_COLUMNS,
    TrialColumn,
    column_keys,
    error_reason,
    format_number,
    key_function,
    key_text_function,
    metric_column,
    param_column,
    param_key_function,
    raw_value,
    typed_key,
)
from desktop.trials.filter_expr import TrialFilter, match_trials, parse_filter
from engine.export import scalar_metric_names
from engine.space import Param
from engine.study import Study
from engine.trial import Trial, TrialState

SORT_ROLE = Qt.ItemDataRole.UserRole  # a float (or None when blank): what sorting uses
NUMBER_ROLE = Qt.ItemDataRole.UserRole + 1  # the trial number of the row

_COMPLETE = STATE_CODE[TrialState.COMPLETE]
# Above this many rows a live update re-sorts at most once every RESORT_MS: each re-sort
# makes the filter proxy map every row again (~50 ms at 100,000 rows).
LIVE_RESORT_ROWS = 20_000
RESORT_MS = 1000

# Roles as plain ints: data() runs for every visible cell and role on each repaint.
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_SORT = int(SORT_ROLE)
_NUMBER = int(NUMBER_ROLE)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_BACKGROUND = int(Qt.ItemDataRole.BackgroundRole)
_FONT = int(Qt.ItemDataRole.FontRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)

_LAYOUT_SIGNATURE = ("QList<QPersistentModelIndex>", "QAbstractItemModel::LayoutChangeHint")

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter

# Built once and shared by every cell. Half-transparent and mid-grey so they read on
# light and dark palettes alike.
_BEST_BRUSH = QBrush(QColor(255, 196, 0, 70))
_MUTED_BRUSH = QBrush(QColor(128, 128, 128))
# Complete rows keep the palette's text colour: they are the normal case.
_STATE_BRUSH = {
    s: QBrush(QColor(*rgb)) for s, rgb in STATE_RGB.items() if s is not TrialState.COMPLETE
}
_MUTED_STATES = (TrialState.FAILED, TrialState.INTERRUPTED)


class TrialsModel(QAbstractTableModel):
    """One row per trial of the feed's study, updated from ``feed.updated`` in batches.

    Columns: #, state, value, one per parameter, one per scalar metric (added as metrics
    first appear), duration, started, worker. ``DisplayRole`` gives text, ``SORT_ROLE`` a
    float, ``NUMBER_ROLE`` the trial number. ``sort()`` reorders with numpy.
    """

    summary_changed = Signal()  # after every reset or batch: state counts, best trial

    def __init__(self, feed: TrialFeed, parent: QObject | None = None):
        super().__init__(parent)
        self._study: Study | None = None
        self._columns: list[TrialColumn] = []
        self._params: dict[str, Param] = {}
        self._param_keys: dict[str, Callable[[Any], float]] = {}
        self._trials: list[Trial] = []  # storage order: as the trials arrived
        self._index_of: dict[int, int] = {}  # trial number -> storage index
        self._keys: dict[tuple[str, str], np.ndarray] = {}  # column key -> sort keys
        self._capacity = 0
        self._order: np.ndarray | None = None  # row -> storage index; None: arrival order
        self._rank: np.ndarray | None = None  # storage index -> row
        self._sort_key: tuple[str, str] | None = None  # by key: metric columns shift others
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._best = -1  # storage index of the best trial
        self._filter: TrialFilter | None = None
        self._match: np.ndarray | None = None  # storage index -> passes the filter
        self._texts: list[Callable[[float], str]] = []  # column -> text of a sort key
        self._haystack: list[str] | None = None  # storage index -> lowercase row text
        # Row -> passes the filter, or None when nothing is filtered. The proxy reads it.
        self.row_accepted: list[bool] | None = None
        self._bold = QFont()
        self._bold.setBold(True)
        self._resort_timer = QTimer(self)
        self._resort_timer.setSingleShot(True)
        self._resort_timer.setInterval(RESORT_MS)
        self._resort_timer.timeout.connect(self.resort)
        feed.reset.connect(self._on_feed_reset)
        feed.updated.connect(self._on_feed_updated)
        self._on_feed_reset(feed.study)

    # --- what the model holds ----------------------------------------------------------

    @property
    def study(self) -> Study | None:
        return self._study

    @property
    def columns(self) -> tuple[TrialColumn, ...]:
        return tuple(self._columns)

    @property
    def param_names(self) -> list[str]:
        return list(self._params)

    @property
    def trials(self) -> list[Trial]:
        """Every trial, in the order they arrived (not the sorted order)."""
        return list(self._trials)

    def trial_at(self, row: int) -> Trial:
        return self._trials[self._storage(row)]

    def row_of(self, number: int) -> int:
        """The row showing trial ``number``, or -1."""
        i = self._index_of.get(number)
        if i is None:
            return -1
        return i if self._rank is None else int(self._rank[i])

    def column_of(self, kind: str, name: str | None = None) -> int:
        """The column of a kind (and param/metric name), or -1."""
        key = (kind, name or kind)
        return next((c for c, col in enumerate(self._columns) if col.key == key), -1)

    @property
    def best_number(self) -> int:
        """The best complete trial's number for the study's direction, or -1."""
        return self._trials[self._best].number if self._best >= 0 else -1

    def state_counts(self) -> dict[TrialState, int]:
        codes = self._keys[("state", "state")][: len(self._trials)] if self._keys else []
        counts = np.bincount(np.asarray(codes, dtype=np.int64), minlength=len(STATES))
        return {s: int(counts[i]) for i, s in enumerate(STATES)}

    # --- Qt model interface -----------------------------------------------------------

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._trials)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: QModelIndex, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        role = int(role)
        i = self._storage(index.row())
        column = self._columns[index.column()]
        trial = self._trials[i]
        if role == _DISPLAY:
            return self._cell_text(index.column(), i)
        if role == _SORT:
            v = self._keys[column.key][i]
            return None if math.isnan(v) else float(v)
        if role == _ALIGN:
            return _RIGHT if column.numeric else _LEFT
        if role == _FOREGROUND:
            if column.kind == "state":
                return _STATE_BRUSH.get(trial.state)
            return _MUTED_BRUSH if trial.state in _MUTED_STATES else None
        if role == _BACKGROUND:
            return _BEST_BRUSH if i == self._best else None
        if role == _FONT:
            return self._bold if i == self._best else None
        if role == _TOOLTIP:
            return self._tooltip(column, trial)
        if role == _NUMBER:
            return trial.number
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._columns):
            return None
        column = self._columns[section]
        role = int(role)
        if role == _DISPLAY:
            return column.title
        if role == _TOOLTIP:
            return column.help or None
        if role == _ALIGN:
            return _RIGHT if column.numeric else _LEFT
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Reorder rows by a column's sort keys; blanks go last in either order."""
        key = self._columns[column].key if 0 <= column < len(self._columns) else None
        if (key, order) == (self._sort_key, self._sort_order):
            # Already in this order: every update re-sorts. (QTableView.sortByColumn asks
            # twice per click, once through the header's signal and once directly.)
            return
        self._sort_key = key
        self._sort_order = order
        self.resort()

    @property
    def sort_order(self) -> Qt.SortOrder:
        return self._sort_order

    @property
    def sort_column(self) -> int:
        """The column rows are sorted by, or -1 (trial order)."""
        return -1 if self._sort_key is None else self.column_of(*self._sort_key)

    def resort(self) -> None:
        """Put rows in sort order now (big tables re-sort live updates once a second)."""
        self._resort_timer.stop()
        self._apply_order(self._sorted_order())

    # --- filtering (the proxy shows only accepted rows) --------------------------------

    def parse_filter(
        self, text: str, states: Iterable[TrialState] | None = None
    ) -> tuple[TrialFilter, list[str]]:
        """The filter for a filter box's text and the states to keep, and its problems."""
        codes = None if states is None else frozenset(STATE_CODE[s] for s in states)
        return parse_filter(text, self._columns, self._text_key, codes)

    def _text_key(self, column: TrialColumn, text: str) -> float | None:
        return typed_key(column, text, self._params.get(column.name))

    def set_filter(self, trial_filter: TrialFilter | None) -> None:
        """Compute which rows pass; the proxy must invalidate its rows afterwards."""
        self._filter = None if trial_filter is None or trial_filter.is_empty else trial_filter
        if self._filter is None:
            self._match = None
            self.row_accepted = None
            return
        n = len(self._trials)
        self._match = np.zeros(max(self._capacity, 1), dtype=bool)
        self._match[:n] = self._evaluate(np.arange(n))
        self._update_row_accepted()

    def _evaluate(self, indices: np.ndarray) -> np.ndarray:
        needs_text = bool(self._filter.words)
        if needs_text and self._haystack is None:
            self._haystack = self._all_row_texts()
        return match_trials(
            self._filter, indices, self._keys, self._haystack if needs_text else None,
        )

    def _update_row_accepted(self) -> None:
        n = len(self._trials)
        match = self._match[:n]
        self.row_accepted = (match if self._order is None else match[self._order]).tolist()

    # --- text ----------------------------------------------------------------------------

    def _cell_text(self, c: int, i: int) -> str:
        column = self._columns[c]
        text = self._texts[c](self._keys[column.key][i])
        if not text and column.kind in ("param", "metric", "note"):
            # No key: absent, or a value with no number (a text metric, an unknown choice).
            raw = raw_value(column, self._trials[i])
            return "" if raw is None else format_number(raw, 4)
        return text

    def _row_text(self, i: int) -> str:
        # Cells joined by a separator nobody types, so a word cannot span two cells.
        return "\x1f".join(self._cell_text(c, i) for c in range(len(self._columns))).lower()

    def _all_row_texts(self) -> list[str]:
        """Every row's text, made a column at a time: 100,000 rows in well under a second."""
        n = len(self._trials)
        columns = []
        for c, column in enumerate(self._columns):
            keys = self._keys[column.key][:n]
            f = self._texts[c]
            texts = [f(k) for k in keys.tolist()]
            if column.kind in ("param", "metric", "note"):
                for i in np.flatnonzero(np.isnan(keys)).tolist():
                    texts[i] = self._cell_text(c, i)
            columns.append(texts)
        return ["\x1f".join(cells).lower() for cells in zip(*columns)]

    def _text_functions(self) -> list[Callable[[float], str]]:
        return [key_text_function(c, self._params.get(c.name)) for c in self._columns]

    # --- feed events ------------------------------------------------------------------

    def _on_feed_reset(self, study: Study | None) -> None:
        self.beginResetModel()
        self._resort_timer.stop()
        self._study = study
        trials = list(study.trials) if study is not None else []
        self._params = {p.name: p for p in study.spec.params} if study is not None else {}
        self._param_keys = {name: param_key_function(p) for name, p in self._params.items()}
        self._columns = [*HEAD_COLUMNS, *(param_column(p) for p in self._params.values())]
        self._columns += [self._metric_column(m) for m in scalar_metric_names(trials)]
        self._columns += TAIL_COLUMNS
        self._trials = trials
        self._index_of = {t.number: i for i, t in enumerate(trials)}
        self._capacity = max(64, len(trials))
        self._keys = {
            c.key: self._key_array(c, trials, self._capacity) for c in self._columns
        }
        self._texts = self._text_functions()
        self._haystack = None
        self._best = self._find_best()
        # A parsed filter names the old study's columns and choices: views parse it again.
        self._filter = self._match = self.row_accepted = None
        self._order = self._rank = None
        self._set_order(self._sorted_order())
        self.endResetModel()
        self.summary_changed.emit()

    def _on_feed_updated(self, batch: Sequence[Trial]) -> None:
        if self._study is None or not batch:
            return
        self._add_metric_columns(batch)
        changed: list[int] = []
        new: list[Trial] = []
        for trial in batch:
            i = self._index_of.get(trial.number)
            if i is None:
                new.append(trial)
            else:
                self._trials[i] = trial
                self._store_keys(i, trial)
                changed.append(i)
        if new:
            self._append(new)
        if changed:
            self._refresh_matches(np.asarray(changed))
        self._emit_changed(changed)
        self._update_best()
        if self._sort_key is not None:
            if len(self._trials) < LIVE_RESORT_ROWS:
                self.resort()
            elif not self._resort_timer.isActive():
                self._resort_timer.start()  # meanwhile new rows wait at the end
        self.summary_changed.emit()

    def _append(self, trials: list[Trial]) -> None:
        first = len(self._trials)
        last = first + len(trials) - 1
        self._grow(last + 1)
        self.beginInsertRows(QModelIndex(), first, last)
        for k, trial in enumerate(trials, start=first):
            self._index_of[trial.number] = k
            self._trials.append(trial)
            self._store_keys(k, trial)
        added = np.arange(first, last + 1)
        if self._order is not None:
            # New rows join at the end; a re-sort afterwards moves them into place.
            self._order = np.concatenate([self._order, added])
            self._rank = np.concatenate([self._rank, added])
        if self._haystack is not None:
            self._haystack.extend(self._row_text(i) for i in range(first, last + 1))
        if self._filter is not None:
            self._match[first:last + 1] = self._evaluate(added)
            self.row_accepted.extend(self._match[first:last + 1].tolist())
        self.endInsertRows()

    def _refresh_matches(self, indices: np.ndarray) -> None:
        """Changed trials: new row texts (if made yet) and whether they pass the filter."""
        if self._haystack is not None:
            for i in indices.tolist():
                self._haystack[i] = self._row_text(i)
        if self._filter is None:
            return
        self._match[indices] = self._evaluate(indices)
        for i in indices.tolist():
            self.row_accepted[self._row(i)] = bool(self._match[i])

    def _emit_changed(self, indices: list[int]) -> None:
        """One dataChanged per run of adjacent rows, covering just those rows."""
        last_column = len(self._columns) - 1
        rows = sorted(self._row(i) for i in indices)
        start = prev = None
        for r in [*rows, None]:
            if start is not None and (r is None or r != prev + 1):
                self.dataChanged.emit(self.index(start, 0), self.index(prev, last_column))
                start = None
            if start is None:
                start = r
            prev = r

    def _update_best(self) -> None:
        best = self._find_best()
        if best != self._best:
            old, self._best = self._best, best
            self._emit_changed([i for i in (old, best) if i >= 0])

    def _find_best(self) -> int:
        n = len(self._trials)
        if n == 0:
            return -1
        values = self._keys[("value", "value")][:n]
        done = np.flatnonzero((self._keys[("state", "state")][:n] == _COMPLETE)
                              & ~np.isnan(values))
        if done.size == 0:
            return -1
        maximize = self._study is not None and self._study.direction == "maximize"
        pick = np.argmax if maximize else np.argmin
        return int(done[pick(values[done])])

    # --- columns ----------------------------------------------------------------------

    def _add_metric_columns(self, batch: Sequence[Trial]) -> None:
        known = {c.name for c in self._columns if c.kind == "metric"}
        names = [m for m in scalar_metric_names(batch) if m not in known]
        if not names:
            return
        first = len(self._columns) - len(TAIL_COLUMNS)
        self.beginInsertColumns(QModelIndex(), first, first + len(names) - 1)
        for k, name in enumerate(names):
            column = self._metric_column(name)
            self._columns.insert(first + k, column)
            self._keys[column.key] = self._key_array(column, self._trials, self._capacity)
        self._texts = self._text_functions()
        self._haystack = None  # rows gained cells; rebuilt when a word filter needs it
        self.endInsertColumns()

    def _metric_column(self, name: str) -> TrialColumn:
        taken = {c.title.lower() for c in self._columns} | {p.lower() for p in self._params}
        return metric_column(name, taken)

    # --- sort keys ----------------------------------------------------------------------

    def _key_function(self, column: TrialColumn) -> Callable[[Trial], float]:
        return key_function(column, self._param_keys)

    def _key_array(self, column: TrialColumn, trials: Sequence[Trial], size: int) -> np.ndarray:
        out = np.full(size, np.nan)
        out[: len(trials)] = column_keys(column, trials, self._param_keys)
        return out

    def _store_keys(self, i: int, trial: Trial) -> None:
        for column in self._columns:
            self._keys[column.key][i] = self._key_function(column)(trial)

    def _grow(self, size: int) -> None:
        if size <= self._capacity:
            return
        # Doubling keeps appends amortised O(1) while trials stream in.
        self._capacity = max(size, 2 * self._capacity)
        for key, old in self._keys.items():
            self._keys[key] = np.concatenate([old, np.full(self._capacity - old.size, np.nan)])
        if self._match is not None:
            self._match = np.concatenate(
                [self._match, np.zeros(self._capacity - self._match.size, dtype=bool)]
            )

    # --- ordering -----------------------------------------------------------------------

    def _storage(self, row: int) -> int:
        return row if self._order is None else int(self._order[row])

    def _row(self, i: int) -> int:
        return i if self._rank is None else int(self._rank[i])

    def _sorted_order(self) -> np.ndarray | None:
        if self._sort_key not in self._keys or not self._trials:
            return None
        keys = self._keys[self._sort_key][: len(self._trials)]
        if self._sort_order == Qt.SortOrder.DescendingOrder:
            keys = -keys  # NaN stays NaN, so blanks still sort last
        # Stable: equal keys keep arrival order, and rows do not jump between updates.
        return np.argsort(keys, kind="stable")

    def _set_order(self, order: np.ndarray | None) -> None:
        n = len(self._trials)
        if order is not None and np.array_equal(order, np.arange(n)):
            order = None
        self._order = order
        if order is None:
            self._rank = None
        else:
            self._rank = np.empty(n, dtype=np.intp)
            self._rank[order] = np.arange(n)
        if self._match is not None:
            self._update_row_accepted()

    def _apply_order(self, order: np.ndarray | None) -> None:
        """Move rows to a new order as one layout change, keeping selections attached."""
        if order is not None and np.array_equal(order, np.arange(len(self._trials))):
            order = None
        current = self._order
        if (order is None and current is None) or (
            order is not None and current is not None and np.array_equal(order, current)
        ):
            return
        hint = QAbstractItemModel.LayoutChangeHint.VerticalSortHint
        # The full signature, so that views learn it is a sort (they keep row selections).
        self.layoutAboutToBeChanged[_LAYOUT_SIGNATURE].emit([], hint)
        old = self._persistent_storage()
        self._set_order(order)
        self.changePersistentIndexList(
            [p for p, _ in old],
            [self.index(self._row(i), p.column()) if i >= 0 else QModelIndex() for p, i in old],
        )
        self.layoutChanged[_LAYOUT_SIGNATURE].emit([], hint)

    def _persistent_storage(self) -> list[tuple[QModelIndex, int]]:
        out = []
        for p in self.persistentIndexList():
            i = self._storage(p.row()) if 0 <= p.row() < len(self._trials) else -1
            out.append((p, i))
        return out

    # --- tooltips --------------------------------------------------------------------------

    def _tooltip(self, column: TrialColumn, trial: Trial) -> str | None:
        if trial.error:
            reason = error_reason(trial.error)
            more = "\nDouble-click for details." if trial.state is TrialState.FAILED else ""
            return f"{STATE_LABEL[trial.state]}: {reason}{more}"
        if column.kind == "started" and trial.started_at is not None:
            return datetime.fromtimestamp(trial.started_at).strftime("%Y-%m-%d %H:%M:%S")
        if column.kind == "value" and trial.value is not None:
            return repr(trial.value)
        if column.kind == "param" and isinstance(trial.params.get(column.name), float):
            return repr(trial.params[column.name])
        return None


class TrialsProxyModel(QSortFilterProxyModel):
    """Shows the rows the source :class:`TrialsModel`'s filter accepts, in its order.

    Sorting is handed to the source model (numpy); this proxy keeps the source's order.
    """

    def __init__(self, source: TrialsModel, parent: QObject | None = None):
        super().__init__(parent)
        self._source = source
        self.setSourceModel(source)

    def set_filter(self, trial_filter: TrialFilter | None) -> None:
        if hasattr(self, "endFilterChange"):  # Qt 6.10+, where invalidateRowsFilter is deprecated
            self.beginFilterChange()
            self._source.set_filter(trial_filter)
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self._source.set_filter(trial_filter)
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex) -> bool:
        accepted = self._source.row_accepted
        return accepted is None or accepted[source_row]

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        # Not the proxy's own sort: that compares rows through data(), ~16 s at 100k rows.
        self._source.sort(column, order)


__all__ = ["NUMBER_ROLE", "SORT_ROLE", "TrialColumn", "TrialsModel", "TrialsProxyModel"]
