"""Helpers shared by the firm-side plugins: input checks, group masks, learner cloning, encoding.

Nothing here imports a heavy dependency; the plugins import holisticai / fairlearn inside
``fit`` so that importing a plugin module stays cheap.
"""
from __future__ import annotations

import hashlib
import numbers
import threading
from collections import OrderedDict
from typing import Any, Callable, Sequence

import numpy as np

from fairbench.errors import UserInputError

# What ``import holisticai.bias.mitigation`` needs: its package __init__ imports jax, flax, optax.
HOLISTICAI_MODULES = ("holisticai", "jax", "flax", "optax")
HOLISTICAI_HINT = 'pip install "holisticai[bias]"'
FAIRLEARN_MODULES = ("fairlearn",)
FAIRLEARN_HINT = "pip install fairlearn"


def check_knob(name: str, value: Any, low: float | None = None, high: float | None = None,
               *, integer: bool = False, low_open: bool = False) -> float | int:
    """``value`` as a float (or int) inside [low, high]; a ValueError names the bad value."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise UserInputError(f"{name}={value!r} is not accepted; use a finite number")
    if integer:
        if float(value) != int(value):
            raise UserInputError(f"{name}={value!r} is not accepted; use a whole number")
        value = int(value)
    else:
        value = float(value)
    if low is not None and (value < low or (low_open and value == low)):
        bound = f"> {low}" if low_open else f">= {low}"
        raise UserInputError(f"{name}={value!r} is not accepted; use a value {bound}")
    if high is not None and value > high:
        raise UserInputError(f"{name}={value!r} is not accepted; use a value <= {high}")
    return value


def check_choice(name: str, value: Any, choices: Sequence[str]) -> str:
    if value not in choices:
        raise UserInputError(f"{name}={value!r} is not accepted; use one of {', '.join(map(repr, choices))}")
    return value


def check_seed(random_state: Any) -> int:
    if isinstance(random_state, bool) or not isinstance(random_state, numbers.Integral) or random_state < 0:
        raise UserInputError(f"random_state={random_state!r} is not accepted; use an integer >= 0")
    return int(random_state)


def binary(values: Any, what: str, n: int | None = None) -> np.ndarray:
    """``values`` as an int64 0/1 vector of length ``n``."""
    arr = np.asarray(values).ravel()
    if n is not None and len(arr) != n:
        raise UserInputError(f"{what} has {len(arr)} entries, expected {n} (one per row)")
    bad = ~np.isin(arr, (0, 1))
    if bad.any():
        raise UserInputError(f"{what} must hold 0/1 values; found {arr[bad][0]!r}")
    return arr.astype(np.int64)


def features(X: Any, what: str = "X") -> np.ndarray:
    """``X`` as a 2-D float array (NaN allowed: the learner or the method's encoder handles it)."""
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise UserInputError(f"{what} must be numeric: {exc}") from None
    if arr.ndim != 2:
        raise UserInputError(f"{what} must be 2-dimensional (rows x features); got shape {arr.shape}")
    if np.isinf(arr).any():
        raise UserInputError(f"{what} contains infinite values")
    return arr


def scores_vector(scores: Any, what: str = "scores") -> np.ndarray:
    """Probabilities of the favourable label as a float vector in [0, 1]."""
    arr = np.asarray(scores, dtype=np.float64)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise UserInputError(f"{what} must be one probability per row; got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or arr.min(initial=0.0) < 0 or arr.max(initial=0.0) > 1:
        raise UserInputError(f"{what} must be probabilities in [0, 1] (no NaN)")
    return arr


def post_fit_inputs(scores: Any, y: Any, a: Any, method: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A post-processor's held-out scores, labels and groups, each (group, label) cell non-empty."""
    scores = scores_vector(scores)
    y = binary(y, "y", len(scores))
    a = binary(a, "a", len(scores))
    require_cells(y, a, method)
    return scores, y, a


def post_predict_inputs(method: Any, scores: Any, a: Any) -> tuple[np.ndarray, np.ndarray]:
    """The scores and groups a fitted post-processor predicts from (fit first, or a clear error)."""
    if not hasattr(method, "model_"):
        raise UserInputError(f"this {type(method).__name__} is not fitted yet; call fit(scores, y, a) first")
    scores = scores_vector(scores)
    return scores, binary(a, "a", len(scores))


def fit_inputs(X: Any, y: Any, a: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X = features(X)
    n = X.shape[0]
    if n == 0:
        raise UserInputError("X has no rows; at least one training row is needed")
    return X, binary(y, "y", n), binary(a, "a", n)


def require_cells(y: np.ndarray, a: np.ndarray, method: str, labels: tuple[int, ...] = (0, 1)) -> None:
    """Fail clearly when a (group, label) cell the method estimates rates on is empty."""
    for g in (0, 1):
        for label in labels:
            if not np.any((a == g) & (y == label)):
                raise UserInputError(
                    f"{method} needs training rows with a={g} and y={label}; there are none "
                    "(each group must have both labels)"
                )


def groups(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(protected, rest) boolean masks, as holisticai's ``group_a`` / ``group_b``."""
    a = np.asarray(a)
    return a == 1, a == 0


def drop_column(X: np.ndarray, column: int | None) -> np.ndarray:
    if column is None:
        return X
    return np.delete(X, column, axis=1)


def kept_categorical(categorical: Sequence[int], n_features: int, dropped: int | None) -> tuple[int, ...]:
    """Categorical indices after removing column ``dropped`` (indices above it shift down)."""
    out = []
    for j in categorical or ():
        j = int(j)
        if not 0 <= j < n_features:
            raise UserInputError(f"categorical column index {j} is out of range for {n_features} features")
        if dropped is not None and j == dropped:
            continue
        out.append(j - 1 if dropped is not None and j > dropped else j)
    return tuple(sorted(set(out)))


def check_sensitive(sensitive: Any, n_features: int) -> int | None:
    if sensitive is None:
        return None
    if isinstance(sensitive, bool) or not isinstance(sensitive, numbers.Integral) or not 0 <= sensitive < n_features:
        raise UserInputError(f"sensitive={sensitive!r} is not accepted; use a column index in 0..{n_features - 1} or None")
    return int(sensitive)


def clone_learner(learner: Any, random_state: int, overrides: dict | None = None):
    """An unfitted copy of the firm's learner; its own ``random_state`` is pinned when unset.

    The caller's object is never modified.  ``overrides`` are ``set_params`` values applied to the
    copy only (e.g. a smaller ``max_iter`` for the reductions' oracle calls).
    """
    from sklearn.base import clone

    est = clone(learner)
    params = est.get_params(deep=False)
    if "random_state" in params and params["random_state"] is None:
        est.set_params(random_state=random_state)
    if overrides:
        est.set_params(**overrides)
    return est


def fingerprint(*arrays: np.ndarray) -> str:
    """Content hash of arrays (shape and dtype included): identical training data, same key."""
    digest = hashlib.blake2b(digest_size=16)
    for arr in arrays:
        arr = np.ascontiguousarray(arr)
        digest.update(repr((arr.shape, arr.dtype.str)).encode())
        digest.update(arr.tobytes())
    return digest.hexdigest()


class FitCache:
    """A small thread-safe LRU of fits keyed by content, so the cells of one seed share one fit."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple, build: Callable[[], Any]) -> tuple[Any, bool]:
        """(the value stored under ``key``, True), or (``build()``, False) after storing it."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key], True
        value = build()
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value, False

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


def learner_key(learner: Any) -> str:
    """A stable description of an unfitted estimator (its class and every parameter)."""
    try:
        params = sorted((k, repr(v)) for k, v in learner.get_params(deep=True).items())
    except AttributeError:
        params = repr(learner)
    return f"{type(learner).__module__}.{type(learner).__qualname__}{params}"


class TabularEncoder:
    """Numeric design matrix for distance-based methods, fitted on training rows.

    Drops the sensitive column (when given), imputes missing continuous values with the training
    median, one-hot encodes categorical integer codes (a missing code is its own level, unseen
    codes encode as all zeros) and standardises every output column (``StandardScaler``).
    """

    def __init__(self, categorical: Sequence[int] = (), sensitive: int | None = None, scale: bool = True):
        self.categorical = tuple(categorical)
        self.sensitive = sensitive
        self.scale = scale

    def fit(self, X: np.ndarray) -> "TabularEncoder":
        from sklearn.preprocessing import OneHotEncoder, StandardScaler

        d = X.shape[1]
        self.sensitive_ = check_sensitive(self.sensitive, d)
        Xk = drop_column(X, self.sensitive_)
        self.cat_ = kept_categorical(self.categorical, d, self.sensitive_)
        self.cont_ = tuple(j for j in range(Xk.shape[1]) if j not in self.cat_)
        cont = Xk[:, self.cont_]
        with np.errstate(all="ignore"):
            med = np.nanmedian(cont, axis=0) if cont.size else np.zeros(len(self.cont_))
        self.fill_ = np.where(np.isfinite(med), med, 0.0)
        self.onehot_ = None
        if self.cat_:
            self.onehot_ = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
            self.onehot_.fit(self._codes(Xk))
        self.scaler_ = StandardScaler() if self.scale else None
        if self.scaler_ is not None:
            self.scaler_.fit(self._raw(Xk))
        return self

    @staticmethod
    def _nan_as(values: np.ndarray, fill: np.ndarray | float) -> np.ndarray:
        return np.where(np.isnan(values), fill, values)

    def _codes(self, Xk: np.ndarray) -> np.ndarray:
        return self._nan_as(Xk[:, self.cat_], -1.0)

    def _raw(self, Xk: np.ndarray) -> np.ndarray:
        blocks = [self._nan_as(Xk[:, self.cont_], self.fill_[None, :])]
        if self.onehot_ is not None:
            blocks.append(self.onehot_.transform(self._codes(Xk)))
        return np.hstack(blocks)

    def transform(self, X: np.ndarray) -> np.ndarray:
        Z = self._raw(drop_column(X, self.sensitive_))
        return self.scaler_.transform(Z) if self.scaler_ is not None else Z
