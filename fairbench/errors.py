"""Errors a user can act on.  The CLI prints them as one line and exits non-zero."""
from __future__ import annotations


class FairbenchError(Exception):
    """Base class: the message names the input at fault and what would be accepted."""


class UserInputError(FairbenchError, ValueError):
    """Bad option, name or data supplied by the user."""


class DataError(UserInputError):
    """A data file is missing, corrupt or malformed (the message names file and column)."""


class PluginError(FairbenchError):
    """A plugin broke the contract or failed; the message names the plugin."""


class UnavailableError(FairbenchError):
    """An optional dependency or a data file is missing; the message says how to get it."""


def unknown_name(kind: str, name: str, valid) -> UserInputError:
    """The one error for every unknown name: it lists the valid ones."""
    names = ", ".join(sorted(valid)) or "(none registered)"
    return UserInputError(f"unknown {kind} {name!r}; valid {kind}s: {names}")
