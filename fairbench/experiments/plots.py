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


def levelling_figure(summary: pd.DataFrame, pairs: dict, path: Path, title: str = "") -> Path:
    """One row of panels per intervention, one column per rate family (TPR, FPR, selection rate):
    each group's seed-mean change against the same seed's baseline, with its 95% paired interval as
    a band, against the number of flips (a firm method: its knob); the baseline is the line at 0."""
    from fairbench.levelling import MAJORITY, MINORITY, rate_label

    plt = pyplot()
    names = list(dict.fromkeys(summary["intervention"]))
    fig, axes = plt.subplots(len(names), len(pairs), figsize=(4.6 * len(pairs), 3.4 * len(names)), squeeze=False,
                             sharey="col")
    for ax_row, name in zip(axes, names):
        part = summary[summary["intervention"] == name]
        user = (part["side"] == "user").all()
        x = "n_flips_mean" if user else "knob_value"
        part = part.sort_values(x)
        for ax, (minority, majority) in zip(ax_row, pairs.values()):
            for i, (m, who) in enumerate(((minority, f"a={MINORITY} (minority)"), (majority, f"a={MAJORITY} (majority)"))):
                style = series_style(i)
                col = f"d_{m.name}"
                ax.plot(part[x], part[f"{col}_mean"], "-", label=who, **style)
                ax.fill_between(part[x].to_numpy(float), part[f"{col}_low"].to_numpy(float),
                                part[f"{col}_high"].to_numpy(float), color=style["color"], alpha=0.15, linewidth=0)
            ax.axhline(0, linestyle="--", color="black", linewidth=1, label="baseline (same seed)")
            ax.set_title(f"{name}: {rate_label(minority)}", fontsize=10)
            ax.set_xlabel("number of label flips M" if user else part["knob"].iloc[0])
            ax.set_ylabel(f"{rate_label(minority)} minus baseline's")
    axes[0][0].legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=11)
    return _finish(fig, axes.ravel(), path)


def change_figure(summary: pd.DataFrame, panel: str, series: str, x: str, change: str, path: Path, *,
                  xlabel: str = "", ylabel: str = "", title: str = "", reference: str = "reference") -> Path:
    """One panel per ``panel`` value; in each, per ``series`` value the seed-mean paired change
    ``<change>_mean`` against ``x`` with its 95% interval (``_low``/``_high``) as a band; the line at
    0 is the ``reference`` (same seed) the change is taken against."""
    plt = pyplot()
    names = list(dict.fromkeys(summary[panel]))
    ncols = min(3, len(names))
    nrows = -(-len(names) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.8 * ncols, 3.8 * nrows), squeeze=False, sharey=True)
    for ax in axes.ravel()[len(names):]:
        ax.set_visible(False)
    for ax, name in zip(axes.ravel(), names):
        part = summary[summary[panel] == name]
        for i, (label, s) in enumerate(part.groupby(series, sort=False)):
            s = s.sort_values(x)
            style = series_style(i)
            ax.plot(s[x], s[f"{change}_mean"], "-", label=str(label), **style)
            ax.fill_between(s[x].to_numpy(float), s[f"{change}_low"].to_numpy(float),
                            s[f"{change}_high"].to_numpy(float), color=style["color"], alpha=0.15, linewidth=0)
        ax.axhline(0, linestyle="--", color="black", linewidth=1, label=f"{reference} (same seed)")
        ax.set_title(str(name), fontsize=10)
        ax.set_xlabel(xlabel or x)
        ax.set_ylabel(ylabel or change)
    axes[0][0].legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=11)
    return _finish(fig, axes.ravel()[:len(names)], path)
