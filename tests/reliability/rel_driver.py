"""A comparison run as a separate process, for the kill / interrupt / concurrent-writer tests.

``python rel_driver.py OUTPUT [extra CLI args]`` runs ``fairbench compare`` through the real command
line (``fairbench.cli.main``) on a small synthetic dataset ``rel-data`` with one test-only strategy,
``slow-random``, whose scoring sleeps ``$FB_REL_DELAY`` seconds (default 0).  The delay changes no
result and no cell key, so a slowed-down run must store exactly the cells of a fast one.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rel_support import dataset, frame, intervention, registry_with  # noqa: E402

PLUGIN_NAME = "reliability-driver"
SEEDS = 4
BUDGETS = "0,3,6"
INTERVENTIONS = "slow-random,rb-label"


class SlowRandom:
    """Random scores, after a pause (so that a run lasts long enough to be killed mid-way)."""

    def score(self, view):
        time.sleep(float(os.environ.get("FB_REL_DELAY", "0")))
        return np.random.default_rng([view.random_state, 0xD1]).random(len(view.candidates))


def build():
    return registry_with({"rel-data": dataset(frame(400, seed=11), name="rel-data")},
                         [intervention("slow-random", "labels", SlowRandom)], name=PLUGIN_NAME)


def argv(output, *extra) -> list[str]:
    return ["compare", "--dataset", "rel-data", "--output", str(output), "--seeds", str(SEEDS),
            "--interventions", INTERVENTIONS, "--budgets", BUDGETS, "--learner", "logreg", "--no-tune",
            "--quiet", "--jobs", "1", *extra]


def main(args: list[str]) -> int:
    import fairbench.runner
    from fairbench.cli import main as cli_main

    registry = build()
    fairbench.runner.get_registry = lambda: registry  # the CLI's registry, plus the test-only plugin
    return cli_main(argv(*args))


if __name__ == "__main__":
    import signal

    from threadpoolctl import threadpool_limits

    # A shell started without job control (`pytest &`, some CI runners) ignores SIGINT in its
    # background children, and Python then keeps it ignored; the interrupt tests need Ctrl-C's behaviour.
    signal.signal(signal.SIGINT, signal.default_int_handler)

    threadpool_limits(1)
    sys.exit(main(sys.argv[1:]))
