"""Vendored raw files (checked by sha256) and user-supplied data locations."""
from __future__ import annotations

import hashlib
import io
import os
from importlib import resources
from pathlib import Path

from fairbench.errors import DataError

#: Every file shipped in ``fairbench/datasets/data`` and the sha256 of its bytes as stored.
VENDORED_SHA256 = {
    "adult.data.gz": "c7a2b4716a97f930123e0baf879188d701e798172631a654fc703d4b082907f3",
    "adult.test.gz": "8a2c1bffa6e7ce5abfa43881ae5e87c4311ebc2b3cd526c9c40a43f19f06f799",
    "compas-scores-two-years.csv.gz": "706137877c1ffafbb8580f2523644bbe34e639dad00922abc6079f8f31d75514",
    "german.data.gz": "a4cc977b7fc38d60827f2f881d8377954ece4d7ade5d026e827307bb63395df2",
    "values_maps.json": "73a48f120cdb8019fb9f0ad84078ef1ba109f1100bbcc6cbcf925d60e6adcd4e",
    "acs_employment_ma_2015_2018.csv.gz": "c995125b07b69d1150811d9b65aab837ab5d510a2abe21e34dcb3239a68112cd",
}

#: Environment variable naming the folder that holds user-supplied data (PUMS, HSLS, Waterbirds).
DATA_DIR_ENV = "FAIRBENCH_DATA_DIR"


def data_root():
    """The folder of vendored files, as an importlib.resources Traversable."""
    return resources.files("fairbench.datasets").joinpath("data")


def read_vendored(name: str) -> bytes:
    """The bytes of a vendored file after checking its sha256; DataError naming the file otherwise."""
    expected = VENDORED_SHA256.get(name)
    if expected is None:
        raise DataError(f"{name}: not a vendored fairbench data file; known: {', '.join(sorted(VENDORED_SHA256))}")
    entry = data_root().joinpath(name)
    try:
        payload = entry.read_bytes()
    except (FileNotFoundError, OSError) as exc:
        raise DataError(f"vendored data file {name} is missing from the fairbench install ({exc.__class__.__name__}); "
                        "reinstall fairbench") from None
    actual = hashlib.sha256(payload).hexdigest()
    if actual != expected:
        raise DataError(f"vendored data file {name} is corrupt: sha256 {actual[:16]}... != expected "
                        f"{expected[:16]}...; reinstall fairbench")
    return payload


def open_vendored(name: str) -> io.BytesIO:
    """A checked vendored file as a binary stream (pandas decompresses ``.gz`` given ``compression='gzip'``)."""
    return io.BytesIO(read_vendored(name))


def verify_all() -> dict[str, str]:
    """Check every vendored file; returns name -> sha256 (raises DataError on the first mismatch)."""
    return {name: hashlib.sha256(read_vendored(name)).hexdigest() for name in sorted(VENDORED_SHA256)}


def data_dir(option: str | os.PathLike | None) -> Path | None:
    """The user's data folder: the ``data_dir`` option, else ``$FAIRBENCH_DATA_DIR``, else None."""
    value = option if option not in (None, "") else os.environ.get(DATA_DIR_ENV) or None
    return Path(value).expanduser() if value is not None else None


def find_first(candidates) -> Path | None:
    """The first existing regular file among candidate paths."""
    for path in candidates:
        if path is not None and Path(path).is_file():
            return Path(path)
    return None
