"""fairbench: how far can a minority collective push a firm's model toward fairness by
relabeling its own data, and how does that compare with what the firm could do itself?

Public API: :func:`compare`, :func:`load_dataset`, :func:`get_registry` and the plugin types
(``Intervention``, ``DatasetSpec``, ``Metric``, ``Learner``).
Heavy dependencies load lazily, only when an intervention that needs them runs.
"""
from __future__ import annotations

__version__ = "0.1.0"

from fairbench.contract import CollectiveView, Dataset, DatasetSpec, Intervention, Learner  # noqa: E402
from fairbench.hookspecs import hookimpl  # noqa: E402
from fairbench.runner import CompareResult, compare  # noqa: E402  (the real signature for help(); loads no heavy dependency)
from fairbench.metrics import Metric  # noqa: E402


def load_dataset(name: str, **options) -> Dataset:
    """Load a registered dataset (``csv:PATH`` for bring-your-own data)."""
    from fairbench.runner import load

    return load(name, **options)


def get_registry():
    """Every registered intervention, dataset, metric and learner, with the plugins that provide them."""
    from fairbench.plugins import get_registry as _get

    return _get()


__all__ = [
    "CollectiveView", "CompareResult", "Dataset", "DatasetSpec", "Intervention", "Learner", "Metric", "compare",
    "get_registry", "hookimpl", "load_dataset", "__version__",
]
