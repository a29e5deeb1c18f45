"""What ``fairbench``'s commands share: the run options, dataset options, exit codes and the
closing lines of a run.  A leaf module: ``fairbench.cli`` and ``fairbench.experiments.cli`` both
import it, and it imports neither.
"""
from __future__ import annotations

import argparse
import sys

from fairbench.argtypes import name_list
from fairbench.dataset_options import CSV_FLAGS, parse_pair
from fairbench.errors import UserInputError

EXIT_INTERNAL = 1
EXIT_INPUT = 2
EXIT_FAILED_CELLS = 3
EXIT_INTERRUPTED = 130


def validation_option(p: argparse.ArgumentParser, default) -> None:
    """--validation-fraction: the share of train that chooses operating points (docs/protocol.md)."""
    shown = "the experiment's default: 0.2 for firm and flips, 0 (paper protocol) otherwise" if default is None else f"{default:g}"
    p.add_argument("--validation-fraction", type=float, default=default,
                   help=f"share of each seed's training rows held out to choose operating points on, stratified by "
                        f"group and label; 0 = the paper's train/test protocol (default {shown})")


def registered_interventions() -> list[str]:
    from fairbench.plugins import get_registry

    return list(get_registry().interventions)


#: --interventions: a comma list of registered names (an empty one is an error listing them)
intervention_names = name_list("intervention", registered_interventions)


def add_run_options(p: argparse.ArgumentParser) -> None:
    """Options shared by compare and the experiment commands."""
    p.add_argument("--dataset", default="adult", help="dataset name (see `fairbench list`) or csv:PATH")
    p.add_argument("--seeds", type=int, default=3, help="number of seeds (paper: 10); seeds are 0..N-1")
    p.add_argument("--learner", default="hgb", help="firm's learner, a registered name (`fairbench list` shows them): "
                                                    "hgb (default, as the paper), logreg, random-forest, mlp, lightgbm, "
                                                    "xgboost or a plugin's")
    p.add_argument("--output", help="output directory (default results/<dataset>/)")
    p.add_argument("--jobs", type=int, default=None, help="parallel worker processes (default: all cores, as the API)")
    p.add_argument("--executor", default="local", choices=["local", "dask"], help="run cells locally or on a Dask cluster")
    p.add_argument("--scheduler", help="Dask scheduler address for --executor dask, e.g. tcp://host:8786")
    p.add_argument("--fresh", action="store_true", help="recompute cells already in the store")
    p.add_argument("--no-tune", dest="tune", action="store_false", help="use k=10 instead of tuning k on validation")
    p.add_argument("--collective-model", metavar="NAME",
                   help="the model RB-prob (and rb-prob@fare) trains on the known majority rows to rank candidates, "
                        "a learner name as for --learner (default hgb, the paper's); RB-label and RB-dist use "
                        "neighbours and train none, so a run with no strategy that trains one refuses it; a "
                        "non-default model gets cells of its own, and cells.csv a collective_model column")
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
    add_cache_options(p)


def add_cache_options(p: argparse.ArgumentParser) -> None:
    """--cache / --no-cache: the shared cell cache (fairbench.cache)."""
    p.add_argument("--cache", metavar="DIR", help="shared cell cache that every run reads before it fits "
                   "(default: $FAIRBENCH_CACHE or the user cache folder, e.g. ~/.cache/fairbench)")
    p.add_argument("--no-cache", dest="use_cache", action="store_false",
                   help="neither read nor fill the shared cell cache (the output folder's own store still resumes)")


def cache_argument(args):
    """What ``compare(cache=...)`` gets from --cache / --no-cache."""
    if not getattr(args, "use_cache", True):
        if getattr(args, "cache", None):
            raise UserInputError("--cache and --no-cache contradict each other; give one")
        return False
    return getattr(args, "cache", None)


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


def check_jobs(value: int | None) -> int:
    """--jobs: None or 0 means every core (as the API's ``jobs=None``)."""
    from fairbench.runner import resolve_jobs

    if value is not None and value < 0:
        raise UserInputError(f"--jobs must be >= 1 (or 0 for all cores), got {value}")
    return resolve_jobs(value)


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
