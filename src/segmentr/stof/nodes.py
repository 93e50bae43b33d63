"""The Stof abstract syntax tree: what the parser builds and the checker and compiler walk.

Every node carries its source span (1-based line and column of its first character, and of the character just
past its end), so any later stage can point at the text. Nodes are plain data; behaviour lives in the stages.
The tree mirrors Stof 0.9.21's grammar (spec/stof.md §2-§3), with these desugarings done by the parser:

* a backtick template becomes right-nested ``Binary('+')`` (`` `a${x}${y}` `` = ``"a" + (x + y)``);
* ``x[i]`` becomes ``Call(receiver=x, name="at", args=[i])``;
* ``loop S`` becomes ``While(cond=Literal(True), ...)``;
* a number literal with a unit suffix becomes ``UnitLiteral``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields

_SPAN = frozenset({"line", "col", "end_line", "end_col"})
# The fields that may hold child nodes, per node class (filled on first use).
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


@dataclass(slots=True, kw_only=True)
class Node:
    line: int = 0
    col: int = 0
    end_line: int = 0
    end_col: int = 0

    def children(self) -> Iterator[Node]:
        """Direct child nodes, in source order."""
        names = _CHILD_FIELDS.get(type(self))
        if names is None:  # once per node class: ``fields()`` is the slow part of a walk
            names = _CHILD_FIELDS[type(self)] = tuple(f.name for f in fields(self) if f.name not in _SPAN)
        for name in names:
            value = getattr(self, name)
            if isinstance(value, Node):
                yield value
            elif isinstance(value, list | tuple):
                for item in value:
                    if isinstance(item, Node):
                        yield item
                    elif isinstance(item, tuple):
                        yield from (x for x in item if isinstance(x, Node))

    def walk(self) -> Iterator[Node]:
        """This node and all its descendants, depth first, in source order."""
        stack: list[Node] = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(list(node.children())))


# ---------------------------------------------------------------- types


@dataclass(slots=True, kw_only=True)
class TypeRef(Node):
    """A type as written after ``:`` or ``as``: ``int``, ``ms``, ``str | null``, ``float!``, ``(int, str)``.

    ``names`` are the union's alternatives in source order (a tuple type is one alternative written
    ``(int, str)``); ``not_null`` is the trailing ``!``.
    """

    names: list[str]
    not_null: bool = False


# ---------------------------------------------------------------- expressions


@dataclass(slots=True, kw_only=True)
class Expr(Node):
    pass


@dataclass(slots=True, kw_only=True)
class Literal(Expr):
    """null, true, false, an int (Python int), a float (Python float) or a string."""

    value: bool | int | float | str | None


@dataclass(slots=True, kw_only=True)
class UnitLiteral(Expr):
    """A number with a unit suffix: ``7days`` → value 7.0, unit "days" (the canonical unit name)."""

    value: float
    unit: str


@dataclass(slots=True, kw_only=True)
class VersionLiteral(Expr):
    """A semantic version literal ``1.2.3[-rel][+build]``, kept as its text."""

    text: str


@dataclass(slots=True, kw_only=True)
class ListLiteral(Expr):
    items: list[Expr]


@dataclass(slots=True, kw_only=True)
class TupleLiteral(Expr):
    items: list[Expr]


@dataclass(slots=True, kw_only=True)
class SetLiteral(Expr):
    items: list[Expr]


@dataclass(slots=True, kw_only=True)
class MapLiteral(Expr):
    entries: list[tuple[Expr, Expr]]


@dataclass(slots=True, kw_only=True)
class Path(Expr):
    """A dotted lookup ``a.b.c`` (one LoadVariable in Stof): the first name is a local variable or parameter
    (else a library name, in a call receiver), the rest walk object fields only; anything missing is null."""

    names: list[str]


@dataclass(slots=True, kw_only=True)
class Attr(Expr):
    """Field access on a computed value: ``f(x).name``, ``(expr).name``."""

    obj: Expr
    name: str


@dataclass(slots=True, kw_only=True)
class Call(Expr):
    """A call ``receiver.name(args)``; ``receiver`` None is a bare ``name(args)`` (the Std library).

    A receiver ``Path(["Time"])`` naming a library (and no variable) is a direct library call.
    ``null_safe`` is set on every call of a ``?``-prefixed chain and on a hop written ``?.name(...)``:
    an unresolvable call then yields null instead of an error.
    """

    receiver: Expr | None
    name: str
    args: list[Expr]
    null_safe: bool = False


@dataclass(slots=True, kw_only=True)
class Unary(Expr):
    """``!x`` or ``-x`` (``-x`` is ``-1 * x`` in Stof). Repeated ``!!x`` nests."""

    op: str
    operand: Expr


@dataclass(slots=True, kw_only=True)
class Binary(Expr):
    """Arithmetic (``+ - * / %``), bitwise (``& | ^ << >>``) or comparison (``== != < <= > >=``)."""

    op: str
    left: Expr
    right: Expr


@dataclass(slots=True, kw_only=True)
class Logical(Expr):
    """``&&`` / ``||``: one precedence level, left to right, short-circuit, always a bool."""

    op: str
    left: Expr
    right: Expr


@dataclass(slots=True, kw_only=True)
class Nullish(Expr):
    """``left ?? right``: right when left is null or void."""

    left: Expr
    right: Expr


@dataclass(slots=True, kw_only=True)
class Ternary(Expr):
    cond: Expr
    then: Expr
    otherwise: Expr


@dataclass(slots=True, kw_only=True)
class Cast(Expr):
    """``expr as T``."""

    expr: Expr
    type: TypeRef


@dataclass(slots=True, kw_only=True)
class TypeOf(Expr):
    """``typeof e`` (general type name) or, with ``specific``, ``typename e``."""

    expr: Expr
    specific: bool = False


@dataclass(slots=True, kw_only=True)
class BlockExpr(Expr):
    """A block in expression position whose value is what its statements return."""

    body: list[Stmt]


# ---------------------------------------------------------------- statements


@dataclass(slots=True, kw_only=True)
class Stmt(Node):
    pass


@dataclass(slots=True, kw_only=True)
class Declare(Stmt):
    """``let x[: T] [= e];`` / ``const x[: T] = e;``."""

    name: str
    value: Expr | None
    type: TypeRef | None = None
    const: bool = False


@dataclass(slots=True, kw_only=True)
class Assign(Stmt):
    """``target op value;`` with op one of ``= += -= *= /= %= &= |= ^= <<= >>=``; target is a dotted path."""

    target: list[str]
    op: str
    value: Expr


@dataclass(slots=True, kw_only=True)
class ExprStmt(Stmt):
    """An expression statement. ``returns`` is True when it has no trailing ``;``: then it returns its value."""

    expr: Expr
    returns: bool


@dataclass(slots=True, kw_only=True)
class Return(Stmt):
    value: Expr | None


@dataclass(slots=True, kw_only=True)
class Block(Stmt):
    body: list[Stmt]


@dataclass(slots=True, kw_only=True)
class If(Stmt):
    cond: Expr
    then: Stmt
    otherwise: Stmt | None = None


@dataclass(slots=True, kw_only=True)
class While(Stmt):
    cond: Expr
    body: Stmt
    label: str | None = None


@dataclass(slots=True, kw_only=True)
class For(Stmt):
    """C-style ``for (init; cond; step) body``; any part may be missing."""

    init: Stmt | None
    cond: Expr | None
    step: Stmt | None
    body: Stmt
    label: str | None = None


@dataclass(slots=True, kw_only=True)
class ForIn(Stmt):
    """``for (const|let name[: T] in expr) body``, with implicit index/first/last/length/iterable."""

    name: str
    iterable: Expr
    body: Stmt
    const: bool = True
    type: TypeRef | None = None
    label: str | None = None


@dataclass(slots=True, kw_only=True)
class Break(Stmt):
    label: str | None = None


@dataclass(slots=True, kw_only=True)
class Continue(Stmt):
    label: str | None = None


@dataclass(slots=True, kw_only=True)
class SwitchCase(Node):
    """``case v1: case v2: S`` (values) or ``default: S`` (values empty, is_default)."""

    values: list[Expr]
    body: Stmt
    is_default: bool = False


@dataclass(slots=True, kw_only=True)
class Switch(Stmt):
    subject: Expr
    cases: list[SwitchCase] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class Try(Stmt):
    """``try S catch [(name[: T])] S``."""

    body: Stmt
    handler: Stmt
    error_name: str | None = None
    error_type: TypeRef | None = None


@dataclass(slots=True, kw_only=True)
class Empty(Stmt):
    """A lone ``;``."""


@dataclass(slots=True, kw_only=True)
class Body(Node):
    """A whole condition: the statements of the function body. ``dropped`` counts top-level statements parsed
    after the first returning statement (the reference parses and drops them; the checker warns)."""

    body: list[Stmt]
    dropped: list[Stmt] = field(default_factory=list)


AnyNode = Expr | Stmt | Body | TypeRef | SwitchCase

__all__ = [
    "Assign",
    "Attr",
    "Binary",
    "Block",
    "BlockExpr",
    "Body",
    "Break",
    "Call",
    "Cast",
    "Continue",
    "Declare",
    "Empty",
    "Expr",
    "ExprStmt",
    "For",
    "ForIn",
    "If",
    "ListLiteral",
    "Literal",
    "Logical",
    "MapLiteral",
    "Node",
    "Nullish",
    "Path",
    "Return",
    "SetLiteral",
    "Stmt",
    "Switch",
    "SwitchCase",
    "Ternary",
    "Try",
    "TupleLiteral",
    "TypeOf",
    "TypeRef",
    "Unary",
    "UnitLiteral",
    "VersionLiteral",
    "While",
]

