"""`fairbench list`: the interventions, datasets, learners and metrics tables, and one dataset's detail view.

The tables fit the terminal: a long "how to get it" line would make a row hundreds of characters
wide, so the table says ``no (see below)`` and the reasons follow it, one per item, wrapped to
the terminal's width; descriptive columns wrap at spaces too.  Names (of interventions, knobs,
plugins) are never broken, so the interventions table stays about 118 columns wide.  Source,
description and the loader's options are in ``fairbench list --dataset NAME``.
"""
from __future__ import annotations

import shutil
import textwrap

from fairbench.dataset_options import CSV_FLAGS, FLAGS, loader_options

UNAVAILABLE = "no (see below)"
MIN_WRAP = 12  # a wrapped column is never narrower than this


def terminal_width() -> int:
    """Columns of the terminal (``$COLUMNS`` first); 100 when output is not a terminal."""
    return shutil.get_terminal_size((100, 24)).columns


def fit_table(rows: list[list], headers: list[str], wrap: tuple[int, ...], width: int) -> str:
    """tabulate's plain table, wrapping the ``wrap`` columns at spaces (widest first) until it fits ``width``."""
    from tabulate import tabulate

    cells = [[str(v) for v in row] for row in rows]
    limits: dict[int, int] = {}
    while True:
        shown = [[_wrapped(v, limits.get(j)) for j, v in enumerate(row)] for row in cells]
        text = tabulate(shown, headers=headers, disable_numparse=True)
        too_wide = max(map(len, text.splitlines()), default=0) - width
        if too_wide <= 0:
            return text
        widths = {j: _column_width([headers[j], *(r[j] for r in shown)]) for j in wrap}
        narrowest = {j: max([MIN_WRAP, len(headers[j]), *(len(w) for r in cells for w in r[j].split())]) for j in wrap}
        shrinkable = [j for j in wrap if widths[j] > narrowest[j]]
        if not shrinkable:
            return text  # as narrow as it gets without breaking words
        j = max(shrinkable, key=widths.get)
        limits[j] = max(narrowest[j], widths[j] - too_wide)  # < widths[j]: each pass narrows, so this ends


def _wrapped(text: str, limit: int | None) -> str:
    return text if limit is None else textwrap.fill(text, width=limit, break_long_words=False, break_on_hyphens=False)


def _column_width(values: list[str]) -> int:
    return max(len(line) for v in values for line in v.splitlines() or [""])


def reasons_below(reasons: list[tuple[str, str]], width: int) -> list[str]:
    """``name: reason`` lines, each wrapped to ``width`` with an indented continuation."""
    return [textwrap.fill(f"{name}: {reason}", width=width, subsequent_indent="    ", break_on_hyphens=False)
            for name, reason in reasons]


def intervention_lines(registry, width: int) -> list[str]:
    rows, reasons = [], []
    for iv in registry.interventions.values():
        reason = registry.unavailable_reason(iv)
        if reason:
            reasons.append((iv.name, reason))
        rows.append([iv.name, iv.side, iv.stage, iv.knob, "yes" if iv.in_default_run else "when named", iv.plugin,
                     UNAVAILABLE if reason else "yes"])
    table = fit_table(rows, ["name", "side", "stage", "knob", "default", "plugin", "available"], wrap=(), width=width)
    note = ("default: in a run that names no interventions; the others (a library default kept beside a fix, a "
            "defence such as label-cleaning) run when named")
    return ["Interventions", table, *reasons_below(reasons, width), "", note]


def learner_lines(registry, width: int) -> list[str]:
    """The firm's learners (``--learner NAME``): which are installed, which take missing values."""
    rows, reasons = [], []
    for learner in registry.learners.values():
        reason = registry.unavailable_reason(learner)
        if reason:
            reasons.append((learner.name, reason))
        rows.append([learner.name, UNAVAILABLE if reason else "yes", "yes" if learner.nan_tolerant else "no",
                     learner.plugin, learner.description])
    table = fit_table(rows, ["name", "available", "nan-tolerant", "plugin", "description"], wrap=(4,), width=width)
    note = "--learner NAME picks the firm's learner (default hgb, as the paper); nan-tolerant: it takes missing feature values"
    return ["Learners", table, *reasons_below(reasons, width), "", textwrap.fill(note, width=width)]


def metric_lines(registry, width: int) -> list[str]:
    """The registered metrics: cells.csv columns, and which can be the unfairness axis (``--fairness-metric``)."""
    rows = [[m.name, m.label, m.kind, "lower" if m.lower_is_better else "higher", "yes" if m.kind == "fairness" else "no",
             m.plugin] for m in registry.metrics.values()]
    table = fit_table(rows, ["name", "label", "kind", "better", "fairness axis", "plugin"], wrap=(1,), width=width)
    note = "fairness axis: usable as --fairness-metric NAME; every metric is a cells.csv column"
    return ["Metrics", table, "", textwrap.fill(note, width=width)]


def dataset_lines(registry, width: int) -> list[str]:
    rows, reasons = [], []
    for ds in registry.datasets.values():
        reason = ds.availability()
        if reason:
            reasons.append((ds.name, reason))
        rows.append([ds.name, ds.rows if ds.rows is not None else "?", ds.sensitive, ds.protected, ds.favourable,
                     ds.plugin, UNAVAILABLE if reason else "yes"])
    headers = ["name", "rows", "sensitive", "protected (a=1)", "favourable (y=1)", "plugin", "available"]
    table = fit_table(rows, headers, wrap=(2, 3, 4), width=width)
    note = "Options, source and description of one dataset: fairbench list --dataset NAME"
    return ["Datasets", table, *reasons_below(reasons, width), "", note]


def dataset_detail(registry, name: str, width: int) -> list[str]:
    """Everything about one dataset, including each option its loader accepts."""
    spec = registry.dataset(name)
    reason = spec.availability()
    facts = [("description", spec.description), ("sensitive", spec.sensitive), ("protected (a=1)", spec.protected),
             ("favourable (y=1)", spec.favourable), ("rows", spec.rows if spec.rows is not None else "?"),
             ("source", spec.source), ("plugin", spec.plugin), ("available", reason and f"no: {reason}" or "yes")]
    lines = [spec.name]
    for label, value in facts:
        lines.append(textwrap.fill(f"{label}: {value}", width=width, initial_indent="  ", subsequent_indent="    "))
    lines += ["", "Options (--dataset-option KEY=VALUE, repeatable; fairbench.compare(dataset_options={...}))"]
    options = loader_options(spec)
    if options is None:
        lines.append(f"  the loader takes **options without naming them; see plugin {spec.plugin!r}'s documentation")
        return lines
    rows = [[o.name, "(required)" if o.required else repr(o.default), _where(spec.name, o.name)] for o in options]
    lines.append(textwrap.indent(fit_table(rows, ["option", "default", "also"], wrap=(2,), width=width - 2), "  "))
    return lines


def _where(dataset: str, option: str) -> str:
    if dataset == "csv" and option == "path":
        return "given as --dataset csv:PATH"
    return FLAGS.get(option) or (CSV_FLAGS.get(option, "") if dataset == "csv" else "")

