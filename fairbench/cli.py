"""`fairbench ...`: the command line.  Errors print one line and exit non-zero, never a traceback.

Exit codes: 0 success, 1 internal error (a bug; ``FAIRBENCH_DEBUG=1`` shows the traceback), 2 bad
input, unavailable data or an unusable output folder, 3 the run finished but some cells or plugins
failed, 130 interrupted (finished cells are kept; re-run to resume).
"""
from __future__ import annotations

import argparse
import os
import sys

from fairbench.argtypes import grid_pair, names, number_list
from fairbench.cli_common import (  # noqa: F401  (shared with fairbench.experiments.cli, kept importable here)
    cache_argument, EXIT_FAILED_CELLS, EXIT_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED, add_run_options, check_jobs, dataset_options,
    intervention_names, report_files_and_failures, report_problems, validation_option,
)
from fairbench.errors import FairbenchError, UserInputError

DEBUG_ENV = "FAIRBENCH_DEBUG"


_int_list = number_list(int, "budgets must be whole numbers separated by commas")


class Parser(argparse.ArgumentParser):
    """argparse with the CLI's error form: one ``fairbench: error:`` line, exit code 2."""

    def error(self, message: str):
        self.exit(EXIT_INPUT, f"fairbench: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    from fairbench import __version__

    parser = Parser(prog="fairbench", description="Minority collective action vs firm-side fairness methods.")
    parser.add_argument("--version", action="version", version=f"fairbench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("compare", help="evaluate interventions on a dataset and write fronts, plots and tables")
    add_run_options(p)
    p.add_argument("--interventions", type=intervention_names,
                   help="comma-separated names (default: all available); a+b runs a pipeline: the user-side strategy "
                        "a flips, then the firm method b (e.g. rb-prob+threshold-optimizer)")
    p.add_argument("--alpha", type=float, default=0.3, help="fraction of the minority in the collective, in (0, 1]")
    p.add_argument("--budgets", type=_int_list, help="numbers of flips M, e.g. 0,50,100 (default: fractions of the candidate pool)")
    p.add_argument("--grid", type=grid_pair, action="append", default=[], metavar="NAME=v1,v2",
                   help="run only these values of firm method NAME's grid (repeatable; default: its whole grid, "
                        "and a pipeline's cells are the budgets times it)")
    p.add_argument("--majority-knowledge", type=int, help="the collective knows only N random majority rows")
    from fairbench.runner import DEFAULT_VALIDATION_FRACTION

    validation_option(p, DEFAULT_VALIDATION_FRACTION)
    p.add_argument("--fairness-metric", type=names, default=["eqod", "sp"], metavar="NAMES",
                   help="registered fairness metrics for the table (front flag of the first) and the figures, "
                        "comma-separated, e.g. eopp (default eqod,sp; fronts.csv always holds every metric)")
    p.set_defaults(handler=_compare)

    p = sub.add_parser("list", help="list interventions, datasets, learners and metrics")
    p.add_argument("--plugins", action="store_true", help="list installed plugins instead")
    p.add_argument("--dataset", metavar="NAME", help="one dataset in detail: source, description and loader options")
    p.set_defaults(handler=_list)

    p = sub.add_parser("plugins", help="installed plugins, their versions and what they provide")
    p.set_defaults(handler=_plugins)

    from fairbench.experiments.cli import add_experiment_parser, add_report_parser, add_reproduce_parser

    add_experiment_parser(sub)
    add_report_parser(sub)
    add_reproduce_parser(sub)
    return parser


def _compare(args) -> int:
    from fairbench.plugins import get_registry
    from fairbench.runner import compare

    _print_problems(get_registry())  # broken plugins are named before the run; the summary repeats them
    result = compare(
        dataset=args.dataset, interventions=args.interventions, seeds=args.seeds, alpha=args.alpha,
        budgets=args.budgets, majority_knowledge=args.majority_knowledge, learner=args.learner,
        output=args.output, jobs=check_jobs(args.jobs), fresh=args.fresh, tune=args.tune,
        executor=args.executor, scheduler=args.scheduler,
        cell_timeout=args.cell_timeout, dataset_options=dataset_options(args), quiet=args.quiet,
        validation_fraction=args.validation_fraction, fairness_metrics=args.fairness_metric,
        cache=cache_argument(args), collective_model=args.collective_model, grid=grid_option(args.grid),
    )
    return summarize(result)


def grid_option(pairs: list[tuple[str, list[float]]]) -> dict[str, list[float]]:
    """``--grid`` pairs as a mapping; a method named twice is refused rather than letting one win."""
    grids: dict[str, list[float]] = {}
    for name, values in pairs:
        if name in grids:
            raise UserInputError(f"--grid {name} is given twice; give its values once, comma-separated")
        grids[name] = values
    return grids


def summarize(result) -> int:
    """The per-knob table, then where everything went and how to go on; the exit code says whether anything failed."""
    print(result.table())
    print_ranked_summary(result)
    cached = f" ({result.from_cache} of them from the shared cell cache)" if result.from_cache else ""
    print(f"\n{result.computed} cells computed, {result.reused} reused from {result.output}/cells.sqlite{cached}")
    from fairbench.next_steps import outputs_lines

    for line in outputs_lines(result):
        print(line)
    return report_problems(result)


def print_ranked_summary(result) -> None:
    """A few lines after the per-knob table: interventions ranked by hypervolume (export.ranked_summary)."""
    from fairbench.export import ranked_summary

    text = ranked_summary(result.cells, result.files)
    if text:
        print("\n" + text)


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
        lines = [*listing.intervention_lines(registry, width), "", *listing.dataset_lines(registry, width), "",
                 *listing.learner_lines(registry, width), "", *listing.metric_lines(registry, width)]
    print("\n".join(lines))
    _print_problems(registry)
    return 0


def _plugins(args) -> int:
    from tabulate import tabulate

    from fairbench.plugins import get_registry

    registry = get_registry()
    rows = [[p.name, p.source, p.version, ", ".join(p.interventions) or "-", ", ".join(p.datasets) or "-",
             ", ".join(p.learners) or "-"] for p in registry.plugins.values()]
    print(tabulate(rows, headers=["plugin", "package", "version", "interventions", "datasets", "learners"]))
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
