"""The compiled fast path of `const ts: <time unit> = Time.now() ± <literal>` equals the general operators bit for bit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from segmentr.stof import ops, parse
from segmentr.stof.cast import cast
from segmentr.stof.condition import Condition
from segmentr.stof.stdlib import set_clock
from segmentr.stof.values import Units

NOW_MS = 1_764_115_200_123.0
LITERALS = [("7days", Units(7, "days")), ("90min", Units(90, "min")), ("1500ms", Units(1500, "ms")),
            ("2.5s", Units(2.5, "s")), ("3hr", Units(3, "hr"))]  # fmt: skip


@pytest.fixture(autouse=True)
def fixed_clock() -> Iterator[None]:
    set_clock(lambda: NOW_MS)
    yield
    set_clock(None)


def evaluate(source: str, customer: object = None) -> object:
    """The generated tier's value (the fast path); the closure tier's general operators must agree bit for bit."""
    bindings = {"customer": customer or {}, "policy": None}
    value = Condition(source, parse(source)).optimize().evaluate(bindings)
    general = Condition(source, parse(source), promote_after=None).evaluate(bindings)
    assert type(general) is type(value) and general == value
    if type(value) is Units:
        assert general.value.hex() == value.value.hex()
    return value


@pytest.mark.parametrize("target", ["ms", "s", "days", "hr", "ns"])
@pytest.mark.parametrize("op", ["+", "-"])
@pytest.mark.parametrize(("text", "literal"), LITERALS)
def test_declared_time_offset_matches_general_operators(target: str, op: str, text: str, literal: Units) -> None:
    combine = ops.sub if op == "-" else ops.add
    expected = cast(combine(Units(NOW_MS, "ms"), literal), (target,))
    for source in (f"const ts: {target} = Time.now() {op} {text};\nts", f"(Time.now() {op} {text}) as {target}"):
        got = evaluate(source)
        assert type(got) is Units and got.unit == expected.unit, source
        assert got.value.hex() == expected.value.hex(), source


def test_time_now_alone_cast_to_a_unit() -> None:
    assert evaluate("const t: s = Time.now();\nt") == Units(NOW_MS / 1000.0, "s")


@pytest.mark.parametrize("created", [NOW_MS - 86_400_000, int(NOW_MS) - 86_400_000, NOW_MS - 8 * 86_400_000,
                                     "x", None, True, Units(NOW_MS, "ms"), Units(NOW_MS / 1000, "s")])  # fmt: skip
@pytest.mark.parametrize("op", [">", ">=", "<", "<="])
def test_comparison_with_the_const_matches_ops(created: object, op: str) -> None:
    source = f"const ts: ms = Time.now() - 7days;\ncustomer.created {op} ts"
    fn = {">": ops.gt, ">=": ops.ge, "<": ops.lt, "<=": ops.le}[op]
    ts = cast(ops.sub(Units(NOW_MS, "ms"), Units(7, "days")), ("ms",))
    assert evaluate(source, {"created": created}) is fn(created, ts)


def test_a_variable_named_time_is_not_the_library() -> None:
    assert evaluate("const Time = 1;\nconst ts: ms = 5ms + 7days;\nts") == cast(
        ops.add(Units(5, "ms"), Units(7, "days")), ("ms",)
    )


def test_the_const_is_still_a_unit_number_when_read_elsewhere() -> None:
    source = "const ts: ms = Time.now() - 7days;\nif (customer.created > ts) { return ts; }\nreturn ts.to_string();"
    ts = cast(ops.sub(Units(NOW_MS, "ms"), Units(7, "days")), ("ms",))
    assert evaluate(source, {"created": NOW_MS}) == ts
    assert evaluate(source, {"created": 0}) == evaluate("(Time.now() - 7days as ms).to_string()")
