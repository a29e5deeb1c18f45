"""HSLS:09 as prepared by Alghamdi et al. 2022 (k-NN-imputed file), from a user-supplied path."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fairbench.contract import Dataset
from fairbench.errors import DataError, UnavailableError

from ._common import finish, flag
from ._files import DATA_DIR_ENV, data_dir as resolve_data_dir, find_first

CSV_NAMES = ("hsls_knn_impute.csv", "hsls_knn_impute.csv.gz", "hsls_df_knn_impute_past_v2.csv",
             "hsls_df_knn_impute_past_v2.csv.gz", "hsls.csv", "hsls.csv.gz")
REQUIRED = ("studentrace", "studentgender", "grade9thbin", "grade12thbin")
INDEX_COLUMNS = ("Unnamed: 0", "", "index")
HINT = (f"hsls needs Alghamdi et al.'s k-NN-imputed HSLS table as CSV (hsls_knn_impute.csv[.gz], converted from "
        f"data/HSLS/hsls_knn_impute.pkl of GitHub HsiangHsu/Fair-Projection): put it in ${DATA_DIR_ENV} "
        "(or its hsls/ folder), or pass data_dir=DIR or path=FILE (a .pkl path is read only when given explicitly)")


def find_hsls(data_dir: Any = None) -> Path | None:
    root = resolve_data_dir(data_dir)
    if root is None:
        return None
    return find_first(folder / name for folder in (root, root / "hsls", root / "HSLS") for name in CSV_NAMES)


def availability(data_dir: Any = None) -> str | None:
    return None if find_hsls(data_dir) is not None else HINT


def _read(path: Path) -> pd.DataFrame:
    if path.suffix.lower() in (".pkl", ".pickle"):
        # Unpickling runs code from the file: only done for a path the user named explicitly.
        try:
            frame = pd.read_pickle(path)
        except Exception as exc:  # a bad pickle can raise almost anything
            raise DataError(f"{path}: cannot unpickle a pandas DataFrame ({exc.__class__.__name__})") from None
        if not isinstance(frame, pd.DataFrame):
            raise DataError(f"{path}: the pickle holds a {type(frame).__name__}, not a pandas DataFrame")
        return frame
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"{path}: cannot read as CSV ({exc.__class__.__name__})") from None
    return frame.drop(columns=[c for c in INDEX_COLUMNS if c in frame.columns])


def load_hsls(drop_sensitive: bool = False, path: Any = None, data_dir: Any = None, encode: str = "codes",
              **options) -> Dataset:
    """HSLS:09, race: a=1 for students who are neither White nor Asian; y=1: 9th-grade math score above median.

    Input: Alghamdi et al.'s k-NN-imputed table (``hsls_knn_impute.pkl`` in HsiangHsu/Fair-Projection,
    14,509 rows after preparation), converted to CSV by the user.  A CSV is found in ``data_dir`` /
    ``$FAIRBENCH_DATA_DIR``; ``path=FILE`` names one directly.  A pickle (``.pkl``) is read only when
    ``path`` names it explicitly: unpickling runs code, so use it for files you trust.

    Preparation (Alghamdi et al. 2022, ``load_hsls_imputed``):

    1. every entry <= -7 (HSLS's missing-value codes) -> NaN, then drop rows with any NaN;
    2. label y = ``grade9thbin`` (the binarised 9th-grade math score);
    3. ``racebin`` = 1 when ``studentrace * 7`` truncates to 7 (White) or 1 (Asian), else 0
       (a tolerance of 1e-6 guards against float round-off below the integer);
       ``sexbin`` = ``studentgender``;
    4. drop ``studentgender``, ``grade9thbin``, ``grade12thbin``, ``studentrace``;
    5. min-max scale every column to [0, 1] (over the whole table, as Alghamdi).

    Protected group: racebin == 1 is the White/Asian group (Alghamdi's privileged class), so a =
    1 - racebin, and the sensitive column ``race`` = a replaces ``racebin``.  ``sexbin`` stays a
    feature.
    """
    if path not in (None, ""):
        file = Path(str(path)).expanduser()
        if not file.is_file():
            raise UnavailableError(f"{file}: file not found; " + HINT)
    else:
        file = find_hsls(data_dir)
        if file is None:
            raise UnavailableError(HINT)
    frame = _read(file)
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise DataError(f"{file}: column(s) {', '.join(missing)} not found; expected Alghamdi et al.'s HSLS table "
                        f"with {', '.join(REQUIRED)} and the feature columns")
    text = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if text:
        raise DataError(f"{file}: column(s) {', '.join(map(str, text[:5]))} are not numeric; the HSLS table is all numeric")
    frame = frame.astype("float64")
    frame = frame.mask(frame <= -7).dropna().reset_index(drop=True)
    if len(frame) == 0:
        raise DataError(f"{file}: no rows left after dropping entries <= -7 and missing values")
    y_raw = frame["grade9thbin"]
    if not y_raw.isin([0, 1]).all():
        raise DataError(f"{file}: grade9thbin must be 0/1; saw {sorted(pd.unique(y_raw))[:10]}")
    race_code = np.floor(frame["studentrace"].to_numpy() * 7 + 1e-6).astype(np.int64)
    racebin = np.isin(race_code, (1, 7)).astype(np.int64)
    frame["gradebin"] = y_raw.astype(np.int64)
    frame["racebin"] = racebin
    frame["sexbin"] = frame["studentgender"].astype(np.int64)
    frame = frame.drop(columns=list(REQUIRED))
    y = frame.pop("gradebin").to_numpy()  # 0/1 already: scaling it (as Alghamdi does) changes nothing
    low, high = frame.min(), frame.max()
    frame = (frame - low) / (high - low).replace(0, 1.0)
    a = 1 - racebin
    position = frame.columns.get_loc("racebin")
    frame = frame.drop(columns=["racebin"])
    frame.insert(position, "race", a)
    info = {
        "source": f"HSLS:09 (NCES), Alghamdi et al. 2022 k-NN-imputed table; file {file}",
        "licence": "NCES HSLS:09 public-use data; Alghamdi et al.'s preparation (HsiangHsu/Fair-Projection)",
        "preparation": "Alghamdi et al. load_hsls_imputed: <= -7 -> NaN, dropna, gradebin = grade9thbin, "
                       "racebin from studentrace, min-max scaling",
        "protected": "not White and not Asian (racebin == 0) (a=1); White or Asian is a=0",
        "favourable": "grade9thbin == 1, 9th-grade math score in the upper bin (y=1)",
        "sensitive": "race (= 1 - racebin)",
        "path": str(file),
    }
    return finish("hsls", frame, a, y, sensitive_column="race", drop_sensitive=flag(drop_sensitive, "drop_sensitive"),
                  info=info, encode=encode)
