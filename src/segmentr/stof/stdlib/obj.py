"""The Obj library: methods on objects (plain dicts from the bindings): ``fields``, ``len``, ``get``, ``at``, ...

``keys``/``values`` do not exist in Stof (FuncDne), and object field order is insertion order.
"""

from __future__ import annotations

from typing import Any

from segmentr.stof.sandbox import charge_items
from segmentr.stof.stdlib.table import LibFunction, lib
from segmentr.stof.values import StofMap


def _at(obj: dict[str, Any], i: int) -> Any:
    if 0 <= i < len(obj):
        for n, key in enumerate(obj):
            if n == i:
                return (key, obj[key])
    return None


def _remove(obj: dict[str, Any], name: str) -> bool:
    return obj.pop(name, _MISSING) is not _MISSING


def _insert(obj: dict[str, Any], name: str, value: Any) -> None:
    obj[name] = value


def object_fields(obj: dict[str, Any]) -> list[tuple[str, Any]]:
    """One ``(name, value)`` tuple per field, in order: as many entries as the object has fields (the
    compiler relies on it to read ``x.fields().len()`` as ``len(x)``)."""
    charge_items(len(obj))
    return list(obj.items())


_MISSING = object()

OBJ: dict[str, LibFunction] = {
    "len": lib(len),
    "fields": lib(object_fields),
    "get": lib(lambda obj, name: obj.get(name), 1, 1, "str"),
    "contains": lib(lambda obj, name: name in obj, 1, 1, "str"),
    "at": lib(_at, 1, 1, "int"),
    "any": lib(lambda obj: len(obj) > 0),
    "empty": lib(lambda obj: len(obj) == 0),
    "to_map": lib(lambda obj: StofMap(obj.items())),
    "insert": lib(_insert, 2, 2, "str"),
    "remove": lib(_remove, 1, 1, "str"),
}

__all__ = ["OBJ", "object_fields"]
