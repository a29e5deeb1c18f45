"""pytest glue: one test per (object, check), and what a plugin registers."""
from __future__ import annotations

import os
from typing import Any, Iterable, Mapping

from fairbench.contract import DatasetSpec, Intervention, Learner
from fairbench.testing.checks import checks_for
from fairbench.testing.kit import SLOW_ENV, ConformanceError


def parametrize_with_checks(objs: Iterable[Intervention | DatasetSpec | Learner], *, expensive: Mapping[str, str] | None = None):
    """A ``pytest.mark.parametrize("obj, check", ...)`` with one test per (object, check).

    Test ids read ``<name>-<check>`` (e.g. ``rb-prob-check_scores_finite``).  ``expensive`` maps
    names of objects whose checks take more than 20 s to the reason; their tests are marked
    ``slow`` and skipped, saying so, unless ``FAIRBENCH_SLOW_CHECKS=1``.
    """
    import pytest

    expensive = dict(expensive or {})
    run_slow = os.environ.get(SLOW_ENV) == "1"
    params = []
    for obj in objs:
        marks = []
        if obj.name in expensive:
            marks.append(pytest.mark.slow)
            if not run_slow:
                marks.append(pytest.mark.skip(reason=f"{obj.name}: {expensive[obj.name]} (> 20 s; set {SLOW_ENV}=1 to run)"))
        for check in checks_for(obj):
            params.append(pytest.param(obj, check, id=f"{obj.name}-{check.__name__}", marks=marks))
    return pytest.mark.parametrize("obj, check", params)


def registered_by(plugin: Any) -> list[Intervention | DatasetSpec | Learner]:
    """What ``plugin`` registers, validated as the registry does, beside the built-ins.

    ``plugin`` is a plugin module or object (checked without autoloading installed plugins), or
    the name of an installed entry point (checked in the registry a run would build).  Raises
    :class:`ConformanceError` (rule ``check_registration``) when the registry rejects any of
    its registrations (a name already taken, an invalid stage ...) or it registers nothing.
    """
    from fairbench.plugins import LOAD_ENV, build_registry

    if isinstance(plugin, str):
        registry, name = build_registry(), plugin
        if name not in registry.plugins:
            found = [p for p in registry.problems if repr(name) in p]
            installed = ", ".join(p for p, i in registry.plugins.items() if i.source != "builtin") or "none"
            detail = found[0] if found else f"no installed plugin named {name!r}; installed: {installed}"
            if not found and os.environ.get(LOAD_ENV) is not None:
                detail += f" ({LOAD_ENV}={os.environ[LOAD_ENV]!r} restricts which plugins load)"
            raise ConformanceError(name, "check_registration", detail)
    else:
        registry = build_registry(extra=(plugin,), entry_points=False)
        name = getattr(plugin, "__name__", None) or type(plugin).__name__
    problems = [p for p in registry.problems if repr(name) in p]
    if problems:
        raise ConformanceError(name, "check_registration", "; ".join(problems))
    info = registry.plugins[name]
    items = ([registry.interventions[n] for n in info.interventions] + [registry.datasets[n] for n in info.datasets]
             + [registry.metrics[n] for n in info.metrics] + [registry.learners[n] for n in info.learners])
    if not items:
        raise ConformanceError(name, "check_registration", "it registers no intervention, dataset, metric or learner")
    return items
