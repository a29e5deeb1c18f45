"""The firm's learner: one scikit-learn classifier, built fresh for every cell.

The paper trains HistGradientBoostingClassifier with default parameters; ``random_state`` is the
only thing set (its early-stopping split is random on large data).
"""
from __future__ import annotations

from typing import Callable

from fairbench.errors import unknown_name


def _hgb(random_state: int):
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(random_state=random_state)


def _logreg(random_state: int):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, random_state=random_state))


LEARNERS: dict[str, Callable[[int], object]] = {"hgb": _hgb, "logreg": _logreg}


def make_learner(name: str, random_state: int):
    """An unfitted classifier named ``name`` (see LEARNERS)."""
    if name not in LEARNERS:
        raise unknown_name("learner", name, LEARNERS)
    return LEARNERS[name](random_state)


def learner_params(name: str) -> dict:
    """The learner's parameters, for the result key: a changed default never reuses a cell."""
    return {k: repr(v) for k, v in sorted(make_learner(name, 0).get_params(deep=True).items())}
