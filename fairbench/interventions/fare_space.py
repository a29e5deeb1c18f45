"""User-side scoring in FARE's fair representation (paper section 5, Figure 8 and Figure 13).

``rb-prob@fare``, ``rb-label@fare`` and ``rb-dist@fare`` score candidates exactly like
``rb-prob`` / ``rb-label`` / ``rb-dist`` (Eq. 7-9), but after mapping every row the collective
sees into the representation of a FARE tree (:class:`fairbench.fare.FareTree`, paper appendix
C.2: gamma = 0.85, k = 200 cells, n = 100 rows per cell).

What the tree is fitted on.  The collective only sees its own rows and the majority rows it knows
(:class:`~fairbench.contract.CollectiveView`: standardised features with the sensitive column
removed).  So the tree is fitted on those rows only, with

* ``y`` = their labels (the collective's own labels before any flip, the known majority's labels),
* ``s`` = membership: 1 for a collective member (all minority), 0 for a known majority row,

and the split criterion's fairness term balances ``s`` (FARE's demographic-parity criterion,
``metric="dp"``).  In the paper FARE is fitted by the firm on all training rows with the true
sensitive attribute; here it is the collective's own tool, which is what a user-side method can
actually run.  Every row is then represented by its cell's representative point (the
coordinate-wise median of the cell's rows), and the plain scorer runs on those points: k-NN
distances between cell representatives for RB-label / RB-dist, a majority-trained model of
P(y=1 | cell) for RB-prob.  Many rows share a representative, so scores tie often; the harness
breaks ties with a seeded coin, as for every scorer.
"""
from __future__ import annotations

import numpy as np

from fairbench.collective_model import DEFAULT_COLLECTIVE_MODEL
from fairbench.contract import CollectiveView, Intervention
from fairbench.hookspecs import hookimpl
from fairbench.interventions.collective import DEFAULT_K, K_GRID, RBDist, RBLabel, RBProb

FARE_PARAMS = {"gamma": 0.85, "max_leaves": 200, "min_leaf": 100}
SUFFIX = "@fare"


class InFareSpace:
    """Fit a FARE tree on the collective's visible rows, then score with ``scorer`` in its cells."""

    def __init__(self, scorer, gamma: float = 0.85, max_leaves: int = 200, min_leaf: int = 100):
        self.scorer = scorer
        self.gamma = gamma
        self.max_leaves = max_leaves
        self.min_leaf = min_leaf

    def fit_tree(self, view: CollectiveView):
        from fairbench.fare import FareTree

        X = np.vstack([view.majority, view.collective])
        y = np.concatenate([view.majority_y, view.collective_y]).astype(np.int64)
        s = np.concatenate([np.zeros(len(view.majority), np.int64), np.ones(len(view.collective), np.int64)])
        tree = FareTree(gamma=self.gamma, max_leaves=self.max_leaves, min_leaf=self.min_leaf, metric="dp",
                        random_state=view.random_state)
        return tree.fit(X, y, s)

    def transform_view(self, view: CollectiveView) -> CollectiveView:
        tree = self.fit_tree(view)
        return CollectiveView(
            candidates=tree.transform(view.candidates), collective=tree.transform(view.collective),
            collective_y=view.collective_y, majority=tree.transform(view.majority), majority_y=view.majority_y,
            random_state=view.random_state,
        )

    def score(self, view: CollectiveView) -> np.ndarray:
        return self.scorer.score(self.transform_view(view))


def _make(plain):
    def make(knob=None, random_state=0, k=DEFAULT_K, gamma=0.85, max_leaves=200, min_leaf=100, **params):
        return InFareSpace(plain(k), gamma=gamma, max_leaves=max_leaves, min_leaf=min_leaf)

    return make


def _make_rb_prob(knob=None, random_state=0, collective_model=DEFAULT_COLLECTIVE_MODEL, **params):
    """rb-prob@fare's scorer trains the run's collective model (``--collective-model``), as rb-prob's."""
    return _make(lambda k: RBProb(collective_model))(knob, random_state, **params)


MAKERS = {
    "rb-prob": (_make_rb_prob, {}),
    "rb-label": (_make(RBLabel), {"k": K_GRID}),
    "rb-dist": (_make(RBDist), {"k": K_GRID}),
}


@hookimpl
def fairbench_register_interventions(register):
    for name, (make, tune) in MAKERS.items():
        register(Intervention(
            name=name + SUFFIX, stage="labels", knob="budget", grid=(), make=make,
            description=f"{name} computed in the cells of a FARE tree (gamma 0.85, k 200, n 100) fitted on the "
                        "collective's own rows (s=1) and the known majority rows (s=0)",
            params=dict(FARE_PARAMS), tune=tune, in_default_run=False,
        ))
