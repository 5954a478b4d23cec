"""Config problems as data: each is a key path and a message, rendered once, in stack-file words.

A model validator reports its problems by raising `Problems` (a ValueError, so pydantic
collects it with every other error); pydantic keeps the exception itself in the error's
context, so each problem's path arrives as a tuple, relative to the model that found it.
`ConfigError` renders every problem as `path: message`, one per line.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import pulumi

KeyPath = tuple[Any, ...]
"""Keys from the top of the `z360-ecs:` namespace (`("services", "web", "memory")`); list
positions are ints. A problem outside the namespace names its key whole (`("aws:region",)`)."""


class Problem(NamedTuple):
    path: KeyPath
    message: str

    def __str__(self) -> str:
        return f"{'.'.join(map(str, self.path))}: {self.message}" if self.path else self.message


class Problems(ValueError):
    """Raised by a model validator: every problem it found, paths relative to that model, so a
    cross-field check reports at the key that is wrong."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(map(str, self.problems)))


def raise_problems(problems: Iterable[tuple[KeyPath, str]]) -> None:
    """Raise every (relative key path, message) a validator found, if it found any."""
    found = [Problem(tuple(path), message) for path, message in problems]
    if found:
        raise Problems(found)


class ConfigError(pulumi.RunError):
    """Stack configuration is invalid. Pulumi prints a RunError without a traceback."""

    def __init__(self, problems: Sequence[Problem]):
        self.details = list(problems)
        """Each problem as (key path, message)."""
        self.problems = [str(problem) for problem in self.details]
        """Each problem as the line it is shown as."""
        listing = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(
            f"invalid stack configuration ({len(self.problems)} problem"
            f"{'s' if len(self.problems) != 1 else ''}):\n{listing}"
        )


def unique(problems: Iterable[Problem]) -> list[Problem]:
    """Each problem once, in the order found (a default shared by six services is one problem)."""
    first: dict[str, Problem] = {}
    for problem in problems:
        first.setdefault(str(problem), problem)
    return list(first.values())


def format_value(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def yaml_kind(value: Any) -> str:
    """What YAML made of a value, in the words of a stack file."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return type(value).__name__


# --- pydantic errors -> problems ------------------------------------------------------------

# pydantic error type -> what the key must be, for wrong YAML types.
_EXPECTED_TYPE = {
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "string_type": "a string",
    "dict_type": "a mapping (key: value)",
    "model_type": "a mapping (key: value)",
    "model_attributes_type": "a mapping (key: value)",
    "list_type": "a list",
}


def expand(error: Mapping[str, Any]) -> list[tuple[KeyPath, dict[str, Any]]]:
    """One (key path, error) per problem: a model validator may report several at once."""
    loc = tuple(
        p for p in error["loc"]
        if not (isinstance(p, str) and ("[" in p or p.startswith("function-")))
    )
    raised = (error.get("ctx") or {}).get("error")
    if error["type"] != "value_error" or not isinstance(raised, Problems):
        return [(loc, dict(error))]
    return [(loc + problem.path, {**error, "msg": problem.message}) for problem in raised.problems]


def describe(
    error: Mapping[str, Any], loc: KeyPath, allowed_keys: Callable[[KeyPath], list[str]]
) -> Problem:
    """The problem a pydantic error at `loc` stands for; `allowed_keys(parent path)` lists the
    keys a mapping may hold, for 'did you mean' on an unknown key."""
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        allowed = allowed_keys(loc[:-1])
        return Problem(loc, f"unknown key{did_you_mean(str(loc[-1]), allowed)} "
                            f"(allowed: {', '.join(allowed)})")
    if kind == "missing":
        return Problem(loc, "required key is missing")
    if kind in _EXPECTED_TYPE:
        unquote = ""
        if isinstance(value, str) and kind in ("int_type", "float_type", "bool_type"):
            unquote = " (remove the quotes)"
        return Problem(loc, f"{format_value(value)} is {yaml_kind(value)}; must be "
                            f"{_EXPECTED_TYPE[kind]}{unquote}")
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    if kind in ("value_error", "assertion_error"):
        # Our own validators name the value in their message.
        return Problem(loc, message)
    for wordy, plain in (("Input should be", "must be"), ("String should", "must"),
                         ("List should", "must"), ("Dictionary should", "must")):
        if message.startswith(wordy):
            message = plain + message[len(wordy):]
    message = message.replace(" after validation", "")
    return Problem(loc, f"{format_value(value)} is not allowed: {message}")


def did_you_mean(word: str, allowed: Sequence[str]) -> str:
    """A "did you mean" hint when `word` looks like a misspelling of an allowed key."""
    hint = difflib.get_close_matches(word, allowed, n=1)
    return f"; did you mean {hint[0]!r}?" if hint else ""
