"""Section 5 diagnostics on synthetic-4gmm, where the causal model is known.

Definitions (all on the dataset's rows; ``info["counterfactual_y"]`` is the majority Bayes rule
``y_cf(x) = argmax_y P0(y | x1, x2, a=0)`` applied to every row):

The counterfactual signal.  The firm's features are (x1, x2, a).  ``g(x) = x_{A<-0}`` sets the
``a`` column to 0 and keeps (x1, x2): a minority user "as if majority" at the same point.  So
``argmax_y P0(y | g(x))`` is exactly ``y_cf(x)``, the counterfactual label the dataset ships.

rho (Eq. 10), at the budget M* = number of candidates with y_cf = 1 (the number of flips the
exact erasure strategy, Eq. 4, would make).  The collective's label of each member after it flips
its top-M* candidates is A(x); ``rho_collective`` = share of collective members with A(x) != y_cf(x)
(this is the rho of Proposition 3: the collective's labels as a whole); ``rho_candidates`` = the
same over the candidates only (the part of the error the ranking controls; members with y = 1 and
y_cf = 0 cannot flip 1 -> 0 and are errors for every method).  The ``oracle`` method ranks by y_cf
itself (rho_candidates = 0).

Measured success S (Eq. 3).  The firm's learner is trained on the flipped training set and
predicts every test row twice: as is, and with the ``a`` column set to 0.  ``S_minority`` = share
of minority test rows whose prediction is unchanged; ``S_all`` = the same over every test row
(Eq. 3 under P0: majority rows have g(x) = x, so S_all = 1 - P(a=1) (1 - S_minority)).
``cf_accuracy`` = share of minority test rows with h(x) = y_cf(x), the event the proof of
Proposition 3 bounds from below.

The bound (Eq. 11 with epsilon = 0, i.e. a Bayes-optimal learner).  Because ``a`` is a feature,
the Bayes classifier at (x1, x2, a=1) sees only minority training rows, whose distribution is the
mixture alpha * (collective) + (1 - alpha) * (rest of the minority), with alpha = the fraction of the
minority in the collective.  So Proposition 3 applies to the minority sub-population with that
alpha and ``tau_minority`` = E_{x | a=1} |P0(y=1 | x1, x2, a=1) - P0(y=1 | x1, x2, a=0)|, computed
from the known Gaussians on a fresh sample of ``TAU_SAMPLE`` rows of the same generator:
``bound_minority = 1 - 2 (1 - alpha) tau_minority / ((1 - 2 rho) alpha)`` (vacuous, reported as
NaN, when rho >= 1/2).  It lower-bounds ``S_minority``.

Proposition 4 check.  ``rho_1nn_raw`` / ``rho_1nn_fare``: error of the 1-NN rule "label of the
nearest known majority row" as a predictor of y_cf over the collective, in the raw standardised
features and in the FARE cells of ``fairbench.interventions.fare_space``.
"""
from __future__ import annotations

import shlex

import numpy as np
import pandas as pd
from tabulate import tabulate

from fairbench.collective import flip, form_collective, rank_candidates
from fairbench.errors import UserInputError
from fairbench.experiments._common import ExperimentResult, RunConfig, pm, write_common
from fairbench.experiments.plots import curve_figure

ALPHAS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0)
METHODS = ("oracle", "random", "rb-prob", "rb-label", "rb-dist", "rb-label@fare", "rb-dist@fare")
DATASET = "synthetic-4gmm"
DEFAULT_OPTIONS = {"n": 20000}
TAU_SAMPLE = 200_000
MEASURES = ("n_flips", "rho_candidates", "rho_collective", "S_minority", "S_all", "cf_accuracy", "bound_minority",
            "eqod", "sp", "error")


def posterior(x: np.ndarray, group: int, info: dict, prior_y1: float = 0.5) -> np.ndarray:
    """P0(y=1 | x1, x2, a=group) of the known Gaussian mixture."""
    sigma = float(info["parameters"]["sigma"])
    c1 = np.asarray(info["centres"][f"y=1,a={group}"])
    c0 = np.asarray(info["centres"][f"y=0,a={group}"])
    logit = (((x - c0) ** 2).sum(1) - ((x - c1) ** 2).sum(1)) / (2 * sigma ** 2) + np.log(prior_y1 / (1 - prior_y1))
    return 1.0 / (1.0 + np.exp(-logit))


def tau_minority(info: dict, sample: int = TAU_SAMPLE) -> float:
    """tau of Eq. 11 on the minority: E_{x|a=1} |P0(1|x,a=1) - P0(1|x,a=0)| from a fresh sample."""
    from fairbench.datasets.synthetic import load_synthetic_4gmm

    p = dict(info["parameters"])
    fresh = load_synthetic_4gmm(**{**p, "n": sample, "seed": int(p["seed"]) + 1})
    minority = fresh.a == 1
    x = fresh.X[["x1", "x2"]].to_numpy(float)[minority]
    y = fresh.y
    prior1 = float(y[minority].mean())
    prior0 = float(y[fresh.a == 0].mean())
    return float(np.mean(np.abs(posterior(x, 1, info, prior1) - posterior(x, 0, info, prior0))))


def bound(alpha: float, rho: float, tau: float, eps: float = 0.0) -> float:
    """Proposition 3 (Eq. 11); NaN when rho >= 1/2 (the bound says nothing)."""
    if rho >= 0.5:
        return float("nan")
    k = (1 - 2 * rho) * alpha
    return 1 - 2 * (1 - alpha) * tau / k - eps / ((1 - eps) * k)


class _Oracle:
    """Scores = the true counterfactual label (ties broken by the harness's seeded coin)."""

    def __init__(self, y_cf_candidates):
        self.y_cf = y_cf_candidates

    def score(self, view):
        return self.y_cf.astype(float)


def run_diagnostics(cfg: RunConfig, alphas=ALPHAS, interventions=METHODS) -> ExperimentResult:
    alphas = tuple(alphas)
    from fairbench.plugins import get_registry
    from fairbench.runner import load
    from fairbench.prepared import prepare

    if cfg.dataset != DATASET:
        raise UserInputError(f"diagnostics needs the known causal model of {DATASET}, got --dataset {cfg.dataset}")
    if cfg.dataset_options.get("drop_sensitive"):
        raise UserInputError("diagnostics measures success by switching the a column; do not pass --drop-sensitive")
    for key, value in DEFAULT_OPTIONS.items():
        cfg.dataset_options.setdefault(key, value)
    registry = cfg.registry or get_registry()
    params = cfg.strategy_params([registry.intervention(n) for n in interventions if n != "oracle"], registry)
    dataset = load(cfg.dataset, registry, **cfg.dataset_options)
    data = prepare(dataset)
    info = dataset.info
    y_cf = np.asarray(info["counterfactual_y"], dtype=np.int64)
    tau = tau_minority(info)
    out = cfg.out_dir("diagnostics")
    out.mkdir(parents=True, exist_ok=True)
    command = cfg.command("diagnostics", [("--alphas", list(alphas)), ("--interventions", list(interventions))])
    cached = _cached_seeds(out, command, cfg.fresh, len(alphas) * len(interventions) + 1)
    missing = [seed for seed in range(cfg.seeds) if seed not in cached]
    computed = _missing_seed_rows(cfg, registry, data, y_cf, tau, missing, alphas, interventions, params)
    cells = pd.concat([cached[seed] if seed in cached else pd.DataFrame(computed[seed]) for seed in range(cfg.seeds)],
                      ignore_index=True)
    cells.to_csv(out / "diagnostics_cells.csv", index=False, float_format="%.6g")
    # summarise what the file holds, so a fresh run and one resumed from the file (its rows at 6
    # significant digits) write the same tables (they differed by up to 1e-5, measured 2026-12-01)
    cells = pd.read_csv(out / "diagnostics_cells.csv")
    (out / "COMMAND.txt").write_text(command + "\n")
    summary = _summarize(cells)
    result = ExperimentResult("diagnostics", cfg.dataset, out, command, summary, "")
    result.table, result.markdown = _tables(summary, tau, info)
    result.checks = _checks(cells, summary, tau)
    result.files.append(out / "diagnostics_cells.csv")
    user = summary[summary["intervention"] != "baseline"]
    result.files += [
        curve_figure(user, "alpha", "rho_collective_mean", out / "diagnostics_rho.png", yerr="rho_collective_std",
                     xlabel="alpha", ylabel="rho over the collective (Eq. 10)",
                     title=f"{cfg.dataset}: counterfactual-label error of the collective at M*"),
        curve_figure(user, "alpha", "S_minority_mean", out / "diagnostics_success.png", yerr="S_minority_std",
                     baseline=float(summary.loc[summary["intervention"] == "baseline", "S_minority_mean"].mean()),
                     xlabel="alpha", ylabel="measured success S on minority test rows (Eq. 3)",
                     title=f"{cfg.dataset}: success S (baseline dashed)"),
        curve_figure(user.assign(bound_minority_mean=user["bound_minority_mean"].clip(lower=-0.05)), "alpha",
                     "bound_minority_mean", out / "diagnostics_bound.png", xlabel="alpha",
                     ylabel="Proposition 3 lower bound on S (clipped at -0.05)",
                     title=f"{cfg.dataset}: lower bound (Eq. 11, eps=0), tau={tau:.3f}"),
    ]
    write_common(result, f"{cfg.dataset} ({_options_text(info)}): rho, success S and the Proposition 3 bound "
                         f"({cfg.seeds} seeds, learner {cfg.learner})")
    return result


def _cached_seeds(out, command: str, fresh: bool, rows_per_seed: int) -> dict:
    """Per-seed rows of an earlier run in ``out`` whose command differs at most in --seeds (so
    re-running resumes, and asking for more seeds computes only the new ones)."""
    cells_path, command_path = out / "diagnostics_cells.csv", out / "COMMAND.txt"
    if fresh or not cells_path.exists() or not command_path.exists():
        return {}
    if _without_seeds(command_path.read_text().strip()) != _without_seeds(command):
        return {}
    cells = pd.read_csv(cells_path)
    return {int(seed): part.reset_index(drop=True) for seed, part in cells.groupby("seed") if len(part) == rows_per_seed}


def _without_seeds(command: str) -> str:
    words = shlex.split(command)
    if "--seeds" in words:
        i = words.index("--seeds")
        del words[i:i + 2]
    return shlex.join(words)


def _options_text(info: dict) -> str:
    return ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in info["parameters"].items())


def _missing_seed_rows(cfg, registry, data, y_cf, tau, seeds, alphas, interventions, params) -> dict[int, list[dict]]:
    """Each seed's rows, the seeds spread over ``cfg.jobs`` worker processes with one learner
    thread each, as compare spreads its cells (the seeds are independent and seeded, so the rows
    are a serial run's).  A registry handed in by a caller stays in this process: serial."""
    from fairbench.runner import resolve_jobs, threads_per_worker

    jobs = min(resolve_jobs(cfg.jobs), len(seeds))
    if jobs <= 1 or cfg.registry is not None:
        return {seed: _seed_rows(cfg, registry, data, y_cf, tau, seed, alphas, interventions, params) for seed in seeds}
    from dataclasses import replace

    from joblib import Parallel, delayed

    threads = threads_per_worker(jobs)
    portable = replace(cfg, on_cells=None)
    rows = Parallel(n_jobs=jobs)(delayed(_seed_rows_in_worker)(portable, data, y_cf, tau, seed, alphas, interventions,
                                                               params, threads) for seed in seeds)
    return dict(zip(seeds, rows))


def _seed_rows_in_worker(cfg, data, y_cf, tau, seed, alphas, interventions, params, threads) -> list[dict]:
    from fairbench.learners import learner_spec
    from fairbench.plugins import get_registry
    from fairbench.threads import limited_threads

    with limited_threads(threads, preload=learner_spec(cfg.learner).requires):
        return _seed_rows(cfg, get_registry(), data, y_cf, tau, seed, alphas, interventions, params)


def _seed_rows(cfg, registry, data, y_cf, tau, seed, alphas, interventions, strategy_params) -> list[dict]:
    from fairbench.interventions.fare_space import InFareSpace
    from fairbench.tasks import Settings, collective_view, tuned_params

    split = data.split(seed)
    Z = data.scoring_space(split.train)
    sensitive = data.sensitive
    base = _evaluate(cfg, data, split, data.y, y_cf, sensitive)
    rows = [{"seed": seed, "alpha": np.nan, "intervention": "baseline", "n_flips": 0, **base}]
    for alpha in alphas:
        collective = form_collective(split.train, data.a, data.y, alpha, seed)
        cands, members = collective.candidates, collective.members
        m_star = int(np.sum(y_cf[cands] == 1))
        view = collective_view(Z, data.y, collective, seed)
        nn = _one_nn(view, y_cf[members], InFareSpace(None))
        settings = Settings(alpha=alpha, learner=cfg.learner, tune=cfg.tune, params=strategy_params)
        for name in interventions:
            if name == "oracle":
                scores = _Oracle(y_cf[cands]).score(view)
                params = {}
            else:
                iv = registry.intervention(name)
                params = tuned_params(iv, data, split, Z, settings)
                scorer = iv.make(None, seed, **{**iv.params, **strategy_params.get(name, {}), **params})
                scores = scorer.score(view)
            ranking = rank_candidates(scores, len(cands), seed, name)
            y_mod, n_flips = flip(data.y, cands, ranking, m_star)
            rho_coll = float(np.mean(y_mod[members] != y_cf[members])) if len(members) else np.nan
            rho_cand = float(np.mean(y_mod[cands] != y_cf[cands])) if len(cands) else np.nan
            row = {"seed": seed, "alpha": alpha, "intervention": name, "params": params or "", "n_collective": len(members),
                   "n_candidates": len(cands), "n_flips": n_flips, "rho_candidates": rho_cand,
                   "rho_collective": rho_coll, "tau_minority": tau,
                   "bound_minority": bound(alpha, rho_coll, tau) if np.isfinite(rho_coll) else np.nan, **nn}
            row.update(_evaluate(cfg, data, split, y_mod, y_cf, sensitive))
            rows.append(row)
    return rows


def _one_nn(view, y_cf_members, fare) -> dict:
    """Error of 'label of the nearest known majority row' as a predictor of y_cf, raw vs FARE cells."""
    from sklearn.neighbors import NearestNeighbors

    out = {}
    if len(view.collective) == 0 or len(view.majority) == 0:
        return {"rho_1nn_raw": np.nan, "rho_1nn_fare": np.nan}
    for label, v in (("raw", view), ("fare", fare.transform_view(view))):
        index = NearestNeighbors(n_neighbors=1).fit(v.majority)
        _, nearest = index.kneighbors(v.collective)
        out[f"rho_1nn_{label}"] = float(np.mean(v.majority_y[nearest[:, 0]] != y_cf_members))
    return out


def _evaluate(cfg, data, split, y_mod, y_cf, sensitive) -> dict:
    from fairbench.learners import make_learner
    from fairbench.metrics import evaluate

    learner = make_learner(cfg.learner, split.seed).fit(data.X[split.train], y_mod[split.train])
    X_test = data.X[split.test]
    pred = learner.predict(X_test)
    X_cf = X_test.copy()
    X_cf[:, sensitive] = 0
    pred_cf = learner.predict(X_cf)
    minority = data.a[split.test] == 1
    metrics = evaluate(data.y[split.test], pred, data.a[split.test])
    return {
        "S_minority": float(np.mean(pred[minority] == pred_cf[minority])),
        "S_all": float(np.mean(pred == pred_cf)),
        "cf_accuracy": float(np.mean(pred[minority] == y_cf[split.test][minority])),
        "eqod": metrics["eqod"], "sp": metrics["sp"], "error": metrics["error"],
    }


def _summarize(cells: pd.DataFrame) -> pd.DataFrame:
    measures = [m for m in MEASURES + ("rho_1nn_raw", "rho_1nn_fare") if m in cells]
    frame = cells.copy()
    frame["alpha"] = frame["alpha"].fillna(0.0)
    agg = frame.groupby(["intervention", "alpha"], sort=False)[measures].agg(["mean", "std"])
    agg.columns = [f"{m}_{s}" for m, s in agg.columns]
    agg["n_seeds"] = frame.groupby(["intervention", "alpha"], sort=False)["seed"].nunique()
    agg["tau_minority"] = cells["tau_minority"].dropna().iloc[0] if cells["tau_minority"].notna().any() else np.nan
    out = agg.reset_index()
    out.loc[out["intervention"] == "baseline", "alpha"] = np.nan
    return out


def _tables(summary: pd.DataFrame, tau: float, info: dict) -> tuple[str, str]:
    rows = []
    for _, r in summary.iterrows():
        alpha = "-" if not np.isfinite(r["alpha"]) else f"{r['alpha']:g}"
        rows.append([alpha, r["intervention"], f"{r['n_flips_mean']:.0f}", pm(r.get("rho_candidates_mean"), r.get("rho_candidates_std")),
                     pm(r.get("rho_collective_mean"), r.get("rho_collective_std")),
                     pm(r.get("bound_minority_mean"), r.get("bound_minority_std")),
                     pm(r["S_minority_mean"], r["S_minority_std"]), pm(r["S_all_mean"], r["S_all_std"]),
                     pm(r["cf_accuracy_mean"], r["cf_accuracy_std"]), pm(r["eqod_mean"], r["eqod_std"]),
                     pm(r["error_mean"], r["error_std"])])
    headers = ["alpha", "method", "M*", "rho (candidates)", "rho (collective)", "bound on S (Eq. 11)",
               "S minority", "S all", "P[h(x)=y_cf], minority", "EqOd", "error"]
    note = (f"tau_minority = {tau:.4f} (E over minority x of |P0(1|x,a=1) - P0(1|x,a=0)|, fresh sample of {TAU_SAMPLE:,} rows); "
            f"minority counterfactual-label noise rate of the data: {info.get('minority_noise_rate', float('nan')):.3f}")
    return (tabulate(rows, headers, disable_numparse=True) + "\n" + note,
            tabulate(rows, headers, tablefmt="github", disable_numparse=True) + "\n\n" + note)


def _checks(cells: pd.DataFrame, summary: pd.DataFrame, tau: float) -> list[str]:
    user = cells[cells["intervention"] != "baseline"]
    finite = user[np.isfinite(user["bound_minority"].astype(float))]
    held = int(np.sum(finite["S_minority"] >= finite["bound_minority"]))
    nonvacuous = finite[finite["bound_minority"] > 0]
    checks = [f"bound holds (S_minority >= bound) in {held} of {len(finite)} cells with rho < 1/2; "
              f"{len(nonvacuous)} of them have a bound > 0; {len(user) - len(finite)} cells have rho >= 1/2 (no bound)"]
    by_alpha = ", ".join(f"{alpha:g}: {int(np.sum(p['S_minority'] < p['bound_minority']))}/{len(p)}"
                         for alpha, p in finite.groupby("alpha"))
    checks.append(f"cells where the measured S_minority is below the bound, by alpha: {by_alpha}")
    if len(user) > 2:
        corr = np.corrcoef(user["rho_collective"], user["S_minority"])[0, 1]
        checks.append(f"correlation of rho (collective) and measured S_minority over all cells: {corr:+.2f}")
    for alpha, part in summary[summary["intervention"] != "baseline"].groupby("alpha"):
        part = part.sort_values("rho_collective_mean")
        order = ", ".join(f"{r['intervention']} {r['rho_collective_mean']:.3f}/{r['S_minority_mean']:.3f}" for _, r in part.iterrows())
        checks.append(f"alpha={alpha:g}: rho/S by method (lowest rho first): {order}")
    if "rho_1nn_raw" in user:
        nn = user.drop_duplicates(["seed", "alpha"])
        checks.append(f"Proposition 4 (1-NN error vs y_cf over the collective): raw {nn['rho_1nn_raw'].mean():.3f}, "
                      f"FARE cells {nn['rho_1nn_fare'].mean():.3f} (mean over {len(nn)} seed x alpha cells); "
                      f"FARE lower in {int(np.sum(nn['rho_1nn_fare'] < nn['rho_1nn_raw']))}, higher in {int(np.sum(nn['rho_1nn_fare'] > nn['rho_1nn_raw']))}")
    return checks
