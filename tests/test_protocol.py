"""The validation protocol (docs/protocol.md): the split, the val_* metrics of every stage, what
plugins see, the paper protocol at --validation-fraction 0, and the verdicts on known effects."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fairbench import Intervention, hookimpl
from fairbench.errors import UserInputError
from fairbench.prepared import prepare
from fairbench.runner import DEFAULT_BUDGET_FRACTIONS, VALIDATION_COLUMNS, budgets_from_fractions, compare

from conftest import GroupThreshold, biased_data


def test_validation_is_carved_from_train_stratified_and_test_is_unchanged():
    data = prepare(biased_data(n=1500))
    paper = data.split(3)
    split = data.split(3, 0.2)
    np.testing.assert_array_equal(split.test, paper.test)
    assert len(paper.validation) == 0
    assert not set(split.train) & set(split.validation)
    assert set(split.train) | set(split.validation) == set(paper.train)
    assert len(split.validation) == pytest.approx(0.2 * len(paper.train), abs=1)
    strata = lambda idx: np.bincount(data.a[idx] * 2 + data.y[idx], minlength=4) / len(idx)  # noqa: E731
    np.testing.assert_allclose(strata(split.validation), strata(split.train), atol=0.01)
    np.testing.assert_array_equal(data.split(3, 0.2).validation, split.validation)  # deterministic
    assert not np.array_equal(data.split(4, 0.2).validation, split.validation)


class Spy:
    """A firm-side method of each stage that records how many rows it was fitted on."""

    seen: list = []

    def __init__(self, stage):
        self.stage = stage

    def fit(self, X, y, a, learner=None):
        Spy.seen.append((self.stage, len(y)))
        if learner is not None:
            self.learner = learner.fit(X, y)
        return self

    def transform(self, X, a):
        return np.asarray(X)

    def predict(self, X, a):
        if self.stage == "post":
            return (np.asarray(X) >= 0.5).astype(int)
        return self.learner.predict(X)


class SpyPlugin:
    @hookimpl
    def fairbench_register_interventions(self, register):
        for stage in ("pre", "in", "post"):
            register(Intervention(name=f"spy-{stage}", stage=stage, knob="k", grid=(0.0,),
                                  make=lambda knob=0.0, random_state=0, stage=stage, **p: Spy(stage)))
        register(Intervention(name="copy", stage="post", knob="shift", grid=(0.0,),
                              make=lambda knob=0.0, random_state=0, **p: GroupThreshold(knob)))
        register(Intervention(name="strong", stage="post", knob="shift", grid=(0.05, 0.1, 0.15, 0.2, 0.3),
                              make=lambda knob=0.0, random_state=0, **p: GroupThreshold(knob)))


@pytest.fixture(scope="module")
def spy_registry(registry_with):
    return registry_with(SpyPlugin())


def run(registry, out, **kw):
    kw = {"dataset": "toy", "seeds": 1, "learner": "logreg", "tune": True, "jobs": 1, "budgets": [0, 20],
          "registry": registry, "output": out, **kw}
    return compare(**kw)


def test_every_stage_records_validation_metrics_and_plugins_fit_on_train_only(spy_registry, tmp_path):
    Spy.seen.clear()
    names = ["rb-label", "spy-pre", "spy-in", "spy-post"]
    result = run(spy_registry, tmp_path, interventions=names, validation_fraction=0.2)
    cells = result.cells
    assert (cells["status"] == "ok").all(), cells[["intervention", "message"]]
    assert set(VALIDATION_COLUMNS) <= set(cells.columns)
    assert cells[["val_error", "val_eqod", "val_sp"]].notna().all().all()
    assert (cells["validation_fraction"] == 0.2).all()
    data = prepare(biased_data(n=1500))
    split = data.split(0, 0.2)
    assert {n for _, n in Spy.seen} == {len(split.train)}  # pre, in and post: training rows only
    # zero flips is the baseline, on validation too
    base = cells[cells.intervention == "baseline"].iloc[0]
    zero = cells[(cells.intervention == "rb-label") & (cells.knob_value == 0)].iloc[0]
    assert zero["val_eqod"] == base["val_eqod"] and zero["val_error"] == base["val_error"]


def test_validation_fraction_zero_is_the_paper_protocol(registry, tmp_path):
    small = {"dataset": "toy-small", "interventions": ["rb-prob"], "write": False}
    paper = run(registry, tmp_path / "paper", validation_fraction=0, **small)
    assert not any(c.startswith("val_") or c == "validation_fraction" for c in paper.cells.columns)
    fresh = run(registry, tmp_path / "paper", validation_fraction=0.0, **small)
    assert fresh.computed == 0  # same keys
    other = run(registry, tmp_path / "paper", validation_fraction=0.2, **small)
    assert other.computed == len(other.cells)  # a different protocol never reuses a cell
    assert other.cells["error"].tolist() != paper.cells["error"].tolist()


@pytest.mark.parametrize("bad", [-0.1, 0.6, "x", True])
def test_bad_validation_fraction_is_refused(registry, tmp_path, bad):
    with pytest.raises(UserInputError, match="validation-fraction"):
        run(registry, tmp_path, interventions=["random"], validation_fraction=bad)


def test_default_budget_grid_is_dense_at_small_budgets_and_as_long_as_before(registry):
    assert len(DEFAULT_BUDGET_FRACTIONS) == 9  # as many cells as the earlier linear grid
    assert sum(f <= 0.15 for f in DEFAULT_BUDGET_FRACTIONS) >= 5
    data = prepare(biased_data(n=1500))
    assert budgets_from_fractions(data, DEFAULT_BUDGET_FRACTIONS, 0.3, 0.2) == budgets_from_fractions(data, DEFAULT_BUDGET_FRACTIONS, 0.3, 0.2)


def test_known_effect_is_better_and_a_copy_of_the_baseline_is_indistinguishable(spy_registry, tmp_path):
    from fairbench.scoring import dataset_scores

    result = run(spy_registry, tmp_path, interventions=["copy", "strong"], seeds=4, validation_fraction=0.2)
    scores = dataset_scores([result.cells]).set_index("intervention")
    assert scores.loc["strong", "hv_eqod_vs_baseline"] == "better", scores.loc["strong"].to_dict()
    assert scores.loc["copy", "hv_eqod_vs_baseline"] == "indistinguishable"
    assert scores.loc["copy", "hv_eqod_mean"] == 0
    assert scores.index[0] == "strong"  # ranked first by hypervolume
