"""Fit time and objective of LFR on Adult: the exact-gradient fit against holisticai's own fit.

Run by hand: ``OMP_NUM_THREADS=1 python benchmarks/bench_lfr.py`` (``--skip-library`` leaves out
holisticai's fit, ``--x64`` adds holisticai's float64 fit, which takes minutes).  One fit per Az of
the default grid on seed 0's training rows (37k x 19 encoded); for each it prints the fit seconds,
L-BFGS-B's iterations, the final objective and the test EqOd / error of the firm's learner trained
on the representation, then the ratio of the holisticai fit's objective to the exact one, all
measured in this run.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dataset", default="adult")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-library", action="store_true")
    ap.add_argument("--x64", action="store_true")
    args = ap.parse_args(argv)

    import fairbench
    from fairbench.interventions.firm import lfr
    from fairbench.learners import make_learner
    from fairbench.metrics import evaluate
    from fairbench.prepared import prepare

    data = prepare(fairbench.load_dataset(args.dataset))
    split = data.split(args.seed)
    X, y, a = data.X[split.train], data.y[split.train], data.a[split.train]
    Xt, yt, at = data.X[split.test], data.y[split.test], data.a[split.test]

    def test_metrics(Z, Zt):
        return evaluate(yt, make_learner("hgb", args.seed).fit(Z, y).predict(Zt), at)

    base = test_metrics(X, Xt)
    print(f"{args.dataset}, seed {args.seed}: {len(y)} training rows; OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}; "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"plain learner: test EqOd {base['eqod']:.3f}, error {base['error']:.3f}")
    variants = [("lfr (exact gradient)", lfr.make, {})]
    if not args.skip_library:
        variants.append(("lfr-holisticai (float32)", lfr.make_library, {}))
    if args.x64:
        variants.append(("lfr-holisticai x64", lfr.make_library, {"x64": True}))
    objectives: dict[tuple[str, float], float] = {}
    for label, make, params in variants:
        for Az in lfr.GRID:
            method = make(Az, args.seed, categorical=data.categorical, sensitive=data.sensitive, **params)
            start = time.perf_counter()
            method.fit(X, y, a)
            seconds = time.perf_counter() - start
            m = test_metrics(method.transform(X, a), method.transform(Xt, at))
            extra = method.extra_metrics
            objectives[(label, Az)] = extra["lfr_objective"]
            iterations = extra.get("lfr_iterations", "-")
            print(f"{label:26s} Az={Az:<6g} fit {seconds:6.1f} s  iterations {iterations!s:>4}  "
                  f"objective {extra['lfr_objective']:.3f}  test EqOd {m['eqod']:.3f}  error {m['error']:.3f}")
    if not args.skip_library:
        for Az in lfr.GRID:
            ratio = objectives[("lfr-holisticai (float32)", Az)] / objectives[("lfr (exact gradient)", Az)]
            print(f"Az={Az:g}: holisticai's objective / the exact fit's = {ratio:.2f}")


if __name__ == "__main__":
    main()
