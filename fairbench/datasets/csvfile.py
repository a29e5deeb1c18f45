"""Bring-your-own CSV: ``csv:PATH`` with options label, sensitive, protected_value, favorable_value."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from fairbench.contract import Dataset
from fairbench.errors import DataError, UserInputError

from ._common import finish, flag, sorted_codes

_TEST_WORDS = {"test", "true", "1", "yes"}


def _show(values: Sequence[Any], limit: int = 10) -> str:
    shown = [repr(v.item() if hasattr(v, "item") else v) for v in list(values)[:limit]]
    more = f" (+{len(values) - limit} more)" if len(values) > limit else ""
    return ", ".join(shown) + more


def _read(path: Path, sep: str | None) -> pd.DataFrame:
    if not path.exists():
        raise DataError(f"{path}: file not found; pass csv:PATH with an existing CSV file")
    if path.is_dir():
        raise DataError(f"{path}: is a folder, not a CSV file")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: file is empty; expected a header row and data rows")
    try:
        frame = pd.read_csv(path, sep=sep if sep else ",", engine="python" if sep not in (None, ",") else "c")
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: file is empty; expected a header row and data rows") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise DataError(f"{path}: cannot parse as CSV ({first})") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read the file ({exc.strerror or exc}); check its permissions") from None
    if len(frame) == 0:
        raise DataError(f"{path}: has a header but no data rows")
    return frame


def _column(frame: pd.DataFrame, path: Path, name: str, role: str) -> pd.Series:
    if name not in frame.columns:
        raise DataError(f"{path}: {role} column {name!r} not found (option {role}=); "
                        f"available columns: {_show(list(frame.columns), 30)}")
    series = frame[name]
    missing = int(series.isna().sum())
    if missing:
        first = int(np.flatnonzero(series.isna().to_numpy())[0]) + 2  # 1-based, after the header line
        raise DataError(f"{path}: {role} column {name!r} has {missing} missing value(s) (first on line {first}); "
                        "remove or fill those rows")
    return series


def _matches(series: pd.Series, value: Any) -> pd.Series:
    """Rows equal to ``value``, comparing as written in the file (so '1' matches 1 and 1.0)."""
    direct = series == value
    if direct.any():
        return direct
    text = str(value).strip()
    as_text = series.astype(str).str.strip() == text
    if as_text.any():
        return as_text
    try:
        number = float(text)
    except ValueError:
        return as_text
    numeric = pd.to_numeric(series, errors="coerce")
    return numeric == number


def _binary(series: pd.Series, path: Path, name: str, role: str, option: str, chosen: Any) -> np.ndarray:
    values = pd.unique(series)
    if len(values) != 2:
        kind = "a single value" if len(values) == 1 else f"{len(values)} values"
        raise DataError(f"{path}: {role} column {name!r} must be binary (2 distinct values) but has {kind}: "
                        f"{_show(sorted(values, key=str))}")
    if chosen is None:
        if set(map(str, values)) <= {"0", "1", "0.0", "1.0", "True", "False"}:
            chosen = 1
        else:
            raise UserInputError(f"{path}: option {option}= is required for {role} column {name!r}; "
                                 f"its values are {_show(sorted(values, key=str))}")
    hit = _matches(series, chosen)
    if not hit.any():
        raise DataError(f"{path}: {option}={chosen!r} does not occur in {role} column {name!r}; "
                        f"its values are {_show(sorted(values, key=str))}")
    return hit.astype(np.int64).to_numpy()


def load_csv(path: str | None = None, label: str = "y", sensitive: str = "a", protected_value: Any = None,
             favorable_value: Any = None, drop_sensitive: bool = False, categorical: Any = None,
             drop: Any = None, test_column: str | None = None, sep: str | None = None,
             encode: str = "codes", **options) -> Dataset:
    """A binary task from your own CSV file (``csv:PATH`` or ``path=PATH``).

    Options:

    * ``label`` (default ``y``) and ``sensitive`` (default ``a``): column names; each must hold exactly
      two distinct values and no missing value;
    * ``protected_value``: the sensitive value of the protected group (a=1); may be omitted when the
      column is 0/1 (then 1 is protected);
    * ``favorable_value`` (or ``favourable_value``): the favourable label (y=1); same default rule;
    * ``categorical``: extra columns (comma-separated or a list) to treat as categorical even though
      they are numeric; ``drop``: columns to ignore (ids, free text);
    * ``test_column``: a column marking a predefined test split (values test/true/1/yes are test);
      it becomes ``is_test`` and is not a feature;
    * ``sep``: the field separator (default comma).

    Every other column is a feature.  Text (object/string) columns become integer codes in sorted
    order (listed in ``categorical``; ``info['categories']`` maps them back).  Missing values in
    features are kept as NaN: the harness (or its learner) decides what to do with them.
    The sensitive column stays a feature (recoded 0/1, 1 = protected) unless ``drop_sensitive``.
    """
    if favorable_value is None and "favourable_value" in options:
        favorable_value = options.pop("favourable_value")
    if path in (None, ""):
        raise UserInputError("dataset csv needs a file: use csv:PATH or the option path=PATH")
    path = Path(str(path)).expanduser()
    frame = _read(path, sep)
    label, sensitive = str(label), str(sensitive)
    if label == sensitive:
        raise UserInputError(f"{path}: label and sensitive are the same column {label!r}; pick two columns")
    y = _binary(_column(frame, path, label, "label"), path, label, "label", "favorable_value", favorable_value)
    a = _binary(_column(frame, path, sensitive, "sensitive"), path, sensitive, "sensitive",
                "protected_value", protected_value)
    ignored = _names(drop, "drop")
    is_test = None
    if test_column not in (None, ""):
        marks = _column(frame, path, str(test_column), "test_column")
        is_test = marks.astype(str).str.strip().str.lower().isin(_TEST_WORDS).to_numpy()
        ignored.append(str(test_column))
    unknown = [c for c in ignored if c not in frame.columns]
    if unknown:
        raise DataError(f"{path}: column(s) {_show(unknown)} named in drop= not found; "
                        f"available columns: {_show(list(frame.columns), 30)}")
    features = frame.drop(columns=[label, *dict.fromkeys(ignored)])
    features[sensitive] = a
    forced = _names(categorical, "categorical")
    missing = [c for c in forced if c not in features.columns]
    if missing:
        raise DataError(f"{path}: categorical column(s) {_show(missing)} not found among the features")
    coded, categories = [], {}
    for column in features.columns:
        if column == sensitive:
            continue
        series = features[column]
        if pd.api.types.is_bool_dtype(series):
            features[column] = series.astype("int64")
        elif column in forced and pd.api.types.is_numeric_dtype(series):
            features[column], categories[column] = sorted_codes(series)  # numeric order: 2 < 10
            coded.append(column)
        elif not pd.api.types.is_numeric_dtype(series):
            features[column], categories[column] = sorted_codes(series.astype(str).where(series.notna()))
            coded.append(column)
    info = {
        "source": f"user CSV {path}",
        "licence": "as supplied by the user",
        "preparation": "text columns to integer codes; NaN in features kept",
        "protected": f"{sensitive} == {protected_value if protected_value is not None else 1} (a=1)",
        "favourable": f"{label} == {favorable_value if favorable_value is not None else 1} (y=1)",
        "sensitive": sensitive,
        "path": str(path),
    }
    return finish(f"csv:{path}", features, a, y, sensitive_column=sensitive, categorical=coded,
                  drop_sensitive=flag(drop_sensitive, "drop_sensitive"), is_test=is_test, info=info,
                  categories=categories, encode=encode)


def _names(value: Any, option: str) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, (list, tuple, set)):
        return [str(v) for v in value]
    raise UserInputError(f"option {option}={value!r} must be a comma-separated list of column names")
