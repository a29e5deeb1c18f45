"""A dataset loader's options, read from its signature, and the check of what a user passes.

``--dataset-option KEY=VALUE`` (CLI) and ``dataset_options={...}`` (API) reach the loader as
keyword arguments.  Every built-in loader also takes ``**options`` and ignores what it does not
know, so a misspelled key would silently change nothing: :func:`resolve` refuses a key the
loader does not name, listing the ones it does.  Text values (all the CLI has) are converted
to the type of the parameter's default (bool, int, float) when they read as one, so a plugin
loader gets ``n=500`` rather than ``n='500'``; anything else stays text for the loader to parse
(``year=all``).
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Mapping

from fairbench.contract import DatasetSpec
from fairbench.errors import UserInputError

#: Options the harness may pass to every loader (``--drop-sensitive``, ``--data-dir``); a loader
#: without a use for one ignores it, so they are never refused.
GENERIC = ("drop_sensitive", "data_dir")

#: Options that have their own command-line flag (the second set for ``csv:PATH`` only).
FLAGS = {"drop_sensitive": "--drop-sensitive", "data_dir": "--data-dir"}
CSV_FLAGS = {"label": "--label", "sensitive": "--sensitive", "protected_value": "--protected-value",
             "favorable_value": "--favorable-value"}


@dataclass(frozen=True)
class LoaderOption:
    name: str
    default: Any = inspect.Parameter.empty

    @property
    def required(self) -> bool:
        return self.default is inspect.Parameter.empty


def loader_options(spec: DatasetSpec) -> tuple[LoaderOption, ...] | None:
    """The loader's named keyword parameters; None when it names none (it takes ``**options`` only)."""
    try:
        params = inspect.signature(spec.loader).parameters.values()
    except (TypeError, ValueError):  # a builtin or C callable without a signature: nothing to check
        return None
    named = [p for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if not named:
        return None
    return tuple(LoaderOption(p.name, p.default) for p in named)


def parse_pair(text: str) -> tuple[str, str]:
    """``KEY=VALUE`` -> ``(KEY, VALUE)``; the CLI's argparse type for ``--dataset-option``."""
    import argparse

    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"--dataset-option takes KEY=VALUE, e.g. n=2000, got {text!r}")
    return key.strip(), value.strip()


def resolve(spec: DatasetSpec, options: Mapping[str, Any]) -> dict:
    """``options`` checked against ``spec``'s loader, text values converted (see the module doc)."""
    declared = loader_options(spec)
    if declared is None:
        return dict(options)
    by_name = {o.name: o for o in declared}
    out = {}
    for key, value in options.items():
        if key not in by_name:
            if key in GENERIC:
                out[key] = value
                continue
            raise UserInputError(f"dataset {spec.name!r} has no option {key!r}; its options: "
                                 f"{', '.join(by_name)} (see fairbench list --dataset {spec.name})")
        out[key] = _convert(value, by_name[key])
    return out


def _convert(value: Any, option: LoaderOption) -> Any:
    if not isinstance(value, str) or option.required or option.default is None:
        return value
    default = option.default
    if isinstance(default, bool):
        from fairbench.datasets._common import flag

        return flag(value, option.name)
    for kind in (int, float):
        if isinstance(default, kind):
            try:
                return kind(value)
            except ValueError:
                return value  # e.g. year=all: the loader decides
    return value
