"""The result store: one SQLite row per cell, keyed by a hash of everything that determines it.

A cell is written in its own transaction the moment its task returns, so a run killed at any
moment loses only the cells in flight, and the database (WAL journal) is never half-written.
Re-running computes only the keys that are missing; ``INSERT OR REPLACE`` on the key makes a
re-computation overwrite, never duplicate.  An exclusive lock file keeps two runs from writing
the same directory at once.  Rows are JSON, never pickles.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sqlite3
from pathlib import Path
from typing import Iterable

from fairbench.errors import UserInputError

STORE_NAME = "cells.sqlite"
LOCK_NAME = ".fairbench.lock"
SCHEMA_VERSION = 1


def cell_key(identity: dict) -> str:
    """Stable hash of a cell's identity (sorted JSON, so dict order never matters)."""
    text = json.dumps({"schema": SCHEMA_VERSION, **identity}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class ResultStore:
    """Cells of every run written into one output directory."""

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserInputError(f"cannot create output directory {str(self.directory)!r}: {exc.strerror}") from None
        if not os.access(self.directory, os.W_OK):
            raise UserInputError(f"output directory {str(self.directory)!r} is not writable; pass --output DIR with a writable directory")
        self._lock_file = None
        self.path = self.directory / STORE_NAME
        self._db = sqlite3.connect(self.path, timeout=60)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS cells (key TEXT PRIMARY KEY, row TEXT NOT NULL)")
        self._db.commit()

    def lock(self) -> None:
        """Take the directory for this run, or refuse if another run holds it."""
        handle = open(self.directory / LOCK_NAME, "w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise UserInputError(
                f"another fairbench run is writing {str(self.directory)!r}; wait for it to finish or pass a different --output"
            ) from None
        self._lock_file = handle

    def existing(self, keys: Iterable[str]) -> set[str]:
        keys = list(keys)
        found: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            found.update(k for (k,) in self._db.execute(f"SELECT key FROM cells WHERE key IN ({marks})", chunk))
        return found

    def put(self, rows: list[dict]) -> None:
        """Write one task's cells atomically."""
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO cells (key, row) VALUES (?, ?)",
                [(row["key"], json.dumps(row, default=_jsonable)) for row in rows],
            )

    def delete(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        with self._db:
            self._db.executemany("DELETE FROM cells WHERE key = ?", [(k,) for k in keys])

    def rows(self, keys: Iterable[str] | None = None) -> list[dict]:
        if keys is None:
            return [json.loads(r) for (r,) in self._db.execute("SELECT row FROM cells ORDER BY key")]
        wanted = list(keys)
        found = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for key, row in self._db.execute(f"SELECT key, row FROM cells WHERE key IN ({marks})", chunk):
                found[key] = json.loads(row)
        return [found[k] for k in wanted if k in found]

    def count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM cells").fetchone()[0]

    def close(self) -> None:
        self._db.close()
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _jsonable(value):
    try:
        import numpy as np

        if isinstance(value, np.generic):
            return value.item()
    except ImportError:  # pragma: no cover
        pass
    return str(value)
