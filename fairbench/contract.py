"""The data types every plugin and the harness share.

A plugin registers :class:`Intervention`, :class:`DatasetSpec`, :class:`Learner` or ``Metric`` objects through the
hooks in ``fairbench.hookspecs``.  What an intervention's ``make`` returns depends on its stage
(``labels`` on the user side; ``pre``, ``in``, ``post`` on the firm side): the methods each stage's
object supplies, the order the harness calls them in and what plugins may see are declared once
in ``fairbench.stages``.

A firm-side ``make`` may also name the keyword arguments ``categorical``, ``columns``, ``sensitive``
(facts about the feature columns) and ``learner`` (the firm's unfitted learner, seeded with the
cell's seed; fit a ``sklearn.base.clone`` of it); the harness passes exactly those it names.
"""
from __future__ import annotations

import importlib.util
import inspect
import json
import math
import numbers
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from fairbench.stages import STAGE_SIDE, STAGES  # noqa: E402,F401  (the stage protocol's own module)

#: The firm's learner on unmodified data; the only intervention whose side is "baseline".
BASELINE = "baseline"


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

    def problems(self) -> list[str]:
        """What is wrong with this declaration (empty when nothing is); the registry and the kit both ask."""
        return _dataset_problems(self)


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

    @property
    def is_baseline(self) -> bool:
        """The reference every front is read against (the registry lets only ``BASELINE`` claim it)."""
        return self.side == "baseline"

    def problems(self) -> list[str]:
        """What is wrong with this declaration (empty when nothing is); the registry and the kit both ask."""
        return _intervention_problems(self)

    def unavailable_reason(self) -> str | None:
        """None when every module in ``requires`` can be imported here, else one line with the install hint."""
        return _unavailable_reason(self)


@dataclass(frozen=True)
class Learner:
    """The firm's classifier: every fit of every cell builds a fresh one with ``make(random_state)``.

    ``make`` returns an unfitted scikit-learn classifier (``sklearn.base.clone`` works on it) with
    ``fit(X, y)`` on 0/1 labels, ``predict`` and ``predict_proba`` (columns for labels 0 and 1),
    every random choice seeded by ``random_state``.  Its ``get_params(deep=True)`` is part of every
    cell's result key, so a changed default never reuses a stored cell.  ``nan_tolerant``: it fits
    and predicts on missing feature values (NaN) itself; a run refuses data with NaN up front for
    the others.  ``requires`` and ``install_hint`` work as for :class:`Intervention`.  Threads: a
    worker caps OpenMP and BLAS after importing ``requires`` (``fairbench.threads``), so a learner
    must take its thread count from OpenMP's setting, never from the number of cores.
    """

    name: str
    make: Callable[[int], Any]
    description: str = ""
    requires: tuple[str, ...] = ()
    install_hint: str = ""
    nan_tolerant: bool = False
    plugin: str = ""

    def problems(self) -> list[str]:
        """What is wrong with this declaration (empty when nothing is); the registry and the kit both ask."""
        return _learner_problems(self)

    def unavailable_reason(self) -> str | None:
        """None when every module in ``requires`` can be imported here, else one line with the install hint."""
        return _unavailable_reason(self)


def _unavailable_reason(item: Intervention | Learner) -> str | None:
    missing = [m for m in item.requires if importlib.util.find_spec(m) is None]
    if not missing:
        return None
    hint = item.install_hint or f"pip install {' '.join(missing)}"
    return f"{item.name} needs {', '.join(missing)}: {hint}"


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


# --- the rules of a valid declaration (written once: the registry and the kit both apply them) ---

def _is_name(value: Any, forbidden: str = ",") -> bool:
    """A non-empty string without spaces or ``forbidden`` characters (an intervention's and its knob's
    name also without "+", which joins a pipeline's parts)."""
    return isinstance(value, str) and bool(value) and not any(c.isspace() or c in forbidden for c in value)


def _json_ok(value: Any) -> bool:
    try:
        json.dumps(value, sort_keys=True)
    except (TypeError, ValueError):
        return False
    return True


def _grid_problems(iv: Intervention) -> list[str]:
    if iv.stage == "labels":
        if iv.knob != "budget":
            return [f"a labels strategy's knob is the budget the run sets; declare knob='budget', not {iv.knob!r}"]
        if not isinstance(iv.grid, (tuple, list)) or tuple(iv.grid):
            return [f"a labels strategy declares grid=() (budgets come from the run), got {iv.grid!r}"]
        return []
    grid = tuple(iv.grid) if isinstance(iv.grid, (tuple, list)) else None
    if not grid:
        return [f"grid {iv.grid!r} must be a non-empty tuple of numbers for knob {iv.knob!r}"]
    bad = [g for g in grid if isinstance(g, bool) or not isinstance(g, numbers.Real) or not math.isfinite(g)]
    if bad:
        return [f"grid value {bad[0]!r} is not a finite number"]
    if len(set(float(g) for g in grid)) != len(grid):
        return [f"grid {grid!r} repeats a value (each value is one cell)"]
    if iv.tune:
        return ["tune is applied to labels strategies only; a firm method's knob is its grid"]
    return []


def _intervention_problems(iv: Any) -> list[str]:
    if not isinstance(iv, Intervention):
        return [f"got {type(iv).__name__}, expected fairbench.Intervention"]
    if not _is_name(iv.name, ",+"):
        return [f"name {iv.name!r} must be a non-empty string without spaces, commas or '+' "
                "(`--interventions` splits on commas, a pipeline's parts are joined by '+')"]
    if iv.stage not in STAGES:
        return [f"stage {iv.stage!r} is not one of {', '.join(STAGES)}"]
    problems = []
    expected_side = STAGE_SIDE[iv.stage]
    if iv.side != expected_side and not (iv.name == BASELINE and iv.side == "baseline"):
        problems.append(f"side {iv.side!r} does not match stage {iv.stage!r} (expected {expected_side!r}; "
                        "leave side empty to derive it)")
    if not _is_name(iv.knob, ",+"):
        problems.append(f"knob {iv.knob!r} must be a non-empty name without spaces, commas or '+'")
    else:
        problems += _grid_problems(iv)
    if not callable(iv.make):
        problems.append("make is not callable")
    if not isinstance(iv.params, Mapping) or not all(isinstance(k, str) for k in iv.params):
        problems.append(f"params must be a mapping of parameter names to values, got {type(iv.params).__name__}")
    elif not _json_ok(dict(iv.params)):
        problems.append("params must be JSON-serialisable: they are part of each cell's result key "
                        "(an object's repr changes between runs, so a stored cell would never be reused)")
    if not isinstance(iv.tune, Mapping):
        problems.append(f"tune must be a mapping of parameter -> candidate values, got {type(iv.tune).__name__}")
    else:
        for key, values in iv.tune.items():
            if not isinstance(key, str) or not isinstance(values, (tuple, list)) or not values:
                problems.append(f"tune[{key!r}] must be a non-empty tuple of candidate values")
            elif not _json_ok(list(values)):
                problems.append(f"tune[{key!r}] values must be JSON-serialisable (they are part of the result key)")
    problems += _dependency_problems(iv)
    if not isinstance(iv.version, str) or not iv.version:
        problems.append("version must be a non-empty string (bump it to invalidate stored cells)")
    cost = iv.cost
    if isinstance(cost, bool) or not isinstance(cost, numbers.Real) or not math.isfinite(cost) or cost <= 0:
        problems.append(f"cost {cost!r} must be a positive number (a cell's rough price in learner fits, default 1)")
    return problems


def _dependency_problems(item: Intervention | Learner) -> list[str]:
    """``requires``, ``description`` and ``install_hint``: what ``fairbench list`` shows of an optional dependency."""
    problems = []
    if not isinstance(item.requires, (tuple, list)) or not all(isinstance(m, str) and m for m in item.requires):
        problems.append(f"requires must be a tuple of importable module names, got {item.requires!r}")
    for attr in ("description", "install_hint"):
        if not isinstance(getattr(item, attr), str):
            problems.append(f"{attr} must be a string")
    return problems


def _learner_problems(learner: Any) -> list[str]:
    if not isinstance(learner, Learner):
        return [f"got {type(learner).__name__}, expected fairbench.Learner"]
    problems = []
    if not _is_name(learner.name):
        problems.append(f"name {learner.name!r} must be a non-empty string without spaces or commas (`--learner NAME`)")
    if not callable(learner.make):
        problems.append("make is not callable (make(random_state) returns an unfitted classifier)")
    if not isinstance(learner.nan_tolerant, bool):
        problems.append(f"nan_tolerant must be True or False, got {learner.nan_tolerant!r}")
    return problems + _dependency_problems(learner)


def _dataset_problems(spec: Any) -> list[str]:
    if not isinstance(spec, DatasetSpec):
        return [f"got {type(spec).__name__}, expected fairbench.DatasetSpec"]
    problems = []
    if not _is_name(spec.name) or spec.name.startswith("csv:"):
        problems.append(f"name {spec.name!r} must be a non-empty string without spaces, commas or a csv: prefix")
    for attr in ("description", "sensitive", "protected", "favourable", "source"):
        value = getattr(spec, attr)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{attr} must be a non-empty string (`fairbench list` shows it)")
    if spec.rows is not None and (isinstance(spec.rows, bool) or not isinstance(spec.rows, int) or spec.rows < 1):
        problems.append(f"rows must be a positive int or None, got {spec.rows!r}")
    if not callable(spec.loader):
        problems.append("loader is not callable")
    else:
        try:
            params = inspect.signature(spec.loader).parameters.values()
        except (TypeError, ValueError):
            params = ()
        if (not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params)
                and "drop_sensitive" not in {p.name for p in params}):
            problems.append("loader must accept drop_sensitive (and ideally **options: the CLI passes its dataset options)")
    if not callable(spec.availability):
        problems.append("availability is not callable")
        return problems
    try:
        reason = spec.availability()
    except Exception as exc:  # a plugin's bug: reported, not raised
        return problems + [f"availability() raised {type(exc).__name__}: {exc}"]
    if reason is not None and (not isinstance(reason, str) or not reason.strip() or "\n" in reason.strip()):
        problems.append(f"availability() must return None or one line saying how to get the data, got {reason!r}")
    return problems
