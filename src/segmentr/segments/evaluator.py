"""Evaluate a segment condition for customers: matched or not, the value, the error, and why (product.md §3-§4).

A condition that fails for a customer (a runtime error, an exhausted budget) does not match it; the failure is
returned, never raised. The batch form compiles once and makes one policy copy per batch of customers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from segmentr.stof import Condition, compile
from segmentr.stof.errors import StofError

if TYPE_CHECKING:
    from segmentr.policy import Policy


@dataclass(frozen=True, slots=True)
class EvaluationResult:
    """One customer's evaluation. ``trace`` is the explanation (only with ``explain``)."""

    matched: bool
    value: Any
    error: str | None
    trace: Any | None
    reason: str


def compile_condition(condition: Condition | str) -> Condition:
    """The compiled condition (``segmentr.stof.compile`` caches by source: the same text compiles once)."""
    return condition if isinstance(condition, Condition) else compile(condition)


def bindings_for(customer: dict[str, Any], policy_view: Any) -> dict[str, Any]:
    """The three variables of a condition: the customer as is, ``data`` its metadata, and the policy view."""
    return {"customer": customer, "data": customer.get("metadata"), "policy": policy_view}


def policy_view_for(policy: Policy, customers: Iterable[dict[str, Any]]) -> Any:
    """The ``policy`` object a condition sees, reading the state of exactly these customers."""
    return policy.with_customers({customer["id"]: customer for customer in customers}).view()


def _describe_error(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, StofError) else f"internal error: {type(exc).__name__}: {exc}"


def _reason(matched: bool, value: Any) -> str:
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return f"the condition returned {shown}, which is {'truthy' if matched else 'falsy'}"


def evaluate(
    condition: Condition | str, customer: dict[str, Any], policy: Policy, *, explain: bool = False
) -> EvaluationResult:
    """Evaluate the condition for one customer against the policy; never raises for a condition's failure.

    A condition that does not compile raises ``StofSyntaxError`` (a bad condition, not a bad customer).
    """
    compiled = compile_condition(condition)
    try:
        bindings = bindings_for(customer, policy_view_for(policy, [customer]))
        if explain:
            explanation = compiled.explain(bindings)
            error = getattr(explanation, "error", None)
            if error is not None:
                message = error if isinstance(error, str) else _describe_error(error)
                return EvaluationResult(False, None, message, explanation, f"the condition failed: {message}")
            value = explanation.value
            matched = bool(explanation.matched)
            return EvaluationResult(matched, value, None, explanation, _reason(matched, value))
        value = compiled.evaluate(bindings)
    except (
        Exception
    ) as exc:  # any failure of one evaluation is that customer's non-match, never the caller's crash
        message = _describe_error(exc)
        return EvaluationResult(False, None, message, None, f"the condition failed: {message}")
    matched = _truthy(value)
    return EvaluationResult(matched, value, None, None, _reason(matched, value))


def _truthy(value: Any) -> bool:
    from segmentr.stof.ops import truthy

    return truthy(value)


def evaluate_many(
    condition: Condition | str, customers: Iterable[dict[str, Any]], policy: Policy
) -> Iterator[tuple[str, bool, str | None]]:
    """``(customer id, matched, error)`` for each customer of the batch, in order.

    One compilation and one policy copy for the whole batch; per customer only the bindings are made.
    """
    compiled = compile_condition(condition)
    batch = customers if isinstance(customers, list) else list(customers)
    if not batch:
        return
    try:
        view = policy_view_for(policy, batch)
    except Exception as exc:
        message = _describe_error(exc)
        for customer in batch:
            yield customer["id"], False, message
        return
    # a batch is a stream: use the generated code at once, through its positional entry (no bindings dict)
    matches = compiled.optimize().matches_customer
    for customer in batch:
        try:
            matched = matches(customer, view)
        except Exception as exc:  # the customer does not match; the error is reported with it
            yield customer["id"], False, _describe_error(exc)
            continue
        yield customer["id"], matched, None


__all__ = [
    "EvaluationResult",
    "bindings_for",
    "compile_condition",
    "evaluate",
    "evaluate_many",
    "policy_view_for",
]
