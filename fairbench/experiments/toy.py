"""Figure 1: a 2-D toy where a handful of minority flips moves a logistic regression.

The generator (ours; the paper does not specify Figure 1's data).  Two features.  Majority rows
(``a = 0``): y ~ Bernoulli(1/2), x ~ N((+-sep, 0), I) for y = 1 / y = 0.  Minority rows (``a = 1``)
follow the same rule translated by (-delta, h): x ~ N((+-sep - delta, h), I), i.e. a minority user
has the majority's label mechanism measured with a shift (lower x1, higher x2).  The firm fits
logistic regression (the ``logreg`` learner: standardise + LogisticRegression) on (x1, x2) only,
so its boundary is one line shared by both groups; with few minority rows it follows the
majority, and minority positives near it are predicted negative (a large TPR gap).

The collective is the whole minority of the training sample (alpha = 1).  It scores its y = 0
members with ``--method`` (default rb-dist; the scorer sees raw x)
and flips the top ``--flips`` (default 6, as the paper).  Error and EqOd are measured on a large
independent test sample (``test_size`` rows per 100 training rows, same group shares).

Outputs: toy.png (seed 0's training points, circles = majority, crosses = minority, colour = label,
flipped points ringed, boundary before dashed / after solid), toy.csv (per seed: before/after),
toy_flips.csv and toy_flips.png (mean EqOd and error vs M over the seeds), tables, COMMAND.txt.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from tabulate import tabulate

from fairbench.errors import UserInputError
from fairbench.experiments._common import ExperimentResult, RunConfig, pm, write_common

DATASET = "toy-2d"
DEFAULTS = {"n_majority": 100, "n_minority": 30, "sep": 1.5, "delta": 2.0, "h": 3.0, "test_size": 20000}
FLIPS = 6
MAX_CURVE = 12


def make_toy(n_majority: int, n_minority: int, sep: float, delta: float, h: float, rng) -> tuple:
    """(x, a, y) of the toy: the majority's two Gaussians, and the minority's translated by (-delta, h)."""
    xs, as_, ys = [], [], []
    for a, n in ((0, n_majority), (1, n_minority)):
        y = (rng.random(n) < 0.5).astype(np.int64)
        x = np.c_[np.where(y == 1, sep, -sep), np.zeros(n)] + rng.standard_normal((n, 2))
        if a:
            x += np.array([-delta, h])
        xs.append(x)
        as_.append(np.full(n, a, dtype=np.int64))
        ys.append(y)
    return np.vstack(xs), np.concatenate(as_), np.concatenate(ys)


def _options(cfg: RunConfig) -> dict:
    unknown = set(cfg.dataset_options) - set(DEFAULTS) - {"drop_sensitive"}
    if unknown:
        raise UserInputError(f"toy takes --dataset-option keys {', '.join(DEFAULTS)}; got {', '.join(sorted(unknown))}")
    opts = {**DEFAULTS}
    for key, value in cfg.dataset_options.items():
        if key in DEFAULTS:
            opts[key] = type(DEFAULTS[key])(float(value)) if isinstance(DEFAULTS[key], int) else float(value)
    return opts


def _one_seed(seed: int, opts: dict, scorer, learner: str, max_flips: int) -> dict:
    from fairbench.contract import CollectiveView
    from fairbench.learners import make_learner
    from fairbench.metrics import evaluate

    rng = np.random.default_rng([seed, 0x70F])
    x, a, y = make_toy(opts["n_majority"], opts["n_minority"], opts["sep"], opts["delta"], opts["h"], rng)
    scale = opts["test_size"] / (opts["n_majority"] + opts["n_minority"])
    xt, at, yt = make_toy(int(opts["n_majority"] * scale), int(opts["n_minority"] * scale), opts["sep"], opts["delta"],
                          opts["h"], rng)
    candidates = np.flatnonzero((a == 1) & (y == 0))
    view = CollectiveView(candidates=x[candidates], collective=x[a == 1], collective_y=y[a == 1], majority=x[a == 0],
                          majority_y=y[a == 0], random_state=seed)
    from fairbench.collective import rank_candidates

    ranking = rank_candidates(scorer(seed).score(view), len(candidates), seed, "toy")
    curve, models = [], {}
    for m in range(0, max_flips + 1):
        y_mod = y.copy()
        y_mod[candidates[ranking[:m]]] = 1
        model = make_learner(learner, seed).fit(x, y_mod)
        curve.append({"seed": seed, "M": m, **evaluate(yt, model.predict(xt), at)})
        models[m] = model
    return {"x": x, "a": a, "y": y, "flipped": candidates[ranking], "curve": curve, "models": models}


def run_toy(cfg: RunConfig, flips: int | None = None, method: str | None = None) -> ExperimentResult:
    from fairbench.plugins import get_registry

    if cfg.dataset != DATASET:
        raise UserInputError(f"toy uses its own generator ({DATASET}); leave --dataset unset")
    flips = FLIPS if flips is None else int(flips)
    if flips < 0:
        raise UserInputError(f"--flips must be >= 0, got {flips}")
    method = method or "rb-dist"
    registry = cfg.registry or get_registry()
    iv = registry.intervention(method)
    if iv.stage != "labels":
        raise UserInputError(f"--method must be a user-side method, {method!r} is {iv.side}-side")
    opts = _options(cfg)
    learner = cfg.learner if cfg.learner != "hgb" else "logreg"

    extra = cfg.strategy_params([iv], registry).get(iv.name, {})

    def scorer(seed):
        return iv.make(None, seed, **{**iv.params, **extra})

    max_curve = max(MAX_CURVE, flips)
    runs = [_one_seed(seed, opts, scorer, learner, max_curve) for seed in range(cfg.seeds)]
    curve = pd.DataFrame([row for r in runs for row in r["curve"]])
    out = cfg.out_dir("toy")
    out.mkdir(parents=True, exist_ok=True)
    before = curve[curve["M"] == 0].set_index("seed")
    after = curve[curve["M"] == flips].set_index("seed")
    per_seed = pd.DataFrame({
        "seed": before.index, "eqod_before": before["eqod"], "eqod_after": after["eqod"],
        "error_before": before["error"], "error_after": after["error"],
        "tpr_gap_before": before["tpr_gap"], "tpr_gap_after": after["tpr_gap"],
        "fpr_gap_before": before["fpr_gap"], "fpr_gap_after": after["fpr_gap"],
    }).reset_index(drop=True)
    per_seed["eqod_reduction"] = 1 - per_seed["eqod_after"] / per_seed["eqod_before"]
    per_seed["error_change"] = per_seed["error_after"] - per_seed["error_before"]
    curve.to_csv(out / "toy_flips.csv", index=False, float_format="%.6g")
    mean_curve = curve.groupby("M")[["eqod", "error", "sp"]].agg(["mean", "std"])
    mean_curve.columns = [f"{a}_{b}" for a, b in mean_curve.columns]
    mean_curve = mean_curve.reset_index()
    command = _command(cfg, flips, method)
    result = ExperimentResult("toy", DATASET, out, command, per_seed, "")
    result.table, result.markdown = _tables(per_seed, flips, learner, method, opts)
    red = per_seed["eqod_reduction"]
    s0 = per_seed.iloc[0]
    result.checks = [
        f"seed 0 (the figure): EqOd {s0['eqod_before']:.3f} -> {s0['eqod_after']:.3f} ({100 * s0['eqod_reduction']:.0f}% lower), "
        f"error {s0['error_before']:.3f} -> {s0['error_after']:.3f} ({100 * s0['error_change']:+.1f} points) with {flips} flips",
        f"over {len(per_seed)} seeds: EqOd reduction median {100 * red.median():.0f}%, > 75% in {int((red > 0.75).sum())} of "
        f"{len(red)} seeds; error change mean {100 * per_seed['error_change'].mean():+.2f} points "
        f"(min {100 * per_seed['error_change'].min():+.1f}, max {100 * per_seed['error_change'].max():+.1f})",
    ]
    result.files += [out / "toy_flips.csv", _scatter(runs[0], flips, out / "toy.png", method, learner),
                     _curve(mean_curve, flips, out / "toy_flips.png")]
    write_common(result, f"toy-2d: {flips} flips by {method} against {learner} ({cfg.seeds} seeds; figure = seed 0)")
    return result


def _command(cfg: RunConfig, flips: int, method: str) -> str:
    import shlex

    words = ["fairbench", "experiment", "toy", "--seeds", str(cfg.seeds), "--flips", str(flips), "--method", method]
    if cfg.learner != "hgb":
        words += ["--learner", cfg.learner]
    if cfg.collective_model is not None:
        words += ["--collective-model", cfg.collective_model]
    for key, value in sorted(cfg.dataset_options.items()):
        if key in DEFAULTS:
            words += ["--dataset-option", f"{key}={value}"]
    if cfg.output is not None:
        words += ["--output", str(cfg.output)]
    return shlex.join(words)


def _tables(per_seed: pd.DataFrame, flips: int, learner: str, method: str, opts: dict) -> tuple[str, str]:
    rows = [[int(r["seed"]), f"{r['eqod_before']:.3f}", f"{r['eqod_after']:.3f}", f"{100 * r['eqod_reduction']:.0f}%",
             f"{r['tpr_gap_before']:.3f} -> {r['tpr_gap_after']:.3f}", f"{r['fpr_gap_before']:.3f} -> {r['fpr_gap_after']:.3f}",
             f"{r['error_before']:.3f}", f"{r['error_after']:.3f}", f"{100 * r['error_change']:+.1f}"]
            for _, r in per_seed.iterrows()]
    rows.append(["mean ± std", pm(per_seed["eqod_before"].mean(), per_seed["eqod_before"].std()),
                 pm(per_seed["eqod_after"].mean(), per_seed["eqod_after"].std()),
                 f"{100 * per_seed['eqod_reduction'].median():.0f}% (median)", "", "",
                 pm(per_seed["error_before"].mean(), per_seed["error_before"].std()),
                 pm(per_seed["error_after"].mean(), per_seed["error_after"].std()),
                 f"{100 * per_seed['error_change'].mean():+.2f}"])
    headers = ["seed", "EqOd before", f"EqOd after {flips} flips", "reduction", "TPR gap", "FPR gap", "error before",
               "error after", "error change (points)"]
    note = ("generator: " + ", ".join(f"{k}={v:g}" for k, v in opts.items()) + f"; learner {learner}; collective = the "
            f"whole minority of the training sample, scored by {method}")
    return (tabulate(rows, headers, disable_numparse=True) + "\n" + note,
            tabulate(rows, headers, tablefmt="github", disable_numparse=True) + "\n\n" + note)


def _boundary(ax, model, xlim, **style) -> None:
    """The line where the fitted logistic regression's score is 0."""
    gx, gy = np.meshgrid(np.linspace(*xlim, 300), np.linspace(*ax.get_ylim(), 300))
    score = model.decision_function(np.c_[gx.ravel(), gy.ravel()]).reshape(gx.shape)
    ax.contour(gx, gy, score, levels=[0], **style)


def _scatter(run: dict, flips: int, path, method: str, learner: str):
    from fairbench.figures import pyplot

    plt = pyplot()
    x, a, y = run["x"], run["a"], run["y"]
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    for group, marker, name in ((0, "o", "majority"), (1, "x", "minority")):
        for label, color in ((0, "C3"), (1, "C0")):
            m = (a == group) & (y == label)
            kw = {"facecolors": "none", "edgecolors": color} if marker == "o" else {"color": color}
            ax.scatter(x[m, 0], x[m, 1], marker=marker, s=30, label=f"{name}, y={label}", **kw)
    chosen = run["flipped"][:flips]
    ax.scatter(x[chosen, 0], x[chosen, 1], s=160, facecolors="none", edgecolors="black", linewidths=1.5,
               label=f"flipped 0 -> 1 ({flips})")
    xlim = ax.get_xlim()
    _boundary(ax, run["models"][0], xlim, colors="gray", linestyles="dashed")
    _boundary(ax, run["models"][flips], xlim, colors="black", linestyles="solid")
    ax.plot([], [], "--", color="gray", label="boundary before")
    ax.plot([], [], "-", color="black", label=f"boundary after {flips} flips")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title(f"toy-2d, seed 0: {method} flips vs {learner}")
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _curve(mean_curve: pd.DataFrame, flips: int, path):
    from fairbench.figures import pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    ax.errorbar(mean_curve["M"], mean_curve["eqod_mean"], yerr=mean_curve["eqod_std"], capsize=3, marker="o", label="EqOd")
    ax.errorbar(mean_curve["M"], mean_curve["error_mean"], yerr=mean_curve["error_std"], capsize=3, marker="s", label="error")
    ax.axvline(flips, linestyle=":", color="black")
    ax.set_xlabel("number of flips M")
    ax.set_ylabel("mean over seeds (test sample)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
