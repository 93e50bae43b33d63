"""segmentr.stof: the Stof condition language (lexer → parser → AST → checker → compiler → runtime).

Depends on nothing else in segmentr. Public face: ``compile`` (source → ``Condition``), ``check`` (source →
diagnostics, never raises), ``parse`` (source → AST), ``Condition``, ``Diagnostic``, the error tree, and the two
runtime values a caller may meet in results: ``VOID`` and ``Units``.
"""

from __future__ import annotations

from functools import lru_cache

from .condition import Condition
from .errors import Diagnostic, StofBudgetExceeded, StofError, StofRuntimeError, StofSyntaxError
from .nodes import Body
from .values import VOID, Units

COMPILE_CACHE_SIZE = 1024


def parse(source: str) -> Body:
    """The AST of a condition; raises ``StofSyntaxError`` with every diagnostic."""
    from .parser import parse as parse_source

    return parse_source(source)


def check(source: str, *, entitlements: set[str] | None = None) -> list[Diagnostic]:
    """Every error and warning about a condition (the editor's validation); never raises.

    With ``entitlements``, string-literal entitlement names in policy calls outside that set are warned about.
    """
    from .checker import check as check_source

    return check_source(source, entitlements=entitlements)


@lru_cache(maxsize=COMPILE_CACHE_SIZE)
def _compile_cached(source: str) -> Condition:
    return Condition(source, parse(source))


def compile(source: str) -> Condition:
    """A compiled condition (cached by source text); raises ``StofSyntaxError`` if the source does not parse."""
    return _compile_cached(source)


__all__ = [
    "VOID",
    "Condition",
    "Diagnostic",
    "StofBudgetExceeded",
    "StofError",
    "StofRuntimeError",
    "StofSyntaxError",
    "Units",
    "check",
    "compile",
    "parse",
]
