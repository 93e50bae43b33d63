"""The shape of a library table: name -> function, arity bounds and the casts applied to its parameters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple


class LibFunction(NamedTuple):
    """One library function. For receiver libraries (Num, Str, List, ...) ``fn`` takes the receiver first and
    ``min_args``/``max_args``/``casts`` describe the arguments after it; ``max_args`` None means variadic."""

    fn: Callable[..., Any]
    min_args: int
    max_args: int | None
    casts: tuple[tuple[str, ...] | None, ...] = ()


def lib(
    fn: Callable[..., Any], min_args: int = 0, max_args: int | None = -1, *casts: str | None
) -> LibFunction:
    """Build a table entry; ``max_args=-1`` means "same as min_args"; each cast is a type name ("int",
    "str|null", ...) or None for no cast."""
    upper = min_args if max_args == -1 else max_args
    return LibFunction(fn, min_args, upper, tuple(tuple(c.split("|")) if c else None for c in casts))


__all__ = ["LibFunction", "lib"]
