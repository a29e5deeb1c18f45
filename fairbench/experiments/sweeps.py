"""Experiments built from ``compare`` runs: alpha (Fig. 3/10), flips (Fig. 4/11), knowledge
(Fig. 5/14), firm (Fig. 7/12) and representations (Fig. 8/13).

Each writes into its output folder (default results/<dataset>/<experiment>/): the cells and fronts
of every compare run (cells.csv, fronts.csv; several runs go to sub-folders), a summary CSV, a
terminal table (.txt), a markdown table with the command line (.md), PNG figures and COMMAND.txt.
The SQLite store of every run sits beside its cells.csv, so re-running the command resumes.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from tabulate import tabulate

from fairbench.experiments._common import (
    RB_METHODS, USER_SIDE, CompareCall, ExperimentResult, RunConfig, baseline_row, best_points, collect_messages,
    flips_to_reach, one_comparison, pm, protocol_text, write_common,
)
from fairbench.experiments.plots import curve_figure, panels_figure
from fairbench.method_notes import method_notes
from fairbench.figures import flips_figure, fronts_figure

ALPHAS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0)
# Budgets of the alpha sweep: fractions of the candidate pool at alpha = 1 (seed 0), the same
# absolute M values at every alpha, each alpha capped at (and always including) its own pool.
ALPHA_FRACTIONS = (0.0, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0)
# Budgets of the other experiments: fractions of the candidate pool at their alpha (seed 0).
FLIP_FRACTIONS = (0.0, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
KNOWLEDGE = (None, 1000, 100, 10)
KNOWLEDGE_FRACTIONS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0)
ALPHA = 0.3


def _m(flips: float) -> str:
    return "never" if not np.isfinite(flips) else f"{flips:.0f}"


def _knowledge_label(n) -> str:
    return "all" if n is None else str(int(n))


# ---------------------------------------------------------------------------------------------
# alpha (Figure 3 / 10)
# ---------------------------------------------------------------------------------------------
def alpha_calls(cfg: RunConfig, alphas=ALPHAS, fractions=ALPHA_FRACTIONS, interventions=USER_SIDE) -> list[CompareCall]:
    """One comparison per alpha, its budgets fractions of the pool at alpha = 1."""
    out = cfg.out_dir("alpha")
    return [CompareCall(out / f"alpha={alpha:g}", "alpha",
                        dict(interventions=list(interventions), alpha=alpha, budget_fractions=tuple(fractions),
                             budget_reference_alpha=1.0))
            for alpha in alphas]


def run_alpha(cfg: RunConfig, alphas=ALPHAS, fractions=ALPHA_FRACTIONS, interventions=USER_SIDE) -> ExperimentResult:
    """Best achievable EqOd and SP (min over budgets of the seed mean) for every alpha."""
    alphas = tuple(alphas)
    out = cfg.out_dir("alpha")
    rows, runs = [], []
    for alpha, call in zip(alphas, alpha_calls(cfg, alphas, fractions, interventions)):
        run = cfg.run_call(call)
        runs.append(run)
        best = best_points(run.fronts)
        best = best[best["side"] == "user"].copy()
        best.insert(0, "alpha", alpha)
        best.insert(1, "pool", _pool(run))
        rows.append(best)
    summary = pd.concat(rows, ignore_index=True)
    command = cfg.command("alpha", [("--alphas", list(alphas)), ("--budget-fractions", list(fractions)),
                                    ("--interventions", list(interventions))])
    result = _result("alpha", cfg, out, command, summary, runs)
    result.table, result.markdown = _alpha_tables(summary)
    result.checks = _alpha_checks(summary)
    base_eqod = float(summary["baseline_eqod"].iloc[0])
    base_sp = float(summary["baseline_sp"].iloc[0])
    result.files += [
        curve_figure(summary, "alpha", "best_eqod_mean", out / "alpha_eqod.png", yerr="best_eqod_std",
                     baseline=base_eqod, xlabel="collective size alpha (fraction of the minority in train)",
                     ylabel="oracle best EqOd (selected on test)", title=f"{cfg.dataset}: oracle best EqOd (selected on test) vs alpha"),
        curve_figure(summary, "alpha", "best_sp_mean", out / "alpha_sp.png", yerr="best_sp_std", baseline=base_sp,
                     xlabel="collective size alpha (fraction of the minority in train)",
                     ylabel="oracle best SP (selected on test)", title=f"{cfg.dataset}: oracle best SP (selected on test) vs alpha"),
    ]
    write_common(result, f"{cfg.dataset}: oracle best EqOd / SP (selected on test) vs alpha ({cfg.seeds} seeds, learner {cfg.learner})")
    return result


def _alpha_tables(summary: pd.DataFrame) -> tuple[str, str]:
    methods = list(dict.fromkeys(summary["intervention"]))
    rows = []
    for alpha, part in summary.groupby("alpha", sort=True):
        part = part.set_index("intervention")
        row = [f"{alpha:g}", int(part["pool"].iloc[0])]
        for m in methods:
            r = part.loc[m] if m in part.index else None
            row.append("" if r is None else f"{pm(r['best_eqod_mean'], r['best_eqod_std'])} (M={r['best_eqod_knob_value']:.0f})")
        for m in methods:
            r = part.loc[m] if m in part.index else None
            row.append("" if r is None else pm(r["best_sp_mean"], r["best_sp_std"]))
        rows.append(row)
    headers = ["alpha", "pool"] + [f"EqOd {m}" for m in methods] + [f"SP {m}" for m in methods]
    base = summary.iloc[0]
    note = f"baseline (no collective): EqOd {base['baseline_eqod']:.3f}, SP {base['baseline_sp']:.3f}, error {base['baseline_error']:.3f}"
    return (tabulate(rows, headers, disable_numparse=True) + "\n" + note,
            tabulate(rows, headers, tablefmt="github", disable_numparse=True) + "\n\n" + note)


def _alpha_checks(summary: pd.DataFrame) -> list[str]:
    checks = []
    alphas = sorted(summary["alpha"].unique())
    for name, part in summary.groupby("intervention", sort=False):
        curve = part.set_index("alpha")["best_eqod_mean"].sort_index()
        first, best = curve.iloc[0], curve.min()
        total = first - best
        line = f"{name}: oracle best EqOd {first:.3f} at alpha={alphas[0]:g} -> {curve.iloc[-1]:.3f} at alpha={alphas[-1]:g} (lowest {best:.3f} at alpha={curve.idxmin():g})"
        if ALPHA in curve.index and total > 0:
            share = (first - curve.loc[ALPHA]) / total
            line += f"; by alpha=0.3 it has {100 * share:.0f}% of its total improvement, {curve.loc[ALPHA] - best:.3f} EqOd left"
        ups = int(np.sum(np.diff(curve.to_numpy()) > 0))
        line += f"; {ups} of {len(curve) - 1} alpha steps go up"
        checks.append(line)
    return checks


# ---------------------------------------------------------------------------------------------
# flips (Figure 4 / 11)
# ---------------------------------------------------------------------------------------------
def flips_calls(cfg: RunConfig, alpha: float = ALPHA, fractions=FLIP_FRACTIONS, interventions=USER_SIDE) -> list[CompareCall]:
    return one_comparison(cfg, "flips", interventions, alpha, fractions)


def run_flips(cfg: RunConfig, alpha: float = ALPHA, fractions=FLIP_FRACTIONS, interventions=USER_SIDE) -> ExperimentResult:
    """EqOd and SP against the number of flips M at one alpha, mean ± std over seeds."""
    out = cfg.out_dir("flips")
    run, = [cfg.run_call(c) for c in flips_calls(cfg, alpha, fractions, interventions)]
    front = run.fronts
    user = front[front["side"] == "user"]
    summary = user[["intervention", "knob_value", "n_flips_mean", "eqod_mean", "eqod_std", "sp_mean", "sp_std",
                    "error_mean", "error_std", "n_seeds"]].rename(columns={"knob_value": "budget"})
    base = baseline_row(front)
    command = cfg.command("flips", [("--alpha", alpha), ("--budget-fractions", list(fractions)),
                                    ("--interventions", list(interventions))])
    result = _result("flips", cfg, out, command, summary.reset_index(drop=True), [run])
    result.table, result.markdown = _flips_tables(summary, base)
    result.checks = _flips_checks(user, base)
    title = f"{cfg.dataset}, alpha={alpha:g}"
    result.files += [
        flips_figure(front, out / "flips_eqod.png", "eqod", f"{title}: EqOd vs flips"),
        flips_figure(front, out / "flips_sp.png", "sp", f"{title}: SP vs flips"),
        fronts_figure(front, out / "fronts_eqod.png", "eqod", f"{title}: error vs EqOd"),
    ]
    write_common(result, f"{cfg.dataset}: EqOd / SP vs number of flips M, alpha={alpha:g} ({cfg.seeds} seeds, learner {cfg.learner})")
    return result


def _flips_tables(summary: pd.DataFrame, base) -> tuple[str, str]:
    methods = list(dict.fromkeys(summary["intervention"]))
    rows = []
    for budget, part in summary.groupby("budget", sort=True):
        part = part.set_index("intervention")
        row = [f"{budget:.0f}"]
        row += [pm(part.loc[m, "eqod_mean"], part.loc[m, "eqod_std"]) if m in part.index else "" for m in methods]
        row += [pm(part.loc[m, "sp_mean"], part.loc[m, "sp_std"]) if m in part.index else "" for m in methods]
        row += [pm(part.loc[m, "error_mean"], np.nan) if m in part.index else "" for m in methods]
        rows.append(row)
    headers = ["M"] + [f"EqOd {m}" for m in methods] + [f"SP {m}" for m in methods] + [f"err {m}" for m in methods]
    note = "" if base is None else f"baseline: EqOd {pm(base['eqod_mean'], base['eqod_std'])}, SP {pm(base['sp_mean'], base['sp_std'])}, error {pm(base['error_mean'], base['error_std'])}"
    return (tabulate(rows, headers, disable_numparse=True) + "\n" + note,
            tabulate(rows, headers, tablefmt="github", disable_numparse=True) + "\n\n" + note)


def _flips_checks(user: pd.DataFrame, base) -> list[str]:
    checks = []
    if "random" not in set(user["intervention"]):
        return checks
    rnd = user[user["intervention"] == "random"].set_index("knob_value")
    target = float(rnd["eqod_mean"].min())
    if base is not None:
        half = (float(base["eqod_mean"]) + target) / 2
        reach = ", ".join(f"{name} {_m(flips_to_reach(part, half))}" for name, part in user.groupby("intervention", sort=False))
        checks.append(f"half of random's EqOd reduction (EqOd <= {half:.3f}) first reached at M: {reach}")
    checks.append(f"target = random's lowest mean EqOd {target:.3f}, first reached by random at M={_m(flips_to_reach(rnd, target))}")
    for name, part in user.groupby("intervention", sort=False):
        part = part.set_index("knob_value")
        line = f"{name}: reaches EqOd <= {target:.3f} at M={_m(flips_to_reach(part, target))}"
        if name != "random":
            shared = [m for m in part.index if m > 0 and m in rnd.index]
            below = sum(part.loc[m, "eqod_mean"] < rnd.loc[m, "eqod_mean"] for m in shared)
            line += f"; below random at {below} of {len(shared)} budgets M>0"
        at_min = part["eqod_mean"].idxmin()
        last = part.index.max()
        rise = part.loc[last, "eqod_mean"] - part.loc[at_min, "eqod_mean"]
        line += (f"; lowest EqOd {part.loc[at_min, 'eqod_mean']:.3f} at M={at_min:.0f}, at the largest M={last:.0f}: "
                 f"{pm(part.loc[last, 'eqod_mean'], part.loc[last, 'eqod_std'])} (rise {rise:+.3f})")
        checks.append(line)
    return checks


# ---------------------------------------------------------------------------------------------
# knowledge (Figure 5 / 14)
# ---------------------------------------------------------------------------------------------
def knowledge_calls(cfg: RunConfig, alpha: float = ALPHA, knowledge=KNOWLEDGE, fractions=KNOWLEDGE_FRACTIONS,
                    interventions=RB_METHODS) -> list[CompareCall]:
    """One comparison per knowledge level; the budgets are fractions of the same pool (who the
    candidates are does not depend on what the collective knows of the majority)."""
    out = cfg.out_dir("knowledge")
    return [CompareCall(out / f"knowledge={_knowledge_label(n)}", "knowledge",
                        dict(interventions=list(interventions), alpha=alpha, budget_fractions=tuple(fractions),
                             majority_knowledge=n))
            for n in knowledge]


def run_knowledge(cfg: RunConfig, alpha: float = ALPHA, knowledge=KNOWLEDGE, fractions=KNOWLEDGE_FRACTIONS,
                  interventions=RB_METHODS) -> ExperimentResult:
    """Fronts of each RB method when the collective knows all, or only N random, majority rows."""
    out = cfg.out_dir("knowledge")
    fronts, runs = [], []
    for n, call in zip(knowledge, knowledge_calls(cfg, alpha, knowledge, fractions, interventions)):
        label = _knowledge_label(n)
        run = cfg.run_call(call)
        runs.append(run)
        f = run.fronts.copy()
        f.insert(0, "knowledge", label)
        fronts.append(f)
    front = pd.concat(fronts, ignore_index=True)
    base = baseline_row(front)
    user = front[front["side"] == "user"]
    rows = []
    for name, part in user.groupby("intervention", sort=False):
        full = part[part["knowledge"] == "all"]
        target = np.nan
        if not full.empty and base is not None:
            target = (base["eqod_mean"] + full["eqod_mean"].min()) / 2
        for label, p in part.groupby("knowledge", sort=False):
            best = best_points(pd.concat([p, front[front["side"] == "baseline"].iloc[:1]]))
            best = best[best["intervention"] == name].copy()
            best.insert(0, "knowledge", label)
            best["target_eqod"] = target
            best["flips_to_target"] = flips_to_reach(p, target) if np.isfinite(target) else np.nan
            rows.append(best)
    summary = pd.concat(rows, ignore_index=True)
    command = cfg.command("knowledge", [("--alpha", alpha), ("--knowledge", [_knowledge_label(n) for n in knowledge]),
                                        ("--budget-fractions", list(fractions)), ("--interventions", list(interventions))])
    result = _result("knowledge", cfg, out, command, summary, runs)
    result.table, result.markdown = _knowledge_tables(summary)
    result.checks = [
        f"{r['intervention']}, knowledge={r['knowledge']}: oracle best EqOd {pm(r['best_eqod_mean'], r['best_eqod_std'])} "
        f"(error {r['best_eqod_error_mean']:.3f}), lowest EqOd within 1 point of baseline error "
        f"{pm(r.get('low_error_eqod_mean', np.nan), r.get('low_error_eqod_std', np.nan))}, "
        f"M to reach {r['target_eqod']:.3f}: {_m(r['flips_to_target'])}"
        for _, r in summary.iterrows()
    ]
    title = f"{cfg.dataset}, alpha={alpha:g}, majority rows known: "
    result.files += [
        panels_figure(user, "intervention", "knowledge", out / "knowledge_eqod.png", metric="eqod", baseline=base,
                      title=f"{cfg.dataset}: "),
        panels_figure(user, "intervention", "knowledge", out / "knowledge_sp.png", metric="sp", baseline=base,
                      title=f"{cfg.dataset}: "),
        panels_figure(user, "intervention", "knowledge", out / "knowledge_flips_eqod.png", metric="eqod",
                      x="n_flips_mean", xlabel="number of label flips M", title=f"{cfg.dataset}: "),
    ]
    write_common(result, title.rstrip(": ") + f" ({cfg.seeds} seeds, learner {cfg.learner})")
    return result


def _knowledge_tables(summary: pd.DataFrame) -> tuple[str, str]:
    rows = [[r["intervention"], r["knowledge"], pm(r["best_eqod_mean"], r["best_eqod_std"]),
             pm(r["best_eqod_error_mean"], r["best_eqod_error_std"]), f"{r['best_eqod_flips_mean']:.0f}",
             pm(r.get("low_error_eqod_mean", np.nan), r.get("low_error_eqod_std", np.nan)),
             pm(r["best_sp_mean"], r["best_sp_std"]),
             "never" if not np.isfinite(r["flips_to_target"]) else f"{r['flips_to_target']:.0f}"]
            for _, r in summary.iterrows()]
    headers = ["method", "majority rows known", "oracle best EqOd (selected on test)", "error there", "flips there",
               "oracle EqOd, error <= base+0.01 (selected on test)", "oracle best SP (selected on test)", "M to reach target"]
    note = ("target = midpoint between the baseline's EqOd and the method's best EqOd with full knowledge; "
            f"baseline EqOd {summary['baseline_eqod'].iloc[0]:.3f}, error {summary['baseline_error'].iloc[0]:.3f}")
    return (tabulate(rows, headers, disable_numparse=True) + "\n" + note,
            tabulate(rows, headers, tablefmt="github", disable_numparse=True) + "\n\n" + note)


# ---------------------------------------------------------------------------------------------
# firm (Figure 7 / 12)
# ---------------------------------------------------------------------------------------------
def firm_side_names(registry=None) -> list[str]:
    """Every firm-side intervention of the default run that can run here (variants run when named)."""
    from fairbench.plugins import get_registry

    registry = registry or get_registry()
    return [iv.name for iv in registry.interventions.values()
            if iv.side == "firm" and iv.in_default_run and not registry.unavailable_reason(iv)]


def _firm_names(cfg: RunConfig, interventions) -> list[str]:
    """RB-prob (or the user-side methods among ``interventions``), then every available firm-side
    method (or the firm-side ones among ``interventions``)."""
    user, firm = ["rb-prob"], firm_side_names(cfg.registry)
    if interventions is not None:
        from fairbench.plugins import get_registry

        registry = cfg.registry or get_registry()
        sides = {n: registry.intervention(n).side for n in interventions}
        user = [n for n, side in sides.items() if side == "user"] or user
        firm = [n for n, side in sides.items() if side == "firm"]
    return list(user) + firm


def firm_calls(cfg: RunConfig, alpha: float = ALPHA, fractions=FLIP_FRACTIONS, interventions=None) -> list[CompareCall]:
    return one_comparison(cfg, "firm", _firm_names(cfg, interventions), alpha, fractions)


def run_firm(cfg: RunConfig, alpha: float = ALPHA, fractions=FLIP_FRACTIONS, interventions=None) -> ExperimentResult:
    """RB-prob (or the user-side methods among ``interventions``) against every available firm-side
    method (or the firm-side ones among ``interventions``)."""
    out = cfg.out_dir("firm")
    call, = firm_calls(cfg, alpha, fractions, interventions)
    run = cfg.run_call(call)
    front = run.fronts
    summary = best_points(front)
    command = cfg.command("firm", [("--alpha", alpha), ("--budget-fractions", list(fractions)),
                                   ("--interventions", call.kwargs["interventions"])])
    result = _result("firm", cfg, out, command, summary, [run])
    result.table, result.markdown = best_tables(summary, method_notes(run.cells))
    ranked = _ranked_tables(out)
    if ranked is not None:
        result.table += "\n\n" + ranked[0]
        result.markdown += "\n\n" + ranked[1]
        ranked[2].to_csv(out / "firm_scores.csv", index=False, float_format="%.6g")
        result.files.append(out / "firm_scores.csv")
    result.checks = _firm_checks(summary)
    title = f"{cfg.dataset}, collective alpha={alpha:g}"
    result.files += [
        fronts_figure(front, out / "firm_eqod.png", "eqod", f"{title}: error vs EqOd"),
        fronts_figure(front, out / "firm_sp.png", "sp", f"{title}: error vs SP"),
    ]
    write_common(result, f"{cfg.dataset}: collective action vs firm-side methods ({cfg.seeds} seeds, learner {cfg.learner})")
    return result


def best_tables(summary: pd.DataFrame, notes: dict[str, str] | None = None) -> tuple[str, str]:
    """Oracle best EqOd / SP (selected on test) and the oracle low-error view per intervention."""
    notes = notes or {}
    rows = []
    for _, r in summary.iterrows():
        knob = "" if r["best_eqod_knob"] == "none" else f"{r['best_eqod_knob']}={r['best_eqod_knob_value']:g}"
        flips = r.get("best_eqod_flips_mean", np.nan)
        rows.append([
            r["intervention"], r["side"], pm(r["best_eqod_mean"], r["best_eqod_std"]),
            pm(r["best_eqod_error_mean"], r["best_eqod_error_std"]), knob,
            "" if not np.isfinite(flips) or r["side"] != "user" else f"{flips:.0f}",
            pm(r.get("low_error_eqod_mean", np.nan), r.get("low_error_eqod_std", np.nan)),
            pm(r.get("best_sp_mean", np.nan), r.get("best_sp_std", np.nan)), int(r["n_seeds"]),
            notes.get(r["intervention"], ""),
        ])
    headers = ["intervention", "side", "oracle best EqOd (selected on test)", "error there", "knob there", "flips",
               "oracle EqOd, error <= base+0.01 (selected on test)", "oracle best SP (selected on test)", "seeds", "notes"]
    base = summary.iloc[0] if len(summary) else None
    note = "" if base is None else f"baseline error {base['baseline_error']:.3f}; the oracle low-error view (selected on test) keeps points with mean test error <= {base['baseline_error'] + 0.01:.3f}"
    return (tabulate(rows, headers, disable_numparse=True) + "\n" + note,
            tabulate(rows, headers, tablefmt="github", disable_numparse=True) + "\n\n" + note)


def _ranked_tables(out):
    """The folder's interventions ranked by hypervolume, with the validation-chosen operating points
    (fairbench.report.score_table; docs/protocol.md): (terminal text, markdown, scores frame)."""
    from fairbench.report import SCORE_HEADERS, score_rows, score_table

    scores = score_table([out])
    if scores.empty:
        return None
    title = ("Ranked by hypervolume (HV on test; (a)/(b) chosen on validation, values on test; "
             "oracle best selected on test; see docs/protocol.md)")
    rows = score_rows(scores)
    return (f"{title}\n" + tabulate(rows, SCORE_HEADERS, disable_numparse=True),
            f"{title}:\n\n" + tabulate(rows, SCORE_HEADERS, tablefmt="github", disable_numparse=True), scores)


def _firm_checks(summary: pd.DataFrame) -> list[str]:
    checks = []
    for _, r in summary.iterrows():
        if r["side"] == "baseline":
            checks.append(f"baseline: EqOd {r['best_eqod_mean']:.3f}, error {r['best_eqod_error_mean']:.3f}")
            continue
        checks.append(f"{r['intervention']} ({r['side']}): lowest EqOd {r['best_eqod_mean']:.3f} at error "
                      f"{r['best_eqod_error_mean']:.3f} ({r['best_eqod_error_mean'] - r['baseline_error']:+.3f} vs baseline); "
                      f"within 1 point of baseline error: EqOd {r.get('low_error_eqod_mean', np.nan):.3f}")
    return checks


# ---------------------------------------------------------------------------------------------
# representations (Figure 8 / 13)
# ---------------------------------------------------------------------------------------------
def representations_calls(cfg: RunConfig, alpha: float = ALPHA, fractions=FLIP_FRACTIONS,
                          interventions=("rb-dist", "rb-label", "rb-prob")) -> list[CompareCall]:
    from fairbench.interventions.fare_space import SUFFIX

    names = list(interventions) + [m + SUFFIX for m in interventions]
    return one_comparison(cfg, "representations", names, alpha, fractions)


def run_representations(cfg: RunConfig, alpha: float = ALPHA, fractions=FLIP_FRACTIONS,
                        interventions=("rb-dist", "rb-label", "rb-prob")) -> ExperimentResult:
    """Each RB method in raw (standardised) features vs in FARE's representation (``@fare``)."""
    from fairbench.interventions.fare_space import SUFFIX

    methods = tuple(interventions)
    out = cfg.out_dir("representations")
    run, = [cfg.run_call(c) for c in representations_calls(cfg, alpha, fractions, methods)]
    front = run.fronts.copy()
    front["method"] = front["intervention"].str.replace(SUFFIX, "", regex=False)
    front["space"] = np.where(front["intervention"].str.endswith(SUFFIX), "FARE representation", "raw features")
    user = front[front["side"] == "user"]
    base = baseline_row(front)
    best = best_points(run.fronts)
    best = best[best["side"] == "user"].copy()
    best.insert(0, "method", best["intervention"].str.replace(SUFFIX, "", regex=False))
    best.insert(1, "space", np.where(best["intervention"].str.endswith(SUFFIX), "FARE", "raw"))
    dominance = []
    for m in methods:
        raw = user[user["intervention"] == m]
        fare = user[user["intervention"] == m + SUFFIX]
        dominance.append({"method": m, "raw_front_dominated_by_fare": _dominated_share(raw, fare),
                          "fare_front_dominated_by_raw": _dominated_share(fare, raw)})
    summary = best.merge(pd.DataFrame(dominance), on="method", how="left")
    command = cfg.command("representations", [("--alpha", alpha), ("--budget-fractions", list(fractions)),
                                              ("--interventions", list(methods))])
    result = _result("representations", cfg, out, command, summary, [run])
    result.table, result.markdown = _repr_tables(summary)
    result.checks = [
        f"{d['method']}: share of the raw-feature front (EqOd) weakly dominated by a FARE-space point "
        f"{d['raw_front_dominated_by_fare']:.2f}; share of the FARE front dominated by a raw point {d['fare_front_dominated_by_raw']:.2f}"
        for d in dominance
    ]
    result.files += [
        panels_figure(user, "method", "space", out / "representations_eqod.png", metric="eqod", baseline=base,
                      title=f"{cfg.dataset}: "),
        panels_figure(user, "method", "space", out / "representations_sp.png", metric="sp", baseline=base,
                      title=f"{cfg.dataset}: "),
    ]
    write_common(result, f"{cfg.dataset}: RB scores in raw features vs FARE representation, alpha={alpha:g} "
                         f"({cfg.seeds} seeds, learner {cfg.learner})")
    return result


def _dominated_share(front: pd.DataFrame, other: pd.DataFrame, metric: str = "eqod") -> float:
    """Share of ``front``'s Pareto points (error, metric) weakly dominated by some point of ``other``."""
    flag = f"front_{metric}"
    points = front[front[flag]] if flag in front else front
    if points.empty or other.empty:
        return float("nan")
    ox, oy = other["error_mean"].to_numpy(float), other[f"{metric}_mean"].to_numpy(float)
    hit = [bool(np.any((ox <= x) & (oy <= y) & ((ox < x) | (oy < y))))
           for x, y in zip(points["error_mean"].astype(float), points[f"{metric}_mean"].astype(float))]
    return float(np.mean(hit))


def _repr_tables(summary: pd.DataFrame) -> tuple[str, str]:
    rows = [[r["method"], r["space"], pm(r["best_eqod_mean"], r["best_eqod_std"]),
             pm(r["best_eqod_error_mean"], r["best_eqod_error_std"]), f"{r['best_eqod_flips_mean']:.0f}",
             pm(r.get("low_error_eqod_mean", np.nan), r.get("low_error_eqod_std", np.nan)),
             pm(r["best_sp_mean"], r["best_sp_std"])]
            for _, r in summary.iterrows()]
    headers = ["method", "space", "oracle best EqOd (selected on test)", "error there", "flips there", "oracle EqOd, error <= base+0.01 (selected on test)", "oracle best SP (selected on test)"]
    note = f"baseline EqOd {summary['baseline_eqod'].iloc[0]:.3f}, error {summary['baseline_error'].iloc[0]:.3f}"
    return (tabulate(rows, headers, disable_numparse=True) + "\n" + note,
            tabulate(rows, headers, tablefmt="github", disable_numparse=True) + "\n\n" + note)


def _pool(run) -> int:
    """Seed 0's candidate pool, as the run's user-side cells recorded it."""
    cells = run.cells
    user = cells[(cells["side"] == "user") & (cells["seed"] == 0)]
    return int(user["n_candidates"].iloc[0]) if len(user) else 0


def _result(name: str, cfg: RunConfig, out, command: str, summary: pd.DataFrame, runs) -> ExperimentResult:
    problems, failures = collect_messages(runs)
    return ExperimentResult(name, cfg.dataset, out, command, summary, "", problems=problems, failures=failures,
                            protocol=protocol_text(cfg.validation(name)))
