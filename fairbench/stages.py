"""The stage protocol, written once: one object per stage names the methods a plugin's object
supplies and performs their calls in order.

The harness (``fairbench.tasks``) runs every cell through these objects, and the conformance kit
(``fairbench.testing``) checks plugins through the same ones, passing a recording ``call`` for
``--trace``.  A new stage, or a new optional method, is one edit here; docs/plugins.md's hook
reference is generated from these declarations.

Plugins see training data only: validation and test rows never reach plugin code except through
``transform``/``predict`` (or ``certify``) of an already fitted object (docs/protocol.md).  In a
pipeline (``rb-prob+threshold-optimizer``, fairbench.pipelines) the firm method's ``y`` is the
collective's flipped training labels, and a post method's scores are those of a learner trained on
them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from fairbench.errors import PluginError

# What a call is given (``Call.on``)
VIEW = "view"              # the collective's view of the training rows
TRAIN = "train"            # the training rows: X (scores for post), y, a
TRAIN_LEARNER = "train+learner"  # the training rows and an unfitted copy of the firm's learner
EACH = "each"              # every evaluation set in turn (rows the object was not fitted on), X and a
TEST = "test"              # the test rows, X and a, after fitting

# What a call returns or an attribute holds (``Call.gives``), and how the harness checks it
SELF = "self"
SCORES = "scores"            # one finite number per candidate (checked by collective.rank_candidates)
LABELS = "labels"            # one 0/1 label per training row
FEATURES = "features"        # a 2-D array with one row per input row, the same width for every set
PREDICTIONS = "predictions"  # one 0/1 label per input row
COLUMNS = "columns"          # a mapping of new cells.csv column names to scalars
MASK = "mask"                # one bool per training row


@dataclass(frozen=True)
class Call:
    """One method of a stage's object, in the order the stage calls it."""

    name: str
    signature: str
    on: str
    gives: str
    text: str
    required: bool = True


@dataclass(frozen=True)
class Attribute:
    """An optional attribute the harness reads from the fitted object, after every call."""

    name: str
    gives: str
    text: str


@dataclass(frozen=True)
class Rows:
    """Rows handed to a call: inputs (features, or the learner's scores for post), groups, labels."""

    X: Any
    a: np.ndarray
    y: np.ndarray | None = None


@dataclass
class Inputs:
    """What one stage run is given: the training rows, the evaluation sets by name, the learner, the view."""

    train: Rows | None = None
    sets: Mapping[str, Rows] = field(default_factory=dict)
    learner: Any = None
    view: Any = None


@dataclass
class Outcome:
    """What the calls returned, by label (``fit``, ``relabel``, ``transform(test)`` ...), and the
    optional attributes the fitted object has."""

    returned: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)


def direct(obj: Any, method: str, *args):
    """The harness's way to call a plugin method; the kit passes a recording one instead."""
    return getattr(obj, method)(*args)


@dataclass(frozen=True)
class Stage:
    """One stage: who acts, the calls in order, the attributes read after them."""

    name: str
    side: str
    text: str
    calls: tuple[Call, ...]
    attributes: tuple[Attribute, ...] = ()
    transforms_train: bool = False  # the EACH call also runs on the training rows (as set "train")
    on_scores: bool = False         # its inputs are the learner's P(y=1), not the features (post)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.calls if c.required)

    @property
    def optional(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.calls if not c.required)

    @property
    def methods(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.calls)

    @property
    def takes_learner(self) -> bool:
        """Whether a call is handed an unfitted copy of the firm's learner (in)."""
        return any(c.on == TRAIN_LEARNER for c in self.calls)

    @property
    def output(self) -> Call | None:
        """The call whose per-set results feed the learner or the metrics (transform, predict)."""
        return next((c for c in self.calls if c.on == EACH), None)

    def missing(self, obj: Any) -> list[str]:
        """The required methods ``obj`` lacks."""
        return [m for m in self.required if not callable(getattr(obj, m, None))]

    def run(self, obj: Any, inputs: Inputs, call: Callable = direct, checked_as: str | None = None) -> Outcome:
        """Every call of this stage on ``obj``, in order; optional ones only when ``obj`` has them.

        With ``checked_as`` (the intervention's name) every result is checked as the harness needs
        it, raising PluginError; without, results come back as returned (the kit judges them).
        """
        out = Outcome()
        sets = dict(inputs.sets)
        if self.transforms_train:
            sets = {"train": Rows(inputs.train.X, inputs.train.a), **sets}
        for spec in self.calls:
            if not spec.required and not callable(getattr(obj, spec.name, None)):
                continue
            if spec.on == EACH:
                for set_name, rows in sets.items():
                    label = f"{spec.name}({set_name})"
                    value = call(obj, spec.name, rows.X, rows.a)
                    out.returned[label] = _check(spec, value, label, rows, inputs, out, checked_as)
                continue
            value = call(obj, spec.name, *self._args(spec, inputs))
            out.returned[spec.name] = _check(spec, value, spec.name, None, inputs, out, checked_as)
        for attr in self.attributes:
            value = getattr(obj, attr.name, None)
            if value is not None:
                out.attributes[attr.name] = _check(attr, value, attr.name, None, inputs, out, checked_as)
        return out

    @staticmethod
    def _args(spec: Call, inputs: Inputs) -> tuple:
        if spec.on == VIEW:
            return (inputs.view,)
        train = inputs.train
        if spec.on == TRAIN:
            return train.X, train.y, train.a
        if spec.on == TRAIN_LEARNER:
            return train.X, train.y, train.a, inputs.learner
        if spec.on == TEST:
            return inputs.sets["test"].X, inputs.sets["test"].a
        raise ValueError(f"unknown call input {spec.on!r}")  # a mistake in this module's declarations

    def columns(self, outcome: Outcome) -> dict:
        """The new cells.csv columns of one run: each COLUMNS call's mapping, then each COLUMNS
        attribute's (read after every call, so what a call filled in is seen)."""
        merged: dict = {}
        for spec in (*self.calls, *self.attributes):
            if spec.gives == COLUMNS:
                found = outcome.attributes if isinstance(spec, Attribute) else outcome.returned
                merged.update(found.get(spec.name) or {})
        return merged

    def relabeled(self, outcome: Outcome) -> np.ndarray | None:
        """The training labels a LABELS call returned (the learner trains on these), or None."""
        for spec in self.calls:
            if spec.gives == LABELS and spec.name in outcome.returned:
                return outcome.returned[spec.name]
        return None

    def mask(self, outcome: Outcome) -> np.ndarray | None:
        """The MASK attribute of the fitted object (e.g. label cleaning's ``flagged_``), or None."""
        for attr in self.attributes:
            if attr.gives == MASK and attr.name in outcome.attributes:
                return outcome.attributes[attr.name]
        return None


def _check(spec, value, label: str, rows: Rows | None, inputs: Inputs, out: Outcome, name: str | None):
    """One result as the harness needs it (PluginError naming ``name`` otherwise); unchanged without a name."""
    if name is None or spec.gives in (SELF, SCORES):
        return value
    n_train = len(inputs.train.y)
    if spec.gives == LABELS:
        arr = checked(value, n_train, name, label)
        if arr.ndim != 1 or not np.isin(arr, (0, 1)).all():
            raise PluginError(f"intervention {name!r} {label} returned values other than one 0/1 label per training row")
        return arr.astype(inputs.train.y.dtype)
    if spec.gives == PREDICTIONS:
        return checked(value, len(rows.a), name, label, labels=True)
    if spec.gives == FEATURES:
        had_nan = any(_has_nan(r.X) for r in (inputs.train, *inputs.sets.values()))  # NaN passed through is fine
        arr = checked(value, len(rows.a), name, label, allow_nan=had_nan)
        earlier = [k for k in out.returned if k.startswith(f"{spec.name}(")]
        if not earlier and arr.ndim != 2:
            raise PluginError(f"intervention {name!r} {label} returned shape {arr.shape}; expected a 2-D array "
                              "with one row per input row")
        first, where = (out.returned[earlier[0]], earlier[0]) if earlier else (arr, label)
        if arr.shape[1:] != first.shape[1:]:
            raise PluginError(f"intervention {name!r} {spec.name} returned shapes {first.shape} ({_set_of(where)}) "
                              f"and {arr.shape} ({_set_of(label)}); expected 2-D arrays with the same number of columns")
        return arr
    if spec.gives == COLUMNS:
        if not isinstance(value, Mapping):
            raise PluginError(f"intervention {name!r} {label} is {type(value).__name__}, expected a mapping of "
                              "column name -> value")
        return value
    if spec.gives == MASK:
        problem = mask_problem(value, n_train)
        if problem:
            raise PluginError(f"intervention {name!r} {label} {problem}")
        return np.asarray(value)
    raise ValueError(f"unknown result kind {spec.gives!r}")  # a mistake in this module's declarations


def _set_of(label: str) -> str:
    """``transform(test)`` -> ``test``."""
    return label[label.index("(") + 1:-1]


def _has_nan(X) -> bool:
    arr = np.asarray(X)
    return bool(np.issubdtype(arr.dtype, np.floating) and np.isnan(arr).any())


def mask_problem(value, n_rows: int) -> str | None:
    """What is wrong with a MASK value (None when it is one bool per training row)."""
    arr = np.asarray(value)
    if arr.dtype != bool or arr.shape != (n_rows,):
        return f"is {arr.dtype}[{'x'.join(map(str, arr.shape))}], expected one bool per training row ({n_rows})"
    return None


def checked(values: Any, n_rows: int, name: str, what: str, labels: bool = False, allow_nan: bool = False) -> np.ndarray:
    """A plugin's output with one entry per row, finite (NaN passes with ``allow_nan``: the input had NaN);
    with ``labels``, one 0/1 label per row."""
    arr = np.asarray(values)
    if arr.shape[0:1] != (n_rows,):
        raise PluginError(f"intervention {name!r} {what} returned {arr.shape[0] if arr.ndim else 'a scalar'} rows, "
                          f"expected {n_rows}")
    if np.issubdtype(arr.dtype, np.number) and arr.size:
        values = arr.astype(float)
        bad = np.isinf(values) if allow_nan else ~np.isfinite(values)
        if bad.any():
            raise PluginError(f"intervention {name!r} {what} returned {'inf' if allow_nan else 'NaN or inf'} values")
    if labels and (arr.ndim != 1 or (arr.size and not np.isin(arr, (0, 1)).all())):
        raise PluginError(f"intervention {name!r} {what} returned an array of shape {arr.shape} (values e.g. "
                          f"{arr.ravel()[:3].tolist()}); expected a 1-D array of one 0/1 label per row")
    return arr


_EXTRA_METRICS = Attribute("extra_metrics", COLUMNS, "a mapping of new column names to numbers or strings, copied "
                                                     "into the cell after every call")

LABELS_STAGE = Stage(
    "labels", "user",
    "The minority collective's strategy. The harness samples the collective, ranks the candidates (collective "
    "members with y = 0) once by score and flips the top-M labels for every budget M. A strategy that trains a "
    "model of its own (as RB-prob) names a `collective_model` keyword with a default in `make`: the run's "
    "`--collective-model NAME` (a learner name) reaches it there.",
    (Call("score", "(view: CollectiveView) -> np.ndarray", VIEW, SCORES,
          "one finite score per candidate (higher = more likely favourable as a majority member)"),),
)
PRE_STAGE = Stage(
    "pre", "firm",
    "Pre-processing. The learner is trained on the transformed training rows (and on the relabelled labels, "
    "when there are any) and scored on the transformed validation and test rows.",
    (Call("fit", "(X, y, a) -> self", TRAIN, SELF, "fitted on the training rows"),
     Call("relabel", "(X, y, a) -> np.ndarray", TRAIN, LABELS,
          "one 0/1 label per training row; the learner is trained on these instead of y (label-changing "
          "pre-processing such as Kamiran & Calders' massaging; transform may return X as is); the cell's "
          "n_flips counts the changed labels", required=False),
     Call("transform", "(X, a) -> np.ndarray", EACH, FEATURES,
          "the rows in the new representation: training, validation and test rows, one row each"),
     Call("certify", "(X, a) -> Mapping", TEST, COLUMNS,
          "new columns about the test rows (FARE's fairness certificate)", required=False)),
    attributes=(_EXTRA_METRICS,
                Attribute("flagged_", MASK, "one bool per training row, the rows the method flagged (label "
                                            "cleaning): a cell records n_flagged, and in a pipeline n_flipped_flagged, "
                                            "the flagged rows among those the collective flipped")),
    transforms_train=True,
)
IN_STAGE = Stage(
    "in", "firm",
    "In-processing. The method trains its own predictor from the firm's learner.",
    (Call("fit", "(X, y, a, learner) -> self", TRAIN_LEARNER, SELF,
          "fitted on the training rows; learner is an unfitted copy of the firm's learner (clone it, never fit it "
          "in place)"),
     Call("predict", "(X, a) -> np.ndarray", EACH, PREDICTIONS, "one 0/1 label per validation and test row")),
    attributes=(_EXTRA_METRICS,),
)
POST_STAGE = Stage(
    "post", "firm",
    "Post-processing of the learner's probabilities of the favourable label.",
    (Call("fit", "(scores, y, a) -> self", TRAIN, SELF,
          "fitted on out-of-fold scores of the training rows (the learner never saw the row it scores)"),
     Call("predict", "(scores, a) -> np.ndarray", EACH, PREDICTIONS,
          "one 0/1 label per validation and test row, from the learner's scores on them")),
    attributes=(_EXTRA_METRICS,),
    on_scores=True,
)

#: Every stage, in pipeline order: the collective acts first, on the data it contributes.
STAGE_OBJECTS: dict[str, Stage] = {s.name: s for s in (LABELS_STAGE, PRE_STAGE, IN_STAGE, POST_STAGE)}
STAGES = tuple(STAGE_OBJECTS)
STAGE_SIDE = {s.name: s.side for s in STAGE_OBJECTS.values()}


def stage(name: str) -> Stage:
    return STAGE_OBJECTS[name]


def markdown() -> list[str]:
    """The stage protocol as markdown lines, for the generated reference in docs/plugins.md."""
    out = []
    for s in STAGE_OBJECTS.values():
        out += [f"#### `{s.name}` ({s.side} side)", "", s.text, ""]
        for c in s.calls:
            out.append(f"- `{c.name}{c.signature}`{'' if c.required else ' (optional)'}: {c.text}")
        for a in s.attributes:
            out.append(f"- attribute `{a.name}` (optional): {a.text}")
        out.append("")
    return out
