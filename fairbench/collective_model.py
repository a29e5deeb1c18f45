"""The collective's own model (``--collective-model``): what RB-prob trains on the majority rows
it knows to score its candidates.  It need not be the firm's learner (surrogate transfer).

A labels strategy that trains a model of its own names a ``collective_model`` keyword, with a
default, in its ``make``.  The run's choice reaches exactly those strategies through the
per-intervention parameters (``Settings.params``), so a model other than ``make``'s default is
part of their cells' keys; the default itself (for RB-prob the paper's HistGradientBoosting,
``hgb``) adds nothing, and those cells keep the keys they always had.  RB-label and RB-dist rank
by nearest neighbours and train no model.  The names are the learners'
(``fairbench.learners.make_learner``).
"""
from __future__ import annotations

import inspect
from typing import Iterable

import pandas as pd

from fairbench.contract import Intervention
from fairbench.errors import UserInputError

PARAM = "collective_model"
DEFAULT_COLLECTIVE_MODEL = "hgb"
COLUMN = "collective_model"


def _parts(chosen: Iterable) -> list[Intervention]:
    """The interventions of a run, a pipeline's (``a+b``) parts each on its own."""
    return [part for iv in chosen for part in getattr(iv, "parts", (iv,))]


def _parameter(iv: Intervention) -> inspect.Parameter | None:
    try:
        return inspect.signature(iv.make).parameters.get(PARAM)
    except (TypeError, ValueError):
        return None


def uses_collective_model(iv: Intervention) -> bool:
    """Whether ``iv``'s ``make`` takes the collective's model (a ``collective_model`` keyword)."""
    return _parameter(iv) is not None


def default_model(iv: Intervention) -> str | None:
    """The model ``iv`` trains when the run names none: its ``make``'s default."""
    parameter = _parameter(iv)
    return None if parameter is None or parameter.default is inspect.Parameter.empty else parameter.default


def with_collective_model(params: dict, chosen: Iterable[Intervention], name: str | None,
                          known: Iterable[Intervention]) -> dict:
    """``params`` (per intervention) with model ``name`` for each of the ``chosen`` strategies that
    train one; ``None``, or a strategy's own default, adds nothing.

    A name given to a run none of whose strategies trains a model is refused: its cells would be
    those of a run without it, and the option would claim a model nothing used.
    """
    if name is None:
        return params
    from fairbench.learners import make_learner

    make_learner(name, 0)  # an unknown name fails here, listing the learners
    users = list({iv.name: iv for iv in _parts(chosen) if uses_collective_model(iv)}.values())
    if not users:
        takers = ", ".join(iv.name for iv in known if uses_collective_model(iv))
        raise UserInputError(f"--collective-model {name}: no strategy of this run trains a model of its own (it "
                             f"applies to {takers}; RB-label and RB-dist use neighbours); add one to --interventions "
                             "or drop --collective-model")
    out = {key: dict(value) for key, value in params.items()}
    for iv in users:
        given = out.get(iv.name, {}).get(PARAM, name)
        if given != name:
            raise UserInputError(f"{iv.name}: collective model {given!r} in params and {name!r} in "
                                 "--collective-model; give it once")
        if name != default_model(iv):
            out.setdefault(iv.name, {})[PARAM] = name
    return out


def record(cells: pd.DataFrame, chosen: Iterable[Intervention], params: dict) -> pd.DataFrame:
    """A ``collective_model`` column after ``learner``: the model of each strategy that trains one,
    empty on the other rows."""
    models = {iv.name: params.get(iv.name, {}).get(PARAM, default_model(iv))
              for iv in _parts(chosen) if uses_collective_model(iv)}
    cells = cells.copy()
    strategy = cells["user_intervention"].fillna(cells["intervention"]) if "user_intervention" in cells \
        else cells["intervention"]  # a pipeline's strategy is its user part
    cells.insert(cells.columns.get_loc("learner") + 1, COLUMN, strategy.map(models))
    return cells
