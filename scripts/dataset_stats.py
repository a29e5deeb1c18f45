#!/usr/bin/env python
"""Rows, group sizes and base rates P(y=1 | a) of every built-in dataset, as a Markdown table.

    python scripts/dataset_stats.py                 # the table in docs/datasets.md
    python scripts/dataset_stats.py --data-dir DIR  # also user-supplied data (HSLS, ACS PUMS, Waterbirds)

Datasets whose files are not here are listed as unavailable with the hint of their loader.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fairbench.datasets import plugin as dataset_plugin  # noqa: E402
from fairbench.errors import UnavailableError  # noqa: E402

def _loader(name: str):
    """The loader the dataset plugin registers under ``name`` (the one place names meet loaders)."""
    return {spec.name: spec.loader for spec in dataset_plugin.builtin_specs()}[name]


#: (dataset, options, label shown) in table order; variants after their default.
VARIANTS = [
    ("adult", {}, "adult"),
    ("compas", {}, "compas"),
    ("compas", {"label": "two_year_recid"}, "compas label=two_year_recid"),
    ("german", {}, "german"),
    ("german", {"sensitive": "age"}, "german sensitive=age"),
    ("synthetic-4gmm", {}, "synthetic-4gmm"),
    ("acs-employment", {}, "acs-employment"),
    ("acs-employment", {"year": "all"}, "acs-employment year=all"),
    ("acs-employment", {"race": "black"}, "acs-employment race=black"),
    ("acs-income", {}, "acs-income"),
    ("hsls", {}, "hsls"),
    ("waterbirds", {}, "waterbirds"),
    ("waterbirds-pca", {}, "waterbirds-pca"),
]

HEADER = ["dataset", "rows", "a=0 rows", "a=1 rows", "a=1 share", "P(y=1|a=0)", "P(y=1|a=1)", "P(y=1)"]


def row(name: str, options: dict, label: str, data_dir: str | None) -> list[str]:
    if data_dir and name in ("acs-income", "hsls", "waterbirds", "waterbirds-pca"):
        options = {**options, "data_dir": data_dir}
    try:
        data = _loader(name)(**options)
    except UnavailableError:
        return [label, "not available here", "", "", "", "", "", ""]
    s = data.info["stats"]
    return [label, f"{s['rows']:,}", f"{s['n_a0']:,}", f"{s['n_a1']:,}", f"{s['n_a1'] / s['rows']:.3f}",
            f"{s['p_y1_a0']:.3f}", f"{s['p_y1_a1']:.3f}", f"{s['p_y1']:.3f}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="folder with user-supplied data (default: $FAIRBENCH_DATA_DIR)")
    args = parser.parse_args(argv)
    rows = [row(name, dict(options), label, args.data_dir) for name, options, label in VARIANTS]
    print("| " + " | ".join(HEADER) + " |")
    print("|" + "|".join("---" if i == 0 else "---:" for i in range(len(HEADER))) + "|")
    for cells in rows:
        print("| " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
