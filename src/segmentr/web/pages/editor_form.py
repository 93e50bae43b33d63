"""The segment editor's form: what the browser posts (name, description, mode, Stof, simple-mode rows) read into
a draft, and a saved segment written back as the same fields.

Rows are ``row-<i>-type``, ``row-<i>-op``, ``row-<i>-key``, ``row-<i>-value`` and ``row-<i>-plans`` (several);
each is checked with the service's ``SimpleRow`` model, so the editor says what the save would say.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError

from segmentr import errors
from segmentr.service import Segment, SimpleRow, condition_to_rows, rows_to_condition

ROW_TYPES = (
    ("plan", "Plan"), ("customer_type", "Customer type"), ("email", "Email"), ("metadata", "Metadata"),
    ("created", "Created"),
)  # fmt: skip
OPERATORS: dict[str, tuple[tuple[str, str], ...]] = {
    "plan": (("==", "is"), ("!=", "is not"), ("in", "is one of"), ("not_in", "is none of")),
    "customer_type": (("==", "is"), ("!=", "is not")),
    "email": (("==", "is"), ("!=", "is not"), ("contains", "contains"), ("starts_with", "starts with"),
              ("ends_with", "ends with")),
    "metadata": (("==", "is"), ("!=", "is not"), ("<", "<"), ("<=", "≤"), (">", ">"), (">=", "≥"),
                 ("contains", "contains"), ("starts_with", "starts with"), ("ends_with", "ends with"),
                 ("is_set", "is set"), ("is_not_set", "is not set")),
    "created": (("within_last_days", "within the last N days"), ("before", "before"), ("after", "after")),
}  # fmt: skip
_ROW = TypeAdapter(SimpleRow)
MAX_ROWS = 50


@dataclass
class RowField:
    """One row as the form shows it (strings, as typed) with its problem, if any."""

    type: str = "plan"
    op: str = "=="
    key: str = ""
    value: str = ""
    plans: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class Draft:
    name: str = ""
    description: str = ""
    mode: str = "simple"
    condition: str = ""
    rows: list[RowField] = field(default_factory=list)
    notice: str | None = None  # why switching to Simple did not happen, a template applied…

    def valid_rows(self, *, strict: bool = False) -> list[SimpleRow] | None:
        """The rows as models when every row is complete and valid, else None. Problems are noted on the rows;
        a row not filled in yet is noted only when ``strict`` (on save), so a new row is never red."""
        models: list[SimpleRow] = []
        for row in self.rows:
            row.error = None
            if not strict and not row.value.strip() and not row.plans and row.op not in ("is_set", "is_not_set"):
                continue
            if row.type in ("plan", "customer_type", "email") and row.op in ("==", "!=") and not row.value.strip():
                row.error = "choose a plan" if row.type == "plan" else "enter a value"
                continue
            try:
                models.append(_ROW.validate_python(_row_json(row)))
            except ValidationError as exc:
                row.error = "; ".join(_clean(item["msg"]) for item in exc.errors())
        return models if len(models) == len(self.rows) and models else None

    def source(self) -> str | None:
        """The Stof this draft stands for (generated in Simple mode), or None while the rows are incomplete."""
        if self.mode == "advanced":
            return self.condition
        rows = self.valid_rows()
        return rows_to_condition(rows) if rows is not None else None


def _clean(message: str) -> str:
    return message.removeprefix("Value error, ")


def _row_json(row: RowField) -> dict[str, Any]:
    data: dict[str, Any] = {"type": row.type, "op": row.op}
    if row.type == "plan":
        data["value"] = row.plans if row.op in ("in", "not_in") else row.value
    elif row.type == "metadata":
        data["key"] = row.key.strip()
        if row.op not in ("is_set", "is_not_set"):
            data["value"] = row.value
    elif row.type == "created":
        data["value"] = row.value.strip()
    else:
        data["value"] = row.value
    return data


def read_draft(form: dict[str, list[str]]) -> Draft:
    def one(name: str, default: str = "") -> str:
        return (form.get(name) or [default])[0]

    draft = Draft(
        name=one("name"), description=one("description"),
        mode="advanced" if one("mode") == "advanced" else "simple",
        condition=one("condition").replace("\r\n", "\n"),
    )  # fmt: skip
    try:
        count = min(int(one("rows", "0")), MAX_ROWS)
    except ValueError:
        count = 0
    for index in range(count):
        kind = one(f"row-{index}-type", "plan")
        if kind not in OPERATORS:
            kind = "plan"
        op = one(f"row-{index}-op")
        if op not in dict(OPERATORS[kind]):
            op = OPERATORS[kind][0][0]
        draft.rows.append(RowField(
            type=kind, op=op, key=one(f"row-{index}-key"), value=one(f"row-{index}-value"),
            plans=[plan for plan in form.get(f"row-{index}-plans", []) if plan],
        ))  # fmt: skip
    return draft


def rows_from_models(rows: list[SimpleRow]) -> list[RowField]:
    shown: list[RowField] = []
    for model in rows:
        data = model.model_dump(mode="json")
        row = RowField(type=data["type"], op=data["op"], key=data.get("key") or "")
        value = data.get("value")
        if row.type == "plan" and isinstance(value, list):
            row.plans = [str(plan) for plan in value]
        elif row.type == "created" and row.op != "within_last_days" and isinstance(value, int):
            row.value = datetime.fromtimestamp(value / 1000, tz=UTC).date().isoformat()
        elif value is None:
            row.value = ""
        elif isinstance(value, bool):
            row.value = "true" if value else "false"
        else:
            row.value = str(value)
        shown.append(row)
    return shown


def draft_of(segment: Segment) -> Draft:
    draft = Draft(name=segment.name, description=segment.description or "", mode=segment.mode,
                  condition=segment.condition)  # fmt: skip
    if segment.mode == "simple":
        try:
            draft.rows = rows_from_models(condition_to_rows(segment.condition))
        except errors.SegmentrError:
            draft.mode = "advanced"
    return draft


def switch_mode(draft: Draft, mode: str) -> None:
    """Simple → Advanced keeps the generated Stof; Advanced → Simple works when the code is a simple shape."""
    if mode == draft.mode:
        return
    if mode == "advanced":
        source = draft.source()
        if source is not None:
            draft.condition = source
        draft.mode = "advanced"
        return
    if not draft.condition.strip():
        draft.mode, draft.rows = "simple", draft.rows or [RowField()]
        return
    try:
        draft.rows = rows_from_models(condition_to_rows(draft.condition))
    except errors.NotSimple as exc:
        draft.notice = f"This condition cannot be shown in Simple mode: {exc}. It stays in Advanced."
        return
    draft.mode = "simple"


__all__ = ["OPERATORS", "ROW_TYPES", "Draft", "RowField", "draft_of", "read_draft", "rows_from_models",
           "switch_mode"]  # fmt: skip
