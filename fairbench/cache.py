"""The shared cell cache: one content-addressed store that every run reads before it fits.

A cell's key (``store.cell_key``) already hashes everything that can change its numbers: the
dataset's checksum and options, the split's seed and protocol (validation share), the
intervention's name, plugin and code version, its parameters and knob value, the collective's
settings and the learner with its parameters.  So two runs asking for the same key ask for the
same cell, and the second one takes the stored row instead of fitting again: ``flips``, ``firm``,
``knowledge`` and ``alpha`` share their baselines and their common budgets.  Each results folder
still keeps its own store and cells.csv, so committed results stay self-contained; the cache only
saves work.  It is an ordinary result store without the run lock: writers insert whole rows by
key in their own transactions, so concurrent runs may share it.

Where it lives: ``--cache DIR`` (API ``cache=``), else the ``FAIRBENCH_CACHE`` environment
variable, else the platform's user cache folder (``~/.cache/fairbench`` on Linux).  ``--no-cache``
(``cache=False``, or ``FAIRBENCH_CACHE=none``) turns it off.
"""
from __future__ import annotations

import os
from pathlib import Path

from fairbench.store import ResultStore

CACHE_ENV = "FAIRBENCH_CACHE"
OFF = ("", "none", "off", "0", "false")


def cache_dir(cache: str | os.PathLike | bool | None = None) -> Path | None:
    """The cache folder a run uses (None: no cache)."""
    if cache is False:
        return None
    if cache is None or cache is True:
        if CACHE_ENV in os.environ:
            value = os.environ[CACHE_ENV].strip()
            return None if value.lower() in OFF else Path(value).expanduser()
        from platformdirs import user_cache_dir

        return Path(user_cache_dir("fairbench"))
    return Path(cache).expanduser()


def open_cache(cache: str | os.PathLike | bool | None = None, exclude: Path | None = None) -> ResultStore | None:
    """The shared store, or None when caching is off or it is the run's own folder (one file,
    opened once)."""
    directory = cache_dir(cache)
    if directory is None:
        return None
    if exclude is not None and _same(directory, exclude):
        return None
    return ResultStore(directory)


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == Path(b).resolve()
    except OSError:
        return False
