"""A dataset turned into arrays once per run, split once per seed.

The firm's feature matrix is the dataset's X as floats (categorical columns stay integer codes, as
HistGradientBoosting takes them).  The collective's scoring space is different: the sensitive
column removed, categorical codes one-hot encoded, missing values imputed with the training
median (a column with no observed value becomes 0) and every column standardised on train, so
that Euclidean distances (RB-label, RB-dist) compare like with like.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from fairbench.contract import Dataset
from fairbench.errors import DataError

TEST_FRACTION = 0.2
#: Seeds the validation carve-out apart from the train/test split of the same seed.
VALIDATION_STREAM = 0x5A11D


@dataclass(frozen=True)
class Split:
    """Row indices of one seed.  ``validation`` is empty under the paper's two-way protocol."""

    seed: int
    train: np.ndarray
    test: np.ndarray
    validation: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))


@dataclass
class Prepared:
    """Arrays of one dataset plus what the harness needs to know about its columns."""

    name: str
    X: np.ndarray
    a: np.ndarray
    y: np.ndarray
    columns: tuple[str, ...]
    categorical: tuple[int, ...]
    sensitive: int | None
    is_test: np.ndarray | None
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_cache"] = {}  # each worker process fills its own
        return state

    @cached_property
    def fingerprint(self) -> str:
        """Hash of the data itself: a changed file or preparation never reuses a stored cell."""
        digest = hashlib.sha256()
        for arr in (self.X, self.a, self.y) + ((self.is_test,) if self.is_test is not None else ()):
            digest.update(np.ascontiguousarray(arr).tobytes())
        digest.update(repr((self.columns, self.categorical, self.sensitive)).encode())
        return digest.hexdigest()[:16]

    def split(self, seed: int, validation_fraction: float = 0.0) -> Split:
        """80/20 per seed (stratified by group and label where possible) or the predefined split,
        then ``validation_fraction`` of the training rows set aside as validation (docs/protocol.md).

        The test rows do not depend on ``validation_fraction``, and 0 gives exactly the paper's
        two-way split.  Computed once per seed and process, then shared by every task of that seed.
        """
        key = ("split", seed, float(validation_fraction))
        if key not in self._cache:
            split = self._split(seed)
            if validation_fraction > 0:
                split = self._carve_validation(split, validation_fraction)
            self._cache[key] = split
        return self._cache[key]

    def _carve_validation(self, split: Split, fraction: float) -> Split:
        """Move ``fraction`` of the training rows to validation, stratified by group and label."""
        from sklearn.model_selection import train_test_split

        strata = self.a[split.train] * 2 + self.y[split.train]
        _, counts = np.unique(strata, return_counts=True)
        stratify = strata if counts.min() >= 2 else None
        state = int(np.random.default_rng([split.seed, VALIDATION_STREAM]).integers(2**31 - 1))
        train, validation = train_test_split(split.train, test_size=fraction, random_state=state, stratify=stratify)
        return Split(split.seed, np.sort(train), split.test, np.sort(validation))

    def _split(self, seed: int) -> Split:
        n = len(self.y)
        if self.is_test is not None:
            return Split(seed, np.flatnonzero(~self.is_test), np.flatnonzero(self.is_test))
        from sklearn.model_selection import train_test_split

        index = np.arange(n)
        strata = self.a * 2 + self.y
        _, counts = np.unique(strata, return_counts=True)
        n_test = int(np.ceil(n * TEST_FRACTION))
        # stratify where scikit-learn can: every stratum twice, and room for each in both parts
        # (tiny data then fails the group-size check with counts, not inside the split)
        stratify = strata if counts.min() >= 2 and min(n_test, n - n_test) >= len(counts) else None
        train, test = train_test_split(index, test_size=TEST_FRACTION, random_state=seed, stratify=stratify)
        return Split(seed, np.sort(train), np.sort(test))

    def scoring_space(self, train: np.ndarray) -> np.ndarray:
        """Standardised, imputed, one-hot features of every row, fitted on ``train`` rows only."""
        key = ("scoring", hashlib.sha1(np.ascontiguousarray(train).tobytes()).hexdigest())
        if key not in self._cache:
            self._cache[key] = self._scoring_space(train)
        return self._cache[key]

    def _scoring_space(self, train: np.ndarray) -> np.ndarray:
        keep = [j for j in range(self.X.shape[1]) if j != self.sensitive]
        blocks = []
        for j in keep:
            column = self.X[:, j]
            if j in self.categorical:
                codes = np.nan_to_num(column, nan=-1.0)
                levels = np.unique(codes[train])
                blocks.append((codes[:, None] == levels[None, :]).astype(float))
            else:
                observed = column[train][np.isfinite(column[train])]
                fill = float(np.median(observed)) if observed.size else 0.0
                blocks.append(np.where(np.isfinite(column), column, fill)[:, None])
        Z = np.hstack(blocks) if blocks else np.zeros((len(self.y), 1))
        mean = Z[train].mean(axis=0)
        std = Z[train].std(axis=0)
        std[std == 0] = 1.0
        return (Z - mean) / std


def prepare(dataset: Dataset) -> Prepared:
    """Validate a loaded dataset and turn it into arrays."""
    columns = tuple(str(c) for c in dataset.X.columns)
    try:
        X = dataset.X.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        bad = [c for c in dataset.X.columns if not np.issubdtype(dataset.X[c].dtype, np.number)]
        raise DataError(f"dataset {dataset.name!r}: feature columns must be numeric, not {bad[:5]}: {exc}") from None
    if np.isinf(X).any():
        col = columns[int(np.flatnonzero(np.isinf(X).any(axis=0))[0])]
        raise DataError(f"dataset {dataset.name!r}: column {col!r} holds inf; replace it with a finite value or leave it empty (NaN)")
    a = _binary(dataset.a, "sensitive attribute a", dataset.name)
    y = _binary(dataset.y, "label y", dataset.name)
    if len(y) == 0:
        raise DataError(f"dataset {dataset.name!r} has no rows")
    _both_values(a, "sensitive attribute a", ("majority (a=0)", "protected (a=1)"), dataset.name)
    _both_values(y, "label y", ("unfavourable (y=0)", "favourable (y=1)"), dataset.name)
    if X.shape[1] == 0:
        raise DataError(f"dataset {dataset.name!r} has no feature columns; the firm's learner needs at least one "
                        "(keep the sensitive column, or add features)")
    empty = np.isnan(X).all(axis=0)
    if empty.any():
        col = columns[int(np.flatnonzero(empty)[0])]
        raise DataError(f"dataset {dataset.name!r}: feature column {col!r} has no value in any row; drop it "
                        f"(csv: option drop={col})")
    categorical = tuple(columns.index(c) for c in dataset.categorical if c in columns)
    sensitive = columns.index(dataset.sensitive_column) if dataset.sensitive_column in columns else None
    is_test = None if dataset.is_test is None else np.asarray(dataset.is_test, dtype=bool)
    if is_test is not None and (is_test.all() or not is_test.any()):
        which = "every row" if is_test.all() else "no row"
        raise DataError(f"dataset {dataset.name!r}: the predefined split marks {which} as test; "
                        "it needs both training and test rows")
    return Prepared(dataset.name, X, a, y, columns, categorical, sensitive, is_test)


def _both_values(arr: np.ndarray, what: str, kinds: tuple[str, str], name: str) -> None:
    """A fairness comparison needs both groups and both labels: refuse a constant a or y."""
    present = np.unique(arr)
    if len(present) < 2:
        value = int(present[0])
        raise DataError(f"dataset {name!r}: {what} is {value} in every row, so there are no {kinds[1 - value]} rows; "
                        "a comparison needs rows with both values 0 and 1")


def _binary(values, what: str, name: str) -> np.ndarray:
    arr = np.asarray(values)
    seen = np.unique(arr[~_isnan(arr)]) if arr.size else arr
    if arr.size and _isnan(arr).any():
        raise DataError(f"dataset {name!r}: {what} has missing values; every row needs 0 or 1")
    if not set(seen.tolist()) <= {0, 1}:
        raise DataError(f"dataset {name!r}: {what} must be 0/1, found values {seen.tolist()[:5]}")
    return arr.astype(np.int64)


def _isnan(arr: np.ndarray) -> np.ndarray:
    return np.isnan(arr) if np.issubdtype(arr.dtype, np.floating) else np.zeros(arr.shape, dtype=bool)
