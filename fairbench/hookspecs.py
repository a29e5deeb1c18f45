"""The plugin contract: every intervention, dataset, metric and learner, built-in or third-party, enters here.

Hooks follow the register-callback style of datasette/llm: a plugin is handed a ``register``
function and calls it once per thing it provides. Built-ins use exactly the same hooks.
"""
from __future__ import annotations

from typing import Callable

import pluggy

PROJECT = "fairbench"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def fairbench_register_interventions(register: Callable[..., None]) -> None:
    """Register interventions by calling ``register(fairbench.Intervention(...))`` once each.

    An intervention is a user-side label strategy (stage ``labels``) or a firm-side method
    (stages ``pre``, ``in``, ``post``); see ``fairbench.stages`` for what each stage supplies.
    """


@hookspec
def fairbench_register_datasets(register: Callable[..., None]) -> None:
    """Register datasets by calling ``register(fairbench.DatasetSpec(...))`` once each.

    A dataset spec carries the metadata ``fairbench list`` prints and a loader returning a
    ``fairbench.Dataset``.
    """


@hookspec
def fairbench_register_metrics(register: Callable[..., None]) -> None:
    """Register metrics by calling ``register(fairbench.Metric(...))`` once each.

    A metric computes one number per evaluation set from a ``fairbench.metrics.GroupRates``
    (predictions, true labels, groups and their per-group rates). Its ``name`` becomes a
    cells.csv column (and ``val_<name>`` on validation); a ``fairness`` metric also gets seed
    means and a Pareto flag in fronts.csv, and can be the unfairness axis of tables and figures
    (``fairbench compare --fairness-metric NAME``). See "Adding a metric" in docs/plugins.md.
    """


@hookspec
def fairbench_register_learners(register: Callable[..., None]) -> None:
    """Register the firm's learners by calling ``register(fairbench.Learner(...))`` once each.

    A learner is a scikit-learn classifier built by ``make(random_state)``; every firm-side fit
    of a run uses the one named by ``--learner NAME`` (default ``hgb``, as the paper).  Its
    parameters are part of each cell's key.  See "Adding a learner" in docs/plugins.md.
    """
