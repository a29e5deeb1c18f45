"""`fairbench ...`: the command line.  Errors print one line and exit non-zero, never a traceback.

Exit codes: 0 success, 1 internal error (a bug; ``FAIRBENCH_DEBUG=1`` shows the traceback), 2 bad
input, unavailable data or an unusable output folder, 3 the run finished but some cells or plugins
failed, 130 interrupted (finished cells are kept; re-run to resume).
"""
from __future__ import annotations

import argparse
import os
import sys

from fairbench.argtypes import name_list, number_list
from fairbench.dataset_options import CSV_FLAGS, parse_pair
from fairbench.errors import FairbenchError, UserInputError

EXIT_INTERNAL = 1
EXIT_INPUT = 2
EXIT_FAILED_CELLS = 3
EXIT_INTERRUPTED = 130
DEBUG_ENV = "FAIRBENCH_DEBUG"


_int_list = number_list(int, "budgets must be whole numbers separated by commas")


def validation_option(p: argparse.ArgumentParser, default) -> None:
    """--validation-fraction: the share of train that chooses operating points (docs/protocol.md)."""
    shown = "the experiment's default: 0.2 for firm and flips, 0 (paper protocol) otherwise" if default is None else f"{default:g}"
    p.add_argument("--validation-fraction", type=float, default=default,
                   help=f"share of each seed's training rows held out to choose operating points on, stratified by "
                        f"group and label; 0 = the paper's train/test protocol (default {shown})")


def registered_interventions() -> list[str]:
    from fairbench.plugins import get_registry

    return list(get_registry().interventions)


intervention_names = name_list("intervention", registered_interventions)


class Parser(argparse.ArgumentParser):
    """argparse with the CLI's error form: one ``fairbench: error:`` line, exit code 2."""

    def error(self, message: str):
        self.exit(EXIT_INPUT, f"fairbench: error: {message} (see {self.prog} --help)\n")


def add_run_options(p: argparse.ArgumentParser) -> None:
    """Options shared by compare and the experiment commands."""
    p.add_argument("--dataset", default="adult", help="dataset name (see `fairbench list`) or csv:PATH")
    p.add_argument("--seeds", type=int, default=3, help="number of seeds (paper: 10); seeds are 0..N-1")
    p.add_argument("--learner", default="hgb", help="firm's learner: hgb (default, as the paper) or logreg")
    p.add_argument("--output", help="output directory (default results/<dataset>/)")
    p.add_argument("--jobs", type=int, default=None, help="parallel worker processes (default: all cores, as the API)")
    p.add_argument("--executor", default="local", choices=["local", "dask"], help="run cells locally or on a Dask cluster")
    p.add_argument("--scheduler", help="Dask scheduler address for --executor dask, e.g. tcp://host:8786")
    p.add_argument("--fresh", action="store_true", help="recompute cells already in the store")
    p.add_argument("--no-tune", dest="tune", action="store_false", help="use k=10 instead of tuning k on validation")
    p.add_argument("--cell-timeout", type=float, help="seconds before a cell is stopped and recorded as timeout")
    p.add_argument("--drop-sensitive", action="store_true", help="remove the sensitive attribute from the firm's features")
    p.add_argument("--data-dir", help="directory holding user-supplied data files (or set FAIRBENCH_DATA_DIR)")
    p.add_argument("--label", help="csv:PATH only: label column")
    p.add_argument("--sensitive", help="csv:PATH only: sensitive attribute column")
    p.add_argument("--protected-value", help="csv:PATH only: value of --sensitive marking the protected group")
    p.add_argument("--favorable-value", help="csv:PATH only: value of --label that is favourable")
    p.add_argument("--dataset-option", type=parse_pair, action="append", default=[], metavar="KEY=VALUE",
                   help="an option of the dataset's loader, e.g. year=all for acs-employment (repeatable; "
                        "`fairbench list --dataset NAME` shows them)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def dataset_options(args) -> dict:
    """The loader's options: the dedicated flags, then every ``--dataset-option KEY=VALUE``.

    A key given both ways, or twice, is refused rather than letting one silently win; the keys
    themselves are checked against the loader by ``compare``.
    """
    options = {"drop_sensitive": args.drop_sensitive}
    flagged = {"drop_sensitive"} if args.drop_sensitive else set()
    for name in ("data_dir", *CSV_FLAGS):
        value = getattr(args, name, None)
        if value is not None:
            options[name] = value
            flagged.add(name)
    if not args.dataset.startswith("csv:"):
        stray = [n for n in CSV_FLAGS if n in options]
        if stray:
            raise UserInputError(f"--{stray[0].replace('_', '-')} applies only to --dataset csv:PATH; for another "
                                 f"dataset's own {stray[0]!r} option use --dataset-option {stray[0]}=VALUE")
    given = set()
    for key, value in getattr(args, "dataset_option", None) or []:
        if key in flagged or key in given:
            how = f"--{key.replace('_', '-')} and --dataset-option" if key in flagged else "--dataset-option twice"
            raise UserInputError(f"dataset option {key!r} is given by {how}; give it once")
        if key == "path" and args.dataset.startswith("csv:"):
            raise UserInputError("the CSV file is given as --dataset csv:PATH, not --dataset-option path=")
        options[key] = value
        given.add(key)
    return options


def build_parser() -> argparse.ArgumentParser:
    from fairbench import __version__

    parser = Parser(prog="fairbench", description="Minority collective action vs firm-side fairness methods.")
    parser.add_argument("--version", action="version", version=f"fairbench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("compare", help="evaluate interventions on a dataset and write fronts, plots and tables")
    add_run_options(p)
    p.add_argument("--interventions", type=intervention_names, help="comma-separated names (default: all available)")
    p.add_argument("--alpha", type=float, default=0.3, help="fraction of the minority in the collective, in (0, 1]")
    p.add_argument("--budgets", type=_int_list, help="numbers of flips M, e.g. 0,50,100 (default: fractions of the candidate pool)")
    p.add_argument("--majority-knowledge", type=int, help="the collective knows only N random majority rows")
    from fairbench.runner import DEFAULT_VALIDATION_FRACTION

    validation_option(p, DEFAULT_VALIDATION_FRACTION)
    p.set_defaults(handler=_compare)

    p = sub.add_parser("list", help="list interventions and datasets")
    p.add_argument("--plugins", action="store_true", help="list installed plugins instead")
    p.add_argument("--dataset", metavar="NAME", help="one dataset in detail: source, description and loader options")
    p.set_defaults(handler=_list)

    p = sub.add_parser("plugins", help="installed plugins, their versions and what they provide")
    p.set_defaults(handler=_plugins)

    from fairbench.experiments.cli import add_experiment_parser, add_report_parser

    add_experiment_parser(sub)
    add_report_parser(sub)
    return parser


def _jobs(value: int | None) -> int:
    from fairbench.runner import resolve_jobs

    if value is not None and value < 0:
        raise UserInputError(f"--jobs must be >= 1 (or 0 for all cores), got {value}")
    return resolve_jobs(value)


def _compare(args) -> int:
    from fairbench.plugins import get_registry
    from fairbench.runner import compare

    _print_problems(get_registry())  # broken plugins are named before the run; the summary repeats them
    result = compare(
        dataset=args.dataset, interventions=args.interventions, seeds=args.seeds, alpha=args.alpha,
        budgets=args.budgets, majority_knowledge=args.majority_knowledge, learner=args.learner,
        output=args.output, jobs=_jobs(args.jobs), fresh=args.fresh, tune=args.tune,
        executor=args.executor, scheduler=args.scheduler,
        cell_timeout=args.cell_timeout, dataset_options=dataset_options(args), quiet=args.quiet,
        validation_fraction=args.validation_fraction,
    )
    return summarize(result)


def summarize(result) -> int:
    """The per-knob table, then where everything went and how to go on; the exit code says whether anything failed."""
    print(result.table())
    print_ranked_summary(result)
    print(f"\n{result.computed} cells computed, {result.reused} reused from {result.output}/cells.sqlite")
    from fairbench.next_steps import outputs_lines

    for line in outputs_lines(result):
        print(line)
    return report_problems(result)


def print_ranked_summary(result) -> None:
    """A few lines after the per-knob table: interventions ranked by hypervolume (report.ranked_summary)."""
    from fairbench.report import ranked_summary

    text = ranked_summary(result.cells, result.files)
    if text:
        print("\n" + text)


def report_files_and_failures(result) -> int:
    """Print written files, problems and failures; the exit code says whether anything failed."""
    for path in result.files:
        print(f"wrote {path}")
    return report_problems(result)


def report_problems(result) -> int:
    """Problems and failures to stderr; exit code 3 when anything failed."""
    for line in result.problems:
        print(f"problem: {line}", file=sys.stderr)
    for line in result.failures:
        print(f"failed: {line}", file=sys.stderr)
    return 0 if result.ok else EXIT_FAILED_CELLS


def _list(args) -> int:
    if args.plugins:
        return _plugins(args)
    from fairbench import listing
    from fairbench.plugins import get_registry

    registry = get_registry()
    width = listing.terminal_width()
    if args.dataset:
        lines = listing.dataset_detail(registry, args.dataset, width)
    else:
        lines = [*listing.intervention_lines(registry, width), "", *listing.dataset_lines(registry, width)]
    print("\n".join(lines))
    _print_problems(registry)
    return 0


def _plugins(args) -> int:
    from tabulate import tabulate

    from fairbench.plugins import get_registry

    registry = get_registry()
    rows = [[p.name, p.source, p.version, ", ".join(p.interventions) or "-", ", ".join(p.datasets) or "-"]
            for p in registry.plugins.values()]
    print(tabulate(rows, headers=["plugin", "package", "version", "interventions", "datasets"]))
    _print_problems(registry)
    from fairbench.name_clash import clash_line

    clash = clash_line()
    if clash:
        print(f"problem: {clash}", file=sys.stderr)
    return 0


def _print_problems(registry) -> None:
    for line in registry.problems:
        print(f"problem: {line}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 0
    try:
        return args.handler(args)
    except FairbenchError as exc:
        print(f"fairbench: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("fairbench: interrupted; finished cells are saved, run the same command again to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as exc:  # a file or folder the system refused: name it, no traceback
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"fairbench: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_INPUT
    except Exception as exc:  # a bug in fairbench or a plugin: one line; the traceback on request
        if os.environ.get(DEBUG_ENV):
            raise
        first = (str(exc).strip().splitlines() or [""])[0]
        print(f"fairbench: internal error: {type(exc).__name__}: {first} (a bug: re-run with {DEBUG_ENV}=1 for the "
              "traceback and report it; finished cells are saved)", file=sys.stderr)
        return EXIT_INTERNAL


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    entry()
