"""What every experiment shares: its run settings, output folder, command line and written files."""
from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from fairbench.export import pm, protocol_text  # noqa: F401 (re-exported)
from fairbench.report import LOW_ERROR_MARGIN, best_points  # noqa: F401 (re-exported)

USER_SIDE = ("random", "rb-prob", "rb-label", "rb-dist")
RB_METHODS = ("rb-prob", "rb-label", "rb-dist")
COMMAND_FILE = "COMMAND.txt"
#: Validation share per experiment when --validation-fraction is not given (docs/protocol.md): the
#: experiments behind the leaderboard choose operating points on validation; the ones that only
#: redraw a paper figure keep the paper's train/test protocol.  Experiments not listed (toy,
#: diagnostics) do not run ``compare`` and have no validation split.
VALIDATION_DEFAULTS = {"firm": 0.2, "flips": 0.2, "alpha": 0.0, "knowledge": 0.0, "representations": 0.0,
                       "levelling": 0.2, "interaction": 0.2, "transfer": 0.2}


@dataclass
class RunConfig:
    """The settings an experiment passes to every ``compare`` it runs (CLI: ``add_run_options``)."""

    dataset: str = "adult"
    seeds: int = 3
    learner: str = "hgb"
    output: Path | None = None
    jobs: int | None = None  # None: every core, as compare
    fresh: bool = False
    tune: bool = True
    cell_timeout: float | None = None
    dataset_options: dict = field(default_factory=dict)
    quiet: bool = False
    registry: object | None = None  # tests pass a registry with extra plugins
    validation_fraction: float | None = None  # None: the experiment's default (VALIDATION_DEFAULTS)
    cache: object = None  # the shared cell cache: a folder, None for the default, False for none (fairbench.cache)
    on_cells: object = None  # called with n as each task's n cells are written (fairbench reproduce's progress)
    collective_model: str | None = None  # None: the paper's HGB (fairbench.collective_model)

    def validation(self, experiment: str) -> float:
        """The validation share this experiment runs with."""
        if self.validation_fraction is not None:
            return float(self.validation_fraction)
        return VALIDATION_DEFAULTS.get(experiment, 0.0)

    def out_dir(self, experiment: str) -> Path:
        """``--output`` or results/<dataset>/<experiment>/."""
        if self.output is not None:
            return Path(self.output)
        from fairbench.runner import default_output

        return default_output(self.dataset) / experiment

    def run_call(self, call: "CompareCall"):
        """Run or resume one comparison; writes cells.csv and fronts.csv only."""
        from fairbench.runner import compare

        result = compare(**self.compare_arguments(call), jobs=self.jobs, fresh=self.fresh, quiet=self.quiet,
                         write=False, cache=self.cache, on_cells=self.on_cells)
        output = Path(call.output)
        output.mkdir(parents=True, exist_ok=True)
        result.cells.to_csv(output / "cells.csv", index=False)
        result.fronts.to_csv(output / "fronts.csv", index=False)
        return result

    def compare_arguments(self, call: "CompareCall") -> dict:
        """What ``compare`` and ``plan_compare`` get for ``call``: this run's settings, and the call's own
        (which win: a call may name its own ``learner`` or ``collective_model``, as transfer's do)."""
        return {**dict(dataset=self.dataset, seeds=self.seeds, learner=self.learner, output=call.output, tune=self.tune,
                       cell_timeout=self.cell_timeout, dataset_options=dict(self.dataset_options),
                       registry=self.registry, validation_fraction=self.validation(call.experiment),
                       collective_model=self.collective_model), **call.kwargs}

    def strategy_params(self, chosen, registry) -> dict:
        """Per-intervention parameters for experiments that build strategies themselves (toy,
        diagnostics): the run's ``collective_model`` for those of ``chosen`` that train one."""
        from fairbench.collective_model import with_collective_model

        return with_collective_model({}, chosen, self.collective_model, registry.interventions.values())

    def command(self, experiment: str, extra: list[tuple[str, object]]) -> str:
        """The exact ``fairbench experiment ...`` line that reproduces this run."""
        from fairbench.dataset_options import CSV_FLAGS

        words = ["fairbench", "experiment", experiment, "--dataset", self.dataset, "--seeds", str(self.seeds),
                 "--learner", self.learner]
        if not self.tune:
            words.append("--no-tune")
        options = dict(self.dataset_options)
        if options.pop("drop_sensitive", False):
            words.append("--drop-sensitive")
        flagged = ("data_dir", *CSV_FLAGS) if self.dataset.startswith("csv:") else ("data_dir",)
        for name in flagged:  # another dataset's own `label` option stays a --dataset-option
            if name in options:
                words += ["--" + name.replace("_", "-"), str(options.pop(name))]
        for key, value in sorted(options.items()):
            words += ["--dataset-option", f"{key}={value}"]
        if self.cell_timeout:
            words += ["--cell-timeout", f"{self.cell_timeout:g}"]
        if self.collective_model is not None:
            words += ["--collective-model", self.collective_model]
        if experiment in VALIDATION_DEFAULTS:  # always named, so the folder says which protocol it used
            words += ["--validation-fraction", f"{self.validation(experiment):g}"]
        if self.output is not None:
            words += ["--output", str(self.output)]
        for flag, value in extra:
            if value is None or value is False:
                continue
            words.append(flag)
            if value is not True:
                words.append(_text(value))
        return shlex.join(words)


def _text(value) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(_text(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


@dataclass(frozen=True)
class CompareCall:
    """One comparison an experiment runs: its output folder and its own ``compare`` arguments
    (interventions, alpha, budget fractions, ...); ``experiment`` picks the validation default."""

    output: Path
    experiment: str
    kwargs: dict


def one_comparison(cfg: "RunConfig", experiment: str, interventions, alpha: float, fractions) -> list[CompareCall]:
    """The calls of an experiment that is one comparison into its own folder at one alpha."""
    return [CompareCall(cfg.out_dir(experiment), experiment,
                        dict(interventions=list(interventions), alpha=alpha, budget_fractions=tuple(fractions)))]


@dataclass
class ExperimentResult:
    """What an experiment wrote: its summary table, files and the command that reproduces it."""

    name: str
    dataset: str
    output: Path
    command: str
    summary: pd.DataFrame
    table: str
    markdown: str = ""
    checks: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    protocol: str = ""  # protocol_text(...) of the runs, written above the tables

    @property
    def ok(self) -> bool:
        return not self.failures


def collect_messages(results) -> tuple[list[str], list[str]]:
    """Problems and failures of several CompareResults, without repeats."""
    problems, failures = [], []
    for r in results:
        problems += [p for p in r.problems if p not in problems]
        failures += [f for f in r.failures if f not in failures]
    return problems, failures


def write_common(result: ExperimentResult, table_title: str) -> None:
    """COMMAND.txt, <name>.csv, <name>.txt (terminal table) and <name>.md (table + command)."""
    out = result.output
    out.mkdir(parents=True, exist_ok=True)
    (out / COMMAND_FILE).write_text(result.command + "\n")
    csv = out / f"{result.name}.csv"
    result.summary.to_csv(csv, index=False, float_format="%.6g")
    txt = out / f"{result.name}.txt"
    protocol = f"{result.protocol}\n\n" if result.protocol else ""
    txt.write_text(f"{table_title}\n\n{protocol}{result.table}\n\n" + "".join(f"{c}\n" for c in result.checks)
                   + f"\nreproduce: {result.command}\n")
    md = out / f"{result.name}.md"
    md.write_text(f"# {table_title}\n\nProduced by\n\n    {result.command}\n\n{protocol}{result.markdown}\n\n"
                  + "".join(f"* {c}\n" for c in result.checks))
    result.files[:0] = [out / COMMAND_FILE, csv, txt, md]


def baseline_row(front: pd.DataFrame) -> pd.Series | None:
    base = front[front["side"] == "baseline"]
    return None if base.empty else base.iloc[0]


def flips_to_reach(part: pd.DataFrame, target: float, metric: str = "eqod") -> float:
    """Smallest mean number of flips at which the seed-mean ``metric`` is <= ``target`` (NaN: never)."""
    part = part.sort_values("n_flips_mean")
    hit = part[part[f"{metric}_mean"] <= target]
    return float(hit["n_flips_mean"].iloc[0]) if not hit.empty else float("nan")
