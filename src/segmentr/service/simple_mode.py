"""The segment editor's helpers that need no stored data: the templates, and simple-mode rows ↔ Stof."""

from __future__ import annotations

from collections.abc import Sequence

from segmentr.errors import NotSimple
from segmentr.segments import TEMPLATES, SimpleRow, Template, from_stof, to_stof
from segmentr.segments import NotSimple as NotSimpleShape

__all__ = ["condition_to_rows", "rows_to_condition", "templates"]


def templates() -> tuple[Template, ...]:
    """The six templates (product.md §3)."""
    return tuple(TEMPLATES)


def rows_to_condition(rows: Sequence[SimpleRow]) -> str:
    """The condition simple mode generates from ``rows``."""
    return to_stof(list(rows))


def condition_to_rows(condition: str) -> list[SimpleRow]:
    """The rows that generate ``condition``; ``NotSimple`` (with the reason) when simple mode cannot state it."""
    rows = from_stof(condition)
    if isinstance(rows, NotSimpleShape):
        raise NotSimple(rows.reason)
    return list(rows)
