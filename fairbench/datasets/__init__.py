"""Built-in datasets: loaders returning :class:`fairbench.contract.Dataset`.

Every loader takes ``drop_sensitive`` (default False: the sensitive attribute is one of the firm's
features, as in Alghamdi et al. 2022) and ignores options it does not know.  See docs/datasets.md.
"""
from __future__ import annotations

from .acs import load_acs_employment, load_acs_income
from .csvfile import load_csv
from .hsls import load_hsls
from .synthetic import load_synthetic_4gmm
from .uci import load_adult, load_compas, load_german
from .waterbirds import load_waterbirds, load_waterbirds_pca

LOADERS = {
    "adult": load_adult,
    "compas": load_compas,
    "german": load_german,
    "synthetic-4gmm": load_synthetic_4gmm,
    "acs-employment": load_acs_employment,
    "acs-income": load_acs_income,
    "hsls": load_hsls,
    "waterbirds": load_waterbirds,
    "waterbirds-pca": load_waterbirds_pca,
    "csv": load_csv,
}

__all__ = ["LOADERS", *sorted(f.__name__ for f in LOADERS.values())]
