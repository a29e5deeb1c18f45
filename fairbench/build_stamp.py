"""A results folder's build stamp, so that ``fairbench reproduce`` with every cell stored only
rebuilds the pages.

After a step writes its folder, the stamp records what the folder was built from (the command, the
cell keys, this code and the libraries that render it) and a hash of every file it holds.  A later
run skips the step's tables and figures only when all of these are unchanged: a changed command,
cell, source file or library version, or a file edited or deleted since, makes it rebuild.
"""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Iterable

STAMP_FILE = ".fairbench-build.json"
#: the folder's own store and its lock: they change on every run and are not outputs
NOT_OUTPUTS = ("cells.sqlite", ".fairbench.lock")
#: libraries whose versions change how the tables and figures are written
RENDERING_LIBRARIES = ("matplotlib", "numpy", "pandas", "scipy", "tabulate", "moocore", "scikit-posthocs")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of fairbench's own source and of the rendering libraries' versions."""
    from importlib.metadata import PackageNotFoundError, version

    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for name in RENDERING_LIBRARIES:
        try:
            digest.update(f"{name}={version(name)}\0".encode())
        except PackageNotFoundError:
            digest.update(f"{name}=absent\0".encode())
    return digest.hexdigest()


def identity(command: str, keys: Iterable[str]) -> str:
    """What a folder is built from: its command, its cells' keys and this code."""
    return _sha256(json.dumps([command, sorted(set(keys)), code_fingerprint()]).encode())


def _outputs(folder: Path) -> dict[str, str]:
    return {path.relative_to(folder).as_posix(): _sha256(path.read_bytes())
            for path in sorted(folder.rglob("*"))
            if path.is_file() and path.name != STAMP_FILE and not path.name.startswith(NOT_OUTPUTS)}


def write(folder: str | Path, built_from: str, problems: Iterable[str] = ()) -> None:
    """Stamp ``folder`` as built from ``built_from`` (an ``identity``), with the run's problems
    (nothing when the step wrote no such folder: it is then never skipped)."""
    folder = Path(folder)
    if not folder.is_dir():
        return
    stamp = {"identity": built_from, "outputs": _outputs(folder), "problems": list(problems)}
    (folder / STAMP_FILE).write_text(json.dumps(stamp, indent=1) + "\n")


def remove(folder: str | Path) -> None:
    (Path(folder) / STAMP_FILE).unlink(missing_ok=True)


def current(folder: str | Path, built_from: str) -> list[str] | None:
    """The stamped run's problems when ``folder`` is still exactly what ``built_from`` wrote, else
    None (no stamp, a damaged one, another identity, or an output added, changed or missing)."""
    folder = Path(folder)
    try:
        stamp = json.loads((folder / STAMP_FILE).read_text())
        if stamp["identity"] != built_from or stamp["outputs"] != _outputs(folder):
            return None
        return [str(p) for p in stamp["problems"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None
