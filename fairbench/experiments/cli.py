"""``fairbench experiment NAME ...`` and ``fairbench report ...``: argument parsing and printing."""
from __future__ import annotations

import argparse
import sys
import time

from fairbench.argtypes import number_list
from fairbench.cli_common import (
    add_run_options, check_jobs, dataset_options, intervention_names, report_files_and_failures, validation_option,
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
                     validation_fraction=getattr(args, "validation_fraction", None),
                     collective_model=args.collective_model)


def _experiment(args) -> int:
    from fairbench import experiments

    name = args.experiment
    kwargs = {key: getattr(args, key) for key in experiments.experiment(name).options
              if key != "validation" and getattr(args, key, None) is not None}
    if args.seeds < 1:
        raise UserInputError(f"--seeds must be at least 1, got {args.seeds}")
    cfg = _config(args)
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
        path = write_leaderboard(args.dirs, args.leaderboard, command=command)
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
