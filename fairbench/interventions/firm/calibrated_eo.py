"""Calibrated equalized odds (Pleiss et al. 2017) through holisticai, on the learner's scores.

Stage ``post``.  holisticai's ``CalibratedEqualizedOdds`` (default ``cost_constraint="fnr"``)
is fitted on the held-out scores; at prediction time it replaces, for the group with the lower
cost, a random share of the scores by that group's base rate and thresholds at 0.5.

Knob ``mix`` in [0, 1] traces the front between the learner and the full method: each row
independently (seeded by ``random_state``) takes the adjusted decision with probability
``mix``, otherwise the learner's own decision ``score >= 0.5``.  The row draws do not depend on
``mix``, so the adjusted rows at a smaller mix are a subset of those at a larger one, and the
method's own randomisation is reseeded on every ``predict`` call: the output is a function of
(scores, a, mix, random_state).

``decision`` says how a row whose score holisticai replaced by its group's base rate becomes a
0/1 decision.  ``"threshold"`` (default, holisticai's own ``y_pred``, as the paper used it)
compares the base rate with 0.5, so all such rows of a group get the same decision: when that
group's base rate is at least 0.5 (e.g. COMPAS, favourable = no recidivism) they all become
positive and EqOd grows with ``mix`` instead of shrinking.  ``"sample"`` follows Pleiss et al.'s
reading of the trivial classifier as a probability: such a row is positive with probability
equal to the base rate (seeded); rows holisticai left alone keep ``score >= 0.5``.
"""
from __future__ import annotations

import numpy as np

from fairbench.contract import Intervention
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
GRID = (0.0, 0.25, 0.5, 0.75, 1.0)
COST_CONSTRAINTS = ("fnr", "fpr", "weighted")
DECISIONS = ("threshold", "sample")
THRESHOLD = 0.5
_MIX_STREAM = 1  # seed streams of the per-row mixing and sampling draws, distinct from holisticai's
_SAMPLE_STREAM = 2


class CalibratedEO:
    """``fit(scores, y, a)`` on held-out scores; ``predict(scores, a)`` gives 0/1 decisions."""

    def __init__(self, mix: float = 1.0, random_state: int = 0, cost_constraint: str = "fnr",
                 alpha: float | None = None, decision: str = "threshold"):
        self.mix = check_knob("mix", mix, 0.0, 1.0)
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
        self.extra_metrics = {"ceo_mix_rate_a1": float(self.model_.a_mix_rate),
                              "ceo_mix_rate_a0": float(self.model_.b_mix_rate)}
        return self

    def predict(self, scores, a) -> np.ndarray:
        if not hasattr(self, "model_"):
            raise ValueError("this CalibratedEO is not fitted yet; call fit(scores, y, a) first")
        scores = scores_vector(scores)
        a = binary(a, "a", len(scores))
        original = (scores >= THRESHOLD).astype(np.int64)
        group_a, group_b = groups(a)
        # holisticai keeps one RandomState on the object and draws from it in every transform;
        # reseed it so that repeated predictions on the same rows agree.
        self.model_.random_state = np.random.RandomState(self.random_state)
        out = self.model_.transform(original, _proba(scores), group_a, group_b, THRESHOLD)
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


@hookimpl
def fairbench_register_interventions(register):
    register(Intervention(
        name=NAME, stage="post", knob="mix", grid=GRID, make=make,
        description="calibrated equalized odds (holisticai) on the learner's probabilities; knob mix = "
                    "share of rows given the adjusted decision (0 = learner, 1 = full method)",
        requires=HOLISTICAI_MODULES, install_hint=HOLISTICAI_HINT,
    ))
