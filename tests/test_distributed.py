"""Cells computed on a Dask cluster (worker processes on loopback) equal a serial run."""
import pandas as pd
import pytest

from fairbench.errors import UserInputError
from fairbench.runner import compare

distributed = pytest.importorskip("distributed")

COLS = ["intervention", "seed", "knob_value", "error", "eqod", "sp", "n_flips", "status"]


def test_dask_cluster_gives_the_same_rows_as_serial(registry, tmp_path):
    kw = dict(registry=registry, dataset="toy-small", interventions=["random", "rb-prob", "rb-label"], seeds=2,
              budgets=[0, 10, 30], learner="logreg", write=False,
              cache=False)  # the Dask run computes every cell, not the serial run's from the cache
    serial = compare(output=tmp_path / "serial", jobs=1, **kw)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        remote = compare(output=tmp_path / "dask", executor="dask", scheduler=cluster.scheduler_address, **kw)
    pd.testing.assert_frame_equal(serial.cells[COLS], remote.cells[COLS])
    assert remote.computed == len(serial.cells)


def test_dask_without_scheduler_is_a_clear_error(registry, tmp_path):
    with pytest.raises(UserInputError, match="--scheduler"):
        compare(registry=registry, dataset="toy-small", interventions=["random"], seeds=1, budgets=[0, 5],
                learner="logreg", output=tmp_path, executor="dask", write=False)
