"""cel-python (`celpy`): compiled once to a program; per customer the activation is converted with `json_to_cel`."""

from __future__ import annotations

import time
from importlib.metadata import version as package_version
from typing import Any

import celpy

from peers import Evaluator, NotExpressible
from peers.cel_expressions import EXPRESSIONS, NOT_EXPRESSED, extra_values

NAME = "cel-python"
_ENVIRONMENT = celpy.Environment()


def version() -> str:
    return package_version("cel-python")


def prepare(key: str) -> Evaluator | NotExpressible:
    if key in NOT_EXPRESSED:
        return NotExpressible(NOT_EXPRESSED[key])
    source, extras = EXPRESSIONS[key]
    program = _ENVIRONMENT.program(_ENVIRONMENT.compile(source))

    def evaluate(customer: dict[str, Any], policy: Any) -> bool:
        activation = {"customer": customer, "data": customer.get("metadata")}
        if extras:
            activation.update(extra_values(extras, customer, policy, time.time() * 1000))
        return bool(program.evaluate({name: celpy.json_to_cel(value) for name, value in activation.items()}))

    return evaluate
