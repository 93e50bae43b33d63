"""``SegmentService``: every segment use case of one workspace, acted by one member (roles enforced).

Saved segments are referenced by id or exact name. Membership is computed from current state on each call
(SQL pushdown when the condition allows, streaming evaluation otherwise) and paged by a keyset cursor.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from segmentr import segments
from segmentr.errors import Problem, SegmentInUse
from segmentr.segments import (
    ChangePreview,
    Count,
    NotSimple,
    Page,
    Preview,
    SimpleRow,
    from_stof,
    parse_rows,
    segment_problems,
    to_stof,
)
from segmentr.service.access import Action, require
from segmentr.service.context import ENVIRONMENTS, Actor
from segmentr.service.decisions import decider_for, notification_references
from segmentr.service.errors import InvalidRequest
from segmentr.service.models import Evaluation, SegmentChanges, SegmentInput, SegmentUsage, Validation
from segmentr.service.pricing import rule_references
from segmentr.stof import shown_value
from segmentr.store import Member, NotFound, Segment, SegmentInvalid, SegmentVersion, Store, UnitOfWork
from segmentr.store import auth as auth_repo
from segmentr.store import segments as segment_repo

__all__ = ["DEFAULT_PAGE_SIZE", "ENVIRONMENTS", "MAX_PAGE_SIZE", "ConditionLike", "SegmentService"]

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
DEFAULT_SAMPLE = 10

# An unsaved condition: Stof source, or simple-mode rows (models or their JSON dicts).
ConditionLike = str | Sequence[SimpleRow] | Sequence[dict[str, Any]]


class SegmentService:
    """Segments of ``workspace_id`` as ``actor`` sees and changes them.

    Reading (list, show, history, evaluate, members, count, previews) is open to every role; creating, editing,
    deleting and restoring need owner, admin or editor; each member chooses their own active segment.
    ``actor`` is an ``Actor`` (a member's session or an API key, which reaches its own environment only) or a
    store ``Member``; it is taken as given (its role when it was read): make one service per request or command.
    """

    def __init__(self, store: Store, workspace_id: str, actor: Member | Actor) -> None:
        if actor.workspace_id != workspace_id:
            raise InvalidRequest(f"{_label(actor)} does not belong to workspace {workspace_id}")
        self._store = store
        self.workspace_id = workspace_id
        self.actor = actor
        self._label = _label(actor)
        self._customers = store.customers(workspace_id)

    def _reach(self, environment: str) -> str:
        if isinstance(self.actor, Actor):
            return self.actor.reach(environment)
        return _check_environment(environment)

    def _member_key(self) -> int:
        """The store's key of the acting member (an API key has no active segment of its own)."""
        if isinstance(self.actor, Member):
            return self.actor.id
        if self.actor.member_id is None:
            raise InvalidRequest("an API key has no active segment: sign in as a member")
        with self._store.session() as session:
            member = auth_repo.member_by_public_id(
                session=session, workspace_id=self.workspace_id, public_id=self.actor.member_id
            )
        return member.id

    # ------------------------------------------------------------------ create, read, edit, delete, versions

    def validate(self, draft: SegmentInput) -> Validation:
        """Every problem that would refuse saving ``draft``, and the checker's warnings (the editor's check)."""
        require(self.actor, Action.READ_SEGMENTS)
        fields = _input_fields(draft)
        problems, warnings = segment_problems(
            fields["name"], fields["description"], fields["condition"], fields["mode"], fields["simple"]
        )
        return Validation(problems, warnings)

    def create(self, draft: SegmentInput) -> Segment:
        """A new segment at version 1; ``SegmentInvalid`` lists every problem, ``AlreadyExists`` a taken name."""
        require(self.actor, Action.EDIT_SEGMENTS)
        return self._store.create_segment(self.workspace_id, by=self._label, **_input_fields(draft))

    def segments(self) -> list[Segment]:
        """The workspace's segments, by name."""
        require(self.actor, Action.READ_SEGMENTS)
        return self._store.list_segments(self.workspace_id)

    def get(self, segment: str) -> Segment:
        """A segment by id or name (``NotFound`` otherwise)."""
        require(self.actor, Action.READ_SEGMENTS)
        return self._store.get_segment(self.workspace_id, segment)

    def edit(self, segment: str, changes: SegmentChanges) -> Segment:
        """Save an edit as a new version (validated as on create); an edit that changes nothing keeps the version."""
        require(self.actor, Action.EDIT_SEGMENTS)
        current = self._store.get_segment(self.workspace_id, segment)
        saved = self._store.update_segment(
            self.workspace_id, current.id, by=self._label, **_changed_fields(current, changes)
        )
        if saved.version != current.version:
            decider_for(self._store).segment_changed(self.workspace_id, saved.id, saved.version)
        return saved

    def delete(self, segment: str, *, force: bool = False) -> None:
        """Remove the segment and its history; members who had it active have none. While pricing rules or
        notifications reference it: ``SegmentInUse`` listing them, unless ``force`` (then they dangle)."""
        require(self.actor, Action.EDIT_SEGMENTS)

        def write(uow: UnitOfWork) -> str:
            saved = segment_repo.get_segment(session=uow.session, workspace_id=self.workspace_id, segment=segment)
            references = self._references(saved.id, uow)
            if references and not force:
                raise SegmentInUse(
                    f"segment {saved.name!r} is referenced by {len(references)} record(s): delete them first, "
                    "or delete with force (they then never match)", references=references,
                )
            segment_repo.delete_segment(session=uow.session, workspace_id=self.workspace_id, segment=saved.id)
            return saved.id

        deleted = self._store.run(write, write=True)
        decider_for(self._store).segment_changed(self.workspace_id, deleted, None)

    def _references(self, segment_id: str, uow: UnitOfWork | None = None) -> list[dict[str, Any]]:
        """Every record that references the segment by id, as typed entries."""
        return [*rule_references(self._store, self.workspace_id, segment_id, uow),
                *notification_references(self._store, self.workspace_id, segment_id, uow)]

    def history(self, segment: str) -> list[SegmentVersion]:
        """Every saved version, oldest first."""
        require(self.actor, Action.READ_SEGMENTS)
        return self._store.segment_history(self.workspace_id, segment)

    def restore(self, segment: str, version: int) -> Segment:
        """Make an old version current again, saved as a new version."""
        require(self.actor, Action.EDIT_SEGMENTS)
        restored = self._store.restore_segment(self.workspace_id, segment, version, by=self._label)
        decider_for(self._store).segment_changed(self.workspace_id, restored.id, restored.version)
        return restored

    def usage(self, segment: str) -> SegmentUsage:
        """Where the segment is used: the members who have it active, the records that reference it."""
        require(self.actor, Action.READ_SEGMENTS)
        saved = self._store.get_segment(self.workspace_id, segment)
        active = self._store.members_with_active(self.workspace_id, saved.id)
        public = {member.id: member.public_id for member in self._store.members(self.workspace_id)}
        return SegmentUsage(
            saved.id, active, [public[member_id] for member_id in active if member_id in public],
            self._references(saved.id),
        )

    # ------------------------------------------------------------------ evaluation and membership

    def evaluate(self, segment: str, customer_id: str, environment: str, *, explain: bool = False) -> Evaluation:
        """The saved segment for one customer of ``environment``, against its live policy.

        A failing condition does not match; the failure is counted on the segment (error count, last error).
        ``NotFound`` for an unknown segment or customer; ``StofSyntaxError`` if a stored condition no longer parses.
        """
        require(self.actor, Action.READ_SEGMENTS)
        self._reach(environment)
        saved, customer, policy = self._customers.evaluation_inputs(segment, environment, customer_id)
        if customer is None or policy is None:
            raise NotFound(f"no customer {customer_id!r} in {environment}")
        result = segments.evaluate(saved.condition, customer, policy, explain=explain)
        if result.error is not None:
            self._store.record_segment_error(saved.id, result.error)
        return Evaluation(
            segment_id=saved.id,
            segment_name=saved.name,
            segment_version=saved.version,
            customer_id=customer_id,
            environment=environment,
            matched=result.matched,
            value=shown_value(result.value),
            error=result.error,
            reason=result.reason,
            trace=result.trace if explain else None,
        )

    def evaluate_condition(
        self, condition: ConditionLike, customer_id: str, environment: str, *, explain: bool = True
    ) -> Evaluation:
        """An unsaved condition (the editor's draft) for one customer of ``environment``, explained by default.

        Nothing is recorded on any segment. ``NotFound`` for an unknown customer; ``StofSyntaxError`` when the
        source does not parse.
        """
        require(self.actor, Action.READ_SEGMENTS)
        self._reach(environment)
        customer = self._customers.load(environment, customer_id)
        if customer is None:
            raise NotFound(f"no customer {customer_id!r} in {environment}")
        result = segments.evaluate(
            _condition_source(condition), customer, self._customers.policy(environment), explain=explain
        )
        return Evaluation(
            segment_id="",
            segment_name="",
            segment_version=0,
            customer_id=customer_id,
            environment=environment,
            matched=result.matched,
            value=shown_value(result.value),
            error=result.error,
            reason=result.reason,
            trace=result.trace if explain else None,
        )

    def members(
        self, segment: str, environment: str, *, cursor: str | None = None, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Page:
        """One page of the ids of the segment's members, in id order.

        Pass the previous page's ``next_cursor`` to get the next one (None: this is the last page). The cursor
        is the last id shown (keyset paging): pages never repeat or skip a customer that stays in the segment,
        and each page costs one indexed read (SQL) or a stream from the cursor, never a scan of earlier pages.
        There is no total: ``count`` gives it.
        """
        require(self.actor, Action.READ_SEGMENTS)
        self._reach(environment)
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise InvalidRequest(f"page_size must be between 1 and {MAX_PAGE_SIZE}, not {page_size}")
        saved = self._store.get_segment(self.workspace_id, segment)
        page = segments.members(saved.condition, self._customers, environment, after=cursor, limit=page_size)
        self._record_errors(saved, page.errors, page.last_error)
        return page

    def count(self, segment: str, environment: str) -> Count:
        """How many customers of ``environment`` are in the segment now (with the evaluation errors, if any)."""
        require(self.actor, Action.READ_SEGMENTS)
        self._reach(environment)
        saved = self._store.get_segment(self.workspace_id, segment)
        counted = segments.count(saved.condition, self._customers, environment)
        self._record_errors(saved, counted.errors, counted.last_error)
        return counted

    def _record_errors(self, saved: Segment, errors: int, last_error: str | None) -> None:
        """Failures met while listing or counting a saved segment count on it, like `evaluate`'s (one write)."""
        if errors and last_error is not None:
            self._store.record_segment_error(saved.id, last_error, count=errors)

    def preview(self, condition: ConditionLike, environment: str, *, sample: int = DEFAULT_SAMPLE) -> Preview:
        """Count and the first ``sample`` member ids of an unsaved condition (Stof source or simple rows).

        Raises ``StofSyntaxError`` (with every diagnostic) when the source does not parse.
        """
        require(self.actor, Action.READ_SEGMENTS)
        self._reach(environment)
        if sample < 0:
            raise InvalidRequest("sample must not be negative")
        return segments.preview(_condition_source(condition), self._customers, environment, sample=sample)

    def change_preview(self, segment: str, new_condition: ConditionLike, environment: str) -> ChangePreview:
        """Who would enter and who would leave the saved segment if its condition became ``new_condition``."""
        require(self.actor, Action.READ_SEGMENTS)
        self._reach(environment)
        saved = self._store.get_segment(self.workspace_id, segment)
        return segments.change_preview(
            saved.condition, _condition_source(new_condition), self._customers, environment
        )

    # ------------------------------------------------------------------ the acting member's active segment

    def active_segment(self) -> Segment | None:
        """The acting member's active segment, if any."""
        require(self.actor, Action.CHOOSE_ACTIVE_SEGMENT)
        return self._store.active_segment(self.workspace_id, self._member_key())

    def set_active_segment(self, segment: str) -> Segment:
        """Make ``segment`` the acting member's active one (replacing any other)."""
        require(self.actor, Action.CHOOSE_ACTIVE_SEGMENT)
        return self._store.set_active_segment(self.workspace_id, self._member_key(), segment)

    def clear_active_segment(self) -> None:
        """The acting member has no active segment any more."""
        require(self.actor, Action.CHOOSE_ACTIVE_SEGMENT)
        self._store.clear_active_segment(self.workspace_id, self._member_key())

    def toggle_active_segment(self, segment: str) -> Segment | None:
        """"Set Active": activates ``segment``, or clears it when it already is active; returns the active one."""
        require(self.actor, Action.CHOOSE_ACTIVE_SEGMENT)
        return self._store.toggle_active_segment(self.workspace_id, self._member_key(), segment)


def _label(actor: Member | Actor) -> str:
    return actor.email if isinstance(actor, Member) else actor.label


def _check_environment(environment: str) -> str:
    if environment not in ENVIRONMENTS:
        raise InvalidRequest(f"unknown environment {environment!r}: use test or live")
    return environment


def _condition_source(condition: ConditionLike) -> str:
    if isinstance(condition, str):
        return condition
    return to_stof(parse_rows(list(condition)))


def _rows_json(rows: Sequence[SimpleRow]) -> list[dict[str, Any]]:
    return [row.model_dump(mode="json") for row in rows]


def _input_fields(draft: SegmentInput) -> dict[str, Any]:
    """The store's fields of a new segment: rows mean simple mode, with the condition generated unless given."""
    if draft.simple is not None:
        condition = draft.condition if draft.condition is not None else to_stof(draft.simple)
        mode, simple = "simple", _rows_json(draft.simple)
    else:
        assert draft.condition is not None  # SegmentInput requires one of the two
        condition, mode, simple = draft.condition, "advanced", None
    return {
        "name": draft.name,
        "description": draft.description,
        "condition": condition,
        "mode": mode,
        "simple": simple,
    }


def _changed_fields(current: Segment, changes: SegmentChanges) -> dict[str, Any]:
    """The store's changes for an edit (see ``SegmentChanges`` for how rows, condition and mode combine)."""
    given = changes.given()
    fields: dict[str, Any] = {}
    if "name" in given:
        fields["name"] = changes.name
    if "description" in given:
        fields["description"] = changes.description
    if changes.simple is not None:
        condition = changes.condition if changes.condition is not None else to_stof(changes.simple)
        fields.update(condition=condition, mode=changes.mode or "simple", simple=_rows_json(changes.simple))
    elif changes.condition is not None:
        if changes.mode == "simple":
            fields.update(condition=changes.condition, mode="simple", simple=_rows_of(changes.condition))
        else:
            fields.update(condition=changes.condition, mode="advanced", simple=None)
    elif changes.mode == "simple" and current.mode != "simple":
        fields.update(mode="simple", simple=_rows_of(current.condition))
    elif changes.mode == "advanced":
        fields.update(mode="advanced", simple=None)
    return fields


def _rows_of(condition: str) -> list[dict[str, Any]]:
    """The simple rows that generate ``condition``; ``SegmentInvalid`` with the reason when there are none."""
    rows = from_stof(condition)
    if isinstance(rows, NotSimple):
        message = f"cannot switch to simple mode: the condition {rows.reason}"
        raise SegmentInvalid(message, problems=[Problem(field="condition", message=message)], code="not_simple")
    return _rows_json(rows)
