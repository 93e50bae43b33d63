"""Notifications, deliveries, alerts and events (api.md §4, §5)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from segmentr.api.schemas.common import ApiModel, JsonObject, ListOf, Text

__all__ = [
    "AlertList",
    "AlertObject",
    "DeliveryAttemptObject",
    "DeliveryList",
    "DeliveryObject",
    "EventList",
    "EventObject",
    "NotificationCreate",
    "NotificationDeleted",
    "NotificationList",
    "NotificationObject",
    "NotificationTest",
    "NotificationTestResult",
    "NotificationUpdate",
    "UsagePointObject",
    "UsageSeriesObject",
]

EnvironmentChoice = Literal["test", "live", "both"]


class NotificationCreate(ApiModel):
    name: Text
    description: Text = ""
    environment: EnvironmentChoice = "both"
    events: list[Text] = Field(description="event types (product.md §5)")
    segment: Text | None = Field(default=None, description="a segment id (seg_…) or null")
    condition: Text | None = Field(default=None, description="Stof over `event` and `customer`, or null")
    channels: list[JsonObject] = Field(
        description='`{"type":"webhook","url","secret"?}` | `{"type":"email","to":[…]}` | `{"type":"slack","url"}` '
                    '| `{"type":"in_app"}`; a webhook without `secret` gets a new `whsec_…` one')
    enabled: bool = True


class NotificationUpdate(ApiModel):
    name: Text | None = None
    description: Text | None = None
    environment: EnvironmentChoice | None = None
    events: list[Text] | None = None
    segment: Text | None = None
    condition: Text | None = None
    channels: list[JsonObject] | None = Field(
        default=None, description="a webhook given without `secret` keeps the secret of the channel at its place")
    enabled: bool | None = None
    rotate_secrets: bool = Field(default=False, description="new webhook secrets; the old ones sign for 24 h")


class NotificationObject(BaseModel):
    object: Literal["notification"] = "notification"
    id: str
    name: str
    description: str
    environment: EnvironmentChoice
    events: list[str]
    segment: str | None
    condition: str | None
    channels: list[dict[str, Any]] = Field(description="webhook channels include their `secret`")
    enabled: bool
    version: int
    segment_deleted: bool
    created_at: int
    created_by: str | None
    updated_at: int
    updated_by: str | None
    error_count: int
    last_error: str | None


NotificationList = ListOf[NotificationObject]


class NotificationDeleted(BaseModel):
    object: Literal["notification"] = "notification"
    id: str
    deleted: Literal[True] = True


class NotificationTest(ApiModel):
    environment: Literal["test", "live"] | None = None
    customer: JsonObject | None = Field(default=None, description="the example customer of the test event")


class DeliveryAttemptObject(BaseModel):
    number: int
    at: int
    status: int | None
    duration_ms: float
    excerpt: str
    error: str | None


class DeliveryObject(BaseModel):
    object: Literal["delivery"] = "delivery"
    id: str
    webhook_id: str
    notification: str
    environment: str
    event: str
    event_type: str
    customer: str
    channel: int
    channel_type: str
    state: Literal["pending", "delivered", "failed"]
    attempts: list[DeliveryAttemptObject]
    next_attempt_at: int | None
    created_at: int
    updated_at: int


DeliveryList = ListOf[DeliveryObject]


class NotificationTestResult(BaseModel):
    object: Literal["list"] = "list"
    data: list[DeliveryObject]
    has_more: Literal[False] = False


class AlertObject(BaseModel):
    object: Literal["alert"] = "alert"
    id: str
    environment: str
    kind: Literal["notification", "endpoint_disabled"]
    state: Literal["new", "seen", "resolved"]
    title: str
    message: str
    customer: str
    event_type: str
    notification: str
    delivery: str | None
    detail: dict[str, Any] = Field(description="credit, entitlement, plan, previous, current, limit, remaining, "
                                               "overage, percent_of_limit, customer, event")
    created_at: int
    seen_at: int | None
    resolved_at: int | None


AlertList = ListOf[AlertObject]


class EventObject(BaseModel):
    object: Literal["event"] = "event"
    id: str
    environment: str
    customer: str
    type: str
    data: dict[str, Any]
    created_at: int


EventList = ListOf[EventObject]


class UsagePointObject(BaseModel):
    start: int = Field(description="the bucket's start, epoch ms")
    used: float = Field(description="metered in the bucket (the sum of each call's meter diff)")
    value: float | None = Field(description="the meter after the bucket's last call")
    limit: float | None
    calls: int


class UsageSeriesObject(BaseModel):
    object: Literal["usage_series"] = "usage_series"
    customer: str
    entitlement: str
    bucket: Literal["hour", "day"]
    since: int
    until: int
    points: list[UsagePointObject]
    truncated: bool = Field(description="more than 20 000 calls in the range: the oldest are left out")
