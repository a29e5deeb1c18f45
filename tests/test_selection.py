"""Operating points are chosen on validation and reported on test (fairbench.selection)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fairbench.selection import choose_knobs, operating_points


def cells(rows):
    cols = ["intervention", "side", "seed", "knob_value", "val_error", "val_eqod", "error", "eqod"]
    frame = pd.DataFrame(rows, columns=cols)
    return frame.assign(status="ok", eqod_max=frame["eqod"], sp=frame["eqod"], n_flips=frame["knob_value"])


ROWS = [
    ["baseline", "baseline", 0, 0, 0.200, 0.100, 0.21, 0.11],
    ["m", "user", 0, 0, 0.200, 0.100, 0.21, 0.11],
    ["m", "user", 0, 10, 0.204, 0.060, 0.22, 0.07],   # within +0.005
    ["m", "user", 0, 20, 0.209, 0.030, 0.22, 0.01],   # within +0.01
    ["m", "user", 0, 40, 0.300, 0.010, 0.31, 0.00],   # far out: only eps targets may pick it
]


def test_targets_pick_on_validation_and_report_test():
    ops = operating_points(cells(ROWS)).set_index(["intervention", "target"])
    m = ops.loc["m"]
    assert m.loc["eqod@error<=base+0.005", "knob_value"] == 10 and m.loc["eqod@error<=base+0.005", "eqod"] == 0.07
    assert m.loc["eqod@error<=base+0.01", "knob_value"] == 20 and m.loc["eqod@error<=base+0.01", "eqod"] == 0.01
    assert m.loc["eqod@error<=base+0.02", "knob_value"] == 20
    assert m.loc["error@eqod<=0.02", "knob_value"] == 40 and m.loc["error@eqod<=0.02", "error"] == 0.31
    assert m.loc["error@eqod<=0.05", "knob_value"] == 20   # lowest validation error with EqOd <= 0.05
    assert ops.loc[("baseline", "eqod@error<=base+0.005"), "knob_value"] == 0


def test_not_attainable_is_recorded_not_a_number():
    ops = operating_points(cells(ROWS)).set_index(["intervention", "target"])
    b = ops.loc[("baseline", "error@eqod<=0.02")]
    assert not b["attainable"] and np.isnan(b["knob_value"]) and np.isnan(b["error"])


def test_choice_reads_no_test_column():
    frame = cells(ROWS)
    with pytest.raises(KeyError):  # choose_knobs takes validation columns only
        choose_knobs(frame.drop(columns=["val_eqod"]))
    a = choose_knobs(frame)
    b = choose_knobs(frame.assign(error=np.random.default_rng(0).random(len(frame)), eqod=0.5))
    pd.testing.assert_frame_equal(a, b)


def test_no_validation_metrics_gives_no_operating_points():
    frame = cells(ROWS).assign(val_error=np.nan, val_eqod=np.nan)
    assert operating_points(frame).empty
    assert operating_points(frame.drop(columns=["val_error", "val_eqod"])).empty


def test_shuffled_test_labels_do_not_change_the_chosen_knobs(firm_registry, tmp_path, monkeypatch):
    """End to end through the harness: permute every cell's test labels before it is scored."""
    from fairbench import tasks
    from fairbench.runner import compare

    common = dict(dataset="toy-small", interventions=["rb-prob", "group-threshold"], seeds=2, learner="logreg",
                  tune=False, jobs=1, budgets=[0, 10, 40], registry=firm_registry, write=False,
                  validation_fraction=0.3, cache=False)  # the monkeypatch below changes no key: no cache
    honest = operating_points(compare(output=tmp_path / "honest", **common).cells)

    original = tasks.scored

    def shuffled(data, split, pred_test, pred_val=None, *metrics):
        y = data.y.copy()
        y[split.test] = np.random.default_rng(split.seed).permutation(y[split.test])
        return original(type(data)(data.name, data.X, data.a, y, data.columns, data.categorical, data.sensitive,
                                   data.is_test), split, pred_test, pred_val, *metrics)

    monkeypatch.setattr(tasks, "scored", shuffled)
    permuted = compare(output=tmp_path / "shuffled", **common)
    ops = operating_points(permuted.cells)
    key = ["intervention", "seed", "target"]
    a, b = honest.sort_values(key).reset_index(drop=True), ops.sort_values(key).reset_index(drop=True)
    assert len(a) == 3 * 2 * 5 and a["attainable"].any()
    pd.testing.assert_series_equal(a["knob_value"], b["knob_value"])
    assert not np.allclose(a["eqod"].fillna(0), b["eqod"].fillna(0))  # the test values did change
