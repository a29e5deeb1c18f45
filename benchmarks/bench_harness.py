"""Measure what the harness costs beyond the model fits it must do.  Run by hand on a quiet machine:

    python benchmarks/bench_harness.py [--dataset adult] [--seeds 3] [--skip-memory]

Prints, all measured in this one run:
  * harness overhead: wall time of a serial user-side `compare` divided by the summed time of
    the model fits it had to make (learner fits per cell + scoring and k-tuning per task);
  * --jobs 2 vs --jobs 1 speed-up;
  * re-run of the finished comparison vs the first run;
  * wall time and peak memory of the default `fairbench compare` (every installed intervention,
    all cores; set FAIRBENCH_LOAD_PLUGINS= to leave out third-party plugins);
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


def peak_memory_mb(dataset: str, output: Path) -> tuple[float, float, float]:
    """(wall seconds, peak summed RSS of the process and its workers, largest single process) in MB.

    The default `compare` runs one worker per core; their memory adds up, so the tree is sampled
    (psutil, every 0.2 s).  Without psutil only the largest single process is known (getrusage).
    """
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "fairbench.cli", "compare", "--dataset", dataset,
                             "--output", str(output), "--quiet"], stdout=subprocess.DEVNULL)
    tree_peak = 0.0
    try:
        import psutil

        root = psutil.Process(proc.pid)
        while proc.poll() is None:
            try:
                members = [root, *root.children(recursive=True)]
                tree_peak = max(tree_peak, sum(p.memory_info().rss for p in members if p.is_running()))
            except psutil.Error:
                pass
            time.sleep(0.2)
    except ImportError:
        pass
    proc.wait()
    wall = time.perf_counter() - start
    single = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return wall, tree_peak / 2**20 or float("nan"), single


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
            wall, tree, single = peak_memory_mb(args.dataset, tmp / "all")
            print(f"`fairbench compare --dataset {args.dataset}` (every installed intervention, 3 seeds, all cores): "
                  f"wall {wall:.0f} s (target < 300 s); peak memory {tree:.0f} MB summed over the process and its "
                  f"workers, {single:.0f} MB in the largest one (target <= 2048 MB)")
    print(f"`fairbench --help` start-up: {help_seconds():.2f} s (best of 5; target <= 1.5 s)")
    print(f"load average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
