"""common-expression-language (`cel`, a Rust CEL): `cel.compile(expr)` once, `Program.execute(context)` per customer."""

from __future__ import annotations

import time
from importlib.metadata import version as package_version
from typing import Any

import cel

from peers import Evaluator, NotExpressible
from peers.cel_expressions import EXPRESSIONS, NOT_EXPRESSED, extra_values

NAME = "common-expression-language"


def version() -> str:
    return package_version("common-expression-language")


def prepare(key: str) -> Evaluator | NotExpressible:
    if key in NOT_EXPRESSED:
        return NotExpressible(NOT_EXPRESSED[key])
    source, extras = EXPRESSIONS[key]
    program = cel.compile(source)

    def evaluate(customer: dict[str, Any], policy: Any) -> bool:
        activation = {"customer": customer, "data": customer.get("metadata")}
        if extras:
            activation.update(extra_values(extras, customer, policy, time.time() * 1000))
        return program.execute(activation) is True

    return evaluate
