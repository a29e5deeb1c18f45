"""Worker thread caps reach OpenMP even when scikit-learn has not loaded it yet."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

PROBE = """
import os
from fairbench.threads import limited_threads
from threadpoolctl import threadpool_info
with limited_threads(1):
    inside = {i["internal_api"]: i["num_threads"] for i in threadpool_info()}
    from sklearn.ensemble import HistGradientBoostingClassifier  # the first fit's import, inside the block
    inside_after = {i["internal_api"]: i["num_threads"] for i in threadpool_info()}
print(inside.get("openmp"), inside_after.get("openmp"), os.environ.get("XLA_FLAGS"))
"""


def test_a_fresh_process_is_capped_at_one_openmp_thread():
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "XLA_FLAGS")}
    probe = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, env=env)
    openmp, openmp_after, xla = probe.stdout.split(maxsplit=2)
    assert openmp == "1" and openmp_after == "1"
    assert "intra_op_parallelism_threads=1" in xla


# Threads the OpenMP runtime adds while the learner fits (libgomp keeps its pool alive afterwards),
# with the cap the runner applies to a worker (``runner._run_limited``) and without any cap.
LEARNER_PROBE = """
import os, sys
import numpy as np
from fairbench.learners import learner_spec, make_learner
from fairbench.threads import limited_threads
name, capped = sys.argv[1], sys.argv[2] == "capped"
rng = np.random.default_rng(0)
X = rng.normal(size=(500, 4))
y = (X[:, 0] + rng.normal(size=500) > 0).astype(int)
def threads():
    return len(os.listdir("/proc/self/task"))
if capped:
    with limited_threads(1, preload=learner_spec(name).requires):
        model = make_learner(name, 0)
        before = threads()
        proba = model.fit(X, y).predict_proba(X)
        after = threads()
else:
    import sklearn.utils._openmp_helpers, importlib
    for module in learner_spec(name).requires:
        importlib.import_module(module)
    model = make_learner(name, 0)
    before = threads()
    proba = model.fit(X, y).predict_proba(X)
    after = threads()
print(after - before)
"""


@pytest.mark.parametrize("name", ["lightgbm", "xgboost"])
def test_lightgbm_and_xgboost_obey_the_workers_thread_cap(name):
    """Both bring OpenMP; LightGBM's default n_jobs would count the cores and ignore the cap (the
    declaration sets n_jobs=0, OpenMP's setting), and its libgomp loads only with lightgbm, which the
    cap therefore imports first.  Uncapped, the same fit starts extra threads: the count can see them."""
    pytest.importorskip(name)
    if not os.path.isdir("/proc/self/task"):
        pytest.skip("counts threads in /proc (Linux)")
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "XLA_FLAGS")}

    def added(mode: str) -> int:
        run = subprocess.run([sys.executable, "-c", LEARNER_PROBE, name, mode], capture_output=True, text=True,
                             check=True, env=env)
        return int(run.stdout.split()[-1])

    assert added("capped") == 0
    if (os.cpu_count() or 1) >= 2:
        assert added("uncapped") >= 1


@pytest.mark.parametrize("name", ["lightgbm", "xgboost"])
def test_predictions_do_not_depend_on_the_thread_count(name):
    """A run's cells must not depend on --jobs, which sets each worker's thread cap."""
    pytest.importorskip(name)
    from fairbench.learners import learner_spec, make_learner
    from fairbench.threads import limited_threads

    rng = np.random.default_rng(1)
    X = rng.normal(size=(2000, 6))
    X[rng.random(X.shape) < 0.05] = np.nan
    y = (X[:, 0] + np.nan_to_num(X[:, 1] * X[:, 2]) + rng.normal(size=2000) > 0).astype(int)
    out = []
    for threads in (1, 2):
        with limited_threads(threads, preload=learner_spec(name).requires):
            out.append(make_learner(name, 0).fit(X, y).predict_proba(X))
    np.testing.assert_array_equal(out[0], out[1])
