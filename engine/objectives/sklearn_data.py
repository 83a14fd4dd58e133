"""Data sets for the scikit-learn objective: bundled ones and CSV files.

A CSV file is read with the standard library (no pandas): the first row names the columns,
the user picks the target column, and every other column is detected as numeric or
categorical. Preprocessing (imputation, scaling, one-hot encoding) is a ColumnTransformer
that is fitted inside each training fold, so nothing about a test fold leaks into training.

Every problem with the data is an :class:`ObjectiveError` that names the setting, the value
and what would be accepted, so the window can show it before any trial runs.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn import datasets as sk_datasets
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from engine.objectives.base import ObjectiveError
from engine.objectives.sklearn_catalog import CLASSIFICATION, REGRESSION, TASKS

BUNDLED: dict[str, Callable[..., Any]] = {
    "iris": sk_datasets.load_iris,
    "wine": sk_datasets.load_wine,
    "breast_cancer": sk_datasets.load_breast_cancer,
    "digits": sk_datasets.load_digits,
    "diabetes": sk_datasets.load_diabetes,
}

# Cells that mean "no value" (compared after stripping and lower-casing).
MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})
# A numeric target with at most this many distinct whole numbers is taken as class labels.
MAX_INFERRED_CLASSES = 20
# One-hot columns per categorical column; rarer categories share one "infrequent" column.
MAX_CATEGORIES = 20
_MISSING_CATEGORY = "(missing)"


@dataclass(frozen=True, eq=False)
class Dataset:
    """Features and target ready for scikit-learn.

    ``X`` is a float array when every feature is numeric, otherwise an object array holding
    floats (NaN when missing) in numeric columns and text (NaN when missing) in categorical
    ones. For classification ``y`` holds class codes 0..C-1 and ``classes`` their labels.
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    numeric: tuple[int, ...]
    categorical: tuple[int, ...]
    task: str
    target: str
    classes: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def n_rows(self) -> int:
        return len(self.y)

    def class_counts(self) -> dict[str, int]:
        """Rows per class label (classification only)."""
        counts = np.bincount(self.y, minlength=len(self.classes))
        return dict(zip(self.classes, (int(c) for c in counts)))


# ---------------------------------------------------------------------------- bundled


def load_bundled(name: str, task: str | None = None) -> Dataset:
    """One of the data sets shipped with scikit-learn: iris, wine, breast_cancer, digits,
    diabetes."""
    loader = BUNDLED.get(name) if isinstance(name, str) else None
    if loader is None:
        raise ObjectiveError(
            f"objective.dataset = {name!r}: unknown data set; expected one of "
            f"{', '.join(BUNDLED)} (or give a CSV file as objective.csv)"
        )
    bunch = loader()
    X = np.asarray(bunch.data, dtype=float)
    names = tuple(str(n) for n in getattr(bunch, "feature_names", [])) or tuple(
        f"x{i}" for i in range(X.shape[1])
    )
    natural = REGRESSION if name == "diabetes" else CLASSIFICATION
    target_names = getattr(bunch, "target_names", None)
    labels = [str(target_names[int(t)]) for t in bunch.target] if natural == CLASSIFICATION \
        else list(bunch.target)
    y, classes, resolved = _target(labels, "target", task, natural)
    return Dataset(
        name=name, X=X, y=y, feature_names=names, numeric=tuple(range(X.shape[1])),
        categorical=(), task=resolved, target="target", classes=classes,
    )


# ---------------------------------------------------------------------------- CSV


def load_csv(
    path: str | Path,
    target: str,
    task: str | None = None,
    *,
    categorical: Sequence[str] = (),
    ignore: Sequence[str] = (),
    encoding: str = "utf-8",
) -> Dataset:
    """Read a CSV file whose first row names the columns; ``target`` is the column to predict.

    ``categorical`` forces columns to be treated as categories even if they hold numbers;
    ``ignore`` leaves columns out (e.g. an id). ``task`` overrides the inferred task.
    """
    header, numbered = read_table(path, encoding)
    where = f"objective.csv = '{path}'"
    if not target:
        raise ObjectiveError(
            f"objective.target is empty: name the column to predict; the columns of {path} are "
            + _listing(header)
        )
    for setting, names in (("categorical", categorical), ("ignore", ignore), ("target", [target])):
        for n in names:
            if n not in header:
                raise ObjectiveError(
                    f"objective.{setting} = '{n}': no such column in {path}; "
                    f"the columns are {_listing(header)}"
                )
    t = header.index(target)
    features = [i for i, n in enumerate(header) if i != t and n not in ignore]
    if not features:
        raise ObjectiveError(
            f"{where}: no feature columns are left besides the target '{target}'"
            + (f" and the ignored {_listing(ignore)}" if ignore else "")
        )
    notes: list[str] = []
    kept = [(n, r) for n, r in numbered if not _is_missing(r[t])]
    if len(kept) < len(numbered):
        notes.append(f"left out {len(numbered) - len(kept)} rows with no value in '{target}'")
    line_numbers = [n for n, _ in kept]
    labelled = [r for _, r in kept]
    if not labelled:
        raise ObjectiveError(f"objective.target = '{target}': the column is empty in {path}")
    columns, numeric, cats = [], [], []
    for i in features:
        cells = [r[i] for r in labelled]
        as_numbers = _numeric_column(header[i], cells, line_numbers, where) \
            if header[i] not in categorical else None
        if as_numbers is None:
            columns.append(np.array([math.nan if _is_missing(c) else c.strip() for c in cells],
                                    dtype=object))
            cats.append(len(columns) - 1)
            distinct = len(set(cells))
            if distinct > 0.5 * len(cells) and len(cells) > 20:
                notes.append(f"column '{header[i]}' has a different value in most rows; "
                             "if it is an id, list it in objective.ignore")
        else:
            columns.append(as_numbers)
            numeric.append(len(columns) - 1)
    if cats:
        X = np.empty((len(labelled), len(columns)), dtype=object)
        for j, col in enumerate(columns):
            X[:, j] = col
    else:
        X = np.column_stack(columns).astype(float)
    raw_target = [r[t].strip() for r in labelled]
    y, classes, resolved = _target(raw_target, target, task, None)
    return Dataset(
        name=Path(path).name, X=X, y=y, feature_names=tuple(header[i] for i in features),
        numeric=tuple(numeric), categorical=tuple(cats), task=resolved, target=target,
        classes=classes, notes=tuple(notes),
    )


def read_table(
    path: str | Path, encoding: str = "utf-8"
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the rows of a CSV file, all as text; each row with its line number.

    The delimiter (comma, semicolon, tab or |) is detected; blank lines are skipped.
    """
    where = f"objective.csv = '{path}'"
    try:
        codecs.lookup(encoding)
    except (LookupError, TypeError):
        raise ObjectiveError(
            f"objective.encoding = {encoding!r}: unknown text encoding; "
            "expected e.g. utf-8, latin-1 or cp1252"
        ) from None
    file = Path(path)
    if not file.is_file():
        raise ObjectiveError(f"{where}: no such file")
    data = file.read_bytes()
    if data[:4] == b"PK\x03\x04":
        raise ObjectiveError(
            f"{where}: this is a zip or Excel file, not CSV text; save it as CSV (UTF-8) first"
        )
    try:
        # utf-8-sig also drops the byte-order mark that Excel writes.
        text = data.decode("utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding)
    except UnicodeDecodeError as e:
        # Excel's "Unicode text" is UTF-16 with a byte-order mark; latin-1 would misread it.
        utf16 = data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
        raise ObjectiveError(
            f"{where}: not readable as {encoding} text (byte 0x{data[e.start]:02x} at position "
            f"{e.start}); save the file as UTF-8, or set objective.encoding to its encoding, "
            + ("which looks like 'utf-16'" if utf16 else "e.g. 'latin-1' or 'cp1252'")
        ) from None
    if not text.strip():
        raise ObjectiveError(f"{where}: the file is empty; expected a header row and data rows")
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        lines = [(reader.line_num, row) for row in reader if any(c.strip() for c in row)]
    except csv.Error as e:
        # The line helps most with "field larger than field limit": usually a stray quote
        # that swallowed the rest of the file into one cell.
        raise ObjectiveError(
            f"{where}: does not parse as CSV at line {reader.line_num} ({e}); "
            "check the quoting and the delimiter"
        ) from None
    header = [h.strip() for h in lines[0][1]]
    rows = [row for _, row in lines[1:]]
    # A trailing delimiter gives an unnamed, empty last column: drop it quietly.
    while header and not header[-1] and all(len(r) < len(header) or not r[-1].strip()
                                            for r in rows):
        header.pop()
    if len(header) < 2:
        raise ObjectiveError(
            f"{where}: found only one column ({_listing(header)}); a data set needs a target "
            "and at least one feature column, separated by commas, semicolons or tabs"
        )
    header = [h or f"column {i + 1}" for i, h in enumerate(header)]
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise ObjectiveError(f"{where}: column names must be unique; repeated: {_listing(dupes)}")
    width = len(header)
    out = []
    for line_no, row in lines[1:]:
        if len(row) > width and not any(c.strip() for c in row[width:]):
            row = row[:width]
        if len(row) != width:
            raise ObjectiveError(
                f"{where}: line {line_no} has {len(row)} fields but the header has {width}; "
                "check the quoting and the delimiter"
            )
        out.append((line_no, row))
    if not out:
        raise ObjectiveError(f"{where}: has a header but no data rows")
    return header, out


def _sniff_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _numeric_column(
    name: str, cells: list[str], line_numbers: list[int], where: str
) -> np.ndarray | None:
    """The column as floats, None if it holds categories; text among numbers is an error."""
    values = np.full(len(cells), math.nan)
    texts: list[int] = []
    for k, c in enumerate(cells):
        if _is_missing(c):
            continue
        x = _parse_number(c)
        if x is None:
            texts.append(k)
        else:
            values[k] = x
    present = len(cells) - sum(_is_missing(c) for c in cells)
    if not texts:
        return values
    if len(texts) == present or len(texts) > 0.5 * present:
        return None
    k = texts[0]
    more = f" (and {len(texts) - 1} more cells)" if len(texts) > 1 else ""
    # Line numbers match both a text editor and a spreadsheet's row numbers.
    text = cells[k].strip()
    if len(text) > 60:  # a runaway cell (a missing quote) would make a 100 kB message
        text = text[:57] + "..."
    raise ObjectiveError(
        f"{where}: column '{name}' holds numbers, but line {line_numbers[k]} has the text "
        f"{text!r}{more}; fix the cell, leave it empty to mark it missing, or list "
        f"'{name}' in objective.categorical to treat the column as categories"
    )


def _parse_number(cell: str) -> float | None:
    s = cell.strip()
    if "_" in s:  # float() accepts 1_000, a spreadsheet would not
        return None
    try:
        x = float(s)
    except ValueError:
        # A decimal comma ("3,5") is how several locales write numbers.
        if s.count(",") != 1 or "." in s:
            return None
        try:
            x = float(s.replace(",", "."))
        except ValueError:
            return None
    return x if math.isfinite(x) else None


def _is_missing(cell: str) -> bool:
    return cell.strip().lower() in MISSING


# ---------------------------------------------------------------------------- target and task


def infer_task(labels: Sequence[Any]) -> str:
    """Classification for text or a few distinct whole numbers, otherwise regression."""
    numbers = [_as_number(v) for v in labels]
    if any(x is None for x in numbers):
        return CLASSIFICATION
    distinct = set(numbers)
    if all(float(x).is_integer() for x in distinct) and len(distinct) <= MAX_INFERRED_CLASSES:
        return CLASSIFICATION
    return REGRESSION


def _target(
    labels: Sequence[Any], target: str, task: str | None, natural: str | None
) -> tuple[np.ndarray, tuple[str, ...], str]:
    if task not in (None, "", *TASKS):
        raise ObjectiveError(
            f"objective.task = {task!r}: expected classification or regression "
            "(or leave it empty to infer it from the target)"
        )
    resolved = task or natural or infer_task(labels)
    numbers = [_as_number(v) for v in labels]
    if resolved == REGRESSION:
        bad = next((v for v, x in zip(labels, numbers) if x is None), None)
        if bad is not None:
            raise ObjectiveError(
                f"objective.task = 'regression': the target column '{target}' holds text "
                f"(e.g. {bad!r}); regression needs numbers, classification accepts labels"
            )
        y = np.asarray(numbers, dtype=float)
        if np.ptp(y) == 0:
            raise ObjectiveError(
                f"objective.target = '{target}': every row has the same value ({y[0]:g}); "
                "there is nothing to predict"
            )
        return y, (), resolved
    if all(x is not None for x in numbers):
        fractional = next((x for x in numbers if not float(x).is_integer()), None)
        if fractional is not None:
            raise ObjectiveError(
                f"objective.task = 'classification': the target column '{target}' holds "
                f"fractional numbers (e.g. {fractional:g}); use regression, or a column of labels"
            )
        keys = [str(int(x)) for x in numbers]
        classes = sorted(set(keys), key=int)
    else:
        keys = [str(v) for v in labels]
        classes = sorted(set(keys))
    if len(classes) < 2:
        raise ObjectiveError(
            f"objective.target = '{target}': every row has the same class ({classes[0]!r}); "
            "classification needs at least two classes"
        )
    code = {c: i for i, c in enumerate(classes)}
    return np.array([code[k] for k in keys], dtype=int), tuple(classes), resolved


def _as_number(v: Any) -> float | None:
    if isinstance(v, (int, float, np.number)) and not isinstance(v, bool):
        return float(v)
    return _parse_number(str(v))


# ---------------------------------------------------------------------------- preprocessing


def make_preprocessor(data: Dataset, scale: bool) -> ColumnTransformer:
    """Imputation (+ scaling when ``scale``) for numeric columns, one-hot for categorical ones.

    Unfitted: fit it on a training fold only, so that medians, scales and categories never
    come from the rows it is tested on.
    """
    parts = []
    if data.numeric:
        steps = [SimpleImputer(strategy="median")]
        if scale:
            steps.append(StandardScaler())
        parts.append(("numeric", make_pipeline(*steps), list(data.numeric)))
    if data.categorical:
        parts.append((
            "categorical",
            make_pipeline(
                SimpleImputer(strategy="constant", fill_value=_MISSING_CATEGORY),
                OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=MAX_CATEGORIES,
                              sparse_output=False),
            ),
            list(data.categorical),
        ))
    return ColumnTransformer(parts, sparse_threshold=0.0)


def _listing(names: Sequence[str]) -> str:
    return ", ".join(f"'{n}'" for n in names) or "none"
