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
        from fairbench.experiments import diagnostics, interaction, levelling, sweeps, toy, transfer

        modules = {"sweeps": sweeps, "toy": toy, "diagnostics": diagnostics, "levelling": levelling,
                   "interaction": interaction, "transfer": transfer}
        return getattr(modules[module], function)(cfg, **options)

    run.__name__ = run.__qualname__ = function
    return run


@dataclass(frozen=True)
class Experiment:
    """One named experiment: ``run(cfg, **options)`` takes the keyword ``options`` it lists
    (``alpha``, ``alphas``, ``fractions``, ``interventions``, ``knowledge``, ``flips``, ``method``,
    ``learners``, ``validation``: the run's ``--validation-fraction``)."""

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
    Experiment("interaction", "each user-side strategy composed with each firm-side method: does the collective "
               "lower EqOd beyond the firm method alone, and does label cleaning undo the flips?",
               _lazy("interaction:run_interaction"), ("alpha", *SWEEP), calls=_lazy("interaction:interaction_calls"),
               description="Pipelines strategy+method (strategies none, rb-prob, rb-label, random; firm methods none, "
                           "threshold-optimizer, reductions-eg, fare, calibrated-eo, label-cleaning) at each firm "
                           "method's default knob (the table in fairbench/experiments/interaction.py) over budgets M "
                           "(fractions of the candidate pool). Per point: EqOd and error minus the firm method alone's "
                           "(same seed; a method or strategy alone: minus the baseline's), with 95% paired bootstrap "
                           "intervals; per (strategy, method) a verdict at the budget chosen on validation (lowest "
                           "validation EqOd with validation error <= the firm method alone's + 0.01); for label "
                           "cleaning the share of the flipped rows it flags, its flag rate on the others and the share "
                           "of the collective's EqOd gain that survives. A firm method that cannot run here is skipped "
                           "with its reason. Writes interaction.csv/.txt/.md, interaction_verdicts.csv, "
                           "interaction_label_cleaning.csv, interaction_eqod.png, interaction_error.png, alone/ and "
                           "composed/ (cells.csv, fronts.csv) and COMMAND.txt into results/<dataset>/interaction/."),
    Experiment("transfer", "RB-prob with the collective's HGB vs with the firm's own learner, per firm learner: "
               "does the gain survive a learner mismatch?",
               _lazy("transfer:run_transfer"), ("alpha", "fractions", "learners", "validation"),
               calls=_lazy("transfer:transfer_calls"),
               description="Per firm learner L of --learners (default hgb, logreg, random-forest, mlp, lightgbm; one "
                           "that cannot run here is skipped with its reason): RB-prob over budgets M with "
                           "--collective-model hgb and with --collective-model L, and random, each a comparison with "
                           "--learner L. Per L and collective model: the EqOd gain over the baseline (same seed) at the "
                           "budget chosen on validation (lowest validation EqOd with validation error <= the "
                           "baseline's + 0.01), the paired difference matched minus mismatched with a 95% bootstrap "
                           "interval, and a verdict: the gain survives the mismatch (in part), is lost, or cannot be "
                           "separated (fairbench/experiments/transfer.py). Writes transfer.csv/.txt/.md, "
                           "transfer_curves.csv, transfer_eqod.png, learner=L/collective=MODEL/ (cells.csv, "
                           "fronts.csv) and COMMAND.txt into results/<dataset>/transfer/; --learner is not used."),
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
