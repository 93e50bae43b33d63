"""Segments of a workspace: create/get/list/update/delete with version history, restore, error recording,
and the active segment per member. Validation on save uses the segments package."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import fields as dataclass_fields
from typing import Any

from pydantic import ValidationError
from sqlalchemy import ColumnElement, FromClause, bindparam, delete, select, update
from sqlalchemy.orm import Session

from segmentr.errors import Problem
from segmentr.segments.model import SegmentDraft
from segmentr.segments.names import SEGMENT_ID_PREFIX, looks_like_segment_id, name_key
from segmentr.segments.validation import SegmentValidationError, validate_segment
from segmentr.store.errors import AlreadyExists, InvalidData, NotFound, SegmentInvalid
from segmentr.store.records import Segment, SegmentVersion
from segmentr.store.tables import ActiveSegmentRow, MemberRow, SegmentRow, SegmentVersionRow

__all__ = [
    "EDITABLE_FIELDS",
    "SEGMENT_FIELDS",
    "active_segment",
    "clear_active_segment",
    "create_segment",
    "delete_segment",
    "get_segment",
    "list_segments",
    "members_with_active",
    "record_segment_error",
    "restore_segment",
    "segment_columns",
    "segment_found",
    "segment_history",
    "segment_not_found",
    "segment_of",
    "segment_reference",
    "set_active_segment",
    "toggle_active_segment",
    "update_segment",
    "validate_draft",
]

EDITABLE_FIELDS = ("name", "description", "condition", "mode", "simple")
# What a restore brings back (the condition with its mode and rows, and the description): not the name.
RESTORED_FIELDS = ("description", "condition", "mode", "simple")
MAX_ERROR_CHARS = 2000


def _segment(row: Any) -> Segment:
    """The record of a ``SegmentRow`` or of a Core row of the segments table (the same attribute names)."""
    return Segment(
        id=row.id,
        workspace_id=row.workspace_id,
        name=row.name,
        description=row.description,
        condition=row.condition,
        mode=row.mode,
        simple=row.simple,
        version=row.version,
        created_at=row.created_at,
        created_by=row.created_by,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
        error_count=row.error_count,
        last_error=row.last_error,
        last_error_at=row.last_error_at,
    )


def _version(row: SegmentVersionRow) -> SegmentVersion:
    return SegmentVersion(
        segment_id=row.segment_id,
        version=row.version,
        name=row.name,
        description=row.description,
        condition=row.condition,
        mode=row.mode,
        simple=row.simple,
        created_at=row.created_at,
        created_by=row.created_by,
    )


def validate_draft(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields as the segments package validates them (name, size, syntax, rows vs condition), normalised.

    Any problem refuses the save with SegmentInvalid carrying every problem as ``validate`` reports it (the same
    ``segmentr.errors.Problem`` objects: field, line, column); the checker's warnings do not refuse it.
    """
    values = {key: fields.get(key) for key in EDITABLE_FIELDS}
    if values["mode"] is None:
        values["mode"] = "advanced"
    missing = [
        Problem(field=key, message=f"a segment needs a {key}")
        for key in ("name", "condition")
        if not isinstance(values[key], str)
    ]
    if missing:
        raise SegmentInvalid(problems=missing)
    try:
        validate_segment(
            name=values["name"],
            description=values["description"],
            condition=values["condition"],
            mode=values["mode"],
            simple=values["simple"],
        )
        draft = SegmentDraft.model_validate(values)
    except SegmentValidationError as exc:
        raise SegmentInvalid(problems=exc.problems, code=exc.code) from exc
    except ValidationError as exc:
        raise SegmentInvalid(
            problems=[
                Problem(field=".".join(map(str, e["loc"])) or None, message=e["msg"]) for e in exc.errors()
            ]
        ) from exc
    data = draft.model_dump(mode="json")
    return {key: data.get(key) for key in EDITABLE_FIELDS}


def _name_taken(session: Session, workspace_id: str, name: str, except_id: str | None = None) -> None:
    """AlreadyExists when another segment of the workspace has a name with the same key (case, width and
    compatibility forms aside: ``name_key``)."""
    query = select(SegmentRow.name).where(
        SegmentRow.workspace_id == workspace_id, SegmentRow.name_key == name_key(name)
    )
    if except_id is not None:
        query = query.where(SegmentRow.id != except_id)
    existing = session.scalar(query)
    if existing is not None:
        also = "" if existing == name else f" (as {existing!r}: names differing only in case or width are one)"
        raise AlreadyExists(f"a segment named {name!r} already exists in this workspace{also}")


def _add_version(session: Session, row: SegmentRow, now: int, by: str | None) -> None:
    session.add(
        SegmentVersionRow(
            segment_id=row.id,
            version=row.version,
            name=row.name,
            description=row.description,
            condition=row.condition,
            mode=row.mode,
            simple=row.simple,
            created_at=now,
            created_by=by,
        )
    )


def create_segment(
    *, session: Session, workspace_id: str, fields: Mapping[str, Any], now: int, by: str | None = None
) -> Segment:
    """A new segment at version 1 (validated; the name unique in the workspace)."""
    valid = validate_draft(fields)
    _name_taken(session, workspace_id, valid["name"])
    row = SegmentRow(
        id=f"{SEGMENT_ID_PREFIX}{secrets.token_hex(8)}",
        name_key=name_key(valid["name"]),
        workspace_id=workspace_id,
        version=1,
        created_at=now,
        created_by=by,
        updated_at=now,
        updated_by=by,
        error_count=0,
        **valid,
    )
    session.add(row)
    session.flush()
    _add_version(session, row, now, by)
    session.flush()
    return _segment(row)


def _row(session: Session, workspace_id: str, ref: str) -> SegmentRow:
    """A segment by id when ``ref`` reads as one (``seg_…``), else by name (its key: ``growth`` finds
    ``Growth``). No name reads as an id, so one reference can never mean two segments."""
    row: SegmentRow | None
    if looks_like_segment_id(ref):
        row = session.get(SegmentRow, ref)
        if row is not None and row.workspace_id != workspace_id:
            row = None
    else:
        row = session.scalars(
            select(SegmentRow).where(SegmentRow.workspace_id == workspace_id, SegmentRow.name_key == name_key(ref))
        ).first()
    if row is None:
        raise segment_not_found(ref)
    return row


def get_segment(*, session: Session, workspace_id: str, segment: str) -> Segment:
    """A segment by id or by name."""
    return _segment(_row(session, workspace_id, segment))


# A segment's record as Core columns, for a select that reads it with other things (one evaluation's inputs).
SEGMENT_FIELDS = tuple(field.name for field in dataclass_fields(Segment))


def segment_columns(table: FromClause) -> tuple[ColumnElement[Any], ...]:
    """The columns of ``table`` (the segments table or an alias of it) that make a ``Segment``, in its order."""
    return tuple(table.c[name] for name in SEGMENT_FIELDS)


def segment_reference(segment: str) -> tuple[bool, str]:
    """How ``_row`` finds ``segment``: whether by id (when it reads as one; else by its name key), and the value
    compared (``segment_found``'s ``ref`` parameter)."""
    if looks_like_segment_id(segment):
        return True, segment
    return False, name_key(segment)


def segment_found(table: FromClause, by_id: bool) -> ColumnElement[bool]:
    """The condition on ``table`` (the segments table or an alias) that finds a ``segment_reference``."""
    return (table.c.id if by_id else table.c.name_key) == bindparam("ref")


def segment_of(values: Sequence[Any]) -> Segment:
    """The record of a row's ``segment_columns`` values."""
    return Segment(*values)


def segment_not_found(segment: str) -> NotFound:
    return NotFound(f"no segment {segment!r} in this workspace")


def list_segments(*, session: Session, workspace_id: str) -> list[Segment]:
    rows = session.scalars(
        select(SegmentRow).where(SegmentRow.workspace_id == workspace_id).order_by(SegmentRow.name)
    )
    return [_segment(row) for row in rows]


def update_segment(
    *,
    session: Session,
    workspace_id: str,
    segment: str,
    changes: Mapping[str, Any],
    now: int,
    by: str | None = None,
) -> Segment:
    """Apply an edit as a new version; an edit that changes nothing keeps the current version."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidData(f"cannot change {', '.join(sorted(unknown))} of a segment")
    row = _row(session, workspace_id, segment)
    current = {key: getattr(row, key) for key in EDITABLE_FIELDS}
    valid = validate_draft({**current, **changes})
    if valid == current:
        return _segment(row)
    if valid["name"] != row.name:
        _name_taken(session, workspace_id, valid["name"], except_id=row.id)
    for key, value in valid.items():
        setattr(row, key, value)
    row.name_key = name_key(row.name)
    row.version += 1
    row.updated_at = now
    row.updated_by = by
    session.flush()
    _add_version(session, row, now, by)
    session.flush()
    return _segment(row)


def segment_history(*, session: Session, workspace_id: str, segment: str) -> list[SegmentVersion]:
    """Every version, oldest first."""
    row = _row(session, workspace_id, segment)
    rows = session.scalars(
        select(SegmentVersionRow).where(SegmentVersionRow.segment_id == row.id).order_by(SegmentVersionRow.version)
    )
    return [_version(version) for version in rows]


def restore_segment(
    *, session: Session, workspace_id: str, segment: str, version: int, now: int, by: str | None = None
) -> Segment:
    """Make an old version's condition and description current again, as a new version. The name stays:
    the old one may belong to another segment by now, and a rename is an edit of its own."""
    row = _row(session, workspace_id, segment)
    old = session.get(SegmentVersionRow, (row.id, version))
    if old is None:
        raise NotFound(f"segment {row.name!r} has no version {version}")
    restored = {key: getattr(old, key) for key in RESTORED_FIELDS}
    return update_segment(
        session=session, workspace_id=workspace_id, segment=row.id, changes=restored, now=now, by=by
    )


def delete_segment(*, session: Session, workspace_id: str, segment: str) -> None:
    """Remove the segment and its history; every member that had it active has none."""
    row = _row(session, workspace_id, segment)
    # Explicit, not only ON DELETE CASCADE: the outcome must not depend on the database's FK settings.
    session.execute(delete(ActiveSegmentRow).where(ActiveSegmentRow.segment_id == row.id))
    session.execute(delete(SegmentVersionRow).where(SegmentVersionRow.segment_id == row.id))
    session.delete(row)
    session.flush()


def record_segment_error(*, session: Session, segment_id: str, error: str, now: int, count: int = 1) -> None:
    """Count ``count`` failed evaluations (one write for a whole membership pass) and keep ``error``, the
    latest message, as the last error."""
    session.execute(
        update(SegmentRow)
        .where(SegmentRow.id == segment_id)
        .values(
            error_count=SegmentRow.error_count + count,
            last_error=error[:MAX_ERROR_CHARS],
            last_error_at=now,
        )
    )


def _member_in(session: Session, workspace_id: str, member_id: int) -> MemberRow:
    member = session.get(MemberRow, member_id)
    if member is None or member.workspace_id != workspace_id:
        raise NotFound(f"no member {member_id} in this workspace")
    return member


def active_segment(*, session: Session, workspace_id: str, member_id: int) -> Segment | None:
    _member_in(session, workspace_id, member_id)
    active = session.get(ActiveSegmentRow, member_id)
    if active is None:
        return None
    row = session.get(SegmentRow, active.segment_id)
    return _segment(row) if row is not None else None


def set_active_segment(
    *, session: Session, workspace_id: str, member_id: int, segment: str, now: int
) -> Segment:
    _member_in(session, workspace_id, member_id)
    row = _row(session, workspace_id, segment)
    active = session.get(ActiveSegmentRow, member_id)
    if active is None:
        session.add(ActiveSegmentRow(member_id=member_id, segment_id=row.id, set_at=now))
    else:
        active.segment_id = row.id
        active.set_at = now
    session.flush()
    return _segment(row)


def clear_active_segment(*, session: Session, workspace_id: str, member_id: int) -> None:
    _member_in(session, workspace_id, member_id)
    session.execute(delete(ActiveSegmentRow).where(ActiveSegmentRow.member_id == member_id))


def toggle_active_segment(
    *, session: Session, workspace_id: str, member_id: int, segment: str, now: int
) -> Segment | None:
    """"Set Active": makes the segment active, or clears it when it already is. Returns the new active one."""
    _member_in(session, workspace_id, member_id)
    row = _row(session, workspace_id, segment)
    active = session.get(ActiveSegmentRow, member_id)
    if active is not None and active.segment_id == row.id:
        session.delete(active)
        session.flush()
        return None
    return set_active_segment(
        session=session, workspace_id=workspace_id, member_id=member_id, segment=row.id, now=now
    )


def members_with_active(*, session: Session, workspace_id: str, segment: str) -> list[int]:
    """Ids of the members whose active segment this is (the editor's "where used")."""
    row = _row(session, workspace_id, segment)
    return list(
        session.scalars(
            select(ActiveSegmentRow.member_id)
            .where(ActiveSegmentRow.segment_id == row.id)
            .order_by(ActiveSegmentRow.member_id)
        )
    )
