"""The paper's experiments as named, reproducible commands (``fairbench experiment NAME``).

Every experiment is one :class:`Experiment` in ``EXPERIMENTS``: its name, the paper's figure, what
it does, the function that runs it, the options it takes beyond the shared run options
(``fairbench.cli_common.add_run_options``) and its default dataset.  The CLI, ``run`` and this
package's documentation are derived from that list.

Every experiment writes COMMAND.txt (the exact command line that reproduces it), a summary CSV,
a terminal table (.txt), a markdown table (.md, with the command) and PNG figures, in
results/<dataset>/<name>/.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from fairbench.errors import unknown_name
from fairbench.experiments._common import ExperimentResult, RunConfig


def _lazy(path: str) -> Callable[..., ExperimentResult]:
    """``module:function`` of this package, imported at the first call (the experiments import
    matplotlib and the methods)."""
    module, function = path.split(":")

    def run(cfg: RunConfig, **options):
        from fairbench.experiments import diagnostics, levelling, sweeps, toy

        modules = {"sweeps": sweeps, "toy": toy, "diagnostics": diagnostics, "levelling": levelling}
        return getattr(modules[module], function)(cfg, **options)

    run.__name__ = run.__qualname__ = function
    return run


@dataclass(frozen=True)
class Experiment:
    """One named experiment: ``run(cfg, **options)`` takes the keyword ``options`` it lists
    (``alpha``, ``alphas``, ``fractions``, ``interventions``, ``knowledge``, ``flips``, ``method``,
    ``validation``: the run's ``--validation-fraction``)."""

    name: str
    help: str
    run: Callable[..., ExperimentResult]
    options: tuple[str, ...]
    default_dataset: str | None = None
    paper: str = ""
    #: ``calls(cfg, **options)``: the comparisons ``run`` makes, without running them (None: the
    #: experiment computes its own cells outside ``compare`` and the shared cache)
    calls: Callable[..., list] | None = None
    description: str = ""  # ``fairbench experiment NAME --help``'s text (default: ``help``)


SWEEP = ("fractions", "interventions", "validation")
EXPERIMENTS = (
    Experiment("alpha", "best achievable EqOd/SP vs collective size alpha (Figure 3/10)",
               _lazy("sweeps:run_alpha"), ("alphas", *SWEEP), paper="Figure 3 / 10",
               calls=_lazy("sweeps:alpha_calls")),
    Experiment("flips", "EqOd/SP vs number of flips M at one alpha (Figure 4/11)",
               _lazy("sweeps:run_flips"), ("alpha", *SWEEP), paper="Figure 4 / 11",
               calls=_lazy("sweeps:flips_calls")),
    Experiment("knowledge", "fronts with full vs limited majority knowledge N (Figure 5/14)",
               _lazy("sweeps:run_knowledge"), ("alpha", "knowledge", *SWEEP), paper="Figure 5 / 14",
               calls=_lazy("sweeps:knowledge_calls")),
    Experiment("firm", "rb-prob vs every available firm-side method (Figure 7/12)",
               _lazy("sweeps:run_firm"), ("alpha", *SWEEP), paper="Figure 7 / 12",
               calls=_lazy("sweeps:firm_calls")),
    Experiment("representations", "RB scores in raw features vs FARE's representation (Figure 8/13)",
               _lazy("sweeps:run_representations"), ("alpha", *SWEEP), paper="Figure 8 / 13",
               calls=_lazy("sweeps:representations_calls")),
    Experiment("levelling", "per-group TPR/FPR/selection-rate changes vs the baseline along each strategy's flip "
               "curve: levelled up (the minority's rates rose) or down (the majority's fell)?",
               _lazy("levelling:run_levelling"), ("alpha", *SWEEP), calls=_lazy("levelling:levelling_calls"),
               description="One comparison at --alpha over budgets M (fractions of the candidate pool). Per "
                           "strategy and M: each group's TPR, FPR and selection rate minus the same seed's "
                           "baseline's, with 95% paired bootstrap intervals over seeds, and per rate a verdict: "
                           "levelled up (the minority a=1's change above 0), levelled down (the majority a=0's "
                           "below 0), both, the other way, or no clear change; at least 3 seeds for a verdict "
                           "(docs/protocol.md, 'Levelling up or down'). Writes levelling.csv, .txt, .md, "
                           "levelling.png, cells.csv and COMMAND.txt into results/<dataset>/levelling/. "
                           "--interventions may add firm-side methods (their points are knob values); "
                           "--collective-model changes RB-prob's own model."),
    Experiment("toy", "2-D toy: a handful of flips vs logistic regression (Figure 1)",
               _lazy("toy:run_toy"), ("flips", "method"), default_dataset="toy-2d", paper="Figure 1"),
    Experiment("diagnostics",
               "synthetic-4gmm: counterfactual-label error rho, success S and the Proposition 3 bound (section 5)",
               _lazy("diagnostics:run_diagnostics"), ("alphas", "interventions"), default_dataset="synthetic-4gmm",
               paper="section 5, Prop. 3 (Eq. 10, 11), Eq. 3"),
)
BY_NAME = {e.name: e for e in EXPERIMENTS}


def experiment(name: str) -> Experiment:
    if name not in BY_NAME:
        raise unknown_name("experiment", name, BY_NAME)
    return BY_NAME[name]


def calls(name: str, cfg: RunConfig, **options) -> list:
    """The comparisons experiment ``name`` would run with ``cfg`` (``CompareCall``s; [] when it
    computes its cells on its own)."""
    exp = experiment(name)
    return exp.calls(cfg, **options) if exp.calls else []


def run(name: str, cfg: RunConfig, **options) -> ExperimentResult:
    """Run (or resume) experiment ``name`` with ``cfg``; keyword options are the experiment's own."""
    return experiment(name).run(cfg, **options)


__all__ = ["EXPERIMENTS", "Experiment", "ExperimentResult", "RunConfig", "calls", "experiment", "run"]
