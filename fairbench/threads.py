"""Cap the threads of the native libraries a learner uses, inside one worker process.

threadpoolctl only limits libraries that are already loaded, and scikit-learn loads its OpenMP
runtime lazily (with the first HistGradientBoosting fit). A limit entered before that is silently
ignored: two workers then run two OpenMP threads each on two cores, and OpenMP's spin-waiting made
an Adult fit 33x slower (0.66 s alone, 21.7 s beside a second such process; measured 2026-11-29).
JAX (holisticai's LFR) takes its thread count from XLA_FLAGS when it is first imported.
"""
from __future__ import annotations

import os
from contextlib import contextmanager

XLA_ONE_THREAD = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


@contextmanager
def limited_threads(threads: int):
    """Run the block with BLAS and OpenMP (and, if JAX is not imported yet, XLA) at ``threads``."""
    from threadpoolctl import threadpool_limits

    try:
        import sklearn.utils._openmp_helpers  # noqa: F401  loads the OpenMP runtime so the limit reaches it
    except ImportError:  # pragma: no cover - a scikit-learn without the module: the limit still covers BLAS
        pass
    if threads == 1:
        os.environ.setdefault("XLA_FLAGS", XLA_ONE_THREAD)
    with threadpool_limits(limits=threads):
        yield
