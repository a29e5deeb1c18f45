"""One comparison's exported files and terminal text: cells.csv, fronts.csv, the figures, fronts.txt
and the ranked summary (derived from the store).  Reports across result folders: ``fairbench.report``."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from fairbench.figures import flips_figure, fronts_figure
from fairbench.metrics import of_kind


def pm(mean, std, digits: int = 3) -> str:
    """``mean ± std`` (``n/a`` when the mean is missing)."""
    if mean is None or not np.isfinite(mean):
        return "n/a"
    if std is None or not np.isfinite(std):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def protocol_text(validation_fraction: float) -> str:
    """One line naming the protocol, for tables and COMMAND.txt readers (docs/protocol.md)."""
    if not validation_fraction:
        return "protocol: paper (train/test, --validation-fraction 0; no operating points on validation)"
    return (f"protocol: validation (--validation-fraction {validation_fraction:g} of train; operating points "
            "chosen on validation, reported on test; docs/protocol.md)")


def ci(mean, low, high, digits: int = 3, signed: bool = False) -> str:
    """``mean [low, high]`` (``n/a`` when the mean is missing, no interval below 2 seeds)."""
    if mean is None or not np.isfinite(mean):
        return "n/a"
    f = f"{{:+.{digits}f}}" if signed else f"{{:.{digits}f}}"
    if low is None or high is None or not (np.isfinite(low) and np.isfinite(high)):
        return f.format(mean)
    return f"{f.format(mean)} [{f.format(low)}, {f.format(high)}]"


def fronts_table(front: pd.DataFrame, fairness=("eqod", "sp"), metrics=None, tablefmt: str = "simple") -> str:
    """The fronts as a terminal table: one row per intervention and knob value; a column for the
    error and for each of the ``fairness`` metrics (registered names), the front flag of the first."""
    from tabulate import tabulate

    from fairbench.metrics import check_fairness_metrics, of_kind

    fairness = check_fairness_metrics(fairness, metrics)
    by_name = {m.name: m for m in of_kind("fairness", metrics)}
    shown = [*of_kind("error", metrics), *(by_name[n] for n in fairness)]
    rows = []
    for _, r in front.iterrows():
        knob = knob_text(r)
        flips = "" if not np.isfinite(r.get("n_flips_mean", np.nan)) else f"{r['n_flips_mean']:.0f}"
        rows.append([
            r["intervention"], r["side"], knob, *(pm(r.get(f"{m.name}_mean"), r.get(f"{m.name}_std")) for m in shown),
            flips, int(r["n_seeds"]), "*" if r.get(f"front_{fairness[0]}") else "",
        ])
    headers = ["intervention", "side", "knob", *(m.header for m in shown), "flips", "seeds", "front"]
    return tabulate(rows, headers=headers, tablefmt=tablefmt, disable_numparse=True)


def knob_text(r) -> str:
    """``eps=0.02``; a pipeline's two knobs ``budget=10, eps=0.02``; nothing for a knob named none."""
    names = str(r["knob"]).split("+")
    values = [r["knob_value"], r.get("firm_knob")][:len(names)]
    return ", ".join(f"{n}={v:g}" for n, v in zip(names, values) if n != "none")


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
    shown = [m for m in of_kind("fairness", result.metrics) if m.name in result.fairness_metrics]
    shown.sort(key=lambda m: result.fairness_metrics.index(m.name))
    if not result.fronts.empty:
        for m in shown:
            files.append(fronts_figure(result.fronts, out / f"fronts_{m.name}.png", m.name,
                                       f"{result.dataset}: error vs {m.header}", result.metrics))
        if (result.fronts["side"] == "user").any():
            for m in shown:
                files.append(flips_figure(result.fronts, out / f"flips_{m.name}.png", m.name,
                                          f"{result.dataset}: {m.header} vs flips", result.metrics))
    cells = result.cells
    fraction = (pd.to_numeric(cells["validation_fraction"], errors="coerce").dropna()
                if "validation_fraction" in cells else pd.Series(dtype=float))
    table_path = out / "fronts.txt"
    table_path.write_text(protocol_text(float(fraction.iloc[0]) if len(fraction) else 0.0) + "\n\n"
                          + fronts_table(result.fronts, result.fairness_metrics, result.metrics) + "\n")
    files.append(table_path)
    return files


def ranked_summary(cells: pd.DataFrame, files=()) -> str:
    """The end of ``compare``'s terminal output: one line per intervention, best hypervolume first,
    with its 95% interval, its low-error operating point (chosen on validation, test value) and
    the figures.  The full per-knob table is fronts.txt."""
    from fairbench.scoring import dataset_scores, target_column

    scores = dataset_scores([cells]) if not cells.empty else pd.DataFrame()
    if scores.empty:
        return ""
    col = target_column("eqod@error<=base+0.01")
    width = max(len(n) for n in scores["intervention"])
    lines = ["ranked by hypervolume of (error, EqOd) on test, 95% bootstrap interval over seeds; "
             "low-error point = lowest EqOd with error <= baseline + 0.01, chosen on validation, test value:"]
    for i, r in scores.iterrows():
        if not r["has_validation"]:
            point = "no validation split (--validation-fraction 0)"
        elif not r[f"{col}_n"]:
            point = "not attainable"
        else:
            knob = r[f"{col}_knob_mean"]
            point = (f"EqOd {ci(r[f'{col}_mean'], r[f'{col}_low'], r[f'{col}_high'])}"
                     + (f" at {'M' if str(r['side']).startswith('user') else 'knob'} {knob:.3g} (seed mean)"
                        if np.isfinite(knob) and r["side"] != "baseline" else "")
                     + (f" ({int(r[f'{col}_n'])}/{int(r['n_seeds'])} seeds)" if r[f"{col}_n"] < r["n_seeds"] else ""))
        lines.append(f"{i + 1:>3}. {r['intervention']:<{width}}  HV {ci(r['hv_eqod_mean'], r['hv_eqod_low'], r['hv_eqod_high'], 2):<20}"
                     f"  {point}")
    figures = [str(f) for f in files if str(f).endswith(".png")]
    if figures:
        lines.append("figures: " + ", ".join(figures))
    return "\n".join(lines)
