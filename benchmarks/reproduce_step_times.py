#!/usr/bin/env python
"""Each step's wall time from the progress log of a ``fairbench reproduce`` run (its stderr).

    fairbench reproduce --seeds 10 2> reproduce.log
    python benchmarks/reproduce_step_times.py reproduce.log

A finished run prints each step's seconds itself; this reads them back from the progress bar, so
it also works for a run that was stopped: a step's time is the bar's elapsed time from its first
update to the next step's first update (the last step seen has none).
"""
from __future__ import annotations

import re
import sys

LINE = re.compile(r"reproduce (\d+)/(\d+) (\S+): (\d+)/\d+ cells to compute \[([\d:]+)<")


def seconds(clock: str) -> int:
    return sum(int(v) * 60 ** i for i, v in enumerate(reversed(clock.split(":"))))


def step_starts(text: str) -> list[tuple[str, int, int]]:
    """(step, cells done before it, bar seconds at its first update), in plan order."""
    first: dict[str, tuple[int, int, int]] = {}
    for part in re.split(r"[\r\n]", text):
        match = LINE.match(part.strip())
        if match and match.group(3) not in first:
            first[match.group(3)] = (int(match.group(1)), int(match.group(4)), seconds(match.group(5)))
    ordered = sorted(first.items(), key=lambda item: item[1][0])
    return [(label, done, start) for label, (_, done, start) in ordered]


def main(path: str) -> None:
    starts = step_starts(open(path, errors="replace").read())
    print(f"{'step':36s} {'cells computed':>14s} {'wall s':>7s}")
    for (label, done, start), following in zip(starts, starts[1:] + [None]):
        cells = f"{following[1] - done}" if following else "-"
        wall = f"{following[2] - start}" if following else "-"
        print(f"{label:36s} {cells:>14s} {wall:>7s}")


if __name__ == "__main__":
    main(sys.argv[1])
