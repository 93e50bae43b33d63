"""The application's use cases over the store and the engines: what the CLI and the coming HTTP API call.

``SegmentService`` is one workspace's segments as one member acts on them (create, list, show, edit, delete,
history, restore, validate, evaluate, members, count, preview, change preview, the member's active segment),
with the roles of product.md §2 enforced (``PermissionDenied``). ``open_store`` / ``open_service`` open the
configured database. Store errors (``NotFound``, ``AlreadyExists``, ``SegmentInvalid``…) pass through unchanged.
"""

from segmentr.segments import ChangePreview, Count, Page, Preview
from segmentr.service.access import Action
from segmentr.service.errors import InvalidRequest, NotInitialised, PermissionDenied, ServiceError
from segmentr.service.factory import open_service, open_store, service_for
from segmentr.service.models import Evaluation, SegmentChanges, SegmentInput, SegmentUsage, Validation
from segmentr.service.segments import SegmentService

__all__ = [
    "Action",
    "ChangePreview",
    "Count",
    "Evaluation",
    "InvalidRequest",
    "NotInitialised",
    "Page",
    "PermissionDenied",
    "Preview",
    "SegmentChanges",
    "SegmentInput",
    "SegmentService",
    "SegmentUsage",
    "ServiceError",
    "Validation",
    "open_service",
    "open_store",
    "service_for",
]
