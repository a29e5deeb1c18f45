"""Measure what the harness costs beyond the model fits it must do.  Run by hand on a quiet machine:

    python benchmarks/bench_harness.py [--dataset adult] [--seeds 3] [--skip-memory]

Prints, all measured in this one run:
  * harness overhead: wall time of a serial user-side `compare` divided by the summed time of
    the model fits it had to make (learner fits per cell + scoring and k-tuning per task);
  * --jobs 2 vs --jobs 1 speed-up;
  * re-run of the finished comparison vs the first run;
  * peak memory (max RSS) of `fairbench compare` with every built-in intervention;
  * `fairbench --help` start-up time (best of 5).
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

USER_SIDE = ["random", "rb-prob", "rb-label", "rb-dist"]


def timed_compare(output: Path, dataset: str, seeds: int, jobs: int, interventions=USER_SIDE):
    from fairbench.runner import compare

    start = time.perf_counter()
    result = compare(dataset=dataset, interventions=interventions, seeds=seeds, jobs=jobs, output=output)
    return time.perf_counter() - start, result


def model_seconds(cells) -> float:
    """Learner fits per cell plus each task's scoring/tuning time (counted once per task)."""
    fits = cells["fit_seconds"].fillna(0).sum()
    per_task = cells.drop_duplicates(["intervention", "seed"])["method_seconds"].fillna(0).sum()
    return float(fits + per_task)


def peak_memory_mb(dataset: str, output: Path) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run([sys.executable, "-m", "fairbench.cli", "compare", "--dataset", dataset, "--output", str(output),
                    "--quiet", "--jobs", "1"], check=False, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(before, after) / 1024


def help_seconds() -> float:
    exe = shutil.which("fairbench") or sys.executable
    args = [exe, "--help"] if exe != sys.executable else [exe, "-m", "fairbench.cli", "--help"]
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="adult")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        wall1, first = timed_compare(tmp / "serial", args.dataset, args.seeds, jobs=1)
        fits = model_seconds(first.cells)
        print(f"serial compare ({args.dataset}, user side, {args.seeds} seeds, {len(first.cells)} cells): "
              f"wall {wall1:.1f} s, model fits {fits:.1f} s -> overhead ratio {wall1 / fits:.3f} (target <= 1.15)")
        wall_rerun, rerun = timed_compare(tmp / "serial", args.dataset, args.seeds, jobs=1)
        print(f"re-run of the finished comparison: {wall_rerun:.2f} s = {100 * wall_rerun / wall1:.1f}% of the first run "
              f"({rerun.computed} cells recomputed; target <= 5%)")
        wall2, _ = timed_compare(tmp / "parallel", args.dataset, args.seeds, jobs=2)
        print(f"--jobs 2: wall {wall2:.1f} s -> speed-up {wall1 / wall2:.2f}x over --jobs 1 (target >= 1.6x)")
        if not args.skip_memory:
            mb = peak_memory_mb(args.dataset, tmp / "all")
            print(f"peak memory of `fairbench compare --dataset {args.dataset}` (every built-in intervention, --jobs 1): "
                  f"{mb:.0f} MB (target <= 2048 MB)")
    print(f"`fairbench --help` start-up: {help_seconds():.2f} s (best of 5; target <= 1.5 s)")
    print(f"load average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
