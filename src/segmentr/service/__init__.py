"""The application's use cases over the store and the engines: what the CLI, the HTTP API and the dashboard call.

``Services(store)`` is built once per process: it authenticates (API keys, sessions, invitations) into an
``Actor`` and hands out one service per domain acting as it — ``SegmentService`` (segments, evaluation,
membership), ``CustomerService`` (customers, usage with idempotency, export), ``PolicyService``,
``MemberService``, ``KeyService``, ``PricingService`` (pricing rules, price overrides, explained prices) and
``ReportService`` (the dashboard's data pages) — with the roles of product.md §2 enforced (``access.py``,
one table).
Each use case runs in one unit of work. ``open_store`` / ``open_services`` open the configured database.
Errors are ``segmentr.errors`` kinds (``NotFound``, ``PermissionDenied``, ``EnvironmentMismatch``…).
"""

# What the interfaces show of the layers below: records and models the use cases take and return.
from segmentr.segments import ChangePreview, Count, Page, Preview, SimpleRow, Template
from segmentr.service.access import Action, permits
from segmentr.service.auth import SessionGrant
from segmentr.service.context import ENVIRONMENTS, KEY_ROLES, ROLES, Actor
from segmentr.service.customers import (
    BatchItem,
    CustomerDetail,
    CustomerPage,
    CustomerService,
    EntitlementReading,
    TopupResult,
    UsageRecord,
    UsageResult,
)
from segmentr.service.errors import InvalidRequest, NotInitialised, PermissionDenied, ServiceError
from segmentr.service.factory import open_service, open_services, open_store, service_for
from segmentr.service.idempotency import Idempotency, StoredResponse, fingerprint
from segmentr.service.keys import ApiKey, CreatedKey, KeyService
from segmentr.service.members import InvitationGrant, MemberService
from segmentr.service.models import Evaluation, SegmentChanges, SegmentInput, SegmentUsage, Validation
from segmentr.service.notifications import (
    ALERT_STATES,
    NOTIFICATION_EVENT_TYPES,
    AlertPage,
    AlertService,
    DeliveryPage,
    EventPage,
    EventService,
    NotificationPage,
    NotificationService,
    NotificationView,
)
from segmentr.service.policies import PolicyService, PolicySummary
from segmentr.service.pricing import PricingRuleDetail, PricingService
from segmentr.service.rate_limits import RateLimits
from segmentr.service.reports import (
    CustomerList,
    CustomerReport,
    CustomerSummary,
    EntitlementUsage,
    EventSummary,
    GrantReading,
    MarginPage,
    MarginRow,
    MarginTotals,
    MeterReading,
    ReportCache,
    ReportService,
    Rollup,
    SegmentFilter,
    SegmentMembership,
    UsagePage,
    UsageRow,
    UsageSeries,
)
from segmentr.service.segments import SegmentService
from segmentr.service.services import Services
from segmentr.service.simple_mode import condition_to_rows, rows_to_condition, templates
from segmentr.service.worker import Worker, WorkerSettings
from segmentr.store import Segment, SegmentVersion, Store

__all__ = [
    "ALERT_STATES",
    "ENVIRONMENTS",
    "KEY_ROLES",
    "NOTIFICATION_EVENT_TYPES",
    "ROLES",
    "Action",
    "Actor",
    "AlertPage",
    "AlertService",
    "ApiKey",
    "BatchItem",
    "ChangePreview",
    "Count",
    "CreatedKey",
    "CustomerDetail",
    "CustomerList",
    "CustomerPage",
    "CustomerReport",
    "CustomerService",
    "CustomerSummary",
    "DeliveryPage",
    "EntitlementReading",
    "EntitlementUsage",
    "Evaluation",
    "EventPage",
    "EventService",
    "EventSummary",
    "GrantReading",
    "Idempotency",
    "InvalidRequest",
    "InvitationGrant",
    "KeyService",
    "MarginPage",
    "MarginRow",
    "MarginTotals",
    "MemberService",
    "MeterReading",
    "NotInitialised",
    "NotificationPage",
    "NotificationService",
    "NotificationView",
    "Page",
    "PermissionDenied",
    "PolicyService",
    "PolicySummary",
    "Preview",
    "PricingRuleDetail",
    "PricingService",
    "RateLimits",
    "ReportCache",
    "ReportService",
    "Rollup",
    "Segment",
    "SegmentChanges",
    "SegmentFilter",
    "SegmentInput",
    "SegmentMembership",
    "SegmentService",
    "SegmentUsage",
    "SegmentVersion",
    "ServiceError",
    "Services",
    "SessionGrant",
    "SimpleRow",
    "Store",
    "StoredResponse",
    "Template",
    "TopupResult",
    "UsagePage",
    "UsageRecord",
    "UsageResult",
    "UsageRow",
    "UsageSeries",
    "Validation",
    "Worker",
    "WorkerSettings",
    "condition_to_rows",
    "fingerprint",
    "open_service",
    "open_services",
    "open_store",
    "permits",
    "rows_to_condition",
    "service_for",
    "templates",
]
