"""``python -m fairbench.testing [NAME ...] [--trace] [--hooks-markdown]``."""
from __future__ import annotations

import sys
import textwrap

from fairbench.contract import Intervention
from fairbench.testing.checks import run_checks, checks_for
from fairbench.testing.docs import hooks_markdown
from fairbench.testing.kit import trace


def main(argv: list[str] | None = None) -> int:
    """``python -m fairbench.testing [NAME ...] [--trace] [--hooks-markdown]``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m fairbench.testing", description="Run the fairbench conformance kit.")
    parser.add_argument("names", nargs="*",
                        help="registered interventions, datasets, metrics or learners (default: every intervention)")
    parser.add_argument("--trace", action="store_true", help="also print every call the kit made to each intervention")
    parser.add_argument("--hooks-markdown", action="store_true", help="print the generated hook reference of docs/plugins.md")
    args = parser.parse_args(argv)
    if args.hooks_markdown:
        print(hooks_markdown())
        return 0
    from fairbench.plugins import get_registry

    registry = get_registry()
    for line in registry.problems:
        print(f"problem: {line}", file=sys.stderr)
    objs = []
    for name in args.names or list(registry.interventions):
        if name in registry.interventions:
            objs.append(registry.interventions[name])
        elif name in registry.datasets:
            objs.append(registry.datasets[name])
        elif name in registry.metrics:
            objs.append(registry.metrics[name])
        elif name in registry.learners:
            objs.append(registry.learners[name])
        else:
            print(f"unknown intervention, dataset, metric or learner {name!r}", file=sys.stderr)
            return 2
    failed = 0
    for obj in objs:
        results = run_checks(obj, checks_for(obj))
        for r in results:
            print(f"{r.status:8} {r.name:24} {r.rule:30} {r.seconds:7.2f} s  {r.plugin}")
            if r.status != "passed":
                print(textwrap.indent(r.detail, "         "))
        failed += sum(r.status == "failed" for r in results)
        if args.trace and isinstance(obj, Intervention):
            print(textwrap.indent("\n".join(trace(obj)), f"  trace {obj.name}: "))
    print(f"{failed} check(s) failed" if failed else "all checks passed or skipped")
    return 1 if failed else 0


