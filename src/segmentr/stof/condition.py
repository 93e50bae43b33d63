"""``Condition``: one compiled Stof condition, evaluated against a customer, its metadata and the policy."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any

from . import nodes as n
from .compiler import Compiled, compile_body
from .errors import StofBudgetExceeded, StofRuntimeError
from .explain import Explanation, TraceStep, print_value, source_text
from .sandbox import Budget

_FILENAME = "<stof>"


class Condition:
    """A compiled condition. ``evaluate`` returns the Stof value; ``matches`` its truthiness (void is false).

    ``matches(bindings) -> bool`` is an attribute holding the generated ``_matches`` function itself (the
    membership hot path pays one Python call), or the general path for a body that mutates its values.

    Runtime errors propagate as ``StofRuntimeError`` with the position of the node that failed; any other
    exception escaping the generated code is a bug and surfaces as ``StofRuntimeError(kind="Internal")``.
    """

    __slots__ = (
        "_compiled",
        "_function",
        "_runtime",
        "_traced",
        "_truthy",
        "_uses_budget",
        "_void",
        "body",
        "matches",
        "max_seconds",
        "max_steps",
        "source",
    )

    def __init__(
        self,
        source: str,
        body: n.Body,
        *,
        runtime: Mapping[str, Any] | None = None,
        max_steps: int = 1_000_000,
        max_seconds: float = 0.25,
    ) -> None:
        self.source = source
        self.body = body
        self._runtime = runtime
        self._compiled: Compiled = compile_body(body, runtime=runtime, filename=_FILENAME, entry=True)
        self._function = self._compiled.function
        self._uses_budget = self._compiled.uses_budget
        self._traced: Compiled | None = None
        namespace = self._function.__globals__
        self._truthy: Callable[[Any], bool] = namespace["truthy"]
        self._void = namespace["VOID"]
        self.max_steps = max_steps
        self.max_seconds = max_seconds
        self.matches: Callable[[Mapping[str, Any]], bool] = self._bind_entry(self._compiled) or self._matches

    def _bind_entry(self, compiled: Compiled) -> Callable[[Mapping[str, Any]], bool] | None:
        """``compiled.matches`` with its error and budget hooks pointing at this condition."""
        entry = compiled.matches
        if entry is None:
            return None
        namespace = entry.__globals__
        namespace["_located"] = lambda error: self._located(error, compiled)
        namespace["_internal"] = lambda error: self._internal(error, compiled)
        namespace["_new_budget"] = lambda: Budget(self.max_steps, self.max_seconds)
        return entry

    def __repr__(self) -> str:
        return f"Condition({self.source!r})"

    @property
    def python_source(self) -> str:
        """The generated Python function (for debugging)."""
        return self._compiled.python_source

    @property
    def mutates(self) -> bool:
        """Whether the body can change values: then each evaluation works on a copy of the bindings."""
        return self._compiled.mutates

    # ------------------------------------------------------------ evaluation

    def _arguments(self, bindings: Mapping[str, Any]) -> tuple[Any, Any, Any]:
        customer = bindings.get("customer")
        if "data" in bindings:
            data = bindings["data"]
        else:
            data = customer.get("metadata") if type(customer) is dict else None
        policy = bindings.get("policy")
        if self._compiled.mutates:
            # one deepcopy call keeps `data is customer.metadata`; the policy host object is shared as is
            customer, data = copy.deepcopy((customer, data), {id(policy): policy})
        return customer, data, policy

    def evaluate(self, bindings: Mapping[str, Any]) -> Any:
        """The value of the body for these bindings (``customer``, ``policy``, optional ``data``)."""
        customer, data, policy = self._arguments(bindings)
        budget = Budget(self.max_steps, self.max_seconds) if self._uses_budget else None
        try:
            return self._function(customer, data, policy, budget)
        except StofRuntimeError as error:
            raise self._located(error, self._compiled) from None
        except Exception as error:
            raise self._internal(error, self._compiled) from error

    def _matches(self, bindings: Mapping[str, Any]) -> bool:
        """``matches`` for a body that changes its values: it evaluates on a copy of the bindings."""
        value = self.evaluate(bindings)
        return value if type(value) is bool else self._truthy(value)

    def explain(self, bindings: Mapping[str, Any]) -> Explanation:
        """Evaluate with a trace of every top-level ``&&``/``||`` operand and ``if`` condition."""
        traced = self._traced
        if traced is None:
            traced = self._traced = compile_body(
                self.body, runtime=self._runtime, trace=True, filename=_FILENAME
            )
        recorded: list[tuple[int, Any]] = []

        def trace(index: int, value: Any) -> Any:
            recorded.append((index, value))
            return value

        customer, data, policy = self._arguments(bindings)
        budget = Budget(self.max_steps, self.max_seconds) if traced.uses_budget else None
        value: Any = None
        error: str | None = None
        try:
            value = traced.function(customer, data, policy, budget, trace)
        except StofRuntimeError as exc:
            error = str(self._located(exc, traced))
        except Exception as exc:
            error = str(self._internal(exc, traced))
        steps = []
        for index, step_value in recorded:
            node = traced.trace_nodes[index]
            shown = "void" if step_value is self._void else print_value(step_value)
            steps.append(TraceStep(node.line, node.col, source_text(self.source, node), shown))
        matched = error is None and bool(value if type(value) is bool else self._truthy(value))
        return Explanation(value=value, matched=matched, error=error, steps=steps)

    # ------------------------------------------------------------ errors

    @staticmethod
    def _position(traceback: TracebackType | None, compiled: Compiled) -> tuple[int, int]:
        """The Stof position of the innermost generated-code frame in ``traceback``."""
        position = (0, 0)
        while traceback is not None:
            if traceback.tb_frame.f_code.co_filename == _FILENAME:
                lineno = traceback.tb_lineno
                if 0 <= lineno < len(compiled.positions):
                    position = compiled.positions[lineno]
            traceback = traceback.tb_next
        return position

    def _located(self, error: StofRuntimeError, compiled: Compiled) -> StofRuntimeError:
        if not error.line:
            line, column = self._position(error.__traceback__, compiled)
            if line:
                error.line, error.column = line, column
                error.args = (f"{error.args[0]} at {line}:{column}" if error.args else f"at {line}:{column}",)
        return error

    def _internal(self, error: Exception, compiled: Compiled) -> StofRuntimeError:
        line, column = self._position(error.__traceback__, compiled)
        if isinstance(error, RecursionError | MemoryError):
            return StofBudgetExceeded(
                f"value too deeply nested or too large ({type(error).__name__})",
                budget="nesting",
                line=line,
                column=column,
            )
        return StofRuntimeError(
            f"internal error: {type(error).__name__}: {error}", kind="Internal", line=line, column=column
        )


__all__ = ["Condition"]
