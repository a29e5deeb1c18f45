"""label-cleaning: cleanlab's confident learning flags injected label flips, and the harness
trains the firm's learner on the cleaned labels."""
from __future__ import annotations

import importlib.util

import numpy as np
import pytest

pytest.importorskip("cleanlab")

from fairbench.errors import UserInputError  # noqa: E402
from fairbench.interventions.firm import label_cleaning  # noqa: E402
from fairbench.interventions.firm.label_cleaning import GRID, NAME, clear_cache, make  # noqa: E402
from fairbench.learners import make_learner  # noqa: E402
from fairbench.plugins import get_registry  # noqa: E402


def noisy_task(seed: int = 0, n: int = 2000, share: float = 0.10):
    """A clean, learnable problem (y = 1[x0 + x1/2 > 0]) with ``share`` of its labels flipped at random."""
    rng = np.random.default_rng([seed, 15])
    X = rng.normal(size=(n, 4))
    a = (rng.random(n) < 0.3).astype(np.int64)
    y_true = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(np.int64)
    flipped = rng.random(n) < share
    return np.column_stack([X, a]), np.where(flipped, 1 - y_true, y_true), a, flipped


def test_default_knob_flags_most_injected_flips_and_few_clean_rows():
    X, y, a, flipped = noisy_task()
    method = make(None, 0).fit(X, y, a)  # the default knob: cleanlab's frac_noise=1
    assert method.frac_noise == 1.0
    recall = method.flagged_[flipped].mean()
    false_flags = method.flagged_[~flipped].mean()
    # measured with HistGradientBoosting (seed 0): recall 0.916 (186 of 203 flips), 2.1% of the clean rows
    assert recall >= 0.85
    assert false_flags <= 0.04


def test_the_firms_learner_is_the_one_cross_validated():
    X, y, a, flipped = noisy_task()
    logreg = make_learner("logreg", 0)
    with_logreg = make(1.0, 0, learner=logreg).fit(X, y, a)
    assert not hasattr(logreg[-1], "coef_")  # a clone was fitted, not the firm's object
    # measured: logistic regression, the true model class here, flags 204 rows (recall 0.941, 0.7% false)
    assert with_logreg.flagged_[flipped].mean() >= 0.9 and with_logreg.flagged_[~flipped].mean() <= 0.02
    assert with_logreg.flagged_.sum() != make(1.0, 0).fit(X, y, a).flagged_.sum()  # HGB's flags differ


def test_the_knob_flags_nested_shares_of_the_estimated_issues():
    X, y, a, _ = noisy_task()
    flags = [make(k, 0).fit(X, y, a).flagged_ for k in GRID]
    counts = [int(f.sum()) for f in flags]
    assert counts == sorted(counts) and len(set(counts)) == len(GRID)
    for smaller, larger in zip(flags, flags[1:]):
        assert not (smaller & ~larger).any()  # the most confident issues stay flagged as the knob grows
    assert counts[0] == pytest.approx(GRID[0] * counts[-1], rel=0.1)  # measured: 55 of 223 at 0.25


def test_relabel_flips_exactly_the_flagged_rows_and_reports_their_count():
    X, y, a, _ = noisy_task(n=600)
    method = make(0.5, 0).fit(X, y, a)
    labels = method.relabel(X, y.copy(), a)
    assert method.flagged_.dtype == bool and method.flagged_.shape == y.shape
    np.testing.assert_array_equal(labels != y, method.flagged_)
    assert not getattr(method, "extra_metrics", None) and method.flagged_.sum() > 0  # the harness counts flagged_
    np.testing.assert_array_equal(method.transform(X, a), X)
    with pytest.raises(UserInputError, match="relabels the training rows it was fitted on"):
        method.relabel(X, 1 - y, a)


def test_same_seed_same_flags_without_the_cache_and_another_seed_other_folds():
    X, y, a, _ = noisy_task(n=800)
    clear_cache()
    first = make(1.0, 3).fit(X, y, a).flagged_
    clear_cache()
    again = make(1.0, 3).fit(X, y, a).flagged_
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, make(1.0, 4).fit(X, y, a).flagged_)  # the folds are drawn from the seed


def test_probabilities_are_computed_once_per_seed_and_training_set(monkeypatch):
    X, y, a, _ = noisy_task(n=600)
    clear_cache()
    calls = []
    real = label_cleaning.LabelCleaning._probabilities
    monkeypatch.setattr(label_cleaning.LabelCleaning, "_probabilities",
                        lambda self, *args: calls.append(1) or real(self, *args))
    for knob in GRID:
        make(knob, 0).fit(X, y, a)
    assert len(calls) == 1
    make(1.0, 0, learner=make_learner("logreg", 0)).fit(X, y, a)  # another learner: its own folds' fits
    assert len(calls) == 2


def test_bad_knob_and_too_few_rows_of_a_label_are_refused():
    with pytest.raises(UserInputError, match="frac_noise=0"):
        make(0.0, 0)
    X, y, a, _ = noisy_task(n=200)
    y = np.zeros_like(y)
    y[:3] = 1
    with pytest.raises(UserInputError, match="at least 5 training rows of each label"):
        make(1.0, 0).fit(X, y, a)


def test_registered_outside_the_default_run_and_unavailable_without_cleanlab(monkeypatch):
    from fairbench.runner import select_interventions

    registry = get_registry()
    iv = registry.intervention(NAME)
    assert (iv.stage, iv.side, iv.knob, iv.grid, iv.in_default_run) == ("pre", "firm", "frac_noise", GRID, False)
    assert NAME not in [i.name for i in select_interventions(registry, None)[0]]
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *args: None if name == "cleanlab" else real_find_spec(name, *args))
    assert registry.unavailable_reason(iv) == 'label-cleaning needs cleanlab: pip install "fairbench-collective[cleanlab]"'


def test_the_harness_passes_the_firms_learner_and_counts_flags_and_flips(tmp_path):
    from fairbench.prepared import prepare
    from fairbench.runner import DEFAULT_VALIDATION_FRACTION, compare, load

    result = compare("german", interventions=[NAME], seeds=1, learner="logreg", output=tmp_path, write=False)
    cells = result.cells[result.cells["intervention"] == NAME].sort_values("knob_value")
    assert list(cells["knob_value"]) == list(GRID) and set(cells["status"]) == {"ok"}
    assert (cells["n_flips"] == cells["n_flagged"]).all() and cells["n_flagged"].is_monotonic_increasing
    data = prepare(load("german"))
    split = data.split(0, DEFAULT_VALIDATION_FRACTION)
    direct = make(1.0, 0, learner=make_learner("logreg", 0)).fit(data.X[split.train], data.y[split.train],
                                                                 data.a[split.train])
    assert cells["n_flagged"].iloc[-1] == direct.flagged_.sum() > 0
