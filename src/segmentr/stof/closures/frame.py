"""The closure tier's frame layout and signals, and the small closures every builder module shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import nodes as n
from ..errors import StofRuntimeError

Closure = Callable[[list[Any]], Any]

# Frame layout: the budget countdown, the Budget, a returned value, then the parameters and the locals.
TICK, BUDGET, RESULT = 0, 1, 2
FIRST_PARAMETER = 3

# What a statement returns for `return` (the value is in frame[RESULT]); loops have their own jump tokens.
RETURN: Any = object()


def at(error: StofRuntimeError, line: int, column: int) -> None:
    """Give ``error`` the position of the node being evaluated, unless an inner node already did.

    Only the attributes change here: a Stof ``catch`` turns the error into its text, which carries no position
    (as in the generated tier, whose errors get theirs when they leave the function)."""
    if not error.line:
        error.line = line
        error.column = column


def located(error: StofRuntimeError) -> StofRuntimeError:
    """The message of an error leaving the condition names its position (as ``Condition`` does for tier 2)."""
    if error.line:
        where = f" at {error.line}:{error.column}"
        message = error.args[0] if error.args else ""
        if not str(message).endswith(where):
            error.args = (f"{message}{where}" if error.args else where.lstrip(),)
    return error


def refill(frame: list[Any], countdown: int, line: int, col: int) -> int:
    """The budget's next countdown (called only when it runs out); running out names the counting node."""
    try:
        return frame[BUDGET].refill(countdown)
    except StofRuntimeError as error:
        at(error, line, col)
        raise


def positioned(inner: Closure, node: n.Node) -> Closure:
    """``inner``, whose errors without a position get ``node``'s (loops: a failing tick or iteration)."""
    line, col = node.line, node.col

    def at_node(frame: list[Any]) -> Any:
        try:
            return inner(frame)
        except StofRuntimeError as error:
            at(error, line, col)
            raise

    return at_node


def constant(value: Any) -> Closure:
    def constant_value(frame: list[Any]) -> Any:
        return value

    return constant_value


def nothing(frame: list[Any]) -> None:
    return None


NULL = constant(None)


def slot_reader(index: int) -> Closure:
    def read(frame: list[Any]) -> Any:
        return frame[index]

    return read


def slot_writer(index: int, value: Closure | None) -> Closure:
    """A statement storing ``value`` (null without one) in the frame slot ``index``."""
    if value is None:

        def store_null(frame: list[Any]) -> None:
            frame[index] = None

        return store_null
    assigned = value

    def store(frame: list[Any]) -> None:
        frame[index] = assigned(frame)

    return store


def fields(obj: Closure, names: list[str]) -> Closure:
    """``obj.a.b``: object fields only; null for anything that is not an object (access.get_field)."""
    if not names:
        return obj
    if len(names) == 1:
        name = names[0]

        def field(frame: list[Any]) -> Any:
            v = obj(frame)
            return v.get(name) if type(v) is dict else None

        return field
    if len(names) == 2:
        first, second = names

        def field_of_field(frame: list[Any]) -> Any:
            v = obj(frame)
            if type(v) is not dict:
                return None
            v = v.get(first)
            return v.get(second) if type(v) is dict else None

        return field_of_field
    path = tuple(names)

    def field_path(frame: list[Any]) -> Any:
        v = obj(frame)
        for name in path:
            if type(v) is not dict:
                return None
            v = v.get(name)
        return v

    return field_path


def returning(value: Closure) -> Closure:
    def return_value(frame: list[Any]) -> Any:
        frame[RESULT] = value(frame)
        return RETURN

    return return_value


def failing(value: Closure | None, kind: str, message: str, node: n.Node) -> Closure:
    """A statement that evaluates its value, then fails (what the generated tier does for it)."""
    line, col = node.line, node.col

    def fail(frame: list[Any]) -> None:
        if value is not None:
            value(frame)
        error = StofRuntimeError(message, kind=kind)
        error.line, error.column = line, col
        raise error

    return fail


def sequence(stmts: list[Closure]) -> Closure:
    """Statements in order; the first signal (return, break, continue) stops them and is passed up."""
    if not stmts:
        return nothing
    if len(stmts) == 1:
        return stmts[0]
    if len(stmts) == 2:
        first, second = stmts

        def pair(frame: list[Any]) -> Any:
            signal = first(frame)
            if signal is not None:
                return signal
            return second(frame)

        return pair
    ordered = tuple(stmts)

    def in_order(frame: list[Any]) -> Any:
        for stmt in ordered:
            signal = stmt(frame)
            if signal is not None:
                return signal
        return None

    return in_order
