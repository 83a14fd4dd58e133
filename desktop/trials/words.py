"""Which rows of the trials table contain a typed word, found a column at a time with numpy.

A word matches a row when one of the row's cells contains it (case-insensitively). Rather
than making and scanning one text per row (about a second at 100,000 rows), each column is
searched on its own:

- a column whose texts cannot hold one of the word's characters (``rbf`` in a column of
  numbers) is skipped without formatting a cell;
- a column is formatted once per *distinct* value (a state, a choice, a worker: a handful)
  and the answer spread back to the rows with numpy; the texts are kept until the trials
  change, so typing more letters costs a lookup, not a reformat.

No Qt here: the model hands over key arrays and text functions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

_DIGITS = frozenset("0123456789")
_NUMBER = _DIGITS | frozenset(".-+einf")  # %g texts, and "inf"
# What each kind of column can show; None: anything (choices, states, text metrics).
ALPHABETS: dict[str, frozenset[str] | None] = {
    "number": _DIGITS,
    "worker": _DIGITS,
    "steps": _NUMBER,
    "value": _NUMBER,
    "duration": _NUMBER | frozenset(" minshovray"),  # "1 min 05 s", "2 h 05 min", "over a year"
    "started": _DIGITS | frozenset("-: "),
}


class ColumnText(NamedTuple):
    """One column as the word search sees it."""

    key: tuple[str, str]
    keys: np.ndarray  # sort keys of rows [0, n); NaN: blank or see ``raw_text``
    text: Callable[[float], str]  # a key's cell text
    alphabet: frozenset[str] | None  # characters its texts can hold; None: any
    raw_text: Callable[[int], str] | None = None  # text of a row without a key (param, metric)


class WordIndex:
    """Answers "which rows contain this word", keeping each column's texts per distinct key."""

    def __init__(self) -> None:
        # The table searches on a worker thread, and a few rows on the GUI thread.
        self._lock = threading.Lock()
        self._version: object = None
        self._texts: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, list[str]]] = {}
        self._raw: dict[tuple[str, str], dict[int, str]] = {}

    def rows_with_all(self, words: Sequence[str], columns: Sequence[ColumnText], n: int,
                      version: object) -> np.ndarray:
        """A bool per row of [0, n): does some cell of the row contain every word?"""
        with self._lock:
            return self._rows_with_all(words, columns, n, version)

    def _rows_with_all(self, words: Sequence[str], columns: Sequence[ColumnText], n: int,
                       version: object) -> np.ndarray:
        if version != self._version:
            self._texts.clear()
            self._raw.clear()
            self._version = version
        ok = np.ones(n, dtype=bool)
        for word in words:
            found = np.zeros(n, dtype=bool)
            for column in columns:
                found |= self._column_has(word, column, n)
            ok &= found
            if not ok.any():
                break
        return ok

    def _column_has(self, word: str, column: ColumnText, n: int) -> np.ndarray:
        hit = np.zeros(n, dtype=bool)
        keys = column.keys[:n]
        if column.alphabet is None or set(word) <= column.alphabet:
            uniq, inverse, texts = self._distinct(column, keys)
            if texts:
                has = np.fromiter((word in t for t in texts), dtype=bool, count=len(texts))
                hit = has[inverse]
        if column.raw_text is not None:
            # Cells without a key can still show text: a text metric, an unknown choice.
            for i, text in self._raw_texts(column, keys).items():
                if word in text:
                    hit[i] = True
        return hit

    def _distinct(self, column: ColumnText, keys: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, list[str]]:
        cached = self._texts.get(column.key)
        if cached is not None and cached[1].size == keys.size:
            return cached
        uniq, inverse = np.unique(keys, return_inverse=True)
        inverse = inverse.reshape(-1)
        if np.issubdtype(uniq.dtype, np.floating) and uniq.size and np.isnan(uniq[-1]):
            blank = uniq.size - 1  # NaNs sort last and are collapsed into one
        else:
            blank = -1
        if column.alphabet is not None and column.alphabet <= _DIGITS:
            whole = np.where(np.isnan(uniq), 0, uniq).astype(np.int64).astype(str)
            texts = whole.tolist()  # whole numbers: formatted by numpy, not one by one
        else:
            f = column.text
            texts = [f(k).lower() for k in uniq.tolist()]
        if blank >= 0:
            texts[blank] = ""
        self._texts[column.key] = (uniq, inverse, texts)
        return uniq, inverse, texts

    def _raw_texts(self, column: ColumnText, keys: np.ndarray) -> dict[int, str]:
        cached = self._raw.get(column.key)
        if cached is None:
            cached = {}
            for i in np.flatnonzero(np.isnan(keys)).tolist():
                text = column.raw_text(i)
                if text:
                    cached[i] = text.lower()
            self._raw[column.key] = cached
        return cached


__all__ = ["ALPHABETS", "ColumnText", "WordIndex"]
