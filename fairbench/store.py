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

from fairbench.errors import DataError, UserInputError

STORE_NAME = "cells.sqlite"
LOCK_NAME = ".fairbench.lock"
SCHEMA_VERSION = 1


def cell_key(identity: dict) -> str:
    """Stable hash of a cell's identity (sorted JSON, so dict order never matters)."""
    text = json.dumps({"schema": SCHEMA_VERSION, **identity}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def stored_keys(directory: str | os.PathLike, keys: Iterable[str]) -> set[str]:
    """Which of ``keys`` the store in ``directory`` holds, read-only: nothing is created, and a
    folder without a store holds none (``fairbench reproduce --dry-run`` counts with this)."""
    path = Path(directory) / STORE_NAME
    if not path.is_file():
        return set()
    keys = list(keys)
    found: set[str] = set()
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=60)
        try:
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                marks = ",".join("?" * len(chunk))
                found.update(k for (k,) in db.execute(f"SELECT key FROM cells WHERE key IN ({marks})", chunk))
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise DataError(f"cannot read the result store {path}: {exc}") from None
    return found


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
        self._db = None
        try:
            self._db = sqlite3.connect(self.path, timeout=60)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS cells (key TEXT PRIMARY KEY, row TEXT NOT NULL)")
            self._db.commit()
            columns = {name for _, name, *_ in self._db.execute("PRAGMA table_info(cells)")}
        except sqlite3.Error as exc:
            self.close()
            raise self._error(exc, "open") from None
        if not {"key", "row"} <= columns:
            self.close()
            raise DataError(f"{self.path}: not a fairbench result store (table 'cells' has columns {sorted(columns)}); "
                            "move the file away or pass a different --output")

    def _error(self, exc: sqlite3.Error, doing: str) -> Exception:
        """A one-line, actionable error for an SQLite failure on this store."""
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        low = text.lower()
        where = str(self.path)
        if "full" in low:
            return UserInputError(f"cannot {doing} the result store {where}: the disk is full ({text}); free space or "
                                  "pass --output on another disk, then run again (stored cells are kept)")
        if "readonly" in low or "read-only" in low or "unable to open" in low or "permission" in low:
            return UserInputError(f"cannot {doing} the result store {where}: it is not writable ({text}); "
                                  "pass --output DIR with a writable directory")
        if "not a database" in low or "malformed" in low or "corrupt" in low:
            return DataError(f"cannot {doing} the result store {where}: it is not a fairbench store or is damaged "
                             f"({text}); move it away (or delete it) or pass a different --output")
        return UserInputError(f"cannot {doing} the result store {where}: {text}")

    def lock(self) -> None:
        """Take the directory for this run, or refuse if another run holds it."""
        try:
            handle = open(self.directory / LOCK_NAME, "w")
        except OSError as exc:
            raise UserInputError(f"cannot create the lock file in {str(self.directory)!r}: {exc.strerror}; "
                                 "pass --output DIR with a writable directory") from None
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
        try:
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                marks = ",".join("?" * len(chunk))
                found.update(k for (k,) in self._db.execute(f"SELECT key FROM cells WHERE key IN ({marks})", chunk))
        except sqlite3.Error as exc:
            raise self._error(exc, "read") from None
        return found

    def put(self, rows: list[dict]) -> None:
        """Write one task's cells atomically."""
        payload = [(row["key"], json.dumps(row, default=_jsonable)) for row in rows]
        try:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO cells (key, row) VALUES (?, ?)", payload)
        except sqlite3.Error as exc:
            raise self._error(exc, "write to") from None

    def delete(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        try:
            with self._db:
                self._db.executemany("DELETE FROM cells WHERE key = ?", [(k,) for k in keys])
        except sqlite3.Error as exc:
            raise self._error(exc, "write to") from None

    def rows(self, keys: Iterable[str] | None = None) -> list[dict]:
        """Stored rows (JSON, never unpickled); a damaged row raises DataError naming the store."""
        try:
            if keys is None:
                return [self._decode(k, r) for (k, r) in self._db.execute("SELECT key, row FROM cells ORDER BY key")]
            wanted = list(keys)
            found = {}
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                marks = ",".join("?" * len(chunk))
                for key, row in self._db.execute(f"SELECT key, row FROM cells WHERE key IN ({marks})", chunk):
                    found[key] = self._decode(key, row)
        except sqlite3.Error as exc:
            raise self._error(exc, "read") from None
        return [found[k] for k in wanted if k in found]

    def _decode(self, key, text) -> dict:
        try:
            row = json.loads(text)
        except (TypeError, ValueError):
            row = None
        if not isinstance(row, dict) or row.get("key") != key:
            raise DataError(f"{self.path}: stored cell {str(key)[:16]}... is damaged (not a JSON cell row); "
                            "run again with --fresh to recompute, or move the store away")
        return row

    def count(self) -> int:
        try:
            return self._db.execute("SELECT COUNT(*) FROM cells").fetchone()[0]
        except sqlite3.Error as exc:
            raise self._error(exc, "read") from None

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
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
