"""Massaging (Kamiran & Calders, "Classifying without discriminating", 2009; reference [6] of the paper).

The firm ranks its training rows with a classifier's probability of the favourable label, then
flips labels in both groups: the M highest-ranked protected rows with y = 0 become y = 1
(promotion) and the M lowest-ranked unprotected rows with y = 1 become y = 0 (demotion), with

    M = disc * n_protected * n_unprotected / n,   disc = P(y=1 | a=0) - P(y=1 | a=1),

the number of pairs that makes the two groups' favourable rates equal on the training data.
The knob ``strength`` scales M (0 = no change, 1 = the paper's massaging); when the protected
group is not disadvantaged (disc <= 0) nothing is flipped.  The features are left as they are.

fairbench's ``pre`` stage transforms features; massaging changes labels.  It uses the contract's
optional ``relabel(X, y, a) -> y'``: the harness calls it after ``fit`` and trains the firm's
learner on the returned labels (``transform`` returns X unchanged).  The cell's ``n_flips``
records 2 M, and ``extra_metrics`` adds the column ``massaging_pairs`` (M).

The ranker is a logistic regression on the firm's features (the sensitive attribute included when
it is a feature, as in the paper), categorical codes one-hot encoded, continuous columns
standardised, missing values imputed; ties are broken by row order (stable sort), so the same
inputs always give the same labels.
"""
from __future__ import annotations

import numbers

import numpy as np

from fairbench import Intervention, hookimpl

STRENGTHS = (0.25, 0.5, 0.75, 1.0)


def massaging_pairs(y: np.ndarray, a: np.ndarray) -> float:
    """Kamiran & Calders' M before rounding: the pairs that equalise the groups' favourable rates."""
    n, n1 = len(y), int(np.sum(a == 1))
    n0 = n - n1
    if n0 == 0 or n1 == 0:
        return 0.0
    disc = float(np.mean(y[a == 0]) - np.mean(y[a == 1]))
    return max(disc, 0.0) * n0 * n1 / n


def _ranker(categorical: tuple[int, ...], n_features: int, random_state: int):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    cat = [j for j in categorical if 0 <= j < n_features]
    cont = [j for j in range(n_features) if j not in cat]
    parts = [("cont", make_pipeline(SimpleImputer(strategy="median", keep_empty_features=True), StandardScaler()), cont)]
    if cat:
        parts.append(("cat", make_pipeline(SimpleImputer(strategy="constant", fill_value=-1.0),
                                           OneHotEncoder(handle_unknown="ignore")), cat))
    return make_pipeline(ColumnTransformer(parts), LogisticRegression(max_iter=1000, random_state=random_state))


class Massaging:
    """fit ranks the training rows; relabel flips round(strength * M) pairs; transform is the identity."""

    def __init__(self, strength: float = 1.0, random_state: int = 0, categorical=()):
        if isinstance(strength, bool) or not isinstance(strength, numbers.Real) or not np.isfinite(strength) or strength < 0:
            raise ValueError(f"massaging: strength={strength!r} is not accepted; use a finite number >= 0")
        self.strength = float(strength)
        self.random_state = random_state
        self.categorical = tuple(int(j) for j in categorical)

    def fit(self, X, y, a):
        X, y, a = self._inputs(X, y, a)
        if len(np.unique(y)) < 2:
            self.ranker_ = None  # one label: nothing to rank, nothing to massage
        else:
            self.ranker_ = _ranker(self.categorical, X.shape[1], self.random_state).fit(X, y)
        self.extra_metrics = {"massaging_pairs": 0}
        return self

    def relabel(self, X, y, a) -> np.ndarray:
        X, y, a = self._inputs(X, y, a)
        labels = y.copy()
        pairs = int(round(self.strength * massaging_pairs(y, a)))
        if self.ranker_ is None or pairs == 0:
            self.extra_metrics = {"massaging_pairs": 0}
            return labels
        score = self.ranker_.predict_proba(X)[:, 1]
        promote = np.flatnonzero((a == 1) & (y == 0))
        demote = np.flatnonzero((a == 0) & (y == 1))
        promote = promote[np.argsort(-score[promote], kind="stable")]
        demote = demote[np.argsort(score[demote], kind="stable")]
        pairs = min(pairs, len(promote), len(demote))
        labels[promote[:pairs]] = 1
        labels[demote[:pairs]] = 0
        self.extra_metrics = {"massaging_pairs": pairs}
        return labels

    def transform(self, X, a) -> np.ndarray:
        return np.asarray(X, dtype=float)

    @staticmethod
    def _inputs(X, y, a):
        X = np.asarray(X, dtype=float)
        y = np.asarray(y).astype(np.int64)
        a = np.asarray(a).astype(np.int64)
        if X.ndim != 2 or not (len(X) == len(y) == len(a)):
            raise ValueError(f"massaging: X {X.shape}, y ({len(y)},) and a ({len(a)},) must have one row each")
        return X, y, a


def make(knob=1.0, random_state=0, categorical=(), **params):
    return Massaging(strength=knob, random_state=random_state, categorical=categorical)


@hookimpl
def fairbench_register_interventions(register):
    register(Intervention(
        name="massaging", stage="pre", knob="strength", grid=STRENGTHS, make=make,
        description="Kamiran & Calders' massaging: rank with a classifier, promote the top minority y=0 and demote "
                    "the bottom majority y=1 rows (strength x the pairs that equalise favourable rates)",
    ))
