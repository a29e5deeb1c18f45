"""Relaxed equalized-odds post-processing (Cruz & Hardt) through the ``error-parity`` package.

Stage ``post``.  ``error_parity.RelaxedThresholdOptimizer`` finds, on the held-out scores, the
group-specific (randomised) thresholds of least error whose group-wise ROC points lie within
``tolerance`` of each other (l-infinity distance: both the TPR gap and the FPR gap are at most
``tolerance``).  Knob ``tolerance``: 0 is exact equalized odds (like fairlearn's
ThresholdOptimizer), 1 leaves the constraint inactive (each group's own error-minimising
threshold), so the grid traces a front from the learner down to exact equalized odds, which
fairlearn's ThresholdOptimizer (a single point) cannot.

Determinism: error-parity draws its randomised decisions from generators it creates at fit time
(and, for ROC points strictly inside the hull, from NumPy's global RNG).  ``predict`` therefore
works on a copy of the fitted object and seeds the global RNG with the cell's seed for the call
(restoring its previous state), so repeated predictions agree and the caller's RNG is untouched.
"""
from __future__ import annotations

import copy

import numpy as np

from fairbench.contract import Intervention
from fairbench.errors import UserInputError
from fairbench.hookspecs import hookimpl
from fairbench.interventions.firm._common import (
    binary,
    check_knob,
    check_seed,
    require_cells,
    scores_vector,
)

NAME = "relaxed-eo"
GRID = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 1.0)
REQUIRES = ("error_parity", "cvxpy")
INSTALL_HINT = 'pip install "fairbench-collective[error-parity]"'


def score_column(X) -> np.ndarray:
    """The 'predictor' error-parity wraps: the score is the only input column."""
    return np.asarray(X, dtype=np.float64)[:, 0]


class RelaxedEqualizedOdds:
    """``fit(scores, y, a)`` on held-out scores; ``predict(scores, a)`` gives 0/1 decisions."""

    def __init__(self, tolerance: float = 0.0, random_state: int = 0, false_pos_cost: float = 1.0,
                 false_neg_cost: float = 1.0, max_roc_ticks: int = 1000):
        self.tolerance = check_knob("tolerance", tolerance, 0.0, 1.0)
        self.random_state = check_seed(random_state)
        self.false_pos_cost = check_knob("false_pos_cost", false_pos_cost, 0.0, low_open=True)
        self.false_neg_cost = check_knob("false_neg_cost", false_neg_cost, 0.0, low_open=True)
        self.max_roc_ticks = check_knob("max_roc_ticks", max_roc_ticks, 2, integer=True)

    def fit(self, scores, y, a) -> "RelaxedEqualizedOdds":
        from error_parity import RelaxedThresholdOptimizer

        scores = scores_vector(scores)
        y = binary(y, "y", len(scores))
        a = binary(a, "a", len(scores))
        require_cells(y, a, NAME)
        self.model_ = RelaxedThresholdOptimizer(
            predictor=score_column, constraint="equalized_odds", tolerance=self.tolerance,
            false_pos_cost=self.false_pos_cost, false_neg_cost=self.false_neg_cost,
            max_roc_ticks=self.max_roc_ticks, seed=self.random_state,
        )
        self.model_.fit(scores[:, None], y, group=a, y_scores=scores)
        self.extra_metrics = {"holdout_eo_violation": float(self.model_.equalized_odds_violation())}
        return self

    def predict(self, scores, a) -> np.ndarray:
        if not hasattr(self, "model_"):
            raise UserInputError("this RelaxedEqualizedOdds is not fitted yet; call fit(scores, y, a) first")
        scores = scores_vector(scores)
        a = binary(a, "a", len(scores))
        model = copy.deepcopy(self.model_)  # fresh copies of the generators error-parity drew at fit
        state = np.random.get_state()
        np.random.seed(self.random_state)
        try:
            pred = model.predict(scores[:, None], group=a)
        finally:
            np.random.set_state(state)
        return np.asarray(pred).astype(np.int64)


def make(knob=0.0, random_state=0, **params) -> RelaxedEqualizedOdds:
    return RelaxedEqualizedOdds(tolerance=0.0 if knob is None else knob, random_state=random_state, **params)


@hookimpl
def fairbench_register_interventions(register):
    register(Intervention(
        name=NAME, stage="post", knob="tolerance", grid=GRID, make=make,
        description="relaxed equalized-odds post-processing (error-parity, Cruz & Hardt) on the learner's "
                    "probability; knob tolerance = allowed l-inf gap between the groups' ROC points "
                    "(0 = exact equalized odds, 1 = unconstrained)",
        requires=REQUIRES, install_hint=INSTALL_HINT,
    ))
