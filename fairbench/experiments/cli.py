"""``fairbench experiment NAME ...`` and ``fairbench report ...``: argument parsing and printing."""
from __future__ import annotations

import argparse
import sys
import time

from fairbench.argtypes import names, number_list
from fairbench.cli_common import (
    add_run_options, cache_argument, check_jobs, dataset_options, intervention_names, report_files_and_failures, validation_option,
)
from fairbench.errors import UserInputError


_floats = number_list(float, "expected numbers separated by commas")


def _rows_or_all(text: str) -> int | None:
    return None if text in ("all", "full") else int(text)


_knowledge = number_list(_rows_or_all, "--knowledge takes whole numbers of majority rows or 'all'")


def _add_options(q: argparse.ArgumentParser, options: tuple[str, ...]) -> None:
    """The experiment's own options (``Experiment.options``), by keyword."""
    add = {
        "fractions": lambda: q.add_argument("--budget-fractions", dest="fractions", type=_floats,
                                            help="budgets as fractions of the candidate pool"),
        "alpha": lambda: q.add_argument("--alpha", type=float, default=0.3,
                                        help="fraction of the minority in the collective"),
        "alphas": lambda: q.add_argument("--alphas", type=_floats, help="collective sizes, e.g. 0.05,0.1,0.3,1"),
        "interventions": lambda: q.add_argument("--interventions", type=intervention_names, help="comma-separated intervention names"),
        "validation": lambda: validation_option(q, None),
        "knowledge": lambda: q.add_argument("--knowledge", type=_knowledge,
                                            help="majority rows the collective knows, e.g. all,1000,100,10"),
        "flips": lambda: q.add_argument("--flips", type=int, default=None, help="number of flips M (default 6, as the paper)"),
        "learners": lambda: q.add_argument("--learners", type=names,
                                           help="comma list of firm learners (default hgb,logreg,random-forest,mlp,lightgbm)"),
        "method": lambda: q.add_argument("--method", default=None, help="scoring method of the collective (default rb-prob)"),
    }
    for option in options:
        add[option]()


def add_experiment_parser(sub) -> None:
    """Register ``experiment`` with one sub-command per named experiment (``experiments.EXPERIMENTS``)."""
    from fairbench.experiments import EXPERIMENTS

    p = sub.add_parser("experiment", help="run a named experiment of the paper and write CSV, PNG and tables")
    experiments = p.add_subparsers(dest="experiment", metavar="NAME")
    for exp in EXPERIMENTS:
        q = experiments.add_parser(exp.name, help=exp.help, description=exp.description or exp.help)
        add_run_options(q)
        _add_options(q, exp.options)
        q.set_defaults(handler=_experiment, experiment=exp.name)
        if exp.default_dataset:
            q.set_defaults(dataset=exp.default_dataset)
    p.set_defaults(handler=_experiment_help, experiment_parser=p)


def _experiment_help(args) -> int:
    args.experiment_parser.print_help()
    return 0


def _config(args):
    from fairbench.experiments._common import RunConfig

    options = dataset_options(args)
    if not options.get("drop_sensitive"):
        options.pop("drop_sensitive", None)
    return RunConfig(dataset=args.dataset, seeds=args.seeds, learner=args.learner, output=args.output,
                     jobs=check_jobs(args.jobs), fresh=args.fresh, tune=args.tune, cell_timeout=args.cell_timeout,
                     dataset_options=options, quiet=args.quiet,
                     validation_fraction=getattr(args, "validation_fraction", None), cache=cache_argument(args),
                     collective_model=args.collective_model)


def experiment_arguments(args) -> tuple[str, object, dict]:
    """``(name, RunConfig, the experiment's own options)`` of a parsed ``experiment`` command line."""
    from fairbench import experiments

    name = args.experiment
    kwargs = {key: getattr(args, key) for key in experiments.experiment(name).options
              if key != "validation" and getattr(args, key, None) is not None}
    if args.seeds < 1:
        raise UserInputError(f"--seeds must be at least 1, got {args.seeds}")
    return name, _config(args), kwargs


def _experiment(args) -> int:
    from fairbench import experiments

    name, cfg, kwargs = experiment_arguments(args)
    start = time.perf_counter()
    result = experiments.run(name, cfg, **kwargs)
    print(result.table)
    for line in result.checks:
        print(line)
    print(f"\n{name} finished in {time.perf_counter() - start:.0f} s; outputs in {result.output}/")
    print(f"reproduce: {result.command}")
    return report_files_and_failures(result)


def add_report_parser(sub) -> None:
    """Register ``report``: the Figure 12 comparison and the leaderboard page."""
    p = sub.add_parser("report", help="compare methods across result folders (Figure 12) and write the leaderboard")
    p.add_argument("dirs", nargs="+", metavar="RESULTS_DIR",
                   help="folders holding cells.csv/fronts.csv of compare or experiment runs (one or more per dataset)")
    p.add_argument("--output", help="folder for the comparison table and bar charts (default results/report/)")
    p.add_argument("--leaderboard", metavar="FILE", help="also write the leaderboard page, e.g. docs/leaderboard.md")
    p.set_defaults(handler=_report)


def _report(args) -> int:
    from fairbench.report import write_leaderboard, write_report

    output = args.output or "results/report"
    command = _report_command(args)
    result = write_report(args.dirs, output, command=command)
    print(result.table)
    for path in result.files:
        print(f"wrote {path}")
    if args.leaderboard:
        path = write_leaderboard(args.dirs, args.leaderboard, command=command, scores=result.frame)
        print(f"wrote {path}")
    for line in result.problems:
        print(f"problem: {line}", file=sys.stderr)
    return 0


def _report_command(args) -> str:
    import shlex

    words = ["fairbench", "report", *args.dirs]
    if args.output:
        words += ["--output", args.output]
    if args.leaderboard:
        words += ["--leaderboard", args.leaderboard]
    return shlex.join(words)


def add_reproduce_parser(sub) -> None:
    """Register ``reproduce``: every experiment of the reproduction, then the pages (fairbench.reproduction)."""
    from fairbench.argtypes import names
    from fairbench.cli_common import add_cache_options
    from fairbench.reproduction import DEFAULT_PLAN, DEFAULT_ROOT, DEFAULT_SEEDS, PLANS

    p = sub.add_parser("reproduce", help="run the whole reproduction (every experiment, shared cells computed once) "
                                         "and rebuild results/, docs/reproduction.md and docs/leaderboard.md")
    p.add_argument("--seeds", type=int, default=DEFAULT_SEEDS, help=f"seeds per experiment (default {DEFAULT_SEEDS}, as the paper)")
    p.add_argument("--datasets", type=names, help="comma list of datasets (default: every dataset of the plan)")
    p.add_argument("--only", type=names, help="comma list of steps (results folder names, e.g. flips,firm)")
    p.add_argument("--output", default=str(DEFAULT_ROOT), help="results root (default results/)")
    p.add_argument("--docs", help="where the pages go (default docs/ for the default root, else OUTPUT/docs)")
    p.add_argument("--jobs", type=int, default=None, help="parallel worker processes (default: all cores)")
    p.add_argument("--fresh", action="store_true", help="recompute every cell of the plan")
    p.add_argument("--plan", default=DEFAULT_PLAN, choices=sorted(PLANS),
                   help=f"which plan (default {DEFAULT_PLAN}: the paper's reproduction and its pages; beyond: "
                        "levelling, interaction and transfer, and docs/beyond-the-paper.md)")
    p.add_argument("--dry-run", action="store_true", help="print the plan and its cell counts; compute nothing")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_cache_options(p)
    p.set_defaults(handler=_reproduce)


def _reproduce(args) -> int:
    from fairbench import reproduction
    from fairbench.cli_common import EXIT_FAILED_CELLS

    planned = reproduction.plan(seeds=args.seeds, datasets=args.datasets, only=args.only, root=args.output,
                                cache=cache_argument(args), jobs=None if args.jobs is None else check_jobs(args.jobs),
                                fresh=args.fresh, steps=reproduction.plan_named(args.plan).steps)
    print(reproduction.plan_table(planned))
    if args.dry_run:
        return 0
    start = time.perf_counter()
    result = reproduction.run(planned, root=args.output, docs=args.docs, progress=not args.quiet, plan_name=args.plan)
    print()
    for p in planned:
        kept = ", folder up to date (not rewritten)" if p.label in result.up_to_date else ""
        print(f"{p.label}: {result.computed.get(p.label, 0)} cells computed in {result.seconds.get(p.label, 0):.0f} s{kept}")
    for path in result.files:
        print(f"wrote {path}")
    print(f"reproduce finished in {time.perf_counter() - start:.0f} s")
    for line in result.problems:
        print(f"problem: {line}", file=sys.stderr)
    for line in result.failures:
        print(f"failed: {line}", file=sys.stderr)
    return 0 if result.ok else EXIT_FAILED_CELLS
