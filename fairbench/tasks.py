"""One task = one (seed, intervention or pipeline): the work that shares a split, a collective or a fit.

A task computes the cells it is given (one per knob value) and returns their rows.  Every cell
runs its pipeline (fairbench.pipelines): the collective's flips, when it has a user-side part,
then its firm method through the stage objects of fairbench.stages, or the firm's learner alone.
An exception inside plugin code fails only that cell (status ``error`` with the message's first
line); a cell that runs past the time limit is recorded as ``timeout``.
"""
from __future__ import annotations

import itertools
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fairbench.collective import flip, form_collective, rank_candidates
from fairbench.contract import CollectiveView, Intervention
from fairbench.errors import FairbenchError, PluginError
from fairbench.learners import make_learner
from fairbench.metrics import BUILTIN_METRICS, Metric, evaluate, metric_columns
from fairbench.pipelines import Pipeline, firm_part, user_part
from fairbench.prepared import Prepared, Split
from fairbench.stages import FEATURES, STAGE_OBJECTS, Inputs, Rows

TUNE_STREAM = 0x7E57
TUNE_FRACTION = 0.15
TUNE_BUDGET_FRACTIONS = (0.3, 0.6)
HOLDOUT_FOLDS = 3


#: After the limit, the alarm fires again every REFIRE_SECONDS until the cell gives up.
REFIRE_SECONDS = 1.0


class CellTimeout(BaseException):
    """A cell ran past ``--cell-timeout``.

    A BaseException, like KeyboardInterrupt, so that plugin code catching ``Exception`` cannot
    swallow it; the alarm also re-fires every second until the cell stops.
    """


@dataclass(frozen=True)
class Settings:
    """What every task of one run shares."""

    alpha: float = 0.3
    majority_knowledge: int | None = None
    learner: str = "hgb"
    tune: bool = True
    cell_timeout: float | None = None
    params: dict = field(default_factory=dict)  # per-intervention parameter overrides
    validation_fraction: float = 0.0  # share of train set aside for choosing operating points (docs/protocol.md)
    metrics: tuple[Metric, ...] = BUILTIN_METRICS  # what every cell's predictions are scored by


@dataclass(frozen=True)
class Task:
    intervention: Intervention | Pipeline
    seed: int
    cells: tuple[tuple[Any, str], ...]  # (knob value, key); a pipeline's knob value is (budget, firm knob)
    needs_probabilities: bool = False   # baseline only: also return scores for post methods


@dataclass
class TaskResult:
    rows: list[dict]
    probabilities: dict[str, np.ndarray] | None = None


@contextmanager
def time_limit(seconds: float | None):
    """Raise CellTimeout after ``seconds``, then every second until the block exits.

    Main thread only (elsewhere no limit applies).  Python code is interrupted at once; code
    inside a C extension is interrupted when it returns to Python.
    """
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def _expire(signum, frame):
        raise CellTimeout(f"cell exceeded the {seconds:g} s time limit")

    previous = signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, seconds, REFIRE_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _row(task: Task, knob_value, key: str, settings: Settings) -> dict:
    run = task.intervention
    user = user_part(run) is not None
    composed = isinstance(run, Pipeline)
    row = {
        "key": key, "intervention": run.name, "side": run.side, "stage": run.stage, "knob": run.knob,
        "knob_value": knob_value[0] if composed else knob_value, "seed": task.seed,
        "alpha": settings.alpha if user else None,
        "majority_knowledge": settings.majority_knowledge if user else None,
        "learner": settings.learner, "plugin": run.plugin, "status": "ok", "message": "",
        "n_flips": 0 if user else None,
        **({"validation_fraction": settings.validation_fraction} if settings.validation_fraction else {}),
    }
    if composed:  # the parts, for readers to group by; a single intervention's row has none of these
        row.update(user_intervention=run.user.name, budget=knob_value[0], firm_intervention=run.firm.name,
                   firm_knob=knob_value[1])
    return row


def _fail(row: dict, exc: BaseException) -> dict:
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    row["status"] = "timeout" if isinstance(exc, CellTimeout) else "error"
    prefix = "" if isinstance(exc, (FairbenchError, CellTimeout)) else f"{type(exc).__name__}: "
    row["message"] = f"{prefix}{first}"[:500]
    return row


def _fit_predict(learner_name: str, seed: int, X_train, y_train, X_eval: tuple, proba: bool = False):
    """Fit once, predict every array of ``X_eval`` (test, then validation); returns (predictions, seconds)."""
    learner = make_learner(learner_name, seed)
    start = time.perf_counter()
    learner.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    if proba:
        return [learner.predict_proba(X)[:, 1] if len(X) else np.empty(0) for X in X_eval], seconds
    return [learner.predict(X) if len(X) else np.empty(0, dtype=int) for X in X_eval], seconds


def scored(data: Prepared, split: Split, pred_test, pred_val=None, metrics=BUILTIN_METRICS) -> dict:
    """Test metrics, plus the same on validation prefixed ``val_`` when the split has validation rows.

    Validation metrics are what operating points are chosen on (fairbench.selection); test
    metrics are only ever reported.
    """
    values = evaluate(data.y[split.test], pred_test, data.a[split.test], metrics)
    if len(split.validation) and pred_val is not None:
        val = evaluate(data.y[split.validation], pred_val, data.a[split.validation], metrics)
        values.update({f"val_{k}": v for k, v in val.items()})
    return values


def _learner_for_constant(y_train) -> bool:
    return len(np.unique(y_train)) < 2


def _train_and_score(data: Prepared, split: Split, y_train, settings: Settings, X_train=None, X_test=None,
                     X_val=None):
    """Fit the firm's learner and return (test and validation metrics, fit seconds); a one-class
    train set predicts its one class."""
    X_train = data.X[split.train] if X_train is None else X_train
    X_test = data.X[split.test] if X_test is None else X_test
    X_val = data.X[split.validation] if X_val is None else X_val
    if _learner_for_constant(y_train):
        (pred, pred_val), seconds = [np.full(len(X), int(y_train[0])) for X in (X_test, X_val)], 0.0
    else:
        (pred, pred_val), seconds = _fit_predict(settings.learner, split.seed, X_train, y_train, (X_test, X_val))
    return scored(data, split, pred, pred_val, settings.metrics), seconds


def run_task(data: Prepared, task: Task, settings: Settings, baseline: dict | None = None) -> TaskResult:
    """Compute every cell of ``task``; ``baseline`` carries the seed's baseline outputs."""
    split = data.split(task.seed, settings.validation_fraction)
    if task.intervention.is_baseline:
        return _baseline(data, split, task, settings)
    return TaskResult(_cells(data, split, task, settings, baseline))


def _baseline(data: Prepared, split: Split, task: Task, settings: Settings) -> TaskResult:
    (knob, key), = task.cells
    row = _row(task, knob, key, settings)
    probabilities = None
    try:
        with time_limit(settings.cell_timeout):
            scores, seconds = learner_scores(data, split, data.y[split.train], settings, holdout=task.needs_probabilities)
            row.update(scored(data, split, (scores["test"] >= 0.5).astype(int),
                              (scores["validation"] >= 0.5).astype(int), settings.metrics))
            row["fit_seconds"] = seconds
            if task.needs_probabilities:
                probabilities = scores
    except (Exception, CellTimeout) as exc:
        _fail(row, exc)
    return TaskResult([row], probabilities)


def learner_scores(data: Prepared, split: Split, y_train: np.ndarray, settings: Settings, holdout: bool = True):
    """The firm's learner fitted on ``y_train``: its P(y=1) on test and validation rows and, with
    ``holdout``, out-of-fold on the training rows (what post methods are fit on); and the fit's seconds."""
    X_train, X_test, X_val = data.X[split.train], data.X[split.test], data.X[split.validation]
    if _learner_for_constant(y_train):
        (test, validation), seconds = [np.full(len(X), float(y_train[0])) for X in (X_test, X_val)], 0.0
    else:
        (test, validation), seconds = _fit_predict(settings.learner, split.seed, X_train, y_train, (X_test, X_val),
                                                   proba=True)
    scores = {"test": test, "validation": validation}
    if holdout:
        scores["holdout"] = holdout_probabilities(data, split, settings, y_train)
    return scores, seconds


def holdout_probabilities(data: Prepared, split: Split, settings: Settings, y_train: np.ndarray | None = None) -> np.ndarray:
    """Out-of-fold P(y=1) for every training row, learnt from ``y_train`` (the dataset's labels by
    default, a pipeline's flipped ones): post-processors are fit on these, never on validation or test rows."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    y_train = data.y[split.train] if y_train is None else y_train
    if _learner_for_constant(y_train) or np.bincount(y_train).min() < HOLDOUT_FOLDS:
        return np.full(len(split.train), float(y_train.mean()))
    folds = StratifiedKFold(HOLDOUT_FOLDS, shuffle=True, random_state=split.seed)
    learner = make_learner(settings.learner, split.seed)
    return cross_val_predict(learner, data.X[split.train], y_train, cv=folds, method="predict_proba")[:, 1]


def _make(iv: Intervention, knob, seed: int, settings: Settings, extra: dict | None = None):
    params = {**iv.params, **settings.params.get(iv.name, {}), **(extra or {})}
    try:
        return iv.make(knob, seed, **params)
    except FairbenchError:
        raise
    except Exception as exc:
        raise PluginError(f"intervention {iv.name!r} (plugin {iv.plugin!r}) failed to build: {type(exc).__name__}: {exc}") from exc


def collective_view(Z: np.ndarray, y: np.ndarray, collective, seed: int) -> CollectiveView:
    return CollectiveView(
        candidates=Z[collective.candidates], collective=Z[collective.members], collective_y=y[collective.members],
        majority=Z[collective.known_majority], majority_y=y[collective.known_majority], random_state=seed,
    )


def _scores(iv: Intervention, Z, y, collective, seed: int, settings: Settings, params: dict) -> np.ndarray:
    if len(collective.candidates) == 0:  # nothing to rank: the plugin is not asked to score zero rows
        return np.empty(0, dtype=np.int64)
    scorer = _make(iv, None, seed, settings, params)
    outcome = STAGE_OBJECTS["labels"].run(scorer, Inputs(view=collective_view(Z, y, collective, seed)))
    return rank_candidates(outcome.returned["score"], len(collective.candidates), seed, iv.name)  # checks the scores


def tuned_params(iv: Intervention, data: Prepared, split: Split, Z, settings: Settings) -> dict:
    """Pick the tuning parameters with the lowest EqOd on a 15% slice of the training rows
    (never the validation split, which only chooses operating points)."""
    if not settings.tune or not iv.tune:
        return {}
    rng = np.random.default_rng([split.seed, TUNE_STREAM])
    shuffled = rng.permutation(split.train)
    n_val = max(1, int(round(TUNE_FRACTION * len(shuffled))))
    inner = Split(split.seed, np.sort(shuffled[n_val:]), np.sort(shuffled[:n_val]))
    collective = form_collective(inner.train, data.a, data.y, settings.alpha, split.seed, settings.majority_knowledge)
    n_cand = len(collective.candidates)
    budgets = sorted({max(1, int(round(f * n_cand))) for f in TUNE_BUDGET_FRACTIONS}) if n_cand else [0]
    names = list(iv.tune)
    best, best_value = {}, np.inf
    for values in itertools.product(*(iv.tune[n] for n in names)):
        params = dict(zip(names, values))
        ranking = _scores(iv, Z, data.y, collective, split.seed, settings, params)
        results = []
        for budget in budgets:
            y_mod, _ = flip(data.y, collective.candidates, ranking, budget)
            metrics, _ = _train_and_score(data, inner, y_mod[inner.train], settings)
            results.append(metrics["eqod"])
        value = np.nanmin(results) if not np.all(np.isnan(results)) else np.inf
        if value < best_value:
            best, best_value = params, value
    return best or {n: iv.tune[n][0] for n in names}


def _user_side(data: Prepared, split: Split, iv: Intervention, seed: int, settings: Settings):
    """The collective of this seed, its ranking of the candidates and the facts every budget's row records."""
    start = time.perf_counter()
    Z = data.scoring_space(split.train)
    collective = form_collective(split.train, data.a, data.y, settings.alpha, seed, settings.majority_knowledge)
    params = tuned_params(iv, data, split, Z, settings)
    ranking = _scores(iv, Z, data.y, collective, seed, settings, params)
    facts = {"n_candidates": len(collective.candidates), "n_collective": len(collective.members),
             "n_majority_known": len(collective.known_majority), "method_seconds": time.perf_counter() - start,
             "params": params}
    return collective, ranking, facts


def _cells(data: Prepared, split: Split, task: Task, settings: Settings, baseline: dict | None) -> list[dict]:
    """The cells of one task: per budget the collective's flips (when there is a user side), then
    per knob the firm method on those training labels (when there is a firm side)."""
    run = task.intervention
    user, firm = user_part(run), firm_part(run)
    rows = [_row(task, knob, key, settings) for knob, key in task.cells]
    if user is not None:
        try:
            with time_limit(settings.cell_timeout):
                collective, ranking, facts = _user_side(data, split, user, task.seed, settings)
        except (Exception, CellTimeout) as exc:
            return [_fail(row, exc) for row in rows]
    learner_cache: dict[int, dict] = {}  # n_flips -> the learner's scores on those labels (post in a pipeline)
    for row, (knob, _) in zip(rows, task.cells):
        budget, firm_knob = knob if isinstance(run, Pipeline) else (knob, None) if firm is None else (None, knob)
        y_train, flipped = data.y[split.train], None
        if user is not None:
            row.update({**facts, "budget_capped": int(budget) > facts["n_candidates"]})
            if facts["n_candidates"] == 0:
                row["note"] = "no candidates: no collective member has y=0, so nothing can flip"
        try:
            with time_limit(settings.cell_timeout):
                if user is not None:
                    y_mod, n_flips = flip(data.y, collective.candidates, ranking, int(budget))
                    row["n_flips"] = n_flips
                    if firm is None:
                        _learner_cell(data, split, y_mod[split.train], n_flips, settings, baseline, row)
                        continue
                    flipped = y_mod[split.train] != y_train
                    y_train = y_mod[split.train]
                cache = learner_cache.setdefault(int(flipped.sum()) if flipped is not None else -1, {})
                _firm_cell(data, split, task.seed, firm, firm_knob, y_train, flipped, settings, baseline, row, cache)
        except (Exception, CellTimeout) as exc:
            _fail(row, exc)
    return rows


def _learner_cell(data: Prepared, split: Split, y_train, n_flips: int, settings: Settings, baseline: dict | None,
                  row: dict) -> None:
    """The firm's learner alone on the collective's labels; zero flips is the baseline's cell."""
    if n_flips == 0 and baseline and baseline.get("row", {}).get("status") == "ok":
        keys = {*metric_columns(settings.metrics, validation=True), "note", "val_note"}
        _add_metrics(row, {k: v for k, v in baseline["row"].items() if k in keys})
        row["fit_seconds"] = 0.0
        return
    metrics, seconds = _train_and_score(data, split, y_train, settings)
    _add_metrics(row, metrics)
    row["fit_seconds"] = seconds


def _add_metrics(row: dict, metrics: dict) -> None:
    """Metrics into a row, keeping a note the row already has."""
    note = "; ".join(n for n in (row.get("note"), metrics.get("note")) if n)
    row.update(metrics)
    if note:
        row["note"] = note


def _firm_cell(data: Prepared, split: Split, seed: int, iv: Intervention, knob, y_train: np.ndarray,
               flipped: np.ndarray | None, settings: Settings, baseline: dict | None, row: dict, cache: dict) -> None:
    """One firm method (stage pre, in or post) on the training labels ``y_train``: the dataset's,
    or in a pipeline the collective's (``flipped`` marks the rows it flipped)."""
    stage = STAGE_OBJECTS[iv.stage]
    context = {"categorical": data.categorical, "columns": data.columns, "sensitive": data.sensitive,
               "learner": make_learner(settings.learner, seed)}  # for a make that names it (cloned, never fitted)
    method = _make(iv, knob, seed, settings, accepted_context(iv, context))
    a_train = data.a[split.train]
    evaluated = {"test": split.test, **({"validation": split.validation} if len(split.validation) else {})}
    learner = make_learner(settings.learner, seed) if stage.takes_learner else None
    fit_seconds = None
    if stage.on_scores:  # fit on the learner's out-of-fold scores of these labels, applied to its scores
        scores, fit_seconds = _post_scores(data, split, y_train, flipped, settings, baseline, iv, cache)
        train = Rows(scores["holdout"], a_train, y_train.copy())  # a copy: the harness's labels stay its own
        sets = {name: Rows(scores[name], data.a[idx]) for name, idx in evaluated.items()}
    else:
        train = Rows(data.X[split.train], a_train, y_train.copy())
        sets = {name: Rows(data.X[idx], data.a[idx]) for name, idx in evaluated.items()}
    start = time.perf_counter()
    outcome = stage.run(method, Inputs(train, sets, learner), checked_as=iv.name)
    seconds = time.perf_counter() - start
    row["method_seconds"] = row.get("method_seconds", 0.0) + seconds  # a pipeline's: ranking, then this method
    out = outcome.returned
    if stage.output.gives == FEATURES:
        y_fit = _relabeled(stage.relabeled(outcome), y_train, flipped, row)
        _count_flagged(stage.mask(outcome), flipped, row)
        width = out["transform(train)"].shape[1]
        metrics, fit_seconds = _train_and_score(data, split, y_fit, settings, out["transform(train)"],
                                                out["transform(test)"], out.get("transform(validation)",
                                                                                np.empty((0, width))))
    else:
        predict = stage.output.name
        metrics = scored(data, split, out[f"{predict}(test)"], out.get(f"{predict}(validation)"), settings.metrics)
        fit_seconds = seconds if fit_seconds is None else fit_seconds
    row["fit_seconds"] = fit_seconds
    _add_metrics(row, metrics)
    row.update(stage.columns(outcome))


def _post_scores(data, split, y_train, flipped, settings, baseline, iv, cache) -> tuple[dict, float]:
    """The learner's scores a post method sees: the baseline's, or in a pipeline those of a learner
    trained on the collective's labels (computed once per number of flips)."""
    if flipped is None:
        if not baseline or baseline.get("probabilities") is None:
            raise PluginError(f"post-processing {iv.name!r} needs the baseline learner's scores, which failed")
        return baseline["probabilities"], baseline["row"].get("fit_seconds", 0.0)
    if "scores" not in cache:
        cache["scores"] = learner_scores(data, split, y_train, settings)
    return cache["scores"]


def _relabeled(y_new: np.ndarray | None, y_train: np.ndarray, flipped, row: dict) -> np.ndarray:
    """Training labels for the learner: a pre method's relabelled ones (Kamiran & Calders' massaging)
    when it has them.  How many changed is the cell's ``n_flips``, in a pipeline ``n_relabeled``
    (its ``n_flips`` are the collective's)."""
    if y_new is None:
        return y_train
    row["n_flips" if flipped is None else "n_relabeled"] = int(np.sum(y_new != y_train))
    return y_new


def _count_flagged(flagged: np.ndarray | None, flipped: np.ndarray | None, row: dict) -> None:
    """A pre method's ``flagged_`` rows (label cleaning): how many, and how many of the collective's flips."""
    if flagged is None:
        return
    row["n_flagged"] = int(flagged.sum())
    if flipped is not None:
        row["n_flipped_flagged"] = int((flagged & flipped).sum())


def accepted_context(iv: Intervention, context: dict) -> dict:
    """The harness context (column facts) a plugin's ``make`` declares it accepts."""
    import inspect

    try:
        sig = inspect.signature(iv.make)
    except (TypeError, ValueError):
        return {}
    return {k: v for k, v in context.items() if k in sig.parameters}
