"""Operating points chosen on validation, reported on test (docs/protocol.md).

For every intervention and seed, one knob value per target:

* (a) ``eqod@error<=base+delta``: the lowest validation EqOd among knob values whose validation
  error is at most the baseline's validation error (same seed) + delta;
* (b) ``error@eqod<=eps``: the lowest validation error among knob values whose validation EqOd
  is at most eps.

The choice is made by :func:`choose_knobs`, which is handed validation columns only, so no test
metric can influence it; the chosen knob's test metrics are joined afterwards.  A target that no
knob value meets on validation is recorded as not attainable (NaN test values), never as a number.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from fairbench.pareto import point_columns

DELTAS = (0.005, 0.01, 0.02)
EPSILONS = (0.02, 0.05)
KEYS = ["intervention", "seed"]
VALIDATION_INPUT = ["intervention", "side", "seed", "knob_value", "val_error", "val_eqod"]
REPORTED = ["error", "eqod", "eqod_max", "sp", "n_flips"]


def targets(deltas=DELTAS, epsilons=EPSILONS) -> list[tuple[str, str, float]]:
    """(name, kind, bound) of every target; kind "a" bounds error, "b" bounds EqOd."""
    return ([(f"eqod@error<=base+{d:g}", "a", d) for d in deltas]
            + [(f"error@eqod<={e:g}", "b", e) for e in epsilons])


def has_validation(cells: pd.DataFrame) -> bool:
    """Whether the cells were run with a validation split (``--validation-fraction`` > 0)."""
    return "val_error" in cells and bool(pd.to_numeric(cells["val_error"], errors="coerce").notna().any())


def choose_knobs(validation: pd.DataFrame, deltas=DELTAS, epsilons=EPSILONS) -> pd.DataFrame:
    """The knob value chosen per (intervention, seed, target) from validation metrics alone.

    ``validation`` has the columns VALIDATION_INPUT (nothing measured on test).  Ties go to the
    lower other metric, then the smaller knob value, so the choice is deterministic.
    """
    point = point_columns(validation)  # a pipeline's point is (budget, firm knob)
    validation = validation[VALIDATION_INPUT + point[1:]]
    base = validation[validation["side"] == "baseline"].groupby("seed")["val_error"].first()
    rows = []
    for (name, seed), part in validation.groupby(KEYS, sort=False):
        part = part[np.isfinite(part["val_error"].astype(float)) & np.isfinite(part["val_eqod"].astype(float))]
        base_error = base.get(seed, np.nan)
        for target, kind, bound in targets(deltas, epsilons):
            if kind == "a":
                ok = part[part["val_error"] <= base_error + bound + 1e-12] if np.isfinite(base_error) else part.iloc[:0]
                order = ["val_eqod", "val_error", *point]
            else:
                ok = part[part["val_eqod"] <= bound + 1e-12]
                order = ["val_error", "val_eqod", *point]
            pick = ok.sort_values(order, kind="stable").head(1)
            rows.append({"intervention": name, "seed": seed, "target": target, "kind": kind, "bound": bound,
                         "attainable": not pick.empty,
                         **{c: pick[c].iloc[0] if not pick.empty else np.nan for c in point},
                         "val_error": pick["val_error"].iloc[0] if not pick.empty else np.nan,
                         "val_eqod": pick["val_eqod"].iloc[0] if not pick.empty else np.nan,
                         "baseline_val_error": base_error})
    return pd.DataFrame(rows, columns=["intervention", "seed", "target", "kind", "bound", "attainable", *point,
                                       "val_error", "val_eqod", "baseline_val_error"])


def operating_points(cells: pd.DataFrame, deltas=DELTAS, epsilons=EPSILONS) -> pd.DataFrame:
    """Per (intervention, seed, target): the knob chosen on validation and its test metrics.

    Empty when the cells have no validation metrics (the paper's protocol).
    """
    good = cells[cells["status"] == "ok"]
    if good.empty or not has_validation(good):
        return pd.DataFrame(columns=["intervention", "side", "seed", "target", "kind", "bound", "attainable",
                                     "knob_value", *REPORTED])
    good = good.assign(**{c: pd.to_numeric(good[c], errors="coerce") for c in ("val_error", "val_eqod", *REPORTED)})
    point = point_columns(good)
    chosen = choose_knobs(good[VALIDATION_INPUT + point[1:]].copy(), deltas, epsilons)
    test = good[["intervention", "side", "seed", *point, *REPORTED]]
    out = chosen.merge(test, on=["intervention", "seed", *point], how="left")
    sides = good.groupby("intervention", sort=False)["side"].first()
    out["side"] = out["intervention"].map(sides)
    return out
