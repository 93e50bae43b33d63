"""The host vocabulary's shape: the variables a condition may use, their fields and the host methods with their
arities, declared once by the layer that provides them (the policy view, the notification event) and read by
the checker, ``compile`` and both execution tiers.

``stof`` defines only the shape (``HostParam``, ``HostMethod``, ``HostField``, ``HostVariable``,
``BindingSet``); the content comes from the host (``segmentr.policy.vocabulary.SEGMENT_BINDINGS`` and
``NOTIFICATION_BINDINGS``). A host object's class exposes its methods' arities as ``stof_methods`` (name ->
(min, max)); ``HostVariable.stof_methods()`` derives that table from the declaration, so the runtime and the
checker cannot disagree. ``BindingSet.completion()`` is the editor's completion data (JSON-able).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class HostParam:
    """One parameter of a host method: its name, the kind of value it takes, and its default (as Stof source
    text) when it is optional."""

    name: str
    kind: str
    default: str | None = None

    @property
    def optional(self) -> bool:
        return self.default is not None


@dataclass(frozen=True, slots=True)
class HostMethod:
    """A method a condition may call on a host variable (``policy.value(id, ent)``)."""

    name: str
    params: tuple[HostParam, ...]
    returns: str
    doc: str

    def __post_init__(self) -> None:
        seen_optional = False
        for param in self.params:
            if param.optional:
                seen_optional = True
            elif seen_optional:
                raise ValueError(f"{self.name}: required parameter {param.name!r} after an optional one")

    @property
    def arity(self) -> tuple[int, int]:
        """(fewest, most) arguments a call may pass."""
        return sum(1 for p in self.params if not p.optional), len(self.params)

    def signature(self) -> str:
        parts = [p.name if p.default is None else f"{p.name} = {p.default}" for p in self.params]
        return f"{self.name}({', '.join(parts)}) -> {self.returns}"


@dataclass(frozen=True, slots=True)
class HostField:
    """A field of a variable (``customer.plan``), with the fields below it when they are known."""

    name: str
    kind: str
    doc: str
    fields: tuple[HostField, ...] | None = None  # None: free-form below (metadata, meters by entitlement)

    def field(self, name: str) -> HostField | None:
        return None if self.fields is None else next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True, slots=True)
class HostVariable:
    """A variable bound in a condition: an object with known fields, a free-form object, or a host object
    with methods."""

    name: str
    kind: str
    doc: str
    fields: tuple[HostField, ...] | None = None  # None: any field
    methods: tuple[HostMethod, ...] = ()

    def field(self, name: str) -> HostField | None:
        return None if self.fields is None else next((f for f in self.fields if f.name == name), None)

    def method(self, name: str) -> HostMethod | None:
        return next((m for m in self.methods if m.name == name), None)

    def stof_methods(self) -> dict[str, tuple[int, int]]:
        """The runtime's table for a host class (``stof_methods``): method name -> (min, max) arguments."""
        return {m.name: m.arity for m in self.methods}


@dataclass(frozen=True, slots=True, eq=False)
class BindingSet:
    """The variables one kind of condition sees (segments: customer, data, policy; notification conditions:
    event too)."""

    name: str
    variables: tuple[HostVariable, ...]
    _index: Mapping[str, HostVariable] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {v.name: v for v in self.variables})

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variables)

    def variable(self, name: str) -> HostVariable | None:
        return self._index.get(name)

    def completion(self) -> dict[str, Any]:
        """The editor's completion data: every variable with its fields and methods (names, arities, argument
        names and defaults, a one-line doc, the kind of value returned)."""
        return {"bindings": self.name, "variables": [_variable_entry(v) for v in self.variables]}


def _field_entries(fields: Iterable[HostField] | None) -> list[dict[str, Any]] | None:
    if fields is None:
        return None
    return [{"name": f.name, "kind": f.kind, "doc": f.doc, "fields": _field_entries(f.fields)} for f in fields]


def _variable_entry(v: HostVariable) -> dict[str, Any]:
    return {
        "name": v.name,
        "kind": v.kind,
        "doc": v.doc,
        "fields": _field_entries(v.fields),
        "methods": [
            {
                "name": m.name,
                "signature": m.signature(),
                "min_args": m.arity[0],
                "max_args": m.arity[1],
                "params": [{"name": p.name, "kind": p.kind, "default": p.default} for p in m.params],
                "returns": m.returns,
                "doc": m.doc,
            }
            for m in v.methods
        ],
    }


__all__ = ["BindingSet", "HostField", "HostMethod", "HostParam", "HostVariable"]
