import numpy as np
import pytest
from fairlearn.metrics import demographic_parity_difference, equal_opportunity_difference, equalized_odds_difference
from hypothesis import given, settings, strategies as st

from fairbench.metrics import evaluate


def test_hand_computed_values_and_mean_vs_max():
    # group 0: y=1 rows predicted 1,1 (TPR 1); y=0 rows predicted 0,0 (FPR 0)
    # group 1: y=1 rows predicted 1,0 (TPR .5); y=0 rows predicted 1,1 (FPR 1)
    y = np.array([1, 1, 0, 0, 1, 1, 0, 0])
    p = np.array([1, 1, 0, 0, 1, 0, 1, 1])
    a = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    m = evaluate(y, p, a)
    assert m["tpr_gap"] == 0.5 and m["fpr_gap"] == 1.0
    assert m["eqod"] == 0.75          # mean of the gaps (Eq. 2)
    assert m["eqod_max"] == 1.0       # worst case
    assert m["sp"] == 0.25            # 3/4 - 2/4
    assert m["error"] == 3 / 8


def test_perfect_classifier_is_fair_in_eqod():
    y = np.array([0, 1, 0, 1, 1, 0])
    a = np.array([0, 0, 1, 1, 1, 0])
    m = evaluate(y, y, a)
    assert m["eqod"] == 0 and m["eqod_max"] == 0 and m["error"] == 0


def test_undefined_tpr_is_nan_with_a_note_not_zero():
    y = np.array([1, 0, 0, 0])
    a = np.array([0, 0, 1, 1])
    m = evaluate(y, np.array([1, 0, 1, 0]), a)
    assert np.isnan(m["tpr_a1"]) and np.isnan(m["eqod"])
    assert "TPR undefined: group a=1" in m["note"]
    assert m["sp"] == 0.0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1), st.integers(0, 1)), min_size=1, max_size=60))
def test_equals_fairlearn_and_lies_in_unit_interval(rows):
    y, p, a = (np.array(c) for c in zip(*rows))
    m = evaluate(y, p, a)
    for k in ("error", "eqod", "eqod_max", "sp", "tpr_gap", "fpr_gap"):
        assert np.isnan(m[k]) or 0 <= m[k] <= 1
    defined = all(((a == g) & (y == v)).any() for g in (0, 1) for v in (0, 1))
    if defined:
        assert m["eqod"] == pytest.approx(equalized_odds_difference(y, p, sensitive_features=a, agg="mean"))
        assert m["eqod_max"] == pytest.approx(equalized_odds_difference(y, p, sensitive_features=a))
    if all(((a == g) & (y == 1)).any() for g in (0, 1)):  # equal opportunity (Hardt et al. 2016): the TPR gap alone
        assert m["eopp"] == pytest.approx(equal_opportunity_difference(y, p, sensitive_features=a))
        assert m["eopp"] == m["tpr_gap"]
    if (a == 0).any() and (a == 1).any():
        assert m["sp"] == pytest.approx(demographic_parity_difference(y, p, sensitive_features=a))
