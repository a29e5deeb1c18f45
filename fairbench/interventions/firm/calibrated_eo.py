"""Calibrated equalized odds (Pleiss et al. 2017) through holisticai, on the learner's scores.

Stage ``post``.  holisticai's ``CalibratedEqualizedOdds`` is fitted on the held-out scores.  It
equalises ONE generalised cost between the groups, ``cost_constraint``:

* ``"fnr"`` (holisticai's default): the generalised false-negative rate, mean(1 - score | y = 1);
* ``"fpr"``: the generalised false-positive rate, mean(score | y = 0);
* ``"weighted"``: (1 - r)·GFPR + r·GFNR with r the group's base rate (or ``alpha`` when given).
  AIF360's ``CalibratedEqOddsPostprocessing(cost_constraint="weighted")`` writes it as
  ½[(1 - r)·GFPR + r·GFNR] (fp and fn weights 1, normalised by their sum) and has no ``alpha``;
  the factor ½ cancels in the mixing rates, so both libraries mix the same share of rows (a test
  checks every cost against AIF360 on identical scores).

The group with the lower cost has a share ``mix rate`` of its scores replaced by its base rate,
chosen so that its cost rises to the other group's; the mixed scores are then thresholded.  When
even replacing ALL of a group's scores cannot raise its cost that far, the fitted rate exceeds 1:
the method's target is infeasible and every row of that group gets the base rate (COMPAS under
``fnr``: the majority's rate is 1.34-1.85 over 10 seeds in results/compas/firm-paper/cells.csv; its
base rate is above 0.5, so the whole group becomes positive, and EqOd grows).
Every cell records both fitted rates (``ceo_mix_rate_a1`` / ``ceo_mix_rate_a0``) and
``ceo_infeasible`` (a rate above 1).

Two intervention names trace two honest fronts of the same fitted method:

``calibrated-eo``, knob ``mix`` in [0, 1]: between the learner and the faithful method.  Each row
    independently (seeded by ``random_state``) takes the method's decision with probability
    ``mix``, otherwise the learner's own ``score >= 0.5``.  The row draws do not depend on ``mix``,
    so the adjusted rows at a smaller mix are a subset of those at a larger one.
``calibrated-eo-threshold``, knob ``threshold``: the full method (mix 1) with the decision
    threshold applied after mixing swept from 0.05 to 0.95.  Both holisticai and AIF360 fix it at
    0.5; sweeping it reaches the constant classifiers at both ends, which is where the paper's
    Figure 7 shows calibrated EO at about 0 EqOd (at large error).

The method's own randomisation is reseeded on every ``predict`` call: the output is a function of
(scores, a, knob, random_state).  ``decision`` says how a row whose score was replaced by its
group's base rate becomes 0/1: ``"threshold"`` (default, holisticai's own ``y_pred``, as the paper
used it) compares the base rate with the threshold, so all such rows of a group get the same
decision; ``"sample"`` follows Pleiss et al.'s reading of the trivial classifier as a probability:
such a row is positive with probability equal to the base rate (seeded).
"""
from __future__ import annotations

import numpy as np

from fairbench.contract import Intervention
from fairbench.errors import UserInputError
from fairbench.hookspecs import hookimpl
from fairbench.interventions.firm._common import (
    HOLISTICAI_HINT,
    HOLISTICAI_MODULES,
    binary,
    check_choice,
    check_knob,
    check_seed,
    groups,
    require_cells,
    scores_vector,
)

NAME = "calibrated-eo"
THRESHOLD_NAME = "calibrated-eo-threshold"
GRID = (0.0, 0.25, 0.5, 0.75, 1.0)
THRESHOLD_GRID = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
COST_CONSTRAINTS = ("fnr", "fpr", "weighted")
DECISIONS = ("threshold", "sample")
THRESHOLD = 0.5
_MIX_STREAM = 1  # seed streams of the per-row mixing and sampling draws, distinct from holisticai's
_SAMPLE_STREAM = 2


class CalibratedEO:
    """``fit(scores, y, a)`` on held-out scores; ``predict(scores, a)`` gives 0/1 decisions."""

    def __init__(self, mix: float = 1.0, random_state: int = 0, cost_constraint: str = "fnr",
                 alpha: float | None = None, decision: str = "threshold", threshold: float = THRESHOLD):
        self.mix = check_knob("mix", mix, 0.0, 1.0)
        self.threshold = check_knob("threshold", threshold, 0.0, 1.0)
        self.random_state = check_seed(random_state)
        self.cost_constraint = check_choice("cost_constraint", cost_constraint, COST_CONSTRAINTS)
        self.alpha = None if alpha is None else check_knob("alpha", alpha, 0.0, 1.0)
        self.decision = check_choice("decision", decision, DECISIONS)

    def fit(self, scores, y, a) -> "CalibratedEO":
        from holisticai.bias.mitigation import CalibratedEqualizedOdds

        scores = scores_vector(scores)
        y = binary(y, "y", len(scores))
        a = binary(a, "a", len(scores))
        require_cells(y, a, NAME)
        group_a, group_b = groups(a)
        self.model_ = CalibratedEqualizedOdds(cost_constraint=self.cost_constraint, alpha=self.alpha,
                                              seed=self.random_state)
        self.model_.fit(y, _proba(scores), group_a, group_b)
        # holisticai's share of each group's scores replaced by the base rate (> 1 means "all")
        rates = (float(self.model_.a_mix_rate), float(self.model_.b_mix_rate))
        self.extra_metrics = {"ceo_mix_rate_a1": rates[0], "ceo_mix_rate_a0": rates[1],
                              "ceo_infeasible": bool(max(rates) > 1.0)}
        return self

    def predict(self, scores, a) -> np.ndarray:
        if not hasattr(self, "model_"):
            raise UserInputError("this CalibratedEO is not fitted yet; call fit(scores, y, a) first")
        scores = scores_vector(scores)
        a = binary(a, "a", len(scores))
        original = (scores >= THRESHOLD).astype(np.int64)
        group_a, group_b = groups(a)
        # holisticai keeps one RandomState on the object and draws from it in every transform;
        # reseed it so that repeated predictions on the same rows agree.
        self.model_.random_state = np.random.RandomState(self.random_state)
        out = self.model_.transform(original, _proba(scores), group_a, group_b, self.threshold)
        adjusted = np.asarray(out["y_pred"]).astype(np.int64)
        if self.decision == "sample":
            new_scores = np.asarray(out["y_score"], dtype=np.float64)
            replaced = new_scores != scores
            draw = np.random.default_rng([self.random_state, _SAMPLE_STREAM]).random(len(scores))
            adjusted = np.where(replaced, (draw < new_scores).astype(np.int64), adjusted)
        use = np.random.default_rng([self.random_state, _MIX_STREAM]).random(len(scores)) < self.mix
        return np.where(use, adjusted, original)


def _proba(scores: np.ndarray) -> np.ndarray:
    return np.column_stack([1.0 - scores, scores])


def make(knob=1.0, random_state=0, **params) -> CalibratedEO:
    return CalibratedEO(mix=1.0 if knob is None else knob, random_state=random_state, **params)


def make_threshold(knob=THRESHOLD, random_state=0, **params) -> CalibratedEO:
    return CalibratedEO(mix=1.0, threshold=THRESHOLD if knob is None else knob, random_state=random_state, **params)


@hookimpl
def fairbench_register_interventions(register):
    register(Intervention(
        name=NAME, stage="post", knob="mix", grid=GRID, make=make,
        description="calibrated equalized odds (holisticai) on the learner's probabilities; knob mix = "
                    "share of rows given the adjusted decision (0 = learner, 1 = full method)",
        requires=HOLISTICAI_MODULES, install_hint=HOLISTICAI_HINT, version="2",
    ))
    register(Intervention(
        name=THRESHOLD_NAME, stage="post", knob="threshold", grid=THRESHOLD_GRID, make=make_threshold,
        description="calibrated equalized odds (holisticai), full method; knob threshold = decision "
                    "threshold applied after mixing (0.5 = the library's; the ends reach the constant classifiers)",
        requires=HOLISTICAI_MODULES, install_hint=HOLISTICAI_HINT,
    ))
