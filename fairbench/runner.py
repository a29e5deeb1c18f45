"""`compare`: plan the cells of a comparison, compute the missing ones, export what is stored.

Order of work: the baseline of every seed first (its learner's scores feed the post-processing
methods and its metrics are every user-side method's zero-flip cell), then every other
(seed, intervention) task.  Each task's rows are written to the store as soon as they arrive.
"""
from __future__ import annotations

import os
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np
import pandas as pd

from fairbench import collective_model as surrogate
from fairbench.collective import check_alpha, check_budgets, form_collective
from fairbench.contract import BASELINE, Intervention
from fairbench.dataset_options import resolve as resolve_options
from fairbench.errors import UserInputError
from fairbench.group_sizes import check_group_sizes
from fairbench.learners import learner_params, learner_spec
from fairbench.levelling import add_changes
from fairbench.metrics import BUILTIN_METRICS, Metric, check_fairness_metrics, metric_columns
from fairbench.pareto import fronts
from fairbench.pipelines import Pipeline, check_grids, knob_values, parse, user_part
from fairbench.plugins import Registry, get_registry
from fairbench.prepared import Prepared, prepare
from fairbench.store import ResultStore, cell_key
from fairbench.tasks import Settings, Task, TaskResult, run_task

# Budgets as fractions of the candidate pool: dense below 0.15, where the RB methods' fronts bend
# (Adult's minimum is near M = 50-150, about 0.05-0.15 of its pool), roughly geometric above.
# Nine values, as many as the earlier linear grid (0, .05, .1, .2, .3, .45, .6, .8, 1), so a
# default run costs the same number of cells.
DEFAULT_BUDGET_FRACTIONS = (0.0, 0.02, 0.04, 0.07, 0.1, 0.15, 0.25, 0.5, 1.0)
DEFAULT_SEEDS = 3
#: The share of each seed's training rows set aside to choose operating points (docs/protocol.md).
DEFAULT_VALIDATION_FRACTION = 0.2
#: The columns of cells.csv around the metrics' own (``metrics.metric_columns``), in this order.
CELL_COLUMNS_BEFORE = ("dataset", "intervention", "side", "stage", "knob", "knob_value", "seed", "alpha",
                       "majority_knowledge", "learner")
CELL_COLUMNS_AFTER = ("n_flips", "n_candidates", "budget_capped", "status", "message", "note", "fit_seconds",
                      "method_seconds")
#: A composed pipeline's own columns (after the validation ones), absent from a single intervention's
#: cells: its parts and knobs, and what its firm method did to the collective's labels.
PIPELINE_COLUMNS = ("user_intervention", "budget", "firm_intervention", "firm_knob", "n_relabeled", "n_flagged",
                    "n_flipped_flagged")


def cell_columns(metrics=BUILTIN_METRICS) -> tuple[str, ...]:
    """The columns every cells.csv has, the metrics' in registration order."""
    return (*CELL_COLUMNS_BEFORE, *metric_columns(metrics), *CELL_COLUMNS_AFTER)


def validation_columns(metrics=BUILTIN_METRICS) -> tuple[str, ...]:
    """Written only when the run has a validation split, so a ``--validation-fraction 0`` run's
    cells are exactly those of the paper's two-way protocol."""
    return ("validation_fraction", *(f"val_{c}" for c in metric_columns(metrics)), "val_note")


CELL_COLUMNS = cell_columns()  # with the built-in metrics
VALIDATION_COLUMNS = validation_columns()


@dataclass
class CompareResult:
    """What a comparison produced: cells and fronts as DataFrames, plus where they were written."""

    dataset: str
    cells: pd.DataFrame
    fronts: pd.DataFrame
    output: Path | None
    computed: int = 0
    reused: int = 0
    problems: list[str] = field(default_factory=list)   # warnings: broken plugins, skipped methods
    warnings: list[str] = field(default_factory=list)   # printed before the run: e.g. few test rows per group
    unavailable: list[str] = field(default_factory=list)  # requested by name but not installable here
    files: list[Path] = field(default_factory=list)
    from_cache: int = 0  # of the reused cells, how many came from the shared cell cache
    metrics: tuple[Metric, ...] = BUILTIN_METRICS  # the registered metrics the cells were scored by
    fairness_metrics: tuple[str, ...] = ("eqod", "sp")  # the unfairness axes of the table and figures

    @property
    def failures(self) -> list[str]:
        bad = self.cells[self.cells["status"] != "ok"]
        seen = {}
        for _, row in bad.iterrows():
            seen.setdefault((row["intervention"], row["message"]), 0)
            seen[(row["intervention"], row["message"])] += 1
        return self.unavailable + [f"{name}: {n} cell(s) {msg}" for (name, msg), n in seen.items()]

    @property
    def ok(self) -> bool:
        return not self.failures

    def table(self) -> str:
        from fairbench.export import fronts_table

        return fronts_table(self.fronts, self.fairness_metrics, self.metrics)


def load(dataset: str, registry: Registry | None = None, **options) -> "object":
    """Load a registered dataset by name (``csv:PATH`` for bring-your-own data).

    A dataset whose files are missing raises UnavailableError from its loader, with the one
    line that makes it available.
    """
    registry = registry or get_registry()
    spec = registry.dataset(dataset)
    options = resolve_options(spec, options)  # a misspelled option fails here, listing the loader's
    if dataset.startswith("csv:"):
        options["path"] = dataset[4:]
    return spec.loader(**options)


def default_jobs() -> int:
    """Worker processes when none are asked for: every core (CLI and API alike)."""
    return os.cpu_count() or 1


def threads_per_worker(jobs: int) -> int:
    """Each of ``jobs`` worker processes' share of the cores, for its learner's native threads."""
    return max(1, default_jobs() // jobs)


def resolve_jobs(jobs: int | None) -> int:
    """``None`` or 0: every core; otherwise the number given (>= 1)."""
    if jobs is None or (not isinstance(jobs, bool) and isinstance(jobs, (int, np.integer)) and jobs == 0):
        return default_jobs()
    if isinstance(jobs, bool) or not isinstance(jobs, (int, np.integer)) or jobs < 0:
        raise UserInputError(f"jobs must be a whole number >= 1 (or 0 for all cores), got {jobs!r}")
    return int(jobs)


def default_output(dataset: str) -> Path:
    name = "csv-" + Path(dataset[4:]).stem if dataset.startswith("csv:") else dataset
    return Path("results") / name


def select_interventions(registry: Registry, names: Iterable[str] | None) -> tuple[list[Intervention | Pipeline], list[str]]:
    """The interventions and pipelines (``a+b`` names) to run, baseline always first, and the ones
    skipped as unavailable."""
    if names is None:
        chosen = [iv for iv in registry.interventions.values() if iv.in_default_run]
    else:
        names = list(names)
        if not names:  # an empty list is a mistake (an unset variable), not "only the baseline"
            raise UserInputError("interventions is an empty list; pass None for every available one, or names from: "
                                 + ", ".join(sorted(registry.interventions)))
        chosen = [parse(n, registry.intervention) for n in dict.fromkeys(names)]
    if not any(iv.is_baseline for iv in chosen):
        chosen.insert(0, registry.intervention(BASELINE))
    chosen.sort(key=lambda iv: not iv.is_baseline)
    runnable, skipped = [], []
    for iv in chosen:
        reason = iv.unavailable_reason() if isinstance(iv, Pipeline) else registry.unavailable_reason(iv)
        (skipped.append(f"unavailable: {reason}") if reason else runnable.append(iv))
    return runnable, skipped


def pool_size(data: Prepared, alpha: float, validation_fraction: float = 0.0, seed: int = 0) -> int:
    """The candidates (collective members with y=0) of seed ``seed`` at ``alpha``; the majority
    rows the collective knows do not change who the candidates are."""
    return len(form_collective(data.split(seed, validation_fraction).train, data.a, data.y, alpha, seed).candidates)


def check_fractions(fractions) -> tuple[float, ...]:
    values = []
    for f in fractions:
        if isinstance(f, bool) or not isinstance(f, (int, float, np.integer, np.floating)) or not 0 <= float(f) <= 1:
            raise UserInputError(f"budget fractions must be numbers in [0, 1] (shares of the candidate pool), got {f!r}")
        values.append(float(f))
    if not values:
        raise UserInputError("budget fractions is an empty list; pass None for the default grid")
    return tuple(values)


def budgets_from_fractions(data: Prepared, fractions, alpha: float, validation_fraction: float = 0.0,
                           reference_alpha: float | None = None) -> tuple[int, ...]:
    """Budgets M as fractions of seed 0's candidate pool, so every seed uses the same M values.

    With ``reference_alpha`` the fractions are of the pool at that alpha (the alpha sweep: the same
    absolute M at every alpha); values at or above this run's own pool are replaced by the pool.
    """
    fractions = check_fractions(fractions)
    pool = pool_size(data, alpha, validation_fraction)
    if reference_alpha is None:
        return tuple(sorted({int(round(f * pool)) for f in fractions}))
    reference = pool_size(data, check_alpha(reference_alpha), validation_fraction)
    grid = {int(round(f * reference)) for f in fractions}
    return tuple(sorted({b for b in grid if b < pool} | {pool}))


def _part_identity(iv: Intervention, settings: Settings) -> dict:
    return {"intervention": iv.name, "version": iv.version, "plugin": iv.plugin,
            "params": {**iv.params, **settings.params.get(iv.name, {})}}


def _identity(data: Prepared, options: dict, run: Intervention | Pipeline, knob, seed: int, settings: Settings) -> dict:
    """Everything that determines a cell; a pipeline's names every part and both knobs."""
    identity = {"dataset": data.name, "data": data.fingerprint, "options": options, "knob_value": knob, "seed": seed,
                "learner": settings.learner, "learner_params": learner_params(settings.learner)}
    if isinstance(run, Pipeline):
        identity["pipeline"] = [_part_identity(iv, settings) for iv in run.parts]
    else:
        identity.update(_part_identity(run, settings))
    user = user_part(run)
    if user is not None:
        identity.update(alpha=settings.alpha, majority_knowledge=settings.majority_knowledge,
                        tune=dict(user.tune) if settings.tune else None)
    if settings.validation_fraction:  # absent at 0: the paper protocol's cells keep their keys
        identity["validation_fraction"] = settings.validation_fraction
    return identity


def plan(data: Prepared, options: dict, interventions: list[Intervention | Pipeline], seeds: list[int], budgets,
         settings: Settings, grids: dict | None = None) -> list[Task]:
    """One task per (intervention or pipeline, seed), its cells every knob value (``grids`` narrows
    a firm method's grid by name)."""
    needs_post = any(iv.stage == "post" for iv in interventions)
    tasks = []
    for iv in interventions:
        values = knob_values(iv, budgets, grids or {})
        for seed in seeds:
            cells = tuple((value, cell_key(_identity(data, options, iv, keyed, seed, settings))) for keyed, value in values)
            tasks.append(Task(iv, seed, cells, needs_probabilities=needs_post and iv.is_baseline))
    return tasks


@dataclass(frozen=True)
class Executor:
    """Where tasks run: ``local`` worker processes (joblib) or an existing Dask cluster."""

    kind: str = "local"
    jobs: int = 1
    scheduler: str | None = None

    def run(self, data: Prepared, tasks: list[Task], settings: Settings, baselines: dict) -> Iterator[tuple[Task, TaskResult]]:
        if not tasks:
            return iter(())
        if self.kind == "dask":
            return _execute_dask(data, tasks, settings, baselines, self.scheduler)
        if self.kind != "local":
            raise UserInputError(f"unknown executor {self.kind!r}; valid executors: local, dask")
        return _execute_local(data, tasks, settings, baselines, self.jobs)


def _execute_local(data: Prepared, tasks: list[Task], settings: Settings, baselines: dict, jobs: int):
    if jobs <= 1 or len(tasks) <= 1:
        for task in tasks:
            yield task, run_task(data, task, settings, baselines.get(task.seed))
        return
    from joblib import Parallel, delayed

    # loky replaces a worker whose memory grew by 300 MB since its first task (importing
    # holisticai/JAX does that) and warns; the replacement is harmless, the warning only alarms.
    warnings.filterwarnings("ignore", message="A worker stopped while some jobs were given", category=UserWarning)
    threads = threads_per_worker(jobs)
    parallel = Parallel(n_jobs=jobs, return_as="generator_unordered")
    yield from parallel(delayed(_run_limited)(data, task, settings, baselines.get(task.seed), threads) for task in tasks)


def _run_limited(data, task, settings, baseline, threads):
    """Run one task with the learner's own threads capped, so workers don't oversubscribe cores."""
    from fairbench.threads import limited_threads

    with limited_threads(threads, preload=learner_spec(settings.learner).requires):
        return task, run_task(data, task, settings, baseline)


def _execute_dask(data: Prepared, tasks: list[Task], settings: Settings, baselines: dict, scheduler: str | None):
    """Run tasks on a Dask cluster; results stream back and only this driver writes the store."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise UserInputError('--executor dask needs dask.distributed: pip install "fairbench-collective[distributed]"') from None
    if not scheduler:
        raise UserInputError("--executor dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)")
    try:
        client = Client(scheduler, timeout="20s")
    except OSError as exc:
        raise UserInputError(f"cannot reach the Dask scheduler at {scheduler!r}: {exc}") from None
    try:
        shared = client.scatter(data, broadcast=True)
        futures = {client.submit(_run_limited, shared, task, settings, baselines.get(task.seed), 1, pure=False): task
                   for task in tasks}
        for future in as_completed(futures):
            yield future.result()
    finally:
        client.close()


@dataclass
class PlannedRun:
    """A comparison's cells, planned but not yet computed: what ``compare`` runs and what
    ``fairbench reproduce --dry-run`` counts."""

    dataset: str
    data: Prepared
    settings: Settings
    tasks: list[Task]
    output: Path
    problems: list[str]
    unavailable: list[str]
    warnings: list[str]
    fairness_metrics: tuple[str, ...]
    chosen: list[Intervention]

    @property
    def keys(self) -> list[str]:
        return [key for t in self.tasks for _, key in t.cells]


def plan_compare(dataset: str = "adult", interventions: Iterable[str] | None = None,
                 seeds: int | Iterable[int] = DEFAULT_SEEDS, alpha: float = 0.3, budgets: Iterable[int] | None = None,
                 majority_knowledge: int | None = None, learner: str = "hgb", output: str | os.PathLike | None = None,
                 tune: bool = True, cell_timeout: float | None = None, dataset_options: dict | None = None,
                 params: dict | None = None, registry: Registry | None = None,
                 validation_fraction: float = DEFAULT_VALIDATION_FRACTION,
                 fairness_metrics: Iterable[str] = ("eqod", "sp"), budget_fractions: Iterable[float] | None = None,
                 budget_reference_alpha: float | None = None, collective_model: str | None = None,
                 grid: dict | None = None) -> PlannedRun:
    """Check a comparison's arguments, load its data and list its cells and their keys (no fit)."""
    registry = registry or get_registry()
    metrics = tuple(registry.metrics.values())
    fairness_metrics = check_fairness_metrics(fairness_metrics, metrics)
    check_alpha(alpha)
    validation_fraction = check_validation_fraction(validation_fraction)
    seed_list = _check_seeds(seeds)
    if majority_knowledge is not None and (isinstance(majority_knowledge, bool)
                                           or not isinstance(majority_knowledge, (int, np.integer, float))
                                           or not float(majority_knowledge).is_integer() or majority_knowledge < 0):
        raise UserInputError(f"--majority-knowledge must be a whole number of rows >= 0, got {majority_knowledge!r}")
    if cell_timeout is not None and not (isinstance(cell_timeout, (int, float)) and 0 < cell_timeout < float("inf")):
        raise UserInputError(f"--cell-timeout must be a positive number of seconds, got {cell_timeout!r}")
    if budgets is not None and budget_fractions is not None:
        raise UserInputError("pass budgets (numbers of flips) or budget fractions (shares of the pool), not both")
    _check_learner(learner, registry)  # unknown or unavailable learner: clear error before any work
    chosen, skipped = select_interventions(registry, interventions)
    params = surrogate.with_collective_model(params or {}, chosen, collective_model, registry.interventions.values())
    grids = check_grids(grid, chosen, registry.intervention)
    problems = list(registry.problems) + ([] if interventions is not None else skipped)
    unavailable = skipped if interventions is not None else []
    options = resolve_options(registry.dataset(dataset), dict(dataset_options or {}))
    data = prepare(load(dataset, registry, **options))
    data.name = dataset
    _check_missing_values(data, learner_spec(learner, registry), registry)
    warned = [w for w in [check_group_sizes(data, seed_list)] if w]
    if budgets is not None:
        budget_values = check_budgets(budgets)
    else:
        budget_values = budgets_from_fractions(data, DEFAULT_BUDGET_FRACTIONS if budget_fractions is None
                                               else budget_fractions, alpha, validation_fraction, budget_reference_alpha)
    settings = Settings(alpha=alpha, majority_knowledge=majority_knowledge, learner=learner, tune=tune,
                        cell_timeout=cell_timeout, params=params, validation_fraction=validation_fraction,
                        metrics=metrics)
    tasks = plan(data, options, chosen, seed_list, budget_values, settings, grids)
    out_dir = Path(output) if output is not None else default_output(dataset)
    return PlannedRun(dataset, data, settings, tasks, out_dir, problems, unavailable, warned, fairness_metrics, chosen)


def compare(dataset: str = "adult", interventions: Iterable[str] | None = None, seeds: int | Iterable[int] = DEFAULT_SEEDS,
            alpha: float = 0.3, budgets: Iterable[int] | None = None, majority_knowledge: int | None = None,
            learner: str = "hgb", output: str | os.PathLike | None = None, jobs: int | None = None,
            fresh: bool = False, executor: str = "local", scheduler: str | None = None,
            tune: bool = True, cell_timeout: float | None = None, dataset_options: dict | None = None,
            params: dict | None = None, quiet: bool = False, write: bool = True,
            registry: Registry | None = None,
            validation_fraction: float = DEFAULT_VALIDATION_FRACTION,
            fairness_metrics: Iterable[str] = ("eqod", "sp"), budget_fractions: Iterable[float] | None = None,
            budget_reference_alpha: float | None = None, cache: str | os.PathLike | bool | None = None,
            on_cells: Callable[[int], None] | None = None, collective_model: str | None = None,
            grid: dict | None = None) -> CompareResult:
    """Run (or resume) a comparison and return its cells and fronts, as ``fairbench compare`` does.

    The parameters mirror the command's options and defaults: ``interventions`` None runs every
    available one (an empty list is an error), and an ``a+b`` name runs a pipeline (the collective
    ``a`` flips, then the firm method ``b``; fairbench.pipelines); ``seeds`` is a count (seeds
    0..N-1) or explicit seed values; ``budgets`` None uses ``budget_fractions`` of seed 0's candidate pool (default
    DEFAULT_BUDGET_FRACTIONS; ``budget_reference_alpha``: of the pool at that alpha, capped at
    this run's pool); ``output`` None writes to ``results/<dataset>/``; ``jobs`` None (or 0) uses
    every core, results do not depend on it; ``dataset_options`` are the loader's options
    (``--dataset-option``; ``fairbench list --dataset NAME`` shows them); ``quiet`` hides the
    progress bar (warnings still go to stderr); ``write=False`` keeps tables and figures in
    memory only; ``validation_fraction`` of each seed's training rows is held out to choose
    operating points on, 0 is the paper's protocol (docs/protocol.md); ``fairness_metrics`` are
    the registered fairness metrics whose fronts the table marks (the first) and the figures
    draw (each), fronts.csv holds them all; ``grid`` maps a firm method's name to the values of its
    declared grid to run (``--grid NAME=v1,v2``; default every value, and a pipeline sweeps them
    times the budgets).  Cells already in the output directory's store are reused unless
    ``fresh``, and so are cells of any earlier run in the shared cell cache
    (``cache``: a directory, None for the default, False for none; ``fairbench.cache``).
    ``on_cells(n)`` is called as each task's n cells are written.  ``collective_model`` is the
    learner RB-prob trains on the known majority rows (None: the paper's HGB;
    ``fairbench.collective_model``): when given, cells.csv gets a ``collective_model`` column.
    """
    from fairbench.cache import open_cache

    jobs = resolve_jobs(jobs)
    run = plan_compare(dataset, interventions, seeds, alpha, budgets, majority_knowledge, learner, output, tune,
                       cell_timeout, dataset_options, params, registry, validation_fraction, fairness_metrics,
                       budget_fractions, budget_reference_alpha, collective_model, grid)
    for line in run.warnings:
        if line not in _PRINTED_WARNINGS:  # an experiment's many compare calls on one dataset: once
            _PRINTED_WARNINGS.add(line)
            print(f"fairbench: warning: {line}", file=sys.stderr)
    metrics = run.settings.metrics
    store = ResultStore(run.output)
    shared = open_cache(cache, exclude=run.output)
    try:
        store.lock()
        all_keys = run.keys
        if fresh:
            store.delete(all_keys)
        done = store.existing(all_keys)
        from_cache = 0
        if shared is not None and not fresh:
            hits = shared.rows([k for k in all_keys if k not in done])
            if hits:
                store.put(hits)
                done |= {row["key"] for row in hits}
                from_cache = len(hits)
        sinks = [store] + ([shared] if shared is not None else [])
        computed = _run(sinks, run.data, run.tasks, run.settings, Executor(executor, jobs, scheduler), done,
                        not quiet, on_cells)
        rows = store.rows(all_keys)
        if shared is not None:  # cells this folder had before the cache knew them serve other runs too
            known = shared.existing(all_keys)
            shared.put([row for row in rows if row["key"] not in known])
        cells = _cells_frame(rows, metrics)
        if collective_model is not None:
            cells = surrogate.record(cells, run.chosen, run.settings.params)
        result = CompareResult(dataset, cells, fronts(cells, metrics), run.output, computed, len(all_keys) - computed,
                               problems=run.problems, unavailable=run.unavailable, warnings=run.warnings,
                               metrics=metrics, fairness_metrics=run.fairness_metrics, from_cache=from_cache)
        if write:  # still holding the lock: two runs never interleave their exported files
            result.files = _write_outputs(result, store)
    finally:
        store.close()
        if shared is not None:
            shared.close()
    return result


def check_validation_fraction(value) -> float:
    """A share of the training rows in [0, 0.5]: 0 is the paper's protocol, more starves the learner."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not 0 <= float(value) <= 0.5:
        raise UserInputError(f"--validation-fraction must be a number in [0, 0.5] (0 = the paper's train/test "
                             f"protocol, default {DEFAULT_VALIDATION_FRACTION:g}), got {value!r}")
    return float(value)


_PRINTED_WARNINGS: set[str] = set()


def _check_seeds(seeds) -> list[int]:
    """Seed values: a count N >= 1 (seeds 0..N-1) or a non-empty list of whole numbers >= 0."""
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        if seeds < 1:
            raise UserInputError(f"seeds must be at least 1, got {seeds}")
        return list(range(int(seeds)))
    try:
        values = list(seeds)
        seed_list = [int(s) for s in values]
    except (TypeError, ValueError):
        raise UserInputError(f"seeds must be a count >= 1 or a list of whole numbers >= 0, got {seeds!r}") from None
    bad = [v for v, s in zip(values, seed_list) if s < 0 or (isinstance(v, float) and not float(v).is_integer())]
    if not seed_list or bad:
        raise UserInputError(f"seeds must be a count >= 1 or a non-empty list of whole numbers >= 0, got {seeds!r}")
    return seed_list


def _check_learner(name: str, registry: Registry) -> None:
    """A learner the run can use: registered, installed, and known to the worker processes too
    (they build it by name from the process-wide registry, see ``fairbench.learners``)."""
    learner_spec(name, registry)
    if registry is not get_registry() and name not in get_registry().learners:
        raise UserInputError(f"learner {name!r} is registered only in the registry passed to compare; worker "
                             "processes build the learner by name, so install its plugin (an entry point in the "
                             "'fairbench' group) to use it")


def nan_tolerant_learners(registry: Registry) -> list[str]:
    """The installed learners that declare ``nan_tolerant``, the default learner first."""
    from fairbench.learners import DEFAULT_LEARNER

    names = [name for name, spec in registry.learners.items() if spec.nan_tolerant and not spec.unavailable_reason()]
    return sorted(names, key=lambda n: (n != DEFAULT_LEARNER, n))


def _check_missing_values(data: Prepared, learner, registry: Registry) -> None:
    """Refuse NaN features up front when the firm's learner cannot take them (every cell would fail)."""
    if learner.nan_tolerant:
        return
    holes = np.isnan(data.X).any(axis=0)
    if holes.any():
        names = [data.columns[j] for j in np.flatnonzero(holes)]
        shown = ", ".join(repr(n) for n in names[:5]) + (f" (+{len(names) - 5} more)" if len(names) > 5 else "")
        first, *others = nan_tolerant_learners(registry) or ["NAME"]
        also = f", as do {', '.join(others)}" if others else ""
        raise UserInputError(
            f"dataset {data.name!r}: feature column(s) {shown} have missing values, which learner {learner.name!r} "
            f"cannot take; use --learner {first} (it handles missing values{also}) or fill or drop those columns "
            "(csv: option drop=COLUMN)")


def _write_outputs(result: CompareResult, store: ResultStore) -> list[Path]:
    from fairbench.export import write_outputs

    try:
        return write_outputs(result)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise UserInputError(
            f"cannot write tables and figures to {str(result.output)!r} ({reason}); every cell is kept in {store.path}: "
            "free space or fix permissions and run the same command again (nothing is recomputed)") from None


def _run(sinks: list[ResultStore], data: Prepared, tasks: list[Task], settings: Settings, executor: Executor,
         done: set, progress: bool, on_cells: Callable[[int], None] | None = None) -> int:
    """Compute every missing cell, writing each task's rows to every store in ``sinks`` (the
    run's own, then the shared cache); returns how many were computed."""
    from tqdm import tqdm

    def missing(task: Task) -> Task:
        return Task(task.intervention, task.seed, tuple(c for c in task.cells if c[1] not in done), task.needs_probabilities)

    post_seeds = {t.seed for t in tasks if t.intervention.stage == "post" and missing(t).cells}
    first = [t for t in tasks if t.intervention.is_baseline]
    rest = [missing(t) for t in tasks if not t.intervention.is_baseline]
    rest = sorted((t for t in rest if t.cells), key=lambda t: -t.intervention.cost * len(t.cells))  # longest first
    first = [t for t in first if t.cells[0][1] not in done or t.seed in post_seeds or any(r.seed == t.seed for r in rest)]
    total = sum(len(t.cells) for t in rest) + sum(1 for t in first if t.cells[0][1] not in done)
    bar = tqdm(total=total, disable=not progress, unit="cell", file=sys.stderr)
    computed = 0
    baselines: dict[int, dict] = {}
    try:
        for task, result in executor.run(data, first, settings, {}):
            baselines[task.seed] = {"row": result.rows[0], "probabilities": result.probabilities}
            if task.cells[0][1] not in done:
                computed += _put(sinks, result.rows, data, bar, on_cells)
        for task, result in executor.run(data, rest, settings, baselines):
            computed += _put(sinks, result.rows, data, bar, on_cells)
    finally:
        bar.close()
    return computed


def _put(sinks: list[ResultStore], rows: list[dict], data: Prepared, bar, on_cells) -> int:
    for row in rows:
        row["dataset"] = data.name
    for store in sinks:
        store.put(rows)
    bar.update(len(rows))
    if on_cells is not None:
        on_cells(len(rows))
    return len(rows)


def _cells_frame(rows: list[dict], metrics=BUILTIN_METRICS) -> pd.DataFrame:
    """The cells as a frame: every cell column, the validation ones when the run has them, then
    whatever plugins reported, then the key; each per-group rate's change against its seed's
    baseline (``d_<rate>``) is derived here (``fairbench.levelling``), never stored."""
    frame = pd.DataFrame(rows)
    columns, validation = cell_columns(metrics), validation_columns(metrics)
    for col in (*columns, "key"):
        if col not in frame:
            frame[col] = np.nan
    validation = list(validation) if any(c in frame for c in validation) else []
    for col in validation:
        if col not in frame:
            frame[col] = np.nan
    pipeline = [c for c in PIPELINE_COLUMNS if c in frame]
    known = (*columns, *validation, *pipeline, "key")
    extra = [c for c in frame.columns if c not in known]
    frame = frame[list(columns) + validation + pipeline + extra + ["key"]]
    return add_changes(frame.reset_index(drop=True), metrics)
