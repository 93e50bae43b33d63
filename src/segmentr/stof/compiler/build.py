"""``compile_body``: generate the source, compile it once into a namespace of runtime names only."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any

from .. import nodes as n
from ..errors import Diagnostic, StofSyntaxError
from ..sandbox import CHECK_EVERY
from .generator import CodeGenerator
from .runtime import (
    ABSENT_BINDING,
    ARITH_FUNCS,
    FUNCTION_NAME,
    GENERATOR_RECURSION_LIMIT,
    SUPPORT_NAMES,
    _swap,
    runtime_namespace,
)
from .tree import body_mutates


@dataclass(slots=True)
class Compiled:
    """The result of compiling one body: the function, its source, and what the evaluator needs to know."""

    function: Callable[..., Any]
    # `_matches(bindings)`; its globals `_located`, `_internal` and `_new_budget` are the caller's to set
    matches: Callable[[Mapping[str, Any]], bool] | None
    matches_customer: Callable[..., bool] | None
    # `_matches_fast` (the speculative entry, `CodeGenerator.speculative_entry`) and its namespace, whose
    # `_bailed`, `_FIRST_CHUNK` (and `_located`, `_internal`) the caller sets; None when the body has none
    speculative: Callable[..., bool] | None
    speculative_bindings: Callable[[Mapping[str, Any]], bool] | None  # ... and its `matches(bindings)` form
    python_source: str
    positions: list[tuple[int, int]]  # generated line number (1-based) -> Stof (line, column)
    uses_budget: bool
    mutates: bool
    trace_nodes: list[n.Expr] = field(default_factory=list)


_PLAIN_COMPARABLE = frozenset({int, float, str})


class _Bail(Exception):
    """The speculative entry reached something beyond its inline paths: run the evaluation again in full."""


def _bail(*args: Any, **kwargs: Any) -> Any:
    raise _Bail


class _BailingBudget:
    """``_budget`` of the speculative entry: the end of its first countdown chunk abandons the attempt."""

    __slots__ = ()

    def refill(self, countdown: int = 0) -> int:
        raise _Bail


# What the speculative entry keeps of the runtime: plain functions that neither charge, nor read the active
# budget, nor call a host (every class is kept too: generated code tests types with them, and constructing a
# map, set or unit number charges nothing). Every other callable raises `_Bail`.
_SPECULATION_KEEPS = frozenset({"truthy", "not_", "_runtime_error", "_error_value", "_located", "_internal"})


def speculative_namespace(namespace: dict[str, Any]) -> dict[str, Any]:
    """The globals of ``_matches_fast``: ``namespace`` with the stubs, the clock and the slow entry."""
    stubbed: dict[str, Any] = {
        name: value if _kept(name, value) else _bail for name, value in namespace.items()
    }
    stubbed.update(
        _Bail=_Bail,
        _budget=_BailingBudget(),
        _clock=perf_counter,
        _FIRST_CHUNK=CHECK_EVERY,
        _matches_customer=namespace["_matches_customer"],
        _matches=namespace["_matches"],
    )
    return stubbed


def _handed_on(v_customer: Any, v_policy: Any = None, v_data: Any = ABSENT_BINDING) -> bool:
    return _matches_customer(v_customer, v_policy, v_data)  # type: ignore[name-defined]  # noqa: F821


def _handed_on_bindings(bindings: Mapping[str, Any]) -> bool:
    return _matches(bindings)  # type: ignore[name-defined]  # noqa: F821


def stop_speculating(compiled: Compiled) -> None:
    """From now on the speculative entries (function objects callers may hold) hand every call to the full
    ones: their code becomes ``_handed_on``'s, reading ``_matches_customer`` / ``_matches`` from their globals."""
    assert compiled.speculative is not None and compiled.speculative_bindings is not None
    compiled.speculative.__code__ = _handed_on.__code__
    compiled.speculative_bindings.__code__ = _handed_on_bindings.__code__


def _kept(name: str, value: Any) -> bool:
    return (
        not callable(value)
        or isinstance(value, type | types.BuiltinFunctionType)  # len, and type tests with classes
        or name in _SPECULATION_KEEPS
    )


def compile_body(
    body: n.Body,
    *,
    runtime: Mapping[str, Any] | None = None,
    trace: bool = False,
    filename: str = "<stof>",
    entry: bool = False,
    extras: tuple[str, ...] = (),
) -> Compiled:
    """Generate and compile the Python function for ``body``; with ``entry`` (and a body that does not mutate
    its values), also ``_matches`` (``Compiled.matches``), whose hooks the caller fills in."""
    rt = dict(runtime) if runtime is not None else runtime_namespace()
    mutating = frozenset(rt.get("MUTATING_METHODS", ()))
    mutates = body_mutates(body, mutating)
    generator = CodeGenerator(rt, trace=trace, mutates=mutates)
    generator.extras = extras  # read after `_budget` (and `_trace`) from the caller's bindings
    # the generator recurses a few frames per nesting level of the condition (the parser allows 200 levels
    # and long left-nested operator chains); Python-to-Python calls need no C stack in 3.11
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, GENERATOR_RECURSION_LIMIT))
    try:
        source = generator.generate(body, entry=entry and not trace and not mutates and not extras)
    except RecursionError as exc:
        raise StofSyntaxError(
            [
                Diagnostic(
                    "error",
                    body.line or 1,
                    body.col or 1,
                    body.line or 1,
                    (body.col or 1) + 1,
                    "condition nested too deeply to compile",
                    "too-complex",
                )
            ]
        ) from exc
    finally:
        sys.setrecursionlimit(limit)
    namespace: dict[str, Any] = {"__builtins__": {}}
    namespace.update(SUPPORT_NAMES)
    namespace.update({k: v for k, v in rt.items() if k not in ("LIBRARIES", "MUTATING_METHODS", "TABLES")})
    namespace["_PLAIN_COMPARABLE"] = _PLAIN_COMPARABLE
    namespace["_ABSENT"] = ABSENT_BINDING
    for fn in ARITH_FUNCS.values():
        if fn in rt:
            namespace[f"_swapped_{fn}"] = _swap(rt[fn])
    namespace.update(generator.constants)
    try:
        code = compile(source, filename, "exec")
    except (SyntaxError, RecursionError, MemoryError, ValueError) as exc:
        line, col = body.line or 1, body.col or 1
        raise StofSyntaxError(
            [
                Diagnostic(
                    "error",
                    line,
                    col,
                    line,
                    col + 1,
                    f"condition too complex to compile ({exc})",
                    "too-complex",
                )
            ]
        ) from exc
    exec(code, namespace)  # the namespace holds only runtime names; no builtins
    speculative = speculative_bindings = None
    if "_matches_fast" in namespace:
        stubbed = speculative_namespace(namespace)
        assert all(stubbed[site] is _bail for site in generator.speculative_sites)
        speculative, speculative_bindings = (
            types.FunctionType(namespace[name].__code__, stubbed, name, namespace[name].__defaults__)
            for name in ("_matches_fast", "_matches_fast_bindings")
        )
    return Compiled(
        function=namespace[FUNCTION_NAME],
        matches=namespace.get("_matches"),
        matches_customer=namespace.get("_matches_customer"),
        speculative=speculative,
        speculative_bindings=speculative_bindings,
        python_source=source,
        positions=generator.positions(source),
        uses_budget=generator.uses_budget,
        mutates=mutates,
        trace_nodes=generator.trace_nodes,
    )
