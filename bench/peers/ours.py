"""Ours: the seed condition compiled once by `segmentr.stof`, evaluated from the plain customer dict."""

from __future__ import annotations

from typing import Any

from fixtures import SEED_CONDITIONS
from peers import Evaluator, NotExpressible

NAME = "segmentr.stof (ours)"
_SOURCES = {condition.key: condition.source for condition in SEED_CONDITIONS}


def available() -> str | None:
    """None when the engine can be used, else why not (it is being built in parallel)."""
    try:
        from segmentr.stof import compile as stof_compile
    except ImportError as error:
        return f"segmentr.stof.compile not available yet ({error})"
    del stof_compile
    return None


def version() -> str:
    return "working tree"


def prepare(key: str) -> Evaluator | NotExpressible:
    from segmentr.stof import compile as stof_compile

    condition = stof_compile(_SOURCES[key])
    matches = condition.matches

    def evaluate(customer: dict[str, Any], policy: Any) -> bool:
        # `data` is the customer's metadata (seed document); binding it is part of the measured cost.
        return matches({"customer": customer, "data": customer.get("metadata"), "policy": policy})

    return evaluate
