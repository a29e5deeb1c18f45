"""From cells to fronts: seed means and stds, Pareto flags and best-achievable values."""
from __future__ import annotations

import numpy as np
import pandas as pd

from fairbench.metrics import of_kind, summarised

GROUP = ["intervention", "side", "stage", "knob", "knob_value"]
#: A composed pipeline's second knob (fairbench.pipelines): its knob_value is the budget, and the
#: pair names one point of its front.  Absent from cells of single interventions only.
FIRM_KNOB = "firm_knob"


def point_columns(frame: pd.DataFrame) -> list[str]:
    """The columns naming one point of an intervention's front: its knob value, and a pipeline's firm knob."""
    return ["knob_value", *([FIRM_KNOB] if FIRM_KNOB in frame else [])]


def pareto_mask(cost_x: np.ndarray, cost_y: np.ndarray) -> np.ndarray:
    """True where no other point is at least as good on both costs and better on one (NaN never on)."""
    x = np.asarray(cost_x, dtype=float)
    y = np.asarray(cost_y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    on = np.zeros(len(x), dtype=bool)
    for i in np.flatnonzero(ok):
        dominated = ok & (x <= x[i]) & (y <= y[i]) & ((x < x[i]) | (y < y[i]))
        on[i] = not dominated.any()
    return on


def _cost(values: pd.Series, lower_is_better: bool) -> np.ndarray:
    values = values.to_numpy(float)
    return values if lower_is_better else -values


def fronts(cells: pd.DataFrame, metrics=None) -> pd.DataFrame:
    """Mean and std over seeds per intervention and knob value, with per-intervention front flags.

    The seed means are those of every metric but the per-group rates (``metrics.summarised``),
    plus ``n_flips`` and ``fit_seconds``; a front flag ``front_<name>`` per fairness metric,
    against error.  ``metrics``: the registered metrics by default.
    """
    good = cells[cells["status"] == "ok"].copy()
    group = GROUP + point_columns(cells)[1:]
    if good.empty:
        return pd.DataFrame(columns=group + ["n_seeds"])
    good["n_flips"] = pd.to_numeric(good["n_flips"], errors="coerce")
    shown = summarised(metrics)
    columns = [m.name for m in shown if m.kind != "reported"] + ["n_flips"]
    columns += [m.name for m in shown if m.kind == "reported"] + ["fit_seconds"]
    agg = good.groupby(group, dropna=False, sort=False)[[c for c in columns if c in good]].agg(["mean", "std"])
    agg.columns = [f"{m}_{s}" for m, s in agg.columns]
    agg["n_seeds"] = good.groupby(group, dropna=False, sort=False)["seed"].nunique()
    out = agg.reset_index()
    (error,) = of_kind("error", metrics)
    axes = [m for m in of_kind("fairness", metrics) if f"{m.name}_mean" in out]
    for m in axes:
        out[f"front_{m.name}"] = False
    for _, idx in out.groupby("intervention", sort=False).groups.items():
        part = out.loc[idx]
        for m in axes:
            out.loc[idx, f"front_{m.name}"] = pareto_mask(_cost(part[f"{error.name}_mean"], error.lower_is_better),
                                                          _cost(part[f"{m.name}_mean"], m.lower_is_better))
    return out


def best_achievable(front: pd.DataFrame, metric: str = "eqod", within_error_of: float | None = None,
                    baseline_error: float | None = None) -> pd.DataFrame:
    """Per intervention, the knob value with the lowest seed-mean ``metric``.

    With ``within_error_of`` (e.g. 0.01), only points whose mean error is at most the baseline's
    plus that margin count: the low-error view the paper argues from.
    """
    col = f"{metric}_mean"
    rows = []
    for name, part in front.groupby("intervention", sort=False):
        part = part[np.isfinite(part[col].astype(float))]
        if within_error_of is not None and baseline_error is not None:
            part = part[part["error_mean"] <= baseline_error + within_error_of]
        if part.empty:
            continue
        rows.append(part.loc[part[col].astype(float).idxmin()])
    return pd.DataFrame(rows).reset_index(drop=True)
