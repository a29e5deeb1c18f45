import numpy as np
import pandas as pd
import pytest

from fairbench.runner import compare

USER = ["random", "rb-prob", "rb-label", "rb-dist"]


def run(registry, tmp_path, **kw):
    kw.setdefault("dataset", "toy")
    kw.setdefault("interventions", USER)
    kw.setdefault("seeds", 2)
    kw.setdefault("budgets", [0, 20, 60])
    kw.setdefault("learner", "logreg")
    return compare(registry=registry, output=tmp_path, **kw)


def test_compare_writes_cells_fronts_and_figures(registry, tmp_path):
    result = run(registry, tmp_path)
    cells = result.cells
    assert set(cells["intervention"]) == {"baseline", *USER}
    assert (cells["status"] == "ok").all(), cells[cells.status != "ok"][["intervention", "message"]]
    assert len(cells) == 2 + 4 * 2 * 3
    for name in ("cells.csv", "fronts.csv", "fronts_eqod.png", "flips_eqod.png", "fronts.txt"):
        assert (tmp_path / name).exists()
    stored = pd.read_csv(tmp_path / "cells.csv")
    assert len(stored) == len(cells)
    # zero flips equals the baseline of the same seed
    for seed in (0, 1):
        base = cells[(cells.intervention == "baseline") & (cells.seed == seed)].iloc[0]
        zero = cells[(cells.intervention == "rb-prob") & (cells.seed == seed) & (cells.knob_value == 0)].iloc[0]
        assert zero["eqod"] == base["eqod"] and zero["n_flips"] == 0


def test_same_command_same_cells_and_rerun_reuses(registry, tmp_path):
    first = run(registry, tmp_path / "a")
    second = run(registry, tmp_path / "b")
    cols = ["intervention", "seed", "knob_value", "error", "eqod", "sp", "n_flips"]
    pd.testing.assert_frame_equal(first.cells[cols], second.cells[cols])
    again = run(registry, tmp_path / "a")
    assert again.computed == 0 and again.reused == len(first.cells)
    pd.testing.assert_frame_equal(first.cells[cols], again.cells[cols])


def test_changed_parameter_never_reuses_a_cell(registry, tmp_path):
    run(registry, tmp_path)
    other = run(registry, tmp_path, alpha=0.5)
    user = other.cells[other.cells.side == "user"]
    assert other.computed == len(user)  # baseline reused, every user-side cell new


def test_budget_above_candidates_is_capped_and_recorded(registry, tmp_path):
    result = run(registry, tmp_path, interventions=["rb-prob"], budgets=[10_000], seeds=1)
    cell = result.cells[result.cells.intervention == "rb-prob"].iloc[0]
    assert cell["budget_capped"] and cell["n_flips"] == cell["n_candidates"] > 0


def test_parallel_equals_serial(registry, tmp_path):
    cols = ["intervention", "seed", "knob_value", "error", "eqod", "sp", "n_flips"]
    serial = run(registry, tmp_path / "s", jobs=1)
    parallel = run(registry, tmp_path / "p", jobs=2)
    pd.testing.assert_frame_equal(serial.cells[cols], parallel.cells[cols])


def test_costliest_tasks_start_first(registry_with, tmp_path):
    """Intervention.cost orders the queue, so a long task is not left running alone at the end."""
    from fairbench import Intervention, hookimpl

    started = []

    class Threshold:
        def fit(self, scores, y, a):
            return self

        def predict(self, scores, a):
            return (np.asarray(scores) >= 0.5).astype(int)

    class Plugin:
        @hookimpl
        def fairbench_register_interventions(self, register):
            for name, cost in (("cheap", 1.0), ("dear", 50.0), ("middling", 5.0)):
                register(Intervention(name=name, stage="post", knob="shift", grid=(0.0,), cost=cost,
                                      make=lambda knob=0.0, random_state=0, name=name, **p:
                                      started.append(name) or Threshold()))

    registry = registry_with(Plugin())
    compare("toy-small", interventions=["cheap", "dear", "middling"], seeds=1, registry=registry, learner="logreg",
            tune=False, jobs=1, output=tmp_path, write=False)
    assert started == ["dear", "middling", "cheap"]
