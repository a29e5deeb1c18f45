"""The command line: one readable line and a non-zero exit for every bad input."""
import subprocess
import sys

import pandas as pd
import pytest

from fairbench.cli import main


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, err, *needles):
    assert code == 2
    lines = [l for l in err.strip().splitlines() if l.startswith("fairbench: error")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_unknown_dataset_lists_valid_names(capsys, tmp_path):
    code, _, err = run_cli(capsys, "compare", "--dataset", "adlt", "--output", str(tmp_path))
    assert_one_line_error(code, err, "unknown dataset 'adlt'", "adult", "compas", "csv:PATH")


def test_unknown_intervention_lists_valid_names(capsys, tmp_path):
    code, _, err = run_cli(capsys, "compare", "--dataset", "german", "--interventions", "rb-magic", "--output", str(tmp_path))
    assert_one_line_error(code, err, "unknown intervention 'rb-magic'", "rb-prob", "random")


def test_unknown_learner(capsys, tmp_path):
    code, _, err = run_cli(capsys, "compare", "--dataset", "german", "--learner", "svm", "--output", str(tmp_path))
    assert_one_line_error(code, err, "unknown learner 'svm'", "hgb", "logreg")


@pytest.mark.parametrize("alpha", ["0", "1.5", "-0.2"])
def test_alpha_outside_unit_interval(capsys, tmp_path, alpha):
    code, _, err = run_cli(capsys, "compare", "--dataset", "german", "--alpha", alpha, "--output", str(tmp_path))
    assert_one_line_error(code, err, "alpha must be in (0, 1]")


def test_negative_budget(capsys, tmp_path):
    code, _, err = run_cli(capsys, "compare", "--dataset", "german", "--budgets", "0,-5", "--output", str(tmp_path))
    assert_one_line_error(code, err, "budgets must be >= 0")


def test_zero_seeds(capsys, tmp_path):
    code, _, err = run_cli(capsys, "compare", "--dataset", "german", "--seeds", "0", "--output", str(tmp_path))
    assert_one_line_error(code, err, "seeds must be at least 1")


@pytest.fixture
def csv_file(tmp_path):
    frame = pd.DataFrame({"x": range(40), "grp": ["m", "f"] * 20, "outcome": ["yes", "no", "no", "yes"] * 10,
                          "three": [0, 1, 2, 3] * 10})
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return path


def csv_args(path, tmp_path, **over):
    opts = {"--label": "outcome", "--sensitive": "grp", "--protected-value": "f", "--favorable-value": "yes", **over}
    args = ["compare", "--dataset", f"csv:{path}", "--output", str(tmp_path / "out"), "--seeds", "1",
            "--interventions", "random", "--budgets", "0,2", "--learner", "logreg", "--quiet", "--jobs", "1"]
    for k, v in opts.items():
        args += [k, v]
    return args


def test_csv_missing_column_is_named(capsys, tmp_path, csv_file):
    code, _, err = run_cli(capsys, *csv_args(csv_file, tmp_path, **{"--label": "income"}))
    assert_one_line_error(code, err, "income")


def test_csv_non_binary_label_is_named(capsys, tmp_path, csv_file):
    code, _, err = run_cli(capsys, *csv_args(csv_file, tmp_path, **{"--label": "three", "--favorable-value": "1"}))
    assert_one_line_error(code, err, "three")


def test_csv_runs_end_to_end(capsys, tmp_path, csv_file):
    code, out, err = run_cli(capsys, *csv_args(csv_file, tmp_path))
    assert code == 0, err
    assert "baseline" in out and (tmp_path / "out" / "cells.csv").exists()
    summary = out.split("ranked by hypervolume", 1)[1]  # the short ranked summary after the per-knob table
    assert "random" in summary and "HV" in summary and "figures:" in summary


def test_list_shows_interventions_and_datasets(capsys):
    code, out, _ = run_cli(capsys, "list")
    assert code == 0
    for needle in ("rb-prob", "labels", "budget", "fairbench.interventions.collective", "adult", "Black", "income >50K"):
        assert needle in out


def test_console_script_error_has_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "fairbench.cli", "compare", "--dataset", "nope", "--output", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
