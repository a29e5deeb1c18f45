"""``fairbench experiment interaction``: the collective's flips composed with a firm-side method.

Each user-side strategy (none, rb-prob, rb-label, random) is composed with each firm method (none,
threshold-optimizer, reductions-eg, fare, calibrated-eo, label-cleaning) as a pipeline
``strategy+method`` (``fairbench.pipelines``): the collective flips, then the firm runs its method,
at the method's default knob (``DEFAULT_KNOBS``), over the collective's budgets M.

Questions: does the collective lower EqOd beyond the firm method alone, at what error; and does
label cleaning undo the flips (how many of the flipped rows does it flag, and how much of the EqOd
gain survives)?  Every comparison is paired by seed: a composed cell minus the firm method alone
(same knob, same seed), a method alone or a strategy alone minus the same seed's baseline.

Two comparisons: ``alone/`` (every strategy alone over the budgets, every firm method alone at its
default knob) and ``composed/`` (the pipelines at the budgets M > 0; at M = 0 a pipeline is its firm
method alone, so those cells are not fitted twice).  The alone cells are exactly those of ``flips``
and ``firm`` under the same protocol (validation 0.2, alpha 0.3, a subset of the flips budgets) and
come from the shared cell cache when those ran first.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from tabulate import tabulate

from fairbench.experiments._common import CompareCall, ExperimentResult, RunConfig, collect_messages, protocol_text, write_common
from fairbench.export import ci
from fairbench.levelling import Interval

NONE = "none"
STRATEGIES = (NONE, "rb-prob", "rb-label", "random")
FIRM_METHODS = (NONE, "threshold-optimizer", "reductions-eg", "fare", "calibrated-eo", "label-cleaning")
LABEL_CLEANING = "label-cleaning"
ALPHA = 0.3
#: A subset of the flips grid (sweeps.FLIP_FRACTIONS), so the strategy-alone cells are flips' own.
#: Seven of its fourteen values: each composed budget costs one firm fit per strategy, method and
#: seed (18 pipelines), so the grid keeps where the flip curves bend (up to 0.3) and two points of
#: the tail, the half and the whole pool, where EqOd rises again.
FRACTIONS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0)
#: The budget of a verdict is chosen on validation: the lowest validation EqOd whose validation
#: error is at most the firm method alone's (same seed) + this (``fairbench.selection``'s rule (a)).
ERROR_MARGIN = 0.01
#: Each firm method's default knob, a value of its declared grid (so its cells are ``firm``'s), and why.
DEFAULT_KNOBS = {
    "threshold-optimizer": (0.0, "its grid is one point (exact equalized odds, fairlearn's ThresholdOptimizer)"),
    "reductions-eg": (0.02, "fairlearn's usual difference_bound 0.01 is not in the grid; 0.02 is the nearest grid "
                            "value that does not tighten it (0.005 costs the most error)"),
    "fare": (0.85, "the FARE paper's gamma, the method's own default"),
    "calibrated-eo": (1.0, "mix 1 is Pleiss et al.'s method itself; a smaller mix only blends in the plain learner"),
    "label-cleaning": (1.0, "cleanlab's default frac_noise (remove every issue it finds), the method's own default"),
}


def default_knob_table() -> str:
    """The choice of default knobs, as a markdown table (written beside the results)."""
    rows = [[name, f"{value:g}", why] for name, (value, why) in DEFAULT_KNOBS.items()]
    return tabulate(rows, ["firm method", "default knob", "why"], tablefmt="github", disable_numparse=True)


def chosen_methods(cfg: RunConfig, interventions=None) -> tuple[list[str], list[str], list[str]]:
    """(strategies, firm methods, skipped with a reason): ``interventions`` (default: all of
    STRATEGIES and FIRM_METHODS but none) split by side; a firm method that is not registered or
    cannot run here is skipped with its reason, as are firm methods without a default knob here."""
    from fairbench.errors import UserInputError
    from fairbench.plugins import get_registry

    registry = cfg.registry or get_registry()
    names = [n for n in (interventions or (*STRATEGIES, *FIRM_METHODS)) if n != NONE]
    strategies, firms, skipped = [], [], []
    for name in names:
        if name not in registry.interventions:
            if interventions is not None and name not in FIRM_METHODS:
                registry.intervention(name)  # an unknown name the user typed: the error lists the valid ones
            skipped.append(f"{name}: skipped, not registered here (no installed plugin provides it)")
            continue
        iv = registry.intervention(name)
        if iv.side == "user":
            strategies.append(name)
            continue
        reason = registry.unavailable_reason(iv)
        if name not in DEFAULT_KNOBS:
            raise UserInputError(f"interaction: firm method {name!r} has no default knob here; choose from "
                                 f"{', '.join(DEFAULT_KNOBS)}")
        (skipped.append(f"{name}: skipped, {reason}") if reason else firms.append(name))
    return strategies, firms, skipped


def interaction_calls(cfg: RunConfig, alpha: float = ALPHA, fractions=FRACTIONS, interventions=None) -> list[CompareCall]:
    """``alone/``: every strategy and firm method on its own; ``composed/``: every pipeline at M > 0."""
    out = cfg.out_dir("interaction")
    strategies, firms, _ = chosen_methods(cfg, interventions)
    grid = {f: (DEFAULT_KNOBS[f][0],) for f in firms}
    calls = [CompareCall(out / "alone", "interaction",
                         dict(interventions=[*strategies, *firms], alpha=alpha, budget_fractions=tuple(fractions),
                              grid=grid))]
    moved = tuple(f for f in fractions if f > 0)
    if strategies and firms and moved:
        calls.append(CompareCall(out / "composed", "interaction",
                                 dict(interventions=[f"{u}+{f}" for u in strategies for f in firms], alpha=alpha,
                                      budget_fractions=moved, grid=grid)))
    return calls


def run_interaction(cfg: RunConfig, alpha: float = ALPHA, fractions=FRACTIONS, interventions=None) -> ExperimentResult:
    """Per (strategy, firm method, M): EqOd and error, and their paired change against the firm method alone."""
    from fairbench.runner import plan_compare

    out = cfg.out_dir("interaction")
    strategies, firms, skipped = chosen_methods(cfg, interventions)
    calls = interaction_calls(cfg, alpha, fractions, interventions)
    runs = [cfg.run_call(c) for c in calls]
    cells = pd.concat([r.cells for r in runs], ignore_index=True).drop_duplicates("key")
    n_train = None
    if LABEL_CLEANING in firms:
        data = plan_compare(**cfg.compare_arguments(calls[0])).data
        vf = cfg.validation("interaction")
        n_train = {s: len(data.split(int(s), vf).train) for s in cells["seed"].unique()}
    points = paired_points(cells, strategies, n_train)
    summary = summarise(points)
    verdicts = verdict_table(points)
    cleaning = cleaning_table(points) if LABEL_CLEANING in firms and strategies else pd.DataFrame()
    extra = [] if interventions is None else [("--interventions", list(interventions))]
    command = cfg.command("interaction", [("--alpha", alpha), ("--budget-fractions", list(fractions)), *extra])
    problems, failures = collect_messages(runs)
    result = ExperimentResult("interaction", cfg.dataset, out, command, summary, "", problems=skipped + problems,
                              failures=failures, protocol=protocol_text(cfg.validation("interaction")))
    result.table, result.markdown = _tables(summary, verdicts, cleaning)
    result.checks = skipped + [f"{r['strategy']} + {r['firm']}: {r['verdict']}" for _, r in verdicts.iterrows()]
    result.checks += cleaning_checks(cleaning)
    for name, frame in (("interaction_verdicts", verdicts), ("interaction_label_cleaning", cleaning)):
        if len(frame):
            frame.to_csv(out / f"{name}.csv", index=False, float_format="%.6g")
            result.files.append(out / f"{name}.csv")
    result.files += _figures(summary, out, f"{cfg.dataset}, alpha={alpha:g}")
    write_common(result, f"{cfg.dataset}: the collective's flips composed with firm-side methods, alpha={alpha:g} "
                         f"({cfg.seeds} seeds, learner {cfg.learner})")
    return result


# ---------------------------------------------------------------------------------------------
# per-seed points and their references
# ---------------------------------------------------------------------------------------------
def paired_points(cells: pd.DataFrame, strategies, n_train: dict | None = None) -> pd.DataFrame:
    """One row per (strategy, firm, M, seed) with its test and validation EqOd and error and their
    change against its reference of the same seed (``d_eqod``, ``d_error``, ``val_d_...``): a
    composed cell's is its firm method alone, a method or strategy alone's the baseline.  A
    pipeline at M = 0 is its firm method alone (those cells are added as such)."""
    good = cells[cells["status"] == "ok"].copy()
    composed = good["user_intervention"].notna() if "user_intervention" in good else pd.Series(False, good.index)
    side = good["side"]
    good["strategy"] = np.where(composed, good.get("user_intervention"), np.where(side == "user", good["intervention"], NONE))
    good["firm"] = np.where(composed, good.get("firm_intervention"), np.where(side == "firm", good["intervention"], NONE))
    good["M"] = np.where(composed, good.get("budget", np.nan), np.where(side == "user", good["knob_value"], 0))
    columns = ["strategy", "firm", "M", "seed", "n_flips", "eqod", "error", "val_eqod", "val_error",
               "n_flagged", "n_flipped_flagged"]
    for c in columns:
        if c not in good:
            good[c] = np.nan
    points = good[columns].copy()
    for c in columns[2:]:
        points[c] = pd.to_numeric(points[c], errors="coerce")
    points.loc[points["firm"] == NONE, "n_flips"] = points.loc[points["firm"] == NONE, "n_flips"].fillna(0)
    alone = points[(points["strategy"] == NONE) & (points["firm"] != NONE)]
    zero = [alone.assign(strategy=u, n_flips=0) for u in strategies]
    points = pd.concat([points, *zero], ignore_index=True)
    points.loc[points["firm"] != NONE, "n_flips"] = points.loc[points["firm"] != NONE, "n_flips"].fillna(0)
    points["reference"] = np.where(points["strategy"] == NONE, NONE, points["firm"])
    refs = points[(points["strategy"] == NONE) & (points["M"] == 0)]
    refs = refs.drop(columns="reference").rename(columns={"firm": "reference", **{c: f"ref_{c}" for c in ("eqod", "error", "val_eqod", "val_error")}})
    points = points.merge(refs[["reference", "seed", "ref_eqod", "ref_error", "ref_val_eqod", "ref_val_error"]],
                          on=["reference", "seed"], how="left")
    for c in ("eqod", "error"):
        points[f"d_{c}"] = points[c] - points[f"ref_{c}"]
        points[f"val_d_{c}"] = points[f"val_{c}"] - points[f"ref_val_{c}"]
    if n_train is not None:
        points["n_train"] = points["seed"].map(n_train)
    return points.sort_values(["strategy", "firm", "M", "seed"], key=_order).reset_index(drop=True)


def _order(column: pd.Series) -> pd.Series:
    """STRATEGIES and FIRM_METHODS in their declared order, anything else after them."""
    rank = {n: i for i, n in enumerate((*STRATEGIES, *FIRM_METHODS))}
    return column.map(lambda v: rank.get(v, len(rank))) if column.name in ("strategy", "firm") else column


def _reference_label(firm: str) -> str:
    return "the learner" if firm == NONE else firm


def summarise(points: pd.DataFrame) -> pd.DataFrame:
    """Per (strategy, firm, M) but the baseline: seed means, and the paired changes with 95% intervals."""
    rows = []
    for (strategy, firm, m), part in points.groupby(["strategy", "firm", "M"], sort=False):
        if strategy == firm == NONE:
            continue
        row = {"strategy": strategy, "firm": firm, "M": m, "reference": "baseline" if strategy == NONE else
               _reference_label(firm) + " alone", "n_flips_mean": part["n_flips"].mean(),
               "eqod_mean": part["eqod"].mean(), "error_mean": part["error"].mean(), "n_seeds": part["seed"].nunique()}
        for c in ("d_eqod", "d_error"):
            row.update(_interval_columns(c, Interval.of(part[c])))
        rows.append(row)
    return pd.DataFrame(rows)


def _interval_columns(name: str, value: Interval) -> dict:
    return {f"{name}_mean": value.mean, f"{name}_low": value.low, f"{name}_high": value.high, f"{name}_n": value.n}


def _interval(row, name: str) -> Interval:
    return Interval(row[f"{name}_mean"], row[f"{name}_low"], row[f"{name}_high"], int(row[f"{name}_n"]))


# ---------------------------------------------------------------------------------------------
# verdicts
# ---------------------------------------------------------------------------------------------
def chosen_budgets(part: pd.DataFrame) -> pd.DataFrame:
    """Per seed, the budget M of one (strategy, firm) chosen on validation alone: the lowest
    validation EqOd whose validation error is at most the reference's (same seed) + ERROR_MARGIN
    (``fairbench.selection.choose_knobs``'s rule (a), the reference in the baseline's place).
    M = 0 (the firm method alone) always qualifies, so the collective may choose not to act."""
    from fairbench.selection import choose_knobs

    ref = part[part["M"] == 0].drop_duplicates("seed")
    frame = pd.concat([
        pd.DataFrame({"intervention": "point", "side": "point", "seed": part["seed"], "knob_value": part["M"],
                      "val_error": part["val_error"], "val_eqod": part["val_eqod"]}),
        pd.DataFrame({"intervention": "reference", "side": "baseline", "seed": ref["seed"], "knob_value": 0.0,
                      "val_error": ref["ref_val_error"], "val_eqod": ref["ref_val_eqod"]}),
    ], ignore_index=True)
    chosen = choose_knobs(frame, deltas=(ERROR_MARGIN,), epsilons=())
    chosen = chosen[(chosen["intervention"] == "point") & chosen["attainable"]]
    return chosen[["seed", "knob_value"]].rename(columns={"knob_value": "M"})


def interaction_verdict(eqod: Interval, error: Interval, reference: str) -> str:
    """The verdict on one (strategy, firm) from the paired test changes at the chosen budget:
    EqOd's 95% interval below 0 lowers it, above 0 raises it, else no clear change; fewer than
    ``statistics.MIN_SEEDS`` seeds give none (as every verdict)."""
    from fairbench.statistics import MIN_SEEDS

    if eqod.n < MIN_SEEDS or not (np.isfinite(eqod.low) and np.isfinite(eqod.high)):
        return f"too few seeds ({eqod.n})"
    at = f"at an error change of {error.text()}"
    if eqod.high < 0:
        return f"lowers EqOd beyond {reference} alone by {ci(-eqod.mean, -eqod.high, -eqod.low)} {at}"
    if eqod.low > 0:
        return f"raises EqOd above {reference} alone by {ci(eqod.mean, eqod.low, eqod.high)} {at}"
    return f"no clear change in EqOd against {reference} alone ({eqod.text()}) {at}"


def verdict_table(points: pd.DataFrame) -> pd.DataFrame:
    """Per (strategy, firm) with a strategy: the budget chosen on validation per seed, the test
    changes there against the reference, and the verdict."""
    rows = []
    for (strategy, firm), part in points[points["strategy"] != NONE].groupby(["strategy", "firm"], sort=False):
        chosen = chosen_budgets(part)
        at = part.merge(chosen, on=["seed", "M"])
        eqod, error = Interval.of(at["d_eqod"]), Interval.of(at["d_error"])
        rows.append({"strategy": strategy, "firm": firm, "reference": _reference_label(firm) + " alone",
                     "M_median": chosen["M"].median(), "M_min": chosen["M"].min(), "M_max": chosen["M"].max(),
                     "n_flips_mean": at["n_flips"].mean(), **_interval_columns("d_eqod", eqod),
                     **_interval_columns("d_error", error),
                     "verdict": interaction_verdict(eqod, error, _reference_label(firm))})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# label cleaning
# ---------------------------------------------------------------------------------------------
def cleaning_table(points: pd.DataFrame) -> pd.DataFrame:
    """Per strategy and M > 0: the share of the collective's flips label cleaning flags, its flag
    rate on the rows not flipped, the collective's EqOd gain without label cleaning (against the
    baseline) and with it (against label cleaning alone), and the share of the gain that survives
    (a ratio of seed means, paired by seed)."""
    from fairbench.statistics import bootstrap_ratio

    rows = []
    for strategy, mine in points[points["strategy"] != NONE].groupby("strategy", sort=False):
        for m, with_lc in mine[(mine["firm"] == LABEL_CLEANING) & (mine["M"] > 0)].groupby("M", sort=True):
            without = mine[(mine["firm"] == NONE) & (mine["M"] == m)]
            both = with_lc.merge(without[["seed", "d_eqod"]], on="seed", suffixes=("", "_without"))
            caught = with_lc["n_flipped_flagged"] / with_lc["n_flips"].where(with_lc["n_flips"] > 0)
            others = ((with_lc["n_flagged"] - with_lc["n_flipped_flagged"])
                      / (with_lc.get("n_train", np.nan) - with_lc["n_flips"]))
            ratio = bootstrap_ratio(-both["d_eqod"], -both["d_eqod_without"])
            rows.append({"strategy": strategy, "M": m, "n_flips_mean": with_lc["n_flips"].mean(),
                         **_interval_columns("flipped_flagged_share", Interval.of(caught)),
                         **_interval_columns("other_flagged_share", Interval.of(others)),
                         **_interval_columns("gain_without", Interval.of(-without["d_eqod"])),
                         **_interval_columns("gain_with", Interval.of(-with_lc["d_eqod"])),
                         "gain_surviving": ratio[0], "gain_surviving_low": ratio[1], "gain_surviving_high": ratio[2],
                         "gain_surviving_n": len(both)})
    return pd.DataFrame(rows)


def cleaning_checks(cleaning: pd.DataFrame) -> list[str]:
    """Per strategy, at the budget of its largest mean gain without label cleaning (selected on test, descriptive)."""
    checks = []
    if cleaning.empty:
        return checks
    for strategy, part in cleaning.groupby("strategy", sort=False):
        if not np.isfinite(part["gain_without_mean"]).any():
            continue
        r = part.loc[part["gain_without_mean"].idxmax()]
        checks.append(f"{strategy} + label-cleaning at M={r['M']:g} (the largest mean gain without it, selected on "
                      f"test, descriptive): flags {_share(r, 'flipped_flagged_share')} of the flipped rows "
                      f"against {_share(r, 'other_flagged_share')} of the others; EqOd gain "
                      f"{_interval(r, 'gain_without').text()} without it, {_interval(r, 'gain_with').text()} with it; "
                      f"share surviving {ci(r['gain_surviving'], r['gain_surviving_low'], r['gain_surviving_high'])}")
    return checks


# ---------------------------------------------------------------------------------------------
# tables and figures
# ---------------------------------------------------------------------------------------------
def _share(row, name: str) -> str:
    return ci(row[f"{name}_mean"], row[f"{name}_low"], row[f"{name}_high"])


def _flips(value) -> str:
    return "" if not np.isfinite(value) else f"{value:.0f}"


def _tables(summary: pd.DataFrame, verdicts: pd.DataFrame, cleaning: pd.DataFrame) -> tuple[str, str]:
    parts = []
    v_rows = [[r["strategy"], r["firm"], f"{r['M_median']:g} ({r['M_min']:g}-{r['M_max']:g})", _flips(r["n_flips_mean"]),
               _interval(r, "d_eqod").text(), _interval(r, "d_error").text(), r["verdict"]]
              for _, r in verdicts.iterrows()]
    parts.append(("Verdicts: per strategy and firm method, the budget M chosen on validation per seed (lowest "
                  f"validation EqOd with validation error <= the reference's + {ERROR_MARGIN:g}; median (range)), "
                  "its test EqOd and error minus the reference's (same seed) [95% paired bootstrap interval]",
                  v_rows, ["strategy", "firm method", "M chosen", "flips", "EqOd change", "error change", "verdict"]))
    if len(cleaning):
        c_rows = [[r["strategy"], f"{r['M']:g}", _flips(r["n_flips_mean"]), _share(r, "flipped_flagged_share"),
                   _share(r, "other_flagged_share"), _interval(r, "gain_without").text(),
                   _interval(r, "gain_with").text(),
                   ci(r["gain_surviving"], r["gain_surviving_low"], r["gain_surviving_high"])]
                  for _, r in cleaning.iterrows()]
        parts.append(("Label cleaning against the flips: share of the flipped rows it flags, its flag rate on the rows "
                      "not flipped, the collective's EqOd gain without label cleaning (vs the baseline) and with it "
                      "(vs label cleaning alone), and the share of the gain that survives (ratio of seed means)",
                      c_rows, ["strategy", "M", "flips", "flipped rows flagged", "other rows flagged",
                               "gain without", "gain with", "share surviving"]))
    rows = [[r["strategy"], r["firm"], f"{r['M']:g}", _flips(r["n_flips_mean"]), int(r["n_seeds"]),
             f"{r['eqod_mean']:.3f}", f"{r['error_mean']:.3f}", r["reference"], _interval(r, "d_eqod").text(),
             _interval(r, "d_error").text()] for _, r in summary.iterrows()]
    parts.append(("Every point: seed means, and the change against the reference (same seed) [95% paired bootstrap "
                  "interval]", rows, ["strategy", "firm method", "M", "flips", "seeds", "EqOd", "error", "reference",
                                      "EqOd change", "error change"]))
    knobs = "Default knobs of the firm methods:"
    text = "\n\n".join(f"{title}\n" + tabulate(r, h, disable_numparse=True) for title, r, h in parts)
    markdown = "\n\n".join(f"{title}:\n\n" + tabulate(r, h, tablefmt="github", disable_numparse=True)
                           for title, r, h in parts)
    return text + f"\n\n{knobs}\n{default_knob_table()}", markdown + f"\n\n{knobs}\n\n{default_knob_table()}"


def _figures(summary: pd.DataFrame, out, title: str) -> list:
    from fairbench.experiments.plots import change_figure

    moved = summary[summary["strategy"] != NONE]
    if moved.empty:
        return []
    return [change_figure(moved, "firm", "strategy", "n_flips_mean", f"d_{metric}", out / f"interaction_{metric}.png",
                          xlabel="number of label flips M", ylabel=f"{label} minus the reference's",
                          title=f"{title}: {label} of strategy + firm method minus the firm method alone "
                                "(panel none: the learner alone); bands: 95% paired interval over seeds",
                          reference="firm method alone")
            for metric, label in (("eqod", "EqOd"), ("error", "error"))]
