"""Comma-separated command-line values, shared by `compare` and the experiment commands."""
from __future__ import annotations

import argparse
from typing import Callable


def names(text: str) -> list[str]:
    """``a, b,,c`` -> ``['a', 'b', 'c']``."""
    return [t.strip() for t in text.split(",") if t.strip()]


def number_list(convert: Callable[[str], float | int], problem: str) -> Callable[[str], list]:
    """An argparse type for comma-separated numbers; ``problem`` is the message before the bad item."""
    def parse(text: str) -> list:
        values = []
        for t in names(text):
            try:
                values.append(convert(t))
            except ValueError:
                raise argparse.ArgumentTypeError(f"{problem}, got {t!r}") from None
        return values

    return parse
