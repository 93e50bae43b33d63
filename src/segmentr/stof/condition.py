"""``Condition``: one Stof condition, evaluated against a customer, its metadata and the policy.

A condition starts in the closure tier (closures/: cheap to build, slower to run) and is promoted to the
generated code (compiler/: costly to build, fast to run) after ``PROMOTE_AFTER`` evaluations, or at once by
``optimize()``. Both tiers give the same values and errors; promotion swaps the functions the hot paths call.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any

from . import nodes as n
from .closures import ClosureProgram, build_closures
from .compiler import ABSENT_BINDING, PARAMETERS, Compiled, compile_body
from .compiler.build import stop_speculating
from .errors import StofBudgetExceeded, StofRuntimeError, StofSyntaxError
from .explain import Explanation, TraceStep, print_value, source_text
from .host import BindingSet
from .ops import truthy
from .sandbox import CHECK_EVERY, Budget, started_budget
from .values import VOID

_FILENAME = "<stof>"
_ABSENT = ABSENT_BINDING  # the generated entries' sentinel: a call handed on keeps its meaning
# Evaluations in the closure tier before the generated code is compiled. Generating and compiling costs 15-40x the
# closure build (+200 us for a one-comparison condition, +3.6 ms for the 2 KB one) and saves per evaluation 0.2 us
# (one comparison), 3 us (Time.now() templates) or 15-40 us (meter loops, the 2 KB one): it pays back after ~80-120
# evaluations of the costly conditions, ~1000 of the cheapest (whose compile is cheap in absolute terms). 100 keeps
# one-off evaluations (previews, `segmentr eval`, the editor) free of code generation and promotes anything used
# repeatedly early; membership streaming calls `optimize()` up front anyway.
PROMOTE_AFTER = 100
# Speculative attempts (the generated `_matches_fast`) a condition may abandon within SPECULATION_WINDOW seconds
# before it stops making them: one abandoned costs the attempt and the full evaluation again, so a condition
# whose data keeps leaving the inline paths (or runs long loops) goes straight to the full entry after this
# many, while one that gives up now and then (a customer with 32+ meters in a stream of thousands) keeps them.
SPECULATION_BAILS = 64
SPECULATION_WINDOW = 1.0


class Condition:
    """A condition. ``evaluate`` returns the Stof value; ``matches`` its truthiness (void is false).

    ``matches_customer(customer, policy=None, data=<customer's metadata>) -> bool`` answers the same for one
    customer without a bindings mapping: once promoted, it is the generated ``_matches_customer`` itself, the
    cheapest call there is (membership streams through it).

    ``matches(bindings) -> bool`` is an attribute: in the closure tier a counting entry; once promoted, the
    generated ``_matches`` function itself (the membership hot path pays one Python call), or the general path
    for a body that mutates its values. ``promote_after=None`` keeps the closure tier until ``optimize()``.

    Runtime errors propagate as ``StofRuntimeError`` with the position of the node that failed; any other
    exception escaping the generated code is a bug and surfaces as ``StofRuntimeError(kind="Internal")``.
    """

    __slots__ = (
        "_compiled",
        "_extras",
        "_function",
        "_mutates",
        "_promotable",
        "_runtime",
        "_traced",
        "_truthy",
        "_uses_budget",
        "_void",
        "bindings",
        "body",
        "matches",
        "matches_customer",
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
        promote_after: int | None = PROMOTE_AFTER,
        bindings: BindingSet | None = None,
    ) -> None:
        self.source = source
        self.body = body
        self.bindings = bindings
        # the binding set's variables beyond customer/data/policy (a notification's `event`): both tiers take
        # them as parameters after the budget, read from the bindings mapping by name
        self._extras: tuple[str, ...] = (
            () if bindings is None else tuple(name for name in bindings.names if name not in PARAMETERS)
        )
        self._runtime = runtime
        self._compiled: Compiled | None = None
        self._promotable = True
        self._traced: Compiled | None = None
        self._truthy: Callable[[Any], bool] = truthy if runtime is None else runtime["truthy"]
        self._void = VOID if runtime is None else runtime["VOID"]
        self.max_steps = max_steps
        self.max_seconds = max_seconds
        self.matches_customer: Callable[..., bool] = self._matches_customer
        program = build_closures(body, runtime=runtime, extras=self._extras)
        if program is None:  # a construct the closure tier leaves to the generated code
            self._install(compile_body(body, runtime=runtime, filename=_FILENAME, entry=True, extras=self._extras))
        else:
            self._start_in_closures(program, promote_after)

    def _start_in_closures(self, program: ClosureProgram, promote_after: int | None) -> None:
        """Evaluate with the closure tier; the ``promote_after``-th evaluation compiles the generated code."""
        function = program.function
        self._mutates = program.mutates
        self._uses_budget = program.uses_budget
        counted = function
        if promote_after is not None:
            remaining = promote_after

            def counted(customer: Any, data: Any, policy: Any, budget: Budget | None, *extras: Any) -> Any:
                nonlocal remaining
                remaining -= 1  # racy under threads: at worst one promotion more or a few evaluations later
                if remaining <= 0:
                    self.optimize()
                return function(customer, data, policy, budget, *extras)

        self._function = counted
        if program.mutates or self._extras:
            self.matches: Callable[[Mapping[str, Any]], bool] = self._matches
            return
        truthy_of, uses_budget = self._truthy, program.uses_budget

        # the same two entries as the generated module: positional, and the bindings form reading into it
        def matches_customer(customer: Any, policy: Any = None, data: Any = _ABSENT) -> bool:
            if self._compiled is not None:  # promoted meanwhile, and the caller kept this entry
                return self.matches_customer(customer, policy, data)
            if data is _ABSENT:
                data = customer.get("metadata") if type(customer) is dict else None
            budget = Budget(self.max_steps, self.max_seconds) if uses_budget else None
            try:
                value = counted(customer, data, policy, budget)
            except StofRuntimeError as error:
                raise self._located(error, None) from None
            except Exception as error:
                raise self._internal(error, None) from error
            return value if type(value) is bool else truthy_of(value)

        def matches(bindings: Mapping[str, Any]) -> bool:
            return matches_customer(bindings.get("customer"), bindings.get("policy"), bindings.get("data", _ABSENT))

        self.matches = matches
        self.matches_customer = matches_customer

    def _install(self, compiled: Compiled) -> None:
        """Use the generated code from now on (the hot paths read ``_function`` and ``matches`` per call).
        Evaluations already running finish in the tier they began in; ``_uses_budget`` is set before the swap
        and never shrinks (both tiers count a loop the same way), so no evaluation misses its budget."""
        self._compiled = compiled
        self._mutates = compiled.mutates
        self._uses_budget = compiled.uses_budget or getattr(self, "_uses_budget", False)
        self._function = compiled.function
        entry = self._bind_entry(compiled)
        if entry is not None and compiled.speculative is not None:
            self.matches, self.matches_customer = compiled.speculative_bindings, compiled.speculative
        else:
            self.matches = entry or self._matches
            self.matches_customer = (entry and compiled.matches_customer) or self._matches_customer

    def optimize(self) -> Condition:
        """Compile the generated code now, if not yet done (membership streaming calls this before a run).

        A body CPython cannot compile (nesting past its limits) stays in the closure tier. Returns ``self``."""
        if self._compiled is None and self._promotable:
            try:
                compiled = compile_body(self.body, runtime=self._runtime, filename=_FILENAME, entry=True,
                                        extras=self._extras)
            except StofSyntaxError:
                self._promotable = False
                return self
            self._install(compiled)
        return self

    @property
    def optimized(self) -> bool:
        """Whether the generated code is in use."""
        return self._compiled is not None

    def _bind_entry(self, compiled: Compiled) -> Callable[[Mapping[str, Any]], bool] | None:
        """``compiled.matches`` with its error and budget hooks pointing at this condition (and those of the
        speculative entry, which then is the one the hot paths call)."""
        entry = compiled.matches
        if entry is None:
            return None
        namespace = entry.__globals__
        located = namespace["_located"] = lambda error: self._located(error, compiled)
        internal = namespace["_internal"] = lambda error: self._internal(error, compiled)
        namespace["_new_budget"] = lambda started=None: started_budget(self.max_steps, self.max_seconds, started)
        fast = compiled.speculative
        if fast is not None:
            fast_namespace = fast.__globals__
            fast_namespace["_located"], fast_namespace["_internal"] = located, internal
            # no more steps before the first bail than the full entry's first chunk holds
            fast_namespace["_FIRST_CHUNK"] = min(CHECK_EVERY, self.max_steps)
            fast_namespace["_bailed"] = self._bail_hook(compiled, fast_namespace)
        return entry

    def _bail_hook(self, compiled: Compiled, fast_namespace: dict[str, Any]) -> Callable[..., bool]:
        """What the speculative entry calls when it gives up: the full entry, from the same start time; after
        ``SPECULATION_BAILS`` of them within ``SPECULATION_WINDOW`` the condition stops speculating (its
        customers need the full entry)."""
        full = compiled.matches_customer
        assert full is not None
        bails, window = 0, float("-inf")

        def bailed(customer: Any, policy: Any, data: Any, started: float) -> bool:
            nonlocal bails, window
            if started - window > SPECULATION_WINDOW:  # the attempts' own clock: no extra read
                bails, window = 0, started
            bails += 1
            if bails >= SPECULATION_BAILS:
                stop_speculating(compiled)
                if self.matches_customer is compiled.speculative:
                    self.matches_customer = full
                if self.matches is compiled.speculative_bindings:
                    self.matches = compiled.matches  # type: ignore[assignment]
            return full(customer, policy, data, started)

        return bailed

    def __repr__(self) -> str:
        return f"Condition({self.source!r})"

    @property
    def python_source(self) -> str:
        """The generated Python function (for debugging; generates it if the condition has not been promoted)."""
        compiled = self.optimize()._compiled
        if compiled is None:  # CPython cannot compile it: show the error
            compiled = compile_body(self.body, runtime=self._runtime, filename=_FILENAME, entry=True,
                                    extras=self._extras)
        return compiled.python_source

    @property
    def mutates(self) -> bool:
        """Whether the body can change values: then each evaluation works on a copy of the bindings."""
        return self._mutates

    # ------------------------------------------------------------ evaluation

    def _arguments(self, bindings: Mapping[str, Any]) -> tuple[Any, Any, Any, tuple[Any, ...]]:
        customer = bindings.get("customer")
        if "data" in bindings:
            data = bindings["data"]
        else:
            data = customer.get("metadata") if type(customer) is dict else None
        policy = bindings.get("policy")
        extras = tuple(bindings.get(name) for name in self._extras)
        if self._mutates:
            # one deepcopy call keeps `data is customer.metadata`; the policy host object is shared as is
            customer, data, extras = copy.deepcopy((customer, data, extras), {id(policy): policy})
        return customer, data, policy, extras

    def evaluate(self, bindings: Mapping[str, Any]) -> Any:
        """The value of the body for these bindings (``customer``, ``policy``, optional ``data``, and the
        binding set's other variables, such as ``event``)."""
        customer, data, policy, extras = self._arguments(bindings)
        budget = Budget(self.max_steps, self.max_seconds) if self._uses_budget else None
        try:
            return self._function(customer, data, policy, budget, *extras)
        except StofRuntimeError as error:
            raise self._located(error, self._compiled) from None
        except Exception as error:
            raise self._internal(error, self._compiled) from error

    def _matches_customer(self, customer: Any, policy: Any = None, data: Any = _ABSENT) -> bool:
        """``matches_customer`` for a body that changes its values: through ``matches`` (on a copy)."""
        bindings = {"customer": customer, "policy": policy}
        if data is not _ABSENT:
            bindings["data"] = data
        return self.matches(bindings)

    def _matches(self, bindings: Mapping[str, Any]) -> bool:
        """``matches`` for a body that changes its values: it evaluates on a copy of the bindings."""
        value = self.evaluate(bindings)
        return value if type(value) is bool else self._truthy(value)

    def explain(self, bindings: Mapping[str, Any]) -> Explanation:
        """Evaluate with a trace of every top-level ``&&``/``||`` operand and ``if`` condition."""
        traced = self._traced
        if traced is None:
            traced = self._traced = compile_body(
                self.body, runtime=self._runtime, trace=True, filename=_FILENAME, extras=self._extras
            )
        recorded: list[tuple[int, Any]] = []

        def trace(index: int, value: Any) -> Any:
            recorded.append((index, value))
            return value

        customer, data, policy, extras = self._arguments(bindings)
        budget = Budget(self.max_steps, self.max_seconds) if traced.uses_budget else None
        value: Any = None
        error: str | None = None
        try:
            value = traced.function(customer, data, policy, budget, trace, *extras)
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
    def _position(traceback: TracebackType | None, compiled: Compiled | None) -> tuple[int, int]:
        """The Stof position of the innermost generated-code frame in ``traceback`` (none in the closure tier,
        whose errors carry their position already)."""
        position = (0, 0)
        while traceback is not None and compiled is not None:
            if traceback.tb_frame.f_code.co_filename == _FILENAME:
                lineno = traceback.tb_lineno
                if 0 <= lineno < len(compiled.positions):
                    position = compiled.positions[lineno]
            traceback = traceback.tb_next
        return position

    def _located(self, error: StofRuntimeError, compiled: Compiled | None) -> StofRuntimeError:
        if not error.line:
            line, column = self._position(error.__traceback__, compiled)
            if line:
                error.line, error.column = line, column
                error.args = (f"{error.args[0]} at {line}:{column}" if error.args else f"at {line}:{column}",)
        return error

    def _internal(self, error: Exception, compiled: Compiled | None) -> StofRuntimeError:
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
