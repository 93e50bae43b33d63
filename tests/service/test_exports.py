"""The public faces of ``segmentr.segments`` and ``segmentr.service``: exactly these names, each importable."""

from __future__ import annotations

import pytest

import segmentr.segments as segments
import segmentr.service as service

SEGMENTS_PUBLIC = {
    "EXAMPLES", "MAX_CONDITION_BYTES", "MAX_NAME_CHARS", "TEMPLATES", "ChangePreview", "Count", "CreatedRow",
    "CustomerSource", "CustomerTypeRow", "EmailRow", "EvaluationResult", "MetadataRow", "NotSimple", "Page",
    "PlanRow", "Preview", "Problem", "SegmentDraft", "SegmentValidationError", "SegmentsError", "SimpleRow", "Template",
    "change_preview", "count", "evaluate", "evaluate_many", "from_stof", "members", "parse_rows", "preview",
    "segment_problems", "template", "to_stof", "validate_segment",
}  # fmt: skip
SERVICE_PUBLIC = {
    "Action", "ChangePreview", "Count", "Evaluation", "InvalidRequest", "NotInitialised", "Page",
    "PermissionDenied", "Preview", "SegmentChanges", "SegmentInput", "SegmentService", "SegmentUsage",
    "ServiceError", "Validation", "open_service", "open_store", "service_for",
    # Services and its domains, the actor context, authentication and idempotency
    "ENVIRONMENTS", "KEY_ROLES", "ROLES", "Actor", "ApiKey", "BatchItem", "CreatedKey", "CustomerDetail",
    "CustomerPage", "CustomerService", "EntitlementReading", "Idempotency", "InvitationGrant", "KeyService",
    "MemberService", "PolicyService", "PolicySummary", "Services", "SessionGrant", "StoredResponse",
    "TopupResult", "UsageRecord", "UsageResult", "fingerprint", "open_services", "permits",
    # pricing rules, price overrides and explained prices
    "PricingRuleDetail", "PricingService",
    # the edge: the request rate shared by every server process
    "RateLimits",
    # what the interfaces show of the layers below, and the editor's simple-mode helpers
    "Segment", "SegmentVersion", "SimpleRow", "Store", "Template", "condition_to_rows", "rows_to_condition",
    "templates",
    # notifications, their deliveries, alerts, the event log and the worker
    "AlertPage", "AlertService", "DeliveryPage", "EventPage", "EventService", "NotificationPage",
    "NotificationService", "NotificationView", "Worker", "WorkerSettings", "ALERT_STATES",
    "NOTIFICATION_EVENT_TYPES",
    # the dashboard's reports (customers, margin, usage, filtered by the active segment)
    "CustomerList", "CustomerReport", "CustomerSummary", "EntitlementUsage", "EventSummary", "GrantReading",
    "MarginPage", "MarginRow", "MarginTotals", "MeterReading", "ReportCache", "ReportService", "Rollup",
    "SegmentFilter", "SegmentMembership", "UsagePage", "UsageRow", "UsageSeries",
}  # fmt: skip


@pytest.mark.parametrize(("package", "public"), [(segments, SEGMENTS_PUBLIC), (service, SERVICE_PUBLIC)])
def test_all_is_exactly_the_public_face(package: object, public: set[str]) -> None:
    names = package.__all__  # type: ignore[attr-defined]
    assert set(names) == public and len(names) == len(public)
    for name in names:
        assert getattr(package, name) is not None


def test_service_error_tree() -> None:
    assert issubclass(service.PermissionDenied, service.ServiceError)
    assert issubclass(service.NotInitialised, service.ServiceError)
    assert issubclass(service.InvalidRequest, service.ServiceError)
    assert issubclass(service.InvalidRequest, ValueError)
