"""Simple mode: builder rows → Stof source (product.md §3 shapes), and Stof → rows when it has exactly those shapes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from segmentr.segments.model import (
    ORDER_OPS,
    STRING_OPS,
    CreatedRow,
    CustomerTypeRow,
    EmailRow,
    MetadataRow,
    MetadataValue,
    PlanRow,
    SimpleRow,
    check_exact_number,
    coerce_metadata_value,
)
from segmentr.stof import nodes, parse
from segmentr.stof.errors import StofSyntaxError

ROW_SEPARATOR = " &&\n"
# What an empty builder means: every customer.
EMPTY_CONDITION = "true"

# Statement keywords, literal keywords and the words Stof treats specially (stof.md §1): such keys use get().
STOF_KEYWORDS = frozenset(
    {
        *("let", "const", "if", "else", "for", "in", "while", "loop", "break", "continue", "return"),
        *("switch", "case", "default", "try", "catch", "async", "await", "fn", "new", "as"),
        *("typeof", "typename", "null", "true", "false", "self", "super", "this"),
    }
)
_PLAIN_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_STRING_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


# ---------------------------------------------------------------- rows → Stof


def string_literal(text: str) -> str:
    """A double-quoted Stof string literal: only ``\\\\ \\n \\r \\t`` and the quote are escaped (Stof has no more)."""
    return '"' + "".join(_STRING_ESCAPES.get(ch, ch) for ch in text) + '"'


def number_literal(value: int | float) -> str:
    """A Stof number literal that reads back as the same value and the same int/float kind."""
    check_exact_number(value)
    if isinstance(value, int):
        return str(value)
    text = repr(value)
    mantissa, _, exponent = text.partition("e")
    if "." not in mantissa:
        mantissa += ".0"  # without a '.', Stof reads an integral literal as an int
    return f"{mantissa}e{int(exponent)}" if exponent else mantissa


def value_literal(value: MetadataValue) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return string_literal(value)
    return number_literal(value)


def is_plain_key(key: str) -> bool:
    """Whether ``customer.metadata.<key>`` can be written as a path (else the ``get("key")`` form is used)."""
    return bool(_PLAIN_KEY.match(key)) and key not in STOF_KEYWORDS


def metadata_ref(key: str) -> str:
    if is_plain_key(key):
        return f"customer.metadata.{key}"
    return f"(?customer.metadata.get({string_literal(key)}) ?? null)"


def _string_match(key: str, method: str, value: str) -> str:
    receiver = (
        f"customer.metadata.{key}" if is_plain_key(key) else f"customer.metadata.get({string_literal(key)})"
    )
    return f"(?{receiver}.{method}({string_literal(value)}) ?? false)"


def _plan_row(row: PlanRow) -> str:
    if isinstance(row.value, str):
        return f"customer.plan {row.op} {string_literal(row.value)}"
    op, joiner = ("==", " || ") if row.op == "in" else ("!=", " && ")
    return "(" + joiner.join(f"customer.plan {op} {string_literal(v)}" for v in row.value) + ")"


def _keyed_row(key: str, op: str, value: MetadataValue) -> str:
    if op in STRING_OPS:
        assert isinstance(value, str)
        return _string_match(key, op, value)
    ref = metadata_ref(key)
    if op == "is_set":
        return f"{ref} != null"
    if op == "is_not_set":
        return f"{ref} == null"
    if op in ORDER_OPS:
        # The guard matters: in Stof `null < V` is true.
        return f"({ref} != null && {ref} {op} {value_literal(value)})"
    return f"{ref} {op} {value_literal(value)}"


def _created_row(row: CreatedRow) -> str:
    if row.op == "within_last_days":
        bound = f"(Time.now() - {row.value}days as ms)"
        return f"(customer.cloud_created != null && customer.cloud_created > {bound})"
    op = "<" if row.op == "before" else ">"
    return f"(customer.cloud_created != null && customer.cloud_created {op} {row.value})"


def row_to_stof(row: SimpleRow) -> str:
    if isinstance(row, PlanRow):
        return _plan_row(row)
    if isinstance(row, CustomerTypeRow):
        return f"customer.type {row.op} {string_literal(row.value)}"
    if isinstance(row, EmailRow):
        return _keyed_row("email", row.op, row.value)
    if isinstance(row, MetadataRow):
        return _keyed_row(row.key, row.op, row.value)
    return _created_row(row)


def to_stof(rows: list[SimpleRow]) -> str:
    """The Stof condition of the builder's rows, joined with ``&&`` and a line break."""
    if not rows:
        return EMPTY_CONDITION
    return ROW_SEPARATOR.join(row_to_stof(row) for row in rows)


# ---------------------------------------------------------------- Stof → rows


@dataclass(frozen=True, slots=True)
class NotSimple:
    """Why a condition cannot be shown in simple mode."""

    reason: str


class _Refuse(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def from_stof(source: str) -> list[SimpleRow] | NotSimple:
    """The builder rows that generate exactly this condition, or ``NotSimple`` with the reason."""
    try:
        body = parse(source)
    except StofSyntaxError as exc:
        return NotSimple(f"the condition does not parse: {exc}")
    try:
        return _RowReader(source).read(body)
    except _Refuse as refusal:
        return NotSimple(refusal.reason)


def _reads_beyond_fields(expr: nodes.Node) -> list[str]:
    """What the expression reads that no simple-mode row can (policy calls, meters, grants)."""
    for node in expr.walk():
        if isinstance(node, nodes.Path) and node.names[0] == "policy":
            return ["uses a policy call"]
        if isinstance(node, nodes.Path) and node.names[:2] in (
            ["customer", "meters"],
            ["customer", "grants"],
        ):
            return [f"reads customer.{node.names[1]}"]
    return []


def _describe(expr: nodes.Node) -> str:
    """A short reason for an expression simple mode does not generate."""
    return "has an expression simple mode does not generate"


class _RowReader:
    """Matches a parsed body against the generated row shapes, one top-level ``&&`` operand at a time."""

    def __init__(self, source: str) -> None:
        self.lines = source.split("\n")  # the lexer counts lines by "\n" only

    def read(self, body: nodes.Body) -> list[SimpleRow]:
        if body.dropped:
            raise _Refuse("has statements after the returned expression")
        if len(body.body) != 1:
            first = body.body[0] if body.body else None
            if isinstance(first, nodes.Declare):
                raise _Refuse("declares variables")
            raise _Refuse("has more than one statement" if body.body else "is empty")
        statement = body.body[0]
        if isinstance(statement, nodes.Return) and statement.value is not None:
            expr = statement.value
        elif isinstance(statement, nodes.ExprStmt) and statement.returns:
            expr = statement.expr
        else:
            raise _Refuse(f"is a {type(statement).__name__.lower()} statement, not one expression")
        if isinstance(expr, nodes.Literal) and expr.value is True:
            return []
        for reason in _reads_beyond_fields(expr):
            raise _Refuse(reason)
        operands = self._conjuncts(expr)
        return self._rows(operands)

    def _conjuncts(self, expr: nodes.Expr) -> list[nodes.Expr]:
        """The operands of the left-nested top-level ``&&`` chain."""
        operands: list[nodes.Expr] = []
        while isinstance(expr, nodes.Logical) and expr.op == "&&":
            operands.append(expr.right)
            expr = expr.left
        operands.append(expr)
        operands.reverse()
        return operands

    def _rows(self, operands: list[nodes.Expr]) -> list[SimpleRow]:
        rows: list[SimpleRow] = []
        index = 0
        # A parenthesised first row melts into the top-level chain (the AST keeps no parentheses):
        # `(customer.plan != "a" && customer.plan != "b") && ...` is recovered from the source text.
        group = self._leading_group_size(operands)
        if group > 1:
            rows.append(self._plan_none_of(operands[:group]))
            index = group
        while index < len(operands):
            operand = operands[index]
            following = operands[index + 1] if index + 1 < len(operands) else None
            guarded = self._guarded_pair(operand, following)
            if guarded is not None:
                rows.append(guarded)
                index += 2
                continue
            rows.append(self._row(operand))
            index += 1
        return rows

    # -- source positions

    def _char_before(self, node: nodes.Node) -> str:
        line, col = node.line - 1, node.col - 1
        while line >= 0:
            text = self.lines[line][:col] if line < len(self.lines) else ""
            stripped = text.rstrip()
            if stripped:
                return stripped[-1]
            line -= 1
            col = len(self.lines[line]) if line >= 0 else 0
        return ""

    def _char_after(self, node: nodes.Node) -> str:
        line, col = node.end_line - 1, node.end_col - 1
        while line < len(self.lines):
            stripped = self.lines[line][col:].lstrip()
            if stripped:
                return stripped[0]
            line += 1
            col = 0
        return ""

    def _leading_group_size(self, operands: list[nodes.Expr]) -> int:
        first = operands[0]
        if len(operands) < 2 or _plan_compare(first, "!=") is None or self._char_before(first) != "(":
            return 0
        for size, operand in enumerate(operands, start=1):
            if _plan_compare(operand, "!=") is None:
                return 0
            if self._char_after(operand) == ")":
                return size
        return 0

    # -- shapes

    def _plan_none_of(self, operands: list[nodes.Expr]) -> PlanRow:
        return PlanRow(op="not_in", value=[_plan_compare(op, "!=") or "" for op in operands])

    def _guarded_pair(self, guard: nodes.Expr, compare: nodes.Expr | None) -> SimpleRow | None:
        """`X != null` followed by an ordering of X: the two halves of a guarded row that opened the chain."""
        if compare is None or not _is_null_check(guard, "!="):
            return None
        if not (isinstance(compare, nodes.Binary) and compare.op in ORDER_OPS):
            return None
        return self._guarded(nodes.Logical(op="&&", left=guard, right=compare))

    def _row(self, expr: nodes.Expr) -> SimpleRow:
        if isinstance(expr, nodes.Logical):
            if expr.op == "||":
                values = _plan_disjuncts(expr)
                if values is None:
                    raise _Refuse("uses || at top level (simple mode combines rows with AND only)")
                return PlanRow(op="in", value=values)
            guarded = self._guarded(expr)
            if guarded is not None:
                return guarded
            values = _plan_conjuncts(expr)
            if values is not None:
                return PlanRow(op="not_in", value=values)
            raise _Refuse("nests && in a way simple mode does not generate")
        if isinstance(expr, nodes.Binary) and expr.op in ("==", "!="):
            return self._equality(expr)
        if isinstance(expr, nodes.Binary) and expr.op in ORDER_OPS:
            raise _Refuse(
                f"compares with {expr.op} without the `!= null` guard (in Stof `null {expr.op} V` is "
                f"{'true' if expr.op.startswith('<') else 'false'})"
            )
        if isinstance(expr, nodes.Nullish):
            return self._string_match(expr)
        if isinstance(expr, nodes.Unary) and expr.op == "!":
            raise _Refuse("uses ! (negation)")
        if isinstance(expr, nodes.Ternary):
            raise _Refuse("uses a ?: conditional")
        raise _Refuse(_describe(expr))

    def _equality(self, expr: nodes.Binary) -> SimpleRow:
        ref = _field_ref(expr.left)
        if ref is None:
            raise _Refuse(_describe(expr))
        if ref in (("plan",), ("type",)):
            value = _string_value(expr.right)
            if value is None:
                raise _Refuse(f"compares customer.{ref[0]} with something other than a string")
            if ref == ("plan",):
                return PlanRow(op=expr.op, value=value)  # type: ignore[arg-type]
            return CustomerTypeRow(op=expr.op, value=value)  # type: ignore[arg-type]
        if ref[0] != "metadata":
            raise _Refuse(f"compares customer.{ref[0]}, which simple mode does not offer")
        key = ref[1]
        value = literal_value(expr.right)
        if isinstance(value, NotLiteral):
            raise _Refuse(f"compares metadata {key!r} with something other than a literal")
        if value is None:
            return MetadataRow(key=key, op="is_set" if expr.op == "!=" else "is_not_set")
        if key == "email" and isinstance(value, str):
            return EmailRow(op=expr.op, value=value)  # type: ignore[arg-type]
        return self._metadata_row(key, expr.op, value)

    def _metadata_row(self, key: str, op: str, value: MetadataValue) -> MetadataRow:
        if isinstance(value, str) and op not in STRING_OPS and type(coerce_metadata_value(value)) is not str:
            raise _Refuse(
                f"compares with the string {value!r}, which simple mode would read as a number or bool"
            )
        try:
            return MetadataRow.model_validate({"key": key, "op": op, "value": value})
        except ValueError as exc:
            raise _Refuse(f"has a value simple mode cannot hold: {exc}") from exc

    def _guarded(self, expr: nodes.Logical) -> SimpleRow | None:
        """`(X != null && X op V)` for a metadata key or cloud_created."""
        if expr.op != "&&" or not _is_null_check(expr.left, "!="):
            return None
        compare = expr.right
        if not (isinstance(compare, nodes.Binary) and compare.op in ORDER_OPS):
            return None
        guard_ref = _field_ref(expr.left.left)  # type: ignore[attr-defined]
        ref = _field_ref(compare.left)
        if ref is None or ref != guard_ref:
            raise _Refuse("guards one field and compares another")
        if ref == ("cloud_created",):
            return _created(compare)
        if ref[0] != "metadata":
            raise _Refuse(f"compares customer.{ref[0]}, which simple mode does not offer")
        value = literal_value(compare.right)
        if isinstance(value, NotLiteral) or value is None:
            raise _Refuse(f"compares metadata {ref[1]!r} with something other than a literal")
        return self._metadata_row(ref[1], compare.op, value)

    def _string_match(self, expr: nodes.Nullish) -> SimpleRow:
        call = expr.left
        if not (isinstance(expr.right, nodes.Literal) and expr.right.value is False):
            raise _Refuse("uses ?? with a default other than false")
        if not (isinstance(call, nodes.Call) and call.null_safe and call.name in STRING_OPS):
            raise _Refuse(_describe(expr))
        if len(call.args) != 1 or _string_value(call.args[0]) is None:
            raise _Refuse(f"calls {call.name} with something other than one string")
        value = _string_value(call.args[0])
        assert value is not None
        key = _metadata_key_receiver(call.receiver)
        if key is None:
            raise _Refuse(f"calls {call.name} on something other than a metadata key")
        if key == "email":
            return EmailRow(op=call.name, value=value)  # type: ignore[arg-type]
        return MetadataRow(key=key, op=call.name, value=value)  # type: ignore[arg-type]


# ---------------------------------------------------------------- shapes pushdown reads too


class NotLiteral:
    """What ``literal_value`` gives for an expression that is not a literal (``None`` is the null literal)."""


NOT_LITERAL = NotLiteral()


def literal_value(expr: nodes.Expr) -> MetadataValue | NotLiteral:
    """The value of a literal or of a negated number literal (``-5``); ``NOT_LITERAL`` for anything else."""
    if isinstance(expr, nodes.Literal):
        return expr.value
    if isinstance(expr, nodes.Unary) and expr.op == "-" and isinstance(expr.operand, nodes.Literal):
        operand = expr.operand.value
        if isinstance(operand, int | float) and not isinstance(operand, bool):
            return -operand
    return NOT_LITERAL


def metadata_get_key(expr: nodes.Expr, *, data_alias: bool = False) -> str | None:
    """The key of ``?customer.metadata.get("key")``; with ``data_alias`` also of ``?data.get("key")``.

    Only the null-safe call: on a customer without metadata ``null.get(…)`` is an error.
    """
    if not (isinstance(expr, nodes.Call) and expr.null_safe and expr.name == "get" and len(expr.args) == 1):
        return None
    receiver = expr.receiver
    if not isinstance(receiver, nodes.Path):
        return None
    if receiver.names != ["customer", "metadata"] and not (data_alias and receiver.names == ["data"]):
        return None
    return _string_value(expr.args[0])


def now_minus_amount(expr: nodes.Expr, *, ms_cast_optional: bool = False) -> nodes.UnitLiteral | None:
    """The amount of ``(Time.now() - <amount> as ms)`` when it is a unit literal such as ``7days``.

    With ``ms_cast_optional`` (a ``: ms`` declaration casts) the ``as ms`` may be left out; without any cast the
    value stays in the amount's unit and means something else.
    """
    if isinstance(expr, nodes.Cast):
        if expr.type.names != ["ms"] or expr.type.not_null:
            return None
        expr = expr.expr
    elif not ms_cast_optional:
        return None
    if not (isinstance(expr, nodes.Binary) and expr.op == "-"):
        return None
    now, amount = expr.left, expr.right
    if (
        isinstance(now, nodes.Call)
        and now.name == "now"
        and not now.args
        and isinstance(now.receiver, nodes.Path)
        and now.receiver.names == ["Time"]
        and isinstance(amount, nodes.UnitLiteral)
    ):
        return amount
    return None


# ---------------------------------------------------------------- row-shape helpers


def _string_value(expr: nodes.Expr) -> str | None:
    return expr.value if isinstance(expr, nodes.Literal) and isinstance(expr.value, str) else None


def _field_ref(expr: nodes.Expr) -> tuple[str, ...] | None:
    """``("plan",)``, ``("type",)``, ``("cloud_created",)`` or ``("metadata", key)`` for the generated forms."""
    if isinstance(expr, nodes.Path):
        names = expr.names
        if names[0] != "customer" or len(names) < 2:
            return None
        if len(names) == 2 and names[1] != "metadata":
            return (names[1],)
        if len(names) == 3 and names[1] == "metadata" and is_plain_key(names[2]):
            return ("metadata", names[2])
        return None
    if isinstance(expr, nodes.Nullish) and isinstance(expr.right, nodes.Literal) and expr.right.value is None:
        key = metadata_get_key(expr.left)
        if key is not None and not is_plain_key(key):
            return ("metadata", key)
    return None


def _metadata_key_receiver(expr: nodes.Expr | None) -> str | None:
    if isinstance(expr, nodes.Path):
        names = expr.names
        if len(names) == 3 and names[:2] == ["customer", "metadata"] and is_plain_key(names[2]):
            return names[2]
        return None
    if expr is not None:
        key = metadata_get_key(expr)
        if key is not None and not is_plain_key(key):
            return key
    return None


def _is_null_check(expr: nodes.Expr, op: str) -> bool:
    return (
        isinstance(expr, nodes.Binary)
        and expr.op == op
        and isinstance(expr.right, nodes.Literal)
        and expr.right.value is None
        and _field_ref(expr.left) is not None
    )


def _plan_compare(expr: nodes.Expr, op: str) -> str | None:
    if isinstance(expr, nodes.Binary) and expr.op == op and _field_ref(expr.left) == ("plan",):
        return _string_value(expr.right)
    return None


def _plan_disjuncts(expr: nodes.Logical) -> list[str] | None:
    return _plan_chain(expr, "||", "==")


def _plan_conjuncts(expr: nodes.Logical) -> list[str] | None:
    return _plan_chain(expr, "&&", "!=")


def _plan_chain(expr: nodes.Expr, logical: str, compare: str) -> list[str] | None:
    values: list[str] = []
    while isinstance(expr, nodes.Logical) and expr.op == logical:
        value = _plan_compare(expr.right, compare)
        if value is None:
            return None
        values.append(value)
        expr = expr.left
    value = _plan_compare(expr, compare)
    if value is None:
        return None
    values.append(value)
    values.reverse()
    return values if len(values) >= 2 else None


def _created(compare: nodes.Binary) -> CreatedRow:
    bound = compare.right
    if compare.op in ("<", ">") and isinstance(bound, nodes.Literal):
        value = bound.value
        if isinstance(value, int) and not isinstance(value, bool):
            return CreatedRow(op="before" if compare.op == "<" else "after", value=value)
    if compare.op == ">":
        days = _days_ago(bound)
        if days is not None:
            return CreatedRow(op="within_last_days", value=days)
    raise _Refuse("compares customer.cloud_created in a way simple mode does not generate")


def _days_ago(expr: nodes.Expr) -> int | None:
    """N of ``Time.now() - Ndays as ms``."""
    amount = now_minus_amount(expr)
    if amount is not None and amount.unit == "days" and amount.value.is_integer():
        return int(amount.value)
    return None


__all__ = [
    "NOT_LITERAL",
    "NotLiteral",
    "NotSimple",
    "from_stof",
    "is_plain_key",
    "literal_value",
    "metadata_get_key",
    "now_minus_amount",
    "row_to_stof",
    "string_literal",
    "to_stof",
]
