"""The ``Time.now() ± <time literal>`` fast path: float milliseconds instead of intermediate ``Units``."""

from __future__ import annotations

import math

from .. import nodes as n
from .core import GeneratorCore
from .sites import library_site


class TimeUnitsMixin(GeneratorCore):
    """Float code for stock ``Time.now()`` arithmetic cast to a time unit."""

    def float_literal(self, value: float) -> str:
        return repr(value) if math.isfinite(value) else self.constant(value)

    def time_now(self, e: n.Expr) -> str | None:
        """Code for the float milliseconds of a stock ``Time.now()`` call, or None for anything else."""
        if not (
            isinstance(e, n.Call)
            and e.name == "now"
            and not e.args
            and isinstance(e.receiver, n.Path)
            and e.receiver.names == ["Time"]
            and self.lookup("Time") is None
            and "Time" in self.libraries
        ):
            return None
        from ..stdlib import time_lib

        if ((self.runtime.get("TABLES") or {}).get("Time") or {}).get("now") is not time_lib.TIME["now"]:
            return None
        site = self.constant_object(library_site("Time", "now", time_lib.now_ms))
        return f"({self.mark(e)}{site}())"

    def time_units(self, e: n.Expr, type_: n.TypeRef) -> tuple[str, str] | None:
        """(float code, unit) for ``Time.now()`` or ``Time.now() ± <time literal>`` cast to a time unit.

        The float operations are exactly those of ``add``/``sub`` (both operands in their common unit) and
        then ``cast`` (a ratio conversion), so the value is bit-identical, without the intermediate Units.
        """
        from .. import cast, ops, values
        from ..units import RATIO_FACTORS, common_unit, is_time

        units = values.Units
        if (
            len(type_.names) != 1
            or self.runtime.get("Units") is not units
            or self.runtime.get("cast") is not cast.cast
            or self.runtime.get("sub") is not ops.sub
            or self.runtime.get("add") is not ops.add
        ):
            return None
        target = cast.unit_target(type_.names[0])
        if target is None or not is_time(target):
            return None
        unit = "ms"  # Time.now()'s unit
        if isinstance(e, n.Binary) and e.op in ("+", "-"):
            now = self.time_now(e.left)
            literal = self.fold(e.right)
            if now is None or type(literal) is not units or not is_time(literal.unit):
                return None
            if literal.unit == unit:
                code = f"({now} {e.op} {self.float_literal(literal.value)})"
            else:
                base = common_unit(unit, literal.unit)
                fa = RATIO_FACTORS.get((unit, base)) if base != unit else None
                fb = RATIO_FACTORS.get((literal.unit, base)) if base != literal.unit else (1.0, 1.0)
                if base is None or fb is None or (base != unit and fa is None):
                    return None
                left = now if fa is None else f"{now} * {self.float_literal(fa[0])} / {self.float_literal(fa[1])}"
                right = self.float_literal(literal.value * fb[0] / fb[1])
                code = f"({left} {e.op} {right})"
                unit = base
        else:
            now = self.time_now(e)
            if now is None:
                return None
            code = now
        if unit != target:
            factors = RATIO_FACTORS.get((unit, target))
            if factors is None:
                return None
            code = f"({code} * {self.float_literal(factors[0])} / {self.float_literal(factors[1])})"
        return code, target
