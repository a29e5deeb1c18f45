"""Who acts and whose labels change: the collective, its candidates and the budgeted flips.

Every random choice here takes the seed explicitly, so the same seed always gives the same
collective, and different seeds give different ones.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fairbench.errors import PluginError, UserInputError

COLLECTIVE_STREAM = 0xC011
KNOWLEDGE_STREAM = 0x4B4E
TIEBREAK_STREAM = 0x7142


def check_alpha(alpha: float) -> float:
    if isinstance(alpha, bool) or not (isinstance(alpha, (int, float, np.integer, np.floating)) and 0 < alpha <= 1):
        raise UserInputError(f"alpha must be in (0, 1] (the fraction of the minority in the collective), got {alpha!r}")
    return float(alpha)


def check_budgets(budgets) -> tuple[int, ...]:
    out = []
    for b in budgets:
        if isinstance(b, float) and not b.is_integer():
            raise UserInputError(f"budgets must be whole numbers of flips, got {b!r}")
        if int(b) < 0:
            raise UserInputError(f"budgets must be >= 0 flips, got {b!r}")
        out.append(int(b))
    return tuple(sorted(set(out)))


@dataclass(frozen=True)
class Collective:
    """Row indices (into the full dataset) of the collective, its candidates and the known majority."""

    members: np.ndarray
    candidates: np.ndarray
    known_majority: np.ndarray


def form_collective(train: np.ndarray, a: np.ndarray, y: np.ndarray, alpha: float, seed: int,
                    majority_knowledge: int | None = None) -> Collective:
    """A uniform fraction ``alpha`` of the minority in train; candidates are members with y=0.

    ``train`` is treated as a set of row indices: its order does not change the result.
    """
    check_alpha(alpha)
    train = np.sort(np.asarray(train))
    minority = train[a[train] == 1]
    majority = train[a[train] == 0]
    size = int(round(alpha * len(minority)))
    rng = np.random.default_rng([seed, COLLECTIVE_STREAM])
    members = np.sort(rng.choice(minority, size=size, replace=False)) if size else minority[:0]
    candidates = members[y[members] == 0]
    if majority_knowledge is None:
        known = majority
    else:
        if majority_knowledge < 0:
            raise UserInputError(f"majority knowledge must be >= 0 rows, got {majority_knowledge}")
        n = min(int(majority_knowledge), len(majority))
        rng = np.random.default_rng([seed, KNOWLEDGE_STREAM])
        known = np.sort(rng.choice(majority, size=n, replace=False))
    return Collective(members, candidates, known)


def rank_candidates(scores: np.ndarray, n_candidates: int, seed: int, plugin: str) -> np.ndarray:
    """Candidate positions from highest to lowest score; ties broken by a seeded coin."""
    try:
        scores = np.asarray(scores, dtype=float)
    except (TypeError, ValueError) as exc:
        raise PluginError(f"intervention {plugin!r} returned scores that are not numbers ({type(exc).__name__}: {exc}); "
                          "expected one finite float per candidate") from None
    if scores.shape != (n_candidates,):
        raise PluginError(f"intervention {plugin!r} returned scores of shape {scores.shape}, expected ({n_candidates},): one per candidate")
    if not np.all(np.isfinite(scores)):
        bad = int(np.sum(~np.isfinite(scores)))
        raise PluginError(f"intervention {plugin!r} returned {bad} non-finite scores; every candidate needs a finite score")
    tiebreak = np.random.default_rng([seed, TIEBREAK_STREAM]).random(n_candidates)
    return np.lexsort((tiebreak, -scores))


def flip(y_train_full: np.ndarray, candidates: np.ndarray, ranking: np.ndarray, budget: int) -> tuple[np.ndarray, int]:
    """Labels after the top-``budget`` candidates flip 0 -> 1, and how many actually flipped."""
    n_flips = min(int(budget), len(candidates))
    flipped = y_train_full.copy()
    chosen = candidates[ranking[:n_flips]]
    flipped[chosen] = 1
    return flipped, n_flips
