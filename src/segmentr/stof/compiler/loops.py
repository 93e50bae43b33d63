"""Code generation for loops: ``while``, ``for``, ``for in``, and (labelled) ``break``/``continue``."""

from __future__ import annotations

from collections.abc import Callable

from .. import nodes as n
from ..sandbox import CHARGE_FROM
from .core import _LOOP_HEADER, GeneratorCore, _Loop, _Var
from .runtime import IMPLICIT_LOOP_NAMES
from .tree import _children, _walk


class LoopsMixin(GeneratorCore):
    """Loops as Python loops; jumps across loops as ``_LoopJump`` exceptions."""

    def _jump_targets(self, body: n.Stmt, label: str | None) -> tuple[bool, bool, bool]:
        """(labelled break from an inner loop, labelled continue from an inner loop, continue of this loop)."""
        outer_break = outer_continue = own_continue = False

        def visit(node: n.Node, depth: int) -> None:
            nonlocal outer_break, outer_continue, own_continue
            if isinstance(node, n.Break | n.Continue):
                targets_me = (node.label is None and depth == 0) or (
                    label is not None and node.label == label
                )
                if targets_me and depth > 0:
                    if isinstance(node, n.Break):
                        outer_break = True
                    else:
                        outer_continue = True
                if targets_me and isinstance(node, n.Continue):
                    own_continue = True
                return
            inner = isinstance(node, n.While | n.For | n.ForIn)
            for child in _children(node):
                visit(child, depth + 1 if inner else depth)

        visit(body, 0)
        return outer_break, outer_continue, own_continue

    def loop(
        self, label: str | None, body: n.Stmt, emit: Callable[[_Loop, bool], None], length: str | None = None
    ) -> None:
        """Open a loop: labelled jumps from inner loops arrive as ``_LoopJump`` exceptions. ``length``: the
        local holding a for-in's iteration count."""
        outer_break, outer_continue, own_continue = self._jump_targets(body, label)
        ctx = _Loop(label, next(self._token), own_continue, length)
        self.loops.append(ctx)
        self.loop_depth += 1
        if outer_break:
            self.writeline("try:")
            self.indent()
        emit(ctx, outer_continue)
        if outer_break:
            self.outdent()
            self.writeline("except _LoopJump as _jump:")
            self.writeline(f"    if _jump.token != {ctx.token}: raise")
        self.loop_depth -= 1
        self.loops.pop()
        if ctx.length is not None:
            self.loop_steps[ctx.token] = (ctx.length, ctx.steps)

    def loop_body(self, ctx: _Loop, body: n.Stmt, outer_continue: bool) -> None:
        if outer_continue:
            self.writeline("try:")
            self.indent()
            self.scoped_statement(body)
            self.outdent()
            self.writeline("except _LoopJump as _jump:")
            self.writeline(f"    if _jump.token != -{ctx.token}: raise")
        else:
            self.scoped_statement(body)

    def stmt_While(self, stmt: n.While) -> None:
        def emit(ctx: _Loop, outer_continue: bool) -> None:
            self.writeline(f"while {self.condition(stmt.cond)}:", stmt)
            self.indent()
            self.tick(stmt.cond, extra=1, at=stmt)  # the loop's step: at the loop, as in the closure tier
            self.loop_body(ctx, stmt.body, outer_continue)
            self.outdent()

        self.loop(stmt.label, stmt.body, emit)

    def stmt_For(self, stmt: n.For) -> None:
        self.push_scope()
        if stmt.init is not None:
            self.statement(stmt.init)

        def emit(ctx: _Loop, outer_continue: bool) -> None:
            step_runs_first = stmt.step is not None and ctx.continue_runs_step
            if step_runs_first:
                started = self.temp()
                self.writeline(f"{started} = False")
            self.writeline("while True:", stmt)
            self.indent()
            self.tick(stmt.cond, extra=1, at=stmt)  # the loop's step: at the loop, as in the closure tier
            if step_runs_first and stmt.step is not None:
                self.writeline(f"if {started}:")
                self.indent()
                self.statement(stmt.step)
                self.outdent()
                self.writeline(f"{started} = True")
            if stmt.cond is not None:
                self.writeline(f"if not {self.condition(stmt.cond)}: break", stmt.cond)
            self.loop_body(ctx, stmt.body, outer_continue)
            if stmt.step is not None and not step_runs_first:
                self.statement(stmt.step)
            self.outdent()

        self.loop(stmt.label, stmt.body, emit)
        self.pop_scope()

    def stmt_ForIn(self, stmt: n.ForIn) -> None:
        iterable, length, index = self.temp(), self.temp(), self.temp()
        used = {
            x.names[0]
            for x in _walk(stmt.body)
            if isinstance(x, n.Path) and x.names[0] in IMPLICIT_LOOP_NAMES
        } | {x.target[0] for x in _walk(stmt.body) if isinstance(x, n.Assign)}
        self.tick(stmt.iterable, at=stmt)
        if self.mutates:
            self.writeline(f"{iterable} = {self.expr(stmt.iterable)}", stmt)
            self.writeline(f"{length} = ({self.mark(stmt)}iter_len({iterable}))")
            self._for_in_indexed(stmt, iterable, length, index, used)
            return
        # nothing in the body can change the iterable: a list or tuple is iterated directly (item i is what
        # iter_at gives), and so are the (name, value) pairs of `x.fields()` on an object too small to be charged
        # for (the same tuples the Obj library's list holds); anything else is read item by item with iter_at
        fields = self.counts_fields(stmt.iterable) and "iterable" not in used
        code = self.fields_items(stmt.iterable, length) if fields else self.expr(stmt.iterable)
        self.writeline(f"{iterable} = {code}", stmt)
        direct = self.temp()
        test = f"type({iterable}) is list or type({iterable}) is tuple"
        pairs = None
        if fields:  # the object's own pairs: then `item[0]`, `item[1]` index the item plainly
            pairs = self.temp()
            self.writeline(f"{pairs} = type({iterable}) is _DICT_ITEMS")
            test = f"{pairs} or {test}"
            if stmt.type is not None or stmt.name in used:
                pairs = None
        self.writeline(f"{direct} = {test}")
        self.writeline(f"{length} = len({iterable}) if {direct} else ({self.mark(stmt)}iter_len({iterable}))")
        item = self.temp()
        # in the speculative entry, an iterable read item by item has given up at iter_len (a stub there): the
        # loop iterates directly; `x.fields()` gave up unless it is the object itself, whose length the test
        # read (`fields_items`): its pairs are its items
        if fields:
            self.speculative_statements[f"{self.lines[-3].strip()}"] = "pass"
            self.speculative_statements[f"{self.lines[-2].strip()}"] = "pass"
            self.speculative_statements[self.lines[-1].strip()] = "pass"

        def emit(ctx: _Loop, outer_continue: bool) -> None:
            # the generic path iterates the indexes: the item is fetched after the iteration's step, as before
            source = f"({iterable} if {direct} else range({length}))"
            self.speculative_rewrites[source] = f"({iterable}.items())" if fields else f"({iterable})"
            header = f"{_LOOP_HEADER}{ctx.token}"
            counted = bool(used & {"index", "first", "last"})
            if counted:
                self.writeline(f"for {index}, {item} in enumerate{source}:{header}", stmt)
            else:
                self.writeline(f"for {item} in {source}:{header}", stmt)
            loop_line = self.lines[-1].strip()
            self.indent()
            self.tick(extra=1, at=stmt)
            self.push_scope()
            self.implicit_names(used, index, length, iterable)
            value = f"({item} if {direct} else ({self.mark(stmt)}iter_at({iterable}, {item})))"
            self.speculative_rewrites[value] = item
            var = self.loop_item(stmt, value)
            item_line = self.lines[-1].strip()
            var.pairs = pairs
            self.loop_body(ctx, stmt.body, outer_continue)
            if pairs is not None and var.reads and var.reads == var.pair_reads:
                # the item is only ever indexed: the speculative entry iterates the object's values, its names,
                # or both (unpacking the pairs), whichever the body reads
                name, field = self.temp(), self.temp()
                target, iterated = {
                    1: (name, f"{iterable}"),
                    2: (field, f"{iterable}.values()"),
                }.get(var.pair_indexes, (f"({name}, {field})", f"{iterable}.items()"))
                if counted:
                    target, iterated = f"{index}, {target}", f"enumerate({iterated})"
                else:
                    target, iterated = target.strip("()"), f"({iterated})"
                self.speculative_statements[loop_line] = f"for {target} in {iterated}:{header}"
                self.speculative_statements[item_line] = "pass"
                self.speculative_rewrites[f"{var.pyname}[0]"] = name
                self.speculative_rewrites[f"{var.pyname}[1]"] = field
            self.pop_scope()
            self.outdent()

        self.loop(stmt.label, stmt.body, emit, length)

    def _for_in_indexed(self, stmt: n.ForIn, iterable: str, length: str, index: str, used: set[str]) -> None:
        """A body that may mutate: item i is read with iter_at at each iteration."""

        def emit(ctx: _Loop, outer_continue: bool) -> None:
            self.writeline(f"for {index} in range({length}):", stmt)
            self.indent()
            self.tick(extra=1, at=stmt)
            self.push_scope()
            self.implicit_names(used, index, length, iterable)
            self.loop_item(stmt, f"({self.mark(stmt)}iter_at({iterable}, {index}))")
            self.loop_body(ctx, stmt.body, outer_continue)
            self.pop_scope()
            self.outdent()

        self.loop(stmt.label, stmt.body, emit)

    def implicit_names(self, used: set[str], index: str, length: str, iterable: str) -> None:
        implicit = {
            "index": index,
            "first": f"{index} == 0",
            "last": f"{index} == {length} - 1 and {index} > 0",  # set after each iteration: never on the 1st
            "length": length,
            "iterable": iterable,
        }
        for name, code in implicit.items():
            if name in used:
                var = self.declare(name)
                self.writeline(f"{var.pyname} = {code}")

    def loop_item(self, stmt: n.ForIn, item: str) -> _Var:
        if stmt.type is not None:
            item = self.cast_code(item, stmt.type, stmt)
        var = self.declare(stmt.name, const=stmt.const, type_=stmt.type)
        self.writeline(f"{var.pyname} = {item}")
        return var

    def fields_items(self, e: n.Expr, length: str) -> str:
        """``x.fields()`` as the pairs of ``x`` itself when it is an object of fewer than CHARGE_FROM fields
        (the Obj library's ``fields`` charges nothing then, and builds a list of these same pairs). In the
        speculative entry, where the other case has given up (the call site is a stub), it is the object itself,
        and the test keeps its field count in ``length``."""
        assert isinstance(e, n.Call) and e.receiver is not None
        site = self.method_site(e)
        t = self.temp()
        head, test = f"({t}.items() if type({t} := ", f" is dict and len({t}) < {CHARGE_FROM} else ("
        self.speculative_rewrites[head] = f"({t} if type({t} := "
        self.speculative_rewrites[test] = f" is dict and ({length} := len({t})) < {CHARGE_FROM} else ("
        self.speculative_sites.add(site)
        return f"{head}{self.expr(e.receiver)}){test}{self.mark(e)}{site}({t})))"

    def _jump(self, stmt: n.Break | n.Continue, keyword: str) -> None:
        if not self.loops:
            self.writeline("pass")
            return
        target = self.loops[-1]
        if stmt.label is not None:
            found = next((loop for loop in reversed(self.loops) if loop.label == stmt.label), None)
            if found is None:
                self.writeline("pass")
                return
            target = found
        if target is self.loops[-1]:
            self.writeline(keyword, stmt)
        else:
            token = target.token if keyword == "break" else -target.token
            self.writeline(f"raise _LoopJump({token})", stmt)

    def stmt_Break(self, stmt: n.Break) -> None:
        self._jump(stmt, "break")

    def stmt_Continue(self, stmt: n.Continue) -> None:
        self._jump(stmt, "continue")
