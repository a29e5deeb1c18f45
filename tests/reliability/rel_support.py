"""Helpers shared by the reliability suite: small data, one-off plugins and a CLI runner.

Kept in a uniquely named module (not conftest) so tests can import it directly.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from fairbench import DatasetSpec, Intervention, hookimpl
from fairbench.cli import main
from fairbench.contract import Dataset
from fairbench.plugins import build_registry

FAST = dict(seeds=1, learner="logreg", tune=False, write=False)
USER = ["random", "rb-prob", "rb-label", "rb-dist"]
OK_OR_UNDEFINED = ("ok",)


def frame(n: int = 400, p: int = 2, minority: float = 0.3, seed: int = 0) -> pd.DataFrame:
    """Features x0..x{p-1}, sensitive ``a`` (1 = protected) and label ``y``, with a group bias."""
    rng = np.random.default_rng(seed)
    a = (rng.random(n) < minority).astype(int)
    y = (rng.random(n) < np.where(a == 1, 0.35, 0.5)).astype(int)
    columns = {f"x{j}": rng.normal(y * (1.5 if j == 0 else 0.3) - 0.6 * a, 1.0) for j in range(p)}
    out = pd.DataFrame(columns)
    out["a"] = a
    out["y"] = y
    return out


def dataset(data: pd.DataFrame, name: str = "d", is_test=None, categorical=()) -> Dataset:
    """A Dataset from a frame with columns a, y and features (``a`` stays a feature, as by default)."""
    X = data.drop(columns=["y"])
    return Dataset(name=name, X=X, a=data["a"].to_numpy(), y=data["y"].to_numpy(), sensitive_column="a",
                   is_test=is_test, categorical=tuple(categorical))


class _Plugin:
    """A test-only plugin object registering the given datasets and interventions."""

    def __init__(self, name: str, datasets: dict, interventions: list):
        self.__name__ = name
        self._datasets = datasets
        self._interventions = interventions

    @hookimpl
    def fairbench_register_datasets(self, register):
        for name, ds in self._datasets.items():
            loader = ds if callable(ds) else (lambda ds=ds, **options: ds)
            register(DatasetSpec(name=name, loader=loader, description="test data", sensitive="a",
                                 protected="a=1", favourable="y=1", source="tests"))

    @hookimpl
    def fairbench_register_interventions(self, register):
        for iv in self._interventions:
            register(iv)


_counter = [0]


def registry_with(datasets: dict | None = None, interventions: list | None = None, entry_points: bool = False,
                  name: str | None = None):
    """A fresh registry: built-ins plus the given datasets (name -> Dataset or loader) and interventions.

    The plugin's name is part of every cell key: pass a fixed ``name`` when two registries must share cells.
    """
    _counter[0] += 1
    plugin = _Plugin(name or f"reliability-test-{_counter[0]}", datasets or {}, interventions or [])
    return build_registry(extra=(plugin,), entry_points=entry_points)


def intervention(name: str, stage: str, factory, grid=(0.0, 1.0), **kw) -> Intervention:
    """An Intervention whose ``make`` returns ``factory()`` for every cell."""
    grid = () if stage == "labels" else grid
    knob = "budget" if stage == "labels" else "w"
    return Intervention(name=name, stage=stage, knob=knob, grid=grid,
                        make=lambda knob=None, random_state=0, **params: factory(), **kw)


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, *needles: str, exit_code: int = 2) -> str:
    """The CLI failed with one readable 'fairbench: error:' line containing every needle, no traceback."""
    assert code == exit_code, (code, err)
    assert "Traceback" not in err, err
    lines = [line for line in err.strip().splitlines() if line.startswith("fairbench: error")]
    assert len(lines) == 1, err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def csv_args(path, out, *extra, interventions: str = "random,rb-label", budgets: str = "0,3") -> list[str]:
    return ["compare", "--dataset", f"csv:{path}", "--output", str(out), "--seeds", "1", "--interventions",
            interventions, "--budgets", budgets, "--learner", "logreg", "--quiet", "--jobs", "1", "--no-tune", *extra]


def assert_cells_sound(cells: pd.DataFrame) -> None:
    """Every ok cell has metrics in [0, 1] or NaN explained by a note; every failed cell a message."""
    for _, row in cells.iterrows():
        if row["status"] != "ok":
            assert isinstance(row["message"], str) and row["message"], row.to_dict()
            continue
        for col in ("error", "eqod", "eqod_max", "sp", "tpr_gap", "fpr_gap", "tpr_a0", "tpr_a1", "fpr_a0", "fpr_a1"):
            value = float(row[col])
            if np.isnan(value):
                assert col != "error", row.to_dict()
                assert isinstance(row.get("note"), str) and "undefined" in row["note"], (col, row.to_dict())
            else:
                assert 0.0 <= value <= 1.0, (col, value)
