"""Invariants checked on generated inputs (hypothesis): metric ranges, the perfect classifier,
who may flip and how many, the untouched test set, and exactly which row-order changes leave
which results unchanged."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import fairbench.tasks
from fairbench.collective import flip, form_collective, rank_candidates
from fairbench.metrics import BUILTIN_METRICS, computed, evaluate
from fairbench.prepared import prepare
from fairbench.runner import compare
from fairbench.store import ResultStore, cell_key
from fairbench.tasks import Settings, Task, run_task
from rel_support import FAST, dataset, frame, intervention, registry_with

RATES = [m.name for m in computed(BUILTIN_METRICS) if m.kind != "error"]  # what evaluate() returns
FAST_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def labelled(draw, min_size: int = 1, max_size: int = 80):
    n = draw(st.integers(min_size, max_size))
    bits = st.lists(st.integers(0, 1), min_size=n, max_size=n)
    return np.array(draw(bits)), np.array(draw(bits)), np.array(draw(bits))


def _same(a: dict, b: dict) -> bool:
    for key in set(a) | set(b):
        x, y = a.get(key), b.get(key)
        if isinstance(x, float) and isinstance(y, float):
            if not (x == y or (math.isnan(x) and math.isnan(y)) or math.isclose(x, y, abs_tol=1e-12)):
                return False
        elif x != y:
            return False
    return True


# --- metrics ---------------------------------------------------------------------------------------------

@FAST_SETTINGS
@given(labelled())
def test_metrics_are_in_0_1_or_undefined_with_a_note(arrays):
    y_true, y_pred, a = arrays
    m = evaluate(y_true, y_pred, a)
    assert 0.0 <= m["error"] <= 1.0
    for col in RATES:
        if math.isnan(m[col]):
            assert "undefined" in m.get("note", "") or "has no rows" in m.get("note", ""), (col, m)
        else:
            assert 0.0 <= m[col] <= 1.0, (col, m)
    if not math.isnan(m["eqod"]):
        assert math.isclose(m["eqod"], (m["tpr_gap"] + m["fpr_gap"]) / 2)
        assert m["eqod"] <= m["eqod_max"] + 1e-12


@FAST_SETTINGS
@given(labelled(min_size=2))
def test_perfect_classifier_has_zero_eqod(arrays):
    y_true, _, a = arrays
    m = evaluate(y_true, y_true, a)
    assert m["error"] == 0.0
    defined = all(((a == g) & (y_true == v)).any() for g in (0, 1) for v in (0, 1))
    if defined:
        assert m["eqod"] == 0.0 and m["eqod_max"] == 0.0 and m["tpr_gap"] == 0.0 and m["fpr_gap"] == 0.0
        assert math.isclose(m["sp"], abs(y_true[a == 1].mean() - y_true[a == 0].mean()))
    else:
        assert math.isnan(m["eqod"]) and "note" in m  # undefined is said, never reported as 0


@FAST_SETTINGS
@given(labelled(min_size=2), st.randoms(use_true_random=False))
def test_metrics_do_not_depend_on_row_order(arrays, rnd):
    y_true, y_pred, a = arrays
    order = np.array(rnd.sample(range(len(y_true)), len(y_true)))
    assert _same(evaluate(y_true, y_pred, a), evaluate(y_true[order], y_pred[order], a[order]))


@settings(max_examples=30, deadline=None)
@given(labelled(min_size=1, max_size=20), st.floats(0.01, 0.99))
def test_metrics_refuse_scores_instead_of_labels(arrays, score):
    y_true, y_pred, a = arrays
    y_pred = y_pred.astype(float)
    y_pred[0] = score
    with pytest.raises(ValueError, match="y_pred to hold only 0 and 1"):
        evaluate(y_true, y_pred, a)


# --- the collective and its flips --------------------------------------------------------------------------

@st.composite
def population(draw):
    n = draw(st.integers(2, 120))
    a = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    y = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    in_train = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    assume(in_train.any())
    train = np.flatnonzero(in_train)
    alpha = draw(st.floats(0.01, 1.0))
    seed = draw(st.integers(0, 2**16))
    knowledge = draw(st.one_of(st.none(), st.integers(0, 2 * n)))
    return a, y, train, alpha, seed, knowledge


@FAST_SETTINGS
@given(population(), st.randoms(use_true_random=False))
def test_collective_is_drawn_from_the_training_minority(pop, rnd):
    a, y, train, alpha, seed, knowledge = pop
    c = form_collective(train, a, y, alpha, seed, knowledge)
    minority = train[a[train] == 1]
    majority = train[a[train] == 0]
    assert set(c.members) <= set(minority) and len(set(c.members)) == len(c.members)
    assert len(c.members) == int(round(alpha * len(minority)))
    assert list(c.candidates) == [m for m in c.members if y[m] == 0]
    assert set(c.known_majority) <= set(majority)
    assert len(c.known_majority) == (len(majority) if knowledge is None else min(knowledge, len(majority)))
    # the training set is a set: its order never changes the draw
    shuffled = np.array(rnd.sample(list(train), len(train)))
    again = form_collective(shuffled, a, y, alpha, seed, knowledge)
    for field in ("members", "candidates", "known_majority"):
        assert np.array_equal(getattr(c, field), getattr(again, field))


@FAST_SETTINGS
@given(population(), st.lists(st.integers(0, 300), min_size=1, max_size=6))
def test_flips_touch_only_candidates_0_to_1_and_count_exactly(pop, budgets):
    a, y, train, alpha, seed, knowledge = pop
    c = form_collective(train, a, y, alpha, seed, knowledge)
    scores = np.random.default_rng(seed).random(len(c.candidates))
    ranking = rank_candidates(scores, len(c.candidates), seed, "random")
    y_before = y.copy()
    test = np.setdiff1d(np.arange(len(y)), train)
    previous = set()
    for budget in sorted(budgets):
        y_after, n_flips = flip(y, c.candidates, ranking, budget)
        changed = np.flatnonzero(y_after != y)
        assert np.array_equal(y, y_before)                        # the input is never modified
        assert set(changed) <= set(c.candidates) <= set(train)    # only collective members' labels
        assert (y[changed] == 0).all() and (y_after[changed] == 1).all()  # only 0 -> 1
        assert n_flips == len(changed) == min(budget, len(c.candidates))  # recorded = changed
        assert np.array_equal(y_after[test], y[test])             # the test set is untouched
        assert previous <= set(changed)                           # a larger budget extends the same ranking
        previous = set(changed)


@FAST_SETTINGS
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=60, unique=True),
       st.integers(0, 60), st.integers(0, 2**16), st.randoms(use_true_random=False))
def test_top_m_is_the_m_best_scores_whatever_their_order(scores, budget, seed, rnd):
    scores = np.array(scores)
    candidates = np.arange(100, 100 + len(scores))
    order = np.array(rnd.sample(range(len(scores)), len(scores)))
    chosen = set(candidates[rank_candidates(scores, len(scores), seed, "x")[:budget]])
    chosen_permuted = set(candidates[order][rank_candidates(scores[order], len(scores), seed, "x")[:budget]])
    assert chosen == chosen_permuted
    best = set(candidates[np.argsort(-scores)[:budget]])
    assert chosen == best


# --- the harness: what a labels task does with the data ----------------------------------------------------

class SpyScores:
    views: list = []

    def score(self, view):
        SpyScores.views.append(view)
        return np.random.default_rng([view.random_state, 1]).random(len(view.candidates))


@pytest.fixture(scope="module")
def prepared_toy():
    return prepare(dataset(frame(300, p=3, seed=5)))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.integers(0, 400), min_size=1, max_size=4, unique=True), st.integers(0, 3), st.floats(0.05, 1.0))
def test_a_labels_task_changes_only_training_labels_and_records_its_flips(prepared_toy, budgets, seed, alpha):
    data = prepared_toy
    y_original = data.y.copy()
    split = data.split(seed)
    iv = intervention("spy", "labels", SpyScores)
    task = Task(iv, seed, tuple((b, f"k{b}") for b in budgets))
    flips, truths = [], []
    real_flip, real_evaluate = fairbench.tasks.flip, fairbench.tasks.evaluate

    def spy_flip(y, candidates, ranking, budget):
        y_mod, n = real_flip(y, candidates, ranking, budget)
        flips.append((budget, y_mod, n, candidates))
        return y_mod, n

    def spy_evaluate(y_true, y_pred, a, *metrics):
        truths.append(np.asarray(y_true).copy())
        return real_evaluate(y_true, y_pred, a, *metrics)

    SpyScores.views = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fairbench.tasks, "flip", spy_flip)
        mp.setattr(fairbench.tasks, "evaluate", spy_evaluate)
        rows = run_task(data, task, Settings(alpha=alpha, learner="logreg", tune=False)).rows
    assert np.array_equal(data.y, y_original)  # the dataset itself is never modified
    assert all(r["status"] == "ok" for r in rows), rows
    for truth in truths:  # every metric is computed against the original test labels
        assert np.array_equal(truth, y_original[split.test])
    by_budget = {b: (y_mod, n, cands) for b, y_mod, n, cands in flips}
    for row in rows:
        y_mod, n, candidates = by_budget[row["knob_value"]]
        changed = np.flatnonzero(y_mod != y_original)
        assert row["n_flips"] == n == len(changed)
        assert set(changed) <= set(candidates) <= set(split.train)
        assert (y_original[changed] == 0).all() and (data.a[changed] == 1).all()
    # the strategy saw training rows only: no test row's features reach plugin code
    Z = data.scoring_space(split.train)
    test_rows = {tuple(np.round(z, 9)) for z in Z[split.test]}
    (view,) = SpyScores.views
    for block in (view.candidates, view.collective, view.majority):
        assert not test_rows & {tuple(np.round(z, 9)) for z in block}


# --- row order: exactly what is and is not invariant ------------------------------------------------------

def test_scoring_space_rows_follow_a_row_permutation():
    data = frame(200, p=3, seed=2)
    data.loc[::13, "x1"] = np.nan
    order = np.random.default_rng(0).permutation(len(data))
    base = prepare(dataset(data))
    permuted = prepare(dataset(data.iloc[order].reset_index(drop=True)))
    train = np.arange(160)
    inverse = np.argsort(order)
    Z = base.scoring_space(train)
    Zp = permuted.scoring_space(np.sort(inverse[train]))  # the same rows, at their new positions
    assert np.allclose(Zp, Z[order])


def test_scoring_space_is_fitted_on_training_rows_only():
    data = frame(200, p=3, seed=4)
    train = np.arange(150)
    Z = prepare(dataset(data)).scoring_space(train)
    changed = data.copy()
    changed.loc[150:, ["x0", "x1", "x2"]] = 1e6  # wild test rows
    Zc = prepare(dataset(changed)).scoring_space(train)
    assert np.allclose(Z[train], Zc[train])


def _split_csv(tmp_path, data: pd.DataFrame, name: str):
    path = tmp_path / name
    data.to_csv(path, index=False)
    return f"csv:{path}"


def test_permuting_test_rows_changes_no_number(tmp_path):
    """With a predefined split, shuffling the test rows (train rows kept in place) gives identical cells:
    the collective, its flips and the learner see the same training data, and metrics ignore order."""
    data = frame(400, seed=9)
    data["split"] = np.where(np.arange(400) >= 320, "test", "train")
    shuffled = data.copy()
    tail = shuffled.iloc[320:].sample(frac=1.0, random_state=1)
    shuffled = pd.concat([shuffled.iloc[:320], tail], ignore_index=True)
    kw = dict(interventions=["random", "rb-label", "rb-dist"], budgets=[0, 5, 15], dataset_options={"test_column": "split"},
              seeds=2, learner="logreg", tune=False, write=False)
    first = compare(_split_csv(tmp_path, data, "a.csv"), output=tmp_path / "a", **kw)
    second = compare(_split_csv(tmp_path, shuffled, "b.csv"), output=tmp_path / "b", **kw)
    cols = ["intervention", "seed", "knob_value", "error", "eqod", "sp", "n_flips", "n_candidates"]
    pd.testing.assert_frame_equal(first.cells[cols], second.cells[cols])


def test_reordered_file_never_reuses_cells_of_the_original(tmp_path):
    """Row order is part of the data's fingerprint: the seeded split and collective draw are positional,
    so a reordered file is a different (equally valid) experiment and is computed afresh."""
    data = frame(300, seed=6)
    registry = registry_with({"orig": dataset(data), "perm": dataset(data.sample(frac=1.0, random_state=3))})
    one = compare("orig", interventions=["random"], budgets=[0, 5], registry=registry, output=tmp_path, **FAST)
    two = compare("perm", interventions=["random"], budgets=[0, 5], registry=registry, output=tmp_path, **FAST)
    assert one.computed == len(one.cells) and two.computed == len(two.cells) and two.reused == 0


# --- keys and stored values ------------------------------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=8), st.one_of(st.integers(), st.text(max_size=8), st.none()),
                       min_size=1, max_size=8), st.randoms(use_true_random=False))
def test_cell_key_ignores_dict_order(identity, rnd):
    items = list(identity.items())
    rnd.shuffle(items)
    assert cell_key(identity) == cell_key(dict(items))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**6, 10**6), st.none()),
                min_size=1, max_size=8))
def test_store_round_trips_numbers_including_nan(tmp_path_factory, values):
    out = tmp_path_factory.mktemp("store")
    rows = [{"key": f"k{i}", "eqod": v, "n_flips": np.int64(i)} for i, v in enumerate(values)]
    with ResultStore(out) as store:
        store.put(rows)
        back = store.rows([r["key"] for r in rows])
    for row, stored in zip(rows, back):
        v, w = row["eqod"], stored["eqod"]
        assert (v is None and w is None) or (isinstance(v, float) and math.isnan(v) and math.isnan(w)) or v == w
        assert stored["n_flips"] == int(row["n_flips"])
