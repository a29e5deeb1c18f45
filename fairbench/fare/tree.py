"""FARE's fair decision tree (FARE.md §1–2, §4): a best-first tree whose leaves are the cells.

The criterion trades label Gini against s-balance; the split search is vectorised per node
(partitioned root argsorts for continuous columns, per-code counts for categorical ones).
"""
from __future__ import annotations

import heapq
import numbers

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state

EPS = float(np.finfo(np.float64).eps)  # sklearn's EPSILON in the leaf tests
FEATURE_THRESHOLD = 1e-7  # consecutive sorted values must differ by more than this
MIN_CATEGORY_COUNT = 5  # codes seen fewer times are merged into one "infrequent" code
METRICS = ("dp", "eo", "eopp")

__all__ = [
    "FareTree",
    "node_impurity",
    "split_improvement",
    "categorical_orders",
    "EPS",
    "FEATURE_THRESHOLD",
    "MIN_CATEGORY_COUNT",
    "METRICS",
]


# ----------------------------------------------------------------------------------------------
# Criterion
# ----------------------------------------------------------------------------------------------
def _gini2(k, n):
    """Binary Gini 1 - p^2 - (1-p)^2 of k positives in n, 0 where n == 0 (empty subset)."""
    k = np.asarray(k, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        g = 1.0 - p * p - (1.0 - p) * (1.0 - p)
    return np.where(n > 0, g, 0.0)


def node_impurity(n, n_y1, n_s1, gamma, metric="dp", n_y1s1=None):
    """Textbook impurity I = (1-γ)·G_y + γ·(½ - G_s) of a node (FARE.md §2.1, §4).

    Written directly from the Gini definitions, independently of the vectorised split scores, so
    tests can check one against the other.  For 'eo'/'eopp' pass ``n_y1s1`` = #(y=1, s=1).  A
    y-conditioned subset that is empty contributes no fairness term.
    """
    n = np.asarray(n, dtype=np.float64)
    g_y = _gini2(n_y1, n)
    if metric == "dp":
        fair = 0.5 - _gini2(n_s1, n)
    else:
        if n_y1s1 is None:
            raise ValueError(f"metric={metric!r} needs n_y1s1 (the #(y=1, s=1) count)")
        n1 = np.asarray(n_y1, dtype=np.float64)
        z = np.asarray(n_y1s1, dtype=np.float64)
        if metric == "eopp":
            fair = np.where(n1 > 0, 0.5 - _gini2(z, n1), 0.0)
        elif metric == "eo":
            n0 = n - n1
            s0 = np.asarray(n_s1, dtype=np.float64) - z
            with np.errstate(divide="ignore", invalid="ignore"):
                g = (n0 * _gini2(s0, n0) + n1 * _gini2(z, n1)) / n
            fair = np.where(n > 0, 0.5 - g, 0.0)
        else:
            raise ValueError(f"metric={metric!r} is not accepted; use one of {METRICS}")
    return (1.0 - gamma) * g_y + gamma * fair


def _dev(k_c, n_c, p):
    """n_c·(k_c/n_c - p)^2, 0 for empty children; the building block of the closed-form Δ."""
    with np.errstate(divide="ignore", invalid="ignore"):
        r = n_c * (k_c / n_c - p) ** 2
    return np.where(n_c > 0, r, 0.0)


def _scores(nL, YL, SL, ZL, n, Y, S, Z, gamma, metric, bug_compat=False):
    """N·Δ for candidate splits given left counts (arrays) and parent counts (scalars).

    Uses the deviation form 2[(1-γ)Σ n_c(p_y^c-p_y)^2 - γ·penalty] so that a split keeping the
    s-proportion exactly equal scores an exact 0 (the γ=1 "balanced split" case).  Invalid
    candidates (an empty y-conditioned child where the fairness term needs it) get -inf.
    """
    nL = np.asarray(nL, dtype=np.float64)
    YL = np.asarray(YL, dtype=np.float64)
    SL = np.asarray(SL, dtype=np.float64)
    n, Y, S = float(n), float(Y), float(S)
    nR, YR, SR = n - nL, Y - YL, S - SL
    py = Y / n
    gain = 2.0 * (_dev(YL, nL, py) + _dev(YR, nR, py))
    invalid = None
    if metric == "dp":
        ps = S / n
        pen = 2.0 * (_dev(SL, nL, ps) + _dev(SR, nR, ps))
    else:
        ZL = np.asarray(ZL, dtype=np.float64)
        Z = float(Z)
        ZR = ZL * 0.0 + (Z - ZL)
        n0L, n0R, n0 = nL - YL, nR - YR, n - Y
        s0L, s0R, s0 = SL - ZL, SR - ZR, S - Z
        if bug_compat:
            # Official _pvt_children_impurity: the left child's conditional s-proportions are
            # divided by n_L instead of the y-subset size; right child and node are correct, and
            # a right child whose needed y-subset is empty yields NaN, i.e. the candidate is skipped.
            def g_bug(k, m):
                return 1.0 - (k * k + (m - k) * (m - k)) / (nL * nL)

            with np.errstate(divide="ignore", invalid="ignore"):
                if metric == "eopp":
                    JL = nL * (0.5 - g_bug(ZL, YL))
                    JR = nR * (0.5 - _gini2(ZR, YR))
                    invalid = YR <= 0
                else:
                    gl = (n0L * g_bug(s0L, n0L) + YL * g_bug(ZL, YL)) / nL
                    gr = (n0R * _gini2(s0R, n0R) + YR * _gini2(ZR, YR)) / nR
                    JL = nL * (0.5 - gl)
                    JR = nR * (0.5 - gr)
                    invalid = (YR <= 0) | (n0R <= 0)
            Jt = n * float(node_impurity(n, Y, S, 1.0, metric, Z))
            pen = JL + JR - Jt
        elif metric == "eo":
            # Σ over y-strata of the s-Gini decrease: exactly 0 when each stratum keeps its s-mix.
            q1 = Z / Y if Y > 0 else 0.0
            q0 = s0 / n0 if n0 > 0 else 0.0
            pen = 2.0 * (_dev(ZL, YL, q1) + _dev(ZR, YR, q1) + _dev(s0L, n0L, q0) + _dev(s0R, n0R, q0))
        elif metric == "eopp":
            q = Z / Y if Y > 0 else 0.5
            with np.errstate(divide="ignore", invalid="ignore"):
                qL, qR = ZL / YL, ZR / YR
                pen = 2.0 * (nL * (qL - 0.5) ** 2 + nR * (qR - 0.5) ** 2 - n * (q - 0.5) ** 2)
            invalid = (YL <= 0) | (YR <= 0)
        else:
            raise ValueError(f"metric={metric!r} is not accepted; use one of {METRICS}")
    score = (1.0 - gamma) * gain - gamma * pen
    if invalid is not None:
        score = np.where(invalid, -np.inf, score)
    return score


def split_improvement(parent, left, n_total, gamma, metric="dp", bug_compat=False):
    """Δ(t) = (n_t/N)·[I(t) - w_L·I(L) - w_R·I(R)] of one split (FARE.md §2.2).

    ``parent`` and ``left`` are count tuples (n, n_y1, n_s1[, n_y1s1]); the right child is the
    difference.  This is the exact code path the tree's split search uses.
    """
    p = tuple(parent) + (0,) * (4 - len(parent))
    lft = tuple(left) + (0,) * (4 - len(left))
    sc = _scores(lft[0], lft[1], lft[2], lft[3], p[0], p[1], p[2], p[3], gamma, metric, bug_compat)
    return float(sc) / float(n_total)


def categorical_orders(n_c, y_c, s_c):
    """Orders A and B of the codes present in a node (FARE.md §2.4).

    ``n_c``, ``y_c``, ``s_c`` are per-code counts (index = code).  A: ascending mean y.  B: split
    the codes by mean s into a low half (⌊|P|/2⌋ codes) and a high half, sort each by mean y, and
    interleave starting with the high half.  Ties break on the smaller code.
    """
    n_c = np.asarray(n_c, dtype=np.float64)
    present = np.flatnonzero(n_c > 0)
    my = np.asarray(y_c, dtype=np.float64)[present] / n_c[present]
    ms = np.asarray(s_c, dtype=np.float64)[present] / n_c[present]
    by_y = np.lexsort((present, my))
    order_a = present[by_y]
    by_s = np.lexsort((present, ms))
    h = len(present) // 2
    low, high = by_s[:h], by_s[h:]
    low = low[np.lexsort((present[low], my[low]))]
    high = high[np.lexsort((present[high], my[high]))]
    inter = np.empty(len(present), dtype=np.intp)
    inter[0 : 2 * h : 2] = high[:h]
    inter[1 : 2 * h : 2] = low
    if len(high) > h:
        inter[-1] = high[-1]
    return order_a, present[inter]


# ----------------------------------------------------------------------------------------------
# Estimator
# ----------------------------------------------------------------------------------------------
class _Node:
    __slots__ = ("id", "idx", "orders", "depth", "delta", "split")

    def __init__(self, nid, idx, orders, depth):
        self.id, self.idx, self.orders, self.depth = nid, idx, orders, depth
        self.delta, self.split = 0.0, None


class _TreeArrays:
    """Flat node arrays of a fitted tree (like sklearn's ``tree_``); node 0 is the root."""

    def __init__(self, rows):
        self.node_count = len(rows)
        self.feature = np.array([r["feature"] for r in rows], dtype=np.intp)  # -1 at leaves
        self.threshold = np.array([r["threshold"] for r in rows], dtype=np.float64)
        self.is_categorical = np.array([r["is_cat"] for r in rows], dtype=bool)
        self.cat_left = [r["cat_left"] for r in rows]  # bool lookup over internal codes, or None
        self.left = np.array([r["left"] for r in rows], dtype=np.intp)
        self.right = np.array([r["right"] for r in rows], dtype=np.intp)
        self.n_samples = np.array([r["n"] for r in rows], dtype=np.int64)
        self.n_y1 = np.array([r["Y"] for r in rows], dtype=np.int64)
        self.n_s1 = np.array([r["S"] for r in rows], dtype=np.int64)
        self.n_y1s1 = np.array([r["Z"] for r in rows], dtype=np.int64)
        self.impurity = np.array([r["impurity"] for r in rows], dtype=np.float64)
        self.improvement = np.array([r["improvement"] for r in rows], dtype=np.float64)
        self.depth = np.array([r["depth"] for r in rows], dtype=np.intp)
        self.leaf_id = np.array([r["leaf_id"] for r in rows], dtype=np.intp)  # -1 when internal


class FareTree(BaseEstimator):
    """Fair decision tree whose K ≤ max_leaves leaves are FARE's cells (FARE.md §2).

    Parameters
    ----------
    gamma : float in [0, 1]
        Weight of the s-balance term; 0 is a plain Gini tree, 1 allows only s-balanced splits.
    max_leaves : int ≥ 1
        k, the upper bound on the number of cells (best-first growth).
    min_leaf : int ≥ 1
        n, the minimum number of fit rows per cell.
    metric : 'dp', 'eo' or 'eopp'
        Which fairness term the criterion uses (§2.1, §4; intended symmetric formula).
    categorical : sequence of column indices (or names for a DataFrame)
        Columns holding integer category codes; codes seen < 5 times are merged.
    random_state : None, int or RandomState
        None visits features in column order; otherwise a per-node random order (ties only).
    bug_compat : bool
        Reproduce the official EO/EOPP left-child normalisation bug (§4).  Off by default.

    Fitted attributes: ``n_cells_``, ``representatives_`` (K × d), ``cell_counts_``,
    ``tree_`` (flat node arrays), ``n_features_in_``, ``feature_names_in_`` (DataFrame input),
    ``categorical_`` (column indices), ``category_codes_`` (per categorical column: the kept
    original codes), ``n_splits_``.
    """

    def __init__(
        self,
        gamma=0.85,
        max_leaves=200,
        min_leaf=100,
        metric="dp",
        categorical=(),
        random_state=None,
        bug_compat=False,
    ):
        self.gamma = gamma
        self.max_leaves = max_leaves
        self.min_leaf = min_leaf
        self.metric = metric
        self.categorical = categorical
        self.random_state = random_state
        self.bug_compat = bug_compat

    # -- validation ----------------------------------------------------------------------------
    def _check_params(self):
        g = self.gamma
        if isinstance(g, bool) or not isinstance(g, numbers.Real) or not (0.0 <= float(g) <= 1.0):
            raise ValueError(f"gamma={g!r} is not accepted; use a real number in [0, 1]")
        for name in ("max_leaves", "min_leaf"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
                raise ValueError(f"{name}={v!r} is not accepted; use an integer >= 1")
        if self.metric not in METRICS:
            raise ValueError(f"metric={self.metric!r} is not accepted; use one of {METRICS}")
        if not isinstance(self.bug_compat, (bool, np.bool_)):
            raise ValueError(f"bug_compat={self.bug_compat!r} is not accepted; use True or False")

    def _resolve_categorical(self, d, names):
        cats = self.categorical
        if cats is None:
            cats = ()
        if isinstance(cats, (str, bytes)) or np.ndim(cats) == 0:
            cats = (cats,)
        out = []
        for c in cats:
            if isinstance(c, (numbers.Integral, np.integer)) and not isinstance(c, bool):
                j = int(c)
                if not 0 <= j < d:
                    raise ValueError(
                        f"categorical column index {j} is out of range; X has {d} columns (0..{d - 1})"
                    )
            elif names is not None and c in names:
                j = names.index(c)
            else:
                valid = "column indices 0..%d" % (d - 1)
                if names is not None:
                    valid += " or column names of X"
                raise ValueError(f"categorical entry {c!r} is not accepted; use {valid}")
            if j in out:
                raise ValueError(f"categorical column {c!r} is listed twice")
            out.append(j)
        return sorted(out)

    @staticmethod
    def _as_matrix(X, what="X"):
        names = None
        if hasattr(X, "columns") and hasattr(X, "to_numpy"):
            names = [str(c) for c in X.columns]
            X = X.to_numpy()
        try:
            X = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"{what} must be numeric (categorical columns as integer codes): {exc}"
            ) from None
        if X.ndim != 2:
            raise ValueError(f"{what} must be 2-dimensional (rows × columns); got shape {X.shape}")
        if not np.all(np.isfinite(X)):
            raise ValueError(f"{what} contains NaN or infinite values; only finite values are accepted")
        return X, names

    @staticmethod
    def _as_binary(v, what, n):
        v = np.asarray(v).ravel()
        if len(v) != n:
            raise ValueError(f"{what} has {len(v)} entries but X has {n} rows")
        bad = ~np.isin(v, (0, 1))
        if np.any(bad):
            raise ValueError(
                f"{what} must be binary 0/1; found value {v[bad][0]!r}"
            )
        return v.astype(np.int64)

    # -- encoding ------------------------------------------------------------------------------
    def _encode(self, X):
        """Split X into float32 continuous columns and internal categorical codes 1..C (+1 unseen)."""
        Xc = X[:, self._cont_].astype(np.float32)
        Xk = np.empty((X.shape[0], len(self.categorical_)), dtype=np.int64)
        for jj, j in enumerate(self.categorical_):
            col = X[:, j]
            if np.any(col != np.round(col)):
                raise ValueError(f"categorical column {j} holds non-integer values; use integer codes")
            keep = self.category_codes_[jj]
            pos = np.searchsorted(keep, col)
            posc = np.minimum(pos, max(len(keep) - 1, 0))
            hit = (pos < len(keep)) & (keep[posc] == col) if len(keep) else np.zeros(len(col), bool)
            # kept codes -> 1..m; rare and unseen codes -> m+1 (the infrequent code when it exists)
            Xk[:, jj] = np.where(hit, pos + 1, len(keep) + 1)
        return Xc, Xk

    # -- fitting -------------------------------------------------------------------------------
    def fit(self, X, y, s):
        """Grow the tree on (X, y, s); s is used by the criterion only, never as a feature."""
        self._check_params()
        X, names = self._as_matrix(X)
        N, d = X.shape
        if N == 0:
            raise ValueError("X has no rows; at least one row is needed")
        y = self._as_binary(y, "y", N)
        s = self._as_binary(s, "s", N)
        self.n_features_in_ = d
        if names is not None:
            self.feature_names_in_ = np.array(names, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        self.categorical_ = tuple(self._resolve_categorical(d, names))
        cat_set = set(self.categorical_)
        self._cont_ = np.array([j for j in range(d) if j not in cat_set], dtype=np.intp)

        codes, n_codes, rep_codes = [], [], []
        for j in self.categorical_:
            col = X[:, j]
            if np.any(col != np.round(col)):
                raise ValueError(f"categorical column {j} holds non-integer values; use integer codes")
            vals, cnt = np.unique(col, return_counts=True)
            keep = vals[cnt >= MIN_CATEGORY_COUNT]
            rare = vals[cnt < MIN_CATEGORY_COUNT]
            codes.append(keep)
            n_codes.append(len(keep) + (1 if len(rare) else 0))
            # internal code -> an original code that maps back to it (for representatives)
            rep = np.full(len(keep) + 2, np.nan)
            rep[1 : len(keep) + 1] = keep
            if len(rare):
                rep[len(keep) + 1] = rare[0]
            rep_codes.append(rep)
        self.category_codes_ = codes
        self.n_categories_ = np.array(n_codes, dtype=np.intp)
        self._rep_codes_ = rep_codes

        Xc, Xk = self._encode(X)
        self._grow(Xc, Xk, y, s)
        self._fit_representatives(Xc, Xk)
        return self

    def _grow(self, Xc, Xk, y, s):
        gamma, metric, bug = float(self.gamma), self.metric, bool(self.bug_compat)
        k, nmin = int(self.max_leaves), int(self.min_leaf)
        N, dc = Xc.shape
        dk = Xk.shape[1]
        d = self.n_features_in_
        cont, cats = self._cont_, np.array(self.categorical_, dtype=np.intp)
        rng = None if self.random_state is None else check_random_state(self.random_state)

        z = y * s
        cls = (2 * y + s).astype(np.int64)  # joint (y, s) class 0..3 for one bincount per node
        XcT = np.ascontiguousarray(Xc.T)  # (dc, N)
        block = self.n_categories_ + 2  # internal codes 0..C+1
        offs = np.concatenate(([0], np.cumsum(block)[:-1])).astype(np.int64)
        Xk_off = (Xk + offs[None, :]) * 4  # the (y, s) class is added per node
        total_codes = int(block.sum())
        min_split = max(2, 2 * nmin)
        goleft = np.zeros(N, dtype=bool)

        def evaluate(node):
            idx = node.idx
            n_t = len(idx)
            Y, S, Z = int(y[idx].sum()), int(s[idx].sum()), int(z[idx].sum())
            rec = dict(n=n_t, Y=Y, S=S, Z=Z, depth=node.depth)
            rec["impurity"] = float(node_impurity(n_t, Y, S, gamma, metric, Z))
            node.delta, node.split = 0.0, None
            if n_t < min_split or rec["impurity"] <= EPS:
                return rec
            best_score = np.full(d, -np.inf)
            best_info = [None] * d
            # continuous columns: prefix counts along each column's sorted order
            if dc:
                O = node.orders  # (dc, n_t)
                xs = np.take_along_axis(XcT, O, axis=1)
                lo, hi = nmin, n_t - nmin  # left size p must satisfy lo <= p <= hi
                if lo <= hi:
                    cy = np.cumsum(y[O], axis=1)
                    cs = np.cumsum(s[O], axis=1)
                    cz = np.cumsum(z[O], axis=1) if metric != "dp" else cs
                    p = np.arange(lo, hi + 1)
                    ok = xs[:, p].astype(np.float64) > xs[:, p - 1].astype(np.float64) + FEATURE_THRESHOLD
                    sc = _scores(p[None, :], cy[:, p - 1], cs[:, p - 1], cz[:, p - 1],
                                 n_t, Y, S, Z, gamma, metric, bug)
                    sc = np.where(ok, sc, -np.inf)
                    arg = np.argmax(sc, axis=1)
                    val = sc[np.arange(dc), arg]
                    for f in np.flatnonzero(val > -np.inf):
                        best_score[cont[f]] = val[f]
                        best_info[cont[f]] = ("c", f, int(p[arg[f]]))
            # categorical columns: per-code counts, orders A and B, prefix candidates
            if dk:
                tab = np.bincount((Xk_off[idx] + cls[idx, None]).ravel(), minlength=4 * total_codes)
                tab = tab.reshape(total_codes, 4)
                for jj in range(dk):
                    t = tab[offs[jj] : offs[jj] + block[jj]]
                    n_c = t.sum(axis=1)
                    if np.count_nonzero(n_c) <= 1:
                        continue
                    y_c, s_c, z_c = t[:, 2] + t[:, 3], t[:, 1] + t[:, 3], t[:, 3]
                    oa, ob = categorical_orders(n_c, y_c, s_c)
                    ords = np.stack([oa, ob])  # (2, P)
                    cn = np.cumsum(n_c[ords], axis=1)[:, :-1]
                    sc = _scores(cn, np.cumsum(y_c[ords], axis=1)[:, :-1],
                                 np.cumsum(s_c[ords], axis=1)[:, :-1],
                                 np.cumsum(z_c[ords], axis=1)[:, :-1],
                                 n_t, Y, S, Z, gamma, metric, bug)
                    sc = np.where((cn >= nmin) & (n_t - cn >= nmin), sc, -np.inf).ravel()
                    a = int(np.argmax(sc))
                    if sc[a] > -np.inf:
                        o, m = divmod(a, ords.shape[1] - 1)
                        best_score[cats[jj]] = sc[a]
                        best_info[cats[jj]] = ("k", jj, ords[o, : m + 1])
            visit = np.arange(d) if rng is None else rng.permutation(d)
            f = int(visit[np.argmax(best_score[visit])])
            if best_score[f] == -np.inf:
                return rec
            delta = float(best_score[f]) / N
            if delta + EPS < 0.0:
                return rec
            node.delta, node.split = delta, (f, best_info[f])
            return rec

        rows = []

        def new_node(idx, orders, depth):
            node = _Node(len(rows), idx, orders, depth)
            rec = evaluate(node)
            rec.update(feature=-1, threshold=np.nan, is_cat=False, cat_left=None,
                       left=-1, right=-1, improvement=0.0, leaf_id=-1)
            rows.append(rec)
            return node

        root_orders = np.argsort(XcT, axis=1, kind="stable") if dc else None
        root = new_node(np.arange(N), root_orders, 0)
        heap, leaves, seq = [], [], 0

        def push(node):
            nonlocal seq
            if node.split is None:
                leaves.append(node)
                node.orders = None
            else:
                heapq.heappush(heap, (-node.delta, seq, node))
                seq += 1

        push(root)
        splits = 0
        while heap:
            _, _, node = heapq.heappop(heap)
            if splits >= k - 1:
                leaves.append(node)
                node.orders = None
                continue
            splits += 1
            f, info = node.split
            idx = node.idx
            rec = rows[node.id]
            if info[0] == "c":
                ff, p = info[1], info[2]
                col = node.orders[ff]
                a = float(XcT[ff, col[p - 1]])
                b = float(XcT[ff, col[p]])
                thr = a / 2.0 + b / 2.0
                if thr == b or not np.isfinite(thr):
                    thr = a
                go = XcT[ff, idx] <= thr
                rec.update(feature=f, threshold=thr)
            else:
                jj, left_codes = info[1], info[2]
                lookup = (np.arange(block[jj]) % 2) == 0  # parity rule for codes absent here
                present = np.zeros(block[jj], dtype=bool)
                np.add.at(present, Xk[idx, jj], True)
                lookup[present] = False
                lookup[left_codes] = True
                go = lookup[Xk[idx, jj]]
                rec.update(feature=f, is_cat=True, cat_left=lookup)
            rec["improvement"] = node.delta
            goleft[idx] = go
            if dc:
                M = goleft[node.orders]
                nl = int(go.sum())
                lo_ord = node.orders[M].reshape(dc, nl)
                ro_ord = node.orders[~M].reshape(dc, len(idx) - nl)
            else:
                lo_ord = ro_ord = None
            li, ri = idx[go], idx[~go]
            goleft[idx] = False
            node.orders = None
            node.idx = None
            lchild = new_node(li, lo_ord, node.depth + 1)
            rchild = new_node(ri, ro_ord, node.depth + 1)
            rec["left"], rec["right"] = lchild.id, rchild.id
            push(lchild)
            push(rchild)

        leaves.sort(key=lambda nd: nd.id)
        train_cells = np.empty(N, dtype=np.intp)
        for i, nd in enumerate(leaves):
            rows[nd.id]["leaf_id"] = i
            train_cells[nd.idx] = i
            nd.idx = None
        self.tree_ = _TreeArrays(rows)
        self.n_cells_ = len(leaves)
        self.n_splits_ = splits
        self.cell_counts_ = np.bincount(train_cells, minlength=self.n_cells_)
        self._train_cells = train_cells

    def _fit_representatives(self, Xc, Xk):
        """r_i: median (continuous) / mode with smallest-code ties (categorical) of cell i's rows."""
        K, d = self.n_cells_, self.n_features_in_
        cells = self._train_cells
        order = np.argsort(cells, kind="stable")
        bounds = np.concatenate(([0], np.cumsum(self.cell_counts_)))
        R = np.empty((K, d), dtype=np.float64)
        Xc64 = Xc.astype(np.float64)
        for i in range(K):
            rows = order[bounds[i] : bounds[i + 1]]
            if len(self._cont_):
                # rounding to float32 keeps the median inside the cell (thresholds compare float32)
                R[i, self._cont_] = np.median(Xc64[rows], axis=0).astype(np.float32)
            for jj, j in enumerate(self.categorical_):
                code = int(np.argmax(np.bincount(Xk[rows, jj])))
                R[i, j] = self._rep_codes_[jj][code]
        self.representatives_ = R
        del self._train_cells

    # -- prediction ----------------------------------------------------------------------------
    def _check_fitted(self):
        if not hasattr(self, "tree_"):
            raise ValueError("this FareTree is not fitted yet; call fit(X, y, s) first")

    def _route(self, X):
        """Yield (node id, row indices reaching it) for every node, parents first."""
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} columns but the tree was fit on {self.n_features_in_}"
            )
        Xc, Xk = self._encode(X)
        t = self.tree_
        cont_pos = {int(j): i for i, j in enumerate(self._cont_)}
        cat_pos = {j: i for i, j in enumerate(self.categorical_)}
        stack = [(0, np.arange(X.shape[0]))]
        while stack:
            nid, rows = stack.pop()
            yield nid, rows
            if t.leaf_id[nid] >= 0:
                continue
            f = int(t.feature[nid])
            if t.is_categorical[nid]:
                go = t.cat_left[nid][Xk[rows, cat_pos[f]]]
            else:
                go = Xc[rows, cont_pos[f]] <= t.threshold[nid]
            stack.append((t.left[nid], rows[go]))
            stack.append((t.right[nid], rows[~go]))

    def apply(self, X):
        """Cell id in 0..n_cells_-1 of every row."""
        self._check_fitted()
        X, _ = self._as_matrix(X)
        out = np.empty(X.shape[0], dtype=np.intp)
        leaf_id = self.tree_.leaf_id
        for nid, rows in self._route(X):
            if leaf_id[nid] >= 0:
                out[rows] = leaf_id[nid]
        return out

    def decision_path(self, X):
        """Sparse (rows × nodes) indicator of the nodes each row passes through, root to leaf."""
        from scipy.sparse import csr_matrix

        self._check_fitted()
        X, _ = self._as_matrix(X)
        rows_out, nodes_out = [], []
        for nid, rows in self._route(X):
            rows_out.append(rows)
            nodes_out.append(np.full(len(rows), nid, dtype=np.intp))
        r = np.concatenate(rows_out)
        c = np.concatenate(nodes_out)
        return csr_matrix((np.ones(len(r), dtype=np.int8), (r, c)),
                          shape=(X.shape[0], self.tree_.node_count))

    def transform(self, X):
        """The representative point r_{cell(x)} of every row (FARE.md §1.3)."""
        return self.representatives_[self.apply(X)]

    def fit_transform(self, X, y, s):
        return self.fit(X, y, s).transform(X)
