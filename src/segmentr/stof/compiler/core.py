"""The generator's state: output lines and position marks, constants, and block scopes."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .. import nodes as n
from .runtime import mangle


@dataclass(slots=True)
class _Var:
    pyname: str
    const: bool = False
    type: n.TypeRef | None = None
    number: str | None = None  # a const unit number's float value, kept in this Python local too
    unit: str = ""  # ... and its unit
    reads: int = 0  # reads of the Units itself (not through ``number``)
    pairs: str | None = None  # a for-in item: the local that is True while it is an object's (name, value) pair
    pair_reads: int = 0  # ... and how many of its reads are `item[0]` / `item[1]`
    pair_indexes: int = 0  # ... and which of the two those are (bit 0: `item[0]`, bit 1: `item[1]`)


@dataclass(slots=True)
class _Loop:
    label: str | None
    token: int
    continue_runs_step: bool = False
    # a for-in: its iteration count is known when it starts, so the speculative entry counts all its steps then
    # (`EntryMixin.speculative_lines`): the Python local holding the count, and the steps one iteration takes
    # at most (its own, and its statements' outside nested loops)
    length: str | None = None
    steps: int = 0


# Tags ending generated lines (Python comments): a step counted in for-in loop N (`_tick -= 2  #~N`), and the
# header of that loop (`for ...:  #~forN`), for the speculative entry to count the loop's steps at its start.
_IN_LOOP = "  #~"
_LOOP_HEADER = "  #~for"

# Static result kinds of expressions: used to skip a truthiness call or pick an inline fast path.
_BOOL = "bool"
_STR = "str"


class GeneratorCore:
    """What every part of the code generator shares: output, constants, scopes."""

    def __init__(self, runtime: Mapping[str, Any], *, trace: bool = False, mutates: bool = False) -> None:
        self.runtime = runtime
        self.trace = trace
        self.mutates = mutates
        self.extras: tuple[str, ...] = ()  # binding-set variables beyond PARAMETERS, after `_budget`
        self.libraries: frozenset[str] = frozenset(runtime.get("LIBRARIES", ()))
        self.method_libraries: dict[type, str] = {}
        if "Units" in runtime:
            self.method_libraries = {
                dict: "Obj", list: "List", str: "Str", int: "Num", float: "Num", runtime["Units"]: "Num",
                runtime["StofMap"]: "Map", tuple: "Tup", runtime["StofSet"]: "Set",
            }  # fmt: skip
        self.lines: list[str] = []
        self.level = 1
        self.constants: dict[str, Any] = {}
        self._constant_ids: dict[tuple[type, Any], str] = {}
        self.marks: list[tuple[int, int]] = [(0, 0)]
        self.scopes: list[dict[str, _Var]] = []
        self.loops: list[_Loop] = []
        self.loop_depth = 0
        self.uses_budget = False
        self.clears_budget = False
        self.host_calls = False  # a call that may reach a host object's method
        self.loop_steps: dict[int, tuple[str, int]] = {}  # for-in token -> (length local, steps per iteration)
        # what the speculative entry's copy of the body says more simply (`EntryMixin.speculative_lines`): code
        # -> code, and whole statements -> statements, each true there because its other case has given up
        self.speculative_rewrites: dict[str, str] = {}
        self.speculative_statements: dict[str, str] = {}
        self.speculative_sites: set[str] = set()  # call sites those rewrites rely on being stubs there
        # field reads shared by the operands of an and/or chain: Path node id -> (names, temporary) for the
        # operand being generated, and names -> temporary for what earlier operands certainly set
        self.cse_define: dict[int, tuple[tuple[str, ...], str]] = {}
        self.cse_ready: dict[tuple[str, ...], str] = {}
        self.trace_nodes: list[n.Expr] = []
        self._tmp = itertools.count()
        self._token = itertools.count(1)
        self._name_uses: dict[str, int] = {}
        self._calls: dict[int, int] = {}
        self._depth = 0
        self._statement_starts: list[tuple[list[str], int, int]] = []
        self._folded: dict[int, Any] = {}
        self._unit_lines: list[tuple[_Var, str]] = []
        # each `return` of the body itself (not of a block expression): its value code and its truthiness code
        self._returns: list[tuple[str, str]] = []
        self._block_depth = 0

    # ------------------------------------------------------------ output

    def writeline(self, text: str, node: n.Node | None = None) -> None:
        if node is not None:
            self.lines.append("    " * self.level + self.mark(node).strip())
        self.lines.append("    " * self.level + text)

    def indent(self) -> None:
        self.level += 1

    def outdent(self) -> None:
        self.level -= 1

    def mark(self, node: n.Node) -> str:
        """A comment line naming ``node``'s position; placed before code that may raise for it."""
        self.marks.append((node.line, node.col))
        return f"\n#@{len(self.marks) - 1}\n"

    def temp(self) -> str:
        return f"_t{next(self._tmp)}"

    def constant(self, value: Any) -> str:
        """A Python expression for an immutable constant (literal text, or a name in the function's globals)."""
        if value is None or type(value) is bool:
            return repr(value)
        if type(value) is int or type(value) is str:
            return f"({value!r})" if type(value) is int and value < 0 else repr(value)
        if type(value) is float and math.isfinite(value):
            return f"({value!r})" if math.copysign(1.0, value) < 0 else repr(value)
        key = (type(value), repr(value))
        name = self._constant_ids.get(key)
        if name is None:
            name = f"_k{len(self._constant_ids)}"
            self._constant_ids[key] = name
            self.constants[name] = value
        return name

    def constant_object(self, value: Any) -> str:
        """A name in the function's globals for a compile-time object (call-site dispatchers)."""
        name = f"_site{len(self.constants)}"
        self.constants[name] = value
        return name

    # ------------------------------------------------------------ scopes

    def push_scope(self) -> None:
        self.scopes.append({})

    def pop_scope(self) -> None:
        self.scopes.pop()

    def lookup(self, name: str) -> _Var | None:
        for scope in reversed(self.scopes):
            var = scope.get(name)
            if var is not None:
                return var
        return None

    def declare(self, name: str, *, const: bool = False, type_: n.TypeRef | None = None) -> _Var:
        uses = self._name_uses.get(name, 0)
        self._name_uses[name] = uses + 1
        pyname = mangle(name) + (f"_s{uses}" if uses else "")
        var = _Var(pyname, const, type_)
        self.scopes[-1][name] = var
        return var

    # ------------------------------------------------------------ entry point
