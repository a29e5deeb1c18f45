"""Small or lopsided data: refused before any work below the minimums (with the counts), a warning
line at the start when some test cell is small, and never an internal error."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fairbench import Dataset, DatasetSpec, hookimpl
from fairbench.cli import main
from fairbench.errors import DataError
from fairbench.group_sizes import MIN_TEST_ROWS, MIN_TRAIN_ROWS, WARN_TEST_ROWS, check_group_sizes
from fairbench.plugins import build_registry
from fairbench.prepared import prepare
from fairbench.runner import compare

FAST = dict(seeds=1, learner="logreg", tune=False, write=False, quiet=True)


def cells_data(train: tuple[int, int, int, int], test: tuple[int, int, int, int], seed: int = 0) -> Dataset:
    """Exactly ``train``/``test`` rows per (a, y) cell (order a0y0, a0y1, a1y0, a1y1), predefined split."""
    rng = np.random.default_rng(seed)
    a, y, is_test = [], [], []
    for counts, test_flag in ((train, False), (test, True)):
        for (g, label), n in zip(((0, 0), (0, 1), (1, 0), (1, 1)), counts):
            a += [g] * n
            y += [label] * n
            is_test += [test_flag] * n
    a, y = np.array(a), np.array(y)
    X = pd.DataFrame({"x0": rng.normal(y * 1.5 - 0.5 * a, 1.0), "x1": rng.normal(size=len(a)), "a": a})
    return Dataset(name="cells", X=X, a=a, y=y, is_test=np.array(is_test), sensitive_column="a")


def registry_for(data: Dataset):
    class Plugin:
        @hookimpl
        def fairbench_register_datasets(self, register):
            register(DatasetSpec(name="cells", loader=lambda **o: data, description="tiny cells", sensitive="a", protected="a=1",
                                 favourable="y=1", source="tests"))

    return build_registry(extra=(Plugin(),), entry_points=False)


AT_MINIMUM = (5, 5, 5, 5)  # each group and each label: exactly MIN_TRAIN_ROWS training rows
ENOUGH_TEST = (WARN_TEST_ROWS,) * 4


def test_minimums_are_what_the_cases_below_assume():
    assert (MIN_TRAIN_ROWS, MIN_TEST_ROWS, WARN_TEST_ROWS) == (10, 1, 20)


def test_at_the_minimum_runs_without_a_warning(tmp_path, capsys):
    data = cells_data(AT_MINIMUM, ENOUGH_TEST)
    assert check_group_sizes(prepare(data), [0]) is None
    result = compare("cells", interventions=["random", "rb-prob"], budgets=[0, 2], registry=registry_for(data),
                     output=tmp_path, **FAST)
    assert (result.cells["status"] == "ok").all() and result.warnings == []
    assert "warning" not in capsys.readouterr().err


@pytest.mark.parametrize("train", [(4, 5, 5, 5), (5, 5, 5, 4), (5, 4, 5, 5), (9, 0, 9, 10)],
                         ids=["group a=0 has 9", "group a=1 has 9", "label y=1 has 9", "group a=0 has 9, one label"])
def test_one_row_below_a_training_minimum_is_refused_with_the_counts(train, tmp_path):
    data = cells_data(train, ENOUGH_TEST)
    with pytest.raises(DataError) as info:
        compare("cells", interventions=["random"], budgets=[0], registry=registry_for(data), output=tmp_path, **FAST)
    message = str(info.value)
    assert "too small" in message
    counts = ", ".join(f"a={g},y={label}: {n}" for (g, label), n in zip(((0, 0), (0, 1), (1, 0), (1, 1)), train))
    assert f"train rows {counts}" in message
    assert f"at least {MIN_TRAIN_ROWS} train rows" in message
    assert not (tmp_path / "cells.sqlite").exists()  # refused before any work


def test_a_group_without_test_rows_is_refused_one_with_a_single_row_runs(tmp_path, capsys):
    with pytest.raises(DataError, match=r"test rows a=0,y=0: 20, a=0,y=1: 20, a=1,y=0: 0, a=1,y=1: 0.*at least 1 test row"):
        check_group_sizes(prepare(cells_data(AT_MINIMUM, (20, 20, 0, 0))), [0])
    data = cells_data(AT_MINIMUM, (20, 20, 0, 1))
    result = compare("cells", interventions=["random"], budgets=[0, 2], registry=registry_for(data), output=tmp_path,
                     **FAST)
    assert (result.cells["status"] == "ok").all()
    assert result.cells["eqod"].isna().all()  # TPR(a=1) is defined, FPR(a=1) is not: EqOd n/a, never 0
    (line,) = [l for l in capsys.readouterr().err.splitlines() if "warning" in l]
    assert "a=1,y=0: 0, a=1,y=1: 1" in line


@pytest.mark.parametrize("fewest,warned", [(WARN_TEST_ROWS - 1, True), (WARN_TEST_ROWS, False)])
def test_small_group_warning_at_its_threshold(fewest, warned, tmp_path, capsys):
    data = cells_data((30, 30, 12, 12), (40, 40, 30, fewest))
    registry = registry_for(data)
    code = _cli(registry, tmp_path, capsys)
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = [l for l in err.splitlines() if l.startswith("fairbench: warning")]
    if warned:
        assert len(lines) == 1
        assert f"a=1,y=1: {fewest}" in lines[0] and f"fewer than {WARN_TEST_ROWS}" in lines[0]
    else:
        assert lines == []


def _cli(registry, tmp_path, capsys, *extra):
    import fairbench.plugins
    import fairbench.runner

    old = fairbench.plugins.get_registry, fairbench.runner.get_registry
    fairbench.plugins.get_registry = fairbench.runner.get_registry = lambda: registry
    try:
        return main(["compare", "--dataset", "cells", "--interventions", "random", "--budgets", "0,2", "--seeds", "1",
                     "--learner", "logreg", "--no-tune", "--output", str(tmp_path / "out"), *extra])
    finally:
        fairbench.plugins.get_registry, fairbench.runner.get_registry = old


def test_warning_comes_before_the_run(tmp_path, capsys):
    """The warning is the first thing on stderr, ahead of the progress bar."""
    registry = registry_for(cells_data((30, 30, 12, 12), (40, 40, 30, 3)))
    assert _cli(registry, tmp_path, capsys) == 0
    err = capsys.readouterr().err
    assert err.startswith("fairbench: warning: dataset 'cells': few test rows"), err[:200]


@pytest.mark.parametrize("rows", [10, 24, 30])  # a=1 is a third: 10 rows leave 8 in train
def test_a_csv_of_a_few_dozen_rows_is_refused_in_one_line(tmp_path, capsys, rows):
    """10 rows used to end in 'internal error: ValueError: The test_size = 2 should be greater or equal ...'."""
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"x": rng.normal(size=rows), "a": np.resize([0, 0, 1], rows), "y": np.resize([0, 1], rows)})
    path = tmp_path / "small.csv"
    frame.to_csv(path, index=False)
    code = main(["compare", "--dataset", f"csv:{path}", "--output", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    (line,) = err.strip().splitlines()
    assert line.startswith("fairbench: error: dataset") and "is too small" in line
    assert "train rows a=0,y=0:" in line and "test rows a=0,y=0:" in line and f"at least {MIN_TRAIN_ROWS}" in line
    assert not (tmp_path / "out").exists()


def test_tiny_data_splits_without_scikit_learn_errors():
    """Too few rows for a stratified 80/20 split: an unstratified one, so the check can report counts."""
    data = prepare(cells_data((2, 2, 2, 2), (0, 0, 0, 0)).__class__(
        name="t", X=pd.DataFrame({"x": range(8)}), a=np.array([0, 0, 0, 0, 1, 1, 1, 1]), y=np.array([0, 1] * 4)))
    split = data.split(0)
    assert len(split.train) + len(split.test) == 8 and len(split.test) == 2
    with pytest.raises(DataError, match="too small"):
        check_group_sizes(data, [0])


def test_nothing_reaches_an_internal_error_at_the_minimum(tmp_path, capsys):
    """Every available intervention on data at the minimums: a result (cells may fail), exit 0 or 3."""
    registry = registry_for(cells_data(AT_MINIMUM, (3, 3, 2, 2)))
    code = _cli(registry, tmp_path, capsys, "--interventions", ",".join(
        n for n, iv in registry.interventions.items() if not registry.unavailable_reason(iv) and iv.in_default_run),
        "--quiet", "--jobs", "1")
    err = capsys.readouterr().err
    assert code in (0, 3), err
    assert "internal error" not in err and "Traceback" not in err
    assert (tmp_path / "out" / "cells.csv").exists()


def test_the_warning_is_printed_once_per_process_but_kept_in_every_result(tmp_path, capsys):
    """An experiment calls compare once per alpha or knowledge level: one warning line, not one per call."""
    registry = registry_for(cells_data((30, 30, 12, 12), (40, 40, 30, 4)))
    results = [compare("cells", interventions=["random"], budgets=[0, 2], registry=registry, output=tmp_path / str(i),
                       alpha=alpha, **FAST) for i, alpha in enumerate((0.3, 0.6))]
    lines = [l for l in capsys.readouterr().err.splitlines() if l.startswith("fairbench: warning")]
    assert len(lines) == 1 and "a=1,y=1: 4" in lines[0]
    assert all(len(r.warnings) == 1 for r in results)
