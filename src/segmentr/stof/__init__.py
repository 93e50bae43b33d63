"""segmentr.stof: the Stof condition language (lexer → parser → AST → checker → compiler → runtime).

Depends on nothing else in segmentr. Public face: ``compile`` (source → ``Condition``), ``check`` (source →
diagnostics, never raises), ``parse`` (source → AST), ``Condition``, ``Diagnostic``, the error tree, the two
runtime values a caller may meet in results: ``VOID`` and ``Units``, and the host vocabulary's shape
(``BindingSet``, ``HostVariable``, ``HostField``, ``HostMethod``, ``HostParam``) whose content a host provides.
"""

from __future__ import annotations

from functools import lru_cache

from .condition import Condition
from .errors import Diagnostic, StofBudgetExceeded, StofError, StofRuntimeError, StofSyntaxError
from .host import BindingSet, HostField, HostMethod, HostParam, HostVariable
from .nodes import Body
from .printing import shown_value
from .values import VOID, Units

COMPILE_CACHE_SIZE = 1024


def parse(source: str) -> Body:
    """The AST of a condition; raises ``StofSyntaxError`` with every diagnostic."""
    from .parser import parse as parse_source

    return parse_source(source)


def check(source: str, *, bindings: BindingSet | None = None,
          entitlements: set[str] | None = None) -> list[Diagnostic]:
    """Every error and warning about a condition (the editor's validation); never raises.

    ``bindings`` declares what the condition may name (variables, their fields, host methods and arities):
    unknown ones are warned about. With ``entitlements``, string-literal entitlement names in host calls outside
    that set are warned about.
    """
    from .checker import check as check_source

    return check_source(source, entitlements=entitlements, bindings=bindings)


@lru_cache(maxsize=COMPILE_CACHE_SIZE)
def _compile_cached(source: str, bindings: BindingSet | None) -> Condition:
    return Condition(source, parse(source), bindings=bindings)


def compile(source: str, bindings: BindingSet | None = None) -> Condition:
    """A compiled condition (cached by source text and binding set); raises ``StofSyntaxError`` if the source
    does not parse. ``bindings`` declares the variables it sees beyond ``customer``, ``data`` and ``policy``
    (a notification condition's ``event``): they are read from the bindings mapping by name."""
    return _compile_cached(source, bindings)


__all__ = [
    "VOID",
    "BindingSet",
    "Condition",
    "Diagnostic",
    "HostField",
    "HostMethod",
    "HostParam",
    "HostVariable",
    "StofBudgetExceeded",
    "StofError",
    "StofRuntimeError",
    "StofSyntaxError",
    "Units",
    "check",
    "compile",
    "parse",
    "shown_value",
]
