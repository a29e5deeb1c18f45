#!/usr/bin/env python
"""Write docs/reproduction.md (or, with --page beyond, docs/beyond-the-paper.md) from its template and the committed results.

    python scripts/build_reproduction.py                        # rewrite docs/reproduction.md
    python scripts/build_reproduction.py --check                # exit 1 if docs/reproduction.md is stale
    python scripts/build_reproduction.py --page beyond [--check]  # the same for docs/beyond-the-paper.md

The verdicts are prose in ``docs/templates/<page>.md``; every table of numbers is pulled in
from a ``results/<dataset>/<experiment>/<name>.md`` file by a line
``<!-- include results/adult/flips/flips.md -->`` (``fairbench.reproduction_page``).
``fairbench reproduce [--plan beyond]`` rebuilds the page the same way after it has run the experiments.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fairbench.errors import UserInputError
from fairbench.reproduction_page import PAGES, REPRODUCTION_NAME, build

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the page differs from a rebuild")
    parser.add_argument("--page", choices=sorted(PAGES), default=REPRODUCTION_NAME,
                        help=f"which page (default {REPRODUCTION_NAME})")
    args = parser.parse_args(argv)
    page = PAGES[args.page]
    try:
        text = build((ROOT / page.template).read_text(), ROOT, page=page, missing_ok=page.partial)
    except UserInputError as exc:
        raise SystemExit(str(exc)) from None
    target = ROOT / page.page
    if args.check:
        if not target.is_file() or target.read_text() != text:
            print(f"{page.page.as_posix()} is stale: run {page.command}", file=sys.stderr)
            return 1
        return 0
    target.write_text(text)
    print(f"wrote {page.page.as_posix()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
