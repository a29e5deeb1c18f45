"""The notes a firm table and the leaderboard print beside a method's numbers."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd

from fairbench.method_notes import method_notes


def _cells():
    rows = []
    for seed in range(4):
        for knob in (0.0, 1.0):
            rows.append({"intervention": "calibrated-eo", "seed": seed, "status": "ok",
                         "ceo_infeasible": seed < 3, "oracle_learner": np.nan})
        rows.append({"intervention": "reductions-eg", "seed": seed, "status": "ok", "ceo_infeasible": np.nan,
                     "oracle_learner": "HistGradientBoostingClassifier(max_iter=20, max_leaf_nodes=8)"})
        rows.append({"intervention": "baseline", "seed": seed, "status": "ok", "ceo_infeasible": np.nan,
                     "oracle_learner": np.nan})
    return pd.DataFrame(rows)


def test_notes_count_infeasible_seeds_and_name_the_oracle():
    notes = method_notes(_cells())
    assert notes == {
        "calibrated-eo": "infeasible target (mixing rate > 1) in 3/4 seeds",
        "reductions-eg": "oracle HistGradientBoostingClassifier(max_iter=20, max_leaf_nodes=8)",
    }


def test_notes_survive_a_csv_round_trip_and_ignore_failed_cells():
    cells = _cells()
    cells.loc[cells["seed"] == 0, "status"] = "error"
    back = pd.read_csv(io.StringIO(cells.to_csv(index=False)))
    assert method_notes(back)["calibrated-eo"] == "infeasible target (mixing rate > 1) in 2/3 seeds"
    feasible = cells.assign(ceo_infeasible=cells["ceo_infeasible"].map(lambda v: False if v is True else v))
    assert "calibrated-eo" not in method_notes(feasible)
    assert method_notes(cells.drop(columns=["ceo_infeasible", "oracle_learner"])) == {}
