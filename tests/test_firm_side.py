"""Firm-side interventions: stage protocols, seeding, fairness effect, lazy imports, availability."""
from __future__ import annotations

import dataclasses
import importlib.util
import inspect
import subprocess
import sys

import numpy as np
import pytest
from fairlearn.metrics import equalized_odds_difference
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from fairbench.contract import Intervention
from fairbench.interventions.firm import calibrated_eo, fare, lfr, reductions, relaxed, threshold
from fairbench.testing import parametrize_with_checks

HAS_FARE = importlib.util.find_spec("fairbench.fare") is not None
needs_fare = pytest.mark.skipif(not HAS_FARE, reason="fairbench.fare (FARE's algorithm) is not in this checkout")


# ------------------------------------------------------------------------------------------------
# data and helpers
# ------------------------------------------------------------------------------------------------
def gmm4(n: int = 2000, seed: int = 0):
    """2-D mixture of four Gaussians, one per (group, label); the minority (a=1, 30%) is shifted.

    Base rates are below one half (0.40 majority, 0.25 minority), as on the real tables, and a
    plain learner gives the minority a far lower TPR and FPR.
    """
    rng = np.random.default_rng(seed)
    a = (rng.random(n) < 0.3).astype(int)
    y = (rng.random(n) < np.where(a == 1, 0.25, 0.40)).astype(int)
    centre = np.column_stack([2.0 * y - 1.2 * a, 0.8 * y - 1.0 * a])
    X = centre + rng.normal(size=(n, 2))
    return X, y, a


@pytest.fixture(scope="module")
def data():
    X, y, a = gmm4(2000, seed=0)
    Xt, yt, at = gmm4(1500, seed=1)
    return X, y, a, Xt, yt, at


@pytest.fixture(scope="module")
def base(data):
    """Plain learner: test predictions, held-out train scores (2-fold), test scores."""
    from sklearn.model_selection import cross_val_predict

    X, y, a, Xt, yt, at = data
    learner = LogisticRegression().fit(X, y)
    holdout = cross_val_predict(LogisticRegression(), X, y, cv=2, method="predict_proba")[:, 1]
    return {"pred": learner.predict(Xt), "holdout": holdout, "test": learner.predict_proba(Xt)[:, 1]}


def eqod(y, pred, a) -> float:
    return float(equalized_odds_difference(y, pred, sensitive_features=a, agg="mean"))


def registered() -> dict[str, Intervention]:
    out: dict[str, Intervention] = {}
    for module in (lfr, fare, calibrated_eo, reductions, threshold, relaxed):
        module.fairbench_register_interventions(register=lambda iv: out.setdefault(iv.name, iv))
    return out


def run(name: str, knob, data, base, seed: int = 0, **params) -> np.ndarray:
    """Fit one cell of intervention ``name`` as the harness does and return its test predictions."""
    X, y, a, Xt, yt, at = data
    iv = registered()[name]
    method = iv.make(knob, seed, **params)
    if iv.stage == "pre":
        assert method.fit(X, y, a) is method
        Z, Zt = method.transform(X, a), method.transform(Xt, at)
        return LogisticRegression().fit(Z, y).predict(Zt)
    if iv.stage == "in":
        assert method.fit(X, y, a, LogisticRegression()) is method
        return method.predict(Xt, at)
    assert method.fit(base["holdout"], y, a) is method
    return method.predict(base["test"], at)


MOST_FAIR = {  # the knob value at the fair end of each grid
    "lfr": max(lfr.GRID),
    "lfr-holisticai": max(lfr.GRID),
    "fare": 0.99,
    "fare-k": 2.0,
    "reductions-eg": min(reductions.EG_GRID),
    "reductions-eg-firm-learner": min(reductions.EG_GRID),
    "reductions-gs": reductions.GS_GRID_SIZE - 1,
    "reductions-gs-firm-learner": reductions.GS_GRID_SIZE - 1,
    "calibrated-eo": 1.0,
    "calibrated-eo-threshold": 0.5,
    "threshold-optimizer": 0.0,
    "relaxed-eo": 0.0,
}
NAMES = sorted(MOST_FAIR)


def _params(name):
    return [pytest.param(name, marks=needs_fare) if name.startswith("fare") else name]


ALL = [p for name in NAMES for p in _params(name)]


# ------------------------------------------------------------------------------------------------
# registration
# ------------------------------------------------------------------------------------------------
def test_registrations_declare_stage_knob_grid_and_requirements():
    ivs = registered()
    assert set(ivs) == set(MOST_FAIR)
    expected = {"lfr": ("pre", "Az"), "lfr-holisticai": ("pre", "Az"), "fare": ("pre", "gamma"),
                "fare-k": ("pre", "max_leaves"), "reductions-eg": ("in", "difference_bound"),
                "reductions-eg-firm-learner": ("in", "difference_bound"), "reductions-gs": ("in", "grid_index"),
                "reductions-gs-firm-learner": ("in", "grid_index"), "calibrated-eo": ("post", "mix"),
                "calibrated-eo-threshold": ("post", "threshold"), "threshold-optimizer": ("post", "none"),
                "relaxed-eo": ("post", "tolerance")}
    variants = {"lfr-holisticai", "reductions-eg-firm-learner", "reductions-gs-firm-learner"}
    for name, iv in ivs.items():
        assert (iv.stage, iv.knob) == expected[name]
        assert iv.in_default_run == (name not in variants), name
        assert iv.side == "firm" and iv.grid and iv.description and iv.install_hint
        assert all(isinstance(v, float) for v in iv.grid), name
        assert MOST_FAIR[name] in iv.grid
        assert iv.plugin == ""  # the registry fills it in
        for module in iv.requires:  # everything needed is installed in this environment
            assert importlib.util.find_spec(module) is not None, (name, module)
    assert ivs["lfr"].grid == tuple(lfr.DEFAULT_AZ * f for f in (0.1, 1.0, 10.0))
    assert ivs["fare"].grid == (0.1, 0.3, 0.5, 0.7, 0.85, 0.9, 0.95, 0.99, 0.995, 0.999)
    assert ivs["calibrated-eo"].grid == (0.0, 0.25, 0.5, 0.75, 1.0)
    assert ivs["lfr"].requires == ("scipy",)  # the exact fit needs no holisticai
    assert set(ivs["lfr-holisticai"].requires) >= {"holisticai", "jax"}
    assert "holisticai" in ivs["calibrated-eo"].requires
    assert set(ivs["relaxed-eo"].requires) == {"error_parity", "cvxpy"}
    assert ivs["reductions-eg"].requires == ("fairlearn",) == ivs["threshold-optimizer"].requires


def test_lfr_grid_is_centred_on_holisticai_default():
    from holisticai.bias.mitigation import LearningFairRepresentation

    default = inspect.signature(LearningFairRepresentation).parameters["Az"].default
    assert default == lfr.DEFAULT_AZ


def test_plugin_modules_register_through_the_plugin_manager():
    plugins = pytest.importorskip("fairbench.plugins")
    firm_modules = [m for m in plugins.DEFAULT_PLUGINS if m.startswith("fairbench.interventions.firm.")]
    registry = plugins.build_registry(builtins=firm_modules)
    assert not registry.problems
    assert set(MOST_FAIR) <= set(registry.interventions)
    assert registry.interventions["lfr"].plugin == "fairbench.interventions.firm.lfr"
    assert registry.unavailable_reason(registry.interventions["reductions-gs"]) is None


def test_missing_dependency_is_reported_with_install_hint(monkeypatch):
    plugins = pytest.importorskip("fairbench.plugins")
    ivs = registered()
    fake = dataclasses.replace(ivs["lfr-holisticai"], requires=("no_such_module_fairbench_test",))
    reason = plugins.Registry().unavailable_reason(fake)
    assert reason and 'pip install "holisticai[bias]"' in reason

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *args: None if name == "jax" else real_find_spec(name, *args))
    for name in ("lfr-holisticai", "calibrated-eo"):
        reason = plugins.Registry().unavailable_reason(ivs[name])
        assert reason and "jax" in reason and "holisticai[bias]" in reason
    assert plugins.Registry().unavailable_reason(ivs["threshold-optimizer"]) is None
    assert plugins.Registry().unavailable_reason(ivs["lfr"]) is None


def test_plugins_import_lazily_and_requires_names_what_holisticai_pulls_in():
    """Importing the plugin modules loads neither holisticai/jax nor fairlearn's heavy parts; and
    ``requires`` lists top-level modules that ``import holisticai.bias.mitigation`` really loads."""
    code = (
        "import sys\n"
        "import fairbench.interventions.firm.lfr, fairbench.interventions.firm.calibrated_eo\n"
        "import fairbench.interventions.firm.reductions, fairbench.interventions.firm.threshold\n"
        "import fairbench.interventions.firm.fare, fairbench.interventions.firm.relaxed\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('holisticai', 'jax', 'jaxlib', 'flax', 'optax',"
        " 'error_parity', 'cvxpy')"
        " or m.startswith('fairlearn.reductions') or m.startswith('fairlearn.postprocessing')]\n"
        "print(heavy)\n"
        "before = set(sys.modules)\n"
        "import holisticai.bias.mitigation\n"
        "print(' '.join(sorted({m.split('.')[0] for m in set(sys.modules) - before})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    heavy, loaded = out.stdout.splitlines()[:2]
    assert heavy.strip() == "[]", heavy
    for name in ("lfr-holisticai", "calibrated-eo"):
        assert set(registered()[name].requires) <= set(loaded.split()), name


@parametrize_with_checks(list(registered().values()))
def test_conformance_kit(obj, check):
    check(obj)


# ------------------------------------------------------------------------------------------------
# protocols, seeding, fairness effect
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ALL)
def test_protocol_shapes_and_binary_output(name, data, base):
    X, y, a, Xt, yt, at = data
    iv = registered()[name]
    method = iv.make(iv.grid[len(iv.grid) // 2], 3)
    if iv.stage == "pre":
        method.fit(X, y, a)
        Z = method.transform(X, a)
        Xn, _, an = gmm4(37, seed=9)  # unseen rows, an odd count
        Zn = method.transform(Xn, an)
        assert Z.shape[0] == len(y) and Zn.shape == (37, Z.shape[1])
        assert Z.dtype == np.float64 and np.isfinite(Z).all() and np.isfinite(Zn).all()
    elif iv.stage == "in":
        learner = LogisticRegression(C=0.5)
        before = learner.get_params()
        method.fit(X, y, a, learner)
        assert learner.get_params() == before and not hasattr(learner, "coef_")  # cloned, not mutated
        pred = method.predict(Xt[:37], at[:37])
        assert pred.shape == (37,) and set(np.unique(pred)) <= {0, 1}
    else:
        method.fit(base["holdout"], y, a)
        pred = method.predict(base["test"][:37], at[:37])
        assert pred.shape == (37,) and set(np.unique(pred)) <= {0, 1}
    pred = run(name, iv.grid[0], data, base)
    assert pred.shape == (len(yt),) and set(np.unique(pred)) <= {0, 1}


@pytest.mark.parametrize("name", ALL)
def test_same_random_state_gives_same_output(name, data, base):
    knob = MOST_FAIR[name]
    reductions.clear_cache()
    first = run(name, knob, data, base, seed=5)
    reductions.clear_cache()
    second = run(name, knob, data, base, seed=5)
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("name", ALL)
def test_most_fair_knob_beats_the_plain_learner_on_eqod(name, data, base):
    X, y, a, Xt, yt, at = data
    plain = eqod(yt, base["pred"], at)
    assert plain > 0.15  # the synthetic data is biased against the minority
    # This toy learner is far more biased than on Adult or COMPAS: GridSearch needs fairlearn's
    # default multiplier range (2.0) here, not the 0.5 that suits the real tables.
    params = {"grid_limit": 2.0} if name.startswith("reductions-gs") else {}
    fair = eqod(yt, run(name, MOST_FAIR[name], data, base, **params), at)
    assert fair < plain - 0.05, (name, fair, plain)


def test_knob_values_are_validated():
    ivs = registered()
    for name, bad in (("lfr", -1.0), ("fare", 1.5), ("reductions-eg", 0.0), ("calibrated-eo", 1.2),
                      ("reductions-gs", reductions.GS_GRID_SIZE), ("reductions-gs", 1.5)):
        with pytest.raises(ValueError, match=f"{ivs[name].knob}={bad!r} is not accepted"):
            ivs[name].make(bad, 0)
    with pytest.raises(ValueError, match="constraint"):
        ivs["reductions-eg"].make(0.02, 0, constraint="tpr")
    with pytest.raises(ValueError, match="objective"):
        ivs["threshold-optimizer"].make(0.0, 0, objective="f1")


def test_methods_refuse_to_predict_before_fit(data):
    X, y, a, Xt, yt, at = data
    ivs = registered()
    with pytest.raises(ValueError, match="not fitted"):
        ivs["calibrated-eo"].make(1.0, 0).predict(np.full(3, 0.5), np.array([0, 1, 0]))
    with pytest.raises(ValueError, match="not fitted"):
        ivs["reductions-eg"].make(0.02, 0).predict(X[:3], a[:3])


# ------------------------------------------------------------------------------------------------
# calibrated equalized odds
# ------------------------------------------------------------------------------------------------
def test_calibrated_eo_full_mix_is_fairer_than_no_mix(data, base):
    X, y, a, Xt, yt, at = data
    none = run("calibrated-eo", 0.0, data, base)
    full = run("calibrated-eo", 1.0, data, base)
    np.testing.assert_array_equal(none, (base["test"] >= 0.5).astype(int))  # mix 0 = the learner
    assert eqod(yt, full, at) < eqod(yt, none, at) - 0.05


def test_calibrated_eo_mixing_is_nested_in_mix(data, base):
    X, y, a, Xt, yt, at = data
    original = (base["test"] >= 0.5).astype(int)
    changed = [run("calibrated-eo", m, data, base) != original for m in calibrated_eo.GRID]
    for smaller, larger in zip(changed, changed[1:]):
        assert not np.any(smaller & ~larger)  # a row adjusted at a smaller mix stays adjusted


def test_calibrated_eo_sampled_decisions(data, base):
    X, y, a, Xt, yt, at = data
    none = run("calibrated-eo", 0.0, data, base, decision="sample")
    full = run("calibrated-eo", 1.0, data, base, decision="sample")
    np.testing.assert_array_equal(none, (base["test"] >= 0.5).astype(int))
    np.testing.assert_array_equal(full, run("calibrated-eo", 1.0, data, base, decision="sample"))
    assert eqod(yt, full, at) < eqod(yt, none, at)


def test_calibrated_eo_predict_is_repeatable_and_rejects_bad_scores(data, base):
    X, y, a, Xt, yt, at = data
    method = calibrated_eo.make(0.5, 1).fit(base["holdout"], y, a)
    np.testing.assert_array_equal(method.predict(base["test"], at), method.predict(base["test"], at))
    with pytest.raises(ValueError, match="probabilities"):
        method.predict(base["test"] * 3, at)
    with pytest.raises(ValueError, match="a=1 and y=1"):
        calibrated_eo.make(1.0, 0).fit(base["holdout"], y * (1 - a), a)


# ------------------------------------------------------------------------------------------------
# reductions
# ------------------------------------------------------------------------------------------------
def test_exponentiated_gradient_predictions_are_seeded(data):
    X, y, a, Xt, yt, at = data
    method = reductions.make_eg(0.02, 4).fit(X, y, a, LogisticRegression())
    pred = method.predict(Xt, at)
    np.testing.assert_array_equal(pred, method.predict(Xt, at))
    np.testing.assert_array_equal(pred, method.model_.predict(Xt, random_state=4))  # the cell's seed
    assert method.model_.max_iter == reductions.EG_MAX_ITER
    # the knob is the constraint's allowed violation, not ExponentiatedGradient's multiplier bound
    assert method.model_.constraints.eps == 0.02 and method.model_.eps == 0.01


def test_demographic_parity_constraint_is_selectable(data):
    X, y, a, Xt, yt, at = data
    from fairlearn.reductions import DemographicParity

    X, y, a = X[:600], y[:600], a[:600]
    method = reductions.make_eg(0.01, 0, constraint="dp").fit(X, y, a, LogisticRegression())
    assert isinstance(method.model_.constraints, DemographicParity)
    gs = reductions.make_gs(0, 0, constraint="dp").fit(X, y, a, LogisticRegression())
    assert gs.predict(Xt, at).shape == (len(yt),)


def test_grid_search_fits_once_per_seed_and_orders_by_violation(data, monkeypatch):
    from fairlearn.reductions import GridSearch

    X, y, a, Xt, yt, at = data
    calls = []
    real_fit = GridSearch.fit
    monkeypatch.setattr(GridSearch, "fit", lambda self, *args, **kw: calls.append(1) or real_fit(self, *args, **kw))
    reductions.clear_cache()
    learner = LogisticRegression()
    fitted = [reductions.make_gs(i, 7).fit(X, y, a, learner) for i in range(reductions.GS_GRID_SIZE)]
    assert len(calls) == 1
    assert [m.extra_metrics["grid_cache_hit"] for m in fitted] == [False] + [True] * (len(fitted) - 1)
    violation = [m.extra_metrics["train_violation"] for m in fitted]
    assert violation == sorted(violation, reverse=True)
    predictors = {id(m.predictor_) for m in fitted}
    assert len(predictors) == reductions.GS_GRID_SIZE  # every grid point is its own classifier

    reductions.make_gs(0, 8).fit(X, y, a, learner)  # another seed: a new search
    reductions.make_gs(0, 7).fit(X[:-1], y[:-1], a[:-1], learner)  # other data: a new search
    reductions.make_gs(0, 7).fit(X, y, a, LogisticRegression(C=0.1))  # other learner: a new search
    assert len(calls) == 4
    reductions.make_gs(3, 7).fit(X.copy(), y.copy(), a.copy(), clone(learner))  # equal content: cached
    assert len(calls) == 4
    assert len(reductions._GRID_CACHE) <= reductions.CACHE_SIZE
    reductions.clear_cache()


def test_unset_learner_seed_is_pinned_on_the_clone_only():
    from sklearn.ensemble import HistGradientBoostingClassifier

    from fairbench.interventions.firm._common import clone_learner

    learner = HistGradientBoostingClassifier()
    est = clone_learner(learner, 11, {"max_iter": 5})
    assert est.random_state == 11 and est.max_iter == 5
    assert learner.random_state is None and learner.max_iter == 100
    assert clone_learner(HistGradientBoostingClassifier(random_state=3), 11).random_state == 3


# ------------------------------------------------------------------------------------------------
# threshold optimizer
# ------------------------------------------------------------------------------------------------
def test_threshold_optimizer_uses_only_the_score(data, base):
    X, y, a, Xt, yt, at = data
    method = threshold.make(0.0, 2).fit(base["holdout"], y, a)
    first = method.predict(base["test"], at)
    np.testing.assert_array_equal(first, method.predict(base["test"], at))
    assert method.model_.prefit and method.model_.predict_method == "predict"
    balanced = threshold.make(0.0, 2, objective="balanced_accuracy_score").fit(base["holdout"], y, a)
    assert balanced.predict(base["test"], at).shape == first.shape


# ------------------------------------------------------------------------------------------------
# LFR
# ------------------------------------------------------------------------------------------------
def test_lfr_encodes_categoricals_drops_sensitive_and_handles_missing(data):
    X, y, a, Xt, yt, at = data
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 3, len(y)).astype(float)
    Xc = np.column_stack([X, codes, a]).astype(float)
    Xc[::50, 0] = np.nan
    Xc[::70, 2] = np.nan
    method = lfr.make(50.0, 0, categorical=(2,), sensitive=3).fit(Xc, y, a)
    assert method.encoder_.transform(Xc).shape[1] == 2 + 4  # two continuous + 3 codes and "missing"
    Z = method.transform(Xc, a)
    assert Z.shape == (len(y), 6) and np.isfinite(Z).all()
    # the representation does not use the sensitive column: flipping it changes nothing
    flipped = Xc.copy()
    flipped[:, 3] = 1 - flipped[:, 3]
    np.testing.assert_allclose(method.transform(flipped, a), Z)


def test_lfr_subsample_option_bounds_the_fit_rows(data):
    X, y, a, Xt, yt, at = data
    method = lfr.make(50.0, 0, max_fit_rows=300)
    rows = lfr._stratified_rows(y, a, 300, 0)
    assert len(rows) == 300 and len(np.unique(rows)) == 300
    assert method.fit(X, y, a).transform(Xt, at).shape == (len(yt), 2)


def test_lfr_x64_option_is_scoped_and_deterministic(data):
    import jax.numpy as jnp

    X, y, a, Xt, yt, at = data
    first = lfr.make_library(50.0, 2, x64=True).fit(X[:400], y[:400], a[:400])
    second = lfr.make_library(50.0, 2, x64=True).fit(X[:400], y[:400], a[:400])
    np.testing.assert_array_equal(first.transform(Xt, at), second.transform(Xt, at))
    assert first.prototypes_.dtype == np.float64
    assert jnp.asarray(1.0).dtype == jnp.float32  # JAX's process-wide default is untouched


def test_lfr_leaves_numpy_global_random_state_alone(data):
    X, y, a, Xt, yt, at = data
    np.random.seed(123)
    expected = np.random.random()
    for make in (lfr.make, lfr.make_library):
        np.random.seed(123)
        make(50.0, 0).fit(X[:300], y[:300], a[:300])
        assert np.random.random() == expected


# ------------------------------------------------------------------------------------------------
# FARE
# ------------------------------------------------------------------------------------------------
@needs_fare
def test_fare_certificate_bounds_the_downstream_dp_and_reaches_extra_metrics(data):
    from fairbench.fare import fare_certificate

    X, y, a, Xt, yt, at = data
    method = fare.make(0.7, 0, max_leaves=20, min_leaf=50)
    method.fit(X, y, a)
    assert set(method.extra_metrics) == {"n_cells", "tv_d2"} and 1 <= method.extra_metrics["n_cells"] <= 20
    Z, Zt = method.transform(X, a), method.transform(Xt, at)
    pred = LogisticRegression().fit(Z, y).predict(Zt)
    dp = abs(pred[at == 1].mean() - pred[at == 0].mean())
    cert = method.certify(Xt, at)
    assert set(cert) == {"dp_ub", "n_cells"} and cert["dp_ub"] >= dp
    assert method.extra_metrics["dp_ub"] == cert["dp_ub"]  # the harness copies extra_metrics after certify
    # the certificate uses D1 (tree), D2 (held-out train) and the given rows as D3
    (c1, s1, _), (c2, s2, _) = method._d1, method._d2
    assert len(c1) + len(c2) == len(y) and len(c2) == round(fare.VAL_SPLIT * len(y))
    assert cert["dp_ub"] == pytest.approx(fare_certificate(c1, s1, c2, s2, method.apply(Xt), at, method.n_cells_))
    with_labels = method.certify(Xt, at, y=yt)
    assert {"eo_ub", "eopp_ub"} <= set(with_labels)


@needs_fare
def test_fare_drops_sensitive_column_and_maps_rows_to_cell_representatives(data):
    X, y, a, Xt, yt, at = data
    rng = np.random.default_rng(1)
    codes = rng.integers(0, 4, len(y)).astype(float)
    Xc = np.column_stack([a, X, codes]).astype(float)
    Xc[::40, 1] = np.nan
    Xc[::60, 3] = np.nan
    method = fare.make(0.5, 0, categorical=(3,), sensitive=0, max_leaves=30, min_leaf=40, metric="eo")
    method.fit(Xc, y, a)
    Z = method.transform(Xc, a)
    assert Z.shape == (len(y), 3) and np.isfinite(Z).all()
    assert len(np.unique(Z, axis=0)) == method.n_cells_
    assert method.tree_.categorical_ == (2,)
    flipped = Xc.copy()
    flipped[:, 0] = 1 - flipped[:, 0]
    np.testing.assert_array_equal(method.transform(flipped, a), Z)


@needs_fare
def test_fare_high_gamma_gives_fewer_cells(data):
    X, y, a, Xt, yt, at = data
    low = fare.make(0.1, 0).fit(X, y, a)
    high = fare.make(0.99, 0).fit(X, y, a)
    assert high.n_cells_ <= low.n_cells_
    assert low.tree_.max_leaves == fare.MAX_LEAVES == 200 and low.tree_.min_leaf == fare.MIN_LEAF == 100
