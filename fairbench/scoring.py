"""Per dataset, one row per intervention: the scores the leaderboard and the report rank by.

Per seed: the normalised hypervolume of the test (error, unfairness) points for every registered
fairness metric the cells hold (EqOd, EqOd max, SP, ...; ``hv_<name>``), and the operating points
chosen on validation (fairbench.selection).  Over seeds: means with 95%
bootstrap intervals, and paired differences against the baseline and against ``random``
(fairbench.statistics).  The protocol is docs/protocol.md.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from fairbench.contract import BASELINE
from fairbench.selection import operating_points, targets
from fairbench.statistics import bootstrap_mean, paired, seed_hypervolumes

RANDOM = "random"
#: what the rows are ranked by (the paper's fairness metric)
RANK_BY = "hv_eqod"


def hv_columns(cells: pd.DataFrame, metrics=None) -> tuple[str, ...]:
    """``hv_<name>`` of each registered fairness metric with values in ``cells``, in registration
    order (a metric registered after the cells were stored has none and gets no column)."""
    from fairbench.metrics import of_kind

    return tuple(f"hv_{m.name}" for m in of_kind("fairness", metrics)
                 if m.name in cells and pd.to_numeric(cells[m.name], errors="coerce").notna().any())


def target_column(target: str) -> str:
    """``op_eqod@error<=base+0.01`` style column name of one operating-point target."""
    return f"op_{target}"


def per_seed(cells: pd.DataFrame, metrics=None) -> pd.DataFrame:
    """(intervention, seed) rows: hypervolumes on test, and per target the chosen knob's test value
    (EqOd for (a) targets, error for (b) targets; NaN when not attainable on validation)."""
    out = None
    for col in hv_columns(cells, metrics):
        hv = seed_hypervolumes(cells, col[3:]).rename(columns={"hv": col})
        out = hv if out is None else out.merge(hv[["intervention", "seed", col]], on=["intervention", "seed"],
                                               how="outer")
    ops = operating_points(cells)
    for target, kind, _ in targets():
        part = ops[ops["target"] == target]
        value = part["eqod"] if kind == "a" else part["error"]
        col = target_column(target)
        frame = pd.DataFrame({"intervention": part["intervention"], "seed": part["seed"], col: value.to_numpy(float),
                              f"{col}_knob": part["knob_value"].to_numpy(float),
                              f"{col}_flips": part["n_flips"].to_numpy(float)})
        out = out.merge(frame, on=["intervention", "seed"], how="left") if not part.empty else out.assign(
            **{col: np.nan, f"{col}_knob": np.nan, f"{col}_flips": np.nan})
    return out


def summarize(seeds: pd.DataFrame, validation: bool) -> pd.DataFrame:
    """One row per intervention from ``per_seed`` rows: means, intervals, paired verdicts."""
    names = list(dict.fromkeys(seeds["intervention"]))
    rows = {n: {"intervention": n, "side": seeds.loc[seeds["intervention"] == n, "side"].dropna().iloc[0]
                if seeds.loc[seeds["intervention"] == n, "side"].notna().any() else "",
                "n_seeds": int(seeds.loc[seeds["intervention"] == n, "seed"].nunique()),
                "has_validation": validation} for n in names}
    values = [c for c in seeds.columns if c.startswith("hv_")] + [target_column(t) for t, _, _ in targets()]
    for col in values:
        for n in names:
            mean, low, high = bootstrap_mean(seeds.loc[seeds["intervention"] == n, col])
            attained = int(seeds.loc[seeds["intervention"] == n, col].notna().sum())
            rows[n].update({f"{col}_mean": mean, f"{col}_low": low, f"{col}_high": high, f"{col}_n": attained})
            if col.startswith("op_"):
                rows[n][f"{col}_knob_mean"] = seeds.loc[seeds["intervention"] == n, f"{col}_knob"].mean()
                rows[n][f"{col}_flips_mean"] = seeds.loc[seeds["intervention"] == n, f"{col}_flips"].mean()
        higher = col.startswith("hv_")
        for reference, tag in ((BASELINE, "baseline"), (RANDOM, "random")):
            if reference not in names:
                continue
            diffs = paired(seeds, reference, col, higher_is_better=higher).set_index("intervention")
            for n in names:
                d = diffs.loc[n]
                rows[n].update({f"{col}_vs_{tag}_diff": d["diff"], f"{col}_vs_{tag}_low": d["low"],
                                f"{col}_vs_{tag}_high": d["high"], f"{col}_vs_{tag}": d["verdict"]})
    out = pd.DataFrame(list(rows.values()))
    return out.sort_values(f"{RANK_BY}_mean", ascending=False, na_position="last", kind="stable").reset_index(drop=True)


def dataset_scores(cells_by_folder: list[pd.DataFrame]) -> pd.DataFrame:
    """Scores of one dataset from one or more folders' cells; an intervention present in several
    folders (the baseline always is) is taken from the first.  Seeds pair across folders because
    a dataset's splits depend only on the seed and the validation share."""
    parts, seen = [], set()
    validation = False
    for cells in cells_by_folder:
        from fairbench.selection import has_validation

        validation = validation or has_validation(cells)
        rows = per_seed(cells)
        rows = rows[~rows["intervention"].isin(seen)]
        seen.update(rows["intervention"])
        parts.append(rows)
    seeds = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if seeds.empty:
        return pd.DataFrame()
    return summarize(seeds, validation)
