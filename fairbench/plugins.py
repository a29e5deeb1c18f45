"""The plugin manager: built-ins from DEFAULT_PLUGINS and third-party packages from the
``fairbench`` entry-point group, registered through one pluggy manager.

``FAIRBENCH_LOAD_PLUGINS`` restricts entry-point autoloading: unset loads every installed plugin,
an empty string loads none, ``a,b`` loads only the entry points named ``a`` and ``b``.  Built-ins
are always loaded.  A plugin that fails to import, raises while registering or registers a name
that is already taken is recorded in ``Registry.problems`` and skipped; the rest still works.
"""
from __future__ import annotations

import importlib
import importlib.metadata
import os
from dataclasses import dataclass, field, replace
from functools import lru_cache

import pluggy

from fairbench import hookspecs
from fairbench.contract import DatasetSpec, Intervention, Learner
from fairbench.errors import PluginError, unknown_name
from fairbench.metrics import Metric

ENTRY_POINT_GROUP = "fairbench"
LOAD_ENV = "FAIRBENCH_LOAD_PLUGINS"

DEFAULT_PLUGINS = (
    "fairbench.interventions.baseline",
    "fairbench.interventions.collective",
    "fairbench.interventions.fare_space",
    "fairbench.interventions.firm.lfr",
    "fairbench.interventions.firm.fare",
    "fairbench.interventions.firm.calibrated_eo",
    "fairbench.interventions.firm.reductions",
    "fairbench.interventions.firm.threshold",
    "fairbench.interventions.firm.relaxed",
    "fairbench.interventions.firm.label_cleaning",
    "fairbench.datasets.plugin",
    "fairbench.metrics",
    "fairbench.learners",
)


@dataclass
class PluginInfo:
    """One loaded plugin: where it came from and what it provides."""

    name: str
    source: str  # "builtin" or the distribution that declared the entry point
    version: str
    interventions: list[str] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    learners: list[str] = field(default_factory=list)


@dataclass
class Registry:
    """Every intervention, dataset, metric and learner known in this process, with who provided it."""

    interventions: dict[str, Intervention] = field(default_factory=dict)
    datasets: dict[str, DatasetSpec] = field(default_factory=dict)
    metrics: dict[str, Metric] = field(default_factory=dict)
    learners: dict[str, Learner] = field(default_factory=dict)
    plugins: dict[str, PluginInfo] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def intervention(self, name: str) -> Intervention:
        if name not in self.interventions:
            raise unknown_name("intervention", name, self.interventions)
        return self.interventions[name]

    def dataset(self, name: str) -> DatasetSpec:
        key = "csv" if name.startswith("csv:") else name
        if key not in self.datasets:
            raise unknown_name("dataset", name, list(self.datasets) + ["csv:PATH"])
        return self.datasets[key]

    def learner(self, name: str) -> Learner:
        if name not in self.learners:
            raise unknown_name("learner", name, self.learners)
        return self.learners[name]

    def unavailable_reason(self, item: Intervention | Learner) -> str | None:
        """None when the intervention or learner can run here, else a one-line install hint."""
        return item.unavailable_reason()


TYPES = {"intervention": Intervention, "dataset": DatasetSpec, "metric": Metric, "learner": Learner}


def _validate(item, plugin: str, kind: str):
    """The item with its plugin filled in, or a PluginError naming the first problem of its declaration."""
    expected = TYPES[kind]
    if not isinstance(item, expected):
        raise PluginError(f"plugin {plugin!r} registered {type(item).__name__}, expected fairbench.{expected.__name__}")
    problems = item.problems()
    if problems:
        raise PluginError(f"plugin {plugin!r}: {kind} {item.name!r}: {problems[0]}")
    return replace(item, plugin=plugin)


def _collect(pm: pluggy.PluginManager, registry: Registry) -> None:
    """Call each plugin's hooks separately so one broken plugin cannot spoil the others.

    A plugin's registrations through one hook are accepted or rejected together: a name that is
    already taken (by an earlier plugin, or twice by the same one) rejects them all, with a
    message naming both plugins, so a half-registered plugin never runs.
    """
    kinds = (
        ("fairbench_register_interventions", registry.interventions, "intervention", "interventions"),
        ("fairbench_register_datasets", registry.datasets, "dataset", "datasets"),
        ("fairbench_register_metrics", registry.metrics, "metric", "metrics"),
        ("fairbench_register_learners", registry.learners, "learner", "learners"),
    )
    for hook_name, table, kind, attr in kinds:
        for impl in getattr(pm.hook, hook_name).get_hookimpls():
            plugin = impl.plugin_name
            staged: list = []
            try:
                impl.function(register=staged.append)
                accepted = {}
                for item in staged:
                    item = _validate(item, plugin, kind)
                    owner = table[item.name].plugin if item.name in table else plugin if item.name in accepted else None
                    if owner is not None:
                        raise PluginError(
                            f"plugin {plugin!r} registers {kind} {item.name!r}, already provided by plugin {owner!r}; "
                            f"plugin {plugin!r}'s {attr} were rejected"
                        )
                    accepted[item.name] = item
            except Exception as exc:  # a plugin's bug must not stop the others
                registry.problems.append(_first_line(exc) if isinstance(exc, PluginError) else f"plugin {plugin!r} failed while registering {kind}s: {_first_line(exc)}")
                continue
            table.update(accepted)
            info = registry.plugins.get(plugin)
            if info is not None:
                getattr(info, attr).extend(accepted)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    first = lines[0] if lines else ""
    return first if isinstance(exc, PluginError) else f"{type(exc).__name__}: {first}".rstrip(": ")


def _wanted_entry_points() -> list[importlib.metadata.EntryPoint]:
    eps = list(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP))
    setting = os.environ.get(LOAD_ENV)
    if setting is None:
        return eps
    allowed = {s.strip() for s in setting.split(",") if s.strip()}
    return [ep for ep in eps if ep.name in allowed]


def build_registry(extra: tuple = (), builtins: tuple[str, ...] = DEFAULT_PLUGINS, entry_points: bool = True) -> Registry:
    """A fresh registry: built-ins first, then installed entry points, then ``extra`` plugin objects.

    ``extra`` lets tests and notebooks register a plugin without packaging it;
    ``entry_points=False`` skips installed plugins whatever ``FAIRBENCH_LOAD_PLUGINS`` says.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    registry = Registry()
    from fairbench import __version__

    for module_name in builtins:
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:
            registry.problems.append(f"built-in plugin {module_name!r} failed to import: {_first_line(exc)}")
            continue
        pm.register(module, name=module_name)
        registry.plugins[module_name] = PluginInfo(module_name, "builtin", __version__)
    for ep in (_wanted_entry_points() if entry_points else []):
        dist = ep.dist.name if ep.dist else "?"
        version = ep.dist.version if ep.dist else "?"
        try:
            module = ep.load()
            pm.register(module, name=ep.name)
        except Exception as exc:
            registry.problems.append(f"plugin {ep.name!r} ({dist}) failed to load and was skipped: {_first_line(exc)}")
            continue
        registry.plugins[ep.name] = PluginInfo(ep.name, dist, version)
    for plugin in extra:
        name = getattr(plugin, "__name__", None) or type(plugin).__name__
        try:
            pm.register(plugin, name=name)
        except Exception as exc:  # e.g. the same object or name is already registered
            registry.problems.append(f"plugin {name!r} (local) could not be registered and was skipped: {_first_line(exc)}")
            continue
        registry.plugins[name] = PluginInfo(name, "local", "-")
    _collect(pm, registry)
    return registry


@lru_cache(maxsize=1)
def get_registry() -> Registry:
    """The process-wide registry (built once)."""
    return build_registry()
