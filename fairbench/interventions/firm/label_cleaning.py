"""Label cleaning: flip the training labels that confident learning flags as label issues.

A firm-side defence against manipulated labels (a collective's flips are label noise to the firm):
confident learning (Northcutt, Jiang & Chuang, "Confident Learning: Estimating Uncertainty in
Dataset Labels", JAIR 2021) through cleanlab, used as its authors intend.  Stage ``pre``, through
the contract's ``relabel``: the harness trains the firm's learner on the cleaned labels and
records how many changed in ``n_flips``; ``transform`` leaves the features as they are.

``fit(X, y, a)``:

1. out-of-sample probabilities for every training row, by cleanlab's
   ``count.estimate_cv_predicted_probabilities`` (``CV_FOLDS`` stratified folds, shuffled with the
   cell's seed) with a clone of the firm's learner, which the harness passes to ``make`` as
   ``learner`` (built directly without one, it is HistGradientBoosting seeded with
   ``random_state``, the default learner);
2. ``cleanlab.filter.find_label_issues(y, probabilities, filter_by="prune_by_noise_rate",
   frac_noise=knob)``: cleanlab's confident joint estimates how many rows of each given label
   truly belong to the other one; among the rows with given label g it flags ``frac_noise`` x that
   estimate (rounded), those with the largest margin P(1-g | x) - P(g | x), and keeps none whose
   predicted label is g.

``relabel`` returns y with the flagged rows flipped; ``flagged_`` is the boolean mask over the
training rows, from which the harness records the cell's ``n_flagged`` (and, in a pipeline,
``n_flipped_flagged``: the collective's flipped rows among them; ``fairbench.stages``).  The sensitive attribute plays no
part: cleaning is group-blind.  Knob ``frac_noise`` in (0, 1]: 1 is cleanlab's default (every
confidently estimated issue), smaller values flag only the most confident share, so the grid
traces the front from nearly the plain learner to full cleaning.

The probabilities do not depend on the knob, so they are computed once per seed and training
set and kept in a small LRU cache (``_PROBABILITIES``, keyed by the content of (X, y), the seed
and the learner's parameters): the first cell of a seed pays ``CV_FOLDS`` learner fits.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from fairbench.contract import Intervention
from fairbench.errors import UserInputError
from fairbench.hookspecs import hookimpl
from fairbench.interventions.firm._common import (
    FitCache, check_knob, check_seed, clone_learner, fingerprint, fit_inputs, learner_key,
)

NAME = "label-cleaning"
CLEANLAB_MODULES = ("cleanlab",)
CLEANLAB_HINT = 'pip install "fairbench-collective[cleanlab]"'
GRID = (0.25, 0.5, 0.75, 1.0)
DEFAULT_FRAC_NOISE = 1.0  # cleanlab's default
CV_FOLDS = 5  # cleanlab's default cv_n_folds
_PROBABILITIES = FitCache(4)


def clear_cache() -> None:
    """Forget every cached set of out-of-sample probabilities (tests; or to free memory)."""
    _PROBABILITIES.clear()


def default_learner(random_state: int):
    from fairbench.learners import make_learner

    return make_learner("hgb", random_state)


class LabelCleaning:
    """``fit`` flags label issues; ``relabel`` flips them; ``transform`` is the identity."""

    def __init__(self, frac_noise: float = DEFAULT_FRAC_NOISE, random_state: int = 0, learner: Any = None):
        self.frac_noise = check_knob("frac_noise", frac_noise, 0.0, 1.0, low_open=True)
        self.random_state = check_seed(random_state)
        self.learner = learner

    def fit(self, X, y, a) -> "LabelCleaning":
        from cleanlab.filter import find_label_issues

        X, y, a = fit_inputs(X, y, a)
        counts = np.bincount(y, minlength=2)
        if counts.min() < CV_FOLDS:
            raise UserInputError(f"{NAME} needs at least {CV_FOLDS} training rows of each label (one per "
                                 f"cross-validation fold); got {counts[0]} with y=0 and {counts[1]} with y=1")
        learner = clone_learner(self.learner if self.learner is not None else default_learner(self.random_state),
                                self.random_state)
        key = (fingerprint(X, y), self.random_state, learner_key(learner), CV_FOLDS)
        probabilities, _ = _PROBABILITIES.get(key, lambda: self._probabilities(X, y, learner))
        self.flagged_ = np.asarray(find_label_issues(y, probabilities, filter_by="prune_by_noise_rate",
                                                     frac_noise=self.frac_noise, n_jobs=1), dtype=bool)
        self.labels_ = np.where(self.flagged_, 1 - y, y)
        self.y_fingerprint_ = fingerprint(y)
        return self

    def _probabilities(self, X: np.ndarray, y: np.ndarray, learner) -> np.ndarray:
        from cleanlab.count import estimate_cv_predicted_probabilities

        return estimate_cv_predicted_probabilities(X, y, clf=learner, cv_n_folds=CV_FOLDS, seed=self.random_state)

    def relabel(self, X, y, a) -> np.ndarray:
        if not hasattr(self, "flagged_"):
            raise UserInputError(f"this {NAME} object is not fitted yet; call fit(X, y, a) first")
        _, y, _ = fit_inputs(X, y, a)
        if len(y) != len(self.flagged_) or fingerprint(y) != self.y_fingerprint_:
            raise UserInputError(f"{NAME} relabels the training rows it was fitted on; relabel got other labels")
        return self.labels_.copy()

    def transform(self, X, a) -> np.ndarray:
        return np.asarray(X, dtype=np.float64)


def make(knob=DEFAULT_FRAC_NOISE, random_state=0, learner=None, **params) -> LabelCleaning:
    return LabelCleaning(DEFAULT_FRAC_NOISE if knob is None else knob, random_state, learner=learner, **params)


@hookimpl
def fairbench_register_interventions(register):
    register(Intervention(
        name=NAME, stage="pre", knob="frac_noise", grid=GRID, make=make,
        description="cleanlab confident learning: flip the training labels flagged as label issues "
                    "(out-of-fold probabilities of the firm's learner); knob frac_noise = share of the "
                    "estimated issues flagged",
        requires=CLEANLAB_MODULES, install_hint=CLEANLAB_HINT,
        # A defence against manipulated labels: a compare run trains firm methods on labels no one
        # flipped, where it only removes the learner's disagreements; it also costs CV_FOLDS fits.
        in_default_run=False,
        cost=2.5,  # five cross-validation fits per seed, shared by its four cells, plus one fit per cell
    ))
