"""Hypervolume, paired bootstrap intervals and ranks (fairbench.statistics) on hand-made numbers."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fairbench.statistics import bootstrap_mean, friedman, hypervolume, paired, seed_hypervolumes

# baseline at error 0.20, EqOd 0.10: the reference point is (0.22, 0.10), the box area 0.02 * 0.10
E0, U0 = 0.20, 0.10


def hv(points):
    pts = np.array(points, dtype=float).reshape(-1, 2)
    return hypervolume(pts[:, 0], pts[:, 1], E0, U0)


def test_hypervolume_equals_hand_computed_areas():
    assert hv([(0.20, 0.0)]) == pytest.approx(1.0)                   # the whole error slice of the box
    assert hv([(0.21, 0.05)]) == pytest.approx(0.01 * 0.05 / 0.002)  # one rectangle: 0.25
    # two steps: (0.20, 0.08) and (0.21, 0.02) -> 0.02*0.02 + 0.01*0.06 = 0.001 of 0.002
    assert hv([(0.20, 0.08), (0.21, 0.02)]) == pytest.approx(0.5)
    assert hv([(0.19, 0.0)]) == pytest.approx(1.5)                   # lower error than the baseline counts too
    assert hv([(E0, U0)]) == 0.0                                     # the baseline itself scores 0
    assert hv([]) == 0.0


def test_a_dominated_point_never_raises_it():
    front = [(0.20, 0.08), (0.21, 0.02)]
    base = hv(front)
    for dominated in [(0.205, 0.09), (0.215, 0.03), (0.21, 0.02), (0.219, 0.099)]:
        assert hv(front + [dominated]) == pytest.approx(base)


def test_a_point_beyond_the_error_budget_adds_nothing():
    assert hv([(0.49, 0.0)]) == 0.0                                  # fair but near-constant: outside the box
    assert hv([(0.21, 0.05), (0.23, 0.0)]) == pytest.approx(hv([(0.21, 0.05)]))
    assert hv([(0.21, 0.12)]) == 0.0                                 # worse EqOd than the baseline


def test_hypervolume_is_undefined_when_the_baseline_is_already_fair():
    assert np.isnan(hypervolume([0.2], [0.0], 0.2, 0.0))


def test_seed_hypervolumes_use_each_seeds_own_baseline():
    cells = pd.DataFrame([
        ["baseline", "baseline", 0, 0.20, 0.10], ["m", "user", 0, 0.20, 0.05],
        ["baseline", "baseline", 1, 0.30, 0.20], ["m", "user", 1, 0.31, 0.10],
    ], columns=["intervention", "side", "seed", "error", "eqod"]).assign(status="ok")
    out = seed_hypervolumes(cells).set_index(["intervention", "seed"])["hv"]
    assert out[("m", 0)] == pytest.approx(0.5)    # 0.02 * 0.05 / (0.02 * 0.10)
    assert out[("m", 1)] == pytest.approx(0.25)   # 0.01 * 0.10 / (0.02 * 0.20)
    assert out[("baseline", 0)] == 0.0


def _per_seed(effect: float, n: int, noise: float, rng) -> pd.DataFrame:
    base = rng.normal(0.0, noise, n)
    rows = [("baseline", s, base[s]) for s in range(n)]
    rows += [("copy", s, base[s]) for s in range(n)]
    rows += [("strong", s, base[s] + effect + rng.normal(0, noise)) for s in range(n)]
    return pd.DataFrame(rows, columns=["intervention", "seed", "hv"])


def test_large_effect_is_better_and_a_copy_is_indistinguishable():
    verdicts = paired(_per_seed(0.3, 10, 0.05, np.random.default_rng(0)), "baseline").set_index("intervention")
    assert verdicts.loc["strong", "verdict"] == "better"
    assert verdicts.loc["strong", "low"] > 0
    assert verdicts.loc["copy", "verdict"] == "indistinguishable"
    assert verdicts.loc["copy", "low"] == verdicts.loc["copy", "high"] == 0
    assert verdicts.loc["baseline", "verdict"] == "reference"
    worse = paired(_per_seed(0.3, 10, 0.05, np.random.default_rng(0)), "strong").set_index("intervention")
    assert worse.loc["baseline", "verdict"] == "worse"


def test_paired_intervals_shrink_with_more_seeds():
    rng = np.random.default_rng(1)
    widths = []
    for n in (5, 50, 500):  # the width falls like 1/sqrt(n): about 3x per step
        d = paired(_per_seed(0.05, n, 0.05, rng), "baseline").set_index("intervention").loc["strong"]
        widths.append(d["high"] - d["low"])
    assert widths[0] > widths[1] > widths[2]


def test_bootstrap_is_deterministic_and_refuses_a_verdict_on_too_few_seeds():
    assert bootstrap_mean([0.1, 0.3, 0.2]) == bootstrap_mean([0.1, 0.3, 0.2])
    mean, low, high = bootstrap_mean([0.5])
    assert mean == 0.5 and np.isnan(low) and np.isnan(high)
    two = pd.DataFrame([("baseline", 0, 0.0), ("baseline", 1, 0.0), ("m", 0, 1.0), ("m", 1, 1.0)],
                       columns=["intervention", "seed", "hv"])
    assert paired(two, "baseline").set_index("intervention").loc["m", "verdict"].startswith("too few seeds")


def test_friedman_ranks_and_reasons():
    scores = pd.DataFrame({"a": [0.9, 0.8, 0.7, 0.9], "b": [0.5, 0.4, 0.6, 0.5], "c": [0.1, 0.2, 0.0, 0.1]},
                          index=["d1", "d2", "d3", "d4"])
    out = friedman(scores)
    assert list(out["ranks"].index) == ["a", "b", "c"] and out["ranks"]["a"] == 1.0
    assert out["p_value"] < 0.05 and out["nemenyi"].shape == (3, 3)
    assert "needs at least" in friedman(scores.iloc[:1])["reason"]
    assert "needs at least" in friedman(scores[["a", "b"]])["reason"]
