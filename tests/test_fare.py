"""Properties of the FARE tree and certificate (docs FARE.md §7, items 1–15)."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from sklearn.tree import DecisionTreeClassifier

from fairbench.fare import (
    FareTree,
    categorical_orders,
    certificate_details,
    clopper_pearson,
    fare_certificate,
    fare_certificate_eo,
    fare_certificate_eopp,
    node_impurity,
    plugin_tv,
    split_improvement,
)
from fairbench.fare.tree import EPS


def _same_partition(a, b):
    """True when two labelings induce the same partition (a bijection between labels)."""
    ct = pd.crosstab(np.asarray(a), np.asarray(b)).to_numpy() > 0
    return bool((ct.sum(axis=0) == 1).all() and (ct.sum(axis=1) == 1).all())


def _mixed_data(n=3000, seed=0):
    """3 continuous (with ties) + 2 categorical columns, y and s correlated with both."""
    rng = np.random.default_rng(seed)
    s = rng.integers(0, 2, n)
    c1 = rng.integers(1, 9, n)
    c2 = np.where(rng.random(n) < 0.5, rng.integers(1, 5, n), 5 + s)
    c2[:3] = 77  # a rare code (< 5 occurrences) that gets merged
    x = np.column_stack([rng.normal(size=n) + 0.5 * s, rng.integers(0, 20, n), rng.random(n)])
    X = np.column_stack([x[:, 0], c1, x[:, 1], c2, x[:, 2]])
    logit = x[:, 0] - 0.3 * (c1 % 3) + 0.1 * x[:, 1] - 1
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y, s, (1, 3)


# ---------------------------------------------------------------------------------------------
# Tree
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("metric", ["dp", "eo", "eopp"])
@pytest.mark.parametrize("gamma", [0.0, 0.5, 0.85])
def test_cells_partition_and_min_leaf(metric, gamma):
    X, y, s, cats = _mixed_data()
    k, n = 30, 40
    tree = FareTree(gamma=gamma, max_leaves=k, min_leaf=n, metric=metric, categorical=cats).fit(X, y, s)
    cells = tree.apply(X)
    K = tree.n_cells_
    assert 1 <= K <= k
    assert cells.min() == 0 and cells.max() == K - 1
    counts = np.bincount(cells, minlength=K)
    assert (counts >= n).all() and counts.sum() == len(X)
    np.testing.assert_array_equal(counts, tree.cell_counts_)
    np.testing.assert_array_equal(cells, tree.apply(X))  # deterministic
    again = FareTree(gamma=gamma, max_leaves=k, min_leaf=n, metric=metric, categorical=cats).fit(X, y, s)
    np.testing.assert_array_equal(cells, again.apply(X))
    assert tree.n_splits_ == K - 1
    # leaf ids of the node arrays agree with apply
    leaves = tree.tree_.leaf_id[tree.tree_.leaf_id >= 0]
    np.testing.assert_array_equal(np.sort(leaves), np.arange(K))


@pytest.mark.parametrize("k,n,seed", [(8, 50, 0), (20, 30, 1), (40, 10, 2)])
def test_gamma0_equals_sklearn_gini_tree(k, n, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(3000, 5))
    y = (X[:, 0] + X[:, 1] * X[:, 2] + rng.normal(size=3000) > 0).astype(int)
    s = rng.integers(0, 2, 3000)
    ours = FareTree(gamma=0.0, max_leaves=k, min_leaf=n).fit(X, y, s)
    ref = DecisionTreeClassifier(criterion="gini", max_leaf_nodes=k, min_samples_leaf=n, random_state=0).fit(X, y)
    assert ours.n_cells_ == ref.get_n_leaves()
    assert _same_partition(ours.apply(X), ref.apply(X))


def _brute_best(n_c, y_c, s_c, gamma):
    codes = np.flatnonzero(n_c > 0)
    N = n_c.sum()
    parent = (N, y_c.sum(), s_c.sum())
    best = -np.inf
    for r in range(1, len(codes)):
        for left in itertools.combinations(codes[1:], r - 1):
            L = np.array((codes[0],) + left)
            d = split_improvement(parent, (n_c[L].sum(), y_c[L].sum(), s_c[L].sum()), N, gamma)
            best = max(best, d)
    return best


@pytest.mark.parametrize("seed", range(5))
def test_order_a_matches_brute_force_at_gamma0(seed):
    rng = np.random.default_rng(seed)
    C = int(rng.integers(3, 9))
    n = 600
    code = rng.integers(1, C + 1, n)
    rate = rng.random(C + 1)
    y = (rng.random(n) < rate[code]).astype(int)
    s = rng.integers(0, 2, n)
    n_c = np.bincount(code, minlength=C + 1)
    y_c = np.bincount(code, weights=y, minlength=C + 1)
    s_c = np.bincount(code, weights=s, minlength=C + 1)
    order_a, _ = categorical_orders(n_c, y_c, s_c)
    parent = (n, y.sum(), s.sum())
    best_a = max(
        split_improvement(parent, (n_c[order_a[:m]].sum(), y_c[order_a[:m]].sum(), s_c[order_a[:m]].sum()), n, 0.0)
        for m in range(1, len(order_a))
    )
    brute = _brute_best(n_c, y_c, s_c, 0.0)
    assert best_a == pytest.approx(brute, abs=1e-12)
    tree = FareTree(gamma=0.0, max_leaves=2, min_leaf=1, categorical=(0,)).fit(code[:, None], y, s)
    assert tree.tree_.improvement[0] == pytest.approx(brute, abs=1e-12)


def test_order_b_interleaves_high_then_low():
    # per-code means (codes 1..5):   m_s = .9 .1 .5 .3 .7   m_y = .2 .8 .6 .4 .1
    n_c = np.array([0, 10, 10, 10, 10, 10])
    s_c = np.array([0, 9, 1, 5, 3, 7])
    y_c = np.array([0, 2, 8, 6, 4, 1])
    order_a, order_b = categorical_orders(n_c, y_c, s_c)
    np.testing.assert_array_equal(order_a, [5, 1, 4, 3, 2])
    # low-s half {2, 4} -> by m_y [4, 2]; high-s half {3, 5, 1} -> by m_y [5, 1, 3]
    np.testing.assert_array_equal(order_b, [5, 4, 1, 2, 3])
    high = {3, 5, 1}
    assert [c in high for c in order_b] == [True, False, True, False, True]


def test_gamma1_splits_are_balanced_and_ignore_y():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 4))
    y = rng.integers(0, 2, 3000)
    s = rng.permutation(np.r_[np.zeros(2000, int), np.ones(1000, int)])
    tree = FareTree(gamma=1.0, max_leaves=20, min_leaf=30).fit(X, y, s)
    t = tree.tree_
    internal = np.flatnonzero(t.leaf_id < 0)
    assert len(internal) >= 1
    for i in internal:
        L, R = t.left[i], t.right[i]
        assert t.n_s1[L] * t.n_samples[R] == t.n_s1[R] * t.n_samples[L]
    assert plugin_tv(tree.apply(X), s) <= 1e-12
    permuted = FareTree(gamma=1.0, max_leaves=20, min_leaf=30).fit(X, rng.permutation(y), s)
    np.testing.assert_array_equal(tree.apply(X), permuted.apply(X))


def test_closed_form_matches_generic_formula_and_monotone_in_gamma():
    rng = np.random.default_rng(0)
    for _ in range(120):
        N = int(rng.integers(50, 5000))
        n = int(rng.integers(4, N + 1))
        nL = int(rng.integers(1, n))
        nR = n - nL
        YL, YR = int(rng.integers(0, nL + 1)), int(rng.integers(0, nR + 1))
        SL, SR = int(rng.integers(0, nL + 1)), int(rng.integers(0, nR + 1))
        Y, S = YL + YR, SL + SR
        gs = np.linspace(0, 1, 11)
        deltas = []
        for g in gs:
            d = split_improvement((n, Y, S), (nL, YL, SL), N, g)
            generic = n / N * (node_impurity(n, Y, S, g) - nL / n * node_impurity(nL, YL, SL, g)
                               - nR / n * node_impurity(nR, YR, SR, g))
            py, ps = Y / n, S / n
            closed = n / N * 2 * ((1 - g) * (nL / n * (YL / nL - py) ** 2 + nR / n * (YR / nR - py) ** 2)
                                  - g * (nL / n * (SL / nL - ps) ** 2 + nR / n * (SR / nR - ps) ** 2))
            assert d == pytest.approx(generic, abs=1e-12)
            assert d == pytest.approx(closed, abs=1e-12)
            deltas.append(d)
        assert np.all(np.diff(deltas) <= 1e-15)


@pytest.mark.parametrize("metric", ["eo", "eopp"])
def test_eo_eopp_scores_match_generic_formula(metric):
    rng = np.random.default_rng(1)
    checked = 0
    for _ in range(300):
        # joint (y, s) counts of the two children
        L = rng.integers(0, 40, 4)
        R = rng.integers(0, 40, 4)  # order: (y0s0, y0s1, y1s0, y1s1)
        if L.sum() == 0 or R.sum() == 0:
            continue
        if metric == "eopp" and (L[2:].sum() == 0 or R[2:].sum() == 0):
            continue
        def counts(c):
            return (c.sum(), c[2] + c[3], c[1] + c[3], c[3])
        P, CL, CR = counts(L + R), counts(L), counts(R)
        N = int(P[0]) + int(rng.integers(0, 100))
        g = float(rng.random())
        d = split_improvement(P, CL, N, g, metric=metric)
        I = lambda c: node_impurity(c[0], c[1], c[2], g, metric, c[3])  # noqa: E731
        generic = (P[0] * I(P) - CL[0] * I(CL) - CR[0] * I(CR)) / N
        assert d == pytest.approx(generic, abs=1e-12)
        checked += 1
    assert checked > 100


def test_bug_compat_only_changes_mixed_left_children():
    # a left child holding only y=1 rows has the same conditional proportions either way
    P, CL = (100, 60, 50, 30), (20, 20, 12, 12)
    for metric in ("eo", "eopp"):
        a = split_improvement(P, CL, 100, 0.7, metric=metric)
        b = split_improvement(P, CL, 100, 0.7, metric=metric, bug_compat=True)
        assert a == pytest.approx(b, abs=1e-12)
    CL = (40, 10, 20, 5)
    a = split_improvement(P, CL, 100, 0.7, metric="eopp")
    b = split_improvement(P, CL, 100, 0.7, metric="eopp", bug_compat=True)
    assert a != pytest.approx(b)
    X, y, s, cats = _mixed_data(1500)
    tree = FareTree(gamma=0.9, max_leaves=20, min_leaf=30, metric="eo", bug_compat=True, categorical=cats)
    cells = tree.fit(X, y, s).apply(X)
    assert (np.bincount(cells) >= 30).all()


def test_eo_at_gamma0_equals_dp_tree():
    X, y, s, cats = _mixed_data(2000, seed=3)
    a = FareTree(gamma=0.0, max_leaves=25, min_leaf=20, metric="dp", categorical=cats).fit(X, y, s)
    b = FareTree(gamma=0.0, max_leaves=25, min_leaf=20, metric="eo", categorical=cats).fit(X, y, s)
    np.testing.assert_array_equal(a.apply(X), b.apply(X))


def test_fairness_stop_gives_fewer_cells():
    X, y, s, cats = _mixed_data(2000, seed=4)
    tree = FareTree(gamma=0.99, max_leaves=200, min_leaf=20, categorical=cats).fit(X, y, s)
    internal = tree.tree_.leaf_id < 0
    assert (tree.tree_.improvement[internal] >= -EPS).all()
    assert tree.n_cells_ < 200
    low = FareTree(gamma=0.0, max_leaves=200, min_leaf=20, categorical=cats).fit(X, y, s)
    assert plugin_tv(tree.apply(X), s) < plugin_tv(low.apply(X), s)


def test_high_gamma_switches_split_feature():
    rng = np.random.default_rng(0)
    n = 4000
    s = rng.integers(0, 2, n)
    x0 = s + rng.uniform(0, 0.1, n)  # y-informative only through s
    x1 = rng.uniform(0, 1, n)  # weaker y-signal, independent of s
    y = (rng.random(n) < 0.15 + 0.6 * s + 0.2 * (x1 > 0.5)).astype(int)
    X = np.column_stack([x0, x1])
    assert FareTree(gamma=0.0, max_leaves=2, min_leaf=50).fit(X, y, s).tree_.feature[0] == 0
    assert FareTree(gamma=0.9, max_leaves=2, min_leaf=50).fit(X, y, s).tree_.feature[0] == 1


@pytest.mark.parametrize("gamma", [0.0, 0.85])
def test_representatives_land_in_their_cells(gamma):
    X, y, s, cats = _mixed_data()
    tree = FareTree(gamma=gamma, max_leaves=40, min_leaf=20, categorical=cats).fit(X, y, s)
    R = tree.representatives_
    K = tree.n_cells_
    np.testing.assert_array_equal(tree.apply(R), np.arange(K))
    assert len(np.unique(R, axis=0)) == K
    Z = tree.transform(X)
    np.testing.assert_array_equal(Z, R[tree.apply(X)])
    # categorical representatives are codes that occur in the data
    for j in cats:
        assert set(R[:, j]) <= set(X[:, j])


def test_representative_median_and_mode():
    X = np.column_stack([np.arange(10.0), [3, 3, 1, 1, 2, 2, 2, 2, 1, 1]])
    y = np.zeros(10, int)
    s = np.zeros(10, int)
    tree = FareTree(gamma=0.0, max_leaves=2, min_leaf=1, categorical=(1,)).fit(X, y, s)
    assert tree.n_cells_ == 1  # y-pure node at gamma=0 has impurity 0: no split
    # median 4.5; codes 1 and 2 tie four times each -> the smaller code; code 3 is merged as rare
    np.testing.assert_array_equal(tree.representatives_, [[4.5, 1.0]])


def test_rare_and_unseen_codes_share_the_infrequent_code_and_parity():
    rng = np.random.default_rng(0)
    n = 2000
    code = rng.choice([10, 20, 30, 40], n)
    code[:3] = 7  # rare
    y = (rng.random(n) < np.where(np.isin(code, (10, 40)), 0.8, 0.2)).astype(int)
    s = rng.integers(0, 2, n)
    tree = FareTree(gamma=0.0, max_leaves=2, min_leaf=1, categorical=(0,)).fit(code[:, None], y, s)
    np.testing.assert_array_equal(tree.category_codes_[0], [10, 20, 30, 40])
    assert tree.n_categories_[0] == 5
    assert tree.apply(np.array([[7.0]]))[0] == tree.apply(np.array([[99.0]]))[0]
    # without rare codes an unseen code gets the fresh internal code C+1 and the parity rule
    code2 = np.where(code == 7, 10, code)
    tree2 = FareTree(gamma=0.0, max_leaves=2, min_leaf=1, categorical=(0,)).fit(code2[:, None], y, s)
    lookup = tree2.tree_.cat_left[0]
    assert len(lookup) == 6 and lookup[5] == False  # noqa: E712  (5 is odd -> right)
    right_cell = tree2.tree_.leaf_id[tree2.tree_.right[0]]
    assert tree2.apply(np.array([[99.0]]))[0] == right_cell


def test_codes_absent_from_a_node_follow_parity():
    X, y, s, cats = _mixed_data(3000, seed=5)
    tree = FareTree(gamma=0.3, max_leaves=60, min_leaf=10, categorical=cats).fit(X, y, s)
    _, Xk = tree._encode(X)
    path = tree.decision_path(X).tocsc()
    t = tree.tree_
    seen = 0
    for nid in np.flatnonzero(t.is_categorical):
        rows = path[:, nid].nonzero()[0]
        jj = tree.categorical_.index(int(t.feature[nid]))
        present = np.unique(Xk[rows, jj])
        lookup = t.cat_left[nid]
        absent = np.setdiff1d(np.arange(len(lookup)), present)
        np.testing.assert_array_equal(lookup[absent], absent % 2 == 0)
        seen += len(absent)
    assert seen > 0


def test_dataframe_input_with_named_categoricals():
    X, y, s, cats = _mixed_data(1500)
    df = pd.DataFrame(X, columns=["a", "b", "c", "d", "e"])
    t1 = FareTree(max_leaves=20, min_leaf=20, categorical=("b", "d")).fit(df, y, s)
    t2 = FareTree(max_leaves=20, min_leaf=20, categorical=cats).fit(X, y, s)
    np.testing.assert_array_equal(t1.apply(df), t2.apply(X))
    assert list(t1.feature_names_in_) == ["a", "b", "c", "d", "e"]


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(gamma=1.5), "gamma=1.5"),
        (dict(gamma="high"), "gamma='high'"),
        (dict(max_leaves=0), "max_leaves=0"),
        (dict(min_leaf=2.5), "min_leaf=2.5"),
        (dict(metric="tpr"), "metric='tpr'.*dp"),
        (dict(categorical=(9,)), "index 9"),
        (dict(categorical=("zz",)), "'zz'"),
    ],
)
def test_bad_parameters_are_named(kwargs, match):
    X, y, s, _ = _mixed_data(200)
    with pytest.raises(ValueError, match=match):
        FareTree(**kwargs).fit(X, y, s)


def test_bad_data_is_named():
    X, y, s, _ = _mixed_data(200)
    with pytest.raises(ValueError, match="y must be binary"):
        FareTree().fit(X, y + 1, s)
    with pytest.raises(ValueError, match="s has 199"):
        FareTree().fit(X, y, s[:-1])
    with pytest.raises(ValueError, match="non-integer"):
        FareTree(categorical=(0,)).fit(X, y, s)
    with pytest.raises(ValueError, match="not fitted"):
        FareTree().apply(X)
    tree = FareTree(min_leaf=10).fit(X, y, s)
    with pytest.raises(ValueError, match="4 columns"):
        tree.apply(X[:, :4])


# ---------------------------------------------------------------------------------------------
# Certificate
# ---------------------------------------------------------------------------------------------
def _emp_dp(pred, s):
    return abs(pred[s == 0].mean() - pred[s == 1].mean())


def test_plugin_tv_bounds_every_cell_classifier():
    rng = np.random.default_rng(0)
    for _ in range(50):
        K = int(rng.integers(2, 30))
        n = int(rng.integers(50, 500))
        cells = rng.integers(0, K, n)
        s = (rng.random(n) < 0.2 + 0.6 * (cells % 3 == 0)).astype(int)
        if s.min() == s.max():
            continue
        tv = plugin_tv(cells, s, K)
        for _ in range(20):
            g = rng.integers(0, 2, K)
            assert _emp_dp(g[cells], s) <= tv + 1e-12
        # the best map attains it
        c0 = np.bincount(cells[s == 0], minlength=K) / (s == 0).sum()
        c1 = np.bincount(cells[s == 1], minlength=K) / (s == 1).sum()
        assert _emp_dp((c0 > c1).astype(int)[cells], s) == pytest.approx(tv, abs=1e-12)


def test_certificate_above_empirical_dp_of_random_maps():
    X, y, s, cats = _mixed_data(6000, seed=7)
    tree = FareTree(gamma=0.5, max_leaves=20, min_leaf=50, categorical=cats).fit(X[:3000], y[:3000], s[:3000])
    c = tree.apply(X)
    K = tree.n_cells_
    ub = fare_certificate(c[:3000], s[:3000], c[3000:4500], s[3000:4500], c[4500:], s[4500:], K)
    rng = np.random.default_rng(0)
    for _ in range(100):
        g = rng.integers(0, 2, K)
        assert _emp_dp(g[c[4500:]], s[4500:]) <= ub


def test_clopper_pearson_known_values():
    lo, hi = clopper_pearson(0, 10, 0.05)
    assert lo == 0.0 and hi == pytest.approx(0.3085, abs=1e-4)
    lo, hi = clopper_pearson(37, 120, 0.001)
    assert lo == pytest.approx(0.18095, abs=1e-5) and hi == pytest.approx(0.46007, abs=1e-5)
    assert clopper_pearson(10, 10, 0.05)[1] == 1.0
    lo, hi = clopper_pearson(np.array([0, 3, 5]), np.array([0, 10, 5]), 0.1)
    assert lo[0] == 0.0 and hi[0] == 1.0 and hi[2] == 1.0 and 0 < lo[1] < 0.3 < hi[1] < 1


def test_clopper_pearson_matches_statsmodels():
    sm = pytest.importorskip("statsmodels.stats.proportion")
    for x, n, e in [(0, 10, 0.05), (37, 120, 0.001), (5, 7, 0.2), (999, 1000, 0.01)]:
        ref = sm.proportion_confint(x, n, alpha=e, method="beta")
        np.testing.assert_allclose(clopper_pearson(x, n, e), ref, atol=1e-12)


def test_certificate_covers_true_tv():
    rng = np.random.default_rng(0)
    K = 10
    p0 = rng.dirichlet(np.ones(K))  # P(cell | s=0)
    p1 = 0.7 * p0 + 0.3 * rng.dirichlet(np.ones(K))  # P(cell | s=1)
    true_tv = 0.5 * np.abs(p0 - p1).sum()
    pi0 = 0.33

    def draw(m):
        s = (rng.random(m) >= pi0).astype(int)
        cells = np.where(s == 0, rng.choice(K, m, p=p0), rng.choice(K, m, p=p1))
        return cells, s

    hits = 0
    reps = 200
    for _ in range(reps):
        d1, d2, d3 = draw(3000), draw(2000), draw(2000)
        hits += fare_certificate(*d1, *d2, *d3, K) >= true_tv
    assert hits >= 0.95 * reps


def _regression_inputs(scale=1, split=1):
    c1 = np.zeros(20000 * scale, int)
    s1 = np.r_[np.zeros(10250 * scale), np.ones(9750 * scale)].astype(int)
    parts_c, parts_s = [], []
    for i, k in enumerate((2500, 3000, 2000, 2750)):
        for h in range(split):  # split each cell into `split` identical sub-cells
            m, k2 = 5000 * scale // split, k * scale // split
            parts_c.append(np.full(m, i * split + h))
            parts_s.append(np.r_[np.zeros(k2), np.ones(m - k2)])
    c2, s2 = np.concatenate(parts_c), np.concatenate(parts_s).astype(int)
    return c1, s1, c2, s2, c2.copy(), np.zeros(len(c2), int), 4 * split


def test_certificate_regression_value():
    d = certificate_details(*_regression_inputs())
    assert d["alpha_ub"] == pytest.approx(0.994923, abs=1e-6)
    assert d["beta_ub"] == pytest.approx(1.046992, abs=1e-6)
    np.testing.assert_allclose(d["t"], [0.542663, 0.614707, 0.646877, 0.565283], atol=1e-6)
    assert d["ub"] == pytest.approx(0.187164, abs=1e-6)
    c1, s1, c2, s2, c3, s3, K = _regression_inputs()
    assert plugin_tv(c2, s2, K) == pytest.approx(0.125078, abs=1e-6)
    assert fare_certificate(c1, s1, c2, s2, c3, s3, K) == d["ub"]


def test_certificate_shrinks_with_n_and_grows_with_k():
    base = fare_certificate(*_regression_inputs())
    bigger = fare_certificate(*_regression_inputs(scale=4))
    finer = fare_certificate(*_regression_inputs(split=5))
    assert bigger < base < finer
    # the plug-in TV is identical for the finer partition: only the union bound differs
    c1, s1, c2, s2, *_ = _regression_inputs(split=5)
    assert plugin_tv(c2, s2) == pytest.approx(0.125078, abs=1e-6)


def test_eopp_and_eo_certificates():
    rng = np.random.default_rng(3)
    K = 6

    def split(m):
        c = rng.integers(0, K, m)
        s = (rng.random(m) < 0.3 + 0.1 * (c % 2)).astype(int)
        y = (rng.random(m) < 0.4 + 0.2 * s).astype(int)
        return c, s, y

    (c1, s1, y1), (c2, s2, y2), (c3, s3, y3) = split(4000), split(3000), split(3000)
    args = (c1, s1, y1, c2, s2, y2, c3, s3, y3, K)
    f = lambda lab, eps: fare_certificate(c1[y1 == lab], s1[y1 == lab], c2[y2 == lab], s2[y2 == lab],  # noqa: E731
                                          c3[y3 == lab], s3[y3 == lab], K, eps=eps)
    assert fare_certificate_eopp(*args) == pytest.approx(f(1, 0.05), abs=1e-15)
    assert fare_certificate_eo(*args) == pytest.approx(0.5 * (f(1, 0.025) + f(0, 0.025)), abs=1e-15)
    assert fare_certificate_eo(*args) > 0.5 * (f(1, 0.05) + f(0, 0.05))  # halved budget is looser


def test_certificate_edge_cases():
    rng = np.random.default_rng(0)
    K = 5
    c1, s1 = rng.integers(0, K, 1000), rng.integers(0, 2, 1000)
    c2, s2 = rng.integers(0, K - 1, 800), rng.integers(0, 2, 800)  # cell 4 empty in D2
    c3, s3 = rng.integers(1, K, 800), rng.integers(0, 2, 800)  # cell 0 empty in D3
    d = certificate_details(c1, s1, c2, s2, c3, s3, K)
    assert d["t"][4] == pytest.approx(max(d["alpha_ub"], d["beta_ub"]))
    assert d["weights"][0] == 0.0
    assert np.isfinite(d["ub"])
    # a cell present in no split at all, and a tiny D3, still work
    assert np.isfinite(fare_certificate(c1, s1, c2, s2, c3[:1], s3[:1], K + 3))
    y1, y2, y3 = rng.integers(0, 2, 1000), rng.integers(0, 2, 800), rng.integers(0, 2, 800)
    assert np.isfinite(fare_certificate_eo(c1, s1, y1, c2, s2, y2, c3, s3, y3, K))
    with pytest.raises(ValueError, match="0..4"):
        fare_certificate(c1, s1, c2 + 2, s2, c3, s3, K)
    with pytest.raises(ValueError, match="eps"):
        fare_certificate(c1, s1, c2, s2, c3, s3, K, eps=0.01)
    with pytest.raises(ValueError, match="both s=0 and s=1"):
        fare_certificate(c1, np.zeros_like(s1), c2, s2, c3, s3, K)
    with pytest.raises(ValueError, match="n_cells"):
        fare_certificate(c1, s1, c2, s2, c3, s3, 0)


def test_end_to_end_tree_certificate_on_held_out_splits():
    X, y, s, cats = _mixed_data(6000, seed=11)
    tree = FareTree(gamma=0.85, max_leaves=50, min_leaf=50, categorical=cats).fit(X[:3000], y[:3000], s[:3000])
    c = tree.apply(X)
    ub = fare_certificate(c[:3000], s[:3000], c[3000:4500], s[3000:4500], c[4500:], s[4500:], tree.n_cells_)
    assert plugin_tv(c[4500:], s[4500:], tree.n_cells_) <= ub


def test_random_state_only_reorders_feature_visits():
    X, y, s, cats = _mixed_data(2000, seed=9)
    a = FareTree(max_leaves=20, min_leaf=20, categorical=cats, random_state=0).fit(X, y, s).apply(X)
    b = FareTree(max_leaves=20, min_leaf=20, categorical=cats, random_state=0).fit(X, y, s).apply(X)
    c = FareTree(max_leaves=20, min_leaf=20, categorical=cats).fit(X, y, s).apply(X)
    np.testing.assert_array_equal(a, b)
    assert _same_partition(a, c)  # no exact ties between features on this data
