"""k-NN situation testing as a user-side strategy, registered through fairbench's hook.

Luong, Ruggieri and Turini ("k-NN as an implementation of situation testing for discrimination
discovery and prevention", KDD 2011; reference [7] of the paper) compare an individual of the
protected group with negative decision against its k nearest neighbours *in the protected group*
and its k nearest neighbours *in the unprotected group*: the gap

    diff(x) = p_protected(x) - p_unprotected(x),

where p is the share of negative decisions in each neighbourhood, measures how much the decision
looks like discrimination, and relabeling the individuals with the largest gap prevents it.

As a collective's strategy it ranks the collective's candidates (members with y = 0) by the same
gap written with favourable rates, ``rate(majority neighbours) - rate(collective neighbours)``:
a candidate whose look-alikes in the majority mostly got y = 1 while its look-alikes in the
minority mostly got y = 0 is flipped first.  The minority neighbourhood can only use rows the
collective knows, its own members (the candidate itself excluded); the majority neighbourhood uses
the majority rows the collective knows, as RB-label does.  RB-label (Eq. 8) is the special case
that ignores the minority neighbourhood.  Distances are Euclidean in the harness's scoring space
(standardised, one-hot, sensitive attribute excluded) rather than the paper's mixed-attribute
distance; k is tuned on validation over the same grid as RB-label.  Only collective members are
relabeled: the harness flips the top-M candidates, and every candidate is a collective member.
"""
from __future__ import annotations

import numpy as np

from fairbench import CollectiveView, Intervention, hookimpl
from fairbench.errors import UserInputError

DEFAULT_K = 10
K_GRID = (5, 15, 50)


def _favourable_rate(reference: np.ndarray, reference_y: np.ndarray, queries: np.ndarray, k: int,
                     exclude_self: bool) -> np.ndarray:
    """Share of y=1 among each query's k nearest reference rows.

    With ``exclude_self`` the queries are rows of ``reference`` with y=0 (the candidates within the
    collective): the first neighbour at distance 0 with y=0 is the query itself and is left out.
    A query with no neighbour left gets rate 0 (no evidence of favourable look-alikes).
    """
    from sklearn.neighbors import NearestNeighbors

    n_query = min(k + 1 if exclude_self else k, len(reference))
    if n_query == 0:
        return np.zeros(len(queries))
    distances, neighbours = NearestNeighbors(n_neighbors=n_query).fit(reference).kneighbors(queries)
    labels = reference_y[neighbours].astype(float)
    keep = np.ones(labels.shape, dtype=bool)
    if exclude_self:
        is_self = (distances == 0) & (labels == 0)
        found = is_self.any(axis=1)
        drop = np.where(found, is_self.argmax(axis=1), n_query - 1)
        rows = found | (n_query == k + 1)  # without a self match, drop the (k+1)-th neighbour only
        keep[np.flatnonzero(rows), drop[rows]] = False
    counts = keep.sum(axis=1)
    return np.where(counts > 0, (labels * keep).sum(axis=1) / np.maximum(counts, 1), 0.0)


class SituationTesting:
    """Score = favourable rate of the k nearest majority rows minus that of the k nearest other collective members."""

    def __init__(self, k: int = DEFAULT_K):
        self.k = k

    def score(self, view: CollectiveView) -> np.ndarray:
        if isinstance(self.k, bool) or not isinstance(self.k, (int, np.integer)) or self.k < 1:
            raise UserInputError(f"situation-testing: k must be a positive integer, got {self.k!r}")
        if len(view.majority) == 0:
            raise UserInputError("situation-testing needs at least one known majority row")
        if len(view.candidates) == 0:
            return np.zeros(0)
        majority = _favourable_rate(view.majority, np.asarray(view.majority_y), view.candidates, self.k, exclude_self=False)
        minority = _favourable_rate(view.collective, np.asarray(view.collective_y), view.candidates, self.k, exclude_self=True)
        return majority - minority


def make(knob=None, random_state=0, k=DEFAULT_K, **params):
    return SituationTesting(k)


@hookimpl
def fairbench_register_interventions(register):
    register(Intervention(
        name="situation-testing", stage="labels", knob="budget", grid=(), make=make, tune={"k": K_GRID},
        description="rank candidates by favourable rate of the k nearest majority rows minus that of the k nearest "
                    "collective members (Luong et al. 2011 k-NN situation testing)",
    ))
