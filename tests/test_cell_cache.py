"""The shared cell cache: a cell two runs ask for is computed once, and a cell whose identity
differs in anything that can change its numbers is never served from it."""
from __future__ import annotations

import numpy as np
import pytest

from fairbench import Intervention, hookimpl
from fairbench.runner import compare
from conftest import GroupThreshold, ToyDatasets, biased_data


def _compare(registry, output, cache, **kw):
    kw.setdefault("interventions", ["random", "group-threshold"])
    kw.setdefault("budgets", [0, 10, 40])
    return compare(dataset=kw.pop("dataset", "toy-small"), seeds=kw.pop("seeds", 2), learner="logreg", output=output,
                   registry=registry, tune=False, quiet=True, write=False, cache=cache, **kw)


class Threshold:
    """`group-threshold` at a given code version."""

    def __init__(self, version):
        self.version = version

    @hookimpl
    def fairbench_register_interventions(self, register):
        register(Intervention(name="group-threshold", side="firm", stage="post", knob="shift", grid=(0.0, 0.2),
                              version=self.version, make=lambda knob=0.0, random_state=0, **p: GroupThreshold(knob)))


class ShiftedToy:
    """A dataset called `toy-small` whose rows differ from the usual one (another checksum)."""

    @hookimpl
    def fairbench_register_datasets(self, register):
        from fairbench import DatasetSpec

        register(DatasetSpec(name="toy-small", loader=lambda **o: biased_data(n=300, seed=7, name="toy-small"),
                             description="synthetic biased data, another draw", sensitive="group", protected="a=1",
                             favourable="y=1", source="tests", rows=300))


@pytest.fixture
def registries():
    from fairbench.plugins import build_registry

    return {
        "base": build_registry(extra=(ToyDatasets(), Threshold("1")), entry_points=False),
        "version": build_registry(extra=(ToyDatasets(), Threshold("2")), entry_points=False),
        "data": build_registry(extra=(ShiftedToy(), Threshold("1")), entry_points=False),
    }


def test_a_second_run_elsewhere_takes_every_cell_from_the_cache(registries, tmp_path):
    first = _compare(registries["base"], tmp_path / "a", tmp_path / "cache")
    second = _compare(registries["base"], tmp_path / "b", tmp_path / "cache")
    assert first.computed == len(first.cells) and first.from_cache == 0
    assert second.computed == 0 and second.from_cache == len(second.cells)
    cols = [c for c in first.cells.columns if c not in ("fit_seconds", "method_seconds")]
    assert first.cells[cols].equals(second.cells[cols])
    # the second folder is self-contained: its own store holds every cell
    third = _compare(registries["base"], tmp_path / "b", False)
    assert third.computed == 0 and third.from_cache == 0


def test_no_cache_and_fresh_recompute(registries, tmp_path):
    _compare(registries["base"], tmp_path / "a", tmp_path / "cache")
    off = _compare(registries["base"], tmp_path / "b", False)
    assert off.computed == len(off.cells)
    fresh = _compare(registries["base"], tmp_path / "c", tmp_path / "cache", fresh=True)
    assert fresh.computed == len(fresh.cells) and fresh.from_cache == 0


@pytest.mark.parametrize("change", ["version", "protocol", "data", "learner_params", "options", "alpha"])
def test_a_change_of_identity_is_recomputed(registries, tmp_path, monkeypatch, change):
    """Each field that can change a cell's numbers, changed in turn, misses the cache."""
    base = _compare(registries["base"], tmp_path / "a", tmp_path / "cache", validation_fraction=0.2)
    registry, kw = registries["base"], {"validation_fraction": 0.2}
    if change == "version":
        registry = registries["version"]
    elif change == "protocol":
        kw["validation_fraction"] = 0.0
    elif change == "data":
        registry = registries["data"]
    elif change == "learner_params":
        from fairbench import learners

        real = learners.learner_params
        monkeypatch.setattr("fairbench.runner.learner_params", lambda name: {**real(name), "C": "0.5"})
    elif change == "options":
        kw["dataset_options"] = {"drop_sensitive": True}
    elif change == "alpha":
        kw["alpha"] = 0.5
    again = _compare(registry, tmp_path / "b", tmp_path / "cache", **kw)
    if change == "version":  # only group-threshold's cells carry its version
        changed = again.cells["intervention"] == "group-threshold"
        assert set(again.cells.loc[changed, "key"]).isdisjoint(base.cells["key"])
        assert again.computed == int(changed.sum())
    elif change == "alpha":  # the baseline and the firm method do not depend on the collective
        user = again.cells["side"] == "user"
        assert set(again.cells.loc[user, "key"]).isdisjoint(base.cells["key"])
        assert again.computed == int(user.sum())
    else:
        assert set(again.cells["key"]).isdisjoint(base.cells["key"])
        assert again.computed == len(again.cells) and again.from_cache == 0


def test_cache_rows_fill_from_a_folder_that_had_them_before(registries, tmp_path):
    """Cells a folder computed before the cache existed serve other runs after its next resume."""
    _compare(registries["base"], tmp_path / "a", False)
    resumed = _compare(registries["base"], tmp_path / "a", tmp_path / "cache")
    assert resumed.computed == 0
    elsewhere = _compare(registries["base"], tmp_path / "b", tmp_path / "cache")
    assert elsewhere.computed == 0 and elsewhere.from_cache == len(elsewhere.cells)


def test_the_cache_folder_comes_from_the_option_then_the_environment(monkeypatch, tmp_path):
    from fairbench.cache import cache_dir

    monkeypatch.setenv("FAIRBENCH_CACHE", str(tmp_path / "env"))
    assert cache_dir(None) == tmp_path / "env"
    assert cache_dir(tmp_path / "given") == tmp_path / "given"
    assert cache_dir(False) is None
    monkeypatch.setenv("FAIRBENCH_CACHE", "none")
    assert cache_dir(None) is None
    monkeypatch.delenv("FAIRBENCH_CACHE")
    assert cache_dir(None).name == "fairbench"


def test_a_cache_that_is_not_a_store_is_a_clear_error(registries, tmp_path):
    from fairbench.errors import DataError

    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "cells.sqlite").write_bytes(b"not a database" * 100)
    with pytest.raises(DataError, match="cells.sqlite"):
        _compare(registries["base"], tmp_path / "a", tmp_path / "cache")
    assert not (tmp_path / "a" / "cells.csv").exists()


def test_cli_no_cache_and_cache_conflict(tmp_path, capsys):
    from fairbench.cli import main

    code = main(["compare", "--dataset", "german", "--interventions", "random", "--seeds", "1",
                 "--cache", str(tmp_path), "--no-cache", "--output", str(tmp_path / "o")])
    assert code == 2
    assert "--cache and --no-cache" in capsys.readouterr().err


def test_concurrent_runs_share_the_cache(registries, tmp_path):
    """Two runs writing one cache at once (threads, each its own connection) lose nothing."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda d: _compare(registries["base"], tmp_path / d, tmp_path / "cache"), ["a", "b"]))
    later = _compare(registries["base"], tmp_path / "c", tmp_path / "cache")
    assert later.computed == 0
    assert np.array_equal(runs[0].cells["key"], runs[1].cells["key"])
