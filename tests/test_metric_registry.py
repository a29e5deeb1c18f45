"""Metrics as a registry: declared once, registered through ``fairbench_register_metrics``, and
every column list, front, table header and axis label derived from them."""
from __future__ import annotations

import dataclasses
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fairbench.figures
from fairbench import Metric, hookimpl
from fairbench.errors import UserInputError
from fairbench.metrics import BUILTIN_METRICS, GroupRates, of_kind, summarised
from fairbench.pareto import fronts
from fairbench.export import fronts_table
from fairbench.runner import cell_columns, compare, validation_columns
from fairbench.testing import check_metric, checks_for, registered_by

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "plugins.md"
SMALL = dict(dataset="toy-small", seeds=2, learner="logreg", budgets=[0, 10, 40], jobs=1, tune=False)


def docs_example(tmp_path, monkeypatch):
    """The plugin module of docs/plugins.md's "Adding a metric", importable."""
    text = DOCS.read_text()
    (name, code), = re.findall(r"<!-- metric example: (\S+) -->\s*```python\n(.*?)```", text, re.S)
    package = tmp_path / name.split("/")[0]
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "plugin.py").write_text(code)
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib

    for mod in [m for m in sys.modules if m.startswith(package.name)]:
        sys.modules.pop(mod)
    return importlib.import_module(f"{package.name}.plugin")


@pytest.fixture
def labels(monkeypatch):
    """The y-axis labels of every figure drawn while the test runs."""
    seen = []
    real = fairbench.figures._finish

    def spy(plt, fig, ax, path, xlabel, ylabel, title):
        seen.append(ylabel)
        return real(plt, fig, ax, path, xlabel, ylabel, title)

    monkeypatch.setattr(fairbench.figures, "_finish", spy)
    return seen


def test_builtins_come_through_the_hook_and_every_metric_reaches_every_table_and_figure(registry, tmp_path, labels):
    """A metric in the registry but missing from cells.csv, fronts.csv, the table or a figure fails here."""
    metrics = tuple(registry.metrics.values())
    assert [m.name for m in metrics] == [m.name for m in BUILTIN_METRICS]
    assert {registry.metrics[m.name].plugin for m in BUILTIN_METRICS} == {"fairbench.metrics"}
    fairness = [m.name for m in of_kind("fairness", metrics)]
    assert fairness == ["eqod", "eqod_max", "sp", "eopp"]
    result = compare(registry=registry, output=tmp_path, interventions=["rb-prob"], fairness_metrics=fairness, **SMALL)
    cells = pd.read_csv(tmp_path / "cells.csv")
    for m in metrics:
        if m.compute is not None:
            assert m.name in cells and f"val_{m.name}" in cells, m.name
            assert m.name in cell_columns(metrics) and f"val_{m.name}" in validation_columns(metrics)
            assert cells[m.name].notna().all(), m.name
    stored = pd.read_csv(tmp_path / "fronts.csv")
    for m in summarised(metrics):
        if m.kind != "reported":  # dp_ub: only when an intervention reports it (test_fare)
            assert {f"{m.name}_mean", f"{m.name}_std"} <= set(stored.columns), m.name
    table = (tmp_path / "fronts.txt").read_text()
    for m in of_kind("fairness", metrics):
        assert f"front_{m.name}" in stored, m.name
        assert re.search(rf"\b{re.escape(m.header)}\b", table), m.header
        assert (tmp_path / f"fronts_{m.name}.png").exists() and (tmp_path / f"flips_{m.name}.png").exists()
        assert m.label in labels, m.label
    assert str(tmp_path / "fronts_eopp.png") in map(str, result.files)
    from fairbench.scoring import dataset_scores

    scores = dataset_scores([cells])  # the leaderboard's scores: a hypervolume per fairness metric
    for m in of_kind("fairness", metrics):
        assert scores[f"hv_{m.name}_mean"].notna().any(), m.name


def test_default_outputs_are_unchanged(registry, tmp_path):
    """Without --fairness-metric, the table and figures are the EqOd / SP ones they always were."""
    result = compare(registry=registry, output=tmp_path, interventions=["rb-prob"], **SMALL)
    header = result.table().splitlines()[0].split()
    assert header == ["intervention", "side", "knob", "error", "EqOd", "SP", "flips", "seeds", "front"]
    assert sorted(p.name for p in tmp_path.glob("*.png")) == ["flips_eqod.png", "flips_sp.png", "fronts_eqod.png",
                                                              "fronts_sp.png"]


def test_equal_opportunity_is_a_fairness_axis_of_fronts(registry):
    cells = pd.DataFrame({
        "intervention": "m", "side": "user", "stage": "labels", "knob": "budget", "knob_value": [0, 1, 2],
        "seed": 0, "status": "ok", "n_flips": [0, 1, 2], "error": [0.1, 0.2, 0.3], "eqod": [0.3, 0.2, 0.1],
        "eqod_max": 0.3, "sp": 0.2, "eopp": [0.1, 0.05, 0.2],
    })
    front = fronts(cells, tuple(registry.metrics.values()))
    assert list(front["front_eopp"]) == [True, True, False] and list(front["front_eqod"]) == [True, True, True]
    assert "EqOpp" in fronts_table(front, ["eopp"], tuple(registry.metrics.values())).splitlines()[0]


def test_unknown_fairness_metric_names_the_valid_ones(registry, tmp_path):
    with pytest.raises(UserInputError, match=r"unknown fairness metric 'tpr_a0'; valid fairness metrics: eopp, eqod, "):
        compare(registry=registry, output=tmp_path, interventions=["rb-prob"], fairness_metrics=["tpr_a0"], **SMALL)


def test_cli_fairness_metric_option(tmp_path, capsys, monkeypatch):
    from fairbench.cli import main

    code = main(["compare", "--dataset", "german", "--interventions", "random", "--seeds", "1", "--budgets", "0,20",
                 "--learner", "logreg", "--no-tune", "--jobs", "1", "--quiet", "--output", str(tmp_path),
                 "--fairness-metric", "eopp"])
    assert code == 0
    out = capsys.readouterr().out
    assert "EqOpp" in out.splitlines()[0] and "EqOd" not in out.splitlines()[0]
    assert (tmp_path / "fronts_eopp.png").exists() and not (tmp_path / "fronts_eqod.png").exists()


def test_docs_metric_example_registers_runs_and_passes_the_kit(registry_with, tmp_path, monkeypatch):
    plugin = docs_example(tmp_path / "src", monkeypatch)
    (metric,) = registered_by(plugin)
    assert metric.name == "accuracy_gap" and {r.status for r in check_metric(metric)} == {"passed"}
    registry = registry_with(plugin)
    result = compare(registry=registry, output=tmp_path / "out", interventions=["rb-prob"],
                     fairness_metrics=["accuracy_gap", "eqod"], **SMALL)
    assert {"accuracy_gap", "val_accuracy_gap"} <= set(result.cells.columns)
    assert {"accuracy_gap_mean", "front_accuracy_gap"} <= set(result.fronts.columns)
    assert "acc gap" in result.table().splitlines()[0]
    assert (tmp_path / "out" / "fronts_accuracy_gap.png").exists()
    y, p, a = np.array([1, 0, 1, 0]), np.array([1, 0, 0, 0]), np.array([0, 0, 1, 1])
    assert metric.compute(GroupRates(y, p, a)) == 0.5


GOOD = Metric("gap", "a gap", lambda r: r.tpr_gap)
DECLARATIONS = {
    "good": (GOOD, True),
    "reported, no compute": (dataclasses.replace(GOOD, compute=None, kind="reported"), True),
    "empty label": (dataclasses.replace(GOOD, label=""), False),
    "name not an identifier": (dataclasses.replace(GOOD, name="a gap"), False),
    "validation prefix": (dataclasses.replace(GOOD, name="val_gap"), False),
    "unknown kind": (dataclasses.replace(GOOD, kind="score"), False),
    "computed, no compute": (dataclasses.replace(GOOD, compute=None), False),
    "reported with compute": (dataclasses.replace(GOOD, kind="reported"), False),
    "compute not callable": (dataclasses.replace(GOOD, compute=0.5), False),
    "lower_is_better not bool": (dataclasses.replace(GOOD, lower_is_better="yes"), False),
    "a second error metric": (dataclasses.replace(GOOD, kind="error"), False),
}


@pytest.mark.parametrize("case", list(DECLARATIONS))
def test_registry_and_kit_agree_on_metric_declarations(case, registry_with):
    metric, valid = DECLARATIONS[case]

    class Plugin:
        @hookimpl
        def fairbench_register_metrics(self, register):
            register(metric)

    registry = registry_with(Plugin())
    assert ("gap" in registry.metrics or "a gap" in registry.metrics or "val_gap" in registry.metrics) == valid
    kit = {r.status for r in check_metric(metric, raise_on_failure=False) if r.rule == "check_metric_declaration"}
    assert kit == ({"passed"} if valid else {"failed"})


def test_kit_catches_a_metric_that_breaks_its_rules():
    def returns_inf(rates):
        return float("inf")

    def order_dependent(rates):
        return float(rates.y_pred[0])

    for compute in (returns_inf, order_dependent, lambda r: 1 / 0):
        (result,) = [r for r in check_metric(Metric("bad", "bad", compute), raise_on_failure=False)
                     if r.rule == "check_metric_values"]
        assert result.status == "failed", compute
    assert [c.__name__ for c in checks_for(GOOD)] == ["check_metric_declaration", "check_metric_values"]


@pytest.mark.parametrize("metric", BUILTIN_METRICS, ids=lambda m: m.name)
def test_builtin_metrics_pass_the_kit(metric):
    assert {r.status for r in check_metric(metric)} <= {"passed", "skipped"}
