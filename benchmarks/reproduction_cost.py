#!/usr/bin/env python
"""Where the reproduction's time goes: fit and method seconds per step and per intervention.

    python benchmarks/reproduction_cost.py [RESULTS_ROOT] [--markdown]

Reads the cells.csv of every step of ``fairbench reproduce``'s plan (``fairbench.reproduction.STEPS``)
under RESULTS_ROOT (default results/) and sums the seconds each cell recorded when it was
computed: ``fit_seconds`` (the firm's learner) and ``method_seconds`` (the intervention's own
work; a user-side strategy ranks once per seed for all its budgets, so that is counted once per
task; an in-processing method's fit is the method, recorded in both columns and counted once).  A cell that an earlier step of the plan already has is counted where it is first
computed, as the shared cell cache does.  The last lines compare the summed cost with two cores.

The seconds are as recorded, on whatever load the machine had then: treat them as shares of the
work, not as a timing of an idle machine.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
from tabulate import tabulate

from fairbench.reproduction import STEPS


def cells(root: Path) -> pd.DataFrame:
    frames = []
    for step in STEPS:
        for dataset in step.datasets:
            folder = root / dataset / step.name
            for csv in sorted(folder.rglob("cells.csv")):
                frame = pd.read_csv(csv, usecols=lambda c: c in {"key", "intervention", "stage", "seed", "fit_seconds",
                                                                 "method_seconds"})
                frame["step"] = f"{dataset}/{step.name}"
                frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def cost(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct cell, with its own share of the seconds."""
    first = frame.drop_duplicates("key", keep="first").copy()
    first["fit"] = first["fit_seconds"].fillna(0.0)
    post = first["stage"] == "post"
    first.loc[post, "fit"] = 0.0  # a post-processor's row repeats the baseline's fit time
    labels = first["stage"] == "labels"
    once = ~first[labels].duplicated(["step", "intervention", "seed"])
    first["method"] = first["method_seconds"].fillna(0.0)
    first.loc[labels, "method"] = first.loc[labels, "method"].where(once, 0.0)
    first.loc[first["stage"] == "in", "method"] = 0.0  # an in-processing row records its one fit as both
    return first


def main(argv: list[str]) -> int:
    fmt = "github" if "--markdown" in argv else "simple"
    argv = [a for a in argv if a != "--markdown"]
    root = Path(argv[0]) if argv else Path("results")
    frame = cells(root)
    distinct = cost(frame)
    per_step = frame.groupby("step", sort=False).size().rename("cells").to_frame()
    per_step["new cells"] = distinct.groupby("step", sort=False).size()
    per_step[["fit s", "method s"]] = distinct.groupby("step", sort=False)[["fit", "method"]].sum()
    per_step = per_step.fillna(0)
    per_step["share"] = (per_step["fit s"] + per_step["method s"]) / (distinct["fit"].sum() + distinct["method"].sum())
    print("per step (cells: in its folder; new: not in an earlier step)\n")
    print(tabulate(per_step.reset_index().values.tolist(), ["step", "cells", "new cells", "fit s", "method s", "share"],
                   floatfmt=("", ".0f", ".0f", ".0f", ".0f", ".1%"), tablefmt=fmt))
    per_iv = distinct.groupby("intervention")[["fit", "method"]].sum()
    per_iv["cells"] = distinct.groupby("intervention").size()
    per_iv["total"] = per_iv["fit"] + per_iv["method"]
    per_iv = per_iv.sort_values("total", ascending=False)
    print("\nper intervention (distinct cells)\n")
    print(tabulate([[i, int(r.cells), r.fit, r.method, r.total] for i, r in per_iv.iterrows()],
                   ["intervention", "cells", "fit s", "method s", "total s"], floatfmt=("", ".0f", ".0f", ".0f", ".0f"),
                   tablefmt=fmt))
    total = distinct["fit"].sum() + distinct["method"].sum()
    print(f"\n{len(frame)} cells summed over steps, {len(distinct)} distinct; recorded cost {total / 60:.0f} core-minutes, "
          f"{total / 120:.0f} minutes on 2 cores at perfect parallelism (toy and diagnostics not included)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
