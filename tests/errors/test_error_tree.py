"""One error tree: every package's root derives from ``SegmentrError``, each error has a stable code, and a
validation problem has one shape wherever it is found."""

from __future__ import annotations

from pathlib import Path

import pytest

from segmentr import errors
from segmentr.policy import Policy, PolicyDocumentError, PolicyError
from segmentr.segments import SegmentsError, SegmentValidationError, segment_problems
from segmentr.service import InvalidRequest, NotInitialised, PermissionDenied, ServiceError
from segmentr.stof import StofError, StofSyntaxError, compile
from segmentr.store import (
    AlreadyExists,
    DatabaseError,
    ImportFailed,
    InvalidData,
    NoPolicy,
    NotFound,
    SegmentInvalid,
    Store,
    StoreError,
)


@pytest.mark.parametrize("root", [StofError, PolicyError, SegmentsError, StoreError, ServiceError])
def test_every_package_root_derives_from_segmentr_error(root: type) -> None:
    assert issubclass(root, errors.SegmentrError)


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (NotFound, errors.NotFound),
        (NoPolicy, errors.NotFound),
        (AlreadyExists, errors.Conflict),
        (InvalidData, errors.InvalidInput),
        (ImportFailed, errors.ImportInvalid),
        (SegmentInvalid, errors.InvalidInput),
        (DatabaseError, errors.Unavailable),
        (PermissionDenied, errors.PermissionDenied),
        (InvalidRequest, errors.InvalidInput),
        (NotInitialised, errors.NotInitialised),
        (StofSyntaxError, errors.ConditionInvalid),
        (PolicyDocumentError, errors.PolicyInvalid),
        (SegmentValidationError, errors.InvalidInput),
        (errors.EnvironmentMismatch, errors.PermissionDenied),
        (errors.IdempotencyKeyReused, errors.Conflict),
    ],
)
def test_package_errors_are_shared_kinds(error: type, kind: type) -> None:
    assert issubclass(error, kind)


def test_codes_are_the_api_codes() -> None:
    assert errors.EnvironmentMismatch.code == "environment_mismatch"
    assert errors.IdempotencyKeyReused.code == "idempotency_key_reused"
    assert errors.SegmentInUse.code == "segment_in_use"
    assert errors.PriorityTaken.code == "priority_taken"
    assert errors.NotSimple("reads meters").code == "not_simple"
    with pytest.raises(StofSyntaxError) as caught:
        compile("customer.plan ==")
    assert caught.value.code == "condition_invalid"
    problem = caught.value.problems[0]
    assert (problem.field, problem.severity) == ("condition", "error")
    assert problem.line == 1 and problem.column is not None and problem.end_column is not None


def test_a_save_and_a_validate_report_the_same_problems(tmp_path: Path) -> None:
    condition = "customer.plan ==\n"
    validated, _warnings = segment_problems(" padded", None, condition, "advanced", None)
    with Store(f"sqlite:///{tmp_path / 'db.sqlite'}") as store:
        workspace = store.init()
        with pytest.raises(SegmentInvalid) as refused:
            store.create_segment(workspace.id, name=" padded", condition=condition, mode="advanced")
    assert refused.value.problems == validated
    assert refused.value.code == "condition_invalid"
    assert {p.field for p in refused.value.problems} == {"name", "condition"}


def test_policy_problems_carry_their_json_path() -> None:
    with pytest.raises(PolicyDocumentError) as caught:
        Policy.from_document({"policy": {"credits": {"tok": {"overhead_cost": -1}}}})
    assert caught.value.code == "policy_invalid"
    assert [(p.field, p.message) for p in caught.value.problems] == [("credits.tok.overhead_cost", "must be >= 0")]
