"""TrialsModel: the trials of one study as a table that stays fast at 100,000 rows.

The model holds no trials of its own: it reads the one
:class:`~engine.trial_columns.TrialColumns` store that the trial feed fills and the plots
read too. Row ``i`` is trial number ``i``; each column's float sort keys (NaN where the cell
is blank) are derived from the store's arrays, once per batch and only for the columns
asked for. Display text is made only for the cells a view asks for.

Sorting happens here with ``numpy.argsort`` (as Orange3's table model does) rather than
in a ``QSortFilterProxyModel``: the proxy compares rows through ``data()``, which at
100,000 rows means millions of Python calls (measured: ~16 s per click). Filtering is done
here too, with numpy (:mod:`desktop.trials.filter_expr`, :mod:`desktop.trials.words`), as a
reset of the model's row map; :mod:`desktop.trials.proxy` only passes rows through.
The filtering lives in :mod:`desktop.trials.row_filter` and the derivation of sort keys and
cell text in :mod:`desktop.trials.cell_keys`, both mixed into the model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    QObject,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont

from desktop.state_colours import STATE_COLOURS
from desktop.trial_feed import TrialFeed
from desktop.trials.cell_keys import CellKeys
from desktop.trials.columns import (
    HEAD_COLUMNS,
    RANK_COLUMN,
    TAIL_COLUMNS,
    TrialColumn,
    metric_column,
    param_column,
    tooltip_text,
)
from desktop.trials.filter_expr import TrialFilter
from desktop.trials.row_filter import BACKGROUND_WORD_ROWS, RowFilter
from desktop.trials.words import WordIndex
from engine.space import Param
from engine.states import FAILED, INTERRUPTED, STATES
from engine.study import Study
from engine.trial import Trial, TrialState
from engine.trial_columns import TrialColumns

SORT_ROLE = Qt.ItemDataRole.UserRole  # a float (or None when blank): what sorting uses
NUMBER_ROLE = Qt.ItemDataRole.UserRole + 1  # the trial number of the row

# Above this many rows a live update re-sorts at most once every RESORT_MS: each re-sort
# makes the filter proxy map every row again (~50 ms at 100,000 rows).
LIVE_RESORT_ROWS = 20_000
RESORT_MS = 1000
# Rows whose texts are read when fitting a column's width: the widest ones are among them.
WIDTH_SAMPLE = 400

# Roles as plain ints: data() runs for every visible cell and role on each repaint.
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_SORT = int(SORT_ROLE)
_NUMBER = int(NUMBER_ROLE)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_BACKGROUND = int(Qt.ItemDataRole.BackgroundRole)
_FONT = int(Qt.ItemDataRole.FontRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_INITIAL_SORT = int(Qt.ItemDataRole.InitialSortOrderRole)

_LAYOUT_SIGNATURE = ("QList<QPersistentModelIndex>", "QAbstractItemModel::LayoutChangeHint")

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter

# Built once and shared by every cell. Half-transparent and mid-grey so they read on
# light and dark palettes alike.
_BEST_BRUSH = QBrush(QColor(255, 196, 0, 70))
_MUTED_BRUSH = QBrush(QColor(128, 128, 128))
# The state column in the plots' colours, by state code.
_STATE_BRUSH = tuple(QBrush(QColor(STATE_COLOURS[s])) for s in STATES)
_MUTED_CODES = (FAILED, INTERRUPTED)


class TrialsModel(RowFilter, CellKeys, QAbstractTableModel):
    """One row per trial of the feed's study, updated from ``feed.updated`` in batches.

    Columns: #, state, value, one per parameter, one per scalar metric (added as metrics
    first appear), steps, duration, started, worker. ``DisplayRole`` gives text,
    ``SORT_ROLE`` a float, ``NUMBER_ROLE`` the trial number. ``sort()`` reorders with numpy.
    """

    summary_changed = Signal()  # after every reset or batch: state counts, best trial
    filter_applied = Signal()  # the rows now show the last filter set

    def __init__(self, feed: TrialFeed, parent: QObject | None = None):
        super().__init__(parent)
        self._feed = feed
        self._study: Study | None = None
        self._store: TrialColumns | None = None
        self._n = 0  # trials the views know of; the store may be ahead until our handler runs
        self._columns: list[TrialColumn] = []
        self._params: dict[str, Param] = {}
        self._key_cache: dict[tuple[str, str], np.ndarray] = {}
        self._key_version = -1
        self._texts: list = []  # column -> text of a sort key
        # Row -> trial number, sorted and filtered; None: every trial in number order.
        self._rows: np.ndarray | None = None
        self._rank: np.ndarray | None = None  # trial number -> row, -1 when filtered out
        self._sort_key: tuple[str, str] | None = None  # by key: metric columns shift others
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._best = -1  # number of the best trial
        self._ranks = np.empty(0)  # Pareto rank by trial number (studies of several goals)
        self._live_ranks = None  # keeps them as trials complete (engine/live_ranks.py)
        self._filter: TrialFilter | None = None
        self._match: np.ndarray | None = None  # trial number -> passes the filter
        self._words = WordIndex()
        # True while a new filter resets the rows (a view keeps its setup then).
        self.filter_resetting = False
        self.searching = False  # words are being searched on a worker thread
        self._search_generation = 0
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
        """Every trial, by number (not the sorted order)."""
        if self._store is None:
            return []
        return [t for t in self._store.trials[: self._n] if t is not None]

    def trial_at(self, row: int) -> Trial:
        return self._store.trials[self._storage(row)]

    def row_of(self, number: int) -> int:
        """The row showing trial ``number``, or -1."""
        if not 0 <= number < self._n:
            return -1
        return number if self._rank is None else int(self._rank[number])

    @property
    def total(self) -> int:
        """Trials in the table, shown or filtered out."""
        return self._n

    def column_of(self, kind: str, name: str | None = None) -> int:
        """The column of a kind (and param/metric name), or -1."""
        key = (kind, name or kind)
        return next((c for c, col in enumerate(self._columns) if col.key == key), -1)

    @property
    def best_number(self) -> int:
        """The best complete trial's number for the study's direction, or -1."""
        return self._best

    def state_counts(self) -> dict[TrialState, int]:
        if self._store is None:
            return dict.fromkeys(STATES, 0)
        states = self._store.states[: self._n]
        counts = np.bincount(states[states >= 0], minlength=len(STATES))
        return {s: int(counts[i]) for i, s in enumerate(STATES)}

    def cell_text(self, row: int, column: int) -> str:
        """The text a view shows in a cell."""
        return self._cell_text(column, self._storage(row))

    def widest_texts(self, column: int, count: int = 3) -> list[str]:
        """The longest texts of a column among the rows most likely to be widest: the best
        one (shown bold), the smallest and largest keys and an even sample of the rest."""
        n = self._n
        if n == 0:
            return []
        keys = self._keys(self._columns[column].key)[:n]
        rows = {0, n - 1, *np.linspace(0, n - 1, min(n, WIDTH_SAMPLE)).astype(int).tolist()}
        if self._best >= 0:
            rows.add(self._best)
        if not np.isnan(keys).all():
            rows |= {int(np.nanargmin(keys)), int(np.nanargmax(keys))}
        texts = {self._cell_text(column, i) for i in rows}
        return sorted(texts, key=len, reverse=True)[:count]

    # --- Qt model interface -----------------------------------------------------------

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid():
            return 0
        return self._n if self._rows is None else len(self._rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: QModelIndex, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        role = int(role)
        i = self._storage(index.row())
        c = index.column()
        if role == _DISPLAY:
            return self._cell_text(c, i)
        column = self._columns[c]
        if role == _SORT:
            v = self._keys(column.key)[i]
            return None if math.isnan(v) else float(v)
        if role == _ALIGN:
            return _RIGHT if column.numeric else _LEFT
        if role == _FOREGROUND:
            code = int(self._store.states[i])
            if column.kind == "state":
                # Complete rows keep the palette's text colour: they are the normal case.
                return _STATE_BRUSH[code] if code >= 0 and STATES[code] is not \
                    TrialState.COMPLETE else None
            return _MUTED_BRUSH if code in _MUTED_CODES else None
        if role == _BACKGROUND:
            return _BEST_BRUSH if i == self._best else None
        if role == _FONT:
            return self._bold if i == self._best else None
        if role == _TOOLTIP:
            trial = self._store.trials[i]
            return None if trial is None else tooltip_text(column, trial)
        if role == _NUMBER:
            return i
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
        if role == _INITIAL_SORT and column.kind == "value":
            # The first click on Value puts the best trials on top, whichever the direction.
            maximize = self._study is not None and self._study.direction == "maximize"
            return int((Qt.SortOrder.DescendingOrder if maximize
                        else Qt.SortOrder.AscendingOrder).value)
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

    def flush_feed(self) -> None:
        """Show what changed in the study now (a user action), not at the feed's next tick."""
        self._feed.flush()

    def resort(self) -> None:
        """Put rows in sort order now (big tables re-sort live updates once a second)."""
        self._resort_timer.stop()
        self._apply_order(self._visible_rows())

    # --- filtering (row_filter.py), sort keys and cell text (cell_keys.py) -------------

    def _best_number(self) -> int:
        if self._study is not None and self._study.is_multi:
            # One objective under limits: its best trial that meets them; several: the
            # trial the user chose from the front (desktop/chosen.py), if any.
            summary = self._study.summary()
            best = summary.chosen if summary.front_size is not None else summary.best_trial
            return best.number if best is not None else -1
        return self._store.best_row() if self._store is not None else -1

    # --- feed events ------------------------------------------------------------------

    def _on_feed_reset(self, study: Study | None) -> None:
        self.beginResetModel()
        self._resort_timer.stop()
        self._study = study
        self._store = self._feed.columns if study is not None else None
        self._n = self._store.n if self._store is not None else 0
        self._params = {p.name: p for p in study.spec.params} if study is not None else {}
        ranked = [RANK_COLUMN] if study is not None and study.is_multi else []
        self._columns = [*HEAD_COLUMNS, *ranked,
                         *(param_column(p) for p in self._params.values())]
        if self._store is not None:
            self._columns += [self._metric_column(m) for m in self._store.metric_names]
        self._columns += TAIL_COLUMNS
        self._key_cache.clear()
        self._key_version = -1
        self._texts = self._text_functions()
        self._words = WordIndex()
        self._reset_ranks()
        self._best = self._best_number()
        # A parsed filter names the old study's columns and choices: views parse it again.
        self._filter = self._match = None
        self._search_generation += 1
        self.searching = False
        self._rows = self._rank = None
        self._set_rows(self._visible_rows())
        self.endResetModel()
        self.summary_changed.emit()

    def _on_feed_updated(self, batch: Sequence[Trial]) -> None:
        if self._store is None or not batch:
            return
        self._add_metric_columns()
        old = self._n
        changed = np.asarray([t.number for t in batch if t.number < old], dtype=np.int64)
        if changed.size and self._filter is not None:
            self._refilter(changed)
        if self._store.n > old:
            self._append(old, self._store.n)
        self._emit_changed([i for i in changed.tolist() if self._row(i) >= 0])
        # Ranks move only when a trial completes, and only those it beats (cell_keys.py).
        moved = self._update_ranks(batch)
        if moved.size:
            if self._filter is not None:
                self._refilter(moved)  # "on the front" may take or drop rows
            self._emit_changed([i for i in moved.tolist() if self._row(i) >= 0])
        self._update_best()
        if self._sort_key is not None:
            if self._n < LIVE_RESORT_ROWS:
                self.resort()
            elif not self._resort_timer.isActive():
                self._resort_timer.start()  # meanwhile new rows wait at the end
        self.summary_changed.emit()

    def _append(self, first: int, end: int) -> None:
        """New trials: the ones that pass the filter join at the end (a re-sort follows)."""
        added = np.arange(first, end)
        if self._filter is not None:
            passes = self._evaluate(added)
            self._match = np.concatenate([self._match[:first], passes])
            added = added[passes]
        shown = self.rowCount()
        if added.size == 0:
            self._n = end
            self._set_rows(self._rows)
            return
        self.beginInsertRows(QModelIndex(), shown, shown + added.size - 1)
        rows = self._rows
        self._n = end
        self._set_rows(None if rows is None and self._filter is None
                       else np.concatenate([np.arange(first) if rows is None else rows, added]))
        self.endInsertRows()

    def _refilter(self, numbers: np.ndarray) -> None:
        """Changed trials that now pass the filter, or no longer do, come or go as rows."""
        now = self._evaluate(numbers)
        was = self._match[numbers]
        self._match[numbers] = now
        for i in numbers[was & ~now].tolist():
            r = self._row(i)
            self.beginRemoveRows(QModelIndex(), r, r)
            self._set_rows(np.delete(self._rows, r))
            self.endRemoveRows()
        came = numbers[now & ~was]
        if came.size:
            shown = self.rowCount()
            self.beginInsertRows(QModelIndex(), shown, shown + came.size - 1)
            self._set_rows(np.concatenate([self._rows, came]))
            self.endInsertRows()

    def _emit_changed(self, numbers: list[int]) -> None:
        """One dataChanged per run of adjacent rows, covering just those rows."""
        last_column = len(self._columns) - 1
        rows = sorted(self._row(i) for i in numbers)
        start = prev = None
        for r in [*rows, None]:
            if start is not None and (r is None or r != prev + 1):
                self.dataChanged.emit(self.index(start, 0), self.index(prev, last_column))
                start = None
            if start is None:
                start = r
            prev = r

    def _update_best(self) -> None:
        best = self._best_number()
        if best != self._best:
            old, self._best = self._best, best
            self._emit_changed([i for i in (old, best) if 0 <= i < self._n])

    # --- columns ----------------------------------------------------------------------

    def _add_metric_columns(self) -> None:
        known = {c.name for c in self._columns if c.kind == "metric"}
        names = [m for m in self._store.metric_names if m not in known]
        if not names:
            return
        first = len(self._columns) - len(TAIL_COLUMNS)
        self.beginInsertColumns(QModelIndex(), first, first + len(names) - 1)
        for k, name in enumerate(names):
            self._columns.insert(first + k, self._metric_column(name))
        self._texts = self._text_functions()
        self.endInsertColumns()

    def _metric_column(self, name: str) -> TrialColumn:
        taken = {c.title.lower() for c in self._columns} | {p.lower() for p in self._params}
        return metric_column(name, taken)

    # --- ordering -----------------------------------------------------------------------

    def _storage(self, row: int) -> int:
        return row if self._rows is None else int(self._rows[row])

    def _row(self, i: int) -> int:
        return i if self._rank is None else int(self._rank[i])

    def _visible_rows(self) -> np.ndarray | None:
        """Trial numbers in row order: sorted by the sort column, filtered by the filter."""
        n = self._n
        order = None
        if self._sort_key is not None and n and self.column_of(*self._sort_key) >= 0:
            keys = self._keys(self._sort_key)[:n]
            if self._sort_order == Qt.SortOrder.DescendingOrder:
                keys = -keys  # NaN stays NaN, so blanks still sort last
            # Stable: equal keys keep trial order, and rows do not jump between updates.
            order = np.argsort(keys, kind="stable")
        if self._match is not None:
            order = np.flatnonzero(self._match[:n]) if order is None \
                else order[self._match[:n][order]]
        return order

    def _normal(self, rows: np.ndarray | None) -> np.ndarray | None:
        """``None`` for every trial in number order (unfiltered), else ``rows``."""
        n = self._n
        if rows is not None and self._match is None and rows.size == n and \
                np.array_equal(rows, np.arange(n)):
            return None
        return rows

    def _set_rows(self, rows: np.ndarray | None) -> None:
        n = self._n
        rows = self._normal(rows)
        self._rows = rows
        if rows is None:
            self._rank = None
        else:
            self._rank = np.full(n, -1, dtype=np.intp)
            self._rank[rows] = np.arange(rows.size)

    def _apply_order(self, rows: np.ndarray | None) -> None:
        """Move rows to a new order as one layout change, keeping selections attached."""
        rows, current = self._normal(rows), self._rows
        if (rows is None and current is None) or (
            rows is not None and current is not None and np.array_equal(rows, current)
        ):
            return
        hint = QAbstractItemModel.LayoutChangeHint.VerticalSortHint
        # The full signature, so that views learn it is a sort (they keep row selections).
        self.layoutAboutToBeChanged[_LAYOUT_SIGNATURE].emit([], hint)
        old = self._persistent_storage()
        self._set_rows(rows)
        self.changePersistentIndexList(
            [p for p, _ in old],
            [self.index(self._row(i), p.column()) if i >= 0 and self._row(i) >= 0
             else QModelIndex() for p, i in old],
        )
        self.layoutChanged[_LAYOUT_SIGNATURE].emit([], hint)

    def _persistent_storage(self) -> list[tuple[QModelIndex, int]]:
        out = []
        for p in self.persistentIndexList():
            i = self._storage(p.row()) if 0 <= p.row() < self.rowCount() else -1
            out.append((p, i))
        return out


__all__ = ["BACKGROUND_WORD_ROWS", "NUMBER_ROLE", "SORT_ROLE", "TrialColumn", "TrialsModel"]
