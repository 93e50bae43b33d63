"""Parser: the conformance corpus's accept/reject split, the AST shapes of each grammar feature, and error positions."""

from __future__ import annotations

import pytest

from segmentr.stof import nodes as n
from segmentr.stof.errors import StofSyntaxError
from segmentr.stof.parser import parse
from segmentr_testkit.corpora import stof_cases

CASES = stof_cases()  # fails to collect when the corpus is missing


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_conformance_case_parses_exactly_when_the_reference_does(case: dict) -> None:
    if case["expect"] == {"error": "parse"}:
        with pytest.raises(StofSyntaxError):
            parse(case["src"])
    else:
        parse(case["src"])


# ---------------------------------------------------------------- helpers


def only_expr(source: str) -> n.Expr:
    """The expression of the single (returning) statement of ``source``."""
    body = parse(source)
    assert len(body.body) == 1, body
    stmt = body.body[0]
    assert isinstance(stmt, n.ExprStmt)
    return stmt.expr


def errors(source: str) -> list[tuple[int, int, str]]:
    with pytest.raises(StofSyntaxError) as info:
        parse(source)
    return [(d.line, d.column, d.message) for d in info.value.diagnostics]


def path(*names: str) -> n.Path:
    return n.Path(names=list(names))


def lit(value: object) -> n.Literal:
    return n.Literal(value=value)  # type: ignore[arg-type]


def same(a: object, b: object) -> bool:
    """Structural equality ignoring positions."""
    if isinstance(a, n.Node) and isinstance(b, n.Node):
        if type(a) is not type(b):
            return False
        return all(
            same(getattr(a, f), getattr(b, f))
            for f in a.__dataclass_fields__
            if f not in ("line", "col", "end_line", "end_col")
        )
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


# ---------------------------------------------------------------- statements and the returning rule


def test_text_after_a_complete_expression_is_a_dropped_statement() -> None:
    body = parse("1 2")
    assert same(body.body, [n.ExprStmt(expr=lit(1), returns=True)])
    assert same(body.dropped, [n.ExprStmt(expr=lit(2), returns=True)])


def test_unknown_unit_is_a_number_then_a_name() -> None:
    body = parse("2h")
    assert same(body.body[0], n.ExprStmt(expr=lit(2), returns=True))
    assert same(body.dropped[0], n.ExprStmt(expr=path("h"), returns=True))


def test_return_without_semicolon_is_a_variable_named_return() -> None:
    body = parse("return 1")
    assert same(body.body, [n.ExprStmt(expr=path("return"), returns=True)])
    assert same(parse("return 1;").body, [n.Return(value=lit(1))])
    assert same(parse("return;").body, [n.Return(value=None)])


def test_if_without_parentheses_is_a_variable() -> None:
    assert same(parse("if x { true }").body, [n.ExprStmt(expr=path("if"), returns=True)])


def test_keywords_without_their_shape_are_names() -> None:
    assert same(parse("let = 5;").body, [n.Assign(target=["let"], op="=", value=lit(5))])
    assert same(parse("const;").body, [n.ExprStmt(expr=path("const"), returns=False)])


def test_semicolon_decides_return() -> None:
    body = parse("x + 1;\nx")
    assert [type(s).__name__ for s in body.body] == ["ExprStmt", "ExprStmt"]
    assert body.body[0].returns is False and body.body[1].returns is True  # type: ignore[attr-defined]


def test_declarations() -> None:
    stmt = parse("const ts: ms = Time.now() - 7days;").body[0]
    expected = n.Declare(
        name="ts",
        value=n.Binary(op="-", left=n.Call(receiver=path("Time"), name="now", args=[]),
                       right=n.UnitLiteral(value=7.0, unit="days")),
        type=n.TypeRef(names=["ms"]),
        const=True,
    )
    assert same(stmt, expected)
    assert same(parse("let x;").body[0], n.Declare(name="x", value=None))
    assert same(parse("let x: int | str = 1.5;").body[0].type, n.TypeRef(names=["int", "str"]))  # type: ignore[attr-defined]
    assert same(parse("let t: (int, str)!;").body[0].type, n.TypeRef(names=["(int, str)"], not_null=True))  # type: ignore[attr-defined]


def test_assignments() -> None:
    assert same(parse("customer.plan = 'x';").body[0], n.Assign(target=["customer", "plan"], op="=", value=lit("x")))
    for op in ("+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>="):
        assert parse(f"let v = 1;\nv {op} 2;").body[1].op == op  # type: ignore[attr-defined]


def test_if_else_chain() -> None:
    stmt = parse("if (a) 1 else if (b) 2 else 3").body[0]
    assert isinstance(stmt, n.If) and isinstance(stmt.otherwise, n.If)
    assert same(stmt.otherwise.otherwise, n.ExprStmt(expr=lit(3), returns=True))


def test_loops() -> None:
    loop = parse("loop { break; }").body[0]
    assert same(loop, n.While(cond=lit(True), body=n.Block(body=[n.Break()])))
    labelled = parse("^outer while (true) { continue ^outer; }").body[0]
    assert isinstance(labelled, n.While) and labelled.label == "outer"
    assert same(labelled.body, n.Block(body=[n.Continue(label="outer")]))
    c_style = parse("for (let i = 0; i < 5; i += 1) t += i;").body[0]
    assert isinstance(c_style, n.For)
    assert same(c_style.step, n.Assign(target=["i"], op="+=", value=lit(1)))
    empty = parse("for (;;) { break; }").body[0]
    assert isinstance(empty, n.For) and empty.init is None and empty.cond is None and empty.step is None


def test_for_in() -> None:
    stmt = parse("for (let f: tup in customer.meters.fields()) { f }").body[0]
    assert isinstance(stmt, n.ForIn)
    assert (stmt.name, stmt.const, stmt.type.names if stmt.type else None) == ("f", False, ["tup"])
    assert same(stmt.iterable, n.Call(receiver=path("customer", "meters"), name="fields", args=[]))


def test_switch_and_try() -> None:
    stmt = parse("switch (x) { case 1: case 2: { return 1; } default: { return 0; } }").body[0]
    assert isinstance(stmt, n.Switch)
    assert [len(c.values) for c in stmt.cases] == [2, 0] and stmt.cases[1].is_default
    caught = parse("try { nosuch(); } catch (e: str) { return 'caught'; }").body[0]
    assert isinstance(caught, n.Try) and caught.error_name == "e"
    assert caught.error_type is not None and caught.error_type.names == ["str"]


def test_brace_at_statement_start_is_a_block_else_an_expression() -> None:
    assert same(parse("{}").body, [n.Block(body=[])])
    assert isinstance(only_expr("{'a': 1}.get('a')"), n.Call)


# ---------------------------------------------------------------- expressions


def test_precedence_levels() -> None:
    # bitwise binds tighter than *, which binds tighter than +, then comparison, then && / || (one level)
    e = only_expr("1 + 2 * 3 | 4 < 5 || a && b")
    assert isinstance(e, n.Logical) and e.op == "&&"
    assert isinstance(e.left, n.Logical) and e.left.op == "||"
    cmp = e.left.left
    assert isinstance(cmp, n.Binary) and cmp.op == "<"
    add = cmp.left
    assert isinstance(add, n.Binary) and add.op == "+"
    assert same(add.right, n.Binary(op="*", left=lit(2), right=n.Binary(op="|", left=lit(3), right=lit(4))))


def test_comparisons_chain_left_to_right() -> None:
    assert same(only_expr("1 < 2 == true"),
                n.Binary(op="==", left=n.Binary(op="<", left=lit(1), right=lit(2)), right=lit(True)))


def test_as_applies_to_the_whole_binary_expression() -> None:
    assert same(only_expr("1.5 + 1.5 as int"),
                n.Cast(expr=n.Binary(op="+", left=lit(1.5), right=lit(1.5)), type=n.TypeRef(names=["int"])))


def test_nullish_takes_a_whole_expression_on_the_right() -> None:
    assert same(only_expr("2 ?? 1 > 5"), n.Nullish(left=lit(2), right=n.Binary(op=">", left=lit(1), right=lit(5))))
    assert same(only_expr("null\n?? 3"), n.Nullish(left=lit(None), right=lit(3)))


def test_ternary_nesting() -> None:
    e = only_expr("0 ? 30 : true as int ? null ?? 76 : 'man'")
    assert isinstance(e, n.Ternary) and isinstance(e.otherwise, n.Ternary)
    assert same(e.otherwise.then, n.Nullish(left=lit(None), right=lit(76)))
    assert same(only_expr("5 ?? 0 ? 'a' : 'b'"),
                n.Nullish(left=lit(5), right=n.Ternary(cond=lit(0), then=lit("a"), otherwise=lit("b"))))


def test_typeof_is_greedy() -> None:
    assert same(only_expr("typeof 5 == 'int'"), n.TypeOf(expr=n.Binary(op="==", left=lit(5), right=lit("int"))))
    assert same(only_expr("typename 7days"), n.TypeOf(expr=n.UnitLiteral(value=7.0, unit="days"), specific=True))


def test_prefix_operators() -> None:
    assert same(only_expr("!!x"), n.Unary(op="!", operand=n.Unary(op="!", operand=path("x"))))
    assert same(only_expr("!0 + 1"), n.Binary(op="+", left=n.Unary(op="!", operand=lit(0)), right=lit(1)))
    assert same(only_expr("-2 * -3"), n.Binary(op="*", left=lit(-2), right=lit(-3)))
    assert same(only_expr("-x"), n.Unary(op="-", operand=path("x")))
    assert same(only_expr("-1days"), n.UnitLiteral(value=-1.0, unit="days"))


def test_collection_literals() -> None:
    assert same(only_expr("[1, 2,]"), n.ListLiteral(items=[lit(1), lit(2)]))
    assert same(only_expr("(1, 'a')"), n.TupleLiteral(items=[lit(1), lit("a")]))
    assert same(only_expr("typeof {}"), n.TypeOf(expr=n.SetLiteral(items=[])))
    assert same(only_expr("typeof {1, 2}"), n.TypeOf(expr=n.SetLiteral(items=[lit(1), lit(2)])))
    assert same(only_expr("typeof {'a': 1}"), n.TypeOf(expr=n.MapLiteral(entries=[(lit("a"), lit(1))])))
    assert same(only_expr("1.2.3"), n.VersionLiteral(text="1.2.3"))


def test_block_in_expression_position() -> None:
    decl = parse("const x = { return 5; };").body[0]
    assert isinstance(decl, n.Declare) and isinstance(decl.value, n.BlockExpr)


def test_collection_literal_at_expression_start_takes_no_operator() -> None:
    body = parse("{'a': 1} - 1")
    assert isinstance(body.body[0].expr, n.MapLiteral)  # type: ignore[attr-defined]
    assert same(body.dropped[0], n.ExprStmt(expr=n.Unary(op="-", operand=lit(1)), returns=True))
    assert isinstance(only_expr("x == [1, 2]"), n.Binary)


def test_paths_calls_and_indexing() -> None:
    assert same(only_expr("x[i]"), n.Call(receiver=path("x"), name="at", args=[path("i")]))
    assert same(only_expr("f(1)"), n.Call(receiver=None, name="f", args=[lit(1)]))
    assert same(only_expr("data.tier-name"), path("data", "tier-name"))
    assert same(only_expr("customer.true_count"), path("customer", "true_count"))
    e = only_expr("a.b.f(1).g()[2].h")
    assert same(e, n.Attr(obj=n.Call(receiver=n.Call(receiver=n.Call(receiver=path("a", "b"), name="f", args=[lit(1)]),
                                                    name="g", args=[]), name="at", args=[lit(2)]), name="h"))
    assert same(only_expr("(5).abs()"), n.Call(receiver=lit(5), name="abs", args=[]))
    assert same(only_expr("'abc'.len()"), n.Call(receiver=lit("abc"), name="len", args=[]))
    # a string literal takes no index: the reference reads `[1]` as the next statement
    assert same(parse("'hello'[1]").body, [n.ExprStmt(expr=lit("hello"), returns=True)])


def test_null_safe_chains() -> None:
    e = only_expr("?customer.meters.fields().len()")
    assert isinstance(e, n.Call) and e.null_safe
    assert isinstance(e.receiver, n.Call) and e.receiver.null_safe
    assert same(only_expr("x?.len()"), n.Call(receiver=path("x"), name="len", args=[]))  # '?' stripped: not safe
    hop = only_expr("a.f()?.g()")
    assert isinstance(hop, n.Call) and hop.null_safe
    assert isinstance(hop.receiver, n.Call) and not hop.receiver.null_safe
    assert same(only_expr("?e.limit.value"), path("e", "limit", "value"))


def test_template_is_right_nested_plus() -> None:
    assert same(only_expr("`a${x}${y}`"),
                n.Binary(op="+", left=lit("a"), right=n.Binary(op="+", left=path("x"), right=path("y"))))
    assert same(only_expr("`${1}`"), lit(1))
    assert same(only_expr("``"), lit(""))


def test_bit_and_with_a_reference() -> None:
    # `a &&b` is `a & &b` in the reference (a runtime error on bools): kept
    assert same(only_expr("a &&b"), n.Binary(op="&", left=path("a"), right=path("b")))
    assert same(only_expr("a && b"), n.Logical(op="&&", left=path("a"), right=path("b")))


def test_operator_at_line_end_continues() -> None:
    assert isinstance(only_expr("a &&\n b ||\n c"), n.Logical)


def test_every_node_has_a_position() -> None:
    body = parse("const a = [1, {2: 'x'}];\nfor (const v in a) {\n  if (v?.x ?? `t${v}`) return v;\n}\n?a.len()")
    for node in body.walk():
        assert node.line >= 1 and node.col >= 1, node
        assert (node.end_line, node.end_col) >= (node.line, node.col), node


def test_positions_of_a_binary_expression() -> None:
    e = only_expr("  customer.plan ==\n 'x'")
    assert (e.line, e.col, e.end_line, e.end_col) == (1, 3, 2, 5)


# ---------------------------------------------------------------- errors


def test_unbalanced_parenthesis() -> None:
    assert errors("customer.plan.contains('x'") == [(1, 23, "unbalanced '(': no matching ')'")]
    assert errors("1 + 2)") == [(1, 6, "unbalanced ')': no matching '('")]


def test_missing_semicolon_after_const() -> None:
    assert errors("const x = 5\nx") == [(1, 12, "expected ';' after const declaration, found the name 'x'")]
    [(line, col, message)] = errors("const d = 2h;\nd")
    assert (line, col) == (1, 12) and message.startswith("expected ';' after const declaration: 'h' is not a unit")


def test_unterminated_string() -> None:
    assert errors("x == 'abc") == [(1, 6, "unterminated string literal: ' has no closing '")]


def test_operator_starting_a_line() -> None:
    assert errors("true\n&& false") == [
        (2, 1, "an operator cannot start a line: put '&&' at the end of the previous line"),
    ]


def test_several_errors_are_reported_with_recovery() -> None:
    found = errors("let a = 1\nconst b = (2;\nlet c = 3;\n1 +* 2")
    assert [(line, col) for line, col, _ in found] == [(1, 10), (2, 11), (4, 4)]


def test_other_rejections() -> None:
    assert errors("[1, 2] == [1, 2]")[0][2].startswith("expected a statement, found '=='")
    assert errors("_x")[0][2].startswith("a name cannot start with '_'")
    assert errors("customer..plan")[0][:2] == (1, 10)
    assert errors("? x")[0][2].startswith("'?' must be directly followed by a name")
    assert errors("'10' as int > 9")[0][:2] == (1, 13)
    assert errors("#") == [(1, 1, "unexpected character '#'")]
    assert errors("}") == [(1, 1, "unbalanced '}': no matching '{'")]
    assert errors("=> 1")[0][:2] == (1, 1)


def test_nesting_too_deep_is_a_clean_syntax_error() -> None:
    deep = "(" * 5000 + "1" + ")" * 5000
    assert any("nesting too deep" in m for _, _, m in errors(deep))
    assert any("nesting too deep" in m for _, _, m in errors("[" * 300 + "]" * 300))
    assert any("nesting too deep" in m for _, _, m in errors("{" * 300 + "}" * 300))
    parse("(" * 150 + "1" + ")" * 150)  # within the limit


def test_long_inputs_stay_fast_and_clean() -> None:
    assert len(parse("1 + " * 20_000 + "1").body) == 1
    assert errors('"' + "x" * 10_000_000 + '"')[0][2] == "string literal too long (over 1000000 bytes)"
    assert parse("!" * 50_000 + "x").body


def test_foreign_operators_get_a_hint() -> None:
    assert errors("customer.plan === 'x'") == [(1, 15, "'===' is not a Stof operator: use '=='")]
    assert errors("2 * 2 ** 2") == [(1, 7, "'**' is not a Stof operator: use (x).pow(y)")]


def test_positions_inside_a_dotted_call() -> None:
    call = only_expr("  customer.meters.fields().len()")
    assert isinstance(call, n.Call) and isinstance(call.receiver, n.Call)
    receiver_path = call.receiver.receiver
    assert isinstance(receiver_path, n.Path)
    assert (receiver_path.line, receiver_path.col, receiver_path.end_col) == (1, 3, 18)
    assert (call.receiver.col, call.receiver.end_col) == (3, 27)
    assert (call.col, call.end_col) == (3, 33)


def test_literal_keyword_prefix_names() -> None:
    assert same(parse("nullable").body, [n.ExprStmt(expr=lit(None), returns=True)])  # `null` then `able`
    assert same(parse("nullable.x = 1;").body, [n.Assign(target=["nullable", "x"], op="=", value=lit(1))])
    assert same(only_expr("true.x"), n.Attr(obj=lit(True), name="x"))


def test_a_collection_head_leaves_no_backtracking_state_behind() -> None:
    # regression: a successful set literal once left the parser in backtracking mode
    for source in ("!{0}?", "!{0}=", "!{0}<", "!{0}:"):
        with pytest.raises(StofSyntaxError):
            parse(source)
    assert len(errors("{1}\n&& x\n|| y")) == 2
