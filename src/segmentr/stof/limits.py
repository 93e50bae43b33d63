"""Size limits on values a condition builds (strings, collections, nesting), so no condition can exhaust memory."""

from __future__ import annotations

from segmentr.stof.errors import StofBudgetExceeded

MAX_STRING_BYTES = 1_000_000
MAX_COLLECTION_ITEMS = 100_000
MAX_NESTING = 200


def check_string(s: str) -> str:
    """``s`` unchanged, or StofBudgetExceeded when it is longer than the limit (measured in characters, an
    under-estimate of UTF-8 bytes at most 4x; the limit is about memory, not exact byte counts)."""
    if len(s) > MAX_STRING_BYTES:
        raise StofBudgetExceeded(f"string longer than {MAX_STRING_BYTES} bytes", budget="size")
    return s


def check_string_size(n: int) -> None:
    """Raise before building a string of ``n`` characters that would exceed the limit."""
    if n > MAX_STRING_BYTES:
        raise StofBudgetExceeded(f"string longer than {MAX_STRING_BYTES} bytes", budget="size")


def check_items(n: int) -> None:
    """Raise when a collection would hold more than the item limit."""
    if n > MAX_COLLECTION_ITEMS:
        raise StofBudgetExceeded(f"collection larger than {MAX_COLLECTION_ITEMS} items", budget="size")


def check_nesting(depth: int) -> None:
    if depth > MAX_NESTING:
        raise StofBudgetExceeded(f"values nested deeper than {MAX_NESTING}", budget="nesting")


__all__ = [
    "MAX_COLLECTION_ITEMS",
    "MAX_NESTING",
    "MAX_STRING_BYTES",
    "check_items",
    "check_nesting",
    "check_string",
    "check_string_size",
]
