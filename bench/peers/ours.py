"""Ours: the seed condition compiled once by `segmentr.stof`, evaluated from the plain customer dict."""

from __future__ import annotations

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

    # promoted to the generated code, as membership streams it; `matches_customer(customer, policy)` reads
    # `data` (the customer's metadata, seed document) itself: that is part of the measured cost
    evaluate: Evaluator = stof_compile(_SOURCES[key]).optimize().matches_customer
    return evaluate
