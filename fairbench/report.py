"""Reports across result folders: the Figure 12 comparison (``fairbench report``) and the
leaderboard page.  One comparison's own files and terminal text: ``fairbench.export``."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fairbench.export import ci, pm


# ---------------------------------------------------------------------------------------------
# Across result folders: the Figure 12 comparison and the leaderboard page
# ---------------------------------------------------------------------------------------------
LOW_ERROR_MARGIN = 0.01  # the low-error view: mean error at most the baseline's + 1 point
COLLECTIVE = "collective action"
RANDOM_STRATEGIES = ("random",)  # left out of the "best collective action" bar when a real strategy is there


def best_points(front: pd.DataFrame, margin: float = LOW_ERROR_MARGIN) -> pd.DataFrame:
    """Per intervention: best achievable EqOd and SP (lowest seed mean over the knob), the error
    and flips there, and the lowest EqOd among points with mean error <= baseline error + ``margin``."""
    from fairbench.pareto import best_achievable

    base = front[front["side"] == "baseline"]
    base = None if base.empty else base.iloc[0]
    base_error = float(base["error_mean"]) if base is not None else np.nan
    eqod = best_achievable(front, "eqod").set_index("intervention")
    sp = best_achievable(front, "sp").set_index("intervention")
    low = (best_achievable(front, "eqod", within_error_of=margin, baseline_error=base_error).set_index("intervention")
           if np.isfinite(base_error) else pd.DataFrame())
    rows = []
    for name in dict.fromkeys(front["intervention"]):
        if name not in eqod.index:
            continue
        e = eqod.loc[name]
        row = {
            "intervention": name, "side": e["side"], "n_seeds": int(e["n_seeds"]),
            "best_eqod_mean": e["eqod_mean"], "best_eqod_std": e["eqod_std"],
            "best_eqod_error_mean": e["error_mean"], "best_eqod_error_std": e["error_std"],
            "best_eqod_knob": e["knob"], "best_eqod_knob_value": e["knob_value"],
            "best_eqod_flips_mean": e.get("n_flips_mean", np.nan),
        }
        if name in sp.index:
            s = sp.loc[name]
            row.update(best_sp_mean=s["sp_mean"], best_sp_std=s["sp_std"], best_sp_error_mean=s["error_mean"],
                       best_sp_error_std=s["error_std"], best_sp_knob_value=s["knob_value"],
                       best_sp_flips_mean=s.get("n_flips_mean", np.nan))
        if name in low.index:
            lo = low.loc[name]
            row.update(low_error_eqod_mean=lo["eqod_mean"], low_error_eqod_std=lo["eqod_std"],
                       low_error_error_mean=lo["error_mean"], low_error_knob_value=lo["knob_value"],
                       low_error_flips_mean=lo.get("n_flips_mean", np.nan))
        row["baseline_error"] = base_error
        row["baseline_eqod"] = float(base["eqod_mean"]) if base is not None else np.nan
        row["baseline_sp"] = float(base["sp_mean"]) if base is not None else np.nan
        rows.append(row)
    columns = ["low_error_eqod_mean", "low_error_eqod_std", "low_error_error_mean", "low_error_knob_value",
               "low_error_flips_mean", "best_sp_mean", "best_sp_std", "best_sp_error_mean", "best_sp_error_std",
               "best_sp_knob_value", "best_sp_flips_mean"]
    out = pd.DataFrame(rows)
    for col in columns:
        if col not in out:
            out[col] = np.nan
    return out


@dataclass
class ResultDir:
    """One result folder: its dataset, cells (when cells.csv is there) and fronts."""

    path: Path
    dataset: str
    cells: pd.DataFrame | None
    front: pd.DataFrame

    def settings(self) -> dict:
        """Seeds, learner and collective size of the folder's cells (for the page's notes)."""
        if self.cells is None:
            return {"seeds": int(self.front["n_seeds"].max()) if "n_seeds" in self.front else None}
        c = self.cells
        user = c[c["side"] == "user"]
        fraction = (pd.to_numeric(c["validation_fraction"], errors="coerce").dropna()
                    if "validation_fraction" in c else pd.Series(dtype=float))
        protocol = (f"validation ({', '.join(f'{v:g}' for v in sorted(fraction.unique()))} of train)"
                    if not fraction.empty else "paper (train/test, no validation split)")
        return {
            "protocol": protocol,
            "seeds": int(c["seed"].nunique()),
            "learner": ", ".join(sorted(map(str, c["learner"].dropna().unique()))),
            "alpha": ", ".join(f"{v:g}" for v in sorted(user["alpha"].dropna().unique())),
            "majority_knowledge": ", ".join(f"{v:g}" for v in sorted(user["majority_knowledge"].dropna().unique())) or "all",
        }


def read_results(directory) -> ResultDir:
    """Fronts of a folder written by ``compare`` or an experiment, recomputed from its cells.csv
    (fronts.csv when there is no cells.csv)."""
    from fairbench.errors import UserInputError
    from fairbench.pareto import fronts

    path = Path(directory)
    cells_path, fronts_path = path / "cells.csv", path / "fronts.csv"
    if cells_path.exists():
        cells = pd.read_csv(cells_path)
        if cells.empty:
            raise UserInputError(f"{cells_path} has no cells; run the comparison first")
        dataset = str(cells["dataset"].dropna().iloc[0]) if cells["dataset"].notna().any() else path.name
        return ResultDir(path, dataset, cells, fronts(cells))
    if fronts_path.exists():
        return ResultDir(path, path.parent.name if path.name in ("firm", "flips") else path.name, None,
                         pd.read_csv(fronts_path))
    subs = sorted(p.parent.name for p in path.glob("*/cells.csv"))
    hint = f"; its sub-folders {', '.join(subs[:4])} do" if subs else ""
    raise UserInputError(f"{str(path)!r} holds no cells.csv or fronts.csv{hint}: pass folders written by "
                         "`fairbench compare` or `fairbench experiment`")


def method_table(dirs) -> pd.DataFrame:
    """One row per (dataset, intervention) over the given folders; a name already seen for a
    dataset (e.g. the baseline, present in every folder) is taken from the first folder."""
    rows = []
    seen: set = set()
    for result in (read_results(d) for d in dirs):
        best = best_points(result.front)
        for _, r in best.iterrows():
            key = (result.dataset, r["intervention"])
            if key in seen:
                continue
            seen.add(key)
            rows.append({"dataset": result.dataset, **r.to_dict(), "source": str(result.path)})
    return pd.DataFrame(rows)


def figure12_table(table: pd.DataFrame) -> pd.DataFrame:
    """Per dataset: the baseline, the best collective-action method (lowest best EqOd among the
    user-side ones other than the random baseline; its low-error value is the lowest among them in
    that view) and every firm-side method: the bars of the paper's Figure 12."""
    rows = []
    for dataset, part in table.groupby("dataset", sort=False):
        base = part[part["side"] == "baseline"]
        if not base.empty:
            rows.append({**base.iloc[0].to_dict(), "method": "baseline"})
        user = part[part["side"] == "user"]
        if (~user["intervention"].isin(RANDOM_STRATEGIES)).any():  # random is the paper's baseline, not a method
            user = user[~user["intervention"].isin(RANDOM_STRATEGIES)]
        if not user.empty:
            best = user.loc[user["best_eqod_mean"].astype(float).idxmin()]
            rows.append({**best.to_dict(), "method": f"{COLLECTIVE}"})
            low = user.dropna(subset=["low_error_eqod_mean"])
            if not low.empty:  # the low-error bar is the best user-side method in that view
                lo = low.loc[low["low_error_eqod_mean"].astype(float).idxmin()]
                rows[-1].update({k: lo[k] for k in lo.index if k.startswith("low_error_")})
                rows[-1]["low_error_intervention"] = lo["intervention"]
        for _, r in part[part["side"] == "firm"].iterrows():
            rows.append({**r.to_dict(), "method": r["intervention"]})
    out = pd.DataFrame(rows)
    if not out.empty and "low_error_intervention" not in out:
        out["low_error_intervention"] = np.nan
    return out


def figure12_markdown(fig12: pd.DataFrame, tablefmt: str = "github") -> str:
    from tabulate import tabulate

    rows = []
    for _, r in fig12.iterrows():
        who = r["intervention"] if r["method"] == COLLECTIVE else ""
        low_who = r.get("low_error_intervention") if r["method"] == COLLECTIVE else ""
        rows.append([r["dataset"], r["method"], who, pm(r["best_eqod_mean"], r["best_eqod_std"]),
                     pm(r["best_eqod_error_mean"], r["best_eqod_error_std"]),
                     pm(r.get("best_sp_mean"), r.get("best_sp_std")),
                     pm(r.get("low_error_eqod_mean"), r.get("low_error_eqod_std")),
                     low_who if isinstance(low_who, str) else "", int(r["n_seeds"])])
    headers = ["dataset", "method", "(which)", "oracle best EqOd (selected on test)", "error there (test)",
               "oracle best SP (selected on test)", "oracle EqOd, error <= base+0.01 (selected on test)", "(which)",
               "seeds"]
    return tabulate(rows, headers, tablefmt=tablefmt, disable_numparse=True)


@dataclass
class Report:
    table: str
    frame: pd.DataFrame
    files: list
    problems: list


def write_report(dirs, output, command: str = "") -> Report:
    """comparison.csv (every method), comparison.md / .txt (Figure 12 rows) and the bar charts."""
    from fairbench.figures import grouped_bars

    from tabulate import tabulate

    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    table = method_table(dirs)
    scores = score_table(dirs)
    fig12 = figure12_table(table)
    files = []
    path = out / "comparison.csv"
    table.to_csv(path, index=False, float_format="%.6g")
    files.append(path)
    path = out / "scores.csv"
    scores.to_csv(path, index=False, float_format="%.6g")
    files.append(path)
    path = out / "figure12.csv"
    fig12.to_csv(path, index=False, float_format="%.6g")
    files.append(path)
    ranked_md, ranked_txt = [], []
    for dataset, part in (scores.groupby("dataset", sort=False) if not scores.empty else ()):
        ranked_md += [f"### {dataset}", "", tabulate(score_rows(part), SCORE_HEADERS, tablefmt="github",
                                                    disable_numparse=True), ""]
        ranked_txt += [f"{dataset}: ranked by hypervolume (HV on test; (a)/(b) selected on validation, test values)",
                       tabulate(score_rows(part), SCORE_HEADERS, disable_numparse=True), ""]
    text = figure12_markdown(fig12, "simple")
    note = ("collective action = the best user-side strategy other than random flips (every strategy is in comparison.csv); "
            "oracle best EqOd (selected on test) = lowest seed-mean test EqOd over the method's knob (budget M for "
            "collective action), the paper's 'best achievable'; "
            f"the oracle low-error view keeps only points whose mean test error is at most the baseline's + {LOW_ERROR_MARGIN:g}")
    ranks = ranks_text(scores)
    terminal = "\n".join(ranked_txt + ranks) + "\nFigure 12 (oracle view, selected on test)\n" + text + "\n\n" + note
    (out / "comparison.txt").write_text(terminal + "\n" + (f"\nreproduce: {command}\n" if command else ""))
    files.append(out / "comparison.txt")
    md = [f"# Collective action vs firm-side methods\n"]
    if command:
        md.append(f"Produced by\n\n    {command}\n")
    md += ["## Ranked by hypervolume\n", *SCORE_LEGEND, *ranked_md, *[f"#{line}" if line.startswith("## ") else line
                                                                      for line in ranks],
           "## Figure 12 (the paper's oracle view: selected on test)\n", figure12_markdown(fig12), "", note, ""]
    (out / "comparison.md").write_text("\n".join(md))
    files.append(out / "comparison.md")
    if command:
        (out / "COMMAND.txt").write_text(command + "\n")
        files.append(out / "COMMAND.txt")
    if not fig12.empty:
        files.append(grouped_bars(fig12, "dataset", "method", "best_eqod_mean", out / "comparison_eqod.png",
                                  err="best_eqod_std", ylabel="oracle best EqOd (selected on test)",
                                  title="Oracle best EqOd, selected on test (Figure 12)"))
        files.append(grouped_bars(fig12, "dataset", "method", "low_error_eqod_mean", out / "comparison_eqod_low_error.png",
                                  err="low_error_eqod_std", ylabel="oracle lowest EqOd, error <= baseline + 0.01",
                                  title="Oracle low-error view (selected on test)"))
        files.append(grouped_bars(fig12, "dataset", "method", "best_sp_mean", out / "comparison_sp.png",
                                  err="best_sp_std", ylabel="oracle best SP (selected on test)",
                                  title="Oracle best SP, selected on test"))
    problems = []
    if not scores.empty and scores["dataset"].nunique() >= 2:
        from fairbench.figures import cd_figure
        from fairbench.statistics import friedman

        ranked = friedman(scores.pivot(index="dataset", columns="intervention", values="hv_eqod_mean"))
        if ranked["reason"]:
            problems.append(f"no critical-difference diagram: it {ranked['reason']}")
        else:
            files.append(cd_figure(ranked, out / "cd_hypervolume.png",
                                   "Mean rank by HV EqOd across datasets (Nemenyi critical difference)"))
    return Report(terminal, scores, files, problems)


def score_table(dirs) -> pd.DataFrame:
    """Per (dataset, intervention): hypervolumes, operating points and paired verdicts
    (fairbench.scoring) beside the oracle best of ``method_table``, ranked by hypervolume."""
    from fairbench.scoring import dataset_scores

    results = [read_results(d) for d in dirs]
    oracle = method_table(dirs)
    frames = []
    for dataset in dict.fromkeys(r.dataset for r in results):
        cells = [r.cells for r in results if r.dataset == dataset and r.cells is not None]
        scores = dataset_scores(cells) if cells else pd.DataFrame()
        if scores.empty:
            continue
        scores.insert(0, "dataset", dataset)
        scores["rank"] = np.arange(1, len(scores) + 1)
        mine = oracle[oracle["dataset"] == dataset].drop(columns=["side", "n_seeds"])
        frames.append(scores.merge(mine, on=["dataset", "intervention"], how="left"))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


_MARK = {"better": " ✓", "worse": " ✗", "indistinguishable": " ≈"}


def _op_cell(r, target: str) -> str:
    """An operating point's test value with its interval and its verdict vs the baseline."""
    from fairbench.scoring import target_column

    col = target_column(target)
    if not r.get("has_validation"):
        return "no validation split"
    n, seeds = int(r.get(f"{col}_n", 0) or 0), int(r["n_seeds"])
    if n == 0:
        return "not attainable"
    text = ci(r[f"{col}_mean"], r[f"{col}_low"], r[f"{col}_high"])
    if n < seeds:
        text += f" ({n}/{seeds} seeds)"
    return text + _MARK.get(str(r.get(f"{col}_vs_baseline", "")), "")


def _verdict_cell(r, col: str, tag: str) -> str:
    verdict = r.get(f"{col}_vs_{tag}")
    if not isinstance(verdict, str):
        return ""
    if verdict == "reference":
        return "(reference)"
    diff = ci(r[f"{col}_vs_{tag}_diff"], r[f"{col}_vs_{tag}_low"], r[f"{col}_vs_{tag}_high"], 2, signed=True)
    return f"{verdict}, {diff}"


SCORE_HEADERS = [
    "rank", "intervention", "side", "HV EqOd (test) [95% CI]", "HV vs baseline (paired)", "HV vs random (paired)",
    "HV SP (test)", "(a) EqOd, err <= base+0.005 (val-selected, test)", "(a) EqOd, err <= base+0.01 (val-selected, test)",
    "(a) EqOd, err <= base+0.02 (val-selected, test)", "(b) error, EqOd <= 0.02 (val-selected, test)",
    "(b) error, EqOd <= 0.05 (val-selected, test)", "oracle best EqOd (selected on test)", "error there (test)",
    "flips there", "seeds",
]


def score_rows(part: pd.DataFrame) -> list[list]:
    """The rows of SCORE_HEADERS for one dataset's part of ``score_table``."""
    from fairbench.selection import targets

    rows = []
    for _, r in part.iterrows():
        flips = r.get("best_eqod_flips_mean", np.nan)
        rows.append([int(r["rank"]), r["intervention"], r["side"],
                     ci(r["hv_eqod_mean"], r["hv_eqod_low"], r["hv_eqod_high"], 2),
                     _verdict_cell(r, "hv_eqod", "baseline"), _verdict_cell(r, "hv_eqod", "random"),
                     ci(r["hv_sp_mean"], r["hv_sp_low"], r["hv_sp_high"], 2),
                     *[_op_cell(r, t) for t, _, _ in targets()],
                     pm(r.get("best_eqod_mean"), r.get("best_eqod_std")),
                     pm(r.get("best_eqod_error_mean"), r.get("best_eqod_error_std")),
                     f"{flips:.0f}" if r["side"] == "user" and np.isfinite(flips) else "", int(r["n_seeds"])])
    return rows


SCORE_LEGEND = [
    "How to read a table (the protocol: [docs/protocol.md](protocol.md)):",
    "",
    "* **HV EqOd (test)**, the ranking column: the normalised hypervolume of the method's test (error, EqOd) points,",
    "  per seed, against the reference point (baseline error + 0.02, baseline EqOd) of that seed; 0 = dominates",
    "  nothing inside the error budget (the baseline scores 0), 1 = the baseline's error at EqOd 0. Points with",
    "  error above baseline + 0.02 add nothing. Mean over seeds with a 95% percentile-bootstrap interval.",
    "  **HV SP** is the same for SP.",
    "* **vs baseline / vs random**: the per-seed HV difference (method - reference), paired by seed; mean and",
    "  95% paired-bootstrap interval; *better*/*worse* when the interval excludes 0, *indistinguishable* when",
    "  it contains 0, no verdict below 3 seeds.",
    "* **(a) / (b)**: for every seed the knob value is chosen **on validation** — (a) the lowest EqOd with error",
    "  <= the baseline's validation error + delta, (b) the lowest error with EqOd <= epsilon — and that point's",
    "  **test** value is shown: mean [95% CI] over the seeds where the target was attainable on validation",
    "  (k/n seeds when not all), *not attainable* when none. ✓ / ≈ / ✗: better than / indistinguishable from /",
    "  worse than the baseline's own point, paired by seed. *no validation split*: the folder was run with",
    "  `--validation-fraction 0` (the paper's protocol), where no operating point can be chosen without the test set.",
    "* **oracle best EqOd (selected on test)**: the paper's \"best achievable\", the lowest seed-mean test EqOd over",
    "  the knob, with the error and flips there. It is chosen on the test set, so it is optimistic; it is not",
    "  the ranking.",
    "",
]


def ranks_text(table: pd.DataFrame) -> list[str]:
    """Mean rank by HV EqOd across datasets with Friedman's test (fairbench.statistics.friedman)."""
    from fairbench.statistics import friedman

    if table.empty or table["dataset"].nunique() < 2:
        return []
    scores = table.pivot(index="dataset", columns="intervention", values="hv_eqod_mean")
    result = friedman(scores)
    lines = ["## Across datasets", ""]
    if result["reason"]:
        return lines + [f"No rank test: it {result['reason']}.", ""]
    ranks = ", ".join(f"{name} {rank:.2f}" for name, rank in result["ranks"].items())
    p = result["p_value"]
    lines += [f"Mean rank by HV EqOd over {len(result['datasets'])} datasets ({', '.join(result['datasets'])}; "
              f"1 = best; methods scored on every dataset): {ranks}.",
              "",
              f"Friedman test: chi2 = {result['statistic']:.2f}, p = {p:.3g}" if np.isfinite(p)
              else "Friedman test: not defined (every method ties on every dataset)",
              "(Demšar 2006; with few datasets it has little power, so read the ranks as descriptive). The",
              "critical-difference diagram (Nemenyi) is `cd_hypervolume.png` in the report folder.", ""]
    return lines


def leaderboard_markdown(dirs, command: str, scores: pd.DataFrame | None = None) -> str:
    """docs/leaderboard.md: per dataset, every intervention ranked by hypervolume (see SCORE_LEGEND).
    ``scores``: ``score_table(dirs)`` when the caller has it already (the report computes it)."""
    from tabulate import tabulate

    results = [read_results(d) for d in dirs]
    table = score_table(dirs) if scores is None else scores
    lines = [
        "# Leaderboard",
        "",
        "Generated from the committed results by",
        "",
        f"    {command}",
        "",
        "Do not edit this page by hand: change the results and run the command again.",
        "",
        *SCORE_LEGEND,
    ]
    if table.empty:
        return "\n".join(lines)
    for dataset, part in table.groupby("dataset", sort=False):
        mine = [r for r in results if r.dataset == dataset]
        settings = [f"`{r.path}`: " + ", ".join(f"{k} {v}" for k, v in r.settings().items() if v not in (None, ""))
                    for r in mine]
        lines += [f"## {dataset}", ""]
        lines += [f"* {s}" for s in settings]
        base = part[part["side"] == "baseline"]
        if not base.empty and np.isfinite(base["baseline_error"].iloc[0]):
            b = base.iloc[0]
            lines.append(f"* baseline (test, seed mean): error {b['baseline_error']:.3f}, EqOd {b['baseline_eqod']:.3f}, "
                         f"SP {b['baseline_sp']:.3f}; the hypervolume's error budget ends near {b['baseline_error'] + 0.02:.3f}")
        lines.append("")
        lines += [tabulate(score_rows(part), SCORE_HEADERS, tablefmt="github", disable_numparse=True), ""]
        lines += _notes_lines([r.cells for r in mine if r.cells is not None])
    lines += ranks_text(table)
    return "\n".join(lines)


def _notes_lines(cells: list[pd.DataFrame]) -> list[str]:
    """'Notes' bullets (fairbench.method_notes) for one dataset's cells, or nothing."""
    from fairbench.method_notes import method_notes

    if not cells:
        return []
    notes = method_notes(pd.concat(cells, ignore_index=True))
    if not notes:
        return []
    return ["Notes:", ""] + [f"* {name}: {text}" for name, text in notes.items()] + [""]


def write_leaderboard(dirs, path, command: str, scores: pd.DataFrame | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(leaderboard_markdown(dirs, command, scores))
    return path
