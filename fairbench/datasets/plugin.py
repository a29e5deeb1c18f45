"""Built-in datasets, registered through the same hook as third-party plugins."""
from __future__ import annotations

from fairbench.contract import DatasetSpec
from fairbench.hookspecs import hookimpl

from . import acs, hsls, waterbirds
from .csvfile import load_csv
from .synthetic import load_synthetic_4gmm
from .uci import load_adult, load_compas, load_german


def builtin_specs() -> list[DatasetSpec]:
    """One spec per built-in dataset (``rows`` = rows after preparation with default options)."""
    return [
        DatasetSpec(
            name="adult", loader=load_adult,
            description="UCI Adult income, Alghamdi et al. 2022 preparation, race White vs Black",
            sensitive="race", protected="Black", favourable="income >50K",
            source="UCI Adult (Kohavi & Becker 1996), vendored", rows=46447),
        DatasetSpec(
            name="compas", loader=load_compas,
            description="ProPublica COMPAS recidivism, Alghamdi et al. 2022 preparation",
            sensitive="race", protected="African-American", favourable="no recidivism (is_recid == 0)",
            source="ProPublica compas-scores-two-years.csv, vendored", rows=5278),
        DatasetSpec(
            name="german", loader=load_german,
            description="UCI Statlog German credit (not in the paper); sensitive=age for age <= 25",
            sensitive="sex", protected="female", favourable="good credit",
            source="UCI Statlog German Credit (Hofmann 1994), vendored", rows=1000),
        DatasetSpec(
            name="synthetic-4gmm", loader=load_synthetic_4gmm,
            description="2-D four-Gaussian mixture of Proposition 2 / Figure 6 (options n, minority_fraction, "
                        "mu, psi, sigma, seed)",
            sensitive="a", protected="minority component (a=1)", favourable="y=1 (positive class)",
            source="generated", rows=4000),
        DatasetSpec(
            name="acs-employment", loader=acs.load_acs_employment,
            description="folktables ACSEmployment, Massachusetts 2018 (vendored real PUMS extract; year=2015..2018|all, "
                        "or a PUMS CSV via data_dir)",
            sensitive="race (RAC1P)", protected="not White alone", favourable="employed",
            source="ACS PUMS via nannyml 0.13.1 (vendored) or census PUMS", rows=70131),
        DatasetSpec(
            name="acs-income", loader=acs.load_acs_income,
            description="folktables ACSIncome, California 2018 from a PUMS person CSV (options state, year)",
            sensitive="race (RAC1P)", protected="not White alone", favourable="income > $50,000",
            source="ACS PUMS 1-Year person file (user-supplied) or folktables", rows=195665,
            availability=acs.income_availability),
        DatasetSpec(
            name="hsls", loader=hsls.load_hsls,
            description="HSLS:09 9th-grade math, Alghamdi et al. 2022 k-NN-imputed table (user-supplied CSV)",
            sensitive="race", protected="neither White nor Asian", favourable="9th-grade math score above median bin",
            source="Alghamdi et al. hsls_knn_impute (HsiangHsu/Fair-Projection)", rows=14509,
            availability=hsls.availability),
        DatasetSpec(
            name="waterbirds", loader=waterbirds.load_waterbirds,
            description="Waterbirds ResNet-18 features (Waterbirds-Full), predefined split",
            sensitive="background (place)", protected="water background", favourable="waterbird",
            source="user-supplied feature file", rows=11788, availability=waterbirds.availability),
        DatasetSpec(
            name="waterbirds-pca", loader=waterbirds.load_waterbirds_pca,
            description="Waterbirds ResNet-18 features reduced to 85 principal components (fit on train)",
            sensitive="background (place)", protected="water background", favourable="waterbird",
            source="user-supplied feature file", rows=11788, availability=waterbirds.availability),
        DatasetSpec(
            name="csv", loader=load_csv,
            description="your own CSV: csv:PATH with options label, sensitive, protected_value, favorable_value",
            sensitive="option sensitive", protected="option protected_value", favourable="option favorable_value",
            source="user file", rows=None),
    ]


@hookimpl
def fairbench_register_datasets(register) -> None:
    for spec in builtin_specs():
        register(spec)
