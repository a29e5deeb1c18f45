"""On real Adult with 3 seeds, RB-prob at a default budget lowers SP clearly below the baseline."""
import numpy as np
import pytest

from fairbench.runner import DEFAULT_BUDGET_FRACTIONS, compare


@pytest.mark.slow
def test_rb_prob_lowers_sp_on_adult_and_records_every_budget(tmp_path):
    result = compare(dataset="adult", interventions=["rb-prob"], seeds=3, output=tmp_path, jobs=2, write=False)
    cells = result.cells
    assert (cells["status"] == "ok").all()
    user = cells[cells.intervention == "rb-prob"]
    budgets = sorted(user.knob_value.unique())
    assert len(budgets) == len(DEFAULT_BUDGET_FRACTIONS)
    # every budget has an EqOd for every seed: the EqOd-vs-flips curve is complete
    assert user.groupby("knob_value").eqod.count().eq(3).all()
    assert np.isfinite(user.eqod).all()
    front = result.fronts.set_index(["intervention", "knob_value"])
    base_sp = front.loc[("baseline", 0.0), "sp_mean"]
    best_sp = front.loc["rb-prob", "sp_mean"].min()
    assert best_sp < 0.5 * base_sp
