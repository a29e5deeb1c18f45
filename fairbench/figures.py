"""Matplotlib figures in the style of the paper: fronts (Figure 7) and flip curves (Figure 4)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from fairbench.metrics import label

MARKERS = "osD^v<>pP*Xh"


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


# matplotlib's ten default colours, then six that none of them resembles: a firm comparison draws
# a dozen methods, and two fronts in one colour cannot be told apart
COLORS = tuple(f"C{i}" for i in range(10)) + ("#000075", "#800000", "#469990", "#f032e6", "#9a6324", "#000000")


def series_style(i: int) -> dict:
    return {"marker": MARKERS[i % len(MARKERS)], "color": COLORS[i % len(COLORS)]}


ZOOM_BUDGET = 0.02  # the zoom panel spans the baseline's error +- this (the hypervolume's error budget)


def _draw_fronts(ax, front: pd.DataFrame, metric: str, labels: bool) -> None:
    """Per method: its front of seed means as a line, its dominated points faded, and a band of
    +- one seed std of the unfairness along the front."""
    for i, (name, part) in enumerate(front.groupby("intervention", sort=False)):
        part = part.sort_values("error_mean")
        style = series_style(i)
        base = (part["side"] == "baseline").all()
        if base:
            style = {"marker": "*", "color": "black"}
        flag = f"front_{metric}"
        on = part[part[flag].astype(bool)] if flag in part else part
        off = part.drop(on.index)
        label = f"{name} ({part['side'].iloc[0]})" if labels else None
        ax.plot(on["error_mean"], on[f"{metric}_mean"], "-" if not base else "none",
                markersize=11 if base else 6, label=label, **style)
        if not off.empty:
            ax.plot(off["error_mean"], off[f"{metric}_mean"], linestyle="none", alpha=0.2, markersize=5, **style)
        if len(on) > 1 and f"{metric}_std" in on:  # the seed spread along the front, as a band
            spread = on[f"{metric}_std"].fillna(0).to_numpy(float)
            mean = on[f"{metric}_mean"].to_numpy(float)
            ax.fill_between(on["error_mean"], mean - spread, mean + spread, color=style["color"], alpha=0.12,
                            linewidth=0)


def fronts_figure(front: pd.DataFrame, path: Path, metric: str = "eqod", title: str = "", metrics=None) -> Path:
    """Error vs unfairness: every method's front of seed means as a line, dominated points faded,
    the seed spread as a band, and a zoom panel on the baseline's error +- ZOOM_BUDGET so that
    far-out points do not squash the region that matters."""
    plt = pyplot()
    fig, (ax, zoom) = plt.subplots(1, 2, figsize=(13, 5.2))
    _draw_fronts(ax, front, metric, labels=True)
    _draw_fronts(zoom, front, metric, labels=False)
    base = front[front["side"] == "baseline"]
    if not base.empty and np.isfinite(base["error_mean"].iloc[0]) and np.isfinite(base[f"{metric}_mean"].iloc[0]):
        e0, u0 = float(base["error_mean"].iloc[0]), float(base[f"{metric}_mean"].iloc[0])
        zoom.set_xlim(e0 - ZOOM_BUDGET, e0 + ZOOM_BUDGET)
        flag = f"front_{metric}"
        window = (front["error_mean"] - e0).abs() <= ZOOM_BUDGET
        if flag in front:
            window &= front[flag].astype(bool)  # scale to the fronts, not to the faded dominated points
        near = front[window][f"{metric}_mean"].astype(float)
        top = max(float(np.nanmax(near)) if np.isfinite(near).any() else u0, u0)
        zoom.set_ylim(0, top * 1.25 + 1e-3)
        for a in (ax, zoom):
            a.axvline(e0 + ZOOM_BUDGET, color="grey", linestyle=":", linewidth=1)
        zoom.set_title(f"zoom: baseline error ± {ZOOM_BUDGET:g} (dotted: the hypervolume's error budget)", fontsize=9)
    zoom.set_xlabel(label("error", metrics))
    zoom.grid(alpha=0.3)
    return _finish(plt, fig, ax, path, label("error", metrics), label(metric, metrics), title)


def cd_figure(ranked: dict, path: Path, title: str = "") -> Path:
    """Critical-difference diagram (Demšar 2006) from ``statistics.friedman``'s mean ranks and
    Nemenyi p-values, drawn by scikit-posthocs."""
    import scikit_posthocs

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 0.4 * len(ranked["ranks"]) + 1.5))
    scikit_posthocs.critical_difference_diagram(ranked["ranks"], ranked["nemenyi"], ax=ax)
    ax.set_title(title + (f"\nFriedman p = {ranked['p_value']:.3g}" if np.isfinite(ranked["p_value"]) else ""),
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def flips_figure(front: pd.DataFrame, path: Path, metric: str = "eqod", title: str = "", metrics=None) -> Path:
    """Unfairness vs number of flips for user-side methods; the baseline as a dashed line."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 5))
    user = front[front["side"] == "user"]
    for i, (name, part) in enumerate(user.groupby("intervention", sort=False)):
        part = part.sort_values("n_flips_mean")
        ax.errorbar(part["n_flips_mean"], part[f"{metric}_mean"], yerr=part[f"{metric}_std"].fillna(0),
                    capsize=3, label=name, **series_style(i))
    base = front[front["side"] == "baseline"]
    if not base.empty and np.isfinite(base[f"{metric}_mean"].iloc[0]):
        ax.axhline(base[f"{metric}_mean"].iloc[0], linestyle="--", color="black", label="baseline")
    return _finish(plt, fig, ax, path, "number of label flips M", label(metric, metrics), title)


def _finish(plt, fig, ax, path: Path, xlabel: str, ylabel: str, title: str) -> Path:
    """Labels, grid, legend; save and close."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def grouped_bars(table: pd.DataFrame, group: str, bar: str, value: str, path: Path, *, err: str | None = None,
                 ylabel: str = "", title: str = "") -> Path:
    """Grouped bar chart: one group per ``group`` value, one bar per ``bar`` value (Figure 12)."""
    plt = pyplot()
    groups = list(dict.fromkeys(table[group]))
    bars = list(dict.fromkeys(table[bar]))
    width = 0.8 / max(1, len(bars))
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(groups) * max(1, len(bars)) * 0.45 + 2), 4.8))
    for i, name in enumerate(bars):
        xs, ys, es = [], [], []
        for j, g in enumerate(groups):
            row = table[(table[group] == g) & (table[bar] == name)]
            if row.empty or not np.isfinite(row[value].iloc[0]):
                continue
            xs.append(j + (i - (len(bars) - 1) / 2) * width)
            ys.append(row[value].iloc[0])
            es.append(row[err].iloc[0] if err and np.isfinite(row[err].iloc[0]) else 0.0)
        color = "black" if name == "baseline" else f"C{i % 10}"
        ax.bar(xs, ys, width=width, yerr=es, capsize=2, label=name, color=color, alpha=0.85 if name != "baseline" else 0.6)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(groups)
    ax.set_ylabel(ylabel or value)
    ax.set_title(title)
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
