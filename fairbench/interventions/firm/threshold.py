"""fairlearn's ThresholdOptimizer (Hardt et al. 2016) on the learner's score.

Stage ``post``.  The score is the post-processor's only input: fairlearn gets it as a one-column
X together with a tiny already-fitted estimator whose ``predict`` returns that column
(``prefit=True, predict_method="predict"``), so group-specific (randomised) thresholds are
chosen on the held-out scores to satisfy equalized odds exactly there while maximising
``objective`` (``"accuracy_score"`` by default, or ``"balanced_accuracy_score"``).  Predictions
are randomised with the cell's seed, so repeated calls agree.

Knob: a single point (``knob="none"``, grid ``(0.0,)``).  fairlearn's ``tol`` relaxation is not
available for equalized odds, and the two objectives allowed with it both sit at zero training
violation, so neither traces a fairness tradeoff; the objective is a parameter instead.  (A
front between the learner and this point is the chord obtained by randomly mixing the two, which
adds nothing a reader cannot draw.)
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator

from fairbench.contract import Intervention
from fairbench.errors import UserInputError
from fairbench.hookspecs import hookimpl
from fairbench.interventions.firm._common import (
    FAIRLEARN_HINT,
    FAIRLEARN_MODULES,
    binary,
    check_choice,
    check_seed,
    require_cells,
    scores_vector,
)

NAME = "threshold-optimizer"
OBJECTIVES = ("accuracy_score", "balanced_accuracy_score")
GRID = (0.0,)


class ScoreColumn(BaseEstimator):
    """An already-fitted 'estimator' whose prediction is the score column it is given (X[:, 0])."""

    def fit(self, X, y=None, **kwargs):
        return self

    def predict(self, X):
        return np.asarray(X, dtype=np.float64)[:, 0]

    def __sklearn_is_fitted__(self):
        return True


class ThresholdOptimizerMethod:
    """``fit(scores, y, a)`` on held-out scores; ``predict(scores, a)`` gives 0/1 decisions."""

    def __init__(self, knob: float = 0.0, random_state: int = 0, objective: str = "accuracy_score",
                 grid_size: int = 1000):
        self.random_state = check_seed(random_state)
        self.objective = check_choice("objective", objective, OBJECTIVES)
        self.grid_size = int(grid_size)

    def fit(self, scores, y, a) -> "ThresholdOptimizerMethod":
        from fairlearn.postprocessing import ThresholdOptimizer

        scores = scores_vector(scores)
        y = binary(y, "y", len(scores))
        a = binary(a, "a", len(scores))
        require_cells(y, a, NAME)
        self.model_ = ThresholdOptimizer(
            estimator=ScoreColumn(), constraints="equalized_odds", objective=self.objective,
            grid_size=self.grid_size, prefit=True, predict_method="predict",
        )
        self.model_.fit(scores[:, None], y, sensitive_features=a)
        return self

    def predict(self, scores, a) -> np.ndarray:
        if not hasattr(self, "model_"):
            raise UserInputError("this ThresholdOptimizer is not fitted yet; call fit(scores, y, a) first")
        scores = scores_vector(scores)
        a = binary(a, "a", len(scores))
        pred = self.model_.predict(scores[:, None], sensitive_features=a, random_state=self.random_state)
        return np.asarray(pred).astype(np.int64)


def make(knob=0.0, random_state=0, **params) -> ThresholdOptimizerMethod:
    return ThresholdOptimizerMethod(0.0 if knob is None else knob, random_state, **params)


@hookimpl
def fairbench_register_interventions(register):
    register(Intervention(
        name=NAME, stage="post", knob="none", grid=GRID, make=make,
        description="fairlearn ThresholdOptimizer (equalized odds) on the learner's probability; "
                    "a single operating point (objective='accuracy_score' or 'balanced_accuracy_score')",
        requires=FAIRLEARN_MODULES, install_hint=FAIRLEARN_HINT,
    ))
