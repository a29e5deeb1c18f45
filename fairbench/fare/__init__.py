"""FARE (Jovanović et al., ICML 2023): fair tree cells plus a provable DP upper bound.

See docs/FARE.md.  ``FareTree`` builds the restricted encoder; the ``fare_certificate*``
functions bound the unfairness of any downstream classifier of its cells.
"""
from fairbench.fare.certificate import (
    certificate_details,
    clopper_pearson,
    fare_certificate,
    fare_certificate_eo,
    fare_certificate_eopp,
    plugin_tv,
)
from fairbench.fare.tree import (
    FareTree,
    categorical_orders,
    node_impurity,
    split_improvement,
)

__all__ = [
    "FareTree",
    "categorical_orders",
    "node_impurity",
    "split_improvement",
    "clopper_pearson",
    "plugin_tv",
    "fare_certificate",
    "fare_certificate_eo",
    "fare_certificate_eopp",
    "certificate_details",
]
