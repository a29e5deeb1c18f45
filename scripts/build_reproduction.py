#!/usr/bin/env python
"""Write docs/reproduction.md from its template and the committed results.

    python scripts/build_reproduction.py            # rewrite docs/reproduction.md
    python scripts/build_reproduction.py --check    # exit 1 if docs/reproduction.md is stale

The verdicts are prose in ``docs/templates/reproduction.md``; every table of numbers is pulled in
from a ``results/<dataset>/<experiment>/<name>.md`` file by a line
``<!-- include results/adult/flips/flips.md -->`` (``fairbench.reproduction_page``).
``fairbench reproduce`` rebuilds the page the same way after it has run the experiments.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fairbench.errors import UserInputError
from fairbench.reproduction_page import PAGE, TEMPLATE, build

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/reproduction.md differs from a rebuild")
    args = parser.parse_args(argv)
    try:
        text = build((ROOT / TEMPLATE).read_text(), ROOT)
    except UserInputError as exc:
        raise SystemExit(str(exc)) from None
    target = ROOT / PAGE
    if args.check:
        if target.read_text() != text:
            print("docs/reproduction.md is stale: run python scripts/build_reproduction.py", file=sys.stderr)
            return 1
        return 0
    target.write_text(text)
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
