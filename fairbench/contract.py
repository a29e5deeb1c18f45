"""The data types every plugin and the harness share.

A plugin registers :class:`Intervention` or :class:`DatasetSpec` objects through the hooks in
``fairbench.hookspecs``.  What an intervention's ``make`` returns depends on its stage:

``labels`` (user side)
    an object with ``score(view: CollectiveView) -> np.ndarray`` giving one finite score per
    candidate (higher = more likely favourable as a majority member).  The harness ranks the
    candidates once and flips the top-M labels for every budget M.
``pre`` (firm side)
    an object with ``fit(X, y, a) -> self`` and ``transform(X, a) -> np.ndarray``; the learner is
    trained on the transformed training rows and scored on transformed test rows.  Optionally
    ``relabel(X, y, a) -> np.ndarray``: called after ``fit`` on the training rows, it returns one
    0/1 label per row and the learner is trained on those labels instead of ``y`` (label-changing
    pre-processing such as Kamiran & Calders' massaging; ``transform`` may return ``X`` as is).
    The cell's ``n_flips`` records how many training labels changed.
``in`` (firm side)
    an object with ``fit(X, y, a, learner) -> self`` and ``predict(X, a) -> np.ndarray``.
``post`` (firm side)
    an object with ``fit(scores, y, a) -> self`` and ``predict(scores, a) -> np.ndarray``, fed the
    learner's probabilities of the favourable label on a held-out part of train, then on test.

Plugins see training data only: the test set never reaches plugin code except through
``transform``/``predict`` of an already fitted object.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

SIDES = ("user", "firm")
STAGES = ("labels", "pre", "in", "post")
STAGE_SIDE = {"labels": "user", "pre": "firm", "in": "firm", "post": "firm"}


@dataclass(frozen=True)
class Dataset:
    """A binary task with a binary sensitive attribute, ready for the harness.

    ``X`` holds the firm's features (numeric; categorical columns are integer codes listed in
    ``categorical``).  ``a == 1`` marks the protected (minority) group and ``y == 1`` the
    favourable label.  ``is_test`` marks a predefined test split, or is ``None`` when the harness
    should split 80/20 per seed.
    """

    name: str
    X: pd.DataFrame
    a: np.ndarray
    y: np.ndarray
    categorical: tuple[str, ...] = ()
    is_test: np.ndarray | None = None
    sensitive_column: str | None = None
    info: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.X)
        for label, arr in (("a", self.a), ("y", self.y)):
            if len(arr) != n:
                raise ValueError(f"dataset {self.name!r}: {label} has {len(arr)} rows, X has {n}")
        if self.is_test is not None and len(self.is_test) != n:
            raise ValueError(f"dataset {self.name!r}: is_test has {len(self.is_test)} rows, X has {n}")

    @property
    def n_rows(self) -> int:
        return len(self.X)


@dataclass(frozen=True)
class DatasetSpec:
    """What ``fairbench list`` shows about a dataset, and how to load it.

    ``loader(**options)`` returns a :class:`Dataset`; its named keyword parameters are the
    dataset's options (``--dataset-option KEY=VALUE``, shown by ``fairbench list --dataset NAME``
    and checked by :mod:`fairbench.dataset_options`); the CLI also passes ``drop_sensitive`` and,
    when given, ``data_dir``.  ``availability()`` returns ``None`` when the
    data is present here, otherwise one line telling the user how to make it available.
    """

    name: str
    loader: Callable[..., Dataset]
    description: str
    sensitive: str
    protected: str
    favourable: str
    source: str
    rows: int | None = None
    availability: Callable[[], str | None] = lambda: None
    plugin: str = ""


@dataclass(frozen=True)
class Intervention:
    """A fairness intervention and the knob that traces its error-fairness front.

    ``make(knob_value, random_state, **params)`` builds a fresh method object for one cell (for
    stage ``labels`` the knob is the budget, applied by the harness, so ``make`` gets ``None``).
    ``grid`` lists the default knob values; ``tune`` optionally maps a parameter to candidate
    values the harness selects on a 15% validation split of train (user side only).
    ``requires`` names importable modules; when one is missing the intervention is reported as
    unavailable with ``install_hint`` instead of crashing a run.  ``in_default_run=False`` keeps a
    variant (e.g. an experiment's ablation) out of a ``compare`` that names no interventions; it
    still runs when named.  ``cost`` is a rough price of one cell in learner fits (exponentiated
    gradient refits the learner ~15 times): parallel runs start the costliest tasks first, so that
    no long task is left running alone at the end.
    """

    name: str
    stage: str
    knob: str
    grid: tuple[float, ...]
    make: Callable[..., Any]
    description: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    tune: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    requires: tuple[str, ...] = ()
    install_hint: str = ""
    version: str = "1"
    plugin: str = ""
    side: str = ""
    in_default_run: bool = True
    cost: float = 1.0

    def __post_init__(self) -> None:
        if not self.side:
            object.__setattr__(self, "side", STAGE_SIDE.get(self.stage, "?"))


@dataclass(frozen=True)
class CollectiveView:
    """What a minority collective knows when it scores its candidates.

    ``candidates`` are collective members with ``y == 0`` (rows of standardised features, the
    sensitive attribute excluded); ``collective``/``collective_y`` are all collective members;
    ``majority``/``majority_y`` are the majority rows the collective knows about.
    """

    candidates: np.ndarray
    collective: np.ndarray
    collective_y: np.ndarray
    majority: np.ndarray
    majority_y: np.ndarray
    random_state: int = 0
