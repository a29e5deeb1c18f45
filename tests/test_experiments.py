"""Every `fairbench experiment NAME` on a tiny configuration, so none of them rots."""
from __future__ import annotations

import shlex

import numpy as np
import pandas as pd
import pytest

from fairbench.cli import main
from fairbench.experiments import RunConfig, run
from fairbench.experiments.diagnostics import bound
from conftest import assert_written


@pytest.fixture(scope="module")
def registry(firm_registry):
    return firm_registry


def config(registry, tmp_path, **kw) -> RunConfig:
    kw.setdefault("dataset", "toy-small")
    kw.setdefault("seeds", 1)
    return RunConfig(learner="logreg", tune=False, output=tmp_path, registry=registry, **kw)


def test_alpha(registry, tmp_path):
    result = run("alpha", config(registry, tmp_path), alphas=(0.2, 1.0), fractions=(0.0, 0.1, 0.5),
                 interventions=("random", "rb-dist"))
    assert_written(result, "alpha_eqod.png", "alpha_sp.png", "alpha=0.2/cells.csv", "alpha=1/fronts.csv")
    s = result.summary
    assert set(s["alpha"]) == {0.2, 1.0} and set(s["intervention"]) == {"random", "rb-dist"}
    # budget 0 is always tried, so the best achievable EqOd is never worse than the baseline's
    assert (s["best_eqod_mean"] <= s["baseline_eqod"] + 1e-12).all()
    # the budgets of a small alpha stop at its own pool
    cells = pd.read_csv(tmp_path / "alpha=0.2" / "cells.csv")
    assert cells.loc[cells.side == "user", "knob_value"].max() == s.loc[s.alpha == 0.2, "pool"].iloc[0]


def test_flips(registry, tmp_path):
    result = run("flips", config(registry, tmp_path, seeds=2), fractions=(0.0, 0.3, 1.0),
                 interventions=("random", "rb-prob"))
    assert_written(result, "flips_eqod.png", "flips_sp.png", "cells.csv", "fronts.csv")
    assert len(result.summary) == 2 * 3 and (result.summary["n_seeds"] == 2).all()
    assert any(c.startswith("target = random's lowest") for c in result.checks)


def test_knowledge(registry, tmp_path):
    result = run("knowledge", config(registry, tmp_path), knowledge=(None, 10), fractions=(0.0, 0.5),
                 interventions=("rb-prob", "rb-dist"))
    assert_written(result, "knowledge_eqod.png", "knowledge_flips_eqod.png", "knowledge=all/cells.csv",
                   "knowledge=10/cells.csv")
    assert set(result.summary["knowledge"]) == {"all", "10"}
    cells = pd.read_csv(tmp_path / "knowledge=10" / "cells.csv")
    assert set(cells.loc[cells.side == "user", "majority_knowledge"]) == {10}
    assert "--knowledge all,10" in result.command


def test_firm(registry, tmp_path):
    result = run("firm", config(registry, tmp_path), fractions=(0.0, 0.5),
                 interventions=["rb-prob", "group-threshold"])
    assert_written(result, "firm_eqod.png", "firm_sp.png")
    assert list(result.summary["intervention"]) == ["baseline", "rb-prob", "group-threshold"]
    low = result.summary.dropna(subset=["low_error_eqod_mean"])
    assert (low["low_error_error_mean"] <= low["baseline_error"] + 0.01 + 1e-12).all()


def test_representations(registry, tmp_path):
    result = run("representations", config(registry, tmp_path), fractions=(0.0, 0.5), interventions=("rb-dist",))
    assert_written(result, "representations_eqod.png")
    assert set(result.summary["intervention"]) == {"rb-dist", "rb-dist@fare"}
    assert set(result.summary["space"]) == {"raw", "FARE"}


def test_toy(registry, tmp_path):
    cfg = config(registry, tmp_path, dataset="toy-2d", dataset_options={"test_size": 1000})
    result = run("toy", cfg, flips=3)
    assert_written(result, "toy.png", "toy_flips.png", "toy_flips.csv")
    row = result.summary.iloc[0]
    assert 0 <= row["eqod_after"] <= 1 and row["eqod_before"] > 0
    assert "--flips 3" in result.command and "test_size=1000" in result.command


def test_diagnostics(registry, tmp_path):
    cfg = config(registry, tmp_path, dataset="synthetic-4gmm", dataset_options={"n": 1000})
    result = run("diagnostics", cfg, alphas=(0.5,), interventions=("oracle", "rb-label"))
    assert_written(result, "diagnostics_rho.png", "diagnostics_success.png", "diagnostics_cells.csv")
    cells = pd.read_csv(tmp_path / "diagnostics_cells.csv")
    oracle = cells[cells.intervention == "oracle"].iloc[0]
    assert oracle["rho_candidates"] == 0  # the oracle flips exactly the counterfactual positives
    assert 0 < oracle["n_flips"] <= oracle["n_candidates"]
    for col in ("S_minority", "S_all", "cf_accuracy"):
        assert cells[col].between(0, 1).all()
    assert np.isclose(oracle["bound_minority"], bound(0.5, oracle["rho_collective"], oracle["tau_minority"]))
    # re-running the same command reuses the stored per-seed rows
    cells["S_minority"] = 0.5  # a marker: only a reused row can carry it
    cells.to_csv(tmp_path / "diagnostics_cells.csv", index=False)
    again = run("diagnostics", cfg, alphas=(0.5,), interventions=("oracle", "rb-label"))
    assert (again.summary["S_minority_mean"] == 0.5).all()
    assert (run("diagnostics", cfg, alphas=(0.5,), interventions=("oracle",)).summary["S_minority_mean"] != 0.5).all()


def test_diagnostics_seeds_in_worker_processes_give_the_serial_rows(tmp_path):
    def cells(jobs):
        out = tmp_path / f"jobs{jobs}"
        cfg = RunConfig(learner="logreg", tune=False, output=out, seeds=3, jobs=jobs, dataset="synthetic-4gmm",
                        dataset_options={"n": 1000})
        run("diagnostics", cfg, alphas=(0.5,), interventions=("oracle", "rb-label"))
        return pd.read_csv(out / "diagnostics_cells.csv")

    serial = cells(1)
    assert sorted(serial["seed"].unique()) == [0, 1, 2]
    pd.testing.assert_frame_equal(cells(2), serial, check_exact=True)


def test_diagnostics_resumed_from_its_cells_file_writes_a_fresh_runs_tables(registry, tmp_path):
    cfg = config(registry, tmp_path, dataset="synthetic-4gmm", dataset_options={"n": 1000})
    fresh = run("diagnostics", cfg, alphas=(0.5,), interventions=("oracle", "rb-label"))
    tables = {name: (tmp_path / name).read_bytes() for name in ("diagnostics.csv", "diagnostics.md")}
    resumed = run("diagnostics", cfg, alphas=(0.5,), interventions=("oracle", "rb-label"))
    pd.testing.assert_frame_equal(resumed.summary, fresh.summary, check_exact=True)
    assert {name: (tmp_path / name).read_bytes() for name in tables} == tables


def test_bound_matches_eq11():
    # rho = 0, eps = 0 recovers Eq. 5: 1 - 2 (1 - a) tau / a
    assert bound(0.5, 0.0, 0.1) == pytest.approx(1 - 2 * 0.5 * 0.1 / 0.5)
    assert bound(0.5, 0.2, 0.1, eps=0.05) == pytest.approx(1 - 2 * 0.5 * 0.1 / (0.6 * 0.5) - 0.05 / (0.95 * 0.6 * 0.5))
    assert np.isnan(bound(0.5, 0.5, 0.1))


def test_cli_command_file_reproduces_the_run(tmp_path, capsys):
    argv = ["experiment", "flips", "--dataset", "german", "--seeds", "1", "--learner", "logreg", "--no-tune",
            "--budget-fractions", "0,0.5", "--interventions", "random,rb-prob", "--jobs", "1", "--quiet",
            "--output", str(tmp_path)]
    assert main(argv) == 0
    first = pd.read_csv(tmp_path / "flips.csv")
    command = (tmp_path / "COMMAND.txt").read_text().strip()
    words = shlex.split(command)
    assert words[0] == "fairbench"
    assert main(words[1:] + ["--quiet", "--jobs", "1"]) == 0
    pd.testing.assert_frame_equal(first, pd.read_csv(tmp_path / "flips.csv"))
    assert "reproduce: fairbench experiment flips" in capsys.readouterr().out


def test_cli_errors_are_one_line(tmp_path, capsys):
    assert main(["experiment", "toy", "--dataset", "adult", "--output", str(tmp_path)]) == 2
    assert "toy uses its own generator" in capsys.readouterr().err
    assert main(["experiment", "diagnostics", "--dataset", "german", "--output", str(tmp_path)]) == 2
    assert "known causal model" in capsys.readouterr().err


def test_experiments_are_one_list_and_the_cli_follows_it(capsys):
    """Names, help, options and default datasets come from ``EXPERIMENTS`` and nowhere else."""
    from fairbench.cli import build_parser
    from fairbench.experiments import EXPERIMENTS, experiment
    from fairbench.errors import UserInputError

    parser = build_parser()
    for exp in EXPERIMENTS:
        args = parser.parse_args(["experiment", exp.name])
        assert args.experiment == exp.name and args.dataset == (exp.default_dataset or "adult")
        for option in exp.options:
            assert hasattr(args, "validation_fraction" if option == "validation" else option), (exp.name, option)
    with pytest.raises(UserInputError, match="valid experiments: alpha, diagnostics, firm"):
        experiment("nope")


def test_no_import_cycle_between_the_command_lines():
    import subprocess
    import sys

    code = ("import sys, fairbench.experiments.cli, fairbench.cli_common; "
            "assert 'fairbench.cli' not in sys.modules, 'experiments.cli imports fairbench.cli'")
    subprocess.run([sys.executable, "-c", code], check=True)
