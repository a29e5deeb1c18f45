"""The paper's experiments as named, reproducible commands (``fairbench experiment NAME``).

=================  ===========================  ==============================================
name               paper                        what it writes (results/<dataset>/<name>/)
=================  ===========================  ==============================================
``alpha``          Figure 3 / 10                best achievable EqOd/SP vs collective size
``flips``          Figure 4 / 11                EqOd/SP vs number of flips M at alpha = 0.3
``knowledge``      Figure 5 / 14                fronts with all / N = 1000, 100, 10 majority rows
``firm``           Figure 7 / 12                rb-prob vs every available firm-side method
``representations`` Figure 8 / 13               RB scores in raw features vs FARE's cells
``toy``            Figure 1                     2-D toy, logistic regression, 6 flips
``diagnostics``    section 5, Prop. 3 (Eq. 10,  rho, measured success S and the lower bound
                   11), Eq. 3                   on synthetic-4gmm, over alpha
=================  ===========================  ==============================================

Every experiment writes COMMAND.txt (the exact command line that reproduces it), a summary CSV,
a terminal table (.txt), a markdown table (.md, with the command) and PNG figures.
"""
from __future__ import annotations

from fairbench.errors import unknown_name
from fairbench.experiments._common import ExperimentResult, RunConfig

DEFAULT_DATASET = {"toy": "toy-2d", "diagnostics": "synthetic-4gmm"}


def _runners() -> dict:
    from fairbench.experiments import diagnostics, sweeps, toy

    return {
        "alpha": sweeps.run_alpha,
        "flips": sweeps.run_flips,
        "knowledge": sweeps.run_knowledge,
        "firm": sweeps.run_firm,
        "representations": sweeps.run_representations,
        "toy": toy.run_toy,
        "diagnostics": diagnostics.run_diagnostics,
    }


def run(name: str, cfg: RunConfig, **kwargs) -> ExperimentResult:
    """Run (or resume) experiment ``name`` with ``cfg``; keyword options are the experiment's own."""
    runners = _runners()
    if name not in runners:
        raise unknown_name("experiment", name, runners)
    if name in ("alpha", "diagnostics") and "alphas" in kwargs:
        kwargs["alphas"] = tuple(kwargs["alphas"])
    if name == "firm" and "interventions" in kwargs:
        names = list(kwargs.pop("interventions"))
        user = [n for n in names if _side(n, cfg) == "user"]
        kwargs["user"] = tuple(user) or ("rb-prob",)
        kwargs["firm"] = [n for n in names if _side(n, cfg) == "firm"]
    if name == "representations" and "interventions" in kwargs:
        kwargs["methods"] = tuple(kwargs.pop("interventions"))
    if name == "toy" and "interventions" in kwargs:
        kwargs["method"] = kwargs.pop("interventions")[0]
    return runners[name](cfg, **kwargs)


def _side(name: str, cfg: RunConfig) -> str:
    from fairbench.plugins import get_registry

    registry = cfg.registry or get_registry()
    return registry.intervention(name).side


__all__ = ["ExperimentResult", "RunConfig", "DEFAULT_DATASET", "run"]
