"""Rows per (group, label) cell in each seed's train and test split: refuse too few, warn on few.

Refused before any work (with the counts): a split that leaves a group or a label with fewer than
``MIN_TRAIN_ROWS`` training rows (the collective is a fraction alpha of the minority's training
rows, RB-prob and every firm-side method fit on train), or a group without a test row (no
fairness metric is defined then).  A cell that is merely sparse, or empty because the data has
no such rows (no protected row with y=0: the collective has no candidates), is not refused:
fewer than ``WARN_TEST_ROWS`` test rows in some cell gives one warning line and the run goes
ahead, since a rate from a handful of rows moves in large steps (an empty cell's rate is n/a).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fairbench.errors import DataError

#: Least training rows of each group (a=0, a=1) and of each label (y=0, y=1).
MIN_TRAIN_ROWS = 10
#: Least test rows of each group.
MIN_TEST_ROWS = 1
#: Fewer test rows than this in some (group, label) cell: the run goes ahead, with a warning.
WARN_TEST_ROWS = 20

CELLS = ((0, 0), (0, 1), (1, 0), (1, 1))


@dataclass(frozen=True)
class SplitCounts:
    """Rows per (a, y) cell, in CELLS order, in one seed's train and test split."""

    seed: int
    train: tuple[int, ...]
    test: tuple[int, ...]


def cell_counts(a: np.ndarray, y: np.ndarray, rows: np.ndarray) -> tuple[int, ...]:
    codes = a[rows] * 2 + y[rows]
    return tuple(int(n) for n in np.bincount(codes, minlength=4))


def split_counts(data, seeds) -> list[SplitCounts]:
    """Counts for every seed's split of a :class:`fairbench.prepared.Prepared`."""
    out = []
    for seed in seeds:
        split = data.split(seed)
        out.append(SplitCounts(seed, cell_counts(data.a, data.y, split.train), cell_counts(data.a, data.y, split.test)))
    return out


def describe(counts: tuple[int, ...]) -> str:
    return ", ".join(f"a={g},y={label}: {n}" for (g, label), n in zip(CELLS, counts))


def _short(counts: tuple[int, ...]) -> bool:
    """Train counts (CELLS order) with a group or a label under MIN_TRAIN_ROWS."""
    n00, n01, n10, n11 = counts
    return min(n00 + n01, n10 + n11, n00 + n10, n01 + n11) < MIN_TRAIN_ROWS


def _no_test_group(counts: tuple[int, ...]) -> bool:
    n00, n01, n10, n11 = counts
    return min(n00 + n01, n10 + n11) < MIN_TEST_ROWS


def check_group_sizes(data, seeds) -> str | None:
    """Raise DataError when a seed's split is below the minimums; else the warning line, if any."""
    counts = split_counts(data, seeds)
    for c in counts:
        if _short(c.train) or _no_test_group(c.test):
            hint = "" if data.is_test is not None else f" (about {_rows_needed()} rows of each before the 80/20 split)"
            raise DataError(
                f"dataset {data.name!r} is too small: the split of seed {c.seed} has train rows {describe(c.train)} "
                f"and test rows {describe(c.test)}; each group and each label needs at least {MIN_TRAIN_ROWS} "
                f"train rows{hint}, and each group at least {MIN_TEST_ROWS} test row")
    fewest = tuple(min(c.test[i] for c in counts) for i in range(4))
    if min(fewest) < WARN_TEST_ROWS:
        return (f"dataset {data.name!r}: few test rows per (group, label) cell ({describe(fewest)}, the fewest over "
                f"{len(counts)} seed(s)); with fewer than {WARN_TEST_ROWS} a group's TPR/FPR moves in large steps "
                "(with none it is n/a), so read small gaps as noise")
    return None


def _rows_needed() -> int:
    """Rows for which an 80/20 split leaves MIN_TRAIN_ROWS in train."""
    from fairbench.prepared import TEST_FRACTION

    n = MIN_TRAIN_ROWS
    while n - int(np.ceil(n * TEST_FRACTION)) < MIN_TRAIN_ROWS:
        n += 1
    return n
