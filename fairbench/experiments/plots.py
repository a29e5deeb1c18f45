"""Figures of the experiments (matplotlib, Agg): curves over alpha, panels of fronts, bar charts."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from fairbench.figures import pyplot, series_style
from fairbench.metrics import label as metric_label


def _finish(fig, ax_or_axes, path: Path) -> Path:
    for ax in np.atleast_1d(ax_or_axes):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path


def curve_figure(summary: pd.DataFrame, x: str, y: str, path: Path, *, by: str = "intervention", yerr: str | None = None,
                 baseline: float | None = None, xlabel: str = "", ylabel: str = "", title: str = "",
                 logx: bool = False) -> Path:
    """One line per ``by`` value of ``y`` against ``x``, optional error bars and a dashed baseline."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 5))
    for i, (name, part) in enumerate(summary.groupby(by, sort=False)):
        part = part.sort_values(x)
        err = part[yerr].fillna(0) if yerr else None
        ax.errorbar(part[x], part[y], yerr=err, capsize=3, label=str(name), **series_style(i))
    if baseline is not None and np.isfinite(baseline):
        ax.axhline(baseline, linestyle="--", color="black", label="baseline (no collective)")
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel or x)
    ax.set_ylabel(ylabel or y)
    ax.set_title(title)
    ax.legend(fontsize=8)
    return _finish(fig, ax, path)


def panels_figure(front: pd.DataFrame, panel: str, series: str, path: Path, *, metric: str = "eqod",
                  x: str = "error_mean", xlabel: str = "error (test)", title: str = "",
                  baseline: pd.Series | None = None) -> Path:
    """One panel per ``panel`` value; in each, one series of seed-mean points per ``series`` value,
    with std error bars and a line through its Pareto points.  The baseline is a black star."""
    plt = pyplot()
    names = list(dict.fromkeys(front[panel]))
    fig, axes = plt.subplots(1, len(names), figsize=(5.2 * len(names), 4.4), squeeze=False)
    flag = f"front_{metric}"
    for ax, name in zip(axes[0], names):
        part = front[front[panel] == name]
        for i, (label, s) in enumerate(part.groupby(series, sort=False)):
            s = s.sort_values(x)
            style = series_style(i)
            xerr = s["error_std"].fillna(0) if x == "error_mean" else None
            ax.errorbar(s[x], s[f"{metric}_mean"], xerr=xerr, yerr=s[f"{metric}_std"].fillna(0), linestyle="none",
                        alpha=0.3, color=style["color"])
            on = s[s[flag]] if flag in s and x == "error_mean" else s
            ax.plot(on[x], on[f"{metric}_mean"], "-", color=style["color"], alpha=0.7)
            ax.plot(s[x], s[f"{metric}_mean"], linestyle="none", label=str(label), **style)
        if baseline is not None:
            bx = baseline["error_mean"] if x == "error_mean" else 0
            ax.plot([bx], [baseline[f"{metric}_mean"]], "*", color="black", markersize=12, label="baseline")
        ax.set_title(f"{title}{name}")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(metric_label(metric))
        ax.legend(fontsize=8)
    return _finish(fig, axes[0], path)
