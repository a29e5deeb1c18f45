"""What one cell runs: a pipeline of at most one user-side strategy, then at most one firm method,
then the firm's learner.  ``rb-prob+threshold-optimizer``: the collective flips, the firm post-processes.

A single intervention is a pipeline of one and keeps its cells, columns and keys exactly.  A
composed pipeline sweeps the product of its two knobs (the budget M, the firm method's knob); its
firm method sees the collective's flipped labels as the training labels (docs/protocol.md).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

from fairbench.contract import BASELINE, Intervention
from fairbench.errors import UserInputError
from fairbench.stages import STAGE_OBJECTS

SEPARATOR = "+"
#: The orders a composed pipeline may take: the collective acts on the data it contributes, before the firm.
VALID_ORDERS = tuple(f"labels{SEPARATOR}{s}" for s in STAGE_OBJECTS if STAGE_OBJECTS[s].side == "firm")
ORDER_RULE = (f"valid orders: {', '.join(VALID_ORDERS)} (a user-side strategy, then one firm method, "
              f"e.g. rb-prob{SEPARATOR}threshold-optimizer)")


def _joined(attr: str) -> property:
    """A pipeline's ``attr``: its parts', joined by "+"."""
    return property(lambda self: SEPARATOR.join(getattr(p, attr) for p in self.parts))


@dataclass(frozen=True)
class Pipeline:
    """A user-side strategy then a firm method, both present (a single intervention is not wrapped)."""

    user: Intervention
    firm: Intervention

    @property
    def parts(self) -> tuple[Intervention, Intervention]:
        return self.user, self.firm

    name = _joined("name")    # rb-prob+threshold-optimizer
    stage = _joined("stage")  # labels+post
    side = _joined("side")    # user+firm
    knob = _joined("knob")    # budget+none
    plugin = _joined("plugin")

    @property
    def cost(self) -> float:
        return self.user.cost + self.firm.cost

    is_baseline = False

    def unavailable_reason(self) -> str | None:
        return next((r for r in (p.unavailable_reason() for p in self.parts) if r), None)


def user_part(run: Intervention | Pipeline) -> Intervention | None:
    """The user-side strategy of a single intervention or pipeline, if it has one."""
    if isinstance(run, Pipeline):
        return run.user
    return run if run.stage == "labels" else None


def firm_part(run: Intervention | Pipeline) -> Intervention | None:
    """The firm method (or the baseline) of a single intervention or pipeline, if it has one."""
    if isinstance(run, Pipeline):
        return run.firm
    return None if run.stage == "labels" else run


def parse(name: str, lookup: Callable[[str], Intervention]) -> Intervention | Pipeline:
    """``a`` -> the intervention, ``a+b`` -> their pipeline, checked against the stage order.

    ``lookup`` raises for an unknown name (listing the valid ones).
    """
    names = name.split(SEPARATOR)
    if any(not n for n in names):
        raise UserInputError(f"pipeline {name!r} has an empty part; join intervention names with "
                             f"{SEPARATOR!r}; {ORDER_RULE}")
    parts = [lookup(n) for n in names]
    if len(parts) == 1:
        return parts[0]
    problem = _order_problem(parts)
    if problem:
        raise UserInputError(f"pipeline {name!r}: {problem}; {ORDER_RULE}")
    return Pipeline(*parts)


def _order_problem(parts: list[Intervention]) -> str | None:
    if any(p.name == BASELINE for p in parts):
        return f"{BASELINE} is the firm's learner alone, which every pipeline ends in; leave it out"
    if len(parts) > 2:
        return f"it has {len(parts)} parts, a pipeline has at most two"
    first, second = parts
    if second.stage == "labels" and first.stage != "labels":
        return (f"{first.name} runs in the firm's {first.stage} stage, and it cannot come before {second.name} "
                f"(stage labels): the collective acts on the data it contributes, before the firm sees it")
    if first.stage == second.stage == "labels":
        return f"{first.name} and {second.name} are both user-side strategies; a pipeline has at most one"
    if first.stage != "labels":
        return (f"{first.name} ({first.stage}) and {second.name} ({second.stage}) are both firm methods; "
                "a pipeline has one")
    return None


def knob_values(run: Intervention | Pipeline, budgets: Iterable[int], grids: Mapping[str, tuple]) -> list[tuple]:
    """(as keyed, as recorded) for every knob value of ``run``'s cells: the budgets (labels), the
    firm grid (narrowed by ``grids``), or for a pipeline their product as (budget, firm knob) pairs.
    A value is keyed as declared, so a narrowed grid's cells keep the keys of the full grid's."""
    def grid(iv: Intervention) -> tuple:
        return tuple(grids.get(iv.name, iv.grid))

    if isinstance(run, Pipeline):
        return [([int(b), k], (int(b), float(k))) for b in budgets for k in grid(run.firm)]
    if run.stage == "labels":
        return [(b, int(b)) for b in budgets]
    return [(k, float(k)) for k in grid(run)]


def check_grids(grids: Mapping | None, runs: list, lookup: Callable[[str], Intervention]) -> dict[str, tuple]:
    """``--grid NAME=v1,v2``: each name a firm method of the run, each value one of its declared grid's."""
    out: dict[str, tuple] = {}
    in_run = {p.name for r in runs for p in (r.parts if isinstance(r, Pipeline) else (r,))}
    for name, values in (grids or {}).items():
        iv = lookup(name)
        if iv.stage == "labels":
            raise UserInputError(f"--grid {name}: a user-side strategy's knob is the budget; set it with --budgets")
        if name not in in_run:
            raise UserInputError(f"--grid {name}: {name} is not among the run's interventions; "
                                 f"add it (or a pipeline with it) to --interventions")
        try:
            if isinstance(values, str):
                raise TypeError(values)
            chosen = tuple(dict.fromkeys(float(v) for v in values))
        except (TypeError, ValueError):
            raise UserInputError(f"--grid {name}: values must be numbers, got {values!r}") from None
        declared = [float(g) for g in iv.grid]
        outside = [v for v in chosen if v not in declared]
        if not chosen or outside:
            shown = ", ".join(f"{g:g}" for g in declared)
            what = f"{outside[0]:g} is not in" if outside else "no values given for"
            raise UserInputError(f"--grid {name}: {what} its grid of {iv.knob} ({shown}); --grid narrows the "
                                 "declared grid")
        out[name] = tuple(g for g in iv.grid if float(g) in chosen)  # as declared: in its order, keyed as it is
    return out
