"""RowFilter: the part of :class:`~desktop.trials.model.TrialsModel` that filters its rows.

A filter box's text is parsed against the model's columns, applied with numpy over the sort
keys (:mod:`desktop.trials.filter_expr`), and its words looked up a column at a time
(:mod:`desktop.trials.words`), on a worker thread in a big table.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from desktop.background import run_in_background
from desktop.trials.columns import TrialColumn, typed_key
from desktop.trials.filter_expr import TrialFilter, match_trials, parse_filter
from desktop.trials.words import ALPHABETS, ColumnText
from engine.space import FloatParam, IntParam
from engine.states import STATE_CODE
from engine.trial import TrialState

if TYPE_CHECKING:
    from desktop.trials.model import TrialsModel

# Above this many rows, the words of a filter are searched on a worker thread.
BACKGROUND_WORD_ROWS = 20_000


class RowFilter:
    """Filtering of a TrialsModel's rows (mixed into it; uses its store, columns and keys)."""

    def parse_filter(
        self, text: str, states: Iterable[TrialState] | None = None
    ) -> tuple[TrialFilter, list[str]]:
        """The filter for a filter box's text and the states to keep, and its problems."""
        codes = None if states is None else frozenset(float(STATE_CODE[s]) for s in states)
        return parse_filter(text, self._columns, self._text_key, codes)

    def _text_key(self, column: TrialColumn, text: str) -> float | None:
        return typed_key(column, text, self._params.get(column.name))

    def set_filter(self, trial_filter: TrialFilter | None) -> None:
        """Show only the trials that pass (all for ``None``), as one reset of the rows.

        Filtering happens here with numpy, not in a proxy's ``filterAcceptsRow``: that is a
        Python call per row, ~1.5 s at 100,000 rows. Words in a table of more than
        BACKGROUND_WORD_ROWS rows are searched on a worker thread (formatting the number
        columns takes a second there); the rows change, and ``filter_applied`` follows,
        when the answer is back. Meanwhile :attr:`searching` is true.
        """
        self._filter = None if trial_filter is None or trial_filter.is_empty else trial_filter
        self._search_generation += 1  # a search still running answers an older filter
        if self._filter is not None and self._filter.words and self._n > BACKGROUND_WORD_ROWS:
            self._search_words(self._filter, self._search_generation)
            return
        self.searching = False
        self._reset_rows(None if self._filter is None else self._evaluate(np.arange(self._n)))
        self.filter_applied.emit()

    def _reset_rows(self, match: np.ndarray | None) -> None:
        self.filter_resetting = True
        self.beginResetModel()
        try:
            self._match = match
            self._set_rows(self._visible_rows())
        finally:
            self.endResetModel()
            self.filter_resetting = False

    def _search_words(self, trial_filter: TrialFilter, generation: int) -> None:
        self.searching = True
        n, version = self._n, self._store.version
        # Copies: the feed may write new values into the store while the search runs.
        columns = [c._replace(keys=c.keys[:n].copy()) for c in self._word_columns()]
        words, index = trial_filter.words, self._words

        def work() -> tuple[int, int, object]:
            try:
                found = index.rows_with_all(words, columns, n, version)
            except Exception as exc:  # noqa: BLE001 - raised again on the GUI thread
                found = exc
            return generation, n, found

        # The answer is dropped if the table is closed meanwhile.
        run_in_background(work, self._on_words_found, name="knobs-word-search")

    def _on_words_found(self, answer: tuple[int, int, object]) -> None:
        generation, n, found = answer
        if generation != self._search_generation:
            return  # the user typed on; a newer search (or none) is wanted
        self.searching = False
        if isinstance(found, Exception):
            raise found  # a bug: the window's error dialog and log report it
        match = match_trials(self._filter, np.arange(self._n), RowKeys(self))
        match[:n] &= found
        if self._n > n:  # trials that arrived while it searched: read their cells
            match[n:] = self._evaluate(np.arange(n, self._n))
        self._reset_rows(match)
        self.filter_applied.emit()

    def _evaluate(self, numbers: np.ndarray) -> np.ndarray:
        ok = match_trials(self._filter, numbers, RowKeys(self))
        words = self._filter.words
        if words and ok.any():
            if numbers.size > 64:
                # Whole columns with numpy, one distinct value at a time.
                found = self._words.rows_with_all(words, self._word_columns(), self._n,
                                                  self._store.version)
                ok &= found[numbers]
            else:  # a few changed rows of a live study: read their cells
                for k in np.flatnonzero(ok).tolist():
                    text = self._row_text(int(numbers[k]))
                    ok[k] = all(w in text for w in words)
        return ok

    def _word_columns(self) -> list[ColumnText]:
        out = []
        for c, column in enumerate(self._columns):
            if column.kind in ("param", "metric", "note"):
                alphabet = ALPHABETS["value"] if column.numeric else None
                # A blank number parameter is one the trial lacks: no text to look up.
                lacks = isinstance(self._params.get(column.name), (FloatParam, IntParam))
                raw = None if lacks else partial(self._raw_text, column)
            else:
                alphabet, raw = ALPHABETS.get(column.kind), None
            out.append(ColumnText(column.key, self._keys(column.key), self._texts[c],
                                  alphabet, raw))
        return out

    def _row_text(self, i: int) -> str:
        # Cells joined by a separator nobody types, so a word cannot span two cells.
        return "\x1f".join(self._cell_text(c, i) for c in range(len(self._columns))).lower()


class RowKeys:
    """The model's sort-key columns as the mapping :func:`match_trials` reads."""

    def __init__(self, model: TrialsModel):
        self._model = model

    def __getitem__(self, key: tuple[str, str]) -> np.ndarray:
        return self._model._keys(key)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return (c.key for c in self._model.columns)
