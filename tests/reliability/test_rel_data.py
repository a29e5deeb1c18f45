"""Hostile data: every odd input ends in a correct result or one actionable error line.

CSV inputs go through the command line (exit code 2, one ``fairbench: error:`` line naming the
file, the column or option at fault and what would be accepted); inputs only a dataset plugin
can produce go through ``compare``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fairbench.datasets.csvfile import load_csv
from fairbench.errors import DataError, UserInputError
from fairbench.prepared import prepare
from fairbench.runner import compare
from rel_support import (FAST, USER, assert_cells_sound, assert_one_line_error, csv_args, dataset, frame,
                         intervention, registry_with, run_cli)


def write(tmp_path, data: pd.DataFrame | str, name: str = "data.csv"):
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data)
    else:
        data.to_csv(path, index=False)
    return path


# --- malformed files ---------------------------------------------------------------------------------

def test_empty_file(capsys, tmp_path):
    path = write(tmp_path, "")
    code, _, err = run_cli(capsys, *csv_args(path, tmp_path / "out"))
    assert_one_line_error(code, err, str(path), "empty", "header row")


def test_header_only(capsys, tmp_path):
    path = write(tmp_path, "x0,a,y\n")
    code, _, err = run_cli(capsys, *csv_args(path, tmp_path / "out"))
    assert_one_line_error(code, err, str(path), "no data rows")


def test_ragged_and_binary_garbage(capsys, tmp_path):
    path = write(tmp_path, "x0,a,y\n1,0,1\n2,1,0,5,6\n3,0\n", "ragged.csv")
    code, _, err = run_cli(capsys, *csv_args(path, tmp_path / "out"))
    assert_one_line_error(code, err, str(path), "cannot parse as CSV")
    path = tmp_path / "junk.csv"
    path.write_bytes(b"\x00\x01\x02\xff\xfe junk\n\x00,\x00\n")
    code, _, err = run_cli(capsys, *csv_args(path, tmp_path / "out"))
    assert_one_line_error(code, err, str(path), "cannot parse as CSV")


@pytest.mark.parametrize("option,column,role", [("--label", "outcome", "label"), ("--sensitive", "race", "sensitive")])
def test_named_column_missing_lists_the_available_ones(capsys, tmp_path, option, column, role):
    path = write(tmp_path, frame(60))
    code, _, err = run_cli(capsys, *csv_args(path, tmp_path / "out", option, column))
    assert_one_line_error(code, err, f"{role} column {column!r} not found", "available columns", "'x0'", "'a'", "'y'")


@pytest.mark.parametrize("column", ["y", "a"])
@pytest.mark.parametrize("values,kind", [([1], "a single value"), ([0, 1, 2], "3 values")])
def test_label_or_sensitive_not_binary(capsys, tmp_path, column, values, kind):
    data = frame(60)
    data[column] = np.resize(values, len(data))
    path = write(tmp_path, data)
    code, _, err = run_cli(capsys, *csv_args(path, tmp_path / "out"))
    role = "label" if column == "y" else "sensitive"
    assert_one_line_error(code, err, f"{role} column {column!r} must be binary", kind)


def test_string_labels_need_the_favourable_value(capsys, tmp_path):
    data = frame(200)
    data["y"] = np.where(data["y"] == 1, "good", "bad")
    path = write(tmp_path, data)
    code, _, err = run_cli(capsys, *csv_args(path, tmp_path / "out"))
    assert_one_line_error(code, err, "favorable_value= is required", "'bad', 'good'")
    code, _, err = run_cli(capsys, *csv_args(path, tmp_path / "out", "--favorable-value", "nice"))
    assert_one_line_error(code, err, "favorable_value='nice' does not occur", "'bad', 'good'")
    code, out, err = run_cli(capsys, *csv_args(path, tmp_path / "out", "--favorable-value", "good"))
    assert code == 0, err
    loaded = load_csv(str(path), favorable_value="good")
    assert (loaded.y == (data["y"] == "good").to_numpy()).all()


def test_missing_label_value_names_the_line(capsys, tmp_path):
    data = frame(60)
    data["y"] = data["y"].astype(float)
    data.loc[4, "y"] = np.nan
    path = write(tmp_path, data)
    code, _, err = run_cli(capsys, *csv_args(path, tmp_path / "out"))
    assert_one_line_error(code, err, "label column 'y' has 1 missing value(s)", "line 6")


def test_inf_in_a_feature_is_refused(capsys, tmp_path):
    data = frame(60)
    data.loc[3, "x1"] = np.inf
    path = write(tmp_path, data)
    code, _, err = run_cli(capsys, *csv_args(path, tmp_path / "out"))
    assert_one_line_error(code, err, "column 'x1' holds inf", "finite value", "NaN")


def test_column_with_no_value_is_refused(capsys, tmp_path):
    data = frame(60)
    data["empty"] = np.nan
    path = write(tmp_path, data)
    code, _, err = run_cli(capsys, *csv_args(path, tmp_path / "out", "--learner", "hgb"))
    assert_one_line_error(code, err, "column 'empty' has no value", "drop=empty")


def test_no_feature_left(capsys, tmp_path):
    path = write(tmp_path, frame(60)[["a", "y"]])
    code, _, err = run_cli(capsys, *csv_args(path, tmp_path / "out", "--drop-sensitive"))
    assert_one_line_error(code, err, "no feature columns")


def test_same_column_for_label_and_sensitive(capsys, tmp_path):
    path = write(tmp_path, frame(60))
    code, _, err = run_cli(capsys, *csv_args(path, tmp_path / "out", "--sensitive", "y"))
    assert_one_line_error(code, err, "same column 'y'")


# --- missing values: imputed for the collective, refused for a learner that cannot take them -----------

def test_nan_features_refused_up_front_for_logreg(capsys, tmp_path):
    data = frame(200)
    data.loc[::9, "x0"] = np.nan
    path = write(tmp_path, data)
    code, _, err = run_cli(capsys, *csv_args(path, tmp_path / "out"))
    assert_one_line_error(code, err, "'x0' have missing values", "learner 'logreg'", "--learner hgb", "drop=")
    assert not (tmp_path / "out" / "cells.sqlite").exists()  # refused before any work


def test_nan_features_run_with_hgb_and_distance_methods(tmp_path):
    data = frame(400, p=3)
    data.loc[::7, "x0"] = np.nan
    data.loc[::11, "x2"] = np.nan
    registry = registry_with({"d": dataset(data)})
    result = compare("d", interventions=["random", "rb-label", "rb-dist"], budgets=[0, 10], registry=registry,
                     output=tmp_path, **{**FAST, "learner": "hgb"})
    assert (result.cells["status"] == "ok").all(), result.cells[["intervention", "message"]]
    assert_cells_sound(result.cells)


class PassThrough:
    """Pre-processing that keeps the features as they are (NaN included), like label-only methods."""

    def fit(self, X, y, a):
        return self

    def transform(self, X, a):
        return X


def test_pre_processing_may_pass_missing_values_through(tmp_path):
    """A NaN the data already had is not the plugin's fault (HistGradientBoosting takes it); a NaN or inf
    a plugin introduces into complete data is (test_rel_faults: pre-nan)."""
    data = frame(300)
    data.loc[::5, "x1"] = np.nan
    registry = registry_with({"d": dataset(data)}, [intervention("pass-through", "pre", PassThrough, grid=(0.0,))])
    result = compare("d", interventions=["pass-through"], registry=registry, output=tmp_path,
                     **{**FAST, "learner": "hgb"})
    assert (result.cells["status"] == "ok").all(), result.cells[["intervention", "message"]]
    cells = result.cells.set_index("intervention")
    assert cells.loc["pass-through", "error"] == cells.loc["baseline", "error"]


def test_scoring_space_imputation_rule():
    """NaN -> median of the column's observed TRAINING values, then standardised on train; a column
    with no observed training value -> 0.  The firm's own features keep the NaN."""
    data = frame(100, p=3)
    data["x0"] = np.arange(100, dtype=float)
    data.loc[[1, 50, 99], "x0"] = np.nan
    data.loc[:, "x2"] = np.where(np.arange(100) < 80, np.nan, 1.0)   # observed only outside train
    prepared = prepare(dataset(data))
    train = np.arange(80)
    Z = prepared.scoring_space(train)
    assert np.isfinite(Z).all()
    col = data["x0"].to_numpy()
    observed = col[train][~np.isnan(col[train])]
    filled = np.where(np.isnan(col), np.median(observed), col)
    expected = (filled - filled[train].mean()) / filled[train].std()
    assert np.allclose(Z[:, 0], expected)
    assert np.allclose(Z[[1, 50], 0], Z[[1, 50], 0][0])  # both train NaN rows get the same (median) value
    assert np.allclose(Z[99, 0], (np.median(observed) - filled[train].mean()) / filled[train].std())  # test row: train median
    assert np.allclose(Z[train, 2], 0.0)
    assert np.isnan(prepared.X[[1, 50, 99], 0]).all()


# --- degenerate groups ---------------------------------------------------------------------------------

@pytest.mark.parametrize("column,value,needle", [
    ("a", 0, "no protected (a=1) rows"), ("a", 1, "no majority (a=0) rows"),
    ("y", 0, "no favourable (y=1) rows"), ("y", 1, "no unfavourable (y=0) rows"),
])
def test_constant_group_or_label_from_a_plugin_is_refused(tmp_path, column, value, needle):
    data = frame(200)
    data[column] = value
    registry = registry_with({"d": dataset(data)})
    with pytest.raises(DataError, match=r"dataset 'd'.*" + needle.replace("(", r"\(").replace(")", r"\)")):
        compare("d", interventions=["random"], registry=registry, output=tmp_path, **FAST)
    assert not (tmp_path / "cells.sqlite").exists()


def test_no_candidates_flips_nothing_and_says_so(tmp_path):
    data = frame(400)
    data.loc[data["a"] == 1, "y"] = 1  # no protected row has y=0: the collective has no candidates
    registry = registry_with({"d": dataset(data)})
    result = compare("d", interventions=USER, budgets=[0, 5, 50], registry=registry, output=tmp_path, **FAST)
    cells = result.cells
    assert (cells["status"] == "ok").all(), cells[["intervention", "message"]]
    user = cells[cells["side"] == "user"]
    assert (user["n_candidates"] == 0).all() and (user["n_flips"] == 0).all()
    assert user["note"].str.contains("no candidates").all()
    assert user.loc[user["knob_value"] > 0, "budget_capped"].astype(bool).all()
    base = cells[cells["intervention"] == "baseline"].iloc[0]
    assert (user["error"] == base["error"]).all()  # nothing flipped: the baseline model
    assert_cells_sound(cells)


def test_no_protected_positive_in_test_set_is_undefined_not_zero(tmp_path):
    """A predefined test split whose protected rows are all y=0: TPR(a=1) is undefined, so EqOd is NaN
    with a note in the cell, NaN (n/a) in the fronts, never 0."""
    data = frame(400)
    is_test = np.zeros(len(data), dtype=bool)
    is_test[300:] = True
    data.loc[is_test & (data["a"] == 1).to_numpy(), "y"] = 0
    data["split"] = np.where(is_test, "test", "train")
    path = tmp_path / "data.csv"
    data.to_csv(path, index=False)
    result = compare(f"csv:{path}", interventions=["random"], budgets=[0, 5], output=tmp_path / "out",
                     dataset_options={"test_column": "split"}, **{**FAST, "write": True})
    cells = result.cells
    assert (cells["status"] == "ok").all()
    assert cells["tpr_a1"].isna().all() and cells["eqod"].isna().all() and cells["tpr_gap"].isna().all()
    assert cells["note"].str.contains("TPR undefined: group a=1 has no y=1 rows").all()
    assert cells["fpr_a1"].notna().all() and cells["sp"].notna().all()  # what is defined is still reported
    assert result.fronts["eqod_mean"].isna().all()
    assert "n/a" in result.table()
    exported = pd.read_csv(tmp_path / "out" / "cells.csv")
    assert exported["eqod"].isna().all()


def test_predefined_split_without_test_rows_is_refused(tmp_path):
    data = frame(100)
    data["split"] = "train"
    path = tmp_path / "data.csv"
    data.to_csv(path, index=False)
    with pytest.raises(DataError, match="marks no row as test"):
        compare(f"csv:{path}", interventions=["random"], output=tmp_path / "out",
                dataset_options={"test_column": "split"}, **FAST)


# --- odd but valid data: a correct result -----------------------------------------------------------

def test_duplicate_rows_and_a_constant_column(tmp_path):
    data = frame(300)
    data = pd.concat([data, data.iloc[:150]], ignore_index=True)
    data["constant"] = 7.0
    registry = registry_with({"d": dataset(data)})
    result = compare("d", interventions=USER, budgets=[0, 10], registry=registry, output=tmp_path, **FAST)
    assert (result.cells["status"] == "ok").all(), result.cells[["intervention", "message"]]
    assert_cells_sound(result.cells)


@pytest.mark.parametrize("interventions", [
    ["random", "rb-label", "rb-dist"],
    pytest.param(["rb-prob"], marks=pytest.mark.slow),  # gradient boosting over 1000 columns: ~30 s
])
def test_very_wide_data(tmp_path, interventions):
    data = frame(300, p=1000)
    registry = registry_with({"d": dataset(data)})
    result = compare("d", interventions=interventions, budgets=[0, 10], registry=registry, output=tmp_path, **FAST)
    assert (result.cells["status"] == "ok").all(), result.cells[["intervention", "message"]]
    assert_cells_sound(result.cells)


def test_very_small_data(tmp_path):
    data = frame(50, minority=0.4, seed=3)
    registry = registry_with({"d": dataset(data)})
    result = compare("d", interventions=USER, seeds=3, budgets=[0, 2, 100], registry=registry, output=tmp_path,
                     **{k: v for k, v in FAST.items() if k != "seeds"})
    assert (result.cells["status"] == "ok").all(), result.cells[["intervention", "message"]]
    assert_cells_sound(result.cells)
    user = result.cells[result.cells["side"] == "user"]
    assert (user["n_flips"] <= user["n_candidates"]).all()


def test_text_feature_columns_become_codes(capsys, tmp_path):
    data = frame(200)
    data["colour"] = np.resize(["red", "green", "blue, dark"], len(data))
    path = write(tmp_path, data)
    code, _, err = run_cli(capsys, *csv_args(path, tmp_path / "out"))
    assert code == 0, err
    loaded = load_csv(str(path))
    assert "colour" in loaded.categorical and set(loaded.X["colour"]) == {0, 1, 2}


def test_unreadable_csv(capsys, tmp_path):
    import os

    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    path = write(tmp_path, frame(60))
    path.chmod(0)
    try:
        code, _, err = run_cli(capsys, *csv_args(path, tmp_path / "out"))
    finally:
        path.chmod(0o644)
    assert_one_line_error(code, err, str(path), "cannot read")


def test_directory_instead_of_file(capsys, tmp_path):
    code, _, err = run_cli(capsys, *csv_args(tmp_path, tmp_path / "out"))
    assert_one_line_error(code, err, "is a folder, not a CSV file")
    code, _, err = run_cli(capsys, *csv_args(tmp_path / "nope.csv", tmp_path / "out"))
    assert_one_line_error(code, err, "nope.csv", "file not found")
