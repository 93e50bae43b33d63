"""The closure tier: a Stof AST turned into nested Python closures in one cheap pass (a condition's first tier).

``build_closures(body)`` gives a function with the contract of the generated ``_condition`` (compiler/): the
body's value or ``VOID``, or a ``StofRuntimeError`` carrying the failing node's position. It calls the runtime's
generic operators where the generated code calls them, in the same order and with the same budget ticks; block
scopes become slots of one frame list. Statements return None, or a signal: ``frame.RETURN`` (value in the
frame) or a loop's break/continue token. Rare constructs make it return None: the condition then compiles eagerly.

Modules: ``frame`` (layout, signals, small closures), ``operators`` (runtime calls with positions), ``builder``
(scopes, ticks, folding, dispatch), ``statements``, ``control`` (loops, switch, try), ``expressions``,
``calls``, and ``program`` (the entry function).
"""

from .builder import MAX_EXPRESSION_DEPTH
from .program import ClosureProgram, build_closures

__all__ = ["MAX_EXPRESSION_DEPTH", "ClosureProgram", "build_closures"]
