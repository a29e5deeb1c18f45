"""Firm-side methods do what their papers say, checked against independent implementations.

* LFR: fairbench's objective and gradient equal holisticai's objective differentiated by JAX in
  float64, the exact fit really optimises (holisticai's float32 fit does not), and Az buys parity.
* Calibrated EO: the mixing rates equal AIF360's ``CalibratedEqOddsPostprocessing`` for every cost,
  infeasible targets are flagged, and the threshold knob reaches the constant classifier.
* Reductions: a learner that fits the training rows stalls exponentiated gradient (German); the
  capacity-capped oracle moves it, and the cell says which oracle was used.
* Relaxed EO (error-parity): tolerance 0 is exact equalized odds, matching fairlearn's
  ThresholdOptimizer; larger tolerances trade fairness back for error.
* FARE: the grid's far end reaches about 0 EqOd.
"""
from __future__ import annotations

import numpy as np
import pytest
from fairlearn.metrics import equalized_odds_difference
from sklearn.linear_model import LogisticRegression

from fairbench.interventions.firm import calibrated_eo, fare, lfr, reductions, relaxed
from fairbench.interventions.firm.lfr_objective import objective


def eqod(y, pred, a) -> float:
    return float(equalized_odds_difference(y, pred, sensitive_features=a, agg="mean"))


def tabular(n=1500, d=8, seed=0):
    """Standard-normal features, a minority whose features and labels are shifted."""
    rng = np.random.default_rng(seed)
    a = (rng.random(n) < 0.3).astype(int)
    X = rng.normal(size=(n, d)) + 0.8 * a[:, None] * np.linspace(1, 0, d)[None, :]
    logit = X[:, :3].sum(axis=1) - 1.5 * a - 0.3
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y, a


# ------------------------------------------------------------------------------------------------
# LFR
# ------------------------------------------------------------------------------------------------
def _holisticai_value_and_grad(params, X, y, protected, k, Ax, Ay, Az):
    jax = pytest.importorskip("jax")
    pytest.importorskip("holisticai")
    from holisticai.bias.mitigation.preprocessing.learning_fair_representation import ObjectiveFunction

    with lfr._precision(True):
        import jax.numpy as jnp

        f = ObjectiveFunction(X.shape[1], 0, jnp.asarray(X), jnp.asarray(y.reshape(-1, 1)), protected, ~protected,
                              k, Ax, Ay, Az)
        value, grad = jax.value_and_grad(lambda p: f(p))(jnp.asarray(params))
        assert np.asarray(grad).dtype == np.float64
        return float(value), np.asarray(grad)


@pytest.mark.parametrize("seed,Az", [(0, 50.0), (1, 5.0), (2, 500.0)])
def test_lfr_objective_and_gradient_equal_holisticai_in_float64(seed, Az):
    rng = np.random.default_rng(seed)
    n, d, k = 400, 6, lfr.PROTOTYPES
    X = rng.normal(size=(n, d))
    y = (rng.random(n) < 0.4).astype(float)
    protected = rng.random(n) < 0.3
    for params in (lfr.initial_parameters(k, d, seed), rng.normal(size=k + k * d) * 0.5 + 0.5):
        params[:k] = np.clip(params[:k], 0.05, 0.95)  # label weights inside their bounds
        value, grad = objective(params, X, y, protected, k, lfr.AX, lfr.AY, Az)
        ref_value, ref_grad = _holisticai_value_and_grad(params, X, y, protected, k, lfr.AX, lfr.AY, Az)
        assert value == pytest.approx(ref_value, rel=1e-12)
        np.testing.assert_allclose(grad, ref_grad, rtol=1e-9, atol=1e-13)


def test_lfr_start_and_defaults_are_holisticais():
    import inspect

    pytest.importorskip("holisticai")
    from holisticai.bias.mitigation import LearningFairRepresentation

    defaults = {k: v.default for k, v in inspect.signature(LearningFairRepresentation).parameters.items()}
    assert (defaults["k"], defaults["Ax"], defaults["Ay"], defaults["Az"]) == (lfr.PROTOTYPES, lfr.AX, lfr.AY, lfr.DEFAULT_AZ)
    assert (defaults["maxiter"], defaults["maxfun"]) == (lfr.MAXITER, lfr.MAXFUN)
    state = np.random.get_state()
    np.random.seed(7)
    expected = np.random.uniform(size=5 + 4 * 5)  # what holisticai's fit draws after np.random.seed(seed)
    np.random.set_state(state)
    np.testing.assert_array_equal(lfr.initial_parameters(5, 4, 7), expected)


def _fitted_objective(method, X, y, a) -> float:
    Z = method.encoder_.transform(X)
    params = np.concatenate([method.w_, method.prototypes_.ravel()])
    value, _ = objective(params, Z, y.astype(float), a == 1, method.k, method.Ax, method.Ay, method.Az)
    return value


def test_exact_lfr_fit_optimises_where_holisticais_float32_fit_stalls():
    X, y, a = tabular(1500, 8, seed=0)
    exact = lfr.make(50.0, 0).fit(X, y, a)
    library = lfr.make_library(50.0, 0).fit(X, y, a)
    Z = exact.encoder_.transform(X)
    start, _ = objective(lfr.initial_parameters(exact.k, Z.shape[1], 0), Z, y.astype(float), a == 1,
                         exact.k, exact.Ax, exact.Ay, exact.Az)
    assert exact.extra_metrics["lfr_converged"] and exact.extra_metrics["lfr_iterations"] > 5
    assert exact.extra_metrics["lfr_objective"] == pytest.approx(_fitted_objective(exact, X, y, a))
    assert exact.extra_metrics["lfr_objective"] < 0.7 * start  # it really moves from the random start
    assert exact.extra_metrics["lfr_objective"] < library.extra_metrics["lfr_objective"]


def test_lfr_fairness_weight_buys_parity_of_memberships():
    from fairbench.interventions.firm.lfr_objective import memberships

    X, y, a = tabular(1500, 8, seed=1)
    gaps = []
    for Az in (0.0, 500.0):
        method = lfr.make(Az, 0).fit(X, y, a)
        M, _ = memberships(method.encoder_.transform(X), method.prototypes_)
        gaps.append(np.abs(M[a == 0].mean(axis=0) - M[a == 1].mean(axis=0)).mean())
    assert gaps[1] < 0.01 < gaps[0]


# ------------------------------------------------------------------------------------------------
# calibrated equalized odds
# ------------------------------------------------------------------------------------------------
def _aif360_mix_rates(scores, y, a, cost):
    pytest.importorskip("aif360")
    import pandas as pd
    from aif360.algorithms.postprocessing import CalibratedEqOddsPostprocessing
    from aif360.datasets import BinaryLabelDataset

    frame = pd.DataFrame({"a": a.astype(float), "y": y.astype(float)})
    truth = BinaryLabelDataset(df=frame, label_names=["y"], protected_attribute_names=["a"],
                               favorable_label=1.0, unfavorable_label=0.0)
    pred = truth.copy(deepcopy=True)
    pred.scores = scores.reshape(-1, 1).copy()
    # AIF360's "privileged" group is fairbench's majority (a = 0)
    method = CalibratedEqOddsPostprocessing(unprivileged_groups=[{"a": 1.0}], privileged_groups=[{"a": 0.0}],
                                            cost_constraint=cost, seed=0)
    method.fit(truth, pred)
    return float(method.unpriv_mix_rate), float(method.priv_mix_rate)


@pytest.fixture(scope="module")
def scored():
    X, y, a = tabular(3000, 6, seed=2)
    scores = LogisticRegression().fit(X[:1500], y[:1500]).predict_proba(X)[:, 1]
    return scores, y, a


@pytest.mark.parametrize("cost", calibrated_eo.COST_CONSTRAINTS)
def test_calibrated_eo_mixing_rates_equal_aif360(scored, cost):
    scores, y, a = scored
    method = calibrated_eo.make(1.0, 0, cost_constraint=cost).fit(scores, y, a)
    ours = (method.extra_metrics["ceo_mix_rate_a1"], method.extra_metrics["ceo_mix_rate_a0"])
    np.testing.assert_allclose(ours, _aif360_mix_rates(scores, y, a, cost), rtol=1e-9, atol=1e-12)
    assert max(ours) > 0  # one group is mixed


def test_calibrated_eo_flags_an_infeasible_target():
    """The lower-cost group cannot reach the other's cost even when all its scores are replaced."""
    rng = np.random.default_rng(3)
    n = 4000
    a = (rng.random(n) < 0.5).astype(int)
    y = (rng.random(n) < np.where(a == 1, 0.6, 0.3)).astype(int)
    # majority: uninformative scores far below its positives (high GFNR); minority: near perfect
    scores = np.where(a == 1, np.where(y == 1, 0.97, 0.03), 0.05 + 0.02 * rng.random(n))
    method = calibrated_eo.make(1.0, 0, cost_constraint="fnr").fit(scores, y, a)
    assert method.extra_metrics["ceo_mix_rate_a1"] > 1.0
    assert method.extra_metrics["ceo_infeasible"] is True
    pred = method.predict(scores, a)
    assert np.all(pred[a == 1] == 1)  # every minority row got its base rate 0.6 >= 0.5
    feasible = calibrated_eo.make(1.0, 0, cost_constraint="fnr").fit(*_shuffled_scores(rng, n))
    assert feasible.extra_metrics["ceo_infeasible"] is False


def _shuffled_scores(rng, n):
    a = (rng.random(n) < 0.5).astype(int)
    y = (rng.random(n) < 0.4).astype(int)
    return np.clip(0.4 + 0.3 * (y - 0.4) + 0.1 * a + 0.1 * rng.normal(size=n), 0, 1), y, a


def test_calibrated_eo_threshold_knob_reaches_the_constant_classifier(scored):
    scores, y, a = scored
    at_half = calibrated_eo.make_threshold(0.5, 4).fit(scores, y, a).predict(scores, a)
    np.testing.assert_array_equal(at_half, calibrated_eo.make(1.0, 4).fit(scores, y, a).predict(scores, a))
    high = calibrated_eo.make_threshold(max(calibrated_eo.THRESHOLD_GRID), 4).fit(scores, y, a).predict(scores, a)
    assert high.mean() < 0.02 and eqod(y, high, a) < 0.01
    errors = [np.mean(calibrated_eo.make_threshold(t, 4).fit(scores, y, a).predict(scores, a) != y)
              for t in calibrated_eo.THRESHOLD_GRID]
    assert errors[-1] > min(errors) + 0.05  # the far end pays error for its fairness


# ------------------------------------------------------------------------------------------------
# reductions
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def german():
    import fairbench
    from fairbench.prepared import prepare

    data = prepare(fairbench.load_dataset("german"))
    split = data.split(0)
    return data, split


@pytest.mark.slow
def test_capped_oracle_moves_exponentiated_gradient_where_the_firm_learner_stalls(german):
    from fairbench.learners import make_learner

    data, split = german
    X, y, a = data.X[split.train], data.y[split.train], data.a[split.train]
    Xt, yt, at = data.X[split.test], data.y[split.test], data.a[split.test]
    plain = make_learner("hgb", 0).fit(X, y)
    assert np.mean(plain.predict(X) != y) < 0.01  # the default learner fits German's training rows
    stalled = reductions.make_eg(0.005, 0, oracle="firm").fit(X, y, a, make_learner("hgb", 0))
    np.testing.assert_array_equal(stalled.predict(Xt, at), plain.predict(Xt))
    capped = reductions.make_eg(0.005, 0).fit(X, y, a, make_learner("hgb", 0))
    assert "max_iter=20" in capped.extra_metrics["oracle_learner"]
    assert "max_leaf_nodes=8" in capped.extra_metrics["oracle_learner"]
    assert stalled.extra_metrics["oracle_learner"] == "HistGradientBoostingClassifier()"
    assert eqod(yt, capped.predict(Xt, at), at) < eqod(yt, plain.predict(Xt), at)


def test_oracle_capacity_applies_only_to_learners_that_take_it():
    from sklearn.ensemble import HistGradientBoostingClassifier

    est, used = reductions.oracle_estimator(HistGradientBoostingClassifier(), 3, "capped", {})
    assert (est.max_iter, est.max_leaf_nodes, est.random_state) == (20, 8, 3)
    est, used = reductions.oracle_estimator(LogisticRegression(C=0.5), 3, "capped", {})
    assert est.get_params() == LogisticRegression(C=0.5, random_state=3).get_params() and used == "LogisticRegression()"
    est, used = reductions.oracle_estimator(HistGradientBoostingClassifier(), 3, "capped", {"max_iter": 50})
    assert (est.max_iter, est.max_leaf_nodes) == (50, 8) and "max_iter=50" in used
    with pytest.raises(ValueError, match="oracle"):
        reductions.make_eg(0.01, 0, oracle="tiny")


# ------------------------------------------------------------------------------------------------
# relaxed equalized odds (error-parity)
# ------------------------------------------------------------------------------------------------
def test_relaxed_eo_at_zero_tolerance_is_exact_equalized_odds_like_fairlearn(scored):
    from fairbench.interventions.firm import threshold

    scores, y, a = scored
    fit, test = slice(0, 1500), slice(1500, None)
    exact = relaxed.make(0.0, 0).fit(scores[fit], y[fit], a[fit])
    assert exact.extra_metrics["holdout_eo_violation"] < 1e-3
    ours = exact.predict(scores[test], a[test])
    theirs = threshold.make(0.0, 0).fit(scores[fit], y[fit], a[fit]).predict(scores[test], a[test])
    assert abs(np.mean(ours != y[test]) - np.mean(theirs != y[test])) < 0.015  # the same optimum, two solvers
    assert eqod(y[test], ours, a[test]) < 0.05


def test_relaxed_eo_tolerance_traces_a_front(scored):
    scores, y, a = scored
    fit, test = slice(0, 1500), slice(1500, None)
    violations, errors = [], []
    for tol in relaxed.GRID:
        method = relaxed.make(tol, 0).fit(scores[fit], y[fit], a[fit])
        violations.append(method.extra_metrics["holdout_eo_violation"])
        errors.append(np.mean(method.predict(scores[test], a[test]) != y[test]))
        assert violations[-1] <= tol + 1e-3
    assert violations[-1] > violations[0] + 0.05  # the unconstrained end keeps the groups' gap
    assert errors[-1] <= errors[0] + 1e-9


def test_relaxed_eo_predictions_are_seeded_and_leave_the_global_rng_alone(scored):
    scores, y, a = scored
    method = relaxed.make(0.02, 5).fit(scores, y, a)
    np.random.seed(11)
    expected = np.random.random()
    np.random.seed(11)
    first = method.predict(scores, a)
    assert np.random.random() == expected
    np.testing.assert_array_equal(first, method.predict(scores, a))
    np.testing.assert_array_equal(first, relaxed.make(0.02, 5).fit(scores, y, a).predict(scores, a))


# ------------------------------------------------------------------------------------------------
# FARE
# ------------------------------------------------------------------------------------------------
def test_fare_far_end_of_the_grid_reaches_about_zero_eqod(german):
    data, split = german
    X, y, a = data.X[split.train], data.y[split.train], data.a[split.train]
    Xt, yt, at = data.X[split.test], data.y[split.test], data.a[split.test]
    method = fare.make(max(fare.GRID), 0, categorical=data.categorical, sensitive=data.sensitive).fit(X, y, a)
    assert max(fare.GRID) == 0.999 and method.n_cells_ <= 5
    pred = LogisticRegression(max_iter=1000).fit(method.transform(X, a), y).predict(method.transform(Xt, at))
    assert eqod(yt, pred, at) <= 0.01
    small = fare.make_small_k(2.0, 0, categorical=data.categorical, sensitive=data.sensitive).fit(X, y, a)
    assert small.n_cells_ <= 2 and small.gamma == fare.SMALL_K_GAMMA
