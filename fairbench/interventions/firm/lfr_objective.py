"""The Learning Fair Representations objective (Zemel et al. 2013) with its exact gradient.

The objective is holisticai 1.x's, term for term, so that fairbench's ``lfr`` optimises what the
library states: with ``k`` prototypes ``V`` (k x d) and label weights ``w`` in [0, 1]^k,

    D[n, k]  = ||x_n - v_k||                   (Euclidean, not squared)
    M        = softmax(-D) over prototypes      (each row's memberships)
    x̂        = M V,   ŷ = clip(M w, eps, 1 - eps)
    L_x      = mean over group-b cells of (x̂ - x)^2  +  the same mean over group a
    L_y      = -mean(y log ŷ + (1 - y) log(1 - ŷ))
    L_z      = mean_k |mean_{a=0} M[:, k] - mean_{a=1} M[:, k]|
    L        = Ax L_x + Ay L_y + Az L_z

holisticai clips ŷ at 1, where log(1 - ŷ) is -inf and 0 * -inf makes its objective NaN; here the
upper clip is 1 - eps, and each row takes the log of its own label's probability, so the value stays
finite.  Everywhere else the two objectives are identical.

The parameter vector is ``[w (k), V (k*d, row-major)]``, as holisticai lays it out.  holisticai
evaluates this in float32 and lets scipy difference it numerically; the finite-difference steps
fall below float32 resolution and the optimiser stops at its random start.  Here the value and the
gradient are computed in float64 by hand-written back-propagation, so L-BFGS-B gets the true
gradient (tests check both against holisticai's objective differentiated by JAX in float64).
"""
from __future__ import annotations

import numpy as np

EPS = float(np.finfo(float).eps)  # holisticai clips ŷ at jnp.finfo(float).eps


def unpack(params: np.ndarray, k: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """(w, V) from holisticai's flat parameter layout."""
    return params[:k], params[k:].reshape(k, d)


def memberships(X: np.ndarray, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(M, D): softmax(-distance) memberships of every row, and the distances themselves."""
    # ||x||^2 + ||v||^2 - 2 x.v: one matrix product instead of an n x k x d difference tensor
    D = np.sqrt(np.maximum(np.einsum("ij,ij->i", X, X)[:, None] + np.einsum("ij,ij->i", V, V)[None, :]
                           - 2.0 * (X @ V.T), 0.0))
    S = -D
    S -= S.max(axis=1, keepdims=True)
    E = np.exp(S)
    return E / E.sum(axis=1, keepdims=True), D


def objective(params: np.ndarray, X: np.ndarray, y: np.ndarray, protected: np.ndarray, k: int,
              Ax: float, Ay: float, Az: float) -> tuple[float, np.ndarray]:
    """(L, dL/dparams) at ``params`` for rows ``X`` (n x d), labels ``y`` and group mask ``protected``."""
    n, d = X.shape
    w, V = unpack(np.asarray(params, dtype=np.float64), k, d)
    a, b = protected, ~protected
    n_a, n_b = int(a.sum()), int(b.sum())
    M, D = memberships(X, V)
    X_hat = M @ V
    raw = M @ w
    y_hat = np.clip(raw, EPS, 1.0 - EPS)

    # values
    residual = X_hat - X
    row_scale = np.where(a, 1.0 / (n_a * d), 1.0 / (n_b * d))      # mean over group b + mean over group a
    loss_x = float(np.einsum("ij,ij,i->", residual, residual, row_scale))
    positive = y == 1
    loss_y = -np.mean(np.where(positive, np.log(y_hat), np.log1p(-y_hat)))
    gap = M[b].mean(axis=0) - M[a].mean(axis=0)
    loss_z = np.abs(gap).mean()
    value = Ax * loss_x + Ay * loss_y + Az * loss_z

    # gradient: back-propagate each term to M (and directly to V and w)
    g_xhat = Ax * 2.0 * residual * row_scale[:, None]                     # n x d
    g_M = g_xhat @ V.T
    g_V = M.T @ g_xhat
    g_yhat = -(Ay / n) * np.where(positive, 1.0 / y_hat, -1.0 / (1.0 - y_hat))
    inside = (raw > EPS) & (raw < 1.0 - EPS)                         # clip passes the gradient inside
    g_yhat = np.where(inside, g_yhat, 0.0)
    g_M += g_yhat[:, None] * w[None, :]
    g_w = M.T @ g_yhat
    group_weight = np.where(a, -1.0 / n_a, 1.0 / n_b)[:, None]        # d(gap_k)/d(M[n, k])
    g_M += (Az / k) * np.sign(gap)[None, :] * group_weight

    g_S = M * (g_M - (g_M * M).sum(axis=1, keepdims=True))          # softmax backward
    g_D = -g_S
    with np.errstate(divide="ignore", invalid="ignore"):
        H = np.where(D > 0, g_D / D, 0.0)                           # d||x - v||/dv = (v - x)/||x - v||
    g_V += H.sum(axis=0)[:, None] * V - H.T @ X
    return float(value), np.concatenate([g_w, g_V.ravel()])
