"""Levelling up or down: did a fairness gain raise the minority's rates or lower the majority's?

Every cell of a comparison carries, for each per-group rate of the metric registry (the TPR, FPR
and selection rate of each group: ``metrics.per_group``), its change against the baseline of the
same seed, e.g. ``d_tpr_a1 = tpr_a1(cell) - tpr_a1(baseline, same seed)`` (and ``val_d_...`` on
validation).  The changes are derived when the cells frame is assembled (:func:`add_changes`),
never stored, so stored rows and cell keys are what they were.  ``a = 1`` is the minority: the
protected group, the one the collective is drawn from (``collective.form_collective``).

The rule, per rate and point (intervention, knob value), written once in :func:`classify`
(docs/protocol.md, "Levelling up or down").  Each group's change is a per-seed difference
against the same seed's baseline, so its seed mean and 95% bootstrap interval over seeds
(``statistics.bootstrap_mean``) are a paired comparison.  *up*: the minority's interval lies
above 0; *down*: the majority's lies below 0.

* ``both``: up and down;
* ``levelled up``: up, not down;
* ``levelled down``: down, not up;
* ``the other way``: neither, but the minority's rate fell or the majority's rose;
* ``no clear change``: every interval contains 0;
* ``too few seeds (n)``: fewer than ``statistics.MIN_SEEDS`` seeds, as for every verdict.
"""
from __future__ import annotations

from typing import Iterable, NamedTuple

import numpy as np
import pandas as pd

from fairbench.metrics import CHANGE_PREFIX, Metric, per_group

MINORITY, MAJORITY = 1, 0
LEVELLED_UP, LEVELLED_DOWN, BOTH = "levelled up", "levelled down", "both"
OTHER_WAY, NO_CLEAR_CHANGE = "the other way", "no clear change"
#: the columns a point of the summary is identified by (as fronts.csv's)
POINT = ["intervention", "side", "stage", "knob", "knob_value"]


class Interval(NamedTuple):
    """A seed-mean change with its 95% paired bootstrap interval over ``n`` seeds."""

    mean: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, values) -> "Interval":
        from fairbench.statistics import bootstrap_mean

        x = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(float)
        return cls(*bootstrap_mean(x), int(np.isfinite(x).sum()))

    def text(self) -> str:
        from fairbench.export import ci

        return ci(self.mean, self.low, self.high, signed=True)


def change_vs_baseline(cells: pd.DataFrame, column: str) -> pd.Series:
    """Each cell's ``column`` minus that of the same seed's baseline (NaN where that baseline failed)."""
    values = pd.to_numeric(cells[column], errors="coerce")
    base = (cells["side"] == "baseline") & (cells["status"] == "ok")
    reference = values[base].groupby(cells.loc[base, "seed"]).first()
    return values - cells["seed"].map(reference)


def add_changes(cells: pd.DataFrame, metrics: Iterable[Metric] | None = None) -> pd.DataFrame:
    """``d_<rate>`` (and ``val_d_<rate>`` when the cells have validation metrics) for every per-group rate."""
    for m in per_group(metrics):
        for prefix in ("", "val_"):
            if prefix + m.name in cells:
                cells[prefix + CHANGE_PREFIX + m.name] = change_vs_baseline(cells, prefix + m.name)
    return cells


def classify(minority: Interval, majority: Interval) -> str:
    """The levelling verdict of one rate at one point (the rule in the module docstring)."""
    from fairbench.statistics import MIN_SEEDS

    n = min(minority.n, majority.n)
    bounds = (minority.low, minority.high, majority.low, majority.high)
    if n < MIN_SEEDS or not np.isfinite(bounds).all():
        return f"too few seeds ({n})"
    up, down = minority.low > 0, majority.high < 0
    if up and down:
        return BOTH
    if up or down:
        return LEVELLED_UP if up else LEVELLED_DOWN
    return OTHER_WAY if minority.high < 0 or majority.low > 0 else NO_CLEAR_CHANGE


def _moved(change: Interval) -> str:
    if change.low > 0:
        return "rose"
    return "fell" if change.high < 0 else "changed"


def describe(rate: str, minority: Interval, majority: Interval) -> str:
    """The verdict in words, e.g. ``levelled up: the minority's TPR rose by +0.10 [+0.05, +0.15], ...``."""
    return (f"{classify(minority, majority)}: the minority's (a=1) {rate} {_moved(minority)} by {minority.text()}, "
            f"the majority's (a=0) {_moved(majority)} by {majority.text()}")


def rate_pairs(metrics: Iterable[Metric] | None = None) -> dict[str, tuple[Metric, Metric]]:
    """Per rate family (``tpr``, ``fpr``, ``sel`` ...) that both groups have: (minority's, majority's) metric."""
    by_rate: dict[str, dict[int, Metric]] = {}
    for m in per_group(metrics):
        by_rate.setdefault(m.rate, {})[m.group] = m
    return {rate: (g[MINORITY], g[MAJORITY]) for rate, g in by_rate.items() if len(g) == 2}


def rate_label(m: Metric) -> str:
    """``TPR`` from ``TPR of group a=1``; the family name when the label says otherwise."""
    label = m.label.removesuffix(f" of group a={m.group}")
    return label if label != m.label else m.rate


def summary(cells: pd.DataFrame, metrics: Iterable[Metric] | None = None, also: Iterable[str] = ("eqod",)) -> pd.DataFrame:
    """Per point other than the baseline: the seed mean and paired interval of each per-group
    rate's change (``d_<rate>_mean/_low/_high/_n``) and of each metric in ``also`` (``d_eqod`` ...),
    and per rate family its verdict ``levelling_<rate>`` and sentence ``levelling_<rate>_text``."""
    metrics = tuple(metrics) if metrics is not None else None
    cells = cells.copy()
    for name in also:
        cells[CHANGE_PREFIX + name] = change_vs_baseline(cells, name)
    changes = [CHANGE_PREFIX + name for name in also] + [CHANGE_PREFIX + m.name for m in per_group(metrics)]
    good = cells[(cells["status"] == "ok") & (cells["side"] != "baseline")]
    pairs = rate_pairs(metrics)
    rows = []
    for point, part in good.groupby(POINT, dropna=False, sort=False):
        row = dict(zip(POINT, point))
        row["n_flips_mean"] = pd.to_numeric(part["n_flips"], errors="coerce").mean()
        row["n_seeds"] = part["seed"].nunique()
        found = {c: Interval.of(part[c]) if c in part else Interval(np.nan, np.nan, np.nan, 0) for c in changes}
        for c, change in found.items():
            row.update({f"{c}_mean": change.mean, f"{c}_low": change.low, f"{c}_high": change.high, f"{c}_n": change.n})
        for rate, (minority, majority) in pairs.items():
            ours, theirs = found[CHANGE_PREFIX + minority.name], found[CHANGE_PREFIX + majority.name]
            row[f"levelling_{rate}"] = classify(ours, theirs)
            row[f"levelling_{rate}_text"] = describe(rate_label(minority), ours, theirs)
        rows.append(row)
    return pd.DataFrame(rows)


def interval(row: pd.Series, column: str) -> Interval:
    """The interval of ``column`` (e.g. ``d_tpr_a1``) in a row of :func:`summary`."""
    return Interval(row[f"{column}_mean"], row[f"{column}_low"], row[f"{column}_high"], int(row[f"{column}_n"]))
