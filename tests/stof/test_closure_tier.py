"""The closure tier (closures/) against the generated tier: same values and errors, budget, error positions,
the constructs left to eager compilation, and promotion from one tier to the other."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_eval_properties import BINDINGS, expressions

from segmentr.stof import StofBudgetExceeded, StofRuntimeError, StofSyntaxError, parse
from segmentr.stof import nodes as n
from segmentr.stof.closures import MAX_EXPRESSION_DEPTH, build_closures
from segmentr.stof.condition import PROMOTE_AFTER, Condition
from segmentr.stof.conformance import encode_result

CUSTOMER = {
    "id": "cus_1",
    "plan": "growth",
    "tags": ["a", "b"],
    "n": 7,
    "metadata": {"k": 1, "tier": "pilot"},
}


def closures(source: str, **limits: Any) -> Condition:
    condition = Condition(source, parse(source), promote_after=None, **limits)
    assert not condition.optimized, "expected the closure tier"
    return condition


def generated(source: str, **limits: Any) -> Condition:
    return Condition(source, parse(source), **limits).optimize()


def outcome(condition: Condition, bindings: dict[str, Any], *, exact: bool = True) -> tuple[Any, ...]:
    """The value (encoded as the corpus does), or the error: its kind, and with ``exact`` its text and position."""
    try:
        return ("value", encode_result(condition.evaluate(bindings)), condition.matches(bindings))
    except StofRuntimeError as error:
        if exact:
            return ("error", error.kind, str(error), error.line, error.column)
        return ("error", error.kind)


def both_tiers(
    source: str, bindings: dict[str, Any], *, exact: bool = True, **limits: Any
) -> tuple[Any, Any]:
    """Both tiers' outcomes, as JSON text: NaN (`0 / 0ms`) is then equal to itself, as it must be here."""
    first = outcome(closures(source, **limits), bindings, exact=exact)
    second = outcome(generated(source, **limits), bindings, exact=exact)
    return (json.dumps(first, sort_keys=True, default=repr), json.dumps(second, sort_keys=True, default=repr))


# ---------------------------------------------------------------- equivalence on generated programs

NAMES = st.sampled_from(["a", "b", "c"])
READS = st.sampled_from(["a", "b", "c", "index", "first", "last", "length", "customer.n", "data.k", "x"])
TYPES = st.sampled_from(["int", "float", "str", "bool", "ms", "int | null", "str!"])
ASSIGN_OPS = st.sampled_from(["=", "+=", "-=", "*=", "/=", "%=", "|="])
values = st.one_of(
    expressions,
    READS,
    st.tuples(READS, st.sampled_from(["+", "*", "<", "=="]), expressions).map(
        lambda t: f"({t[0]} {t[1]} {t[2]})"
    ),
)


def simple_statements() -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(NAMES, values).map(lambda t: f"let {t[0]} = {t[1]};"),
        st.tuples(NAMES, TYPES, values).map(lambda t: f"let {t[0]}: {t[1]} = {t[2]};"),
        st.tuples(NAMES, values).map(lambda t: f"const {t[0]} = {t[1]};"),
        st.tuples(NAMES, ASSIGN_OPS, values).map(lambda t: f"{t[0]} {t[1]} {t[2]};"),
        values.map(lambda v: f"return {v};"),
        values.map(lambda v: f"{v};"),
        st.sampled_from(["break;", "continue;", "break ^outer;", "continue ^outer;", ";", "return;"]),
        values.map(lambda v: f"customer.tags.push_back({v});"),
        values.map(lambda v: f"data.seen = {v};"),
        values.map(lambda v: f"let v = {{ if ({v}) {{ return 1; }} 2 }};"),
    )


def compound(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    stmts = st.lists(inner, min_size=1, max_size=3).map(" ".join)
    return st.one_of(
        st.tuples(values, stmts, stmts).map(lambda t: f"if ({t[0]}) {{ {t[1]} }} else {{ {t[2]} }}"),
        st.tuples(values, stmts, values, stmts).map(
            lambda t: f"if ({t[0]}) {{ {t[1]} }} else if ({t[2]}) {{ {t[3]} }}"
        ),
        st.tuples(values, stmts).map(lambda t: f"^outer for (const x in [1, {t[0]}, 'q']) {{ {t[1]} }}"),
        st.tuples(st.sampled_from(["customer.tags", "3", "customer", "'ab'", "null"]), stmts).map(
            lambda t: f"for (let x in {t[0]}) {{ {t[1]} }}"
        ),
        stmts.map(lambda s: f"for (let i = 0; i < 3; i += 1) {{ {s} }}"),
        stmts.map(lambda s: f"let w = 0; while (w < 4) {{ w += 1; {s} }}"),
        st.tuples(values, stmts, stmts).map(
            lambda t: f"switch ({t[0]}) {{ case 1: case 'x': {{ {t[1]} }} default: {{ {t[2]} }} }}"
        ),
        st.tuples(stmts, stmts).map(lambda t: f"try {{ {t[0]} }} catch (e) {{ {t[1]} }}"),
        st.tuples(stmts, stmts).map(lambda t: f"try {{ {t[0]} }} catch (e: str) {{ {t[1]} e }}"),
        stmts.map(lambda s: f"{{ {s} }}"),
    )


statements = st.recursive(simple_statements(), compound, max_leaves=8)
programs = st.tuples(st.lists(statements, max_size=4), values).map(lambda t: "\n".join([*t[0], t[1]]))


def program_bindings() -> dict[str, Any]:
    return {"customer": {**CUSTOMER, "tags": list(CUSTOMER["tags"]), "metadata": {"k": 1}}}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions)
def test_both_tiers_agree_on_expressions(source: str) -> None:
    try:
        parse(source)
    except StofSyntaxError:
        return
    first, second = both_tiers(source, BINDINGS, exact=False)
    assert first == second, source


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs)
def test_both_tiers_agree_on_programs(source: str) -> None:
    try:
        parse(source)
    except StofSyntaxError:
        return
    # a step budget small enough to end any loop first, and the same for both tiers
    limits = {"max_steps": 3_000, "max_seconds": 30.0}
    first, second = both_tiers(source, program_bindings(), exact=False, **limits)
    assert first == second, source


# ---------------------------------------------------------------- the same outcome, exactly

EXACT_CASES = [
    "let a = 1;\n{ let a = 2; a += 1; }\na",
    "const a = 1;\na = 2;\na",
    "let a = 1;\nlet a = 2;\na",
    "b = 1;\nb",
    "let s: str = 5;\ns",
    "let n: int = 1.7;\nn += 2.9;\nn",
    "let t = 0;\n^outer for (const x in [1, 2, 3]) { for (const y in [1, 2, 3]) { if (y == 2) { continue ^outer; }"
    " if (x == 3) { break ^outer; } t += x * 10 + y; } }\nt",
    "let t = 0;\nfor (let i = 0; i < 10; i += 1) { if (i % 2 == 0) { continue; } t += i; }\nt",
    "let t = 0;\nfor (const x in customer.tags) { t += index; if (last) { return `${t}/${length}`; } }\nt",
    "for (const x in [5]) { return [first, last]; }",
    "switch (customer.plan) { case 'free': { return 1; } case 'growth': case 'pro': { return 2; } default: { return 3;"
    " } }",
    "switch (9) { default: { return 'd'; } case 9: { return 'nine'; } }",
    "try { null.len(); } catch (e) { return e; }",
    "try { let x: int = 'abc'; } catch (e: str) { return e.len() > 0; }\nfalse",
    "const v = { if (customer.n > 5) { return 'big'; } 'small' };\nv",
    "let v = { let q = 1; };\nv",
    "customer.tags.push_back('c');\ndata.k += 1;\n[customer.tags.len(), data.k]",
    "?customer.nothing() ?? 'none'",
    "customer.nothing()",
    "(customer.n as str) + (customer.plan as str) + (3.5 as int)",
    "typeof customer + typename 3ms",
    "-customer.plan",
    "let a = [1, 2];\nlet l = a + (1, 2);\nl",
    "let s = {1, 2, 2};\nlet m = {'a': 1};\ns.len() + m.len()",
    "1 / 0",
    "let x = 5;\nx << 70",
    "Num.max(1, 'x')",
    "Time.now() - 7days > 0ms",
    "const ts: ms = Time.now() - 7days;\ncustomer.created > ts",
    "if (false) { return 1; } else if (customer.n / 0 > 1) { return 2; }\n3",
    "let i = 0;\nwhile (i < 5) { i += 1; if (i == 3) { break; } }\ni",
    "let out = [];\nfor (let i = 0; i < 3; i += 1) { out.push_back(i); }\nout",
    "for (;;) { return 'once'; }",
    "let a = 1; 'stmt'; a; 7days; return a + 1;",
    "1.2.3 == '1.2.3'",
]


@pytest.mark.parametrize("source", EXACT_CASES)
def test_both_tiers_give_the_same_value_error_and_position(source: str) -> None:
    first, second = both_tiers(source, program_bindings())
    assert first == second


@pytest.mark.parametrize("source", EXACT_CASES)
def test_both_tiers_see_the_same_bindings_and_count_the_same_steps(source: str) -> None:
    program = build_closures(parse(source))
    assert program is not None
    condition = generated(source)
    assert (program.uses_budget, program.mutates) == (condition._uses_budget, condition.mutates)


# ---------------------------------------------------------------- runtime-error positions in the closure tier


@pytest.mark.parametrize(
    ("source", "line", "column", "kind"),
    [
        ("const a = 1;\nconst b = 2;\nnull.len()", 3, 1, "FuncDne"),
        ("const x = 1;\nx + customer.plan.len() / 0 > 1", 2, 5, "DivideByZero"),
        ("let n = 0;\n  n = n - 'x';", 2, 7, "NotImplemented"),
        ("let a: int = 1;\nlet b = 2;\n   a = 'word';", 3, 4, "Cast"),
        ("const a = 1;\n\n  a = 2;", 3, 3, "AssignConst"),
        ("for (const x in [1, 2]) {\n  if (x == 2) { return Num.abs(); }\n}", 2, 24, "FuncArgs"),
    ],
)
def test_closure_tier_errors_carry_the_failing_position(
    source: str, line: int, column: int, kind: str
) -> None:
    for tier in (closures, generated):
        with pytest.raises(StofRuntimeError) as raised:
            tier(source).evaluate({"customer": CUSTOMER})
        error = raised.value
        assert (error.kind, error.line, error.column) == (kind, line, column), tier.__name__
        assert str(error).endswith(f" at {line}:{column}")
        with pytest.raises(StofRuntimeError) as again:
            tier(source).matches({"customer": CUSTOMER})
        assert str(again.value) == str(error)


def test_a_caught_error_reads_as_its_text_without_a_position() -> None:
    source = "try { customer.n / 0; } catch (e) { return e; }"
    assert closures(source).evaluate({"customer": CUSTOMER}) == generated(source).evaluate(
        {"customer": CUSTOMER}
    )
    assert " at " not in closures(source).evaluate({"customer": CUSTOMER})


# ---------------------------------------------------------------- the sandbox in the closure tier (and test_sandbox.py)


@pytest.mark.parametrize(
    "source",
    [
        "loop {}",
        "while (true) {}",
        "for (let i = 0; true; i += 1) {}",
        "let n = 0;\nloop { n += 1; }",
        "for (const i in 1000000000000) {}",
        "let v = { loop {} };",
    ],
)
def test_endless_loops_end_within_the_budget(source: str) -> None:
    started = time.perf_counter()
    with pytest.raises(StofBudgetExceeded):
        closures(source).evaluate({})
    assert time.perf_counter() - started < 2.0


@pytest.mark.parametrize("max_steps", [100, 150, 199, 200, 201, 202, 250, 1000])
def test_steps_are_counted_as_in_generated_code(max_steps: int) -> None:
    source = "let n = 0;\nwhile (n < 100) { n = Num.max(n, n + 1); }\nn"
    first, second = both_tiers(source, {}, exact=False, max_steps=max_steps)
    assert first == second


def test_deep_nesting_evaluates_cleanly_in_the_closure_tier() -> None:
    depth = MAX_EXPRESSION_DEPTH - 4
    for source, expected in (
        ("!" * depth + "customer", depth % 2 == 0),
        ("-(" * depth + "customer" + ")" * depth, 1),
    ):
        assert closures(source).evaluate({"customer": 1}) == expected
    nested_ifs = "if (true) { " * 20 + "return 1;" + " }" * 20
    assert closures(nested_ifs).evaluate({}) == 1


# ---------------------------------------------------------------- what is left to the generated tier


@pytest.mark.parametrize(
    "source",
    [
        "!" * (MAX_EXPRESSION_DEPTH + 10) + "customer",  # deeper than the closures' stack allowance
        "for (const x in [1]) { " * 8 + "return 1;" + " }" * 8,  # near CPython's 20 nested blocks
        "for (const x in [1, 2]) { let v = { break; }; }",  # a jump out of a block expression
        "^l for (const x in [1, 2]) { for (const y in [1]) { let v = { continue ^l; }; } }\n1",
    ],
)
def test_rare_constructs_compile_eagerly_with_the_generated_tiers_behaviour(source: str) -> None:
    assert build_closures(parse(source)) is None
    try:
        condition = Condition(source, parse(source), promote_after=None)
    except StofSyntaxError:
        return  # what compiling it has always raised
    assert condition.optimized
    condition.evaluate({})


def test_a_custom_runtime_missing_a_name_compiles_eagerly() -> None:
    from segmentr.stof.compiler import runtime_namespace

    runtime = runtime_namespace()
    del runtime["typename"]
    condition = Condition("1 + 1", parse("1 + 1"), runtime=runtime)
    assert condition.optimized and condition.evaluate({}) == 2


def test_every_seed_condition_uses_the_closure_tier() -> None:
    from segmentr_testkit.corpora import bench_module

    seeds = bench_module("fixtures").SEED_CONDITIONS
    large = bench_module("stof_eval").LARGE_CONDITION
    for source in [large, *(seed.source for seed in seeds)]:
        assert build_closures(parse(source)) is not None, source


# ---------------------------------------------------------------- promotion


def test_a_condition_is_promoted_after_enough_evaluations() -> None:
    source = 'customer.plan == "growth" && data.tier == "pilot"'
    condition = Condition(source, parse(source))
    entry = condition.matches
    for _ in range(PROMOTE_AFTER - 1):
        assert condition.matches({"customer": CUSTOMER})
    assert not condition.optimized
    assert condition.evaluate({"customer": CUSTOMER}) is True  # evaluate counts too: the last one promotes
    assert condition.optimized
    assert condition.matches.__name__ == "_matches"  # the generated entry itself: no extra call
    assert condition._function.__name__ == "_condition"
    assert entry({"customer": CUSTOMER}) is True  # a caller that kept the first entry is handed on
    assert condition.matches({"customer": {**CUSTOMER, "plan": "free"}}) is False


def test_optimize_promotes_at_once_and_returns_the_condition() -> None:
    condition = Condition("customer.n > 5", parse("customer.n > 5"), promote_after=None)
    for _ in range(PROMOTE_AFTER * 2):
        condition.matches({"customer": CUSTOMER})
    assert not condition.optimized  # never promoted by count
    assert condition.optimize() is condition and condition.optimized
    assert condition.optimize() is condition
    assert condition.matches({"customer": CUSTOMER}) is True


def test_python_source_and_explain_work_before_promotion() -> None:
    source = "const big = customer.n > 5;\nbig && customer.plan == 'growth'"
    condition = Condition(source, parse(source))
    explanation = condition.explain({"customer": CUSTOMER})
    assert explanation.matched and len(explanation.steps) == 2
    assert condition.python_source.startswith("def _condition(")


def test_a_mutating_condition_is_promoted_and_still_works_on_copies() -> None:
    source = "customer.tags.push_back('x');\ncustomer.tags.len()"
    condition = Condition(source, parse(source), promote_after=3)
    customer = {"tags": ["a"]}
    assert condition.mutates
    results = [condition.evaluate({"customer": customer}) for _ in range(5)]
    assert results == [2] * 5 and customer == {"tags": ["a"]} and condition.optimized


def test_promotion_racing_in_threads_is_harmless() -> None:
    source = "let t = 0;\nfor (const x in customer.tags) { t += x.len(); }\nt == 2 && customer.n > 5"
    condition = Condition(source, parse(source), promote_after=20)
    failures: list[BaseException] = []
    answers: list[bool] = []

    def work() -> None:
        try:
            for _ in range(200):
                answers.append(condition.matches({"customer": CUSTOMER}))
                answers.append(bool(condition.evaluate({"customer": CUSTOMER})))
        except BaseException as error:  # pragma: no cover - reported below
            failures.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures and all(answers) and len(answers) == 1600
    assert condition.optimized


def test_hand_built_nodes_without_positions_still_evaluate() -> None:
    body = n.Body(
        body=[
            n.ExprStmt(
                expr=n.Binary(op="/", left=n.Literal(value=1), right=n.Path(names=["customer"])), returns=True
            )
        ]
    )
    condition = Condition("", body, promote_after=None)
    with pytest.raises(StofRuntimeError) as raised:
        condition.evaluate({"customer": 0})
    assert raised.value.kind == "DivideByZero" and raised.value.line == 0
