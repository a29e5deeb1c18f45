"""``fairbench reproduce``: every experiment of the paper's reproduction in one command.

The plan is ``STEPS``: one entry per results folder, with the experiment's own options exactly as
its committed COMMAND.txt says (a test checks that each committed COMMAND.txt is the plan's line).
The steps share one cell cache (``fairbench.cache``), so a cell two experiments ask for (a
baseline, RB-prob at a common budget) is fitted once.  After the experiments the command rebuilds
the cross-run report, docs/leaderboard.md and docs/reproduction.md as the committed pages are
built; ``--plan beyond`` runs ``BEYOND_STEPS`` instead (levelling, interaction, transfer) and
rebuilds docs/beyond-the-paper.md only.  ``--dry-run`` prints the plan: cells per step, how many another step shares, how many
are stored already and how many a run would compute.
"""
from __future__ import annotations

import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from fairbench.errors import FairbenchError, UserInputError

DEFAULT_ROOT = Path("results")
DEFAULT_SEEDS = 10
FLIP_GRID = "0,0.025,0.05,0.1,0.15,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1"
USER_SIDE = "random,rb-prob,rb-label,rb-dist"
FIRM = ("rb-prob,lfr,fare,fare-k,calibrated-eo,calibrated-eo-threshold,reductions-eg,reductions-gs,"
        "threshold-optimizer,relaxed-eo,massaging")
LIBRARY_DEFAULTS = ("rb-prob,lfr,lfr-holisticai,reductions-eg,reductions-eg-firm-learner,reductions-gs,"
                    "reductions-gs-firm-learner")
PAPER_DATASETS = ("adult", "compas", "german")
DIAGNOSTICS = ("--learner hgb --no-tune --alphas 0.05,0.1,0.2,0.3,0.5,0.75,1 "
               "--interventions oracle,random,rb-prob,rb-label,rb-dist,rb-label@fare,rb-dist@fare")


@dataclass(frozen=True)
class Step:
    """One results folder ``<root>/<dataset>/<name>/`` per dataset: ``fairbench experiment
    EXPERIMENT --dataset D --seeds N ARGUMENTS``.  ``max_seeds`` caps N per dataset (a step too
    slow at 10 seeds says so in its folder's heading)."""

    name: str
    experiment: str
    datasets: tuple[str, ...]
    arguments: str
    max_seeds: dict = field(default_factory=dict)
    #: name --output even for the experiment's default folder (as the committed command line does)
    named_output: bool = False

    def default_place(self, root: Path) -> bool:
        """Whether the step's folder is where the experiment writes without --output."""
        return Path(root) == DEFAULT_ROOT and self.name == self.experiment and not self.named_output


#: The reproduction, in the order it runs: the validation-protocol runs behind the leaderboard
#: first (flips and firm share the baseline and RB-prob; the library-default variants share firm's
#: cells), then the paper-protocol figures, then the synthetic experiments.
STEPS = (
    Step("flips", "flips", PAPER_DATASETS,
         f"--learner hgb --validation-fraction 0.2 --alpha 0.3 --budget-fractions {FLIP_GRID} --interventions {USER_SIDE}"),
    Step("firm", "firm", PAPER_DATASETS,
         f"--learner hgb --validation-fraction 0.2 --alpha 0.3 --budget-fractions {FLIP_GRID} --interventions {FIRM}"),
    # Adult at 3 seeds: holisticai's own LFR fit, kept only to show the library default, is the slowest cell here
    Step("firm-library-defaults", "firm", PAPER_DATASETS,
         f"--learner hgb --validation-fraction 0.2 --alpha 0.3 --budget-fractions {FLIP_GRID} "
         f"--interventions {LIBRARY_DEFAULTS}", max_seeds={"adult": 3}),
    Step("firm-paper", "firm", PAPER_DATASETS,
         f"--learner hgb --validation-fraction 0 --alpha 0.3 --budget-fractions {FLIP_GRID} --interventions {FIRM}"),
    Step("representations", "representations", ("adult", "compas"),
         f"--learner hgb --validation-fraction 0 --alpha 0.3 --budget-fractions {FLIP_GRID} --interventions rb-dist,rb-label,rb-prob"),
    Step("knowledge", "knowledge", ("adult", "compas"),
         "--learner hgb --validation-fraction 0 --alpha 0.3 --knowledge all,1000,100,10 "
         "--budget-fractions 0,0.05,0.1,0.2,0.3,0.5,0.7,1 "
         "--interventions rb-prob,rb-label,rb-dist"),
    Step("alpha", "alpha", PAPER_DATASETS,
         "--learner hgb --validation-fraction 0 --alphas 0.05,0.1,0.2,0.3,0.5,0.75,1 "
         f"--budget-fractions 0,0.01,0.025,0.05,0.1,0.15,0.2,0.3,0.5,0.75,1 --interventions {USER_SIDE}"),
    Step("flips-drop-sensitive", "flips", ("compas",),
         f"--learner hgb --drop-sensitive --validation-fraction 0 --alpha 0.3 --budget-fractions {FLIP_GRID} "
         f"--interventions {USER_SIDE}"),
    Step("toy", "toy", ("toy-2d",), "--flips 6 --method rb-dist"),
    Step("diagnostics", "diagnostics", ("synthetic-4gmm",), f"--dataset-option n=20000 {DIAGNOSTICS}",
         named_output=True),
    Step("diagnostics-strong", "diagnostics", ("synthetic-4gmm",),
         f"--dataset-option minority_fraction=0.3 --dataset-option n=20000 --dataset-option psi=1.5 {DIAGNOSTICS}",
         named_output=True),
)
#: The folders the cross-run report and the leaderboard read, per dataset, in this order.
REPORT_STEPS = ("firm", "flips")
#: What the suite asks beyond the paper's claims (docs/beyond-the-paper.md).  All three run the
#: leaderboard's protocol (validation 0.2, alpha 0.3): levelling on the flips budgets (each of its
#: cells is a flips cell), interaction and transfer on a subset of them (their cells of a strategy
#: or a firm method alone are flips' and firm's), so the cell cache serves what flips and firm fitted.
BEYOND_FRACTIONS = "0,0.05,0.1,0.2,0.3,0.5,1"
BEYOND_STEPS = (
    Step("levelling", "levelling", PAPER_DATASETS,
         f"--learner hgb --validation-fraction 0.2 --alpha 0.3 --budget-fractions {FLIP_GRID} --interventions {USER_SIDE}"),
    Step("interaction", "interaction", ("adult", "compas"),
         f"--learner hgb --validation-fraction 0.2 --alpha 0.3 --budget-fractions {BEYOND_FRACTIONS}"),
    Step("transfer", "transfer", ("adult", "compas"),
         f"--learner hgb --validation-fraction 0.2 --alpha 0.3 --budget-fractions {BEYOND_FRACTIONS} "
         "--learners hgb,logreg,random-forest,mlp,lightgbm"),
)


@dataclass(frozen=True)
class Plan:
    """A named plan of ``fairbench reproduce --plan NAME``: its steps, the page it rebuilds, and
    whether it also rebuilds the cross-run report and the leaderboard (the paper's plan)."""

    name: str
    steps: tuple[Step, ...]
    page: str  # a fairbench.reproduction_page.PAGES name
    report: bool


PLANS = {p.name: p for p in (Plan("paper", STEPS, "reproduction", True), Plan("beyond", BEYOND_STEPS, "beyond", False))}
DEFAULT_PLAN = "paper"


def plan_named(name: str) -> Plan:
    if name not in PLANS:
        from fairbench.errors import unknown_name

        raise unknown_name("plan", name, PLANS)
    return PLANS[name]


@dataclass
class PlannedStep:
    """One step for one dataset: its parsed command, its comparisons and their cell keys."""

    step: Step
    dataset: str
    output: Path
    command: str
    name: str  # the experiment
    cfg: object  # RunConfig
    options: dict
    keys: list[str]  # every cell of its comparisons ([] for an experiment outside compare)
    stored: set[str] = field(default_factory=set)  # of keys: already in the folder's store or the cache
    own_cells: bool = False  # toy, diagnostics: cells computed outside compare and the cache

    @property
    def label(self) -> str:
        return f"{self.dataset}/{self.step.name}"


def check_names(kind: str, given: Iterable[str] | None, valid: Iterable[str]) -> tuple[str, ...] | None:
    """A comma list of plan names (None: all); an unknown one lists the valid ones."""
    if given is None:
        return None
    valid = list(dict.fromkeys(valid))
    given = tuple(given)
    if not given:
        raise UserInputError(f"--{kind} is an empty list; valid: {', '.join(valid)}")
    bad = [g for g in given if g not in valid]
    if bad:
        raise UserInputError(f"unknown {kind.rstrip('s')} {bad[0]!r} for reproduce; valid: {', '.join(valid)}")
    return given


def plan(seeds: int = DEFAULT_SEEDS, datasets: Iterable[str] | None = None, only: Iterable[str] | None = None,
         root: str | Path = DEFAULT_ROOT, cache=None, steps: tuple[Step, ...] = STEPS, registry=None,
         jobs: int | None = None, fresh: bool = False) -> list[PlannedStep]:
    """Every (step, dataset) to run, with its cell keys and which of them are stored."""
    from fairbench.cache import cache_dir
    from fairbench.cli import build_parser
    from fairbench.experiments import calls
    from fairbench.experiments.cli import experiment_arguments
    from fairbench.runner import plan_compare
    from fairbench.store import stored_keys

    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise UserInputError(f"--seeds must be a whole number >= 1, got {seeds!r}")
    datasets = check_names("datasets", datasets, (d for s in steps for d in s.datasets))
    only = check_names("only", only, (s.name for s in steps))
    root = Path(root)
    shared = cache_dir(cache)
    planned = []
    for step in steps:
        if only is not None and step.name not in only:
            continue
        for dataset in step.datasets:
            if datasets is not None and dataset not in datasets:
                continue
            n = min(seeds, step.max_seeds.get(dataset, seeds))
            output = root / dataset / step.name
            words = ["experiment", step.experiment, "--dataset", dataset, "--seeds", str(n),
                     *([] if step.default_place(root) else ["--output", str(output)]), *shlex.split(step.arguments)]
            name, cfg, options = experiment_arguments(build_parser().parse_args(words))
            cfg.registry, cfg.cache, cfg.quiet, cfg.fresh = registry, cache, True, fresh
            if jobs is not None:
                cfg.jobs = jobs
            keys = []
            experiment_calls = calls(name, cfg, **options)
            for call in experiment_calls:
                keys += plan_compare(**cfg.compare_arguments(call)).keys
            stored = set()
            if not fresh:
                for call in experiment_calls:
                    stored |= stored_keys(call.output, keys)
                if shared is not None:
                    stored |= stored_keys(shared, set(keys) - stored)
            planned.append(PlannedStep(step, dataset, output, "fairbench " + shlex.join(words), name, cfg, options,
                                       keys, stored, own_cells=not experiment_calls))
    return planned


@dataclass
class PlanCounts:
    """The dry-run's numbers: per step and in total."""

    rows: list[dict]
    cells: int  # summed over steps
    distinct: int  # distinct keys over the whole plan
    stored: int  # distinct keys already stored
    to_compute: int  # distinct keys a run computes


def counts(planned: list[PlannedStep]) -> PlanCounts:
    owners: dict[str, int] = {}
    for p in planned:
        for key in set(p.keys):
            owners[key] = owners.get(key, 0) + 1
    seen: set[str] = set()
    stored_all: set[str] = set()
    rows = []
    for p in planned:
        keys = set(p.keys)
        new = keys - p.stored - seen
        rows.append({"step": p.label, "experiment": p.name, "cells": len(p.keys),
                     "shared": sum(owners[k] > 1 for k in keys), "stored": len(keys & p.stored),
                     "to_compute": len(new), "own_cells": p.own_cells})
        seen |= keys
        stored_all |= keys & p.stored
    return PlanCounts(rows, sum(len(p.keys) for p in planned), len(owners), len(stored_all),
                      len(set(owners) - stored_all))


def plan_table(planned: list[PlannedStep]) -> str:
    from tabulate import tabulate

    c = counts(planned)
    rows = [[r["step"], r["experiment"], *(("-",) * 4 if r["own_cells"] else
                                           (r["cells"], r["shared"], r["stored"], r["to_compute"]))]
            for r in c.rows]
    headers = ["step", "experiment", "cells", "shared with another step", "stored", "to compute"]
    lines = [tabulate(rows, headers, disable_numparse=True), "",
             f"{len(planned)} steps; {c.cells} cells summed over steps, {c.distinct} distinct; "
             f"{c.stored} stored, {c.to_compute} to compute"]
    own = [r["step"] for r in c.rows if r["own_cells"]]
    if own:
        lines.append(f"{', '.join(own)}: compute their own cells outside compare and the cell cache "
                     "(toy recomputes unless its folder is up to date; diagnostics resumes per seed from its "
                     "diagnostics_cells.csv)")
    return "\n".join(lines)


@dataclass
class ReproduceResult:
    planned: list[PlannedStep]
    seconds: dict[str, float]  # per step label
    computed: dict[str, int]  # cells computed per step label
    failures: list[str]
    problems: list[str]
    files: list[Path]
    up_to_date: list[str] = field(default_factory=list)  # step labels whose folders were not rewritten

    @property
    def ok(self) -> bool:
        return not self.failures


def run(planned: list[PlannedStep], root: str | Path = DEFAULT_ROOT, docs: str | Path | None = None,
        template: str | Path | None = None, progress: bool = True, pages: bool = True,
        plan_name: str = DEFAULT_PLAN) -> ReproduceResult:
    """Run every planned step (each resumes from its folder's store and the cache), then rebuild
    the report and the pages of plan ``plan_name``.  A step with every cell stored whose folder is
    still what this code wrote from them (``fairbench.build_stamp``) is not rewritten."""
    from tqdm import tqdm

    from fairbench import build_stamp, experiments

    total = counts(planned).to_compute
    bar = tqdm(total=total, unit="cell", file=sys.stderr, disable=not progress, smoothing=0,
               bar_format="{desc}: {n_fmt}/{total_fmt} cells to compute [{elapsed}<{remaining}, {rate_fmt}]")
    seconds, computed, failures, problems, up_to_date = {}, {}, [], [], []
    try:
        for i, p in enumerate(planned, 1):
            bar.set_description_str(f"reproduce {i}/{len(planned)} {p.label}")
            done = [0]

            def on_cells(n, done=done):
                done[0] += n
                bar.update(n)

            p.cfg.on_cells = on_cells
            start = time.perf_counter()
            built_from = build_stamp.identity(p.command, p.keys)
            # toy and diagnostics make their own cells from the code alone (synthetic data, resumed
            # from diagnostics_cells.csv, which the stamp's hashes cover)
            settled = p.own_cells or set(p.keys) <= p.stored
            stamped = build_stamp.current(p.output, built_from) if settled and not p.cfg.fresh else None
            try:
                if stamped is not None:  # every cell stored and the folder is what this code wrote from them
                    up_to_date.append(p.label)
                    step_problems, step_failures = stamped, []
                else:
                    build_stamp.remove(p.output)
                    result = experiments.run(p.name, p.cfg, **p.options)
                    step_problems, step_failures = result.problems, result.failures
                    if not step_failures:
                        build_stamp.write(p.output, built_from, step_problems)
            except FairbenchError as exc:
                failures.append(f"{p.label}: {exc}")
                continue
            finally:
                seconds[p.label] = time.perf_counter() - start
                computed[p.label] = done[0]
            failures += [f"{p.label}: {f}" for f in step_failures]
            problems += [f"{p.label}: {line}" for line in step_problems if f"{p.label}: {line}" not in problems]
    finally:
        bar.close()
    files = rebuild_pages(planned, root, docs, template, plan_name) if pages else []
    return ReproduceResult(planned, seconds, computed, failures, problems, files, up_to_date)


def docs_dir(root: str | Path, docs: str | Path | None) -> Path:
    """Where the pages go: ``docs/`` beside the default ``results/``, else ``<root>/docs``."""
    if docs is not None:
        return Path(docs)
    return Path("docs") if Path(root) == DEFAULT_ROOT else Path(root) / "docs"


def rebuild_pages(planned: list[PlannedStep], root: str | Path = DEFAULT_ROOT, docs: str | Path | None = None,
                  template: str | Path | None = None, plan_name: str = DEFAULT_PLAN) -> list[Path]:
    """The plan's page (and for the paper's plan the cross-run report and the leaderboard), as the
    committed ones are built."""
    from fairbench.reproduction_page import PAGES, build
    from fairbench.report import write_leaderboard, write_report

    chosen = plan_named(plan_name)
    page = PAGES[chosen.page]
    root, docs = Path(root), docs_dir(root, docs)
    files = []
    datasets = list(dict.fromkeys(p.dataset for p in planned))
    dirs = [str(root / d / name) for name in REPORT_STEPS for d in datasets if (root / d / name / "cells.csv").is_file()]
    if dirs and chosen.report:
        leaderboard = docs / "leaderboard.md"
        words = ["fairbench", "report", *dirs, "--output", str(root / "report"), "--leaderboard", str(leaderboard)]
        command = shlex.join(words)
        report = write_report(dirs, root / "report", command=command)
        files += report.files + [write_leaderboard(dirs, leaderboard, command=command, scores=report.frame)]
    template = Path(template) if template is not None else page.template
    if template.is_file():
        target = docs / page.page.name
        target.parent.mkdir(parents=True, exist_ok=True)
        text = build(template.read_text(), Path("."), results=root, missing_ok=True, page=page)
        if root != DEFAULT_ROOT:
            text = text.replace(page.generated, f"<!-- built by fairbench reproduce from {template} and {root}/ -->\n")
        target.write_text(text)
        files.append(target)
    return files
