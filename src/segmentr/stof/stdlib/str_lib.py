"""The Str library: methods on strings. Lengths and indexes count UTF-8 bytes, as Stof does.

Regular expressions (``matches``, ``find_matches``) run on RE2 (the ``google-re2`` package): like the Rust
``regex`` crate Stof uses, it matches in time linear in the text, whatever the pattern, and refuses what it
cannot do in linear time (backreferences, lookaround, possessive quantifiers). A refused pattern is a Stof
``Regex`` runtime error naming RE2's reason. The pattern is capped at 256 characters and the text at 100 000,
and each search is charged to the budget by the length of its text.
"""

from __future__ import annotations

from typing import Any

import re2

from segmentr.stof import limits
from segmentr.stof.access import str_at, str_len
from segmentr.stof.errors import StofRuntimeError
from segmentr.stof.sandbox import CHECK_EVERY, charge, charge_chars
from segmentr.stof.stdlib.table import LibFunction, lib

MAX_PATTERN_CHARS = 256
MAX_SUBJECT_CHARS = 100_000
# RE2's own memory cap for one compiled pattern (its DFA falls back to the slower linear NFA beyond it).
_MAX_PATTERN_MEMORY = 8 << 20
_compiled: dict[str, Any] = {}


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False  # RE2 would print every refused pattern on stderr
    options.max_mem = _MAX_PATTERN_MEMORY
    return options


_OPTIONS = _options()


def regex_problem(pattern: str) -> str | None:
    """Why the engine refuses ``pattern`` (too long, or RE2's parse error), or None when it compiles."""
    if len(pattern) > MAX_PATTERN_CHARS:
        return f"regex longer than {MAX_PATTERN_CHARS} characters"
    if pattern in _compiled:
        return None
    try:
        compiled = re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        return f"invalid regex: {reason}"
    except Exception as exc:  # the binding may raise other types for odd input (e.g. surrogates)
        return f"invalid regex: {type(exc).__name__}"
    if len(_compiled) > 256:
        _compiled.clear()
    _compiled[pattern] = compiled
    return None


def compile_safe(pattern: str) -> Any:
    """A condition's regex compiled by RE2 (cached), or a Stof ``Regex`` error saying why it is refused."""
    cached = _compiled.get(pattern)
    if cached is not None:
        return cached
    problem = regex_problem(pattern)
    if problem is not None:
        raise StofRuntimeError(problem, kind="Regex")
    return _compiled[pattern]


def _subject(s: str) -> str:
    if len(s) > MAX_SUBJECT_CHARS:
        raise StofRuntimeError(f"regex subject longer than {MAX_SUBJECT_CHARS} characters", kind="Regex")
    charge_chars(len(s))
    return s


def _matches(s: str, pattern: str) -> bool:
    compiled = compile_safe(pattern)
    try:
        return compiled.search(_subject(s)) is not None
    except UnicodeEncodeError:  # a lone surrogate cannot be handed to RE2 as UTF-8
        raise StofRuntimeError("regex subject is not valid text", kind="Regex") from None


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
    limits.check_items(s.count(sep) + 1 if sep else len(s) + 2)
    if sep == "":
        return ["", *list(s), ""]
    return s.split(sep)


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
    compiled = compile_safe(pattern)
    matches = []
    try:
        for match in compiled.finditer(_subject(s)):
            matches.append(match)
            if len(matches) % CHECK_EVERY == 0:  # a Python object per match: paid as they come
                limits.check_items(len(matches))
                charge(CHECK_EVERY)
    except UnicodeEncodeError:
        raise StofRuntimeError("regex subject is not valid text", kind="Regex") from None
    limits.check_items(len(matches))
    ascii_text = s.isascii()
    char_at, byte_at = 0, 0  # UTF-8 offsets advance with the matches (in order): linear, not per match
    for match in matches:
        if ascii_text:
            start, end = match.start(), match.end()
        else:
            byte_at += len(s[char_at : match.start()].encode())
            char_at = match.start()
            start = byte_at
            end = start + len(match.group().encode())
        found.append((match.group(), start, end))
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
    "matches": lib(_matches, 1, 1, "str"),
    "find_matches": lib(_find_matches, 1, 1, "str"),
}

__all__ = ["MAX_PATTERN_CHARS", "MAX_SUBJECT_CHARS", "STR", "compile_safe", "regex_problem"]
