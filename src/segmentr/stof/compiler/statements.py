"""Code generation for statements: blocks, declarations, assignments, ``if``, ``switch``, ``try``."""

from __future__ import annotations

from .. import nodes as n
from .core import _IN_LOOP, GeneratorCore
from .runtime import ASSIGN_FUNCS
from .tree import _children


class StatementsMixin(GeneratorCore):
    """One ``stmt_<Node>`` per statement node, plus budget ticks and helper hoisting."""

    def statements(self, stmts: list[n.Stmt]) -> None:
        start = len(self.lines)
        for stmt in stmts:
            self.statement(stmt)
        if len(self.lines) == start:
            self.writeline("pass")

    def scoped_statement(self, stmt: n.Stmt) -> None:
        """A branch or loop body: a block opens a scope, so does a lone statement."""
        self.push_scope()
        if isinstance(stmt, n.Block):
            self.statements(stmt.body)
        else:
            self.statements([stmt])
        self.pop_scope()

    def calls(self, node: n.Node | None) -> int:
        """How many call sites ``node``'s expression has (nested statements excluded); memoized."""
        if node is None:
            return 0
        key = id(node)
        count = self._calls.get(key)
        if count is None:
            count = 1 if isinstance(node, n.Call) else 0
            for child in _children(node):
                if not isinstance(child, n.Stmt | n.SwitchCase):
                    count += self.calls(child)
            self._calls[key] = count
        return count

    def tick(self, *nodes: n.Node | None, extra: int = 0, at: n.Node | None = None) -> None:
        """Count a step per call site in ``nodes`` plus ``extra`` (only inside loops: a loop-free body is
        bounded by its size). Running out is reported at ``at`` (the statement counting, as the closure tier
        does), or at the enclosing mark (a loop's own step: the loop)."""
        if self.loop_depth == 0:
            return
        steps = extra + sum(self.calls(x) for x in nodes)
        if steps <= 0:
            return
        self.uses_budget = True
        loop = self.loops[-1] if self.loops else None
        if loop is not None and loop.length is not None:  # counted up front by the speculative entry
            loop.steps += steps
            self.writeline(f"_tick -= {steps}{_IN_LOOP}{loop.token}", at)
        else:
            self.writeline(f"_tick -= {steps}", at)
        self.writeline("if _tick <= 0: _tick = _budget.refill(_tick)")

    def statement(self, stmt: n.Stmt) -> None:
        # where helper functions for this statement's expressions go: just before the statement
        self._statement_starts.append((self.lines, len(self.lines), self.level))
        method = getattr(self, "stmt_" + type(stmt).__name__)
        method(stmt)
        self._statement_starts.pop()

    def hoist(self, code: str) -> str:
        """Move a deeply nested subexpression into a local helper function defined before the statement:
        Python's parser allows only 200 levels of brackets in one statement."""
        name = f"_deep{next(self._tmp)}"
        lines, index, level = self._statement_starts[-1]
        pad = "    " * level
        lines[index:index] = [f"{pad}def {name}():", f"{pad}    return {code}"]
        return f"{name}()"

    def stmt_Empty(self, stmt: n.Empty) -> None:
        pass

    def stmt_Block(self, stmt: n.Block) -> None:
        self.push_scope()
        self.statements(stmt.body)
        self.pop_scope()

    def stmt_ExprStmt(self, stmt: n.ExprStmt) -> None:
        self.tick(stmt.expr, at=stmt)
        code = self.expr(stmt.expr, top=stmt.returns)
        if stmt.returns:
            self.return_statement(code, stmt.expr, stmt)
        elif not isinstance(stmt.expr, n.Literal | n.Path | n.UnitLiteral):
            self.writeline(code, stmt)

    def stmt_Return(self, stmt: n.Return) -> None:
        self.tick(stmt.value, at=stmt)
        if stmt.value is None:
            self.return_statement("VOID", None, stmt)
        else:
            self.return_statement(self.expr(stmt.value, top=True), stmt.value, stmt)

    def return_statement(self, code: str, value: n.Expr | None, stmt: n.Stmt) -> None:
        if self._block_depth:
            self.writeline(f"return {code}", stmt)
            return
        self.lines.append("    " * self.level + self.mark(stmt).strip())
        self.write_return(code, "False" if value is None else self.truth(code, value))

    def raise_error(self, kind: str, message: str, node: n.Node) -> None:
        self.writeline(f"raise _runtime_error({kind!r}, {message!r})", node)

    def cast_code(self, code: str, type_: n.TypeRef, node: n.Node) -> str:
        names = tuple(type_.names)
        return f"({self.mark(node)}cast({code}, {names!r}, {type_.not_null!r}))"

    def stmt_Declare(self, stmt: n.Declare) -> None:
        self.tick(stmt.value, at=stmt)
        fast = None
        if stmt.const and stmt.type is not None and stmt.value is not None and stmt.name not in self.scopes[-1]:
            fast = self.time_units(stmt.value, stmt.type)
        if fast is not None:
            # `const ts: ms = Time.now() - 7days;`: the float is kept for inline comparisons
            var = self.declare(stmt.name, const=True, type_=stmt.type)
            var.number, var.unit = self.temp(), fast[1]
            self.writeline(f"{var.number} = {fast[0]}", stmt)
            self.writeline(f"{var.pyname} = Units({var.number}, {var.unit!r})", stmt)
            self._unit_lines.append((var, self.lines[-1]))
            return
        code = "None" if stmt.value is None else self.expr(stmt.value)
        if stmt.type is not None:
            code = self.cast_code(code, stmt.type, stmt)
        if stmt.name in self.scopes[-1]:
            if stmt.value is not None:
                self.writeline(code, stmt)
            self.raise_error("DeclareExisting", f"{stmt.name!r} is already declared in this scope", stmt)
            return
        var = self.declare(stmt.name, const=stmt.const, type_=stmt.type)
        self.writeline(f"{var.pyname} = {code}", stmt)

    def drop_unread_units(self) -> None:
        """A const unit number only ever compared inline needs no Units: its line becomes ``pass``."""
        for var, line in self._unit_lines:
            if var.reads == 0 and line in self.lines:
                index = self.lines.index(line)
                self.lines[index] = line[: len(line) - len(line.lstrip())] + "pass"

    def stmt_Assign(self, stmt: n.Assign) -> None:
        self.tick(stmt.value, at=stmt)
        value = self.expr(stmt.value)
        root = self.lookup(stmt.target[0])
        if root is not None:
            root.reads += 1
        combine = ASSIGN_FUNCS.get(stmt.op)
        if len(stmt.target) > 1:
            root_code = root.pyname if root is not None else "None"
            names = tuple(stmt.target[1:])
            self.writeline(f"_assign_path({root_code}, {names!r}, {value}, {combine or 'None'})", stmt)
            return
        if root is None:
            self.writeline(value, stmt)
            self.raise_error("AssignRootNonObj", f"{stmt.target[0]!r} is not declared", stmt)
            return
        if root.const:
            self.writeline(value, stmt)
            self.raise_error("AssignConst", f"{stmt.target[0]!r} is a constant", stmt)
            return
        if combine is not None:
            value = f"({self.mark(stmt)}{combine}({root.pyname}, {value}))"
        if root.type is not None:
            value = self.cast_code(value, root.type, stmt)
        self.writeline(f"{root.pyname} = {value}", stmt)

    def stmt_If(self, stmt: n.If) -> None:
        self.tick(stmt.cond, at=stmt)
        self.writeline(f"if {self.condition(stmt.cond)}:", stmt)
        self.indent()
        self.scoped_statement(stmt.then)
        self.outdent()
        other = stmt.otherwise
        while isinstance(other, n.If):
            self.writeline(f"elif {self.condition(other.cond)}:", other)
            self.indent()
            if self.loop_depth and self.calls(other.cond):
                # elif cannot carry the tick statement: count the branch's condition calls inside it
                self.tick(other.cond, at=stmt)
            self.scoped_statement(other.then)
            self.outdent()
            other = other.otherwise
        if other is not None:
            self.writeline("else:")
            self.indent()
            self.scoped_statement(other)
            self.outdent()

    def condition(self, expr: n.Expr) -> str:
        code = self.expr(expr, top=True)
        if self.trace:
            code = self.traced(expr, code)
        return self.truth(code, expr)

    def traced(self, expr: n.Expr, code: str) -> str:
        self.trace_nodes.append(expr)
        return f"_trace({len(self.trace_nodes) - 1}, {code})"

    # loops ----------------------------------------------------------

    def stmt_Switch(self, stmt: n.Switch) -> None:
        subject = self.temp()
        self.tick(stmt.subject, at=stmt)
        self.writeline(f"{subject} = {self.expr(stmt.subject)}", stmt)
        keyword = "if"
        default: n.SwitchCase | None = None
        for case in stmt.cases:
            if case.is_default:
                default = case
                continue
            tests = " or ".join(
                f"({self.mark(value)}eq({subject}, {self.expr(value)}))" for value in case.values
            )
            self.writeline(f"{keyword} {tests or 'False'}:", case)
            self.indent()
            self.scoped_statement(case.body)
            self.outdent()
            keyword = "elif"
        if default is not None:
            if keyword == "if":
                self.writeline("if True:")
            else:
                self.writeline("else:")
            self.indent()
            self.scoped_statement(default.body)
            self.outdent()

    def stmt_Try(self, stmt: n.Try) -> None:
        self.writeline("try:", stmt)
        self.indent()
        self.scoped_statement(stmt.body)
        self.outdent()
        self.writeline("except StofBudgetExceeded:")
        self.writeline("    raise")
        self.writeline("except StofRuntimeError as _error:")
        self.indent()
        self.push_scope()
        if stmt.error_name is not None:
            value = "_error_value(_error)"
            if stmt.error_type is not None:
                value = self.cast_code(value, stmt.error_type, stmt)
            var = self.declare(stmt.error_name, type_=stmt.error_type)
            self.writeline(f"{var.pyname} = {value}")
        self.scoped_statement(stmt.handler)
        self.pop_scope()
        self.outdent()

    # ------------------------------------------------------------ expressions
