"""What a reader must know about a method's cells beyond its metrics, in one line per method.

Plugins add diagnostic columns through ``extra_metrics``; two of them change how a front must be
read, so the firm tables and the leaderboard print them: calibrated EO's ``ceo_infeasible`` (a
fitted mixing rate above 1: the method's own target could not be met) and the reductions'
``oracle_learner`` (the learner fairlearn's oracle called).
"""
from __future__ import annotations

import pandas as pd


def _true(value) -> bool:
    """A flag as stored: a bool in memory, 'True'/'False' text after a CSV round trip."""
    return value is True or str(value).strip().lower() in ("true", "1", "1.0")


def method_notes(cells: pd.DataFrame) -> dict[str, str]:
    """What a reader must know about a firm method's cells: infeasible targets, the oracle used."""
    notes: dict[str, list[str]] = {}
    ok = cells[cells["status"] == "ok"] if "status" in cells else cells
    if "ceo_infeasible" in ok:
        for name, part in ok[ok["ceo_infeasible"].notna()].groupby("intervention"):
            flagged = part.groupby("seed")["ceo_infeasible"].apply(lambda v: bool(v.map(_true).any()))
            if flagged.any():
                notes.setdefault(name, []).append(
                    f"infeasible target (mixing rate > 1) in {int(flagged.sum())}/{len(flagged)} seeds")
    if "oracle_learner" in ok:
        for name, part in ok[ok["oracle_learner"].notna()].groupby("intervention"):
            notes.setdefault(name, []).append("oracle " + ", ".join(sorted(set(part["oracle_learner"].astype(str)))))
    return {name: "; ".join(parts) for name, parts in notes.items()}
