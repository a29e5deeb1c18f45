"""The paper's user-side strategies (section 3): scores a minority collective gives its candidates.

Each scorer sees only a :class:`~fairbench.contract.CollectiveView` (the collective's own rows and
the majority rows it knows); a higher score means "more likely favourable as a majority member".
"""
from __future__ import annotations

import numpy as np

from fairbench.collective_model import DEFAULT_COLLECTIVE_MODEL
from fairbench.contract import CollectiveView, Intervention
from fairbench.errors import UserInputError
from fairbench.hookspecs import hookimpl

DEFAULT_K = 10
K_GRID = (5, 15, 50)
_KNOWLEDGE_HINT = "raise --majority-knowledge (or leave it unset: the collective then knows every majority row)"


class RandomScores:
    """The random baseline: M uniformly chosen candidates flip."""

    def score(self, view: CollectiveView) -> np.ndarray:
        rng = np.random.default_rng([view.random_state, 0x5A4D])
        return rng.random(len(view.candidates))


class RBProb:
    """RB-prob (Eq. 7): P(y=1|x) from a model trained on majority rows only: the paper's
    HistGradientBoosting, or the learner named by ``--collective-model`` (``fairbench.collective_model``)."""

    def __init__(self, model: str = DEFAULT_COLLECTIVE_MODEL):
        self.model = model

    def score(self, view: CollectiveView) -> np.ndarray:
        from fairbench.learners import make_learner

        if len(view.majority) == 0:
            raise UserInputError(f"rb-prob needs at least one known majority row; {_KNOWLEDGE_HINT}")
        if len(np.unique(view.majority_y)) < 2:
            # A one-class majority gives every candidate the same probability.
            return np.full(len(view.candidates), float(np.mean(view.majority_y)))
        model = make_learner(self.model, view.random_state)
        model.fit(view.majority, view.majority_y)
        return model.predict_proba(view.candidates)[:, 1]


def _neighbour_distances(reference: np.ndarray, queries: np.ndarray, k: int):
    """Euclidean distances from each query to its k nearest reference rows (k capped at their count)."""
    from sklearn.neighbors import NearestNeighbors

    k = min(k, len(reference))
    index = NearestNeighbors(n_neighbors=k, metric="euclidean").fit(reference)
    distances, neighbours = index.kneighbors(queries)
    return distances, neighbours


class RBLabel:
    """RB-label (Eq. 8): how many of the k nearest majority neighbours have y=1."""

    def __init__(self, k: int = DEFAULT_K):
        self.k = k

    def score(self, view: CollectiveView) -> np.ndarray:
        _check_k(self.k)
        if len(view.majority) == 0:
            raise UserInputError(f"rb-label needs at least one known majority row; {_KNOWLEDGE_HINT}")
        _, neighbours = _neighbour_distances(view.majority, view.candidates, self.k)
        return view.majority_y[neighbours].sum(axis=1).astype(float)


class RBDist:
    """RB-dist (Eq. 9): minus the mean distance to the k nearest favourable majority rows."""

    def __init__(self, k: int = DEFAULT_K):
        self.k = k

    def score(self, view: CollectiveView) -> np.ndarray:
        _check_k(self.k)
        positives = view.majority[view.majority_y == 1]
        if len(positives) == 0:
            raise UserInputError(f"rb-dist needs at least one known majority row with y=1; {_KNOWLEDGE_HINT}")
        distances, _ = _neighbour_distances(positives, view.candidates, self.k)
        return -distances.mean(axis=1)


def _check_k(k) -> None:
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise UserInputError(f"k must be a positive integer, got {k!r}")


def _labels(name: str, make, description: str, tune=None) -> Intervention:
    return Intervention(
        name=name, stage="labels", knob="budget", grid=(), make=make,
        description=description, tune=tune or {},
        cost=3.0 if tune else 1.5,  # k tuning refits the learner on a validation split; scoring fits one model
    )


@hookimpl
def fairbench_register_interventions(register):
    register(_labels("random", lambda knob=None, random_state=0, **p: RandomScores(),
                     "flip M uniformly chosen candidates (the paper's random baseline)"))
    register(_labels("rb-prob", lambda knob=None, random_state=0, collective_model=DEFAULT_COLLECTIVE_MODEL, **p:
                     RBProb(collective_model),
                     "rank by P(y=1|x) of a gradient-boosting model fit on majority rows (Eq. 7; "
                     "--collective-model picks another model)"))
    register(_labels("rb-label", lambda knob=None, random_state=0, k=DEFAULT_K, **p: RBLabel(k),
                     "rank by favourable labels among the k nearest majority rows (Eq. 8)", {"k": K_GRID}))
    register(_labels("rb-dist", lambda knob=None, random_state=0, k=DEFAULT_K, **p: RBDist(k),
                     "rank by minus mean distance to k nearest favourable majority rows (Eq. 9)", {"k": K_GRID}))
