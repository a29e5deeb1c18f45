"""The stage objects (fairbench.stages) are the one statement of the call protocol: the harness and
the conformance kit both call a plugin through them, so each calls exactly the methods (and reads
exactly the attributes) its stage declares, no more and no fewer."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from fairbench import Intervention, hookimpl
from fairbench.runner import compare
from fairbench.stages import COLUMNS, FEATURES, LABELS, MASK, PREDICTIONS, SCORES, SELF, STAGE_OBJECTS
from fairbench.testing import check_intervention, trace

LOG: dict[str, list[str]] = {}


def recorder(stage_name: str, log: list[str]) -> type:
    """A class with every method and attribute the stage declares, each logging its name when used;
    asking for anything else is logged too (``probe:NAME``), so an undeclared call cannot hide."""
    stage = STAGE_OBJECTS[stage_name]

    class Recorder:
        def __getattr__(self, name):
            if not name.startswith("__"):
                log.append(f"probe:{name}")
            raise AttributeError(name)

    def method(name: str, gives: str):
        def call(self, *args):
            log.append(name)
            if gives == SELF:
                self.n = len(args[1])
                if len(args) == 4:
                    self.model = clone(args[3]).fit(args[0], args[1])
                return self
            if gives == SCORES:
                return np.linspace(0, 1, len(args[0].candidates))
            if gives == LABELS:
                return np.asarray(args[1]).copy()
            if gives == FEATURES:
                return np.asarray(args[0], dtype=float)
            if gives == PREDICTIONS:
                X = np.asarray(args[0])
                return self.__dict__["model"].predict(X) if "model" in self.__dict__ else (X >= 0.5).astype(int)
            if gives == COLUMNS:
                return {f"rec_{name}": 1.0}
            raise AssertionError(f"no recorded output for {gives!r}")
        return call

    def attribute(name: str, gives: str):
        def read(self):
            log.append(name)
            return np.arange(self.n) % 2 == 0 if gives == MASK else {f"rec_{name}": 2.0}
        return property(read)

    for c in stage.calls:
        setattr(Recorder, c.name, method(c.name, c.gives))
    for a in stage.attributes:
        setattr(Recorder, a.name, attribute(a.name, a.gives))
    return Recorder


def declared(stage_name: str) -> set[str]:
    stage = STAGE_OBJECTS[stage_name]
    return {*stage.methods, *(a.name for a in stage.attributes)}


def recording(stage_name: str) -> Intervention:
    log = LOG.setdefault(stage_name, [])
    cls = recorder(stage_name, log)
    if stage_name == "labels":
        return Intervention(name="rec-labels", stage="labels", knob="budget", grid=(),
                            make=lambda knob=None, random_state=0, **p: cls())
    return Intervention(name=f"rec-{stage_name}", stage=stage_name, knob="k", grid=(0.0,),
                        make=lambda knob=0.0, random_state=0, **p: cls())


class Recorders:
    @hookimpl
    def fairbench_register_interventions(self, register):
        for stage in STAGE_OBJECTS:
            register(recording(stage))


@pytest.fixture(scope="module")
def recorders(registry_with):
    return registry_with(Recorders())


@pytest.mark.parametrize("stage", list(STAGE_OBJECTS))
def test_harness_and_kit_call_exactly_what_the_stage_declares(recorders, tmp_path, stage):
    name = f"rec-{stage}"
    runs = [name] if stage == "labels" else [name, f"rec-labels+{name}"]
    log = LOG[stage]
    log.clear()
    result = compare("toy-small", interventions=runs, seeds=1, budgets=[0, 5], learner="logreg", tune=False, jobs=1,
                     registry=recorders, output=tmp_path, write=False)
    assert (result.cells["status"] == "ok").all(), result.cells[["intervention", "message"]]
    by_harness = set(log)
    log.clear()
    check_intervention(recorders.intervention(name), raise_on_failure=False)
    trace(recorders.intervention(name))
    by_kit = set(log)
    assert by_harness == declared(stage), f"the harness's calls differ from stage {stage!r}'s declaration"
    assert by_kit == declared(stage), f"the kit's calls differ from stage {stage!r}'s declaration"


def test_the_recording_plugin_passes_the_kit(recorders):
    for stage in STAGE_OBJECTS:
        results = check_intervention(recorders.intervention(f"rec-{stage}"), raise_on_failure=False)
        assert [r for r in results if r.status == "failed"] == [], stage


def test_every_optional_column_reaches_the_cell(recorders, tmp_path):
    cells = compare("toy-small", interventions=["rec-pre", "rec-labels+rec-pre"], seeds=1, budgets=[5],
                    learner="logreg", tune=False, jobs=1, registry=recorders, output=tmp_path, write=False).cells
    pre = cells[cells["intervention"] != "baseline"]
    assert (pre["rec_certify"] == 1.0).all() and (pre["rec_extra_metrics"] == 2.0).all()
    assert pre["n_flagged"].notna().all()
    assert pre.set_index("intervention").loc["rec-labels+rec-pre", "n_flipped_flagged"] >= 0
