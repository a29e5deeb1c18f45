"""Tables and exported files of a comparison (CSV and PNG are derived from the store)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fairbench.figures import flips_figure, fronts_figure


def pm(mean, std, digits: int = 3) -> str:
    """``mean ± std`` (``n/a`` when the mean is missing)."""
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
            r["intervention"], r["side"], knob, pm(r["error_mean"], r["error_std"]),
            pm(r["eqod_mean"], r["eqod_std"]), pm(r["sp_mean"], r["sp_std"]), flips, int(r["n_seeds"]),
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
        return {
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
    headers = ["dataset", "method", "(which)", "best EqOd", "error there", "best SP", "EqOd, error <= base+0.01",
               "(which)", "seeds"]
    return tabulate(rows, headers, tablefmt=tablefmt, disable_numparse=True)


@dataclass
class Report:
    table: str
    frame: pd.DataFrame
    files: list
    problems: list


def write_report(dirs, output, command: str = "") -> Report:
    """comparison.csv (every method), comparison.md / .txt (Figure 12 rows) and the bar charts."""
    from fairbench.experiments.plots import grouped_bars

    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    table = method_table(dirs)
    fig12 = figure12_table(table)
    files = []
    path = out / "comparison.csv"
    table.to_csv(path, index=False, float_format="%.6g")
    files.append(path)
    path = out / "figure12.csv"
    fig12.to_csv(path, index=False, float_format="%.6g")
    files.append(path)
    text = figure12_markdown(fig12, "simple")
    note = ("collective action = the best user-side strategy other than random flips (every strategy is in comparison.csv); "
            "best EqOd = lowest seed-mean EqOd over the method's knob (budget M for collective action); "
            f"the low-error view keeps only points whose mean error is at most the baseline's + {LOW_ERROR_MARGIN:g}")
    (out / "comparison.txt").write_text(text + "\n\n" + note + "\n" + (f"\nreproduce: {command}\n" if command else ""))
    files.append(out / "comparison.txt")
    md = [f"# Collective action vs firm-side methods (Figure 12)\n"]
    if command:
        md.append(f"Produced by\n\n    {command}\n")
    md += [figure12_markdown(fig12), "", note, ""]
    (out / "comparison.md").write_text("\n".join(md))
    files.append(out / "comparison.md")
    if command:
        (out / "COMMAND.txt").write_text(command + "\n")
        files.append(out / "COMMAND.txt")
    if not fig12.empty:
        files.append(grouped_bars(fig12, "dataset", "method", "best_eqod_mean", out / "comparison_eqod.png",
                                  err="best_eqod_std", ylabel="best achievable EqOd",
                                  title="Best achievable EqOd (Figure 12)"))
        files.append(grouped_bars(fig12, "dataset", "method", "low_error_eqod_mean", out / "comparison_eqod_low_error.png",
                                  err="low_error_eqod_std", ylabel="lowest EqOd with error <= baseline + 0.01",
                                  title="Low-error view: EqOd within 1 point of the baseline's error"))
        files.append(grouped_bars(fig12, "dataset", "method", "best_sp_mean", out / "comparison_sp.png",
                                  err="best_sp_std", ylabel="best achievable SP", title="Best achievable SP"))
    return Report(text + "\n\n" + note, table, files, [])


def leaderboard_markdown(dirs, command: str) -> str:
    """docs/leaderboard.md: per dataset, every intervention ranked by its best achievable EqOd."""
    from tabulate import tabulate

    results = [read_results(d) for d in dirs]
    table = method_table(dirs)
    lines = [
        "# Leaderboard",
        "",
        "Generated from the committed results by",
        "",
        f"    {command}",
        "",
        "Do not edit this page by hand: change the results and run the command again.",
        "",
        "Per dataset, every intervention's **best achievable EqOd** (the lowest seed-mean EqOd over its",
        "knob: the budget M for user-side methods, the fairness knob for firm-side ones), the mean error",
        "at that point, the flips it used (user side), its best achievable SP and the error there, and the",
        f"**low-error view**: the lowest EqOd among its points whose mean error is at most the baseline's",
        f"+ {LOW_ERROR_MARGIN:g}. Values are mean ± std over seeds. Rows are ranked by best EqOd.",
        "",
    ]
    for dataset, part in table.groupby("dataset", sort=False):
        mine = [r for r in results if r.dataset == dataset]
        settings = [f"`{r.path}`: " + ", ".join(f"{k} {v}" for k, v in r.settings().items() if v not in (None, ""))
                    for r in mine]
        base_error = part["baseline_error"].dropna()
        lines += [f"## {dataset}", ""]
        lines += [f"* {s}" for s in settings]
        if not base_error.empty:
            lines.append(f"* baseline error {base_error.iloc[0]:.3f}: the low-error view keeps mean error <= "
                         f"{base_error.iloc[0] + LOW_ERROR_MARGIN:.3f}")
        lines.append("")
        rows = []
        part = part.sort_values("best_eqod_mean", kind="stable")
        for rank, (_, r) in enumerate(part.iterrows(), 1):
            knob = "" if r["best_eqod_knob"] == "none" else f"{r['best_eqod_knob']}={r['best_eqod_knob_value']:g}"
            user = r["side"] == "user"
            flips = r.get("best_eqod_flips_mean", np.nan)
            rows.append([rank, r["intervention"], r["side"], pm(r["best_eqod_mean"], r["best_eqod_std"]),
                         pm(r["best_eqod_error_mean"], r["best_eqod_error_std"]), knob,
                         f"{flips:.0f}" if user and np.isfinite(flips) else "",
                         pm(r.get("best_sp_mean"), r.get("best_sp_std")),
                         pm(r.get("best_sp_error_mean"), r.get("best_sp_error_std")),
                         pm(r.get("low_error_eqod_mean"), r.get("low_error_eqod_std")), int(r["n_seeds"])])
        headers = ["rank", "intervention", "side", "best EqOd", "error there", "knob there", "flips", "best SP",
                   "error there", "EqOd, error <= base+0.01", "seeds"]
        lines += [tabulate(rows, headers, tablefmt="github", disable_numparse=True), ""]
    return "\n".join(lines)


def write_leaderboard(dirs, path, command: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(leaderboard_markdown(dirs, command))
    return path
