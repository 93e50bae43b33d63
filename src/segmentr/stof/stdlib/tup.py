"""The Tup library: methods on tuples (``len``, ``at``)."""

from __future__ import annotations

from typing import Any

from segmentr.stof.stdlib.table import LibFunction, lib


def _at(items: tuple[Any, ...], i: int) -> Any:
    return items[i] if 0 <= i < len(items) else None


TUP: dict[str, LibFunction] = {
    "len": lib(len),
    "at": lib(_at, 1, 1, "int"),
}

__all__ = ["TUP"]
