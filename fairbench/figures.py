"""Matplotlib figures in the style of the paper: fronts (Figure 7) and flip curves (Figure 4)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

METRIC_LABEL = {"eqod": "EqOd (mean of TPR and FPR gaps)", "sp": "SP (gap in positive rates)"}
MARKERS = "osD^v<>pP*Xh"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _style(i: int) -> dict:
    return {"marker": MARKERS[i % len(MARKERS)], "color": f"C{i % 10}"}


def fronts_figure(front: pd.DataFrame, path: Path, metric: str = "eqod", title: str = "") -> Path:
    """Error vs unfairness per intervention, seed means with std error bars."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 5))
    for i, (name, part) in enumerate(front.groupby("intervention", sort=False)):
        part = part.sort_values("error_mean")
        style = _style(i)
        if (part["side"] == "baseline").all():
            style = {"marker": "*", "color": "black"}
        ax.errorbar(part["error_mean"], part[f"{metric}_mean"], xerr=part["error_std"].fillna(0),
                    yerr=part[f"{metric}_std"].fillna(0), linestyle="none", alpha=0.35, color=style["color"])
        on = part[part[f"front_{metric}"]] if f"front_{metric}" in part else part
        ax.plot(on["error_mean"], on[f"{metric}_mean"], "-", color=style["color"], alpha=0.6)
        ax.plot(part["error_mean"], part[f"{metric}_mean"], linestyle="none", markersize=9 if style["marker"] == "*" else 6,
                label=f"{name} ({part['side'].iloc[0]})", **style)
    return _finish(plt, fig, ax, path, "error (test)", metric, title)


def flips_figure(front: pd.DataFrame, path: Path, metric: str = "eqod", title: str = "") -> Path:
    """Unfairness vs number of flips for user-side methods; the baseline as a dashed line."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 5))
    user = front[front["side"] == "user"]
    for i, (name, part) in enumerate(user.groupby("intervention", sort=False)):
        part = part.sort_values("n_flips_mean")
        ax.errorbar(part["n_flips_mean"], part[f"{metric}_mean"], yerr=part[f"{metric}_std"].fillna(0),
                    capsize=3, label=name, **_style(i))
    base = front[front["side"] == "baseline"]
    if not base.empty and np.isfinite(base[f"{metric}_mean"].iloc[0]):
        ax.axhline(base[f"{metric}_mean"].iloc[0], linestyle="--", color="black", label="baseline")
    return _finish(plt, fig, ax, path, "number of label flips M", metric, title)


def _finish(plt, fig, ax, path: Path, xlabel: str, metric: str, title: str) -> Path:
    """Labels, grid, legend; save and close."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(METRIC_LABEL.get(metric, metric))
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
