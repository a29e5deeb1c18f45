"""Another installed distribution that also provides the import package ``fairbench``.

This project is distributed as ``fairbench-collective`` but imports as ``fairbench``; the name
``fairbench`` on PyPI is an unrelated fairness library (MEVER's FairBench) that imports as
``fairbench`` too.  Installed side by side, one overwrites the other's files, and whichever is
imported breaks in confusing ways, so ``fairbench plugins`` names the other distribution.
"""
from __future__ import annotations

import importlib.metadata
import re

IMPORT_PACKAGE = "fairbench"
OWN_DISTRIBUTION = "fairbench-collective"


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def other_providers() -> list[str]:
    """``"Name version"`` of every installed distribution but ours that ships ``fairbench``."""
    names = importlib.metadata.packages_distributions().get(IMPORT_PACKAGE, [])
    out = []
    for name in dict.fromkeys(names):
        if _canonical(name) == _canonical(OWN_DISTRIBUTION):
            continue
        try:
            out.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            out.append(name)
    return out


def clash_line() -> str | None:
    """One line describing the clash, or None when no other distribution provides ``fairbench``."""
    others = other_providers()
    if not others:
        return None
    which = ", ".join(others)
    first = others[0].split()[0]
    return (f"another distribution ({which}) also provides the import package {IMPORT_PACKAGE!r}; installed beside "
            f"{OWN_DISTRIBUTION} one of them breaks: pip uninstall {first} (or use a separate virtual environment)")
