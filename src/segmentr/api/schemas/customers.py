"""Customers and usage (api.md §4): Limitr's customer format, usage decisions, batches, entitlements, topups."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from segmentr.api.schemas.common import ApiModel, ErrorDetail, JsonObject, ListOf, Text

__all__ = [
    "BatchError",
    "BatchRecord",
    "BatchRequest",
    "BatchResults",
    "CustomerImport",
    "CustomerInput",
    "CustomerList",
    "CustomerObject",
    "CustomerPatch",
    "EntitlementAnswer",
    "TopupAnswer",
    "TopupRequest",
    "UsageAnswer",
    "UsageCheck",
    "UsageRequest",
]

MAX_BATCH = 1000
# Limitr accepts a number or a quantity with a unit ("1.5GB", "30s"); NaN and the infinities are not numbers a
# meter can hold (nor JSON).
FiniteNumber = Annotated[float, Field(allow_inf_nan=False)]
UsageValue = FiniteNumber | Text


class CustomerInput(ApiModel):
    """One customer in Limitr's format; what is left out gets the format's default."""

    id: Text = Field(min_length=1, max_length=255)
    plan: Text | None = None
    type: Text | None = None
    label: Text | None = None
    metadata: JsonObject | None = None
    meters: JsonObject | None = None
    grants: JsonObject | None = None
    overrides: JsonObject | None = None
    caps: JsonObject | None = None
    alt_ids: list[Text] | None = None
    refs: list[Text] | None = None
    cloud_created: int | None = None
    cloud_updated: int | None = None


class CustomerPatch(ApiModel):
    """Change plan, type, label or metadata (a plan change goes through the policy engine)."""

    plan: Text | None = None
    type: Text | None = None
    label: Text | None = None
    metadata: JsonObject | None = None


class CustomerObject(BaseModel):
    """A customer as stored: Limitr's fields, ``cloud_created``/``cloud_updated``; ``margin`` on show."""

    model_config = ConfigDict(extra="allow")

    object: Literal["customer"] = "customer"
    id: str
    plan: str
    type: str
    label: str
    metadata: dict[str, Any] | None = None
    meters: dict[str, Any] = Field(default_factory=dict)
    grants: dict[str, Any] = Field(default_factory=dict)
    cloud_created: int | None = None
    cloud_updated: int | None = None
    margin: dict[str, Any] | None = None


class CustomerList(ListOf[CustomerObject]):
    pass


class CustomerImport(BaseModel):
    object: Literal["customer_import"] = "customer_import"
    count: int
    seconds: float


class UsageRequest(ApiModel):
    entitlement: Text = Field(min_length=1)
    value: UsageValue
    event_data: JsonObject | None = None
    overhead: FiniteNumber | None = None


class UsageCheck(ApiModel):
    entitlement: Text = Field(min_length=1)
    value: UsageValue
    overhead: FiniteNumber | None = None


class UsageAnswer(BaseModel):
    """The engine's decision and the meter after it, with the policy's events."""

    object: Literal["usage"] = "usage"
    allowed: bool
    value: float | None
    limit: float | None
    remaining: float | None
    events: list[dict[str, Any]]


class BatchRecord(ApiModel):
    customer: Text = Field(min_length=1)
    entitlement: Text = Field(min_length=1)
    value: UsageValue
    event_data: JsonObject | None = None
    idempotency_key: Text | None = Field(default=None, max_length=255)


class BatchRequest(ApiModel):
    records: list[BatchRecord] = Field(max_length=MAX_BATCH)


class BatchError(BaseModel):
    error: ErrorDetail


class BatchResults(BaseModel):
    object: Literal["usage_batch"] = "usage_batch"
    results: list[UsageAnswer | BatchError]


class EntitlementAnswer(BaseModel):
    object: Literal["entitlement"] = "entitlement"
    entitlement: str
    limit: float | None
    value: float | None
    percent: float | None
    remaining: float | None


class TopupRequest(ApiModel):
    topup: Text = Field(min_length=1)


class TopupAnswer(BaseModel):
    object: Literal["topup"] = "topup"
    topup: str
    grant: dict[str, Any]
    price: Any
