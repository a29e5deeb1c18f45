"""Cap the threads of the native libraries a learner uses, inside one worker process.

threadpoolctl only limits libraries that are already loaded, and scikit-learn loads its OpenMP
runtime lazily (with the first HistGradientBoosting fit). A limit entered before that is silently
ignored: two workers then run two OpenMP threads each on two cores, and OpenMP's spin-waiting made
an Adult fit 33x slower (0.66 s alone, 21.7 s beside a second such process; measured 2026-11-29).
JAX (holisticai's LFR) takes its thread count from XLA_FLAGS when it is first imported.
LightGBM brings a second OpenMP runtime (the system's libgomp, not scikit-learn's), loaded only
when it is imported: the learner's ``requires`` modules are therefore imported before the limit.
"""
from __future__ import annotations

import importlib
import os
from contextlib import contextmanager
from typing import Iterable

XLA_ONE_THREAD = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


@contextmanager
def limited_threads(threads: int, preload: Iterable[str] = ()):
    """Run the block with BLAS and OpenMP (and, if JAX is not imported yet, XLA) at ``threads``.

    ``preload`` names more modules whose native libraries the limit must reach (a learner's
    ``requires``); one that cannot be imported is left out (the learner reports it when built).
    """
    from threadpoolctl import threadpool_limits

    if threads == 1:  # before any preload: JAX reads it when first imported
        os.environ.setdefault("XLA_FLAGS", XLA_ONE_THREAD)
    for module in ("sklearn.utils._openmp_helpers", *preload):  # load each OpenMP runtime so the limit reaches it
        try:
            importlib.import_module(module)
        except ImportError:  # a scikit-learn without the module: the limit still covers BLAS
            pass
    with threadpool_limits(limits=threads):
        yield
