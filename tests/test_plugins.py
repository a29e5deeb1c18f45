"""Plugin loading and failure isolation, the relabel contract, and docs/plugins.md against the code.

Third-party plugins are simulated with real distributions (the ``site`` fixture of conftest.py), so
discovery goes through ``importlib.metadata`` exactly as for an installed package.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fairbench import DatasetSpec, Intervention, hookimpl
from fairbench.cli import EXIT_FAILED_CELLS, main, summarize
from fairbench.plugins import LOAD_ENV, build_registry, get_registry
from fairbench.runner import compare
from fairbench.store import ResultStore
from fairbench.testing import hooks_markdown, kit_dataset, registered_by

ROOT = Path(__file__).resolve().parents[1]
COLLECTIVE = "fairbench.interventions.collective"

GOOD = '''
import numpy as np
from fairbench import DatasetSpec, Intervention, hookimpl
from fairbench.testing import kit_dataset

class Zero:
    def score(self, view):
        return np.zeros(len(view.candidates))

class Boom:
    def fit(self, X, y, a):
        raise ValueError("boom in fit\\nsecond line is not shown")
    def transform(self, X, a):
        return X

@hookimpl
def fairbench_register_interventions(register):
    register(Intervention(name="zero", stage="labels", knob="budget", grid=(), make=lambda k=None, rs=0, **p: Zero()))
    register(Intervention(name="boom", stage="pre", knob="w", grid=(1.0, 2.0), make=lambda k=None, rs=0, **p: Boom()))

@hookimpl
def fairbench_register_datasets(register):
    register(DatasetSpec(name="tiny", loader=lambda **o: kit_dataset(n=300), description="kit data", sensitive="group",
                         protected="a=1", favourable="y=1", source="tests"))
'''


# --- loading ----------------------------------------------------------------------------------

def test_broken_plugin_is_reported_by_name_and_skipped(site, monkeypatch):
    site("fb-broken", "broken", "raise ImportError('needs libfoo, which is not installed')\n")
    site("fb-good", "good", GOOD)
    monkeypatch.setenv(LOAD_ENV, "broken,good")
    registry = build_registry()
    assert registry.problems == [
        "plugin 'broken' (fb-broken) failed to load and was skipped: ImportError: needs libfoo, which is not installed"]
    assert "broken" not in registry.plugins
    assert {"zero", "boom", "rb-prob"} <= set(registry.interventions) and "tiny" in registry.datasets
    good = registry.plugins["good"]
    assert (good.source, good.version, good.interventions, good.datasets) == ("fb-good", "1.2.3", ["zero", "boom"], ["tiny"])


def test_cli_plugins_lists_versions_and_reports_the_broken_one(site, monkeypatch, capsys, fresh_cli_registry):
    site("fb-broken", "broken", "import no_such_module_for_fairbench\n")
    site("fb-good", "good", GOOD)
    monkeypatch.setenv(LOAD_ENV, "broken,good")
    for argv in (["plugins"], ["list", "--plugins"]):
        assert main(argv) == 0
        out, err = capsys.readouterr()
        row = next(line for line in out.splitlines() if line.startswith("good "))
        assert re.search(r"good\s+fb-good\s+1\.2\.3\s+zero, boom\s+tiny", row), row
        assert re.search(rf"{re.escape(COLLECTIVE)}\s+builtin", out)
        assert "problem: plugin 'broken' (fb-broken) failed to load and was skipped: ModuleNotFoundError" in err


def test_list_shows_which_plugin_provides_what(site, monkeypatch, capsys, fresh_cli_registry):
    site("fb-good", "good", GOOD)
    monkeypatch.setenv(LOAD_ENV, "good")
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^zero\s+user\s+labels\s+budget\s+yes\s+good\s+yes", out, re.M)
    assert re.search(r"^tiny\s+.*\bgood\s+yes", out, re.M)


def test_empty_env_var_disables_autoloading_and_names_select(site, monkeypatch):
    site("fb-good", "good", GOOD)
    site("fb-other", "other", "raise RuntimeError('must not be imported')\n")
    monkeypatch.setenv(LOAD_ENV, "")
    registry = build_registry()
    assert "zero" not in registry.interventions and not registry.problems
    assert set(registry.plugins) == set(build_registry(entry_points=False).plugins)  # built-ins only
    monkeypatch.setenv(LOAD_ENV, " good ")
    registry = build_registry()
    assert "zero" in registry.interventions and "other" not in registry.plugins and not registry.problems
    monkeypatch.delenv(LOAD_ENV)
    registry = build_registry()
    assert "good" in registry.plugins and any("'other' (fb-other)" in p for p in registry.problems)


def test_name_taken_by_a_builtin_is_rejected_naming_both_plugins(site, monkeypatch):
    site("fb-dup", "dup", '''
        import numpy as np
        from fairbench import Intervention, hookimpl

        class Zero:
            def score(self, view):
                return np.zeros(len(view.candidates))

        @hookimpl
        def fairbench_register_interventions(register):
            register(Intervention(name="fresh-name", stage="labels", knob="budget", grid=(), make=lambda *a, **k: Zero()))
            register(Intervention(name="rb-prob", stage="labels", knob="budget", grid=(), make=lambda *a, **k: Zero()))
        ''')
    monkeypatch.setenv(LOAD_ENV, "dup")
    registry = build_registry()
    assert registry.problems == [
        f"plugin 'dup' registers intervention 'rb-prob', already provided by plugin '{COLLECTIVE}'; "
        "plugin 'dup''s interventions were rejected"]
    assert registry.interventions["rb-prob"].plugin == COLLECTIVE
    assert "fresh-name" not in registry.interventions  # all or nothing: no half-registered plugin
    assert registry.plugins["dup"].interventions == []


class Datasets:
    def __init__(self, *names):
        self.names = names

    @hookimpl
    def fairbench_register_datasets(self, register):
        for name in self.names:
            register(DatasetSpec(name=name, loader=lambda **o: kit_dataset(), description="d", sensitive="group",
                                 protected="a=1", favourable="y=1", source="tests"))


class FirstPlugin(Datasets):
    pass


class SecondPlugin(Datasets):
    pass


def test_two_third_party_plugins_clash_and_the_second_is_rejected():
    registry = build_registry(extra=(FirstPlugin("shared", "one"), SecondPlugin("shared", "two")), entry_points=False)
    assert registry.problems == ["plugin 'SecondPlugin' registers dataset 'shared', already provided by plugin "
                                 "'FirstPlugin'; plugin 'SecondPlugin''s datasets were rejected"]
    assert registry.datasets["shared"].plugin == "FirstPlugin" and "two" not in registry.datasets


def test_same_name_twice_in_one_plugin_and_builtin_dataset_names_are_rejected():
    registry = build_registry(extra=(FirstPlugin("twice", "twice"), SecondPlugin("adult")), entry_points=False)
    assert any("dataset 'twice', already provided by plugin 'FirstPlugin'" in p for p in registry.problems)
    assert any("dataset 'adult', already provided by plugin 'fairbench.datasets.plugin'" in p for p in registry.problems)
    assert registry.datasets["adult"].plugin == "fairbench.datasets.plugin"


def test_plugin_raising_or_registering_garbage_while_registering_is_isolated():
    class Raises:
        @hookimpl
        def fairbench_register_interventions(self, register):
            raise KeyError("config")

    class Garbage:
        @hookimpl
        def fairbench_register_interventions(self, register):
            register({"name": "dict-is-not-an-intervention"})

    class BadStage:
        @hookimpl
        def fairbench_register_interventions(self, register):
            register(Intervention(name="mid", stage="middle", knob="w", grid=(1.0,), make=lambda *a, **k: None))

    class BadCost:
        @hookimpl
        def fairbench_register_interventions(self, register):
            register(Intervention(name="pricey", stage="post", knob="w", grid=(1.0,), make=lambda *a, **k: None,
                                  cost="high"))

    registry = build_registry(extra=(Raises(), Garbage(), BadStage(), BadCost()), entry_points=False)
    assert registry.problems == [
        "plugin 'Raises' failed while registering interventions: KeyError: 'config'",
        "plugin 'Garbage' registered dict, expected fairbench.Intervention",
        "plugin 'BadStage': intervention 'mid': stage 'middle' is not one of labels, pre, in, post",
        "plugin 'BadCost': intervention 'pricey': cost 'high' must be a positive number (a cell's rough price "
        "in learner fits, default 1)",
    ]
    assert "rb-prob" in registry.interventions


def test_registering_the_same_local_plugin_twice_is_reported_not_raised():
    plugin = FirstPlugin("x")
    registry = build_registry(extra=(plugin, plugin), entry_points=False)
    assert any("'FirstPlugin' (local) could not be registered" in p for p in registry.problems)
    assert registry.datasets["x"].plugin == "FirstPlugin"


def test_registered_by_rejects_a_plugin_the_registry_rejects():
    from fairbench.testing import ConformanceError

    with pytest.raises(ConformanceError, match="check_registration.*already provided by plugin 'fairbench.datasets.plugin'"):
        registered_by(SecondPlugin("adult"))
    with pytest.raises(ConformanceError, match="no installed plugin named 'not-installed'"):
        registered_by("not-installed")


# --- failures inside plugin code during a run -----------------------------------------------

class Faulty:
    """One healthy strategy and three broken methods, one per stage that can break."""

    @hookimpl
    def fairbench_register_interventions(self, register):
        class Zero:
            def score(self, view):
                return np.zeros(len(view.candidates))

        class ScoreRaises:
            def score(self, view):
                raise RuntimeError("scorer exploded\nand a traceback-ish second line")

        class FitRaises:
            def fit(self, X, y, a):
                raise ValueError("bad fit")

            def transform(self, X, a):
                return X

        def make_fails(knob, random_state, **params):
            raise TypeError("unexpected knob")

        register(Intervention(name="zero", stage="labels", knob="budget", grid=(), make=lambda *a, **k: Zero()))
        register(Intervention(name="score-raises", stage="labels", knob="budget", grid=(), make=lambda *a, **k: ScoreRaises()))
        register(Intervention(name="fit-raises", stage="pre", knob="w", grid=(1.0, 2.0), make=lambda *a, **k: FitRaises()))
        register(Intervention(name="make-raises", stage="in", knob="w", grid=(1.0,), make=make_fails))

    @hookimpl
    def fairbench_register_datasets(self, register):
        register(DatasetSpec(name="kit", loader=lambda **o: kit_dataset(n=300), description="kit data",
                             sensitive="group", protected="a=1", favourable="y=1", source="tests"))


def test_exception_in_a_plugin_fails_only_its_cells_and_everything_is_saved(tmp_path, capsys):
    registry = build_registry(extra=(Faulty(),), entry_points=False)
    result = compare(dataset="kit", interventions=["zero", "score-raises", "fit-raises", "make-raises"], seeds=1,
                     budgets=[0, 5], learner="logreg", output=tmp_path, registry=registry, write=False)
    cells = result.cells.set_index("intervention")
    assert (cells.loc[["baseline", "zero"], "status"] == "ok").all()
    assert cells.loc["score-raises", "status"].tolist() == ["error", "error"]
    assert set(cells.loc["score-raises", "message"]) == {"RuntimeError: scorer exploded"}
    assert cells.loc["fit-raises", "message"].tolist() == ["ValueError: bad fit"] * 2
    assert cells.loc["make-raises", "message"].startswith("intervention 'make-raises' (plugin 'Faulty') failed to build")
    assert (cells["plugin"].loc[["zero", "fit-raises"]] == "Faulty").all()
    store = ResultStore(tmp_path)
    try:
        saved = store.rows()
    finally:
        store.close()
    assert len(saved) == len(result.cells) == 1 + 2 + 2 + 2 + 1  # every cell is in the store, failed ones too
    assert sorted(result.failures) == ["fit-raises: 2 cell(s) ValueError: bad fit",
                                       "make-raises: 1 cell(s) intervention 'make-raises' (plugin 'Faulty') failed to build: TypeError: unexpected knob",
                                       "score-raises: 2 cell(s) RuntimeError: scorer exploded"]
    capsys.readouterr()
    assert summarize(result) == EXIT_FAILED_CELLS
    err = capsys.readouterr().err
    assert "failed: fit-raises: 2 cell(s) ValueError: bad fit" in err and "failed: score-raises" in err


def test_fairbench_compare_exits_3_when_a_plugin_fails(site, monkeypatch, capsys, tmp_path, fresh_cli_registry):
    site("fb-good", "good", GOOD)
    site("fb-broken", "broken", "raise ImportError('half-installed')\n")
    monkeypatch.setenv(LOAD_ENV, "good,broken")
    code = main(["compare", "--dataset", "tiny", "--interventions", "zero,boom", "--seeds", "1", "--budgets", "0,5",
                 "--learner", "logreg", "--jobs", "1", "--quiet", "--output", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == EXIT_FAILED_CELLS == 3
    assert "failed: boom: 2 cell(s) ValueError: boom in fit" in err and "second line" not in err
    assert "problem: plugin 'broken' (fb-broken) failed to load and was skipped" in err
    assert err.index("problem: plugin 'broken'") < err.index("failed: boom")  # reported at startup, before the run
    saved = pd.read_csv(tmp_path / "cells.csv")
    assert (saved[saved.intervention == "zero"].status == "ok").all() and len(saved[saved.intervention == "zero"]) == 2


# --- the relabel contract (label-changing pre-processing) --------------------------------------

class Relabelers:
    @hookimpl
    def fairbench_register_interventions(self, register):
        class AllFavourable:
            def fit(self, X, y, a):
                return self

            def relabel(self, X, y, a):
                return np.ones_like(y)

            def transform(self, X, a):
                return X

        class NotBinary(AllFavourable):
            def relabel(self, X, y, a):
                return y * 2

        register(Intervention(name="all-favourable", stage="pre", knob="w", grid=(1.0,), make=lambda *a, **k: AllFavourable()))
        register(Intervention(name="not-binary", stage="pre", knob="w", grid=(1.0,), make=lambda *a, **k: NotBinary()))


def test_harness_trains_on_relabeled_training_labels_and_counts_flips(tmp_path):
    registry = build_registry(extra=(Faulty(), Relabelers()), entry_points=False)
    result = compare(dataset="kit", interventions=["all-favourable", "not-binary"], seeds=1, learner="logreg",
                     output=tmp_path, registry=registry, write=False)
    cells = result.cells.set_index("intervention")
    ok = cells.loc["all-favourable"]
    data = kit_dataset(n=300)
    from fairbench.prepared import prepare

    from fairbench.runner import DEFAULT_VALIDATION_FRACTION

    split = prepare(data).split(0, DEFAULT_VALIDATION_FRACTION)  # relabel sees training rows only
    assert ok["status"] == "ok" and ok["n_flips"] == int((data.y[split.train] == 0).sum())
    assert ok["error"] == pytest.approx(1 - data.y[split.test].mean())  # a learner fit on all-ones predicts 1
    assert ok["sp"] == 0
    bad = cells.loc["not-binary"]
    assert bad["status"] == "error" and "relabel" in bad["message"] and "0/1" in bad["message"]


# --- docs/plugins.md ------------------------------------------------------------------------

DOCS = ROOT / "docs" / "plugins.md"


def test_docs_hook_reference_is_generated_from_hookspecs():
    text = DOCS.read_text()
    assert hooks_markdown() in text, ("docs/plugins.md's hook reference is out of date; regenerate it with "
                                      "`python -m fairbench.testing --hooks-markdown` and paste it between the markers")


def test_docs_name_every_hook_env_var_and_command():
    import fairbench.hookspecs as hookspecs

    text = DOCS.read_text()
    hooks = [n for n in dir(hookspecs) if n.startswith("fairbench_")]
    assert hooks and all(f"`{h}" in text for h in hooks)
    for needle in (LOAD_ENV, "FAIRBENCH_SLOW_CHECKS", "fairbench plugins", "parametrize_with_checks", "check_intervention",
                   "--trace", "[project.entry-points.fairbench]", "relabel"):
        assert needle in text, needle


def test_docs_tutorial_plugin_runs_and_passes_the_kit(tmp_path, monkeypatch):
    """The tutorial's plugin.py, pyproject entry point and test file, taken from the docs and run."""
    text = DOCS.read_text()
    blocks = dict(re.findall(r"<!-- tutorial: (\S+) -->\s*```\w*\n(.*?)```", text, re.S))
    assert set(blocks) >= {"fairbench_centroid/plugin.py", "pyproject.toml", "tests/test_centroid.py"}
    assert '[project.entry-points.fairbench]\ncentroid = "fairbench_centroid.plugin"' in blocks["pyproject.toml"]
    package = tmp_path / "fairbench_centroid"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "plugin.py").write_text(blocks["fairbench_centroid/plugin.py"])
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        import fairbench_centroid.plugin as tutorial
        from fairbench.testing import check_intervention

        (iv,) = registered_by(tutorial)
        assert iv.name == "centroid" and {r.status for r in check_intervention(iv)} == {"passed"}
        namespace: dict = {}
        exec(compile(blocks["tests/test_centroid.py"], "test_centroid.py", "exec"), namespace)
        params = namespace["test_conformance"].pytestmark[0].args[1]
        for param in params:
            namespace["test_conformance"](*param.values)
    finally:
        for name in [m for m in sys.modules if m.startswith("fairbench_centroid")]:
            sys.modules.pop(name)
