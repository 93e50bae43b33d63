"""Closures for calls: library functions (``Std``, ``Time.now()``) and methods on a value (``x.len()``)."""

from __future__ import annotations

from typing import Any

from .. import nodes as n
from ..compiler import _copy_host_result
from ..errors import StofRuntimeError
from ..sandbox import CHARGE_FROM
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
    if e.name == "len" and not e.args and _counts_fields(b, e.receiver):
        return _field_count(b, e)
    index = _constant_index(b, e)
    if index is not None:
        return _indexed(b, e, index)
    if _counts_fields(b, e):
        return _fields(b, e)
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


def _constant_index(b: Builder, e: n.Call) -> int | None:
    """``k`` for ``x[k]`` / ``x.at(k)`` with a small non-negative int constant, when lists and tuples resolve
    ``at`` to the List and Tup libraries' own (as the generated code's `constant_index` checks)."""
    from ..stdlib.list import LIST
    from ..stdlib.tup import TUP

    if e.name != "at" or len(e.args) != 1:
        return None
    k = b.fold(e.args[0])
    if type(k) is not int or not 0 <= k < 1 << 20:
        return None
    tables = b.rt.get("TABLES") or {}
    list_at, tup_at = (tables.get("List") or {}).get("at"), (tables.get("Tup") or {}).get("at")
    if list_at is None or tup_at is None or list_at.fn is not LIST["at"].fn or tup_at.fn is not TUP["at"].fn:
        return None
    return k


def _indexed(b: Builder, e: n.Call, k: int) -> Closure:
    """``x[k]``: item k of a list or tuple that has one (what List.at / Tup.at give), anything else through
    ``call_method`` as ``method_call`` makes it (the argument is the constant itself)."""
    assert e.receiver is not None
    target = b.expr(e.receiver)
    call_method, null_safe, copy_results = b.rt["call_method"], e.null_safe, b.copy_host_results
    line, col = e.line, e.col

    def index(frame: list[Any]) -> Any:
        r = target(frame)
        if (type(r) is tuple or type(r) is list) and len(r) > k:
            return r[k]
        try:
            result = call_method(r, "at", [k], null_safe)
        except StofRuntimeError as error:
            at(error, line, col)
            raise
        return _copy_host_result(result, r) if copy_results[0] else result

    return index


def _fields(b: Builder, e: n.Call) -> Closure:
    """``x.fields()``: the pairs of an object too small to be charged for (what the Obj library builds),
    anything else through ``call_method``."""
    assert e.receiver is not None
    target = b.expr(e.receiver)
    call_method, null_safe, copy_results = b.rt["call_method"], e.null_safe, b.copy_host_results
    line, col = e.line, e.col

    def fields(frame: list[Any]) -> Any:
        r = target(frame)
        if type(r) is dict and len(r) < CHARGE_FROM:
            return list(r.items())
        try:
            result = call_method(r, "fields", [], null_safe)
        except StofRuntimeError as error:
            at(error, line, col)
            raise
        return _copy_host_result(result, r) if copy_results[0] else result

    return fields


def _counts_fields(b: Builder, e: n.Expr) -> bool:
    """``e`` is ``x.fields()`` resolving to the Obj library's ``fields`` (as the generated code checks)."""
    from ..stdlib.obj import object_fields

    if not (isinstance(e, n.Call) and e.name == "fields" and not e.args and e.receiver is not None):
        return False
    if called_library(e, lambda name: b.lookup(name) is not None, b.libraries) is not None:
        return False
    tables = b.rt.get("TABLES") or {}
    entry = (tables.get("Obj") or {}).get("fields")
    return entry is not None and entry.fn is object_fields


def _field_count(b: Builder, e: n.Call) -> Closure:
    """``x.fields().len()``: an object's field count, without building its list of fields (as the generated
    code reads it); anything else through the two calls, as ``method_call`` makes them."""
    inner = e.receiver
    assert isinstance(inner, n.Call) and inner.receiver is not None
    b.call_sites += 1  # the `fields()` call site, as building it would count
    receiver = b.expr(inner.receiver)
    call_method, copy_results = b.rt["call_method"], b.copy_host_results
    inner_safe, null_safe = inner.null_safe, e.null_safe
    inner_at, outer_at = (inner.line, inner.col), (e.line, e.col)

    def field_count(frame: list[Any]) -> Any:
        r = receiver(frame)
        if type(r) is dict:
            return len(r)
        try:
            fields = call_method(r, "fields", [], inner_safe)
        except StofRuntimeError as error:
            at(error, *inner_at)
            raise
        if copy_results[0]:
            fields = _copy_host_result(fields, r)
        try:
            result = call_method(fields, "len", [], null_safe)
        except StofRuntimeError as error:
            at(error, *outer_at)
            raise
        return _copy_host_result(result, fields) if copy_results[0] else result

    return field_count


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
