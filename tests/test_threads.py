"""Worker thread caps reach OpenMP even when scikit-learn has not loaded it yet."""
from __future__ import annotations

import os
import subprocess
import sys

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
