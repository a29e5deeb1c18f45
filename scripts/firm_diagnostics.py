#!/usr/bin/env python
"""Numbers docs/firm-methods.md and the C6 verdict quote that no results table prints.

    python scripts/firm_diagnostics.py results/adult/firm-paper results/compas/firm-paper

For each folder: LFR against the baseline at every Az, paired by seed (mean test EqOd difference
with fairbench's 95% percentile-bootstrap interval, seeds below the baseline, the range of the
final objective), and the range over seeds of calibrated EO's fitted mixing rates.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fairbench.statistics import bootstrap_mean  # noqa: E402


def lfr_lines(cells: pd.DataFrame) -> list[str]:
    base = cells[cells["intervention"] == "baseline"].set_index("seed")["eqod"]
    lines = []
    for az, part in cells[cells["intervention"] == "lfr"].groupby("knob_value"):
        part = part.set_index("seed")
        diff = (part["eqod"] - base.reindex(part.index)).dropna()
        mean, low, high = bootstrap_mean(diff)
        objective = part["lfr_objective"] if "lfr_objective" in part else pd.Series(dtype=float)
        lines.append(f"  lfr Az={az:g}: EqOd - baseline {mean:+.3f} [{low:+.3f}, {high:+.3f}] over {len(diff)} seeds, "
                     f"{int((diff < 0).sum())} below the baseline; objective {objective.min():.2f}-{objective.max():.2f}")
    return lines


def mixing_lines(cells: pd.DataFrame) -> list[str]:
    part = cells[cells["intervention"] == "calibrated-eo"]
    if part.empty or "ceo_mix_rate_a0" not in part:
        return []
    rates = part.groupby("seed")[["ceo_mix_rate_a1", "ceo_mix_rate_a0"]].first()
    return [f"  calibrated-eo mixing rate, {col}: {rates[col].min():.2f}-{rates[col].max():.2f} over {len(rates)} seeds"
            for col in rates]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dirs", nargs="+", help="results folders holding cells.csv")
    args = parser.parse_args(argv)
    for folder in args.dirs:
        cells = pd.read_csv(Path(folder) / "cells.csv")
        cells = cells[cells["status"] == "ok"]
        print(folder)
        for line in lfr_lines(cells) + mixing_lines(cells):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
