"""Error and group-fairness metrics of the paper, equal to fairlearn.metrics' definitions.

EqOd (Eq. 2) is the MEAN of the absolute TPR gap and FPR gap; ``eqod_max`` is the worst-case
variant fairlearn reports by default.  SP (Eq. 12) is the absolute gap in positive rates.
A rate that is undefined (a group with no positives or no negatives in the evaluation set) is
reported as NaN with a note, never as 0.
"""
from __future__ import annotations

import numpy as np

METRIC_COLUMNS = (
    "error", "eqod", "eqod_max", "sp", "tpr_gap", "fpr_gap",
    "tpr_a0", "tpr_a1", "fpr_a0", "fpr_a1",
)


def _binary(values, name: str) -> np.ndarray:
    """A 1-D 0/1 array; anything else (scores, probabilities, NaN, 2-D) raises ValueError naming it."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"metrics need {name} as one 0/1 value per row, got an array of shape {arr.shape}")
    if arr.size and not np.isin(arr, (0, 1)).all():
        odd = arr[~np.isin(arr, (0, 1))][:3].tolist()
        raise ValueError(f"metrics need {name} to hold only 0 and 1 (labels, not scores), found {odd}")
    return arr.astype(int)


def _rate(pred: np.ndarray, mask: np.ndarray) -> float:
    return float(pred[mask].mean()) if mask.any() else float("nan")


def evaluate(y_true, y_pred, a) -> dict[str, float | str]:
    """All metrics of one cell; ``note`` says which ones are undefined and why.

    The group rates are counted directly (fairlearn's MetricFrame costs ~0.1 s per call, and a
    comparison evaluates thousands of cells); tests pin every value to fairlearn's
    ``equalized_odds_difference`` (agg "mean" and "worst_case") and
    ``demographic_parity_difference``.
    """
    y_true, y_pred, a = _binary(y_true, "y_true"), _binary(y_pred, "y_pred"), _binary(a, "a")
    if not (len(y_true) == len(y_pred) == len(a)):
        raise ValueError(f"metrics need equal lengths, got y_true={len(y_true)}, y_pred={len(y_pred)}, a={len(a)}")
    result: dict[str, float | str] = {"error": float(np.mean(y_true != y_pred)) if len(y_true) else float("nan")}
    notes = []
    for g in (0, 1):
        in_group = a == g
        if not in_group.any():
            notes.append(f"group a={g} has no rows")
            continue
        if not (in_group & (y_true == 1)).any():
            notes.append(f"TPR undefined: group a={g} has no y=1 rows")
        if not (in_group & (y_true == 0)).any():
            notes.append(f"FPR undefined: group a={g} has no y=0 rows")
        result[f"tpr_a{g}"] = _rate(y_pred, in_group & (y_true == 1))
        result[f"fpr_a{g}"] = _rate(y_pred, in_group & (y_true == 0))
        result[f"pos_a{g}"] = _rate(y_pred, in_group)
    nan = float("nan")
    tpr_gap = abs(result.get("tpr_a1", nan) - result.get("tpr_a0", nan))
    fpr_gap = abs(result.get("fpr_a1", nan) - result.get("fpr_a0", nan))
    result.update({
        "tpr_gap": tpr_gap,
        "fpr_gap": fpr_gap,
        "eqod": (tpr_gap + fpr_gap) / 2,          # Eq. 2: the MEAN of the two gaps
        "eqod_max": max(tpr_gap, fpr_gap) if not (np.isnan(tpr_gap) or np.isnan(fpr_gap)) else nan,
        "sp": abs(result.get("pos_a1", nan) - result.get("pos_a0", nan)),  # Eq. 12
    })
    for g in (0, 1):
        result.pop(f"pos_a{g}", None)
        for rate in ("tpr", "fpr"):
            result.setdefault(f"{rate}_a{g}", nan)
    if notes:
        result["note"] = "; ".join(notes)
    return result
