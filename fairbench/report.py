"""Tables and exported files of a comparison (CSV and PNG are derived from the store)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from fairbench.figures import flips_figure, fronts_figure


def _pm(mean, std, digits: int = 3) -> str:
    if mean is None or not np.isfinite(mean):
        return "n/a"
    if std is None or not np.isfinite(std):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def fronts_table(front: pd.DataFrame, tablefmt: str = "simple") -> str:
    """The fronts as a terminal table: one row per intervention and knob value."""
    from tabulate import tabulate

    rows = []
    for _, r in front.iterrows():
        knob = "" if r["knob"] == "none" else f"{r['knob']}={r['knob_value']:g}"
        flips = "" if not np.isfinite(r.get("n_flips_mean", np.nan)) else f"{r['n_flips_mean']:.0f}"
        rows.append([
            r["intervention"], r["side"], knob, _pm(r["error_mean"], r["error_std"]),
            _pm(r["eqod_mean"], r["eqod_std"]), _pm(r["sp_mean"], r["sp_std"]), flips, int(r["n_seeds"]),
            "*" if r.get("front_eqod") else "",
        ])
    headers = ["intervention", "side", "knob", "error", "EqOd", "SP", "flips", "seeds", "front"]
    return tabulate(rows, headers=headers, tablefmt=tablefmt, disable_numparse=True)


def write_outputs(result) -> list[Path]:
    """cells.csv, fronts.csv and the figures, in the result's output directory."""
    out = Path(result.output)
    out.mkdir(parents=True, exist_ok=True)
    files = []
    cells_path = out / "cells.csv"
    result.cells.to_csv(cells_path, index=False)
    files.append(cells_path)
    fronts_path = out / "fronts.csv"
    result.fronts.to_csv(fronts_path, index=False)
    files.append(fronts_path)
    if not result.fronts.empty:
        files.append(fronts_figure(result.fronts, out / "fronts_eqod.png", "eqod", f"{result.dataset}: error vs EqOd"))
        files.append(fronts_figure(result.fronts, out / "fronts_sp.png", "sp", f"{result.dataset}: error vs SP"))
        if (result.fronts["side"] == "user").any():
            files.append(flips_figure(result.fronts, out / "flips_eqod.png", "eqod", f"{result.dataset}: EqOd vs flips"))
            files.append(flips_figure(result.fronts, out / "flips_sp.png", "sp", f"{result.dataset}: SP vs flips"))
    table_path = out / "fronts.txt"
    table_path.write_text(fronts_table(result.fronts) + "\n")
    files.append(table_path)
    return files
