"""The Str library: methods on strings. Lengths and indexes count UTF-8 bytes, as Stof does.

Regular expressions (``matches``, ``find_matches``): Stof uses Rust's linear-time regex engine; Python's ``re``
backtracks, so a hostile pattern could run for ever (ReDoS). Rather than a timeout we refuse the shapes that
backtrack exponentially (a repeat nested inside another repeat, and backreferences), cap the pattern at 256
characters and the subject at 100 000 characters, so every accepted search is polynomial and small.
"""

from __future__ import annotations

import re
from typing import Any

from segmentr.stof import limits
from segmentr.stof.access import str_at, str_len
from segmentr.stof.errors import StofRuntimeError
from segmentr.stof.stdlib.table import LibFunction, lib

try:  # Python 3.11+: the parser lives in re._parser
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_parse  # type: ignore[no-redef]

MAX_PATTERN_CHARS = 256
MAX_SUBJECT_CHARS = 100_000
_REPEATS = {sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT, getattr(sre_parse, "POSSESSIVE_REPEAT", None)}
_compiled: dict[str, re.Pattern[str]] = {}


def _has_nested_repeat(items: Any, inside_repeat: bool) -> bool:
    for op, arg in items:
        if op in _REPEATS:
            _low, high, sub = arg
            if inside_repeat or _has_nested_repeat(sub, high > 1 or high == sre_parse.MAXREPEAT):
                return True
        elif op is sre_parse.SUBPATTERN:
            if _has_nested_repeat(arg[-1], inside_repeat):
                return True
        elif op is sre_parse.BRANCH:
            if any(_has_nested_repeat(branch, inside_repeat) for branch in arg[1]):
                return True
        elif op in (sre_parse.GROUPREF, sre_parse.GROUPREF_EXISTS) or (
            op in (sre_parse.ASSERT, sre_parse.ASSERT_NOT) and _has_nested_repeat(arg[1], inside_repeat)
        ):
            return True
    return False


def compile_safe(pattern: str) -> re.Pattern[str]:
    """Compile a condition's regex, refusing patterns that could backtrack exponentially."""
    cached = _compiled.get(pattern)
    if cached is not None:
        return cached
    if len(pattern) > MAX_PATTERN_CHARS:
        raise StofRuntimeError(f"regex longer than {MAX_PATTERN_CHARS} characters", kind="Regex")
    try:
        parsed = sre_parse.parse(pattern)
        if _has_nested_repeat(parsed, False):
            raise StofRuntimeError(
                "regex with nested repetition or backreferences is not allowed", kind="Regex"
            )
        compiled = re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        raise StofRuntimeError(f"invalid regex: {exc}", kind="Regex") from None
    if len(_compiled) > 256:
        _compiled.clear()
    _compiled[pattern] = compiled
    return compiled


def _subject(s: str) -> str:
    if len(s) > MAX_SUBJECT_CHARS:
        raise StofRuntimeError(f"regex subject longer than {MAX_SUBJECT_CHARS} characters", kind="Regex")
    return s


def _byte_index(s: str, sub: str) -> int:
    if s.isascii() and sub.isascii():
        return s.find(sub)
    return s.encode().find(sub.encode())


def _substring(s: str, start: int = 0, end: int | None = -1) -> str:
    data = s.encode() if not s.isascii() else None
    size = len(s) if data is None else len(data)
    stop = size if end is None or end < 0 else min(end, size)
    begin = max(0, min(start, size))
    if begin >= stop:
        return ""
    if data is None:
        return s[begin:stop]
    return data[begin:stop].decode("utf-8", errors="ignore")


def _split(s: str, sep: str = " ") -> list[str]:
    if sep == "":
        return ["", *list(s), ""]
    parts = s.split(sep)
    limits.check_items(len(parts))
    return parts


def _replace(s: str, find: str, repl: str = "") -> str:
    if find == "":
        return s
    count = s.count(find)
    limits.check_string_size(len(s) + count * max(0, len(repl) - len(find)))
    return s.replace(find, repl)


def _push(s: str, other: str) -> str:
    limits.check_string_size(len(s) + len(other))
    return s + other


def _find_matches(s: str, pattern: str) -> list[tuple[str, int, int]]:
    """Every match as (content, start, end), offsets in UTF-8 bytes."""
    found = []
    for match in compile_safe(pattern).finditer(_subject(s)):
        if s.isascii():
            start, end = match.start(), match.end()
        else:
            start = len(s[: match.start()].encode())
            end = start + len(match.group().encode())
        found.append((match.group(), start, end))
        limits.check_items(len(found))
    return found


def _first(s: str) -> Any:
    return s[0] if s else None


def _last(s: str) -> Any:
    return s[-1] if s else None


STR: dict[str, LibFunction] = {
    "len": lib(str_len),
    "at": lib(str_at, 1, 1, "int"),
    "first": lib(_first),
    "last": lib(_last),
    "contains": lib(lambda s, sub: sub in s, 1, 1, "str"),
    "starts_with": lib(lambda s, sub: s.startswith(sub), 1, 1, "str"),
    "ends_with": lib(lambda s, sub: s.endswith(sub), 1, 1, "str"),
    "index_of": lib(_byte_index, 1, 1, "str"),
    "replace": lib(_replace, 1, 2, "str", "str"),
    "split": lib(_split, 0, 1, "str"),
    "substring": lib(_substring, 0, 2, "int", "int"),
    "trim": lib(lambda s: s.strip()),
    "trim_start": lib(lambda s: s.lstrip()),
    "trim_end": lib(lambda s: s.rstrip()),
    "upper": lib(lambda s: s.upper()),
    "lower": lib(lambda s: s.lower()),
    "push": lib(_push, 1, 1, "str"),
    "matches": lib(lambda s, p: compile_safe(p).search(_subject(s)) is not None, 1, 1, "str"),
    "find_matches": lib(_find_matches, 1, 1, "str"),
}

__all__ = ["MAX_PATTERN_CHARS", "MAX_SUBJECT_CHARS", "STR", "compile_safe"]
