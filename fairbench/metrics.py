"""Metrics: each declared once, as a :class:`Metric`, and registered through the
``fairbench_register_metrics`` hook (the built-ins below use the same hook as plugins).

Every column list, front, table header and axis label is derived from the registered metrics.
The built-ins are the paper's, equal to fairlearn.metrics' definitions: EqOd (Eq. 2) is the MEAN
of the absolute TPR gap and FPR gap; ``eqod_max`` is the worst-case variant fairlearn reports by
default; SP (Eq. 12) is the absolute gap in positive rates; ``eopp``, equal opportunity
difference (Hardt et al. 2016), is the TPR gap alone.  A rate that is undefined (a group with no
positives or no negatives in the evaluation set) is reported as NaN with a note, never as 0.

A per-group rate (``group`` 0 or 1, named ``<rate>_a<group>``) also gets a change column
``d_<name>``: the cell's rate minus the same seed's baseline's, derived when a comparison's cells
are assembled (``fairbench.levelling``), never stored.  ``a=1`` is the minority (the protected
group, the one the collective is drawn from).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Callable, Iterable

import numpy as np

from fairbench.hookspecs import hookimpl

#: what a metric is for: ``error`` (the x axis of every front; exactly one), ``fairness`` (an
#: unfairness axis: seed means in fronts.csv, a Pareto flag, selectable for tables and figures
#: with ``--fairness-metric``), ``rate`` (a per-cell detail in cells.csv only), ``reported`` (a
#: value an intervention reports itself through ``extra_metrics``/``certify``, with no
#: ``compute``: seed means in fronts.csv)
KINDS = ("error", "fairness", "rate", "reported")
NAN = float("nan")
#: the prefix of a per-group rate's change against its seed's baseline (``d_tpr_a1``)
CHANGE_PREFIX = "d_"
#: column prefixes the harness derives; no metric's name may start with one
DERIVED_PREFIXES = ("val_", CHANGE_PREFIX)


@dataclass(frozen=True)
class Metric:
    """One metric: its column ``name``, axis ``label``, ``compute(rates) -> float`` from a
    :class:`GroupRates`, whether lower is better, its ``kind`` (see ``KINDS``), its short
    table header (``short``, default the name) and, for a per-group rate, the ``group`` (0 or 1)
    it describes: such a rate is named ``<rate>_a<group>`` and gets a change column ``d_<name>``
    against the seed's baseline."""

    name: str
    label: str
    compute: Callable[["GroupRates"], float] | None
    lower_is_better: bool = True
    kind: str = "fairness"
    short: str = ""
    plugin: str = ""
    group: int | None = None

    @property
    def rate(self) -> str:
        """A per-group rate's family (``tpr`` for ``tpr_a1``); the name for any other metric."""
        return self.name.removesuffix(f"_a{self.group}") if self.group is not None else self.name

    @property
    def header(self) -> str:
        return self.short or self.name

    def problems(self) -> list[str]:
        """What is wrong with this declaration (empty when it is valid)."""
        out = []
        if not isinstance(self.name, str) or not self.name.isidentifier() or self.name.startswith(DERIVED_PREFIXES):
            out.append(f"name must be a Python identifier not starting with {' or '.join(map(repr, DERIVED_PREFIXES))} "
                       f"(it is a cells.csv column), got {self.name!r}")
        if not isinstance(self.label, str) or not self.label.strip():
            out.append(f"label must be a non-empty string (the axis label), got {self.label!r}")
        if self.kind not in KINDS:
            out.append(f"kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        elif self.kind == "error" and self.name != "error":
            out.append("kind 'error' belongs to the built-in error metric (the x axis of every front); "
                       "use 'fairness', 'rate' or 'reported'")
        elif (self.compute is None) != (self.kind == "reported"):
            out.append("compute must be a callable taking GroupRates" if self.kind != "reported"
                       else "a 'reported' metric comes from the intervention and has compute=None")
        if self.compute is not None and not callable(self.compute):
            out.append(f"compute must be callable, got {type(self.compute).__name__}")
        if not isinstance(self.lower_is_better, bool):
            out.append(f"lower_is_better must be True or False, got {self.lower_is_better!r}")
        if self.group is not None:
            if isinstance(self.group, bool) or not isinstance(self.group, int) or self.group not in (0, 1) \
                    or self.kind != "rate":
                out.append(f"group is 0 or 1 on a per-group rate (kind 'rate'), got group={self.group!r} on kind "
                           f"{self.kind!r}")
            elif not (isinstance(self.name, str) and self.name.endswith(f"_a{self.group}") and self.rate):
                out.append(f"a per-group rate of group {self.group} is named '<rate>_a{self.group}' (the levelling "
                           f"summary pairs the groups by it), got {self.name!r}")
        return out


class GroupRates:
    """The predictions of one evaluation set and their per-group rates, counted once for every metric."""

    def __init__(self, y_true: np.ndarray, y_pred: np.ndarray, a: np.ndarray):
        self.y_true, self.y_pred, self.a = y_true, y_pred, a

    def _rate(self, mask: np.ndarray) -> float:
        return float(self.y_pred[mask].mean()) if mask.any() else NAN

    def tpr(self, g: int) -> float:
        return self._rate((self.a == g) & (self.y_true == 1))

    def fpr(self, g: int) -> float:
        return self._rate((self.a == g) & (self.y_true == 0))

    def positive_rate(self, g: int) -> float:
        return self._rate(self.a == g)

    @cached_property
    def tpr_gap(self) -> float:
        return abs(self.tpr(1) - self.tpr(0))

    @cached_property
    def fpr_gap(self) -> float:
        return abs(self.fpr(1) - self.fpr(0))

    @property
    def error(self) -> float:
        return float(np.mean(self.y_true != self.y_pred)) if len(self.y_true) else NAN


def _eqod_max(r: GroupRates) -> float:
    return max(r.tpr_gap, r.fpr_gap) if not (np.isnan(r.tpr_gap) or np.isnan(r.fpr_gap)) else NAN


BUILTIN_METRICS = (
    Metric("error", "error (test)", lambda r: r.error, kind="error"),
    Metric("eqod", "EqOd (mean of TPR and FPR gaps)", lambda r: (r.tpr_gap + r.fpr_gap) / 2, short="EqOd"),  # Eq. 2
    Metric("eqod_max", "EqOd max (larger of TPR and FPR gaps)", _eqod_max, short="EqOd max"),
    Metric("sp", "SP (gap in positive rates)", lambda r: abs(r.positive_rate(1) - r.positive_rate(0)),
           short="SP"),  # Eq. 12
    Metric("tpr_gap", "TPR gap", lambda r: r.tpr_gap, kind="rate"),
    Metric("fpr_gap", "FPR gap", lambda r: r.fpr_gap, kind="rate"),
    Metric("tpr_a0", "TPR of group a=0", lambda r: r.tpr(0), kind="rate", lower_is_better=False, group=0),
    Metric("tpr_a1", "TPR of group a=1", lambda r: r.tpr(1), kind="rate", lower_is_better=False, group=1),
    Metric("fpr_a0", "FPR of group a=0", lambda r: r.fpr(0), kind="rate", group=0),
    Metric("fpr_a1", "FPR of group a=1", lambda r: r.fpr(1), kind="rate", group=1),
    # selection rate: the share of the group predicted y=1 (SP is the gap between the two)
    Metric("sel_a0", "selection rate of group a=0", lambda r: r.positive_rate(0), kind="rate",
           lower_is_better=False, group=0),
    Metric("sel_a1", "selection rate of group a=1", lambda r: r.positive_rate(1), kind="rate",
           lower_is_better=False, group=1),
    Metric("eopp", "EqOpp (TPR gap; Hardt et al. 2016)", lambda r: r.tpr_gap, short="EqOpp"),
    # reported by the FARE interventions' ``certify`` (fairbench/interventions/firm/fare.py)
    Metric("dp_ub", "FARE's certified upper bound on SP", None, kind="reported", short="SP bound"),
)


@hookimpl
def fairbench_register_metrics(register):
    for metric in BUILTIN_METRICS:
        register(metric)


def registered() -> tuple[Metric, ...]:
    """The metrics of the process-wide registry (built-ins and installed plugins)."""
    from fairbench.plugins import get_registry

    return tuple(get_registry().metrics.values())


def _chosen(metrics: Iterable[Metric] | None) -> tuple[Metric, ...]:
    return registered() if metrics is None else tuple(metrics)


def computed(metrics: Iterable[Metric] | None = None) -> tuple[Metric, ...]:
    """The metrics evaluated on every cell's predictions (error first), in registration order."""
    return tuple(m for m in _chosen(metrics) if m.compute is not None)


def of_kind(kind: str, metrics: Iterable[Metric] | None = None) -> tuple[Metric, ...]:
    return tuple(m for m in _chosen(metrics) if m.kind == kind)


def summarised(metrics: Iterable[Metric] | None = None) -> tuple[Metric, ...]:
    """The metrics whose seed means and stds fronts.csv holds: error, fairness and reported ones."""
    return tuple(m for m in _chosen(metrics) if m.kind != "rate")


def per_group(metrics: Iterable[Metric] | None = None) -> tuple[Metric, ...]:
    """The per-group rates (``group`` set), in registration order."""
    return tuple(m for m in computed(metrics) if m.group is not None)


def change_columns(metrics: Iterable[Metric] | None = None) -> tuple[str, ...]:
    """``d_<name>`` of every per-group rate: its change against the same seed's baseline."""
    return tuple(CHANGE_PREFIX + m.name for m in per_group(metrics))


def metric_columns(metrics: Iterable[Metric] | None = None, validation: bool = False) -> tuple[str, ...]:
    """The cells.csv columns of the metrics: each computed metric's, then each per-group rate's
    change (``change_columns``); with ``validation``, their ``val_`` twins too."""
    names = tuple(m.name for m in computed(metrics)) + change_columns(metrics)
    return names + tuple(f"val_{n}" for n in names) if validation else names


def label(name: str, metrics: Iterable[Metric] | None = None) -> str:
    """The axis label of a metric (its name when no registered metric has it)."""
    return next((m.label for m in _chosen(metrics) if m.name == name), name)


def check_fairness_metrics(names: Iterable[str], metrics: Iterable[Metric] | None = None) -> tuple[str, ...]:
    """Names of registered fairness metrics, in the order given; a UserInputError names a bad one."""
    from fairbench.errors import unknown_name

    valid = [m.name for m in of_kind("fairness", metrics)]
    out = tuple(dict.fromkeys(names))
    for name in out:
        if name not in valid:
            raise unknown_name("fairness metric", name, valid)
    if not out:
        raise unknown_name("fairness metric", "", valid)
    return out


#: the cells.csv metric columns of the built-ins, changes included (plugins' metrics add theirs)
METRIC_COLUMNS = metric_columns(BUILTIN_METRICS)


def _binary(values, name: str) -> np.ndarray:
    """A 1-D 0/1 array; anything else (scores, probabilities, NaN, 2-D) raises ValueError naming it."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"metrics need {name} as one 0/1 value per row, got an array of shape {arr.shape}")
    if arr.size and not np.isin(arr, (0, 1)).all():
        odd = arr[~np.isin(arr, (0, 1))][:3].tolist()
        raise ValueError(f"metrics need {name} to hold only 0 and 1 (labels, not scores), found {odd}")
    return arr.astype(int)


def _notes(y_true: np.ndarray, a: np.ndarray) -> list[str]:
    notes = []
    for g in (0, 1):
        in_group = a == g
        if not in_group.any():
            notes.append(f"group a={g} has no rows")
            continue
        if not (in_group & (y_true == 1)).any():
            notes.append(f"TPR undefined: group a={g} has no y=1 rows")
        if not (in_group & (y_true == 0)).any():
            notes.append(f"FPR undefined: group a={g} has no y=0 rows")
    return notes


def evaluate(y_true, y_pred, a, metrics: Iterable[Metric] | None = BUILTIN_METRICS) -> dict[str, float | str]:
    """Every computed metric of one cell; ``note`` says which ones are undefined and why.

    ``metrics`` defaults to the built-ins (``None``: the registered ones).  The group rates are
    counted directly (fairlearn's MetricFrame costs ~0.1 s per call, and a comparison evaluates
    thousands of cells); tests pin every built-in to fairlearn's ``equalized_odds_difference``
    (agg "mean" and "worst_case"), ``demographic_parity_difference`` and
    ``equal_opportunity_difference``.
    """
    y_true, y_pred, a = _binary(y_true, "y_true"), _binary(y_pred, "y_pred"), _binary(a, "a")
    if not (len(y_true) == len(y_pred) == len(a)):
        raise ValueError(f"metrics need equal lengths, got y_true={len(y_true)}, y_pred={len(y_pred)}, a={len(a)}")
    rates = GroupRates(y_true, y_pred, a)
    result: dict[str, float | str] = {m.name: float(m.compute(rates)) for m in computed(metrics)}
    notes = _notes(y_true, a)
    if notes:
        result["note"] = "; ".join(notes)
    return result
