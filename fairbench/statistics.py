"""Summary scores with uncertainty: normalised hypervolume, paired bootstrap intervals, ranks.

Hypervolume (docs/protocol.md).  For one dataset and seed, with the baseline's test error e0 and
unfairness u0 (EqOd or SP) and the error budget B = 0.02, the reference point is
r = (e0 + B, u0), shared by every method.  A method's score is

    HV_norm = HV({p in P : p < r}, r) / (B * u0)

where P is the set of its (test error, test unfairness) points over its knob and HV is the area
dominated by P and bounded by r.  A method dominating nothing scores 0, the baseline itself
scores 0, a point at (e0, 0) scores 1 (the whole error slice of the box), and a point with error
above e0 + B adds nothing: a fair but near-constant classifier is not rewarded.  The area is
computed by ``moocore`` (the C library of López-Ibáñez et al., exact in 2-D, a small numpy/cffi
dependency), rather than pymoo, which would bring a whole optimisation framework for one indicator.

Paired intervals.  Every method sees the same seeds and splits, so differences are taken per
seed and resampled together: a percentile bootstrap over seeds of the mean paired difference,
BOOTSTRAP_RESAMPLES resamples from a fixed seed (so the same cells give the same interval).  A
difference is "better"/"worse" when the 95% interval excludes 0 and "indistinguishable" when it
contains it.  With fewer than MIN_SEEDS seeds no verdict is given.  The bootstrap was chosen over
Wilcoxon's signed-rank test because with 5 or fewer seeds Wilcoxon cannot reach p < 0.05 at all.

Ranks across datasets: Friedman's test (scipy) and the Nemenyi post-hoc test with its
critical-difference diagram (scikit-posthocs), as in Demšar (2006).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

ERROR_BUDGET = 0.02
BOOTSTRAP_RESAMPLES = 10_000
BOOTSTRAP_SEED = 12
LEVEL = 0.95
MIN_SEEDS = 3


def hypervolume(error, unfairness, base_error: float, base_unfairness: float, budget: float = ERROR_BUDGET) -> float:
    """Normalised hypervolume of one method's points (see the module docstring); NaN when the
    baseline's unfairness is 0 or undefined (the box is empty)."""
    import moocore

    if not (np.isfinite(base_error) and np.isfinite(base_unfairness)) or base_unfairness <= 0:
        return float("nan")
    points = np.column_stack([np.asarray(error, float), np.asarray(unfairness, float)])
    ref = np.array([base_error + budget, base_unfairness])
    points = points[np.isfinite(points).all(axis=1) & (points < ref).all(axis=1)]
    if not len(points):
        return 0.0
    return float(moocore.hypervolume(points, ref=ref)) / (budget * base_unfairness)


def seed_hypervolumes(cells: pd.DataFrame, metric: str = "eqod", budget: float = ERROR_BUDGET) -> pd.DataFrame:
    """Per (intervention, seed): the normalised hypervolume of its test (error, ``metric``) points,
    against that seed's baseline."""
    good = cells[cells["status"] == "ok"]
    base = good[good["side"] == "baseline"].groupby("seed")[["error", metric]].first()
    rows = []
    for (name, seed), part in good.groupby(["intervention", "seed"], sort=False):
        if seed not in base.index:
            continue
        b = base.loc[seed]
        rows.append({"intervention": name, "side": part["side"].iloc[0], "seed": seed,
                     "hv": hypervolume(part["error"], part[metric], float(b["error"]), float(b[metric]), budget)})
    return pd.DataFrame(rows, columns=["intervention", "side", "seed", "hv"])


def bootstrap_mean(values, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED,
                   level: float = LEVEL) -> tuple[float, float, float]:
    """(mean, low, high): percentile bootstrap interval of the mean over seeds (NaN below 2 values)."""
    x = np.asarray(values, float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return (np.nan, np.nan, np.nan)
    if len(x) < 2:
        return (float(x.mean()), np.nan, np.nan)
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, len(x), size=(resamples, len(x)))].mean(axis=1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return (float(x.mean()), float(low), float(high))


def bootstrap_ratio(numerator, denominator, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED,
                    level: float = LEVEL) -> tuple[float, float, float]:
    """(ratio, low, high): the ratio of two seed means, numerator and denominator paired by seed
    (resampled together), with its percentile bootstrap interval.  A share of a gain that survives
    is a ratio of means, not a mean of per-seed ratios, which explode where a seed's gain is near 0.
    Resamples whose denominator mean is 0 are dropped; NaN below 2 paired seeds."""
    x, y = np.asarray(numerator, float), np.asarray(denominator, float)
    both = np.isfinite(x) & np.isfinite(y)
    x, y = x[both], y[both]
    if len(x) == 0 or y.mean() == 0:
        return (np.nan, np.nan, np.nan)
    ratio = float(x.mean() / y.mean())
    if len(x) < 2:
        return (ratio, np.nan, np.nan)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(x), size=(resamples, len(x)))
    num, den = x[picks].mean(axis=1), y[picks].mean(axis=1)
    ratios = num[den != 0] / den[den != 0]
    if not len(ratios):
        return (ratio, np.nan, np.nan)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(ratios, [tail, 100 - tail])
    return (ratio, float(low), float(high))


def verdict(low: float, high: float, n: int, higher_is_better: bool = True) -> str:
    """better / worse / indistinguishable from a paired-difference interval (method - reference)."""
    if n < MIN_SEEDS or not (np.isfinite(low) and np.isfinite(high)):
        return f"too few seeds ({n})"
    if low > 0 or high < 0:
        return "better" if (low > 0) == higher_is_better else "worse"
    return "indistinguishable"


def paired(per_seed: pd.DataFrame, reference: str, value: str = "hv", higher_is_better: bool = True,
           key: str = "intervention") -> pd.DataFrame:
    """Each method minus ``reference``, paired by seed: mean difference, 95% interval, verdict.

    Only seeds where both have a finite value count (``n``).
    """
    ref = per_seed[per_seed[key] == reference].set_index("seed")[value]
    rows = []
    for name, part in per_seed.groupby(key, sort=False):
        mine = part.set_index("seed")[value]
        both = pd.concat([mine, ref], axis=1, keys=["m", "r"]).dropna()
        diff = (both["m"] - both["r"]).to_numpy(float)
        mean, low, high = bootstrap_mean(diff)
        rows.append({key: name, "reference": reference, "diff": mean, "low": low, "high": high, "n": len(diff),
                     "verdict": verdict(low, high, len(diff), higher_is_better) if name != reference else "reference"})
    return pd.DataFrame(rows, columns=[key, "reference", "diff", "low", "high", "n", "verdict"])


def friedman(scores: pd.DataFrame) -> dict:
    """Friedman test and mean ranks over datasets (rows) of methods (columns), higher score better.

    Only methods with a score on every dataset take part.  Returns mean ranks (1 = best), the
    statistic and p-value, and the Nemenyi p-value matrix, or a ``reason`` when there are fewer
    than 2 datasets or 3 methods.
    """
    table = scores.dropna(axis=1, how="any")
    out = {"methods": list(table.columns), "datasets": list(table.index), "ranks": pd.Series(dtype=float),
           "statistic": np.nan, "p_value": np.nan, "nemenyi": None, "reason": ""}
    if table.shape[0] < 2 or table.shape[1] < 3:
        out["reason"] = (f"needs at least 2 datasets and 3 methods scored on all of them, have {table.shape[0]} "
                         f"and {table.shape[1]}")
        return out
    from scipy.stats import friedmanchisquare

    ranks = table.rank(axis=1, ascending=False, method="average")
    out["ranks"] = ranks.mean().sort_values()
    if (table.nunique(axis=1) > 1).any():
        stat, p = friedmanchisquare(*[table[c].to_numpy(float) for c in table.columns])
        out["statistic"], out["p_value"] = float(stat), float(p)
    import scikit_posthocs

    out["nemenyi"] = scikit_posthocs.posthoc_nemenyi_friedman(table.to_numpy(float))
    out["nemenyi"].index = out["nemenyi"].columns = list(table.columns)
    return out
