"""``fairbench experiment transfer``: does the collective's gain survive a learner it did not model?

RB-prob ranks its candidates with a model of its own trained on the majority rows it knows
(``--collective-model``; the paper's HGB).  The firm may train another learner.  Per firm learner
L (``--learners``): RB-prob over the budgets with the collective's model HGB (mismatched unless L
is HGB) and with the collective's model L (matched), and random as the reference, each a
comparison with ``learner=L`` in ``learner=L/collective=MODEL/``.  For HGB the two are one run.

Per firm learner and collective model: the EqOd gain over the baseline (same seed) at the budget
chosen on validation (``fairbench.selection`` rule (a): lowest validation EqOd with validation
error <= the baseline's + 0.01), and the paired difference matched minus mismatched, with 95%
bootstrap intervals over seeds; the verdict is :func:`transfer_verdict`.  A learner that cannot
run here (an extra not installed, or not registered) is skipped with its reason.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from tabulate import tabulate

from fairbench.collective_model import DEFAULT_COLLECTIVE_MODEL
from fairbench.experiments._common import CompareCall, ExperimentResult, RunConfig, collect_messages, protocol_text, write_common
from fairbench.experiments.interaction import FRACTIONS
from fairbench.levelling import Interval

LEARNERS = ("hgb", "logreg", "random-forest", "mlp", "lightgbm")
ALPHA = 0.3
STRATEGY, REFERENCE = "rb-prob", "random"
TARGET = "eqod@error<=base+0.01"  # fairbench.selection's rule (a) at delta 0.01
SURVIVES, PARTLY, LOST, UNCLEAR = ("the gain survives the mismatch", "the gain survives the mismatch in part",
                                   "the gain is lost", "cannot be separated")


def learner_unavailable(name: str, registry=None) -> str | None:
    """Why the registered learner ``name`` cannot run here (a package missing: its install hint), or
    None; an unknown name raises, listing the valid ones."""
    from fairbench.errors import UnavailableError
    from fairbench.learners import learner_spec

    try:
        learner_spec(name, registry)
    except UnavailableError as exc:
        return str(exc).splitlines()[0]
    return None


def chosen_learners(cfg: RunConfig, learners=LEARNERS) -> tuple[list[str], list[str]]:
    """(the learners that can run here, one line per skipped learner with its reason).  A learner
    of LEARNERS that no installed plugin registers is skipped too; any other unknown name is refused."""
    from fairbench.errors import UserInputError

    ok, skipped = [], []
    for name in learners:
        try:
            reason = learner_unavailable(name, cfg.registry)
        except UserInputError as exc:
            if name not in LEARNERS:
                raise
            reason = f"not registered here ({exc})"
        (skipped.append(f"learner {name}: skipped, {reason}") if reason else ok.append(name))
    return ok, skipped


def _models(learner: str) -> tuple[str, ...]:
    """The collective's models for firm learner ``learner``: HGB, and the firm's own when it differs."""
    return (DEFAULT_COLLECTIVE_MODEL,) if learner == DEFAULT_COLLECTIVE_MODEL else (DEFAULT_COLLECTIVE_MODEL, learner)


def transfer_calls(cfg: RunConfig, alpha: float = ALPHA, fractions=FRACTIONS, learners=LEARNERS) -> list[CompareCall]:
    """One comparison per (firm learner, collective model); random only with the default model
    (it trains none, so its cells would be the same)."""
    out = cfg.out_dir("transfer")
    calls = []
    for learner in chosen_learners(cfg, learners)[0]:
        for model in _models(learner):
            default = model == DEFAULT_COLLECTIVE_MODEL
            calls.append(CompareCall(out / f"learner={learner}" / f"collective={model}", "transfer",
                                     dict(interventions=[STRATEGY, REFERENCE] if default else [STRATEGY], alpha=alpha,
                                          budget_fractions=tuple(fractions), learner=learner,
                                          collective_model=None if default else model)))
    return calls


def run_transfer(cfg: RunConfig, alpha: float = ALPHA, fractions=FRACTIONS, learners=LEARNERS) -> ExperimentResult:
    """Per firm learner: the gain chosen on validation with the collective's HGB and with the firm's learner."""
    out = cfg.out_dir("transfer")
    _, skipped = chosen_learners(cfg, learners)
    calls = transfer_calls(cfg, alpha, fractions, learners)
    runs = [cfg.run_call(c) for c in calls]
    gains = pd.concat([seed_gains(r.cells, c.kwargs["learner"], c.kwargs["collective_model"] or DEFAULT_COLLECTIVE_MODEL)
                       for c, r in zip(calls, runs)], ignore_index=True) if runs else pd.DataFrame()
    summary = summarise(gains)
    curves = pd.concat([gain_curve(r.cells, c.kwargs["learner"], c.kwargs["collective_model"] or DEFAULT_COLLECTIVE_MODEL)
                        for c, r in zip(calls, runs)], ignore_index=True) if runs else pd.DataFrame()
    command = cfg.command("transfer", [("--alpha", alpha), ("--budget-fractions", list(fractions)),
                                       ("--learners", list(learners))])
    problems, failures = collect_messages(runs)
    result = ExperimentResult("transfer", cfg.dataset, out, command, summary, "", problems=skipped + problems,
                              failures=failures, protocol=protocol_text(cfg.validation("transfer")))
    result.table, result.markdown = _tables(summary)
    result.checks = skipped + [f"firm learner {r['learner']}: {r['verdict']}" for _, r in summary.iterrows()]
    if len(curves):
        curves.to_csv(out / "transfer_curves.csv", index=False, float_format="%.6g")
        result.files.append(out / "transfer_curves.csv")
        from fairbench.experiments.plots import change_figure

        result.files.append(change_figure(
            curves, "learner", "series", "n_flips_mean", "d_eqod", out / "transfer_eqod.png",
            xlabel="number of label flips M", ylabel="EqOd minus the baseline's", reference="baseline",
            title=f"{cfg.dataset}, alpha={alpha:g}: per firm learner, EqOd change of RB-prob with each collective "
                  "model, and of random; bands: 95% paired interval over seeds"))
    write_common(result, f"{cfg.dataset}: does the collective's gain survive a learner mismatch? alpha={alpha:g} "
                         f"({cfg.seeds} seeds)")
    return result


def _changes(cells: pd.DataFrame) -> pd.DataFrame:
    from fairbench.levelling import change_vs_baseline

    good = cells.copy()
    for c in ("eqod", "error", "n_flips", "knob_value"):
        good[c] = pd.to_numeric(good[c], errors="coerce")
    good["d_eqod"] = change_vs_baseline(good, "eqod")
    return good[(good["status"] == "ok") & (good["side"] != "baseline")]


def seed_gains(cells: pd.DataFrame, learner: str, model: str) -> pd.DataFrame:
    """Per seed: RB-prob's EqOd gain over the baseline (baseline minus it, test) at the budget
    chosen on validation (selection rule (a), delta 0.01; M = 0 always qualifies)."""
    from fairbench.selection import operating_points

    points = operating_points(cells, deltas=(0.01,), epsilons=())
    points = points[(points["intervention"] == STRATEGY) & (points["target"] == TARGET)]
    good = cells[cells["status"] == "ok"]
    base = good[good["side"] == "baseline"].groupby("seed")["eqod"].first()
    gain = points["seed"].map(base).astype(float) - pd.to_numeric(points["eqod"], errors="coerce")
    return pd.DataFrame({"learner": learner, "collective_model": model, "seed": points["seed"].to_numpy(),
                         "M": points["knob_value"].to_numpy(float), "gain": gain.to_numpy(float)})


def gain_curve(cells: pd.DataFrame, learner: str, model: str) -> pd.DataFrame:
    """Per intervention and M: the seed-mean EqOd change against the baseline with its paired interval."""
    rows = []
    for (name, m), part in _changes(cells).groupby(["intervention", "knob_value"], sort=False):
        change = Interval.of(part["d_eqod"])
        series = f"{name}, collective model {model}" if name == STRATEGY else name
        rows.append({"learner": learner, "series": series, "M": m, "n_flips_mean": part["n_flips"].mean(),
                     "d_eqod_mean": change.mean, "d_eqod_low": change.low, "d_eqod_high": change.high,
                     "d_eqod_n": change.n})
    return pd.DataFrame(rows)


def transfer_verdict(matched: Interval, mismatched: Interval, difference: Interval) -> str:
    """The verdict on one firm learner, from the gain with the collective's HGB (mismatched), and
    the paired difference matched minus mismatched (95% intervals over seeds):

    * the gain survives the mismatch: the mismatched gain is above 0 and not clearly below the matched;
    * ... in part: the mismatched gain is above 0 but clearly below the matched;
    * the gain is lost: the matched gain is above 0, the mismatched not, and the matched is clearly the larger;
    * cannot be separated: anything else (no clear gain to lose, or no clear difference);
    * too few seeds (n): fewer than ``statistics.MIN_SEEDS`` paired seeds, as for every verdict.
    """
    from fairbench.statistics import MIN_SEEDS

    n = min(matched.n, mismatched.n, difference.n)
    bounds = (matched.low, matched.high, mismatched.low, mismatched.high, difference.low, difference.high)
    if n < MIN_SEEDS or not np.isfinite(bounds).all():
        return f"too few seeds ({n})"
    if mismatched.low > 0:
        return PARTLY if difference.low > 0 else SURVIVES
    if matched.low > 0 and difference.low > 0:
        return LOST
    return UNCLEAR


def summarise(gains: pd.DataFrame) -> pd.DataFrame:
    """Per firm learner: the gain with each collective model, the paired difference and the verdict."""
    rows = []
    if gains.empty:
        return pd.DataFrame(rows)
    for learner, part in gains.groupby("learner", sort=False):
        wide = part.pivot_table(index="seed", columns="collective_model", values="gain")
        mismatched = wide[DEFAULT_COLLECTIVE_MODEL]
        matched = wide[learner] if learner in wide else mismatched
        chosen = part.pivot_table(index="seed", columns="collective_model", values="M")
        row = {"learner": learner, "M_mismatched_median": chosen[DEFAULT_COLLECTIVE_MODEL].median(),
               "M_matched_median": (chosen[learner] if learner in chosen else chosen[DEFAULT_COLLECTIVE_MODEL]).median()}
        found = {"gain_mismatched": Interval.of(mismatched), "gain_matched": Interval.of(matched),
                 "difference": Interval.of(matched - mismatched)}
        for name, value in found.items():
            row.update({f"{name}_mean": value.mean, f"{name}_low": value.low, f"{name}_high": value.high,
                        f"{name}_n": value.n})
        row["verdict"] = ("the same model (the firm's learner is the collective's HGB)" if learner == DEFAULT_COLLECTIVE_MODEL
                          else transfer_verdict(found["gain_matched"], found["gain_mismatched"], found["difference"]))
        rows.append(row)
    return pd.DataFrame(rows)


def _tables(summary: pd.DataFrame) -> tuple[str, str]:
    def text(r, name):
        return Interval(r[f"{name}_mean"], r[f"{name}_low"], r[f"{name}_high"], int(r[f"{name}_n"])).text()

    rows = [[r["learner"], f"{r['M_mismatched_median']:g}", text(r, "gain_mismatched"), f"{r['M_matched_median']:g}",
             text(r, "gain_matched"), text(r, "difference"), r["verdict"]] for _, r in summary.iterrows()]
    headers = ["firm learner", "M (collective HGB)", "gain, collective HGB", "M (collective = firm's)",
               "gain, collective = firm's", "matched - mismatched", "verdict"]
    note = (f"gain: the baseline's test EqOd minus {STRATEGY}'s (same seed) at the budget chosen on validation per "
            "seed (lowest validation EqOd with validation error <= the baseline's + 0.01; M = median over seeds); "
            "[95% paired bootstrap interval over seeds]")
    return (tabulate(rows, headers, disable_numparse=True) + "\n" + note,
            tabulate(rows, headers, tablefmt="github", disable_numparse=True) + "\n\n" + note)
