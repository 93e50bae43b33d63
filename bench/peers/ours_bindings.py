"""Ours through the public bindings form: ``Condition.matches({"customer": c, "policy": p})``, the mapping
built per evaluation as a caller would, promoted to the generated code first (as membership streaming does)."""

from __future__ import annotations

from typing import Any

from peers import Evaluator, NotExpressible
from peers.ours import _SOURCES, available, version

NAME = "segmentr.stof matches(bindings)"

__all__ = ["NAME", "available", "prepare", "version"]


def prepare(key: str) -> Evaluator | NotExpressible:
    from segmentr.stof import compile as stof_compile

    matches = stof_compile(_SOURCES[key]).optimize().matches

    def evaluate(customer: dict[str, Any], policy: Any) -> bool:
        return matches({"customer": customer, "policy": policy})

    return evaluate
