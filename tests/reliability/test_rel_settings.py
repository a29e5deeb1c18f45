"""Extreme settings: refused before any work with a message naming the option and its accepted range,
or run with a recorded, correct meaning (capped budgets, capped majority knowledge)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from fairbench.errors import UserInputError
from fairbench.runner import compare
from rel_support import FAST, assert_cells_sound, assert_one_line_error, dataset, frame, registry_with, run_cli

COLS = ["intervention", "seed", "knob_value", "error", "eqod", "sp", "n_flips"]


@pytest.fixture(scope="module")
def reg():
    return registry_with({"d": dataset(frame(400))})


def run(reg, tmp_path, **kw):
    kw = {**FAST, "interventions": ["random", "rb-label"], "budgets": [0, 5], **kw}
    return compare("d", registry=reg, output=tmp_path, **kw)


def assert_refused_before_work(tmp_path):
    assert not (tmp_path / "cells.sqlite").exists()


@pytest.mark.parametrize("alpha", [0, 0.0, -0.3, 1.0001, 2, math.nan, math.inf, "0.3", None, True])
def test_alpha_outside_0_1_is_refused(reg, tmp_path, alpha):
    with pytest.raises(UserInputError, match=r"alpha must be in \(0, 1\]"):
        run(reg, tmp_path, alpha=alpha)
    assert_refused_before_work(tmp_path)


@pytest.mark.parametrize("alpha", ["0", "1.5", "-0.2", "nan"])
def test_alpha_on_the_command_line(capsys, tmp_path, alpha):
    code, _, err = run_cli(capsys, "compare", "--dataset", "german", "--alpha", alpha, "--output", tmp_path)
    assert_one_line_error(code, err, "alpha must be in (0, 1]", repr(float(alpha)))


def test_alpha_one_takes_the_whole_minority(reg, tmp_path):
    result = run(reg, tmp_path, alpha=1.0, interventions=["random"])
    user = result.cells[result.cells["side"] == "user"]
    data = frame(400)
    from fairbench.prepared import prepare

    from fairbench.runner import DEFAULT_VALIDATION_FRACTION

    prepared = prepare(dataset(data))
    train = prepared.split(0, DEFAULT_VALIDATION_FRACTION).train  # the collective comes from train, not validation
    assert (user["n_collective"] == int((prepared.a[train] == 1).sum())).all()
    assert (user["n_candidates"] == int(((prepared.a[train] == 1) & (prepared.y[train] == 0)).sum())).all()


def test_budget_larger_than_the_pool_is_capped_and_recorded(reg, tmp_path):
    result = run(reg, tmp_path, budgets=[0, 10_000, 20_000])
    user = result.cells[result.cells["side"] == "user"]
    assert (user["status"] == "ok").all()
    big = user[user["knob_value"] >= 10_000]
    assert (big["n_flips"] == big["n_candidates"]).all() and (big["n_candidates"] > 0).all()
    assert big["budget_capped"].astype(bool).all()
    assert not user[user["knob_value"] == 0]["budget_capped"].astype(bool).any()
    # the same flips give the same model: both capped budgets have identical metrics
    for _, part in big.groupby("intervention"):
        assert part["error"].nunique() == 1 and part["eqod"].nunique() == 1


@pytest.mark.parametrize("budgets,needle", [([0, -5], "budgets must be >= 0"), ([2.5], "whole numbers"),
                                            ([math.nan], "whole numbers"), ([math.inf], "whole numbers")])
def test_bad_budgets_are_refused(reg, tmp_path, budgets, needle):
    with pytest.raises(UserInputError, match=needle):
        run(reg, tmp_path, budgets=budgets)
    assert_refused_before_work(tmp_path)


def test_non_numeric_budget_on_the_command_line(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        run_cli(capsys, "compare", "--dataset", "german", "--budgets", "0,ten", "--output", tmp_path)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "budgets must be whole numbers" in err and "'ten'" in err and "Traceback" not in err


@pytest.mark.parametrize("seeds", [0, -1, [], [-1], [0.5], "abc", None])
def test_bad_seeds_are_refused(reg, tmp_path, seeds):
    with pytest.raises(UserInputError, match="seeds must be"):
        run(reg, tmp_path, seeds=seeds)
    assert_refused_before_work(tmp_path)


def test_zero_seeds_on_the_command_line(capsys, tmp_path):
    code, _, err = run_cli(capsys, "compare", "--dataset", "german", "--seeds", "0", "--output", tmp_path)
    assert_one_line_error(code, err, "seeds must be at least 1")


def test_explicit_seed_values(reg, tmp_path):
    result = run(reg, tmp_path, seeds=[3, 7, 7], interventions=["random"])
    assert sorted(result.cells["seed"].unique()) == [3, 7]


def test_k_larger_than_the_majority_is_capped(reg, tmp_path):
    """k above the number of known majority rows uses them all: identical to k = that number."""
    huge = run(reg, tmp_path / "huge", interventions=["rb-label", "rb-dist"], params={"rb-label": {"k": 10**6},
                                                                                       "rb-dist": {"k": 10**6}},
               majority_knowledge=30)
    exact = run(reg, tmp_path / "exact", interventions=["rb-label", "rb-dist"], params={"rb-label": {"k": 30},
                                                                                        "rb-dist": {"k": 30}},
                majority_knowledge=30)
    assert (huge.cells["status"] == "ok").all(), huge.cells[["intervention", "message"]]
    pd.testing.assert_frame_equal(huge.cells[COLS], exact.cells[COLS])


@pytest.mark.parametrize("k", [0, -3, 2.5])
def test_bad_k_fails_the_cells_with_its_name(reg, tmp_path, k):
    result = run(reg, tmp_path, interventions=["rb-label"], params={"rb-label": {"k": k}})
    user = result.cells[result.cells["intervention"] == "rb-label"]
    assert (user["status"] == "error").all()
    assert user["message"].str.contains(f"k must be a positive integer, got {k!r}", regex=False).all()


def test_majority_knowledge_larger_than_the_majority_means_all_of_it(reg, tmp_path):
    capped = run(reg, tmp_path / "capped", majority_knowledge=10**6, interventions=["rb-label", "rb-dist"])
    full = run(reg, tmp_path / "full", majority_knowledge=None, interventions=["rb-label", "rb-dist"])
    user = capped.cells[capped.cells["side"] == "user"]
    assert (user["status"] == "ok").all()
    assert (user["n_majority_known"] == full.cells[full.cells["side"] == "user"]["n_majority_known"].iloc[0]).all()
    pd.testing.assert_frame_equal(capped.cells[COLS], full.cells[COLS])


def test_zero_majority_knowledge(reg, tmp_path):
    """Random needs no majority rows and runs; the rank-based strategies fail their cells saying why."""
    result = run(reg, tmp_path, majority_knowledge=0, interventions=["random", "rb-prob", "rb-label", "rb-dist"])
    cells = result.cells
    assert (cells[cells["intervention"].isin(["baseline", "random"])]["status"] == "ok").all()
    ranked = cells[cells["intervention"].str.startswith("rb-")]
    assert (ranked["status"] == "error").all()
    assert ranked["message"].str.contains("needs at least one known majority row").all()
    assert ranked["message"].str.contains("--majority-knowledge").all()
    assert_cells_sound(cells)


@pytest.mark.parametrize("value", [-1, 2.5, "ten", math.nan, True])
def test_bad_majority_knowledge_is_refused(reg, tmp_path, value):
    with pytest.raises(UserInputError, match="--majority-knowledge must be a whole number of rows >= 0"):
        run(reg, tmp_path, majority_knowledge=value)
    assert_refused_before_work(tmp_path)


def test_unknown_learner_lists_the_valid_ones(reg, tmp_path, capsys):
    valid = "valid learners: hgb, lightgbm, logreg, mlp, random-forest, xgboost"
    with pytest.raises(UserInputError, match=f"unknown learner 'svm'; {valid}"):
        run(reg, tmp_path, learner="svm")
    assert_refused_before_work(tmp_path)
    code, _, err = run_cli(capsys, "compare", "--dataset", "german", "--learner", "svm", "--output", tmp_path)
    assert_one_line_error(code, err, "unknown learner 'svm'", valid)


def test_unknown_intervention_and_dataset(reg, tmp_path):
    with pytest.raises(UserInputError, match="unknown intervention 'rb-magic'; valid interventions: .*rb-prob"):
        run(reg, tmp_path, interventions=["rb-magic"])
    with pytest.raises(UserInputError, match="unknown dataset 'nope'; valid datasets: .*csv:PATH"):
        compare("nope", registry=reg, output=tmp_path, **FAST)
    assert_refused_before_work(tmp_path)


@pytest.mark.parametrize("timeout", [0, -1, math.nan, math.inf, "5"])
def test_bad_cell_timeout_is_refused(reg, tmp_path, timeout):
    with pytest.raises(UserInputError, match="--cell-timeout must be a positive number of seconds"):
        run(reg, tmp_path, cell_timeout=timeout)


def test_negative_jobs_on_the_command_line(capsys, tmp_path):
    code, _, err = run_cli(capsys, "compare", "--dataset", "german", "--jobs", "-2", "--output", tmp_path)
    assert_one_line_error(code, err, "--jobs must be >= 1")
