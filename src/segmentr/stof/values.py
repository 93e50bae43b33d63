"""Stof runtime values that have no plain Python counterpart: void, unit numbers, maps, sets and versions.

Everything else is Python data used as-is (None, bool, int, float, str, list, tuple, dict = obj, bytes).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any


class _Void:
    """The "no value" of a body that ends without returning; falsy, prints as nothing."""

    __slots__ = ()
    _instance: _Void | None = None

    def __new__(cls) -> _Void:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "VOID"

    def __reduce__(self) -> str:
        return "VOID"

    def __copy__(self) -> _Void:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _Void:
        return self


VOID = _Void()


class Units:
    """A number with a unit (always float-backed, as in Stof). ``unit`` is the canonical name (``days``, ``ms``)."""

    __slots__ = ("unit", "value")
    value: float
    unit: str

    def __init__(self, value: float, unit: str) -> None:
        _set_value(self, value if type(value) is float else float(value))
        _set_unit(self, unit)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Units is immutable")

    def __eq__(self, other: object) -> bool:
        # Structural (Python) equality, for tests and hashing; Stof's == is ops.eq.
        return type(other) is Units and other.value == self.value and other.unit == self.unit

    def __hash__(self) -> int:
        return hash((self.value, self.unit))

    def __repr__(self) -> str:
        return f"Units({self.value!r}, {self.unit!r})"

    def __copy__(self) -> Units:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Units:
        return self

    def __reduce__(self) -> tuple[type[Units], tuple[float, str]]:
        return (Units, (self.value, self.unit))


# the slots' own setters: faster than object.__setattr__, which Units.__setattr__ forbids
_set_value = Units.value.__set__  # type: ignore[attr-defined]
_set_unit = Units.unit.__set__  # type: ignore[attr-defined]


# ---------------------------------------------------------------- ordering of keys (maps, sets, sort)

_KIND_RANK = {type(None): 0, bool: 1, int: 2, float: 2, Units: 2, str: 3}


def _rank(v: object) -> int:
    rank = _KIND_RANK.get(type(v))
    if rank is not None:
        return rank
    if type(v) is Version:
        return 4
    if type(v) is tuple:
        return 5
    if type(v) is list:
        return 6
    return 7


def order_key(v: object) -> tuple[Any, ...]:
    """A total order over Stof values, used for map keys, sets and ``sort``: numbers numerically, strings
    bytewise (code-point order equals UTF-8 byte order), collections element-wise, other values by kind."""
    rank = _rank(v)
    if rank == 2:
        num = v.value if type(v) is Units else v  # type: ignore[union-attr]
        return (2, num if num == num else float("inf"))
    if rank in (1, 3):
        return (rank, v)
    if rank == 4:
        return (4, v.sort_key())  # type: ignore[union-attr]
    if rank in (5, 6):
        return (rank, tuple(order_key(x) for x in v))  # type: ignore[attr-defined]
    return (rank, 0)


def key_token(v: object) -> object:
    """A hashable identity for a value used as a map key or set member (1 and 1.0 coincide, true and 1 don't)."""
    t = type(v)
    if t is str or v is None:
        return v
    if t is bool:
        return ("bool", v)
    if t is int or t is float:
        return ("num", v)
    if t is Units:
        return ("units", v.value, v.unit)  # type: ignore[union-attr]
    if t is list or t is tuple:
        return (t.__name__, tuple(key_token(x) for x in v))  # type: ignore[attr-defined]
    if t is Version:
        return ("ver", str(v))
    if t is bytes:
        return ("blob", v)
    if t is StofSet:
        return ("set", tuple(key_token(x) for x in v))  # type: ignore[attr-defined]
    return ("id", id(v))


class StofMap:
    """A Stof map: keys are any values, iteration and printing in key order (not insertion order)."""

    __slots__ = ("_entries", "_sorted")

    def __init__(self, items: Iterable[tuple[Any, Any]] = ()) -> None:
        self._entries: dict[object, tuple[Any, Any]] = {}
        self._sorted: list[tuple[Any, Any]] | None = None
        for k, v in items:
            self._entries[key_token(k)] = (k, v)

    def items(self) -> list[tuple[Any, Any]]:
        """(key, value) pairs in key order."""
        if self._sorted is None:
            self._sorted = sorted(self._entries.values(), key=lambda kv: order_key(kv[0]))
        return self._sorted

    def keys(self) -> list[Any]:
        return [k for k, _ in self.items()]

    def values(self) -> list[Any]:
        return [v for _, v in self.items()]

    def get(self, key: object, default: Any = None) -> Any:
        entry = self._entries.get(key_token(key))
        return default if entry is None else entry[1]

    def contains(self, key: object) -> bool:
        return key_token(key) in self._entries

    def insert(self, key: object, value: Any) -> Any:
        """Set ``key``; returns the previous value or None."""
        token = key_token(key)
        old = self._entries.get(token)
        self._entries[token] = (key, value)
        self._sorted = None
        return None if old is None else old[1]

    def remove(self, key: object) -> Any:
        old = self._entries.pop(key_token(key), None)
        self._sorted = None
        return None if old is None else old[1]

    def clear(self) -> None:
        self._entries.clear()
        self._sorted = None

    def copy(self) -> StofMap:
        return StofMap(self.items())

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.keys())

    def __eq__(self, other: object) -> bool:
        return type(other) is StofMap and self.items() == other.items()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"StofMap({self.items()!r})"

    def __deepcopy__(self, memo: dict[int, Any]) -> StofMap:
        from copy import deepcopy

        return StofMap((deepcopy(k, memo), deepcopy(v, memo)) for k, v in self.items())


class StofSet:
    """A Stof set: unique values, iterated and printed in sorted order."""

    __slots__ = ("_entries", "_sorted")

    def __init__(self, items: Iterable[Any] = ()) -> None:
        self._entries: dict[object, Any] = {}
        self._sorted: list[Any] | None = None
        for item in items:
            self._entries.setdefault(key_token(item), item)

    @classmethod
    def from_keyed(cls, pairs: Iterable[tuple[object, Any]]) -> StofSet:
        """The set of ``(key_token(item), item)`` pairs already computed (the first of equal tokens wins)."""
        result = cls()
        entries = result._entries
        for token, item in pairs:
            entries.setdefault(token, item)
        return result

    def items(self) -> list[Any]:
        if self._sorted is None:
            self._sorted = sorted(self._entries.values(), key=order_key)
        return self._sorted

    def contains(self, value: object) -> bool:
        return key_token(value) in self._entries

    def insert(self, value: Any) -> bool:
        """Add ``value``; True when it was not there yet."""
        token = key_token(value)
        if token in self._entries:
            return False
        self._entries[token] = value
        self._sorted = None
        return True

    def remove(self, value: object) -> bool:
        found = self._entries.pop(key_token(value), _MISSING) is not _MISSING
        self._sorted = None
        return found

    def clear(self) -> None:
        self._entries.clear()
        self._sorted = None

    def copy(self) -> StofSet:
        return StofSet(self.items())

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items())

    def __eq__(self, other: object) -> bool:
        return type(other) is StofSet and self._entries.keys() == other._entries.keys()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"StofSet({self.items()!r})"

    def __deepcopy__(self, memo: dict[int, Any]) -> StofSet:
        from copy import deepcopy

        return StofSet(deepcopy(x, memo) for x in self.items())


_MISSING = object()

_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.\-]+))?(?:\+([0-9A-Za-z.\-]+))?$")


class Version:
    """A semantic version literal (``1.2.3``, ``1.0.0-beta+build``)."""

    __slots__ = ("build", "major", "minor", "patch", "release")

    def __init__(self, major: int, minor: int, patch: int, release: str = "", build: str = "") -> None:
        self.major, self.minor, self.patch, self.release, self.build = major, minor, patch, release, build

    @classmethod
    def parse(cls, text: str) -> Version | None:
        match = _VERSION.match(text.strip())
        if match is None:
            return None
        major, minor, patch, release, build = match.groups()
        return cls(int(major), int(minor), int(patch), release or "", build or "")

    def sort_key(self) -> tuple[int, int, int, int, str]:
        # A pre-release sorts before its release.
        return (self.major, self.minor, self.patch, 0 if self.release else 1, self.release)

    def __eq__(self, other: object) -> bool:
        return type(other) is Version and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.release:
            text += f"-{self.release}"
        if self.build:
            text += f"+{self.build}"
        return text

    def __repr__(self) -> str:
        return f"Version({str(self)!r})"


def is_host(v: object) -> bool:
    """Is ``v`` a host object (a class exposing ``stof_methods``)?"""
    return hasattr(type(v), "stof_methods")


__all__ = ["VOID", "StofMap", "StofSet", "Units", "Version", "is_host", "key_token", "order_key"]
