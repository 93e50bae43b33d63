"""Runs Stof conformance corpora (``/work/shared/conformance/stof/README.md`` format) against this engine.

``python -m segmentr.stof.conformance FILE...`` lists every failing case (id, source, expected, actual) and ends
with ``N passed, M failed`` (exit status 1 if any failed).
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from . import compile as compile_condition
from .errors import StofRuntimeError, StofSyntaxError
from .ops import eq, truthy
from .printing import to_json
from .values import VOID, StofMap, StofSet, Units, Version

# The Limitr policy API's methods and their (min, max) argument counts.
POLICY_ARITIES: dict[str, tuple[int, int]] = {
    "entitlement": (2, 2),
    "limit": (2, 3),
    "value": (2, 4),
    "customer_local_margin_breakdown": (1, 1),
}


# ---------------------------------------------------------------- env decoding


class CorpusPolicy:
    """A host object answering policy calls from a table of rows: first row whose arguments equal (Stof ``==``)
    the call's wins; arguments a row does not list must be absent or null; anything else is null."""

    stof_methods: ClassVar[dict[str, tuple[int, int]]] = {}

    def __init__(self, rows: dict[str, list[tuple[list[Any], Any]]]) -> None:
        self._rows = rows

    def _answer(self, method: str, args: tuple[Any, ...]) -> Any:
        for row_args, result in self._rows.get(method, []):
            if _row_matches(row_args, args):
                return decode_env(result)
        return None

    def entitlement(self, *args: Any) -> Any:
        return self._answer("entitlement", args)

    def limit(self, *args: Any) -> Any:
        return self._answer("limit", args)

    def value(self, *args: Any) -> Any:
        return self._answer("value", args)

    def customer_local_margin_breakdown(self, *args: Any) -> Any:
        return self._answer("customer_local_margin_breakdown", args)


def _row_matches(row_args: list[Any], args: tuple[Any, ...]) -> bool:
    for i in range(max(len(row_args), len(args))):
        given = args[i] if i < len(args) else None
        if i >= len(row_args):
            if given is not None:
                return False
        elif not eq(given, decode_env(row_args[i])):
            return False
    return True


def make_policy(spec: dict[str, Any]) -> CorpusPolicy:
    """A policy host object exposing exactly the methods ``spec`` lists, with the Limitr arities."""
    methods = {name: POLICY_ARITIES[name] for name in spec if name in POLICY_ARITIES}
    cls = type("CorpusPolicy", (CorpusPolicy,), {"stof_methods": methods})
    return cls({name: [(row[0], row[1]) for row in rows] for name, rows in spec.items()})


def decode_env(value: Any) -> Any:
    """A JSON env value as a Stof value (``$map``, ``$now_offset_ms``, ``$policy`` included)."""
    if type(value) is list:
        return [decode_env(x) for x in value]
    if type(value) is dict:
        if len(value) == 1:
            key = next(iter(value))
            if key == "$map":
                return StofMap((decode_env(k), decode_env(v)) for k, v in value[key])
            if key == "$now_offset_ms":
                return int(time.time() * 1000) + int(value[key])
            if key == "$policy":
                return make_policy(value[key])
        return {k: decode_env(v) for k, v in value.items()}
    return value


# ---------------------------------------------------------------- result encoding


def encode_result(value: Any) -> Any:
    """A Stof value in the corpus's ``expect`` encoding."""
    t = type(value)
    if value is None or t is bool or t is str or t is int:
        return value
    if t is float:
        if math.isnan(value):
            return {"$float": "nan"}
        if math.isinf(value):
            return {"$float": "inf" if value > 0 else "-inf"}
        return value
    if t is Units:
        return {"$units": value.unit, "value": value.value}
    if t is list:
        return [encode_result(x) for x in value]
    if t is tuple:
        return {"$tuple": [encode_result(x) for x in value]}
    if t is StofMap:
        return {"$map": [[encode_result(k), encode_result(v)] for k, v in value.items()]}
    if t is StofSet:
        return {"$set": [encode_result(x) for x in value.items()]}
    if t is dict:
        return {"$obj": to_json(value)}
    if t is Version:
        return {"$ver": str(value)}
    if value is VOID:
        return {"$void": True}
    return {"$unencodable": repr(value)}


def same(expected: Any, actual: Any) -> bool:
    """JSON equality that tells int from float (and -0.0 from 0.0); object key order does not matter."""
    if type(expected) is not type(actual):
        return False
    if type(expected) is float:
        return expected == actual and math.copysign(1, expected) == math.copysign(1, actual)
    if type(expected) is list:
        return len(expected) == len(actual) and all(same(e, a) for e, a in zip(expected, actual))
    if type(expected) is dict:
        return expected.keys() == actual.keys() and all(same(v, actual[k]) for k, v in expected.items())
    return bool(expected == actual)


# ---------------------------------------------------------------- running


@dataclass(slots=True)
class CaseResult:
    case_id: str
    source: str
    expected: Any
    actual: Any
    expected_truthy: bool | None
    actual_truthy: bool

    @property
    def passed(self) -> bool:
        truthy_ok = self.expected_truthy is None or self.expected_truthy == self.actual_truthy
        return truthy_ok and same(self.expected, self.actual)

    def describe(self) -> str:
        return (
            f"FAIL {self.case_id}\n  src: {self.source!r}\n"
            f"  expected: {json.dumps(self.expected)} (truthy {self.expected_truthy})\n"
            f"  actual:   {json.dumps(self.actual)} (truthy {self.actual_truthy})"
        )


def run_case(case: dict[str, Any]) -> CaseResult:
    """Evaluate one corpus case and encode its outcome."""
    source = case["src"]
    env = case.get("env") or {}
    customer = decode_env(env.get("customer"))
    bindings = {"customer": customer, "policy": decode_env(env.get("policy"))}
    actual_truthy = False
    try:
        condition = compile_condition(source)
        value = condition.evaluate(bindings)
        actual: Any = encode_result(value)
        actual_truthy = value is not VOID and truthy(value)
    except StofSyntaxError:
        actual = {"error": "parse"}
    except StofRuntimeError as error:
        # an Internal error is our bug: it never counts as the reference's runtime error
        actual = (
            {"error": "internal", "detail": str(error)} if error.kind == "Internal" else {"error": "runtime"}
        )
    return CaseResult(case["id"], source, case.get("expect"), actual, case.get("truthy"), actual_truthy)


def load_cases(path: str | Path) -> list[dict[str, Any]]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return list(data["cases"] if isinstance(data, dict) else data)


def main(argv: Sequence[str] | None = None) -> int:
    files = list(sys.argv[1:] if argv is None else argv)
    if not files:
        print("usage: python -m segmentr.stof.conformance FILE...", file=sys.stderr)
        return 2
    passed = failed = 0
    for file in files:
        for case in load_cases(file):
            result = run_case(case)
            if result.passed:
                passed += 1
            else:
                failed += 1
                print(result.describe())
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
