"""Pipelines `a+b` (fairbench.pipelines): the collective flips, then the firm method runs on its labels.

What must hold: a no-op on either side gives the other side's cell bit for bit; the stage order is
enforced with one line listing the valid orders; no test row reaches a plugin through a pipeline;
the firm's post method sees the scores of a learner trained on the flipped labels; the product of
the two knobs is swept, narrowed by --budgets and --grid, and every cell keeps a key of its own.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

import fairbench.runner
from fairbench import DatasetSpec, Intervention, hookimpl
from fairbench.cli import main
from fairbench.contract import Dataset
from fairbench.errors import UserInputError
from fairbench.metrics import metric_columns
from fairbench.pipelines import ORDER_RULE, VALID_ORDERS
from fairbench.prepared import prepare
from fairbench.runner import PIPELINE_COLUMNS, compare
from fairbench.selection import operating_points

from conftest import GroupThreshold, biased_data

METRICS = list(metric_columns(validation=True))


class NoopPre:
    def fit(self, X, y, a):
        return self

    def transform(self, X, a):
        return X


class NoopIn:
    def fit(self, X, y, a, learner):
        self.model = clone(learner).fit(X, y)
        return self

    def predict(self, X, a):
        return self.model.predict(X)


class NoopPost:
    def fit(self, scores, y, a):
        return self

    def predict(self, scores, a):
        return (np.asarray(scores) > 0.5).astype(int)


class Massage:
    """A label-changing pre method: the top-scored y=0 rows of a=1 become y=1 (a stand-in for massaging)."""

    def __init__(self, share):
        self.share = share

    def fit(self, X, y, a):
        return self

    def relabel(self, X, y, a):
        y = np.array(y)
        rows = np.flatnonzero((a == 1) & (y == 0))
        y[rows[: int(self.share * len(rows))]] = 1
        return y

    def transform(self, X, a):
        return X


class Flagger(NoopPre):
    """Flags every y=1 row of a=1 (a stand-in for label cleaning's ``flagged_``)."""

    def fit(self, X, y, a):
        self.flagged_ = (np.asarray(a) == 1) & (np.asarray(y) == 1)
        return self


def _firm(name, stage, make, grid=(0.0,), knob="k"):
    return Intervention(name=name, stage=stage, knob=knob, grid=grid, make=lambda knob=0.0, random_state=0, **p: make(knob))


class PipelinePlugin:
    """Test-only firm methods: no-ops of each stage, a relabeller, a flagger and a post method with a grid."""

    @hookimpl
    def fairbench_register_interventions(self, register):
        register(_firm("noop-pre", "pre", lambda k: NoopPre()))
        register(_firm("noop-in", "in", lambda k: NoopIn()))
        register(_firm("noop-post", "post", lambda k: NoopPost()))
        register(_firm("massage", "pre", Massage, grid=(0.5, 1.0), knob="share"))
        register(_firm("flagger", "pre", lambda k: Flagger()))
        register(_firm("shift", "post", GroupThreshold, grid=(0.0, 0.1, 0.2), knob="shift"))


@pytest.fixture(scope="module")
def reg(registry_with):
    return registry_with(PipelinePlugin())


def run(reg, out, **kw):
    kw = {"dataset": "toy", "seeds": 2, "learner": "logreg", "tune": False, "budgets": [0, 10, 40], "jobs": 1,
          "registry": reg, "output": out, "write": False, **kw}
    return compare(**kw)


def _by(cells, name):
    return cells[cells["intervention"] == name].sort_values(["seed", "knob_value"]).reset_index(drop=True)


@pytest.mark.parametrize("firm", ["noop-pre", "noop-in", "noop-post"])
def test_a_noop_firm_method_gives_the_user_side_cell_bit_for_bit(reg, tmp_path, firm):
    result = run(reg, tmp_path, interventions=["rb-prob", f"rb-prob+{firm}"])
    cells = result.cells
    assert (cells["status"] == "ok").all(), cells[["intervention", "message"]]
    user, both = _by(cells, "rb-prob"), _by(cells, f"rb-prob+{firm}")
    assert len(both) == len(user) == 6
    nonzero = user["knob_value"] > 0  # zero flips: the user cell is the baseline's (proba >= 0.5), same numbers here
    assert nonzero.sum() == 4
    pd.testing.assert_frame_equal(both[METRICS], user[METRICS])
    assert both["n_flips"].tolist() == user["n_flips"].tolist()
    assert (both["budget"] == user["knob_value"]).all()


@pytest.mark.parametrize("firm", ["noop-pre", "massage", "shift", "noop-in"])
def test_zero_flips_of_any_collective_gives_the_firm_cell_bit_for_bit(reg, tmp_path, firm):
    result = run(reg, tmp_path, interventions=[firm, f"random+{firm}"], budgets=[0, 25])
    cells = result.cells
    assert (cells["status"] == "ok").all(), cells[["intervention", "message"]]
    alone = cells[cells["intervention"] == firm].sort_values(["seed", "knob_value"]).reset_index(drop=True)
    both = cells[(cells["intervention"] == f"random+{firm}") & (cells["budget"] == 0)]
    both = both.sort_values(["seed", "firm_knob"]).reset_index(drop=True)
    assert len(both) == len(alone) >= 2
    pd.testing.assert_frame_equal(both[METRICS], alone[METRICS])
    assert (both["firm_knob"] == alone["knob_value"]).all()
    flipped = cells[(cells["intervention"] == f"random+{firm}") & (cells["budget"] == 25)]
    assert (flipped["n_flips"] == 25).all()
    assert not np.allclose(flipped.sort_values(["seed", "firm_knob"])["error"].to_numpy(), both["error"].to_numpy())


@pytest.mark.parametrize("name, needle", [
    ("massage+rb-prob", "massage runs in the firm's pre stage, and it cannot come before rb-prob (stage labels): "
                        "the collective acts on the data it contributes"),
    ("rb-prob+random", "both user-side strategies"),
    ("noop-pre+shift", "both firm methods"),
    ("rb-prob+shift+noop-pre", "at most two"),
    ("baseline+rb-prob", "baseline is the firm's learner alone"),
    ("rb-prob+", "empty part"),
])
def test_the_stage_order_is_enforced_in_one_line_listing_the_valid_orders(reg, tmp_path, name, needle):
    with pytest.raises(UserInputError) as err:
        run(reg, tmp_path, interventions=[name])
    message = str(err.value)
    assert needle in message and ORDER_RULE in message and "\n" not in message
    assert VALID_ORDERS == ("labels+pre", "labels+in", "labels+post")


def test_an_unknown_part_lists_the_valid_names(reg, tmp_path):
    with pytest.raises(UserInputError, match=r"unknown intervention 'nope'; valid interventions: .*rb-prob"):
        run(reg, tmp_path, interventions=["rb-prob+nope"])


def test_the_cli_takes_a_plus_b_and_refuses_a_bad_order_in_one_line(reg, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(fairbench.runner, "get_registry", lambda: reg)
    code = main(["compare", "--dataset", "toy-small", "--interventions", "massage+rb-prob", "--output", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert "cannot come before rb-prob" in err and "valid orders: labels+pre, labels+in, labels+post" in err
    code = main(["compare", "--dataset", "toy-small", "--interventions", "rb-prob+shift", "--grid", "shift=0.1",
                 "--budgets", "0,20", "--seeds", "1", "--learner", "logreg", "--jobs", "1", "--quiet",
                 "--output", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0 and "rb-prob+shift" in out and "budget=20, shift=0.1" in out
    cells = pd.read_csv(tmp_path / "cells.csv")
    assert len(cells[cells["intervention"] == "rb-prob+shift"]) == 2


def test_a_pipeline_cell_records_its_parts_and_single_cells_do_not(reg, tmp_path):
    result = run(reg, tmp_path, interventions=["shift", "rb-prob+shift"], seeds=1, write=True)
    cells = result.cells
    both = cells[cells["intervention"] == "rb-prob+shift"]
    assert len(both) == 3 * 3  # budgets x the firm grid, by default
    assert set(both["side"]) == {"user+firm"} and set(both["stage"]) == {"labels+post"}
    assert set(both["knob"]) == {"budget+shift"} and set(both["user_intervention"]) == {"rb-prob"}
    assert set(both["firm_intervention"]) == {"shift"} and (both["budget"] == both["knob_value"]).all()
    assert sorted(set(zip(both["budget"], both["firm_knob"]))) == [(b, k) for b in (0, 10, 40) for k in (0, 0.1, 0.2)]
    assert (both["alpha"] == 0.3).all() and both["n_candidates"].notna().all()
    single = cells[cells["intervention"] != "rb-prob+shift"]
    assert single[["user_intervention", "budget", "firm_intervention", "firm_knob"]].isna().all().all()
    written = pd.read_csv(tmp_path / "cells.csv")
    present = [c for c in written.columns if c in PIPELINE_COLUMNS]
    assert present == ["user_intervention", "budget", "firm_intervention", "firm_knob"]
    assert len(set(both["key"])) == len(both)  # every (budget, knob) is a cell of its own
    fronts = result.fronts[result.fronts["intervention"] == "rb-prob+shift"]
    assert len(fronts) == 9 and fronts["front_eqod"].any()


def test_operating_points_choose_one_point_of_a_pipeline_per_target(reg, tmp_path):
    result = run(reg, tmp_path, interventions=["shift", "rb-prob+shift"], validation_fraction=0.2)
    ops = operating_points(result.cells)
    counts = ops.groupby(["intervention", "seed", "target"]).size()
    assert (counts == 1).all()
    chosen = ops[(ops["intervention"] == "rb-prob+shift") & ops["attainable"]]
    assert len(chosen) and chosen["firm_knob"].notna().all() and chosen["error"].notna().all()
    single = ops[(ops["intervention"] == "shift") & ops["attainable"]]
    assert single["firm_knob"].isna().all() and single["error"].notna().all()


def test_keys_name_every_part_and_knob_and_a_narrowed_grid_reuses_stored_cells(reg, tmp_path):
    full = run(reg, tmp_path, interventions=["shift", "rb-prob+shift"], seeds=1)
    again = run(reg, tmp_path, interventions=["rb-prob+shift", "shift"], seeds=1, budgets=[10],
                grid={"shift": [0.2, 0.1]})
    assert again.computed == 0 and len(again.cells) == 1 + 2 + 2
    assert set(again.cells["firm_knob"].dropna()) == {0.1, 0.2}
    other = run(reg, tmp_path, interventions=["rb-prob+shift"], seeds=1, params={"shift": {"unused": 1}},
                budgets=[10], grid={"shift": [0.1]})
    assert other.computed == 1  # a firm parameter is part of the pipeline's key
    keys = set(full.cells["key"])
    assert len(keys) == len(full.cells)


@pytest.mark.parametrize("grid, needle", [
    ({"nope": [0.1]}, "unknown intervention 'nope'"),
    ({"rb-prob": [1]}, "set it with --budgets"),
    ({"shift": [0.3]}, "0.3 is not in its grid of shift (0, 0.1, 0.2)"),
    ({"massage": [0.5]}, "massage is not among the run's interventions"),
    ({"shift": "0.1"}, "values must be numbers"),
])
def test_bad_grid_is_refused_in_one_line(reg, tmp_path, grid, needle):
    with pytest.raises(UserInputError, match=None) as err:
        run(reg, tmp_path, interventions=["rb-prob+shift"], grid=grid)
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_cli_grid_given_twice_or_malformed_is_one_line(capsys, tmp_path):
    code = main(["compare", "--grid", "shift=0.1", "--grid", "shift=0.2", "--output", str(tmp_path)])
    assert code == 2 and "--grid shift is given twice" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["compare", "--grid", "shift", "--output", str(tmp_path)])
    assert exit_.value.code == 2 and "--grid takes NAME=v1,v2" in capsys.readouterr().err


def test_relabelling_in_a_pipeline_is_counted_apart_from_the_collective_flips(reg, tmp_path):
    cells = run(reg, tmp_path, interventions=["massage", "rb-prob+massage"], seeds=1, budgets=[0, 10, 30]).cells
    alone = cells[cells["intervention"] == "massage"]
    assert (alone["n_flips"] > 0).all() and "n_relabeled" in cells and alone["n_relabeled"].isna().all()
    both = cells[cells["intervention"] == "rb-prob+massage"]
    assert both["n_flips"].tolist() == [0, 0, 10, 10, 30, 30]  # the collective's, per budget
    assert (both["n_relabeled"] > 0).all()
    # the collective made some minority y=0 rows y=1 first: fewer are left for the firm to relabel
    by_budget = both.groupby("budget")["n_relabeled"].sum()
    assert by_budget[30] < by_budget[0]


def test_flagged_rows_are_counted_against_the_collective_flips(reg, tmp_path):
    data = prepare(biased_data(n=1500))
    cells = run(reg, tmp_path, interventions=["flagger", "rb-prob+flagger"], seeds=1, validation_fraction=0.2).cells
    split = data.split(0, 0.2)
    alone = cells[cells["intervention"] == "flagger"].iloc[0]
    expected = int(((data.a[split.train] == 1) & (data.y[split.train] == 1)).sum())
    assert alone["n_flagged"] == expected and np.isnan(alone["n_flipped_flagged"])
    both = cells[cells["intervention"] == "rb-prob+flagger"].set_index("budget")
    # the flagger flags minority y=1 rows: every row the collective flipped to 1 is flagged
    assert (both["n_flipped_flagged"] == both["n_flips"]).all()
    assert (both["n_flagged"] == expected + both["n_flips"]).all()


# --- what the firm sees in a pipeline, and that no test row reaches a plugin -------------------

def id_data(n: int = 600) -> Dataset:
    """biased_data with a row id among the firm's features: a plugin's rows can be told apart."""
    data = biased_data(n=n, name="ids")
    X = data.X.assign(rid=np.arange(n, dtype=float))
    return Dataset(name="ids", X=X, a=data.a, y=data.y, sensitive_column="group")


class Spy:
    """Every stage's spy: it records what it is given, and fails the cell if a fit sees a non-training row."""

    calls: list = []
    train: set = set()

    def __init__(self, stage, knob=0.0):
        self.stage, self.knob, self.fitted = stage, knob, False

    def score(self, view):
        Spy.calls.append(("score", view))
        return np.arange(len(view.candidates), dtype=float)

    def _rows(self, X):
        return set(np.asarray(X)[:, -1].astype(int))

    def fit(self, X, y, a, learner=None):
        if self.stage != "post":
            assert self._rows(X) <= Spy.train, "fit saw a row outside the training rows"
        Spy.calls.append((f"fit-{self.stage}", np.asarray(X).copy(), np.asarray(y).copy()))
        self.fitted = True
        if learner is not None:
            self.model = clone(learner).fit(X, y)
        return self

    def transform(self, X, a):
        assert self.fitted
        return np.asarray(X)

    def predict(self, X, a):
        assert self.fitted
        Spy.calls.append((f"predict-{self.stage}", np.asarray(X).copy()))
        if self.stage == "post":
            return (np.asarray(X) >= 0.5 - self.knob * np.asarray(a)).astype(int)
        return self.model.predict(X)


class SpyPlugin:
    @hookimpl
    def fairbench_register_datasets(self, register):
        register(DatasetSpec(name="ids", loader=lambda **o: id_data(), description="biased data with row ids",
                             sensitive="group", protected="a=1", favourable="y=1", source="tests", rows=600))

    @hookimpl
    def fairbench_register_interventions(self, register):
        register(Intervention(name="spy", stage="labels", knob="budget", grid=(),
                              make=lambda knob=None, random_state=0, **p: Spy("labels")))
        for stage in ("pre", "in", "post"):
            register(Intervention(name=f"spy-{stage}", stage=stage, knob="k", grid=(0.0, 0.1),
                                  make=lambda knob=0.0, random_state=0, stage=stage, **p: Spy(stage, knob)))


@pytest.fixture(scope="module")
def spy_reg(registry_with):
    return registry_with(SpyPlugin())


def test_no_test_row_reaches_a_plugin_through_any_pipeline(spy_reg, tmp_path):
    data = prepare(id_data())
    split = data.split(0, 0.2)
    Spy.train = set(split.train)
    Spy.calls = []
    names = ["spy", "spy+spy-pre", "spy+spy-in", "spy+spy-post", "rb-prob+spy-pre"]
    result = compare("ids", interventions=names, seeds=1, budgets=[0, 15], learner="logreg", tune=False, jobs=1,
                     registry=spy_reg, output=tmp_path, write=False, validation_fraction=0.2)
    assert (result.cells["status"] == "ok").all(), result.cells[["intervention", "message"]]
    Z = data.scoring_space(split.train)
    train_rows = {tuple(r) for r in Z[split.train]}
    for call in Spy.calls:
        if call[0] == "score":
            view = call[1]
            for rows in (view.candidates, view.collective, view.majority):
                assert {tuple(r) for r in rows} <= train_rows
        elif call[0].startswith("fit"):
            assert len(call[2]) == len(split.train)  # y of the training rows (pre, in: rows checked in fit)
        else:  # predict: rows the object was not fitted on, only once fitted (asserted in predict)
            assert len(call[1]) in (len(split.test), len(split.validation))
    assert {c[0] for c in Spy.calls} == {"score", "fit-pre", "fit-in", "fit-post", "predict-in", "predict-post"}


def test_the_firm_sees_the_flipped_labels_and_post_the_scores_of_a_learner_trained_on_them(spy_reg, tmp_path):
    from fairbench.tasks import Settings, learner_scores

    data = prepare(id_data())
    split = data.split(0, 0.2)
    Spy.train = set(split.train)
    Spy.calls = []
    result = compare("ids", interventions=["spy+spy-post", "spy-post", "spy+spy-in"], seeds=1, budgets=[10],
                     learner="logreg", tune=False, jobs=1, registry=spy_reg, output=tmp_path, write=False,
                     validation_fraction=0.2, grid={"spy-post": [0.0], "spy-in": [0.0]})
    assert (result.cells["status"] == "ok").all(), result.cells[["intervention", "message"]]
    y = data.y[split.train]
    fits = [c for c in Spy.calls if c[0] in ("fit-post", "fit-in")]
    flipped = [c for c in fits if not np.array_equal(c[2], y)]
    assert len(fits) == 3 and len(flipped) == 2  # the pipelines' firm methods saw the collective's labels
    for _, _, y_seen in flipped:
        changed = np.flatnonzero(y_seen != y)
        assert len(changed) == 10 and (y[changed] == 0).all() and (data.a[split.train][changed] == 1).all()
    y_flipped = flipped[0][2]
    settings = Settings(learner="logreg", validation_fraction=0.2)
    expected, _ = learner_scores(data, split, y_flipped, settings)
    baseline, _ = learner_scores(data, split, y, settings)
    post_fits = [c for c in Spy.calls if c[0] == "fit-post"]
    pipeline_fit = next(c for c in post_fits if not np.array_equal(c[2], y))
    single_fit = next(c for c in post_fits if np.array_equal(c[2], y))
    np.testing.assert_array_equal(pipeline_fit[1], expected["holdout"])  # out-of-fold, on the flipped labels
    np.testing.assert_array_equal(single_fit[1], baseline["holdout"])
    assert not np.array_equal(expected["holdout"], baseline["holdout"])
    post_predicts = [c[1] for c in Spy.calls if c[0] == "predict-post"]
    assert any(np.array_equal(p, expected["test"]) for p in post_predicts)
    assert any(np.array_equal(p, baseline["test"]) for p in post_predicts)


def test_collective_model_reaches_the_strategy_inside_a_pipeline(tmp_path):
    """--collective-model applies to a pipeline's user part: its keys change and the column names it."""
    from fairbench.runner import compare

    kw = dict(dataset="german", interventions=["rb-prob+threshold-optimizer"], seeds=1, budgets=[0, 20], jobs=1,
              quiet=True, write=False, cache=False)
    default = compare(output=tmp_path / "hgb", **kw)
    other = compare(output=tmp_path / "logreg", collective_model="logreg", **kw)
    pipe = other.cells["intervention"] == "rb-prob+threshold-optimizer"
    assert set(other.cells.loc[pipe, "collective_model"]) == {"logreg"}
    assert set(other.cells.loc[pipe, "key"]).isdisjoint(default.cells["key"])
