"""Waterbirds (Sagawa et al. 2020) as ResNet-18 features supplied by the user, full or PCA-reduced."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fairbench.contract import Dataset
from fairbench.errors import DataError, UnavailableError

from ._common import choice, finish, flag, integer
from ._files import DATA_DIR_ENV, data_dir as resolve_data_dir, find_first

FILE_NAMES = ("waterbirds_resnet18_features.npz", "waterbirds_resnet18_features.csv.gz",
              "waterbirds_resnet18_features.csv", "waterbirds_features.npz", "waterbirds_features.csv.gz",
              "waterbirds_features.csv")
META_COLUMNS = {"y", "place", "split", "img_id", "img_filename", "place_filename", "group"}
SPLITS = {"0": "train", "train": "train", "1": "val", "val": "val", "valid": "val", "validation": "val",
          "2": "test", "test": "test"}
HINT = (f"waterbirds needs precomputed ResNet-18 features (waterbirds_resnet18_features.npz with arrays features, "
        f"y, place, split; or a .csv[.gz] with feature columns plus y, place, split): put it in ${DATA_DIR_ENV} "
        "(or its waterbirds/ folder), or pass data_dir=DIR or path=FILE")
PAPER = "Ben-Dov et al. 2025, appendix C.1: penultimate layer of a pre-trained torchvision ResNet-18"


def find_waterbirds(data_dir: Any = None) -> Path | None:
    root = resolve_data_dir(data_dir)
    if root is None:
        return None
    return find_first(folder / name for folder in (root, root / "waterbirds") for name in FILE_NAMES)


def availability(data_dir: Any = None) -> str | None:
    return None if find_waterbirds(data_dir) is not None else HINT


def _locate(path: Any, data_dir: Any) -> Path:
    if path not in (None, ""):
        file = Path(str(path)).expanduser()
        if not file.is_file():
            raise UnavailableError(f"{file}: file not found; " + HINT)
        return file
    file = find_waterbirds(data_dir)
    if file is None:
        raise UnavailableError(HINT)
    return file


def _read(file: Path) -> tuple[pd.DataFrame, pd.Series, pd.Series, pd.Series]:
    if file.suffix.lower() == ".npz":
        try:
            with np.load(file, allow_pickle=False) as arrays:
                content = {key: arrays[key] for key in arrays.files}
        except (OSError, ValueError) as exc:
            raise DataError(f"{file}: cannot read as .npz ({exc.__class__.__name__})") from None
        key = "features" if "features" in content else "X" if "X" in content else None
        missing = [k for k in ("y", "place", "split") if k not in content] + ([] if key else ["features"])
        if missing:
            raise DataError(f"{file}: array(s) {', '.join(missing)} not found; have {', '.join(sorted(content))}")
        matrix = np.asarray(content[key], dtype=np.float64)
        if matrix.ndim != 2:
            raise DataError(f"{file}: features must be 2-D (rows x features), got shape {matrix.shape}")
        frame = pd.DataFrame(matrix, columns=[f"f{i}" for i in range(matrix.shape[1])])
        return frame, pd.Series(content["y"]), pd.Series(content["place"]), pd.Series(content["split"])
    try:
        table = pd.read_csv(file)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"{file}: cannot read as CSV ({exc.__class__.__name__})") from None
    missing = [c for c in ("y", "place", "split") if c not in table.columns]
    if missing:
        raise DataError(f"{file}: column(s) {', '.join(missing)} not found; expected feature columns plus y, place, split")
    features = [c for c in table.columns if c not in META_COLUMNS and pd.api.types.is_numeric_dtype(table[c])]
    if not features:
        raise DataError(f"{file}: no numeric feature columns besides {', '.join(sorted(META_COLUMNS))}")
    return (table[features].astype(np.float64), table["y"], table["place"], table["split"])


def _binary(values: pd.Series, file: Path, column: str) -> np.ndarray:
    seen = set(pd.unique(values.astype(str)))
    if not seen <= {"0", "1", "0.0", "1.0"}:
        raise DataError(f"{file}: {column} must be 0/1; saw {', '.join(sorted(seen)[:10])}")
    return values.astype(float).astype(np.int64).to_numpy()


def _load(path: Any, data_dir: Any, val: str) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray, Path]:
    file = _locate(path, data_dir)
    features, y_raw, place_raw, split_raw = _read(file)
    y = _binary(y_raw, file, "y")
    a = _binary(place_raw, file, "place")
    split = split_raw.astype(str).str.strip().str.lower().str.replace(r"\.0$", "", regex=True).map(SPLITS)
    if split.isna().any():
        bad = sorted(set(split_raw[split.isna()].astype(str)))[:10]
        raise DataError(f"{file}: split values {', '.join(bad)} not understood; use 0/1/2 or train/val/test")
    keep = (split != "val").to_numpy() if val == "drop" else np.ones(len(split), dtype=bool)
    is_test = (split == "test").to_numpy()[keep]
    if is_test.all() or not is_test.any():
        raise DataError(f"{file}: need both training and test rows in split; got {int(is_test.sum())} test of {len(is_test)}")
    return features[keep].reset_index(drop=True), y[keep], a[keep], is_test, file


def _info(file: Path, val: str, extra: str) -> dict:
    return {
        "source": f"Waterbirds (Sagawa et al. 2020; CUB birds on Places backgrounds); features from {file}",
        "licence": "CUB-200-2011 and Places images: research use; features supplied by the user",
        "preparation": f"{PAPER}; predefined split kept (is_test = split test; val rows "
                       f"{'dropped' if val == 'drop' else 'counted as train'}){extra}",
        "protected": "water background, place == 1 (a=1); land background is a=0",
        "favourable": "waterbird, y == 1 (y=1); landbird is y=0",
        "sensitive": "place (background); not a feature: the image features carry it",
        "path": str(file),
    }


def load_waterbirds(drop_sensitive: bool = False, path: Any = None, data_dir: Any = None, val: str = "train",
                    **options) -> Dataset:
    """Waterbirds-Full: ResNet-18 penultimate-layer features (512 for ResNet-18) from a user file.

    The file (``path`` or found in ``data_dir`` / ``$FAIRBENCH_DATA_DIR``) is an ``.npz`` with arrays
    ``features`` (rows x features), ``y``, ``place``, ``split``, or a CSV with the feature columns plus
    ``y``, ``place``, ``split`` (metadata columns img_id, img_filename, place_filename, group and
    non-numeric columns are ignored).  y: 1 = waterbird (favourable), 0 = landbird; place: 1 = water
    background (protected a=1), 0 = land.  split 0/1/2 or train/val/test: test rows form
    ``is_test`` (the predefined split is respected); ``val=train`` (default) counts validation rows
    as training rows, ``val=drop`` removes them.  As in the paper, the background is not a feature,
    so ``sensitive_column`` is None and ``drop_sensitive`` changes nothing.
    """
    val = choice(val, "val", ("train", "drop"))
    flag(drop_sensitive, "drop_sensitive")
    features, y, a, is_test, file = _load(path, data_dir, val)
    return finish("waterbirds", features, a, y, sensitive_column=None, is_test=is_test, info=_info(file, val, ""))


def load_waterbirds_pca(drop_sensitive: bool = False, path: Any = None, data_dir: Any = None, val: str = "train",
                        n_components: Any = 85, **options) -> Dataset:
    """Waterbirds-PCA: the Waterbirds-Full features reduced to 85 principal components.

    scikit-learn's PCA (random_state=0) is fitted on the training rows only (``is_test`` False) and
    applied to all rows; it keeps ``min(n_components, n_features, n_training_rows)`` components
    (the paper: 85, about 75% of the variance).  Columns ``pc1..pcK``; ``info`` holds the explained
    variance ratio.  Everything else as ``waterbirds``.
    """
    from sklearn.decomposition import PCA

    val = choice(val, "val", ("train", "drop"))
    flag(drop_sensitive, "drop_sensitive")
    wanted = integer(n_components, "n_components", low=1)
    features, y, a, is_test, file = _load(path, data_dir, val)
    train = features.to_numpy()[~is_test]
    k = min(wanted, features.shape[1], len(train))
    try:  # exact and fast when rows >> features (scikit-learn >= 1.5)
        pca = PCA(n_components=k, svd_solver="covariance_eigh", random_state=0).fit(train)
    except ValueError:
        pca = PCA(n_components=k, svd_solver="full", random_state=0).fit(train)
    reduced = pd.DataFrame(pca.transform(features.to_numpy()), columns=[f"pc{i + 1}" for i in range(k)])
    info = _info(file, val, f"; PCA with {k} components fitted on the {len(train)} training rows")
    info["explained_variance_ratio"] = float(pca.explained_variance_ratio_.sum())
    return finish("waterbirds-pca", reduced, a, y, sensitive_column=None, is_test=is_test, info=info)
