"""What `compare` prints after its table: where each file went and the command that opens the
comparison report.  Kept apart so that a summary of the comparison can be printed beside it.
"""
from __future__ import annotations

import shlex
from pathlib import Path

#: What each file of a compare output folder holds (README's table, in short).
WHAT = {
    "cells.sqlite": "the result store; the same command again computes only missing cells",
    "cells.csv": "every evaluated cell (one row per intervention, knob value and seed)",
    "fronts.csv": "seed means and stds per intervention and knob value, with Pareto flags",
    "fronts_eqod.png": "error vs EqOd fronts",
    "fronts_sp.png": "error vs SP fronts",
    "flips_eqod.png": "EqOd vs number of flips",
    "flips_sp.png": "SP vs number of flips",
    "fronts.txt": "the full table above",
}


def report_command(output: Path) -> str:
    """The command that writes and prints the comparison report of one compare folder."""
    out = Path(output)
    return shlex.join(["fairbench", "report", str(out), "--output", str(out / "report")])


def outputs_lines(result) -> list[str]:
    """Lines naming each written file (and the store) with what it holds, then the report command."""
    if result.output is None:
        return []
    out = Path(result.output)
    paths = [out / "cells.sqlite", *[Path(p) for p in result.files]]
    width = max(len(str(p)) for p in paths)
    lines = ["", "Files"]
    for path in paths:
        lines.append(f"  {str(path):<{width}}  {WHAT.get(path.name, '')}".rstrip())
    if result.files:  # the report reads cells.csv / fronts.csv, which write=False leaves out
        lines += ["", f"Comparison report (collective action vs firm-side methods): {report_command(out)}"]
    return lines
