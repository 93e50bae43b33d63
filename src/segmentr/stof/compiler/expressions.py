"""Code generation for expressions: dispatch and nesting, literals, paths, ``??``, ternaries, casts,
block expressions."""

from __future__ import annotations

from collections.abc import Callable

from .. import nodes as n
from .core import _BOOL, _STR, GeneratorCore
from .folding import _NOT_CONSTANT
from .runtime import COMPARE_FUNCS, HOIST_DEPTH
from .tree import _walk


class ExpressionsMixin(GeneratorCore):
    """``expr`` dispatches to one ``expr_<Node>`` per expression node."""

    def expr(self, e: n.Expr, *, top: bool = False) -> str:
        folded = self.fold(e)
        if folded is not _NOT_CONSTANT:
            return self.constant(folded)
        if top and self.trace and isinstance(e, n.Logical):
            return self.nested(lambda: self.logical(e, traced=True))
        method = getattr(self, "expr_" + type(e).__name__)
        return self.nested(lambda: method(e))

    def nested(self, generate: Callable[[], str]) -> str:
        """Generate one level deeper; every HOIST_DEPTH levels the code moves into a helper function."""
        self._depth += 1
        try:
            code = generate()
        finally:
            self._depth -= 1
        if self._depth and self._depth % HOIST_DEPTH == 0 and self._statement_starts:
            code = self.hoist(code)
        return code

    def kind(self, e: n.Expr) -> str | None:
        """The Python type an expression certainly has, when known statically."""
        if isinstance(e, n.Logical) or (isinstance(e, n.Binary) and e.op in COMPARE_FUNCS):
            return _BOOL
        if isinstance(e, n.Unary) and e.op == "!":
            return _BOOL
        if isinstance(e, n.TypeOf):
            return _STR
        if isinstance(e, n.Literal):
            return {bool: _BOOL, str: _STR}.get(type(e.value))
        return None

    def truth(self, code: str, e: n.Expr) -> str:
        """Stof truthiness of ``code`` as a Python bool."""
        if self.kind(e) == _BOOL:
            return code
        t = self.temp()
        return f"({t} if type({t} := {code}) is bool else truthy({t}))"

    def expr_Literal(self, e: n.Literal) -> str:
        return self.constant(e.value)

    def expr_UnitLiteral(self, e: n.UnitLiteral) -> str:
        return self.constant(self.runtime["Units"](e.value, e.unit))

    def expr_VersionLiteral(self, e: n.VersionLiteral) -> str:
        try:
            value = self.runtime["Version"].parse(e.text)
        except Exception:
            return f"({self.mark(e)}_runtime_error('Version', {e.text!r}))"
        return self.constant(value)

    def expr_ListLiteral(self, e: n.ListLiteral) -> str:
        return "[" + ", ".join(self.expr(x) for x in e.items) + "]"

    def expr_TupleLiteral(self, e: n.TupleLiteral) -> str:
        return "(" + "".join(self.expr(x) + ", " for x in e.items) + ")"

    def expr_SetLiteral(self, e: n.SetLiteral) -> str:
        return f"({self.mark(e)}StofSet([" + ", ".join(self.expr(x) for x in e.items) + "]))"

    def expr_MapLiteral(self, e: n.MapLiteral) -> str:
        pairs = ", ".join(f"({self.expr(k)}, {self.expr(v)})" for k, v in e.entries)
        return f"({self.mark(e)}StofMap([{pairs}]))"

    def field_code(self, obj: str, name: str, node: n.Node) -> str:
        # access.get_field: an object's field, null for anything that is not an object (host objects too)
        if obj.isidentifier():
            return f"({obj}.get({name!r}) if type({obj}) is dict else None)"
        t = self.temp()
        return f"({t}.get({name!r}) if type({t} := {obj}) is dict else None)"

    def expr_Path(self, e: n.Path) -> str:
        var = self.lookup(e.names[0])
        if var is None:
            return "None"
        var.reads += 1
        code, rest = var.pyname, e.names[1:]
        # a read an earlier operand of an and/or chain made too (`OperatorsMixin.shared_reads`)
        planned = self.cse_define.get(id(e))
        if planned is not None:
            key, temp = planned
            for name in key[1:]:
                code = self.field_code(code, name, e)
            code, rest = f"({temp} := {code})", e.names[len(key):]
        else:
            for k in range(len(e.names), 1, -1):
                temp = self.cse_ready.get(tuple(e.names[:k]))
                if temp is not None:
                    code, rest = temp, e.names[k:]
                    break
        for name in rest:
            code = self.field_code(code, name, e)
        return code

    def expr_Attr(self, e: n.Attr) -> str:
        return self.field_code(self.expr(e.obj), e.name, e)

    def expr_Nullish(self, e: n.Nullish) -> str:
        t = self.temp()
        return (
            f"({t} if ({t} := {self.expr(e.left)}) is not None and {t} is not VOID else {self.expr(e.right)})"
        )

    def expr_Ternary(self, e: n.Ternary) -> str:
        cond = self.truth(self.expr(e.cond), e.cond)
        return f"({self.expr(e.then)} if {cond} else {self.expr(e.otherwise)})"

    def expr_Cast(self, e: n.Cast) -> str:
        fast = self.time_units(e.expr, e.type)
        if fast is not None:
            return f"Units({fast[0]}, {fast[1]!r})"
        return self.cast_code(self.expr(e.expr), e.type, e)

    def expr_TypeOf(self, e: n.TypeOf) -> str:
        fn = "typename" if e.specific else "typeof"
        target = e.expr
        if isinstance(target, n.Path) and len(target.names) >= 2:  # `typeof policy.value` is 'fn'
            owner = n.Path(names=target.names[:-1], line=target.line, col=target.col, end_line=target.end_line,
                           end_col=target.end_col)
            return f"({self.mark(e)}member_type({fn}, {self.expr(owner)}, {target.names[-1]!r}))"
        return f"({self.mark(e)}{fn}({self.expr(e.expr)}))"

    def expr_BlockExpr(self, e: n.BlockExpr) -> str:
        # A nested function keeps the block's own `return`; outer locals it assigns are `nonlocal`. It is
        # defined just before the statement being generated, like the helpers of `hoist`.
        name = f"_block{next(self._tmp)}"
        saved_lines, saved_level = self.lines, self.level
        self.lines, self.level = [], 1
        self.push_scope()
        self._block_depth += 1
        self.statements(e.body)
        self._block_depth -= 1
        self.writeline("return VOID")
        self.pop_scope()
        inner, self.lines, self.level = self.lines, saved_lines, saved_level
        assigned = {
            var.pyname
            for x in _walk(n.Block(body=e.body))
            if isinstance(x, n.Assign) and (var := self.lookup(x.target[0])) is not None
        }
        if self.uses_budget:
            assigned.add("_tick")
        lines, index, level = self._statement_starts[-1] if self._statement_starts else (self.lines, 0, 1)
        pad = "    " * level
        definition = [f"{pad}def {name}():"]
        if assigned:
            definition.append(f"{pad}    nonlocal {', '.join(sorted(assigned))}")
        definition.extend(pad + line for line in inner)
        lines[index:index] = definition
        return f"({self.mark(e)}{name}())"
