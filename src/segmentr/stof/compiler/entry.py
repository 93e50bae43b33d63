"""The generated functions' frame: ``_condition``'s header and returns, the ``_matches`` entry, the
position table."""

from __future__ import annotations

import re
from collections.abc import Iterator

from .. import nodes as n
from ..tiers import may_charge
from .core import _IN_LOOP, _LOOP_HEADER, GeneratorCore, _Var
from .runtime import FUNCTION_NAME, PARAMETERS, mangle

_RETURN_PLACEHOLDER = re.compile("\x00(\\d+)\x00")
_IDENTIFIER = re.compile(r"\b[A-Za-z_]\w*\b")
_TICK = re.compile(r"\b_tick\b")
# the end-of-chunk test after a step (in the speculative copy: abandoning the attempt)
_REFILL = "if _tick <= 0: _tick = _budget.refill(_tick)"


def _counted_up_front(line: str) -> bool:
    """A step counted inside a for-in loop (`_tick -= 2  #~N`): the speculative entry counts it at the loop."""
    tag = line.rfind(_IN_LOOP)
    return tag >= 0 and line[tag + len(_IN_LOOP):].isdigit()


def _code_lines(lines: list[str], indexes: range) -> Iterator[int]:
    """The indexes in ``indexes`` of lines that are code, not position marks."""
    return (i for i in indexes if not lines[i].lstrip().startswith("#"))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _without_passes(lines: list[str]) -> list[str]:
    """``lines`` without the ``pass`` statements that are not a block's only statement (the speculative copy's
    rewrites leave them where the full entry has code; each costs CPython a NOP per run)."""
    out: list[str] = []
    for i, line in enumerate(lines):
        if line.strip() == "pass":
            before = next(_code_lines(out, range(len(out) - 1, -1, -1)), None)
            after = next(_code_lines(lines, range(i + 1, len(lines))), None)
            header = before is None or _is_header(out[before])  # the first: after `try:`
            if not header or (after is not None and _indent(lines[after]) == _indent(line)):
                continue
        out.append(line)
    return out


def _is_header(line: str) -> bool:
    """Whether ``line`` may open a block (a compound statement's last line ends with a colon)."""
    tag = line.rfind(_LOOP_HEADER)
    code = (line[:tag] if tag >= 0 else line).rstrip()
    return code.endswith(":") or "#" in code


_FOR_ONE = re.compile(r"^(\s*)for ((?:\w+, )?)(_t\d+) in (.*)$")
_TAKES = re.compile(r"^(\s*)(v_\w+) = (_t\d+)$")


def _loop_targets(lines: list[str]) -> list[str]:
    """A for-in loop whose item (``_tN``) is read only by its body's first statement, ``v_x = _tN``, iterates
    into ``v_x`` itself (nothing runs between the two; the loop assigns it before every iteration)."""
    out = list(lines)
    text = "\n".join(lines)
    for i, line in enumerate(lines):
        loop = _FOR_ONE.match(line)
        if loop is None:
            continue
        first = next(_code_lines(lines, range(i + 1, len(lines))), None)
        takes = None if first is None else _TAKES.match(lines[first])
        item = loop.group(3)
        if (
            takes is None
            or takes.group(3) != item
            or _indent(lines[first]) <= _indent(line)
            or len(re.findall(rf"\b{item}\b", text)) != 2
        ):
            continue
        out[i] = f"{loop.group(1)}for {loop.group(2)}{takes.group(2)} in {loop.group(4)}"
        after = next(_code_lines(lines, range(first + 1, len(lines))), None)
        alone = after is None or _indent(lines[after]) < _indent(lines[first])
        out[first] = f"{takes.group(1)}pass" if alone else ""  # a block keeps a statement
    return [line for line in out if line]


class EntryMixin(GeneratorCore):
    """Assembles the function sources around the generated body."""

    def generate(self, body: n.Body, *, entry: bool = False) -> str:
        """The source of ``_condition`` and, with ``entry``, of ``_matches`` (same body, see ``matches_entry``)."""
        names = (*PARAMETERS, *self.extras)
        params = [mangle(p) for p in names]
        self.push_scope()
        for name, pyname in zip(names, params, strict=True):
            self._name_uses[name] = 1
            self.scopes[-1][name] = _Var(pyname)
        self.push_scope()
        self.statements(body.body)
        self.write_return("VOID", "False")
        self.drop_unread_units()
        extra = "".join(f", {p}" for p in params[len(PARAMETERS):])
        header = (f"def {FUNCTION_NAME}({', '.join(params[:len(PARAMETERS)])}, _budget"
                  + (", _trace" if self.trace else "") + extra + "):")
        # without a loop budget, a body that can reach a charged operation clears the thread's active budget
        # (a charge then starts its own); `_budget.start()` makes the loop budget the active one
        self.clears_budget = not self.uses_budget and "_ACTIVE" in self.runtime and may_charge(body)
        prologue = ["    _tick = _budget.start()"] if self.uses_budget else []
        body_text = "\n".join(self.lines)
        if self.restores_budget:
            # the thread's active budget is this evaluation's until it returns, then the caller's again
            prologue = ["    _outer = _ACTIVE.budget", *(prologue or ["    _ACTIVE.budget = _LAZY"]), "    try:"]
            body_text = "\n".join("    " + line for line in self.lines)
            body_text += "\n    finally:\n        _ACTIVE.budget = _outer"
        source = "\n".join([header, *prologue, self.returning(body_text, 0)]) + "\n"
        if entry:
            source += self.matches_entry()
        return source

    @property
    def restores_budget(self) -> bool:
        """The entries set the thread's active budget (a loop budget, or LAZY) and restore it on return."""
        return "_ACTIVE" in self.runtime and (self.uses_budget or self.clears_budget)

    def write_return(self, value_code: str, truth_code: str) -> None:
        """``return`` from the condition: a placeholder, filled with the value (``_condition``) or its
        truthiness (``_matches``) when the sources are assembled."""
        self._returns.append((value_code, truth_code))
        self.writeline(f"return \x00{len(self._returns) - 1}\x00")

    def returning(self, text: str, which: int) -> str:
        return _RETURN_PLACEHOLDER.sub(lambda m: self._returns[int(m.group(1))][which], text)

    @property
    def speculates(self) -> bool:
        """Whether the module gets ``_matches_fast`` (see ``speculative_entry``): a body with a loop budget that
        changes no value and calls no host method (whatever it does is invisible once discarded)."""
        return self.uses_budget and not self.mutates and not self.host_calls and "_ACTIVE" in self.runtime

    def matches_entry(self) -> str:
        """``_matches_customer(customer, policy=None, data=<metadata>) -> bool``: the body again, inlined,
        answering with its truthiness — one Python call per customer on the membership hot path — and
        ``_matches(bindings)`` reading a bindings mapping into it. Errors go to ``_located`` / ``_internal``
        and the budget comes from ``_new_budget``, names the ``Condition`` fills in."""
        body_text = self.returning("\n".join(self.lines), 1)
        uses = set(_IDENTIFIER.findall(body_text))
        data = [
            "    if v_data is _ABSENT:",
            "        v_data = v_customer.get('metadata') if type(v_customer) is dict else None",
        ] if "v_data" in uses else []
        # `_started`, behind a speculative entry (the only caller that passes it, positionally: a keyword-only
        # parameter would cost every call CPython's specialised call path): when the evaluation began
        started = ", _started=None" if self.speculates else ""
        lines = [f"def _matches_customer(v_customer, v_policy=None, v_data=_ABSENT{started}):", *data]
        if self.restores_budget:
            lines.append("    _outer = _ACTIVE.budget")
        if self.uses_budget:
            lines.append(f"    _budget, _tick = _new_budget({'_started' if started else ''})")
        elif self.clears_budget:
            lines.append("    _ACTIVE.budget = _LAZY")
        lines.append("    try:")
        lines.extend("    " + self.returning(line, 1) for line in self.lines)
        lines += [
            "    except StofRuntimeError as _error:",
            "        raise _located(_error) from None",
            "    except Exception as _error:",
            "        raise _internal(_error) from _error",
            *(["    finally:", "        _ACTIVE.budget = _outer"] if self.restores_budget else []),
            "def _matches(bindings):",
            "    return _matches_customer(",
            "        bindings.get('customer'), bindings.get('policy'), bindings.get('data', _ABSENT)",
            "    )",
        ]
        if self.speculates:
            lines += self.speculative_entry(data)
        return "\n".join(lines) + "\n"

    def speculative_entry(self, data: list[str]) -> list[str]:
        """``_matches_fast``: the body once more, run in a namespace where every runtime function that could
        charge the budget, read the thread's active budget or call a host is a stub raising ``_Bail``, and so
        is ``_budget.refill``: it needs no Budget object and never touches the thread-local one. Whatever it
        reaches beyond the inline fast paths (or the end of its first countdown chunk) abandons the attempt,
        and ``_bailed`` runs the evaluation again from the start in ``_matches_customer``, with the same start
        time — the body changes nothing and calls no host, so the attempt left no trace, and every step and
        charge happen there exactly as without it."""
        body, start = self.speculative_countdown(self.speculative_lines())
        body = ["    " + line for line in _loop_targets(_without_passes(body))]
        uses = set(_IDENTIFIER.findall("\n".join(body)))
        ending = [
            "    except StofRuntimeError as _error:",
            "        raise _located(_error) from None",
            "    except Exception as _error:",
            "        raise _internal(_error) from _error",
        ]
        lines = [
            "def _matches_fast(v_customer, v_policy=None, v_data=_ABSENT):",
            "    _started = _clock()",
            *data,
            *start,
            "    try:",
            *body,
            "    except _Bail:",
            "        return _bailed(v_customer, v_policy, v_data, _started)",
            *ending,
        ]
        # the bindings form, reading only the bindings the body uses (the rest when it gives up)
        reads = {
            "v_customer": "bindings.get('customer')",
            "v_policy": "bindings.get('policy')",
            "v_data": "bindings.get('data', _ABSENT)",
        }
        lines += [
            "def _matches_fast_bindings(bindings):",
            "    _started = _clock()",
            *(f"    {name} = {code}" for name, code in reads.items() if name in uses or (name == "v_data" and data)),
            *(["    v_customer = bindings.get('customer')"] if data and "v_customer" not in uses else []),
            *data,
            *start,
            "    try:",
            *body,
            "    except _Bail:",
            f"        return _bailed({', '.join(reads.values())}, _started)",
            *ending,
        ]
        return lines

    @staticmethod
    def speculative_countdown(body: list[str]) -> tuple[list[str], list[str]]:
        """``body`` and the countdown's start (``_tick = _FIRST_CHUNK``) for it: when the first line reading
        ``_tick`` counts steps at the body's own level (run once, before anything else reads it: a loop counting
        its steps up front), that line starts the countdown itself — and when nothing after that loop's start
        reads the countdown, the loop compares what it counts with the chunk instead."""
        for i, line in enumerate(body):
            if not _TICK.search(line):
                continue
            if not (line.startswith("    _tick -= ") and line[4] != " "):
                break
            counted, refill, rest = line[len("    _tick -= "):], body[i + 1], body[i + 2:]
            assert refill == f"    {_REFILL}", refill
            if any(_TICK.search(later) for later in rest):
                return [*body[:i], f"    _tick = _FIRST_CHUNK - ({counted})", refill, *rest], []
            return [*body[:i], f"    if ({counted}) >= _FIRST_CHUNK: _budget.refill(0)", *rest], []
        return body, ["    _tick = _FIRST_CHUNK"]

    def speculative_lines(self) -> list[str]:
        """The body for ``_matches_fast``: a for-in loop counts every step it can take when it starts (the
        length times the most one iteration takes), not one by one. Counting more than it will take is safe
        here — the attempt only gives up sooner — and it gives up before the full entry would first look at
        its budget. And the code the generator noted as simpler there (``speculative_rewrites``: a loop's
        item when the iterable is a list, a tuple or an object's pairs, the only ones left once iter_len and
        the `fields` dispatcher are stubs)."""
        loops = self.loop_steps
        out: list[str] = []
        skip = False
        for line in self.lines:
            if skip:  # the refill test after a step counted up front
                skip = False
                continue
            if _counted_up_front(line):
                skip = True
                continue
            header = line.rfind(_LOOP_HEADER)
            if header >= 0:
                length, steps = loops[int(line[header + len(_LOOP_HEADER):])]
                if steps:
                    pad = line[: len(line) - len(line.lstrip())]
                    out += [f"{pad}_tick -= {steps} * {length}", f"{pad}{_REFILL}"]
            line = self.returning(line, 1)
            stripped = line.strip()
            statement = self.speculative_statements.get(stripped)
            if statement is not None:
                line = line[: len(line) - len(line.lstrip())] + statement
            elif self.speculative_rewrites and "(" in line:
                for code, plain in self.speculative_rewrites.items():
                    if code in line:
                        line = line.replace(code, plain)
            out.append(line)
        return out

    def positions(self, source: str) -> list[tuple[int, int]]:
        """For each generated line (index = line number), the Stof position of the last mark above it."""
        table: list[tuple[int, int]] = [(0, 0)]
        current = (0, 0)
        for line in source.split("\n"):
            stripped = line.strip()
            if stripped.startswith("#@"):
                current = self.marks[int(stripped[2:])]
            table.append(current)
        return table

    # ------------------------------------------------------------ statements
