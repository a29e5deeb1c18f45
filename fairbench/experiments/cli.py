"""``fairbench experiment NAME ...`` and ``fairbench report ...``: argument parsing and printing."""
from __future__ import annotations

import sys
import time

from fairbench.argtypes import number_list
from fairbench.errors import UserInputError


_floats = number_list(float, "expected numbers separated by commas")


def _rows_or_all(text: str) -> int | None:
    return None if text in ("all", "full") else int(text)


_knowledge = number_list(_rows_or_all, "--knowledge takes whole numbers of majority rows or 'all'")


EXPERIMENT_HELP = {
    "alpha": "best achievable EqOd/SP vs collective size alpha (Figure 3/10)",
    "flips": "EqOd/SP vs number of flips M at one alpha (Figure 4/11)",
    "knowledge": "fronts with full vs limited majority knowledge N (Figure 5/14)",
    "firm": "rb-prob vs every available firm-side method (Figure 7/12)",
    "representations": "RB scores in raw features vs FARE's representation (Figure 8/13)",
    "toy": "2-D toy: a handful of flips vs logistic regression (Figure 1)",
    "diagnostics": "synthetic-4gmm: counterfactual-label error rho, success S and the Proposition 3 bound (section 5)",
}


def add_experiment_parser(sub) -> None:
    """Register ``experiment`` with one sub-command per named experiment."""
    from fairbench.cli import add_run_options, intervention_names
    from fairbench.experiments import DEFAULT_DATASET

    p = sub.add_parser("experiment", help="run a named experiment of the paper and write CSV, PNG and tables")
    experiments = p.add_subparsers(dest="experiment", metavar="NAME")
    for name, text in EXPERIMENT_HELP.items():
        q = experiments.add_parser(name, help=text, description=text)
        add_run_options(q)
        if name not in ("toy", "diagnostics"):
            q.add_argument("--budget-fractions", type=_floats, help="budgets as fractions of the candidate pool")
        if name in ("flips", "knowledge", "firm", "representations"):
            q.add_argument("--alpha", type=float, default=0.3, help="fraction of the minority in the collective")
        if name in ("alpha", "diagnostics"):
            q.add_argument("--alphas", type=_floats, help="collective sizes, e.g. 0.05,0.1,0.3,1")
        if name in ("alpha", "flips", "knowledge", "firm", "representations", "diagnostics"):
            q.add_argument("--interventions", type=intervention_names, help="comma-separated intervention names")
        if name in ("alpha", "flips", "knowledge", "firm", "representations"):
            from fairbench.cli import validation_option

            validation_option(q, None)
        if name == "knowledge":
            q.add_argument("--knowledge", type=_knowledge, help="majority rows the collective knows, e.g. all,1000,100,10")
        if name == "toy":
            q.add_argument("--flips", type=int, default=None, help="number of flips M (default 6, as the paper)")
            q.add_argument("--method", default=None, help="scoring method of the collective (default rb-prob)")
        q.set_defaults(handler=_experiment, experiment=name)
        if name in DEFAULT_DATASET:
            q.set_defaults(dataset=DEFAULT_DATASET[name])
    p.set_defaults(handler=_experiment_help, experiment_parser=p)


def _experiment_help(args) -> int:
    args.experiment_parser.print_help()
    return 0


def _config(args):
    from fairbench.cli import _jobs, dataset_options
    from fairbench.experiments._common import RunConfig

    options = dataset_options(args)
    if not options.get("drop_sensitive"):
        options.pop("drop_sensitive", None)
    return RunConfig(dataset=args.dataset, seeds=args.seeds, learner=args.learner, output=args.output,
                     jobs=_jobs(args.jobs), fresh=args.fresh, tune=args.tune, cell_timeout=args.cell_timeout,
                     dataset_options=options, quiet=args.quiet,
                     validation_fraction=getattr(args, "validation_fraction", None))


def _experiment(args) -> int:
    from fairbench import experiments

    name = args.experiment
    kwargs = {}
    for key in ("alpha", "alphas", "interventions", "knowledge", "flips", "method"):
        value = getattr(args, key, None)
        if value is not None:
            kwargs[key] = value
    if getattr(args, "budget_fractions", None) is not None:
        kwargs["fractions"] = args.budget_fractions
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
    from fairbench.cli import report_files_and_failures

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
