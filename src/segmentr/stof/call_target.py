"""Where a Stof call goes, decided alike by both execution tiers: a library function or a receiver's method."""

from __future__ import annotations

from collections.abc import Callable, Collection

from . import nodes as n


def called_library(e: n.Call, is_local: Callable[[str], bool], libraries: Collection[str]) -> str | None:
    """The library ``e`` calls: ``Std`` without a receiver, ``Lib`` for ``Lib.name(...)`` when no local is
    named ``Lib``; None for a method call on the receiver's value."""
    receiver = e.receiver
    if receiver is None:
        return "Std"
    if (
        isinstance(receiver, n.Path)
        and len(receiver.names) == 1
        and not is_local(receiver.names[0])
        and receiver.names[0] in libraries
    ):
        return receiver.names[0]
    return None


__all__ = ["called_library"]
