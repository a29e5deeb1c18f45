"""The hook reference of docs/plugins.md, generated from the code."""
from __future__ import annotations

import inspect

from fairbench.metrics import Metric
from fairbench.testing.kit import RULES


def hooks_markdown() -> str:
    """The hook reference of docs/plugins.md, generated from ``fairbench.hookspecs``, ``fairbench.stages``
    and ``fairbench.contract``."""
    from fairbench import contract, hookspecs, stages

    specs = [fn for _, fn in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(fn, f"{hookspecs.PROJECT}_spec")]
    specs.sort(key=lambda fn: inspect.getsourcelines(fn)[1])
    out = ["<!-- BEGIN GENERATED: python -m fairbench.testing --hooks-markdown -->", "",
           f"Hook specifications (`fairbench/hookspecs.py`, pluggy project `{hookspecs.PROJECT}`):", ""]
    for fn in specs:
        signature = str(inspect.signature(fn)).replace("'", "")  # annotations are strings here
        out += [f"### `{fn.__name__}{signature}`", "", inspect.getdoc(fn) or "", ""]
    out += ["### What each stage's object supplies (`fairbench/stages.py`)", "", inspect.getdoc(stages) or "", "",
            "The stages, in pipeline order, with their calls in the order the harness (and the kit) makes them; "
            "optional methods and attributes are used when the object has them:", "", *stages.markdown()]
    out += ["Fields of the shared types (see their docstrings in `fairbench/contract.py`; `Metric` in "
            "`fairbench/metrics.py`):", ""]
    for cls in (contract.Intervention, contract.DatasetSpec, contract.Dataset, contract.CollectiveView, Metric,
                contract.Learner):
        fields = ", ".join(f"`{f}`" for f in cls.__dataclass_fields__)
        out += [f"- `fairbench.{cls.__name__}`: {fields}"]
    out += [""]
    out += ["### The kit's rules (`fairbench/testing/kit.py`)", "", "| rule | what it requires |", "|---|---|"]
    out += [f"| `{rule}` | {text} |" for rule, text in RULES.items()]
    out += ["", "<!-- END GENERATED -->"]
    return "\n".join(out)
