"""Closures for calls: library functions (``Std``, ``Time.now()``) and methods on a value (``x.len()``)."""

from __future__ import annotations

from typing import Any

from .. import nodes as n
from ..compiler import _copy_host_result
from ..errors import StofRuntimeError
from ..tiers import called_library
from .builder import Builder
from .frame import Closure, at


def build_call(b: Builder, e: n.Call) -> Closure:
    b.call_sites += 1
    if e.name in b.mutating_methods:
        b.mutates = True
    library = called_library(e, lambda name: b.lookup(name) is not None, b.libraries)
    if library is not None:
        return build_library_call(b, library, e)
    assert e.receiver is not None
    target = b.expr(e.receiver)
    args = tuple(b.expr(a) for a in e.args)
    call_method = b.rt["call_method"]
    name, null_safe, copy_results = e.name, e.null_safe, b.copy_host_results
    line, col = e.line, e.col

    def method_call(frame: list[Any]) -> Any:
        r = target(frame)
        values = [a(frame) for a in args] if args else []
        try:
            result = call_method(r, name, values, null_safe)
        except StofRuntimeError as error:
            at(error, line, col)
            raise
        # a body that changes values gets its own copy of what a host call returns
        return _copy_host_result(result, r) if copy_results[0] else result

    return method_call


def build_library_call(b: Builder, library: str, e: n.Call) -> Closure:
    args = tuple(b.expr(a) for a in e.args)
    call_library = b.rt["call_library"]
    name, null_safe = e.name, e.null_safe
    line, col = e.line, e.col

    def library_call(frame: list[Any]) -> Any:
        values = [a(frame) for a in args]
        try:
            return call_library(library, name, values, null_safe)
        except StofRuntimeError as error:
            at(error, line, col)
            raise

    return library_call


__all__ = ["build_call"]
