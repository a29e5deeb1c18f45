"""Built-in datasets: loaders returning :class:`fairbench.contract.Dataset`.

Every loader takes ``drop_sensitive`` (default False: the sensitive attribute is one of the firm's
features, as in Alghamdi et al. 2022) and ignores options it does not know.  Which name loads which
is declared once, by the dataset plugin (:mod:`fairbench.datasets.plugin`).  See docs/datasets.md.
"""
from __future__ import annotations

from .acs import load_acs_employment, load_acs_income
from .csvfile import load_csv
from .hsls import load_hsls
from .synthetic import load_synthetic_4gmm
from .uci import load_adult, load_compas, load_german
from .waterbirds import load_waterbirds, load_waterbirds_pca

__all__ = ["load_acs_employment", "load_acs_income", "load_adult", "load_compas", "load_csv", "load_german",
           "load_hsls", "load_synthetic_4gmm", "load_waterbirds", "load_waterbirds_pca"]
