"""Segment drafts and the simple-mode rows (product.md §2-§3) as validated pydantic models."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from segmentr.segments.names import name_problem

MAX_NAME_CHARS = 120
MAX_CONDITION_BYTES = 64 * 1024
# Stof reads every number literal through an f64: integers beyond 2**53 would silently change value.
MAX_EXACT_INT = 2**53

PlanOp = Literal["==", "!=", "in", "not_in"]
TypeOp = Literal["==", "!="]
EmailOp = Literal["==", "!=", "contains", "starts_with", "ends_with"]
MetadataOp = Literal[
    "==", "!=", "<", "<=", ">", ">=", "contains", "starts_with", "ends_with", "is_set", "is_not_set"
]
CreatedOp = Literal["before", "after", "within_last_days"]

STRING_OPS = frozenset({"contains", "starts_with", "ends_with"})
ORDER_OPS = frozenset({"<", "<=", ">", ">="})
PRESENCE_OPS = frozenset({"is_set", "is_not_set"})
EMAIL_OPS = frozenset({"==", "!=", "contains", "starts_with", "ends_with"})

MetadataValue = bool | int | float | str | None

_INT_TEXT = re.compile(r"[+-]?[0-9]+\Z")
_FLOAT_TEXT = re.compile(r"[+-]?[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?\Z")


def coerce_metadata_value(text: str) -> bool | int | float | str:
    """The simple-mode auto-coercion: ``true``/``false`` → bool, a number literal → int or float, else the string.

    A literal is an int when it has no ``.`` and is integral (``1e3`` → 1000), as Stof reads it.
    """
    if text == "true":
        return True
    if text == "false":
        return False
    if _INT_TEXT.match(text):
        return int(text)
    if _FLOAT_TEXT.match(text):
        number = float(text)
        if "." not in text and number.is_integer():
            return int(number)
        return number
    return text


def check_exact_number(value: MetadataValue) -> MetadataValue:
    """Reject numbers Stof cannot read back exactly (non-finite floats, integers past 2**53)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and abs(value) > MAX_EXACT_INT:
        raise ValueError(f"integer {value} is too large for Stof (at most ±2**53)")
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        raise ValueError("the value must be a finite number")
    return value


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PlanRow(_Row):
    """``customer.plan`` equal / not equal to one plan, or one of / none of several."""

    type: Literal["plan"] = "plan"
    op: PlanOp
    value: str | list[str]

    @model_validator(mode="before")
    @classmethod
    def _one_plan_is_a_comparison(cls, data: object) -> object:
        # One plan in a list is the plain comparison: one canonical form, so rows → Stof → rows is exact.
        if isinstance(data, dict) and data.get("op") in ("in", "not_in"):
            value = data.get("value")
            if isinstance(value, list) and len(value) == 1:
                return {**data, "op": "==" if data["op"] == "in" else "!=", "value": value[0]}
        return data

    @model_validator(mode="after")
    def _value_matches_op(self) -> PlanRow:
        if self.op in ("in", "not_in"):
            if not isinstance(self.value, list) or not self.value:
                raise ValueError(f"plan {self.op} needs a non-empty list of plan names")
        elif not isinstance(self.value, str):
            raise ValueError(f"plan {self.op} needs one plan name")
        return self


class CustomerTypeRow(_Row):
    """``customer.type`` equal / not equal to a string (``user``, ``org`` or any other)."""

    type: Literal["customer_type"] = "customer_type"
    op: TypeOp
    value: str


class EmailRow(_Row):
    """``customer.metadata.email`` compared with a string."""

    type: Literal["email"] = "email"
    op: EmailOp
    value: str


class MetadataRow(_Row):
    """One metadata key compared with an auto-coerced value (none for ``is_set`` / ``is_not_set``)."""

    type: Literal["metadata"] = "metadata"
    key: str = Field(min_length=1)
    op: MetadataOp
    value: MetadataValue = None

    @model_validator(mode="before")
    @classmethod
    def _coerce(cls, data: object) -> object:
        if isinstance(data, dict) and isinstance(data.get("value"), str) and data.get("op") not in STRING_OPS:
            data = {**data, "value": coerce_metadata_value(data["value"])}
        return data

    @model_validator(mode="after")
    def _value_matches_op(self) -> MetadataRow:
        if self.op in PRESENCE_OPS:
            if self.value is not None:
                raise ValueError(f"metadata {self.op} takes no value")
        elif self.op in STRING_OPS:
            if not isinstance(self.value, str):
                raise ValueError(f"metadata {self.op} needs a string value")
        elif self.value is None:
            raise ValueError(f"metadata {self.op} needs a value (use is_set / is_not_set for null)")
        check_exact_number(self.value)
        if self.key == "email" and isinstance(self.value, str) and self.op in EMAIL_OPS:
            # One condition, one row shape: the Email row is the form simple mode reads back.
            raise ValueError("use the email row for customer.metadata.email compared with a string")
        return self


class CreatedRow(_Row):
    """``customer.cloud_created`` before / after an instant (epoch ms), or within the last N days."""

    type: Literal["created"] = "created"
    op: CreatedOp
    value: int

    @field_validator("value", mode="before")
    @classmethod
    def _instant(cls, value: object) -> object:
        if isinstance(value, str) and not _INT_TEXT.match(value):
            return parse_instant_ms(value)
        if isinstance(value, datetime):
            return datetime_to_ms(value)
        return value

    @model_validator(mode="after")
    def _in_range(self) -> CreatedRow:
        if self.op == "within_last_days":
            if not 1 <= self.value <= 100_000:
                raise ValueError("within_last_days needs a number of days between 1 and 100000")
        elif abs(self.value) > MAX_EXACT_INT:
            raise ValueError("the instant is out of range")
        return self


def datetime_to_ms(moment: datetime) -> int:
    """Epoch milliseconds of a datetime; a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * 1000)


def parse_instant_ms(text: str) -> int:
    """An ISO 8601 date or date-time (``2024-05-01``, ``2024-05-01T12:00:00Z``) as epoch ms, UTC when naive."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(f"not an ISO date-time or epoch ms: {text!r}") from exc
    return datetime_to_ms(moment)


SimpleRow = Annotated[
    Union[PlanRow, CustomerTypeRow, EmailRow, MetadataRow, CreatedRow],  # noqa: UP007 (discriminated union)
    Field(discriminator="type"),
]


class SimpleRows(BaseModel):
    """A list of rows, combined with AND (the builder's state)."""

    rows: list[SimpleRow]


class SegmentDraft(BaseModel):
    """What the editor submits: the fields of a segment before it is saved."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)
    description: str | None = None
    condition: str
    mode: Literal["simple", "advanced"] = "advanced"
    simple: list[SimpleRow] | None = None

    @field_validator("name")
    @classmethod
    def _name_rules(cls, name: str) -> str:
        if not name.strip():
            raise ValueError("the name must not be blank")
        if name != name.strip():
            raise ValueError("the name must not start or end with whitespace")
        if any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in name):
            raise ValueError("the name must not contain control characters")
        problem = name_problem(name)
        if problem is not None:
            raise ValueError(problem)
        return name

    @field_validator("condition")
    @classmethod
    def _condition_size(cls, condition: str) -> str:
        size = len(condition.encode("utf-8"))
        if size > MAX_CONDITION_BYTES:
            raise ValueError(f"the condition is {size} bytes, at most {MAX_CONDITION_BYTES} (64 KiB) allowed")
        return condition

    @field_validator("condition", "description")
    @classmethod
    def _no_nul(cls, text: str | None) -> str | None:
        # PostgreSQL text cannot hold NUL: refused on save, the same on both databases
        if text is not None and "\x00" in text:
            raise ValueError("must not contain the NUL character (U+0000)")
        return text


def parse_rows(data: object) -> list[SimpleRow]:
    """Validate a JSON-like list of rows (dicts or row models) into row models."""
    return SimpleRows.model_validate({"rows": data}).rows


__all__ = [
    "MAX_CONDITION_BYTES",
    "MAX_NAME_CHARS",
    "CreatedRow",
    "CustomerTypeRow",
    "EmailRow",
    "MetadataRow",
    "PlanRow",
    "SegmentDraft",
    "SimpleRow",
    "SimpleRows",
    "coerce_metadata_value",
    "parse_instant_ms",
    "parse_rows",
]
