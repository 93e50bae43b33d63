"""Checker: errors for what the parser rejects, and one warning (with code and position) per silent trap."""

from __future__ import annotations

from segmentr.policy.vocabulary import SEGMENT_BINDINGS
from segmentr.stof.checker import check
from segmentr_testkit.corpora import stof_cases

CASES = stof_cases()  # fails to collect when the corpus is missing


def found(source: str, **kwargs: object) -> list[tuple[str, int, int]]:
    kwargs.setdefault("bindings", SEGMENT_BINDINGS)
    return [(d.code, d.line, d.column) for d in check(source, **kwargs)]  # type: ignore[arg-type]


def codes(source: str, **kwargs: object) -> set[str]:
    kwargs.setdefault("bindings", SEGMENT_BINDINGS)
    return {d.code for d in check(source, **kwargs)}  # type: ignore[arg-type]


# ---------------------------------------------------------------- errors


def test_errors_are_the_parse_errors_with_positions() -> None:
    [d] = check("customer.plan.contains('x'")
    assert (d.severity, d.line, d.column) == ("error", 1, 23)
    assert d.message == "unbalanced '(': no matching ')'"


def test_clean_conditions_have_no_diagnostics() -> None:
    assert check('customer.plan == "growth"') == []
    assert check("const ts: ms = Time.now() - 7days;\ncustomer.cloud_created != null && customer.cloud_created > ts") == []
    assert check('(?policy.value(customer.id, "seats") ?? 0) > 20') == []
    assert check('customer.plan == "a" || (customer.plan == "b" && customer.type == "org")') == []


# ---------------------------------------------------------------- warnings with exact positions


def test_unknown_unit_suffix() -> None:
    [unit, unreachable] = check("2h")
    assert (unit.code, unit.severity, unit.line, unit.column, unit.end_column) == ("unknown-unit", "warning", 1, 1, 3)
    assert "did you mean hr" in unit.message
    assert (unreachable.code, unreachable.line, unreachable.column) == ("unreachable", 1, 2)
    assert ("unknown-unit", 2, 5) in found("const x = 1;\nx > 3weeks")
    assert "unknown-unit" in codes("Time.now() - 2sec")  # read as 2s then `ec`


def test_return_without_semicolon() -> None:
    assert found("return x") == [("return-no-semicolon", 1, 1)]
    assert ("return-no-semicolon", 1, 11) in found("if (true) return true\nfalse")


def test_days_vs_ms_trap() -> None:
    assert found("customer.cloud_created > Time.now() - 7days") == [("days-vs-ms", 1, 1)]
    assert found("const ts = Time.now() - 7days;\ncustomer.cloud_created > ts") == [("days-vs-ms", 2, 1)]
    assert check("const ts: ms = Time.now() - 7days;\ncustomer.cloud_created > ts") == []
    assert check("customer.cloud_created != null &&\ncustomer.cloud_created > (Time.now() - 7days as ms)") == []
    assert check("Time.now() - customer.cloud_created < 7days") == []


def test_unreachable_statements() -> None:
    assert found("1 2") == [("unreachable", 1, 3)]
    assert found("if x { true }") == [("keyword-as-name", 1, 1)]
    assert ("unreachable", 3, 1) in found("let a = 1;\na\na + 1")
    assert ("unreachable", 1, 20) in found("if (c) { return 1; 2 }")


def test_nullable_iterable() -> None:
    source = "for (const f in customer.meters.fields()) { if (f[1].value > 9) return true; }\nfalse"
    assert found(source) == [("nullable-iterable", 1, 17)]
    guarded = "if (customer.meters != null) {\n" + source + "\n}\nfalse"
    assert "nullable-iterable" not in codes(guarded)
    early_exit = "if (customer.meters == null) return false;\n" + source
    assert "nullable-iterable" not in codes(early_exit)
    assert "nullable-iterable" not in codes(source.replace("customer.meters.fields()", "?customer.meters.fields()"))


def test_mixed_logic() -> None:
    assert found('customer.plan == "a" || customer.plan == "b" && customer.type == "org"') == [("mixed-logic", 1, 1)]
    assert check("(a || b) && c") == []
    assert check("a && b && c") == []


def test_null_compare() -> None:
    assert found("data.seats < 10") == [("null-compare", 1, 1)]
    assert found("customer.metadata.seats <= 10") == [("null-compare", 1, 1)]
    assert check("data.seats != null && data.seats < 10") == []
    assert check("data.seats > 10") == []
    assert check("(data.seats ?? 0) < 10") == []
    assert "null-compare" in codes("customer.cloud_created < 1735689600000")


def test_int_division() -> None:
    assert found("85 / 100 >= 0.8") == [("int-division", 1, 1)]
    assert check("85.0 / 100 >= 0.8") == []
    assert check("(v as float) / l >= 0.8") == []
    assert check("10 / 2 >= 5") == []


def test_unknown_customer_field() -> None:
    assert found("customer.email == 'x'") == [("unknown-field", 1, 1)]
    assert check("customer.metadata.email == 'x'") == []
    assert "unknown-field" not in codes("let customer = {};\ncustomer.anything")  # a local shadows it


def test_policy_methods_and_arity() -> None:
    assert found("policy.nosuch(customer.id)") == [("unknown-method", 1, 1)]
    assert found("policy.entitlement(customer.id)") == [("arity", 1, 1)]
    assert found("policy.value(customer.id, 'api', true, false, 1)") == [("arity", 1, 1)]
    assert check("policy.limit(customer.id, 'api', false)") == []
    assert check("policy.default_plan()") == []


def test_unknown_entitlement_only_when_a_set_is_given() -> None:
    source = "?policy.value(customer.id, 'apx') > 5"
    assert "unknown-entitlement" not in codes(source)
    assert found(source, entitlements={"api", "seats"}) == [("unknown-entitlement", 1, 28)]
    assert check("?policy.value(customer.id, 'api') > 5", entitlements={"api"}, bindings=SEGMENT_BINDINGS) == []


def test_warnings_have_severity_code_and_span() -> None:
    for d in check("data.x < 5 || data.y < 2 && 85 / 100 >= 0.5"):
        assert d.severity == "warning" and d.code
        assert (d.end_line, d.end_column) >= (d.line, d.column)


def test_check_never_raises_on_the_corpus_and_errors_match_parse() -> None:
    for case in CASES:
        diagnostics = check(case["src"])
        has_error = any(d.severity == "error" for d in diagnostics)
        assert has_error == (case["expect"] == {"error": "parse"}), case["id"]


def test_seed_templates_only_warn_about_real_traps() -> None:
    overage = (
        "for (const field in customer.meters.fields()) {\nconst name = field[0];\n"
        "const ent = ?policy.entitlement(customer.id, name);\n"
        "if (ent != null && ent.limit != null && ent.limit.mode == 'soft') {\n"
        "const limit = ?policy.limit(customer.id, name);\nconst current = ?policy.value(customer.id, name);\n"
        "if (limit != null && current != null && current > limit) return true;\n}\n}\nfalse"
    )
    assert codes(overage) == {"nullable-iterable"}  # spec §6.12: a null `meters` is a runtime error


def test_keyword_prefix() -> None:
    assert ("keyword-prefix", 2, 1) in found("let nullable = 1;\nnullable")
    assert "keyword-prefix" not in codes("customer.nullable == null")


def test_checker_walk_sees_every_child_node_in_order() -> None:
    """The checker's own walk (node fields read from the annotations) gives exactly ``Node.children``."""
    from segmentr.stof import parse
    from segmentr.stof.checker import _children

    seen: set[str] = set()
    for case in CASES:
        if case["expect"] == {"error": "parse"}:
            continue
        for node in parse(case["src"]).walk():
            assert [id(x) for x in _children(node)] == [id(x) for x in node.children()], (case["id"], node)
            seen.add(type(node).__name__)
    assert {"MapLiteral", "Switch", "SwitchCase", "Try", "For", "ForIn", "Cast", "Declare"} <= seen
