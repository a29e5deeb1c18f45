"""Shared fixtures: small synthetic data and registries with test-only plugins."""
from __future__ import annotations

import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
import sklearn.utils._openmp_helpers  # noqa: F401  load OpenMP first, so the limit below reaches it
from threadpoolctl import threadpool_limits

# One BLAS/OpenMP thread per test process: tiny fits are slower with more threads, and
# far slower when another process shares the cores (OpenMP spin-waits).
threadpool_limits(1)

from fairbench import DatasetSpec, Intervention, hookimpl
from fairbench.contract import Dataset
from fairbench.plugins import build_registry, get_registry


@pytest.fixture(autouse=True)
def one_worker_unless_asked(monkeypatch):
    """``compare``'s default is every core; in-process tests run one worker unless they pass ``jobs``,
    so that what a test monkeypatches stays in its process and shared cores are not oversubscribed.
    (tests/test_api_parity.py checks the real default.)"""
    monkeypatch.setattr("fairbench.runner.default_jobs", lambda: 1)


@pytest.fixture(autouse=True)
def own_cell_cache(monkeypatch, tmp_path):
    """Every test gets an empty shared cell cache of its own (the user's cache is never touched,
    and no test reuses another test's cells)."""
    monkeypatch.setenv("FAIRBENCH_CACHE", str(tmp_path / "fairbench-cache"))


def assert_written(result, *names):
    """An experiment wrote its common files, and its COMMAND.txt is the command of its .md."""
    for name in ("COMMAND.txt", f"{result.name}.csv", f"{result.name}.txt", f"{result.name}.md", *names):
        assert (result.output / name).exists(), name
    command = (result.output / "COMMAND.txt").read_text().strip()
    assert command == result.command and command.startswith(f"fairbench experiment {result.name}")
    assert command in (result.output / f"{result.name}.md").read_text()
    assert result.ok, result.failures


def biased_data(n: int = 1500, minority: float = 0.2, seed: int = 0, name: str = "toy") -> Dataset:
    """Two features; the minority's features are shifted so a learner under-predicts its y=1."""
    rng = np.random.default_rng(seed)
    a = (rng.random(n) < minority).astype(int)
    y = (rng.random(n) < np.where(a == 1, 0.35, 0.5)).astype(int)
    x1 = rng.normal(y * 1.5 - 0.6 * a, 1.0)
    x2 = rng.normal(-1.0 * a, 1.0)
    X = pd.DataFrame({"x1": x1, "x2": x2, "group": a})
    return Dataset(name=name, X=X, a=a, y=y, sensitive_column="group")


class ToyDatasets:
    """A test-only dataset plugin."""

    @hookimpl
    def fairbench_register_datasets(self, register):
        for name, n in (("toy", 1500), ("toy-small", 300)):
            register(DatasetSpec(name=name, loader=lambda n=n, name=name, **o: biased_data(n=n, name=name),
                                 description="synthetic biased data", sensitive="group", protected="a=1",
                                 favourable="y=1", source="tests", rows=n))


class GroupThreshold:
    """A test-only firm-side post-processor: a lower threshold for a=1 by the knob."""

    def __init__(self, shift):
        self.shift = shift

    def fit(self, scores, y, a):
        return self

    def predict(self, scores, a):
        return (np.asarray(scores) >= 0.5 - self.shift * np.asarray(a)).astype(int)


class FirmPlugin:
    """A test-only firm-side plugin: `group-threshold`, a post-processor with a `shift` knob."""

    @hookimpl
    def fairbench_register_interventions(self, register):
        register(Intervention(name="group-threshold", stage="post", knob="shift", grid=(0.0, 0.2),
                              make=lambda knob=0.0, random_state=0, **p: GroupThreshold(knob)))


@pytest.fixture(scope="session")
def registry_with():
    """``registry_with(*plugins)``: built-ins, the toy datasets and the given test-only plugins."""
    return lambda *plugins: build_registry(extra=(ToyDatasets(), *plugins), entry_points=False)


@pytest.fixture(scope="session")
def firm_registry(registry_with):
    """Built-ins plus the toy datasets and `group-threshold`, without installed third-party plugins."""
    return registry_with(FirmPlugin())


@pytest.fixture(scope="session")
def registry():
    return build_registry(extra=(ToyDatasets(),))


@pytest.fixture
def site(tmp_path, monkeypatch):
    """Install throwaway distributions: ``site(dist, entry_name, source)``; modules are forgotten afterwards.

    Each is a ``*.dist-info`` folder with an ``entry_points.txt`` and a module, in a temporary
    directory put on ``sys.path``: discovery goes through ``importlib.metadata`` as for an
    installed package."""
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    modules = []

    def install(dist: str, entry: str, source: str, version: str = "1.2.3") -> str:
        module = f"fbtest_{dist.replace('-', '_')}"
        (root / f"{module}.py").write_text(textwrap.dedent(source))
        info = root / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        (info / "entry_points.txt").write_text(f"[fairbench]\n{entry} = {module}\n")
        modules.append(module)
        return module

    yield install
    for module in modules:
        sys.modules.pop(module, None)


@pytest.fixture
def fresh_cli_registry():
    """The CLI's cached registry, rebuilt for this test and after it."""
    get_registry.cache_clear()
    yield
    get_registry.cache_clear()
