"""Shared helpers: option parsing, categorical coding and building the final ``Dataset``."""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from fairbench.contract import Dataset
from fairbench.errors import DataError, UserInputError

_TRUE = {"1", "true", "yes", "y", "on", "t"}
_FALSE = {"0", "false", "no", "n", "off", "f", ""}


def flag(value: Any, option: str) -> bool:
    """A boolean option given as a bool, 0/1 or a string such as 'true'/'no'."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise UserInputError(f"option {option}={value!r} is not a boolean; use true or false")


def integer(value: Any, option: str, low: int | None = None, high: int | None = None) -> int:
    """An integer option (accepts '4000'), checked against [low, high]."""
    try:
        number = int(str(value).strip()) if not isinstance(value, (int, np.integer)) else int(value)
    except ValueError:
        raise UserInputError(f"option {option}={value!r} is not an integer") from None
    if (low is not None and number < low) or (high is not None and number > high):
        bounds = f"{low if low is not None else '-inf'}..{high if high is not None else 'inf'}"
        raise UserInputError(f"option {option}={number} is out of range; accepted: {bounds}")
    return number


def real(value: Any, option: str, low: float | None = None, high: float | None = None,
         low_open: bool = False) -> float:
    """A float option (accepts '0.1'), checked against its bounds."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UserInputError(f"option {option}={value!r} is not a number") from None
    too_low = low is not None and (number <= low if low_open else number < low)
    if not np.isfinite(number) or too_low or (high is not None and number > high):
        left = "(" if low_open else "["
        raise UserInputError(f"option {option}={value!r} is out of range; accepted: {left}{low}, {high}]")
    return number


def choice(value: Any, option: str, accepted: Sequence[str]) -> str:
    """A string option that must be one of ``accepted`` (case-insensitive)."""
    text = str(value).strip().lower()
    if text not in accepted:
        raise UserInputError(f"option {option}={value!r} is not accepted; use one of: {', '.join(accepted)}")
    return text


def sorted_codes(values: pd.Series, order: Sequence[Any] | None = None) -> tuple[pd.Series, list[Any]]:
    """Integer codes 0..k-1 for a nominal column, in sorted order of its values (NaN stays NaN).

    Returns the codes (int64, or float64 when NaN is present) and the list of values, so that
    ``categories[code]`` is the original value.
    """
    present = pd.unique(values.dropna())
    if order is None:
        categories = sorted(present, key=lambda v: (str(type(v)), v))
    else:
        unknown = [v for v in present if v not in set(order)]
        categories = list(order) + sorted(unknown, key=str)
    lookup = {value: code for code, value in enumerate(categories)}
    coded = values.map(lookup)
    if coded.isna().any():
        return coded.astype("float64"), categories
    return coded.astype("int64"), categories


def numeric_frame(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    """Cast booleans to 0/1 and check every column is numeric (DataError naming the column otherwise)."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_bool_dtype(series):
            out[column] = series.astype("int64")
        elif not pd.api.types.is_numeric_dtype(series):
            raise DataError(f"{where}: column {column!r} is not numeric after preparation (dtype {series.dtype})")
        elif pd.api.types.is_extension_array_dtype(series):
            out[column] = series.astype("float64")
    return out


def one_hot(frame: pd.DataFrame, categorical: Iterable[str],
            categories: Mapping[str, Sequence[Any]]) -> pd.DataFrame:
    """Replace each coded categorical column by 0/1 indicator columns named ``column=value``."""
    out = frame.copy()
    for column in categorical:
        labels = categories.get(column) or sorted(pd.unique(out[column].dropna()))
        position = out.columns.get_loc(column)
        block = {}
        for code, label in enumerate(labels):
            code_value = code if column in categories else label
            block[f"{column}={label}"] = (out[column] == code_value).astype("int64")
        out = out.drop(columns=[column])
        for offset, (name, values) in enumerate(block.items()):
            out.insert(position + offset, name, values)
    return out


def group_stats(a: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Row counts per group and base rates P(y=1 | a) for the info dict and the docs table."""
    stats: dict[str, Any] = {"rows": int(len(a))}
    for group in (0, 1):
        mask = a == group
        stats[f"n_a{group}"] = int(mask.sum())
        stats[f"p_y1_a{group}"] = float(y[mask].mean()) if mask.any() else float("nan")
    stats["p_y1"] = float(y.mean()) if len(y) else float("nan")
    return stats


def binary_array(values: Any, what: str) -> np.ndarray:
    """An int64 0/1 array; DataError if anything else is present."""
    array = np.asarray(values)
    if array.dtype == bool:
        return array.astype(np.int64)
    if len(array) and not np.isin(array, (0, 1)).all():
        seen = sorted({str(v) for v in pd.unique(array.ravel())})[:10]
        raise DataError(f"{what} must be 0/1 after preparation; saw {', '.join(seen)}")
    return array.astype(np.int64)


def finish(name: str, X: pd.DataFrame, a: Any, y: Any, *, sensitive_column: str | None,
           categorical: Sequence[str] = (), drop_sensitive: bool = False,
           proxies: Sequence[str] = (), is_test: Any = None, info: Mapping[str, Any] | None = None,
           categories: Mapping[str, Sequence[Any]] | None = None, encode: str = "codes") -> Dataset:
    """Assemble a :class:`Dataset`, dropping the sensitive column (and its proxies) when asked.

    ``proxies`` are columns that encode the sensitive attribute as well (e.g. German credit's
    ``status_sex``): they go together with the sensitive column.  ``encode='onehot'`` replaces
    each categorical column by indicator columns (as Alghamdi et al.'s ``get_dummies``).
    """
    X = X.reset_index(drop=True)
    a = binary_array(a, f"dataset {name!r}: sensitive attribute a")
    y = binary_array(y, f"dataset {name!r}: label y")
    categories = dict(categories or {})
    dropped: list[str] = []
    if drop_sensitive and sensitive_column is not None:
        dropped = [c for c in (sensitive_column, *proxies) if c in X.columns]
        X = X.drop(columns=dropped)
        sensitive_column = None
    categorical = tuple(c for c in categorical if c in X.columns)
    if encode == "onehot":
        X = one_hot(X, categorical, categories)
        categorical = ()
    elif encode != "codes":
        raise UserInputError(f"option encode={encode!r} is not accepted; use one of: codes, onehot")
    X = numeric_frame(X, f"dataset {name!r}")
    meta = dict(info or {})
    meta.setdefault("categories", {c: list(v) for c, v in categories.items() if c in categorical})
    meta["dropped_with_sensitive"] = dropped
    meta["stats"] = group_stats(a, y)
    if is_test is not None:
        is_test = np.asarray(is_test, dtype=bool)
    return Dataset(name=name, X=X, a=a, y=y, categorical=categorical, is_test=is_test,
                   sensitive_column=sensitive_column, info=meta)
