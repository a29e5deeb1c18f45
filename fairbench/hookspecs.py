"""The plugin contract: every intervention and dataset, built-in or third-party, enters here.

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
    (stages ``pre``, ``in``, ``post``); see ``fairbench.contract`` for what each stage supplies.
    """


@hookspec
def fairbench_register_datasets(register: Callable[..., None]) -> None:
    """Register datasets by calling ``register(fairbench.DatasetSpec(...))`` once each.

    A dataset spec carries the metadata ``fairbench list`` prints and a loader returning a
    ``fairbench.Dataset``.
    """
