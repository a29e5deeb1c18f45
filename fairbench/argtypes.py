"""Comma-separated command-line values, shared by `compare` and the experiment commands.

Every comma-list option refuses an empty value (``--interventions ""``, often an unset shell
variable): silently falling back to the default would run every intervention for minutes.
The parsers carry ``comma_list = True`` so that tests can find every option that uses one.
"""
from __future__ import annotations

import argparse
from typing import Any, Callable, Iterable

EMPTY = "got an empty value (an unset shell variable?)"


def names(text: str) -> list[str]:
    """``a, b,,c`` -> ``['a', 'b', 'c']`` (blank items dropped; may be empty)."""
    return [t.strip() for t in text.split(",") if t.strip()]


def _comma_list(parse: Callable[[str], list]) -> Callable[[str], list]:
    parse.comma_list = True
    return parse


def name_list(kind: str, valid: Callable[[], Iterable[str]]) -> Callable[[str], list[str]]:
    """An argparse type for comma-separated names of a ``kind``; an empty value lists the valid ones.

    ``valid`` is called only for that error, so parsing never loads the plugins.
    """
    def parse(text: str) -> list[str]:
        values = names(text)
        if not values:
            raise argparse.ArgumentTypeError(
                f"expected {kind} names separated by commas, {EMPTY}; valid {kind}s: {', '.join(sorted(valid()))}")
        return values

    return _comma_list(parse)


def number_list(convert: Callable[[str], Any], problem: str) -> Callable[[str], list]:
    """An argparse type for comma-separated numbers; ``problem`` is the message before the bad item.

    ``convert`` raises ValueError for an item it does not accept.
    """
    def parse(text: str) -> list:
        items = names(text)
        if not items:
            raise argparse.ArgumentTypeError(f"{problem}, {EMPTY}")
        values = []
        for t in items:
            try:
                values.append(convert(t))
            except ValueError:
                raise argparse.ArgumentTypeError(f"{problem}, got {t!r}") from None
        return values

    return _comma_list(parse)


def grid_pair(text: str) -> tuple[str, list[float]]:
    """``NAME=v1,v2`` -> ``(NAME, [v1, v2])``: ``--grid``, the knob values of one firm method to run."""
    name, sep, values = text.partition("=")
    problem = f"--grid takes NAME=v1,v2 (a firm method and values of its grid, e.g. reductions-eg=0.02,0.05), got {text!r}"
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(problem)
    return name.strip(), number_list(float, problem)(values)
