"""The compiler on hand-built ASTs: scoping, control flow, fast paths equal to the general operators, safety."""

from __future__ import annotations

from typing import Any

import pytest

from segmentr.stof import nodes as n
from segmentr.stof.compiler import compile_body, mangle
from segmentr.stof.condition import Condition
from segmentr.stof.errors import StofBudgetExceeded, StofRuntimeError
from segmentr.stof.values import VOID, Units


def lit(value: Any) -> n.Literal:
    return n.Literal(value=value, line=1, col=1, end_line=1, end_col=2)


def path(*names: str, line: int = 1, col: int = 1) -> n.Path:
    return n.Path(names=list(names), line=line, col=col, end_line=line, end_col=col + len(".".join(names)))


def binary(op: str, left: n.Expr, right: n.Expr, line: int = 1, col: int = 1) -> n.Binary:
    return n.Binary(op=op, left=left, right=right, line=line, col=col)


def call(receiver: n.Expr | None, name: str, *args: n.Expr, null_safe: bool = False, line: int = 1) -> n.Call:
    return n.Call(receiver=receiver, name=name, args=list(args), null_safe=null_safe, line=line, col=1)


def ret(expr: n.Expr) -> n.ExprStmt:
    return n.ExprStmt(expr=expr, returns=True)


def do(expr: n.Expr) -> n.ExprStmt:
    return n.ExprStmt(expr=expr, returns=False)


def let(
    name: str, value: n.Expr | None, *, const: bool = False, type_: list[str] | None = None, line: int = 1
) -> n.Declare:
    return n.Declare(
        name=name, value=value, const=const, type=n.TypeRef(names=type_) if type_ else None, line=line, col=1
    )


def assign(target: str, value: n.Expr, op: str = "=", line: int = 1) -> n.Assign:
    return n.Assign(target=target.split("."), op=op, value=value, line=line, col=1)


def block(*stmts: n.Stmt) -> n.Block:
    return n.Block(body=list(stmts))


def body(*stmts: n.Stmt) -> n.Body:
    return n.Body(body=list(stmts), line=1, col=1)


def run(*stmts: n.Stmt, **bindings: Any) -> Any:
    """The value on the generated tier; the closure tier (closures/) must give the same value or error."""
    tree = body(*stmts)
    try:
        value = Condition("", tree).optimize().evaluate(bindings)
    except StofRuntimeError as error:
        with pytest.raises(StofRuntimeError) as closures_error:
            Condition("", tree, promote_after=None).evaluate(bindings)
        assert closures_error.value.kind == error.kind
        raise
    assert Condition("", tree, promote_after=None).evaluate(bindings) == value
    return value


def kind_of_error(*stmts: n.Stmt, **bindings: Any) -> str:
    with pytest.raises(StofRuntimeError) as info:
        run(*stmts, **bindings)
    return info.value.kind


# ---------------------------------------------------------------- returning


def test_first_returning_statement_is_the_value() -> None:
    assert run(do(lit(1)), ret(lit(2)), ret(lit(3))) == 2


def test_falling_off_the_end_is_void() -> None:
    assert run(let("x", lit(1))) is VOID


def test_return_exits_from_inside_loops() -> None:
    loop = n.While(cond=lit(True), body=block(n.Return(value=lit("out"))))
    assert run(loop, ret(lit("after"))) == "out"


# ---------------------------------------------------------------- scoping


def test_inner_block_shadows_and_outer_value_survives() -> None:
    stmts = (
        let("x", lit(1)),
        block(let("x", lit(2)), assign("x", lit(3))),
        ret(path("x")),
    )
    assert run(*stmts) == 1


def test_variable_declared_in_a_block_is_null_after_it() -> None:
    assert run(block(let("y", lit(5))), ret(path("y"))) is None


def test_redeclaring_in_the_same_scope_is_declare_existing() -> None:
    assert kind_of_error(let("x", lit(1)), let("x", lit(2)), ret(path("x"))) == "DeclareExisting"


def test_assigning_a_const_or_an_undeclared_name_fails() -> None:
    assert kind_of_error(let("c", lit(1), const=True), assign("c", lit(2))) == "AssignConst"
    assert kind_of_error(assign("nope", lit(1))) == "AssignRootNonObj"


def test_typed_declaration_casts_every_assignment() -> None:
    stmts = (let("x", lit(1.9), type_=["int"]), assign("x", lit(7.5)), ret(path("x")))
    assert run(*stmts) == 7
    assert type(run(*stmts)) is int


def test_parameters_are_ordinary_variables() -> None:
    assert run(assign("customer", lit("swapped")), ret(path("customer")), customer={"a": 1}) == "swapped"
    assert run(let("customer", lit(3)), ret(path("customer")), customer={"a": 1}) == 3


def test_data_defaults_to_customer_metadata() -> None:
    assert run(ret(path("data", "tier")), customer={"metadata": {"tier": "pilot"}}) == "pilot"
    assert run(ret(path("data")), customer=None) is None


def test_dotted_assignment_changes_a_copy_never_the_callers_data() -> None:
    customer = {"plan": "free", "metadata": {"k": 1}}
    condition = Condition("", body(assign("customer.plan", lit("growth")), ret(path("customer", "plan"))))
    assert condition.mutates
    assert condition.evaluate({"customer": customer}) == "growth"
    assert customer["plan"] == "free"


def test_data_and_customer_metadata_stay_the_same_object_in_a_mutating_body() -> None:
    stmts = (assign("data.k", lit(2)), ret(path("customer", "metadata", "k")))
    assert run(*stmts, customer={"metadata": {"k": 1}}) == 2


# ---------------------------------------------------------------- loops


def test_for_in_implicit_variables_and_the_last_quirk() -> None:
    loop = n.ForIn(
        name="v",
        iterable=n.ListLiteral(items=[lit("a"), lit("b"), lit("c")]),
        body=do(
            call(
                path("r"),
                "push_back",
                n.TupleLiteral(items=[path("v"), path("index"), path("first"), path("last")]),
            )
        ),
    )
    result = run(let("r", n.ListLiteral(items=[])), loop, ret(path("r")))
    assert result == [("a", 0, True, False), ("b", 1, False, False), ("c", 2, False, True)]
    single = n.ForIn(name="v", iterable=n.ListLiteral(items=[lit(7)]), body=assign("r", path("last")))
    assert run(let("r", lit("n")), single, ret(path("r"))) is False


def test_for_in_over_null_runs_zero_times_and_loop_var_is_const() -> None:
    loop = n.ForIn(name="v", iterable=lit(None), body=assign("r", lit(1)))
    assert run(let("r", lit(0)), loop, ret(path("r"))) == 0
    loop = n.ForIn(name="v", iterable=lit(3), body=assign("v", lit(1)))
    assert kind_of_error(loop) == "AssignConst"


def test_c_for_with_continue_still_runs_the_step() -> None:
    loop = n.For(
        init=let("i", lit(0)),
        cond=binary("<", path("i"), lit(5)),
        step=assign("i", lit(1), op="+="),
        body=block(
            n.If(cond=binary("==", path("i"), lit(2)), then=n.Continue()),
            assign("total", path("i"), op="+="),
        ),
    )
    assert run(let("total", lit(0)), loop, ret(path("total"))) == 0 + 1 + 3 + 4


def test_labelled_break_and_continue_cross_inner_loops() -> None:
    inner = n.ForIn(
        name="j",
        iterable=lit(3),
        body=block(
            n.If(cond=binary("==", path("j"), lit(1)), then=n.Continue(label="outer")),
            assign("count", lit(1), op="+="),
        ),
    )
    outer = n.ForIn(name="i", iterable=lit(4), body=inner, label="outer")
    assert run(let("count", lit(0)), outer, ret(path("count"))) == 4
    inner_break = n.ForIn(name="j", iterable=lit(3), body=n.Break(label="outer"))
    outer = n.ForIn(
        name="i", iterable=lit(4), body=block(assign("count", lit(1), op="+="), inner_break), label="outer"
    )
    assert run(let("count", lit(0)), outer, ret(path("count"))) == 1


def test_endless_loop_ends_with_budget_exceeded() -> None:
    condition = Condition("loop {}", body(n.While(cond=lit(True), body=block())), max_steps=10_000)
    with pytest.raises(StofBudgetExceeded):
        condition.evaluate({})


def test_try_catches_runtime_errors_but_not_the_budget() -> None:
    failing = n.Try(body=do(call(None, "no_such_function")), handler=n.Return(value=lit("caught")))
    assert run(failing) == "caught"
    endless = n.Try(body=n.While(cond=lit(True), body=block()), handler=n.Return(value=lit("caught")))
    with pytest.raises(StofBudgetExceeded):
        Condition("", body(endless), max_steps=5_000).evaluate({})


# ---------------------------------------------------------------- expressions


def test_logical_operators_short_circuit_and_return_bools() -> None:
    failing = call(None, "no_such_function")
    assert run(ret(n.Logical(op="||", left=lit(1), right=failing))) is True
    assert run(ret(n.Logical(op="&&", left=lit(""), right=failing))) is False


def test_nullish_takes_right_for_null_only() -> None:
    assert run(ret(n.Nullish(left=lit(None), right=lit(2)))) == 2
    assert run(ret(n.Nullish(left=lit(0), right=lit(2)))) == 0


def test_fast_paths_agree_with_general_operators() -> None:
    def cmp(op: str, value: Any, literal: Any) -> Any:
        return run(ret(binary(op, path("customer", "v"), lit(literal))), customer={"v": value})

    assert cmp("==", "growth", "growth") is True
    assert cmp("==", 1, "1") is False
    assert cmp("==", 1.0, 1) is True
    assert cmp("<", None, 5) is True  # null on the left is less than anything
    assert cmp(">", Units(10.0, "kg"), 5) is True
    assert cmp("==", Units(10.0, "kg"), 10) is True
    assert cmp("!=", VOID, None) is True


def test_units_constant_folding_stays_exact() -> None:
    result = run(
        ret(binary("-", n.UnitLiteral(value=1.0, unit="days"), n.UnitLiteral(value=12.0, unit="hr")))
    )
    assert result == Units(0.5, "days")


def test_paths_walk_objects_only() -> None:
    customer = {"meters": {"api": {"value": 3}}, "tags": ["a"]}
    assert run(ret(path("customer", "meters", "api", "value")), customer=customer) == 3
    assert run(ret(path("customer", "tags", "len")), customer=customer) is None
    assert run(ret(path("unknown", "x"))) is None


def test_library_call_when_the_name_is_not_a_variable() -> None:
    assert run(ret(call(path("Num"), "max", lit(1), lit(5)))) == 5
    assert run(let("Num", lit(None)), ret(call(path("Num"), "max", lit(1), null_safe=True))) is None


def test_null_safe_call_on_null_is_null_and_plain_call_fails() -> None:
    assert run(ret(call(path("x"), "len", null_safe=True))) is None
    assert kind_of_error(ret(call(path("x"), "len"))) == "FuncDne"


def test_arithmetic_evaluates_the_right_operand_first() -> None:
    push = lambda v: call(path("order"), "push_back", lit(v))  # noqa: E731
    stmts = (
        let("order", n.ListLiteral(items=[])),
        do(binary("+", push("left"), push("right"))),
        ret(path("order")),
    )
    assert run(*stmts) == ["right", "left"]


# ---------------------------------------------------------------- safety


def test_user_text_never_becomes_code() -> None:
    evil = "x'); import os; ('"
    condition = Condition("", body(let("a-b<c>@", lit(evil)), ret(path("a-b<c>@"))))
    assert condition.evaluate({}) == evil
    assert "import os" not in condition.python_source.replace(repr(evil), "")
    assert mangle("a-b") != mangle("a_b") and mangle("a_2d_").isidentifier()


def test_generated_function_has_no_builtins() -> None:
    compiled = compile_body(body(ret(lit(1))))
    assert compiled.function.__globals__["__builtins__"] == {}


def test_runtime_error_carries_the_stof_position() -> None:
    failing = call(path("x"), "len", line=3)
    with pytest.raises(StofRuntimeError) as info:
        run(do(lit(1)), ret(failing))
    assert (info.value.line, info.value.kind) == (3, "FuncDne")


def test_unexpected_python_exception_becomes_internal_error() -> None:
    class Broken:
        stof_methods = {"boom": (0, 0)}  # noqa: RUF012

        def boom(self) -> None:
            raise KeyError("bug")

    with pytest.raises(StofRuntimeError) as info:
        run(ret(call(path("policy"), "boom")), policy=Broken())
    assert info.value.kind == "Internal"


def test_long_chains_compile_despite_pythons_bracket_limit() -> None:
    terms = 400
    chain = path("customer", "a")
    either = binary("==", path("customer", "a"), lit("x"))
    for _ in range(terms - 1):
        chain = binary("+", chain, path("customer", "a"))
        either = n.Logical(
            op="||" if _ % 3 else "&&", left=either, right=binary("==", path("customer", "a"), lit(1))
        )
    assert run(ret(chain), customer={"a": 1}) == terms
    assert run(ret(either), customer={"a": 1}) is True


def test_block_expression_returns_its_own_value_and_sees_outer_variables() -> None:
    inner = n.BlockExpr(body=[assign("x", lit(7)), n.Return(value=lit("five"))])
    stmts = (
        let("x", lit(1)),
        n.If(cond=lit(True), then=let("y", inner), otherwise=block()),
        let("z", n.BlockExpr(body=[n.Return(value=path("x"))])),
        ret(path("z")),
    )
    assert run(*stmts) == 7


def test_field_count_of_an_object_is_read_without_building_its_fields() -> None:
    from segmentr.stof import compile as stof_compile

    condition = stof_compile("customer.grants.fields().len()")
    assert "len(_t" in condition.python_source
    for grants, count in (({}, 0), ({"a": 1, "b": {"c": 2}}, 2)):
        assert condition.evaluate({"customer": {"grants": grants}}) == count
    for not_an_object, message in (([1], "List.fields does not exist"), ("ab", "Str.fields does not exist")):
        with pytest.raises(StofRuntimeError, match=message):
            condition.evaluate({"customer": {"grants": not_an_object}})
    assert stof_compile("?customer.grants.fields().len() ?? -1").evaluate({"customer": {}}) == -1
