"""Levelling up or down: each group's rate change against the same seed's baseline, the rule that
names it, the collective's own model (``--collective-model``) and ``fairbench experiment levelling``."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fairbench import levelling
from fairbench.cli import main
from fairbench.collective_model import uses_collective_model
from fairbench.errors import UserInputError
from fairbench.levelling import BOTH, LEVELLED_DOWN, LEVELLED_UP, NO_CLEAR_CHANGE, OTHER_WAY, Interval, classify
from fairbench.metrics import BUILTIN_METRICS, Metric, evaluate, per_group
from fairbench.runner import compare
from fairbench.store import ResultStore

HERE = Path(__file__).resolve().parent
GERMAN = dict(dataset="german", seeds=2, budgets=[0, 10, 40], learner="logreg", tune=False, jobs=1, quiet=True)


@pytest.fixture(scope="module")
def german_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("german")
    return compare(interventions=["random", "rb-prob"], output=out, **GERMAN), out


def test_changes_are_each_cell_rate_minus_the_same_seed_baseline(german_run):
    result, out = german_run
    cells = result.cells
    rates = [m.name for m in per_group(BUILTIN_METRICS)]
    assert rates == ["tpr_a0", "tpr_a1", "fpr_a0", "fpr_a1", "sel_a0", "sel_a1"]
    written = pd.read_csv(out / "cells.csv")
    base = {row.seed: row for row in cells[cells["side"] == "baseline"].itertuples()}
    assert sorted(base) == [0, 1]
    for prefix in ("", "val_"):
        for name in rates:
            column = f"{prefix}d_{name}"
            assert column in written
            for _, row in cells.iterrows():
                expected = row[prefix + name] - getattr(base[row["seed"]], prefix + name)
                assert np.isfinite(expected) and row[column] == expected, (column, row["intervention"],
                                                                           row["knob_value"], row["seed"])
    assert (cells.loc[cells["side"] == "baseline", [f"d_{n}" for n in rates]] == 0).all().all()
    zero = cells[(cells["side"] == "user") & (cells["n_flips"] == 0)]
    assert len(zero) == 4 and (zero[[f"d_{n}" for n in rates]] == 0).all().all()
    moved = cells[cells["n_flips"] > 0]
    assert (moved[[f"d_{n}" for n in rates]] != 0).any().any()  # flips move some rate


def test_changes_are_derived_not_stored(german_run):
    result, out = german_run
    with ResultStore(out) as store:
        rows = store.rows(list(result.cells["key"]))
    assert rows and not any(key.startswith("d_") or key.startswith("val_d_") for row in rows for key in row)
    assert all("sel_a1" in row for row in rows)


def test_selection_rates_are_the_share_of_each_group_predicted_favourable():
    from fairlearn.metrics import MetricFrame, selection_rate

    rng = np.random.default_rng(3)
    y_true, y_pred, a = (rng.integers(0, 2, 200) for _ in range(3))
    values = evaluate(y_true, y_pred, a)
    by_group = MetricFrame(metrics=selection_rate, y_true=y_true, y_pred=y_pred, sensitive_features=a).by_group
    assert values["sel_a0"] == pytest.approx(by_group[0]) and values["sel_a1"] == pytest.approx(by_group[1])


def up(n: int = 5) -> Interval:
    return Interval(0.10, 0.05, 0.15, n)


def down(n: int = 5) -> Interval:
    return Interval(-0.10, -0.15, -0.05, n)


def flat(n: int = 5) -> Interval:
    return Interval(0.01, -0.02, 0.03, n)


@pytest.mark.parametrize("minority, majority, verdict", [
    (up(), flat(), LEVELLED_UP),
    (up(), up(), LEVELLED_UP),          # everyone rose, the minority clearly
    (flat(), down(), LEVELLED_DOWN),
    (down(), down(), LEVELLED_DOWN),    # everyone fell, the majority clearly
    (up(), down(), BOTH),
    (down(), flat(), OTHER_WAY),        # the minority's rate fell
    (flat(), up(), OTHER_WAY),          # the majority's rose
    (flat(), flat(), NO_CLEAR_CHANGE),
    (Interval(0.1, 0.0, 0.2, 5), Interval(-0.1, -0.2, 0.0, 5), NO_CLEAR_CHANGE),  # an interval touching 0 is no change
    (up(2), flat(2), "too few seeds (2)"),
    (Interval(np.nan, np.nan, np.nan, 0), flat(), "too few seeds (0)"),
])
def test_the_levelling_rule(minority, majority, verdict):
    assert classify(minority, majority) == verdict


def test_the_verdict_in_words_names_both_groups_and_their_intervals():
    text = levelling.describe("TPR", up(), flat())
    assert text == ("levelled up: the minority's (a=1) TPR rose by +0.100 [+0.050, +0.150], "
                    "the majority's (a=0) changed by +0.010 [-0.020, +0.030]")
    assert "the majority's (a=0) fell by -0.100" in levelling.describe("FPR", flat(), down())


def test_summary_gives_each_point_its_paired_intervals_and_verdicts():
    rows = []
    for seed, (minority, majority) in enumerate([(0.10, -0.05), (0.12, -0.04), (0.08, -0.06), (0.11, -0.05)]):
        common = dict(stage="labels", knob="budget", seed=seed, status="ok", eqod=0.3)
        rows.append(dict(intervention="baseline", side="baseline", knob_value=0, n_flips=0, tpr_a1=0.5, tpr_a0=0.7,
                         **common))
        rows.append(dict(intervention="m", side="user", knob_value=5, n_flips=5, tpr_a1=0.5 + minority,
                         tpr_a0=0.7 + majority, **common))
    cells = pd.DataFrame(rows)
    two = (Metric("tpr_a0", "TPR of group a=0", lambda r: 0.0, kind="rate", group=0),
           Metric("tpr_a1", "TPR of group a=1", lambda r: 0.0, kind="rate", group=1))
    levelling.add_changes(cells, two)
    (row,) = levelling.summary(cells, two).to_dict("records")
    assert row["intervention"] == "m" and row["n_seeds"] == 4
    assert row["d_tpr_a1_mean"] == pytest.approx(0.1025) and row["d_tpr_a1_n"] == 4
    assert row["d_tpr_a0_high"] < 0 < row["d_tpr_a1_low"] and row["d_eqod_mean"] == 0
    assert row["levelling_tpr"] == BOTH and row["levelling_tpr_text"].startswith("both: the minority's (a=1) TPR rose")


@pytest.mark.parametrize("metric, needle", [
    (Metric("tpr_a1", "x", lambda r: 0.0, kind="fairness", group=1), "per-group rate (kind 'rate')"),
    (Metric("tpr_a1", "x", lambda r: 0.0, kind="rate", group=2), "group is 0 or 1"),
    (Metric("tpr_1", "x", lambda r: 0.0, kind="rate", group=1), "named '<rate>_a1'"),
    (Metric("d_gap", "x", lambda r: 0.0), "not starting with 'val_' or 'd_'"),
])
def test_bad_per_group_declarations_are_named(metric, needle):
    assert any(needle in p for p in metric.problems()), metric.problems()


# --- the collective's own model --------------------------------------------------------------


def test_only_strategies_that_train_a_model_take_the_collective_model(registry):
    takers = {iv.name for iv in registry.interventions.values() if uses_collective_model(iv)}
    assert takers == {"rb-prob", "rb-prob@fare"}
    fare = registry.intervention("rb-prob@fare")
    assert fare.make(None, 0, **{**fare.params, "collective_model": "logreg"}).scorer.model == "logreg"


def test_a_model_equal_to_the_strategy_own_default_adds_nothing_to_its_key():
    from fairbench import Intervention
    from fairbench.collective_model import with_collective_model

    def make(knob=None, random_state=0, collective_model="logreg", **params):
        return None

    iv = Intervention(name="mine", stage="labels", knob="budget", grid=(), make=make)
    assert with_collective_model({}, [iv], "logreg", [iv]) == {}
    assert with_collective_model({"mine": {"k": 3}}, [iv], "hgb", [iv]) == {"mine": {"k": 3, "collective_model": "hgb"}}
    assert with_collective_model({}, [iv], None, [iv]) == {}


def test_another_collective_model_changes_rb_prob_ranking():
    from fairbench.collective import form_collective, rank_candidates
    from fairbench.interventions.collective import RBProb
    from fairbench.prepared import prepare
    from fairbench.runner import load
    from fairbench.tasks import collective_view

    data = prepare(load("german"))
    split = data.split(0, 0.2)
    collective = form_collective(split.train, data.a, data.y, 0.3, 0)
    view = collective_view(data.scoring_space(split.train), data.y, collective, 0)
    n = len(collective.candidates)
    hgb, logreg = (rank_candidates(RBProb(m).score(view), n, 0, "rb-prob") for m in ("hgb", "logreg"))
    assert n > 10 and not np.array_equal(hgb, logreg)


def _golden():
    spec = importlib.util.spec_from_file_location("make_golden_cells", HERE / "fixtures" / "make_golden_cells.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_default_collective_model_keeps_every_key_and_another_gets_its_own(firm_registry, tmp_path):
    golden = _golden()
    stored = pd.read_csv(golden.GOLDEN, dtype=str, keep_default_na=False)
    settings = {**golden.SETTINGS, "interventions": ["rb-prob"]}

    def run(name, **kw):
        return compare(registry=firm_registry, output=tmp_path / name, quiet=True, **{**settings, **kw}).cells

    default, named_default, logreg = run("default"), run("hgb", collective_model="hgb"), run("logreg",
                                                                                         collective_model="logreg")
    golden_keys = set(stored.loc[stored["intervention"].isin(["rb-prob", "baseline"]), "key"])
    assert set(default["key"]) == set(named_default["key"]) == golden_keys
    assert "collective_model" not in default
    assert list(named_default.columns).index("collective_model") == list(named_default.columns).index("learner") + 1
    prob = logreg["intervention"] == "rb-prob"
    assert set(logreg.loc[prob, "collective_model"]) == {"logreg"} and logreg.loc[~prob, "collective_model"].isna().all()
    assert not set(logreg.loc[prob, "key"]) & golden_keys
    assert set(logreg.loc[~prob, "key"]) <= golden_keys  # the baseline is the firm's, untouched


def test_a_collective_model_nothing_uses_or_that_does_not_exist_is_refused(registry, tmp_path, capsys):
    with pytest.raises(UserInputError, match=r"no strategy of this run trains a model of its own \(it applies to "
                                             r"rb-prob, rb-prob@fare"):
        compare(registry=registry, dataset="toy-small", interventions=["rb-dist"], collective_model="logreg",
                output=tmp_path)
    with pytest.raises(UserInputError, match="unknown learner 'nope'; valid learners: hgb, lightgbm, logreg"):
        compare(registry=registry, dataset="toy-small", interventions=["rb-prob"], collective_model="nope",
                output=tmp_path)
    with pytest.raises(UserInputError, match="give it once"):
        compare(registry=registry, dataset="toy-small", interventions=["rb-prob"], collective_model="logreg",
                params={"rb-prob": {"collective_model": "hgb"}}, output=tmp_path)
    code = main(["compare", "--dataset", "german", "--interventions", "random", "--collective-model", "logreg",
                 "--output", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "--collective-model logreg" in err


# --- fairbench experiment levelling -----------------------------------------------------------


def test_levelling_experiment_runs_end_to_end_and_its_command_reproduces_it(tmp_path, capsys):
    argv = ["experiment", "levelling", "--dataset", "german", "--seeds", "2", "--learner", "logreg", "--no-tune",
            "--budget-fractions", "0,0.5", "--interventions", "random,rb-prob", "--collective-model", "logreg",
            "--jobs", "1", "--quiet", "--output", str(tmp_path)]
    assert main(argv) == 0
    for name in ("COMMAND.txt", "levelling.csv", "levelling.txt", "levelling.md", "levelling.png", "cells.csv",
                 "fronts.csv"):
        assert (tmp_path / name).exists(), name
    command = (tmp_path / "COMMAND.txt").read_text().strip()
    assert "--collective-model logreg" in command and "--validation-fraction 0" in command
    assert command in (tmp_path / "levelling.md").read_text()
    summary = pd.read_csv(tmp_path / "levelling.csv")
    assert set(summary["intervention"]) == {"random", "rb-prob"} and len(summary) == 4
    assert set(summary["collective_model"]) == {"logreg"} and set(summary["learner"]) == {"logreg"}
    assert set(summary["levelling_tpr"]) == {"too few seeds (2)"}  # two seeds give numbers, not verdicts
    cells = pd.read_csv(tmp_path / "cells.csv")
    point = summary[(summary["intervention"] == "rb-prob") & (summary["knob_value"] > 0)].iloc[0]
    mine = cells[(cells["intervention"] == "rb-prob") & (cells["knob_value"] == point["knob_value"])]
    assert point["d_sel_a1_mean"] == pytest.approx(mine["d_sel_a1"].mean())
    out = capsys.readouterr().out
    assert "largest mean EqOd gain" in out and "the minority's (a=1) TPR" in out
    words = command.split()[1:] + ["--quiet", "--jobs", "1"]
    assert main(words) == 0
    pd.testing.assert_frame_equal(summary, pd.read_csv(tmp_path / "levelling.csv"))


def test_levelling_asks_for_flips_cells_only():
    """With its defaults every levelling cell is a flips cell, so the cell cache serves it."""
    from fairbench.experiments import RunConfig, calls
    from fairbench.runner import plan_compare

    cfg = RunConfig(dataset="german", seeds=2)
    keys = {name: {k for c in calls(name, cfg) for k in plan_compare(**cfg.compare_arguments(c)).keys}
            for name in ("levelling", "flips")}
    assert keys["levelling"] and keys["levelling"] <= keys["flips"]
