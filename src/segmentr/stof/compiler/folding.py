"""Constant folding: literal-only expressions computed at compile time with the runtime's operators."""

from __future__ import annotations

from typing import Any

from .. import nodes as n
from .core import GeneratorCore
from .runtime import ARITH_FUNCS, COMPARE_FUNCS

_NOT_CONSTANT: Any = object()
_UNSEEN: Any = object()


class FoldingMixin(GeneratorCore):
    """Folds an expression once and memoizes the value (or ``_NOT_CONSTANT``)."""

    def fold(self, e: n.Expr) -> Any:
        """The value of a literal-only expression, computed now with the runtime's own operators."""
        key = id(e)
        value = self._folded.get(key, _UNSEEN)
        if value is _UNSEEN:
            value = self._folded[key] = self._fold(e)
        return value

    def _fold(self, e: n.Expr) -> Any:
        if isinstance(e, n.Literal):
            return e.value
        if isinstance(e, n.UnitLiteral):
            units = self.runtime.get("Units")
            return units(e.value, e.unit) if units is not None else _NOT_CONSTANT
        if isinstance(e, n.Unary | n.Binary):
            operands = [e.operand] if isinstance(e, n.Unary) else [e.left, e.right]
            values = [self.fold(x) for x in operands]
            if any(v is _NOT_CONSTANT for v in values):
                return _NOT_CONSTANT
            if isinstance(e, n.Unary):
                fn = self.runtime.get("neg" if e.op == "-" else "not_")
            else:
                fn = self.runtime.get(COMPARE_FUNCS.get(e.op) or ARITH_FUNCS.get(e.op, ""))
            if fn is None:
                return _NOT_CONSTANT
            try:
                value = fn(*values)
            except Exception:
                return _NOT_CONSTANT  # let the error happen at evaluation, with its position
            units = self.runtime.get("Units")
            immutable = (
                value is None
                or type(value) in (bool, int, float, str)
                or (units is not None and type(value) is units)
            )
            if type(value) is str and len(value) > 1024:
                return _NOT_CONSTANT
            return value if immutable else _NOT_CONSTANT
        return _NOT_CONSTANT
