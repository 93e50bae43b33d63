"""Closures for loops (while, for, for-in), break/continue, switch and try/catch.

A loop's body returns its loop's break or continue token to jump; any other signal (a return, a jump to an
outer loop) leaves the loop and is passed up. Every iteration counts budget steps first. A loop's closure
returns right where the generated loop breaks: nothing follows a loop inside its closure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import nodes as n
from ..compiler import IMPLICIT_LOOP_NAMES, _error_value
from ..errors import StofBudgetExceeded, StofRuntimeError
from .builder import TRY_WEIGHT, Builder, StatementBuilder, Unsupported
from .frame import BUDGET, TICK, Closure, at, constant, nothing, positioned, sequence


def build_while(b: Builder, stmt: n.While) -> Closure:
    loop = b.open_loop(stmt.label)
    cond, cond_steps = b.counted_truth(stmt.cond)
    steps = cond_steps + 1
    body = b.scoped(stmt.body)
    b.close_loop()
    break_token, continue_token = loop.break_token, loop.continue_token

    def while_loop(frame: list[Any]) -> Any:
        while cond(frame):
            countdown = frame[TICK] - steps
            frame[TICK] = countdown if countdown > 0 else frame[BUDGET].refill(countdown)
            signal = body(frame)
            if signal is not None and signal is not continue_token:
                return None if signal is break_token else signal
        return None

    return positioned(while_loop, stmt)


def build_for(b: Builder, stmt: n.For) -> Closure:
    b.scopes.append({})
    init = b.statement(stmt.init) if stmt.init is not None else None
    loop = b.open_loop(stmt.label)
    cond, cond_steps = b.counted_truth(stmt.cond) if stmt.cond is not None else (None, 0)
    steps = cond_steps + 1
    body = b.scoped(stmt.body)
    step = b.statement(stmt.step) if stmt.step is not None else None
    b.close_loop()
    b.scopes.pop()
    break_token, continue_token = loop.break_token, loop.continue_token
    # with a `continue`, the generated loop runs the step at the top of the next iteration, after the tick
    step_first = step is not None and loop.continued

    def for_loop(frame: list[Any]) -> Any:
        started = False
        while True:
            countdown = frame[TICK] - steps
            frame[TICK] = countdown if countdown > 0 else frame[BUDGET].refill(countdown)
            if step_first:
                if started:
                    step(frame)
                started = True
            if cond is not None and not cond(frame):
                break
            signal = body(frame)
            if signal is not None and signal is not continue_token:
                return None if signal is break_token else signal
            if step is not None and not step_first:
                step(frame)
        return None

    looped = positioned(for_loop, stmt)
    # the init runs outside the loop: its errors are its own
    return looped if init is None else sequence([init, looped])


def build_for_in(b: Builder, stmt: n.ForIn) -> Closure:
    iterable, iterable_steps = b.counted(stmt.iterable)
    assert iterable is not None
    loop = b.open_loop(stmt.label)
    b.scopes.append({})
    implicit = {name: b.declare(name) for name in IMPLICIT_LOOP_NAMES}
    item_index = b.declare(stmt.name, const=stmt.const, type_=stmt.type).index
    body = b.scoped(stmt.body)
    b.scopes.pop()
    b.close_loop()
    # only the implicit names the body reads or assigns are set, as in the generated loop
    used = tuple((name, slot.index) for name, slot in implicit.items() if slot.used)
    break_token, continue_token = loop.break_token, loop.continue_token
    iter_len, iter_at, cast = b.rt["iter_len"], b.rt["iter_at"], b.rt["cast"]
    names = tuple(stmt.type.names) if stmt.type is not None else None
    not_null = stmt.type.not_null if stmt.type is not None else False

    line, col = stmt.line, stmt.col

    def for_in(frame: list[Any]) -> Any:
        source = iterable(frame)  # its errors are its own, not the loop's
        try:
            return iterate(frame, source)
        except StofRuntimeError as error:
            at(error, line, col)
            raise

    def iterate(frame: list[Any], source: Any) -> Any:
        length = iter_len(source)
        # item i of a list or tuple is what iter_at gives (read at each iteration: the body may change it)
        sequence = type(source) is list or type(source) is tuple
        for i in range(length):
            countdown = frame[TICK] - 1
            frame[TICK] = countdown if countdown > 0 else frame[BUDGET].refill(countdown)
            for name, index in used:  # usually none
                if name == "index":
                    frame[index] = i
                elif name == "first":
                    frame[index] = i == 0
                elif name == "last":
                    # set after each iteration in Stof: never on the first
                    frame[index] = i == length - 1 and i > 0
                elif name == "length":
                    frame[index] = length
                else:
                    frame[index] = source
            item = source[i] if sequence and i < len(source) else iter_at(source, i)
            frame[item_index] = item if names is None else cast(item, names, not_null)
            signal = body(frame)
            if signal is not None and signal is not continue_token:
                return None if signal is break_token else signal
        return None

    return b.ticked(for_in, iterable_steps, stmt)


def build_jump(b: Builder, stmt: n.Break | n.Continue) -> Closure | None:
    if not b.loops:
        return None
    target = b.loops[-1]
    if stmt.label is not None:
        found = next((loop for loop in reversed(b.loops) if loop.label == stmt.label), None)
        if found is None:
            return None
        target = found
    if b.loops.index(target) < b.loop_floor:
        raise Unsupported("a jump out of a block expression")
    if isinstance(stmt, n.Break):
        return constant(target.break_token)
    target.continued = True
    return constant(target.continue_token)


def build_switch(b: Builder, stmt: n.Switch) -> Closure:
    subject, steps = b.counted(stmt.subject)
    assert subject is not None
    eq = b.rt["eq"]
    cases: list[tuple[tuple[tuple[Closure, int, int], ...], Closure]] = []
    default: Closure | None = None
    for case in stmt.cases:
        if case.is_default:
            default = b.scoped(case.body)
            continue
        values = tuple((b.expr(v), v.line, v.col) for v in case.values)
        cases.append((values, b.scoped(case.body)))
    otherwise = default or nothing

    def switch(frame: list[Any]) -> Any:
        s = subject(frame)
        for values, body in cases:
            for value, line, col in values:
                v = value(frame)
                try:
                    hit = eq(s, v)
                except StofRuntimeError as error:
                    at(error, line, col)
                    raise
                if hit:
                    return body(frame)
        return otherwise(frame)

    return b.ticked(switch, steps, stmt)


def build_try(b: Builder, stmt: n.Try) -> Closure:
    b.open_block(TRY_WEIGHT, "try blocks")
    body = b.scoped(stmt.body)
    b.scopes.append({})
    error_index: int | None = None
    if stmt.error_name is not None:
        error_index = b.declare(stmt.error_name, type_=stmt.error_type).index
    error_type = stmt.error_type
    handler = b.scoped(stmt.handler)
    b.scopes.pop()
    b.block_weight -= TRY_WEIGHT
    error_text: Callable[[StofRuntimeError], Any] = _error_value
    if error_type is not None:
        # a typed catch variable: the error's text cast to the type, positioned at the try
        cast, names, not_null = b.rt["cast"], tuple(error_type.names), error_type.not_null
        line, col = stmt.line, stmt.col

        def typed_error_text(error: StofRuntimeError) -> Any:
            try:
                return cast(_error_value(error), names, not_null)
            except StofRuntimeError as cast_error:
                at(cast_error, line, col)
                raise

        error_text = typed_error_text

    def try_catch(frame: list[Any]) -> Any:
        try:
            return body(frame)
        except StofBudgetExceeded:
            raise
        except StofRuntimeError as error:
            if error_index is not None:
                frame[error_index] = error_text(error)
            return handler(frame)

    return try_catch


BUILDERS: dict[type, StatementBuilder] = {
    n.While: build_while,
    n.For: build_for,
    n.ForIn: build_for_in,
    n.Break: build_jump,
    n.Continue: build_jump,
    n.Switch: build_switch,
    n.Try: build_try,
}

__all__ = ["BUILDERS"]
