"""`fairbench report`: the Figure 12 comparison and the leaderboard page, on small results."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fairbench.cli import main
from fairbench.report import best_points, figure12_table, leaderboard_markdown, method_table, write_report
from fairbench.runner import compare


@pytest.fixture(scope="module")
def results(tmp_path_factory, firm_registry):
    """Two datasets; for one of them the user side and the firm side sit in separate folders."""
    registry = firm_registry
    root = tmp_path_factory.mktemp("results")
    common = dict(registry=registry, seeds=2, learner="logreg", tune=False, jobs=1, budgets=[0, 10, 40])
    compare(dataset="toy-small", interventions=["random", "rb-prob"], output=root / "toy-small" / "flips", **common)
    compare(dataset="toy-small", interventions=["rb-prob", "group-threshold"], output=root / "toy-small" / "firm", **common)
    compare(dataset="toy", interventions=["rb-dist", "group-threshold"], output=root / "toy", **{**common, "seeds": 1})
    return root


def dirs(root):
    return [root / "toy-small" / "flips", root / "toy-small" / "firm", root / "toy"]


def front(rows):
    cols = ["intervention", "side", "knob", "knob_value", "error_mean", "error_std", "eqod_mean", "eqod_std",
            "sp_mean", "sp_std", "n_flips_mean", "n_seeds"]
    return pd.DataFrame(rows, columns=cols)


def test_best_points_and_the_low_error_view():
    f = front([
        ["baseline", "baseline", "none", 0, 0.20, 0.0, 0.30, 0.01, 0.25, 0.0, np.nan, 3],
        ["m", "user", "budget", 0, 0.20, 0.0, 0.30, 0.01, 0.25, 0.0, 0, 3],
        ["m", "user", "budget", 10, 0.205, 0.0, 0.15, 0.01, 0.20, 0.0, 10, 3],
        ["m", "user", "budget", 50, 0.26, 0.0, 0.05, 0.02, 0.02, 0.0, 50, 3],
    ])
    best = best_points(f).set_index("intervention")
    m = best.loc["m"]
    assert m["best_eqod_mean"] == 0.05 and m["best_eqod_error_mean"] == 0.26 and m["best_eqod_flips_mean"] == 50
    assert m["best_sp_mean"] == 0.02
    # within 1 point of the baseline's error (0.20 + 0.01): the budget-50 point (error 0.26) is out
    assert m["low_error_eqod_mean"] == 0.15 and m["low_error_knob_value"] == 10
    assert best.loc["baseline", "low_error_eqod_mean"] == 0.30


def test_method_table_merges_folders_of_one_dataset(results):
    table = method_table(dirs(results))
    toy = table[table.dataset == "toy-small"]
    assert list(toy["intervention"]) == ["baseline", "random", "rb-prob", "group-threshold"]
    # a name present in several folders comes from the first one given
    assert toy.set_index("intervention").loc["rb-prob", "source"].endswith("flips")
    assert set(table[table.dataset == "toy"]["intervention"]) == {"baseline", "rb-dist", "group-threshold"}
    low = table.dropna(subset=["low_error_eqod_mean"])
    assert (low["low_error_error_mean"] <= low["baseline_error"] + 0.01 + 1e-12).all()


def test_figure12_rows_are_baseline_best_collective_and_firm(results):
    fig12 = figure12_table(method_table(dirs(results)))
    toy = fig12[fig12.dataset == "toy-small"]
    assert list(toy["method"]) == ["baseline", "collective action", "group-threshold"]
    user = method_table(dirs(results)).query("dataset == 'toy-small' and side == 'user' and intervention != 'random'")
    best = toy[toy.method == "collective action"].iloc[0]
    assert best["best_eqod_mean"] == user["best_eqod_mean"].min()
    assert best["low_error_eqod_mean"] == user["low_error_eqod_mean"].min()


def test_write_report_files(results, tmp_path):
    report = write_report(dirs(results), tmp_path, command="fairbench report X")
    for name in ("comparison.csv", "figure12.csv", "comparison.md", "comparison.txt", "COMMAND.txt",
                 "comparison_eqod.png", "comparison_eqod_low_error.png", "comparison_sp.png"):
        assert (tmp_path / name).exists(), name
    assert "collective action" in report.table
    assert "fairbench report X" in (tmp_path / "comparison.md").read_text()


def test_leaderboard_page(results):
    page = leaderboard_markdown(dirs(results), command="fairbench report A B --leaderboard docs/leaderboard.md")
    assert "fairbench report A B --leaderboard docs/leaderboard.md" in page
    assert "Do not edit this page by hand" in page
    assert "## toy\n" in page and "## toy-small\n" in page
    section = page.split("## toy-small\n")[1].split("## toy\n")[0]
    ranked = [line.split("|")[2].strip() for line in section.splitlines() if line.startswith("| ") and "rank" not in line]
    assert set(ranked) == {"baseline", "random", "rb-prob", "group-threshold"}
    assert "seeds 2" in section and "alpha 0.3" in section


def test_the_leaderboard_from_the_reports_scores_is_the_page_it_computes_itself(results, tmp_path):
    """The report hands its score table to the leaderboard, which then does not score again."""
    report = write_report(dirs(results), tmp_path / "report", command="fairbench report X")
    assert leaderboard_markdown(dirs(results), "fairbench report X", scores=report.frame) == \
        leaderboard_markdown(dirs(results), "fairbench report X")


def test_cli_report_and_leaderboard(results, tmp_path, capsys):
    page = tmp_path / "docs" / "leaderboard.md"
    argv = ["report", *map(str, dirs(results)), "--output", str(tmp_path / "report"), "--leaderboard", str(page)]
    assert main(argv) == 0
    text = page.read_text()
    assert "fairbench report " + " ".join(map(str, dirs(results))) in text
    assert (tmp_path / "report" / "COMMAND.txt").read_text().startswith("fairbench report ")
    # a folder without cells.csv is a one-line error that names the sub-folders that have them
    assert main(["report", str(results / "toy-small")]) == 2
    err = capsys.readouterr().err
    assert "holds no cells.csv" in err and "firm" in err


def test_leaderboard_is_ranked_by_hypervolume_and_headers_say_validation_or_test(results):
    page = leaderboard_markdown(dirs(results), command="fairbench report X")
    section = page.split("## toy-small\n")[1].split("## toy\n")[0]
    header = next(line for line in section.splitlines() if line.startswith("| rank"))
    cols = [c.strip() for c in header.strip("|").split("|")]
    for col in cols[3:-2]:  # every score column says where it was measured or selected
        assert "test" in col or "val" in col or "paired" in col, col
    assert "HV EqOd (test) [95% CI]" in cols and "oracle best EqOd (selected on test)" in cols
    assert any("val-selected, test" in c for c in cols)
    from fairbench.report import score_table

    table = score_table(dirs(results))
    part = table[table.dataset == "toy-small"]
    hv = part["hv_eqod_mean"].to_numpy()
    assert (np.diff(hv[np.isfinite(hv)]) <= 1e-12).all()  # ranked by hypervolume, best first
    ranked = [line.split("|")[2].strip() for line in section.splitlines()
              if line.startswith("| ") and "rank" not in line]
    assert ranked == list(part["intervention"])


def test_same_command_same_leaderboard(results, firm_registry, tmp_path):
    first = leaderboard_markdown(dirs(results), command="c")
    assert leaderboard_markdown(dirs(results), command="c") == first
    # recomputing the cells from scratch gives the same page
    common = dict(registry=firm_registry, seeds=2, learner="logreg", tune=False, jobs=1, budgets=[0, 10, 40])
    again = tmp_path / "toy-small" / "flips"
    compare(dataset="toy-small", interventions=["random", "rb-prob"], output=again, **common)
    mine = lambda d: leaderboard_markdown([d], command="c").replace(str(d), "DIR")  # noqa: E731
    assert mine(again) == mine(results / "toy-small" / "flips")


def test_report_writes_scores_and_a_cd_diagram(tmp_path):
    from fairbench.figures import cd_figure
    from fairbench.statistics import friedman

    scores = pd.DataFrame({"a": [0.9, 0.8, 0.7], "b": [0.5, 0.6, 0.4], "c": [0.0, 0.1, 0.2]}, index=["x", "y", "z"])
    path = cd_figure(friedman(scores), tmp_path / "cd.png", "title")
    assert path.exists() and path.stat().st_size > 1000


def test_ranked_summary_lines(results):
    from fairbench.export import ranked_summary

    cells = pd.read_csv(results / "toy-small" / "firm" / "cells.csv")
    text = ranked_summary(cells, [results / "f.png", results / "cells.csv"])
    lines = text.splitlines()
    assert lines[0].startswith("ranked by hypervolume") and "chosen on validation" in lines[0]
    assert {line.split()[1] for line in lines[1:4]} == {"rb-prob", "group-threshold", "baseline"}
    assert all(" HV " in line for line in lines[1:4])
    assert lines[-1] == f"figures: {results / 'f.png'}"
