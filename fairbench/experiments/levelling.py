"""``fairbench experiment levelling``: each group's rate changes along the flip curve of each strategy.

Did an EqOd gain raise the minority's (a=1) TPR, FPR and selection rate, or lower the majority's
(a=0)?  One comparison at one alpha over budgets M; per point, each group's change against the
same seed's baseline (the cells' ``d_<rate>`` columns), its seed mean and paired 95% interval, and
the verdict of the levelling rule (``fairbench.levelling``; docs/protocol.md, "Levelling up or
down").  Writes levelling.csv/.txt/.md, levelling.png (per strategy, each group's change vs M),
the run's cells.csv and fronts.csv, and COMMAND.txt into results/<dataset>/levelling/.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from tabulate import tabulate

from fairbench import levelling
from fairbench.collective_model import DEFAULT_COLLECTIVE_MODEL
from fairbench.experiments._common import (
    USER_SIDE, CompareCall, ExperimentResult, RunConfig, collect_messages, one_comparison, protocol_text,
    write_common,
)
from fairbench.experiments.plots import levelling_figure
from fairbench.experiments.sweeps import FLIP_FRACTIONS

ALPHA = 0.3
#: budgets as fractions of the candidate pool (seed 0): the flips experiment's grid, and with its
#: protocol (validation 0.2, VALIDATION_DEFAULTS) every levelling cell is a flips cell, so the shared
#: cell cache serves it instead of a second fit
FRACTIONS = FLIP_FRACTIONS
FAIRNESS = "eqod"  # the gain the question is about


def levelling_calls(cfg: RunConfig, alpha: float = ALPHA, fractions=FRACTIONS, interventions=USER_SIDE) -> list[CompareCall]:
    return one_comparison(cfg, "levelling", interventions, alpha, fractions)


def run_levelling(cfg: RunConfig, alpha: float = ALPHA, fractions=FRACTIONS, interventions=USER_SIDE) -> ExperimentResult:
    """Per strategy and budget: each group's TPR, FPR and selection-rate change against the baseline."""
    out = cfg.out_dir("levelling")
    run, = [cfg.run_call(c) for c in levelling_calls(cfg, alpha, fractions, interventions)]
    model = cfg.collective_model or DEFAULT_COLLECTIVE_MODEL
    summary = levelling.summary(run.cells, run.metrics, also=("error", FAIRNESS))
    summary.insert(len(levelling.POINT), "learner", cfg.learner)
    summary.insert(len(levelling.POINT) + 1, "collective_model", model)
    pairs = levelling.rate_pairs(run.metrics)
    command = cfg.command("levelling", [("--alpha", alpha), ("--budget-fractions", list(fractions)),
                                        ("--interventions", list(interventions))])
    problems, failures = collect_messages([run])
    result = ExperimentResult("levelling", cfg.dataset, out, command, summary, "", problems=problems,
                              failures=failures, protocol=protocol_text(cfg.validation("levelling")))
    result.table, result.markdown = _tables(summary, pairs)
    result.checks = _checks(summary, pairs)
    title = (f"{cfg.dataset}, alpha={alpha:g}, collective model {model}: each group's rate minus the baseline's "
             f"(same seed); bands: 95% paired bootstrap interval over {cfg.seeds} seeds")
    result.files.append(levelling_figure(summary, pairs, out / "levelling.png", title))
    write_common(result, f"{cfg.dataset}: levelling up or down along the flip curve, alpha={alpha:g} "
                         f"({cfg.seeds} seeds, learner {cfg.learner}, collective model {model})")
    return result


def _point(row: pd.Series) -> str:
    knob = "M" if row["knob"] == "budget" else row["knob"]
    return f"{knob}={row['knob_value']:g}" if row["knob"] != "none" else ""


def _text(row: pd.Series, column: str) -> str:
    return levelling.interval(row, column).text()


def _tables(summary: pd.DataFrame, pairs: dict) -> tuple[str, str]:
    headers = ["intervention", "point", "flips", "seeds", "EqOd change"]
    for minority, majority in pairs.values():
        label = levelling.rate_label(minority)
        headers += [f"{label} a=1", f"{label} a=0", label]
    rows = []
    for _, r in summary.iterrows():
        flips = r["n_flips_mean"]
        row = [r["intervention"], _point(r), "" if not np.isfinite(flips) else f"{flips:.0f}", int(r["n_seeds"]),
               _text(r, f"d_{FAIRNESS}")]
        for rate, (minority, majority) in pairs.items():
            row += [_text(r, f"d_{minority.name}"), _text(r, f"d_{majority.name}"), r[f"levelling_{rate}"]]
        rows.append(row)
    note = ("each cell: seed mean of (point - baseline of the same seed) [95% paired bootstrap interval over seeds]; "
            "a=1 is the minority, the collective's group; verdicts by the levelling rule of docs/protocol.md")
    return (tabulate(rows, headers, disable_numparse=True) + "\n" + note,
            tabulate(rows, headers, tablefmt="github", disable_numparse=True) + "\n\n" + note)


def _checks(summary: pd.DataFrame, pairs: dict) -> list[str]:
    """Per strategy, the question in plain words: at its largest mean EqOd gain, and along its curve."""
    checks = []
    gain = f"d_{FAIRNESS}_mean"
    for name, part in summary.groupby("intervention", sort=False):
        moved = part[part["n_flips_mean"].fillna(1) > 0] if (part["side"] == "user").all() else part
        if moved.empty or not np.isfinite(moved[gain]).any():
            checks.append(f"{name}: no point with a defined EqOd change")
            continue
        best = moved.loc[moved[gain].idxmin()]
        change = levelling.interval(best, f"d_{FAIRNESS}")
        said = "an EqOd gain" if change.high < 0 else "no clear EqOd gain"
        rates = "; ".join(best[f"levelling_{rate}_text"] for rate in pairs)
        checks.append(f"{name}: largest mean EqOd gain at {_point(best)} (selected on test, descriptive): {said}, "
                      f"EqOd {change.text()} vs baseline; {rates}")
        counts = []
        for rate, (minority, _) in pairs.items():
            tally = moved[f"levelling_{rate}"].value_counts()
            counts.append(f"{levelling.rate_label(minority)} " + ", ".join(f"{v} at {n}" for v, n in tally.items()))
        checks.append(f"{name} along its {len(moved)} points: " + "; ".join(counts))
    return checks
