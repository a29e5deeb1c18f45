"""`fairbench experiment interaction` and `transfer`: end to end on German, their cells shared with
flips' and firm's, and their verdict rules on constructed numbers."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fairbench.contract import Learner
from fairbench.experiments import RunConfig, calls, run
from fairbench.hookspecs import hookimpl
from fairbench.experiments import interaction, transfer
from fairbench.levelling import Interval
from fairbench.runner import plan_compare
from conftest import assert_written


def german(tmp_path, **kw) -> RunConfig:
    kw.setdefault("seeds", 2)
    return RunConfig(dataset="german", learner="logreg", tune=False, output=tmp_path, jobs=1, quiet=True, **kw)


def registered(name: str) -> bool:
    from fairbench.plugins import get_registry

    return name in get_registry().interventions


def test_interaction_runs_end_to_end(tmp_path):
    firms = ["threshold-optimizer", "label-cleaning"]
    result = run("interaction", german(tmp_path), fractions=(0.0, 0.5), interventions=["rb-prob", *firms])
    assert_written(result, "interaction_verdicts.csv", "interaction_eqod.png", "interaction_error.png",
                   "alone/cells.csv", "composed/cells.csv")
    s = result.summary
    ran = [f for f in firms if registered(f)]
    assert set(s["firm"]) == {"none", *ran} and set(s["strategy"]) == {"none", "rb-prob"}
    # a pipeline at M = 0 is its firm method alone: its paired change is exactly 0
    zero = s[(s["strategy"] == "rb-prob") & (s["M"] == 0)]
    assert len(zero) == 1 + len(ran) and (zero["d_eqod_mean"] == 0).all()
    # a composed point is paired with its firm method alone, a method alone with the baseline
    assert set(s.loc[s["strategy"] == "none", "reference"]) == {"baseline"}
    assert set(s.loc[(s["strategy"] == "rb-prob") & (s["firm"] == "threshold-optimizer"), "reference"]) == {
        "threshold-optimizer alone"}
    verdicts = pd.read_csv(tmp_path / "interaction_verdicts.csv")
    assert len(verdicts) == 1 + len(ran) and set(verdicts["verdict"]) == {"too few seeds (2)"}
    if "label-cleaning" in ran:
        cleaning = pd.read_csv(tmp_path / "interaction_label_cleaning.csv")
        assert list(cleaning["M"]) == [s.loc[s["M"] > 0, "M"].iloc[0]]
        assert 0 <= cleaning["flipped_flagged_share_mean"].iloc[0] <= 1
        assert 0 <= cleaning["other_flagged_share_mean"].iloc[0] <= 1
        assert any("label-cleaning at M=" in c for c in result.checks)
    else:
        assert any(p.startswith("label-cleaning: skipped") for p in result.problems)


def test_interaction_shares_its_alone_cells_with_flips_and_firm(tmp_path):
    """Strategy-alone cells are flips' and firm-method-alone cells (default knob) firm's: the cache serves them."""
    from fairbench.experiments.sweeps import FLIP_FRACTIONS

    cfg = RunConfig(dataset="german", seeds=2, output=tmp_path)
    strategies, firms, _ = interaction.chosen_methods(cfg)
    alone, composed = interaction.interaction_calls(cfg)
    keys = set(plan_compare(**cfg.compare_arguments(alone)).keys)

    def plan_keys(name, **options):
        return {k for c in calls(name, cfg, **options) for k in plan_compare(**cfg.compare_arguments(c)).keys}

    flips = plan_keys("flips", fractions=FLIP_FRACTIONS)
    firm = plan_keys("firm", fractions=FLIP_FRACTIONS, interventions=["rb-prob", *firms])
    assert keys <= flips | firm
    assert len(keys & flips) == len(set(plan_compare(**cfg.compare_arguments(
        calls("flips", cfg, fractions=interaction.FRACTIONS, interventions=strategies)[0])).keys))
    pipelines = set(plan_compare(**cfg.compare_arguments(composed)).keys) - keys  # the baseline is both calls'
    assert pipelines and not pipelines & (flips | firm)


def test_every_default_knob_is_a_value_of_its_method_grid():
    from fairbench.plugins import get_registry

    registry = get_registry()
    for name, (value, why) in interaction.DEFAULT_KNOBS.items():
        assert why
        if name in registry.interventions:
            assert value in [float(g) for g in registry.intervention(name).grid], name


def test_interaction_fractions_are_a_subset_of_the_flips_grid():
    from fairbench.experiments.sweeps import FLIP_FRACTIONS

    assert set(interaction.FRACTIONS) <= set(FLIP_FRACTIONS) and 0.0 in interaction.FRACTIONS


def test_an_unknown_method_is_refused_and_a_firm_method_without_a_default_knob_too(tmp_path):
    from fairbench.errors import UserInputError

    with pytest.raises(UserInputError, match="valid interventions"):
        interaction.chosen_methods(german(tmp_path), ["rb-probb"])
    with pytest.raises(UserInputError, match="no default knob"):
        interaction.chosen_methods(german(tmp_path), ["lfr"])


@pytest.mark.parametrize("eqod, error, expected", [
    (Interval(-0.05, -0.08, -0.02, 5), Interval(0.01, 0.0, 0.02, 5),
     "lowers EqOd beyond fare alone by 0.050 [0.020, 0.080] at an error change of +0.010 [+0.000, +0.020]"),
    (Interval(0.03, 0.01, 0.05, 5), Interval(0.0, -0.01, 0.01, 5), "raises EqOd above fare alone by 0.030 [0.010, 0.050]"),
    (Interval(-0.01, -0.03, 0.01, 5), Interval(0.0, -0.01, 0.01, 5), "no clear change in EqOd against fare alone"),
    (Interval(-0.05, -0.08, -0.02, 2), Interval(0.0, -0.01, 0.01, 2), "too few seeds (2)"),
])
def test_the_interaction_verdict(eqod, error, expected):
    assert interaction.interaction_verdict(eqod, error, "fare").startswith(expected)


def test_the_budget_of_a_verdict_is_chosen_on_validation_within_the_error_margin():
    # seed 0: M=10 has the lowest validation EqOd but 0.02 more validation error than the firm alone: M=5 wins
    part = pd.DataFrame({"seed": [0, 0, 0], "M": [0.0, 5.0, 10.0], "val_eqod": [0.2, 0.1, 0.05],
                         "val_error": [0.30, 0.305, 0.32], "ref_val_error": 0.30, "ref_val_eqod": 0.2})
    assert interaction.chosen_budgets(part)["M"].tolist() == [5.0]


def g(mean, low, high, n=5):
    return Interval(mean, low, high, n)


@pytest.mark.parametrize("matched, mismatched, difference, expected", [
    (g(0.05, 0.03, 0.07), g(0.04, 0.02, 0.06), g(0.01, -0.01, 0.03), transfer.SURVIVES),
    (g(0.08, 0.06, 0.10), g(0.03, 0.01, 0.05), g(0.05, 0.03, 0.07), transfer.PARTLY),
    (g(0.05, 0.03, 0.07), g(0.00, -0.02, 0.02), g(0.05, 0.02, 0.08), transfer.LOST),
    (g(0.01, -0.01, 0.03), g(0.00, -0.02, 0.02), g(0.01, -0.01, 0.03), transfer.UNCLEAR),
    (g(0.05, 0.03, 0.07, 2), g(0.04, 0.02, 0.06, 2), g(0.01, -0.01, 0.03, 2), "too few seeds (2)"),
])
def test_the_transfer_verdict(matched, mismatched, difference, expected):
    assert transfer.transfer_verdict(matched, mismatched, difference) == expected


class MissingLearner:
    """A learner whose package is not installed."""

    @hookimpl
    def fairbench_register_learners(self, register):
        register(Learner("needs-missing", lambda random_state: None, requires=("no_such_module_for_fairbench_tests",),
                         install_hint="pip install no-such-module"))


def test_transfer_runs_end_to_end_and_skips_an_unavailable_learner(tmp_path):
    from fairbench.plugins import build_registry

    registry = build_registry(extra=(MissingLearner(),), entry_points=False)
    assert transfer.learner_unavailable("needs-missing", registry)
    result = run("transfer", german(tmp_path, registry=registry), fractions=(0.0, 0.5),
                 learners=["hgb", "logreg", "needs-missing"])
    assert_written(result, "transfer_curves.csv", "transfer_eqod.png", "learner=logreg/collective=hgb/cells.csv",
                   "learner=logreg/collective=logreg/cells.csv", "learner=hgb/collective=hgb/cells.csv")
    assert not (tmp_path / "learner=needs-missing").exists()
    assert any(p.startswith("learner needs-missing: skipped") and "pip install no-such-module" in p
               for p in result.problems)
    s = result.summary.set_index("learner")
    assert list(s.index) == ["hgb", "logreg"]
    assert s.loc["hgb", "difference_mean"] == 0 and s.loc["logreg", "verdict"] == "too few seeds (2)"
    cells = pd.read_csv(tmp_path / "learner=logreg" / "collective=logreg" / "cells.csv")
    assert set(cells["learner"]) == {"logreg"} and set(cells["collective_model"].dropna()) == {"logreg"}
    assert "--learners hgb,logreg,needs-missing" in result.command


def test_an_unknown_learner_the_user_names_is_refused(tmp_path):
    from fairbench.errors import UserInputError

    with pytest.raises(UserInputError, match="valid learners"):
        transfer.chosen_learners(german(tmp_path), ["hgbb"])


def test_bootstrap_ratio_is_a_ratio_of_paired_seed_means():
    from fairbench.statistics import bootstrap_ratio

    ratio, low, high = bootstrap_ratio([1.0, 2.0, 3.0], [2.0, 4.0, 6.0])
    assert ratio == pytest.approx(0.5) and low == pytest.approx(0.5) and high == pytest.approx(0.5)
    ratio, low, high = bootstrap_ratio([1.0, 0.0, 2.0, 1.0], [2.0, 2.0, 2.0, 2.0])
    assert ratio == pytest.approx(0.5) and low < 0.5 < high
    assert np.isnan(bootstrap_ratio([1.0], [0.0])[0])
