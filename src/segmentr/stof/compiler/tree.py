"""Walking the Stof tree cheaply, and whether a body mutates the values it is given."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields as dataclass_fields

from .. import nodes as n

_POSITION_FIELDS = frozenset({"line", "col", "end_line", "end_col"})
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _children(node: n.Node) -> Iterator[n.Node]:
    """``node.children()`` without ``dataclasses.fields`` on every call (code generation walks a lot)."""
    names = _CHILD_FIELDS.get(type(node))
    if names is None:
        names = _CHILD_FIELDS[type(node)] = tuple(
            f.name for f in dataclass_fields(node) if f.name not in _POSITION_FIELDS
        )
    for name in names:
        value = getattr(node, name)
        if isinstance(value, n.Node):
            yield value
        elif isinstance(value, list | tuple):
            for item in value:
                if isinstance(item, n.Node):
                    yield item
                elif isinstance(item, tuple):
                    yield from (x for x in item if isinstance(x, n.Node))


def _walk(node: n.Node) -> Iterator[n.Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(_children(current))


def body_mutates(body: n.Body, mutating_methods: frozenset[str]) -> bool:
    """Whether evaluating ``body`` can change a value it did not create (so the bindings need a copy)."""
    for node in _walk(body):
        if isinstance(node, n.Assign) and len(node.target) > 1:
            return True
        if isinstance(node, n.Call) and node.name in mutating_methods:
            return True
    return False
