"""One set of rules for a valid declaration: the registry and the conformance kit agree on every case."""
from __future__ import annotations

import dataclasses

import pytest

from fairbench.contract import BASELINE, DatasetSpec, Intervention
from fairbench.hookspecs import hookimpl
from fairbench.plugins import build_registry
from fairbench.testing import ConformanceError, check_dataset_declaration, check_declaration


def _make(knob=None, random_state=0, **params):
    return None


GOOD_LABELS = Intervention(name="good-labels", stage="labels", knob="budget", grid=(), make=_make)
GOOD_FIRM = Intervention(name="good-firm", stage="post", knob="w", grid=(0.0, 1.0), make=_make)

INTERVENTIONS = {  # name -> (declaration, accepted?)
    "labels": (GOOD_LABELS, True),
    "firm": (GOOD_FIRM, True),
    "tuned labels": (dataclasses.replace(GOOD_LABELS, tune={"k": (5, 15)}), True),
    "baseline side on its own name": (dataclasses.replace(GOOD_FIRM, name=BASELINE, stage="pre", side="baseline"), True),
    "labels with a grid": (dataclasses.replace(GOOD_LABELS, grid=(1.0, 2.0)), False),
    "labels knob not budget": (dataclasses.replace(GOOD_LABELS, knob="m"), False),
    "duplicate grid values": (dataclasses.replace(GOOD_FIRM, grid=(1.0, 1.0)), False),
    "params not JSON": (dataclasses.replace(GOOD_FIRM, params={"learner": object()}), False),
    "empty grid": (dataclasses.replace(GOOD_FIRM, grid=()), False),
    "non-numeric grid": (dataclasses.replace(GOOD_FIRM, grid=("low",)), False),
    "unknown stage": (dataclasses.replace(GOOD_FIRM, stage="middle"), False),
    "name with a comma": (dataclasses.replace(GOOD_FIRM, name="a,b"), False),
    "side not the stage's": (dataclasses.replace(GOOD_FIRM, side="user"), False),
    "baseline side on another name": (dataclasses.replace(GOOD_FIRM, stage="pre", side="baseline"), False),
    "make not callable": (dataclasses.replace(GOOD_FIRM, make=3), False),
    "cost zero": (dataclasses.replace(GOOD_FIRM, cost=0), False),
    "cost text": (dataclasses.replace(GOOD_FIRM, cost="high"), False),
    "tune on a firm method": (dataclasses.replace(GOOD_FIRM, tune={"k": (1,)}), False),
    "requires not names": (dataclasses.replace(GOOD_FIRM, requires=("",)), False),
    "empty version": (dataclasses.replace(GOOD_FIRM, version=""), False),
}


def _load(drop_sensitive=False, **options):
    raise AssertionError("not called by a declaration check")


GOOD_DATASET = DatasetSpec(name="good-data", loader=_load, description="d", sensitive="s", protected="p",
                           favourable="f", source="made up")

DATASETS = {
    "good": (GOOD_DATASET, True),
    "unavailable with one line": (dataclasses.replace(GOOD_DATASET, availability=lambda: "put the file in DIR"), True),
    "csv prefix": (dataclasses.replace(GOOD_DATASET, name="csv:x"), False),
    "empty source": (dataclasses.replace(GOOD_DATASET, source=" "), False),
    "rows zero": (dataclasses.replace(GOOD_DATASET, rows=0), False),
    "loader without drop_sensitive": (dataclasses.replace(GOOD_DATASET, loader=lambda path: None), False),
    "availability of two lines": (dataclasses.replace(GOOD_DATASET, availability=lambda: "a\nb"), False),
    "availability raises": (dataclasses.replace(GOOD_DATASET, availability=lambda: 1 / 0), False),
}


def _registry_accepts(item) -> bool:
    kind = "interventions" if isinstance(item, Intervention) else "datasets"

    class Plugin:
        pass

    setattr(Plugin, f"fairbench_register_{kind}", hookimpl(lambda self, register: register(item)))
    registry = build_registry(builtins=(), extra=(Plugin(),), entry_points=False)
    return item.name in getattr(registry, kind) and not registry.problems


def _kit_accepts(item) -> bool:
    check = check_declaration if isinstance(item, Intervention) else check_dataset_declaration
    try:
        check(item)
    except ConformanceError:
        return False
    return True


@pytest.mark.parametrize("case", list(INTERVENTIONS) + [f"dataset: {c}" for c in DATASETS])
def test_registry_and_kit_accept_and_reject_the_same_declarations(case):
    item, accepted = DATASETS[case[len("dataset: "):]] if case.startswith("dataset: ") else INTERVENTIONS[case]
    assert _registry_accepts(item) is accepted
    assert _kit_accepts(item) is accepted
    assert bool(item.problems()) is not accepted


def test_a_rejection_names_the_first_problem_in_both():
    item = INTERVENTIONS["duplicate grid values"][0]
    problem = item.problems()[0]
    assert "repeats a value" in problem
    with pytest.raises(ConformanceError, match="repeats a value"):
        check_declaration(item)


def test_unavailable_reason_is_the_interventions_own():
    missing = dataclasses.replace(GOOD_FIRM, requires=("no_such_module_fairbench",), install_hint="pip install it")
    assert missing.unavailable_reason() == "good-firm needs no_such_module_fairbench: pip install it"
    assert GOOD_FIRM.unavailable_reason() is None
    assert build_registry(builtins=(), entry_points=False).unavailable_reason(missing) == missing.unavailable_reason()
