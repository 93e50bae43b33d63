"""Customers and usage (api.md §4, environment-scoped): list, create-or-replace, show, change, remove,
import and export, usage (the hot path: the route only translates), check, batch, entitlements, topups, margin."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import TypeAdapter
from starlette.concurrency import run_in_threadpool

from segmentr import errors
from segmentr.api.deps import (
    CustomersDep,
    Environment,
    SegmentsDep,
    authenticate,
    require_credentials,
    run_authenticated,
)
from segmentr.api.errors import request_id_of, tree_error_detail
from segmentr.api.idempotency import (
    IDEMPOTENCY_HEADER,
    REPLAYED_HEADER,
    IdempotencyKey,
    IdempotentRoute,
    keyed_in_service,
    request_fingerprint,
)
from segmentr.api.openapi import errors as error_responses
from segmentr.api.responses import model_response
from segmentr.api.schemas.common import MAX_LIMIT, Text
from segmentr.api.schemas.customers import (
    BatchError,
    BatchRequest,
    BatchResults,
    CustomerImport,
    CustomerInput,
    CustomerList,
    CustomerObject,
    CustomerPatch,
    EntitlementAnswer,
    TopupAnswer,
    TopupRequest,
    UsageAnswer,
    UsageCheck,
    UsageRequest,
)
from segmentr.service import Actor, BatchItem, Services, UsageRecord, UsageResult

__all__ = ["router"]

router = APIRouter(tags=["customers"], route_class=IdempotentRoute, dependencies=[Depends(authenticate)])
# Every usage route authenticates; ``record_usage`` (the hot path) does it in its own thread-pool hop rather
# than as a dependency of its own, so the router declares it per route.
usage_router = APIRouter(tags=["usage"], route_class=IdempotentRoute)
AUTHENTICATED = [Depends(authenticate)]

CustomerId = Annotated[Text, "the customer's own id"]
IMPORT_CHUNK = 1024 * 1024
IMPORT_FORMATS = {"text/csv": "csv", "application/x-ndjson": "jsonl", "application/jsonl": "jsonl"}


def customer_object(customer: dict[str, Any], margin: dict[str, Any] | None = None) -> CustomerObject:
    return CustomerObject.model_validate({**customer, "margin": margin})


def usage_answer(result: UsageResult) -> UsageAnswer:
    return UsageAnswer(
        allowed=result.allowed, value=result.value, limit=result.limit, remaining=result.remaining,
        events=result.events,
    )


@router.get("/v1/{environment}/customers", operation_id="list_customers", response_model=CustomerList,
            responses=error_responses(404))
def list_customers(
    environment: Environment,
    customers: CustomersDep,
    segments: SegmentsDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    starting_after: Annotated[Text | None, Query()] = None,
    segment: Annotated[Text | None, Query(description="only this segment's members (id)")] = None,
    active_segment: Annotated[bool, Query(description="only the caller's active segment's members")] = False,
    plan: Annotated[Text | None, Query()] = None,
    q: Annotated[Text | None, Query(description="id, label or email prefix")] = None,
) -> CustomerList:
    """Customers in id order, keyset-paged; filtered by a segment, plan or prefix."""
    if active_segment:
        active = segments.active_segment()
        if active is None:
            raise errors.InvalidInput(
                "you have no active segment", problems=[errors.Problem(field="active_segment", message="none set")]
            )
        segment = active.id
    page = customers.list(environment, segment=segment, plan=plan, q=q, starting_after=starting_after, limit=limit)
    return CustomerList(data=[customer_object(c) for c in page.data], has_more=page.has_more)


@router.post("/v1/{environment}/customers", operation_id="put_customer", response_model=CustomerObject,
             responses=error_responses(404, 409), status_code=200)
def put_customer(environment: Environment, body: CustomerInput, customers: CustomersDep, response: Response) -> CustomerObject:
    """Create the customer, or replace it whole (201 when created, 200 when replaced)."""
    saved, created = customers.put(environment, body.model_dump(exclude_none=True))
    response.status_code = 201 if created else 200
    return customer_object(saved)


@router.post("/v1/{environment}/customers/import", operation_id="import_customers", response_model=CustomerImport,
             responses=error_responses(404),
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/x-ndjson": {"schema": {"type": "string"}},
                 "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
                 "text/csv": {"schema": {"type": "string"}},
             }}})  # fmt: skip
async def import_customers(
    environment: Environment,
    request: Request,
    customers: CustomersDep,
    format: Annotated[Literal["jsonl", "json", "csv"] | None, Query(description="default: from Content-Type")] = None,
) -> CustomerImport:
    """JSON lines, a JSON array or CSV (up to 10 MiB, streamed to a temporary file): all or nothing."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    fmt = format or IMPORT_FORMATS.get(content_type) or ("json" if content_type == "application/json" else None)
    handle, path = tempfile.mkstemp(prefix="segmentr-import-", suffix=f".{fmt or 'jsonl'}")
    try:
        with os.fdopen(handle, "wb") as spool:
            async for chunk in request.stream():
                await run_in_threadpool(spool.write, chunk)
        result = await run_in_threadpool(customers.import_file, environment, path, fmt=fmt)
    finally:
        os.unlink(path)
    return CustomerImport(count=result.count, seconds=round(result.seconds, 3))


@router.get("/v1/{environment}/customers/export", operation_id="export_customers",
            responses={**error_responses(404), 200: {"content": {"application/x-ndjson": {}, "text/csv": {}},
                                                      "description": "the customers, streamed"}})  # fmt: skip
def export_customers(
    environment: Environment,
    customers: CustomersDep,
    format: Annotated[Literal["jsonl", "csv"], Query()] = "jsonl",
    segment: Annotated[Text | None, Query(description="only this segment's members")] = None,
) -> StreamingResponse:
    """Every customer (or a segment's members) in id order, streamed; what ``import`` reads back."""
    chunks = customers.export(environment, fmt=format, segment=segment)
    first = next(chunks, "")  # errors (a missing segment) before the 200 is sent

    def stream() -> Iterator[str]:
        yield first
        yield from chunks

    media = "text/csv" if format == "csv" else "application/x-ndjson"
    return StreamingResponse(stream(), media_type=media,
                             headers={"Content-Disposition": f'attachment; filename="customers-{environment}.{format}"'})


@router.get("/v1/{environment}/customers/{customer_id}", operation_id="get_customer", response_model=CustomerObject,
            responses=error_responses(404))
def get_customer(environment: Environment, customer_id: CustomerId, customers: CustomersDep) -> CustomerObject:
    """The customer with meters, grants and its margin snapshot."""
    detail = customers.get(environment, customer_id)
    return customer_object(detail.customer, detail.margin)


@router.patch("/v1/{environment}/customers/{customer_id}", operation_id="update_customer",
              response_model=CustomerObject, responses=error_responses(404))
def update_customer(
    environment: Environment, customer_id: CustomerId, body: CustomerPatch, customers: CustomersDep
) -> CustomerObject:
    return customer_object(customers.patch(environment, customer_id, body.model_dump(exclude_unset=True)))


@router.delete("/v1/{environment}/customers/{customer_id}", operation_id="delete_customer",
               responses=error_responses(404))
def delete_customer(environment: Environment, customer_id: CustomerId, customers: CustomersDep) -> dict[str, Any]:
    customers.remove(environment, customer_id)
    return {"object": "customer", "id": customer_id, "deleted": True}


@router.get("/v1/{environment}/customers/{customer_id}/entitlements/{name}", operation_id="get_entitlement",
            response_model=EntitlementAnswer, responses=error_responses(404))
def get_entitlement(environment: Environment, customer_id: CustomerId, name: Text, customers: CustomersDep) -> EntitlementAnswer:
    reading = customers.entitlement(environment, customer_id, name)
    return EntitlementAnswer(entitlement=reading.entitlement, limit=reading.limit, value=reading.value,
                             percent=reading.percent, remaining=reading.remaining)  # fmt: skip


@router.post("/v1/{environment}/customers/{customer_id}/topups", operation_id="topup_customer",
             response_model=TopupAnswer, responses=error_responses(404))
def topup(environment: Environment, customer_id: CustomerId, body: TopupRequest, customers: CustomersDep) -> TopupAnswer:
    """Grant a topup of the customer's plan; the answer says the price charged (the effective price)."""
    result = customers.topup(environment, customer_id, body.topup)
    return TopupAnswer(topup=result.topup, grant=result.grant, price=result.price)


@router.get("/v1/{environment}/customers/{customer_id}/margin", operation_id="get_margin",
            response_model=dict[str, Any] | None, responses=error_responses(404))
def margin(environment: Environment, customer_id: CustomerId, customers: CustomersDep) -> dict[str, Any] | None:
    """Revenue, cost and margin of this period, priced with effective prices."""
    return customers.margin(environment, customer_id)


# ---------------------------------------------------------------------- usage: the hot path


@usage_router.post("/v1/{environment}/customers/{customer_id}/usage", operation_id="record_usage",
                   response_model=UsageAnswer, responses=error_responses(404, 409),
                   dependencies=[Depends(require_credentials)])
@keyed_in_service
async def record_usage(
    environment: Environment,
    customer_id: CustomerId,
    body: UsageRequest,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Meter through the policy engine (``allow``), atomically; under an ``Idempotency-Key`` the meter and the
    kept answer commit together, so a retry replays and never meters twice."""

    def meter(services: Services, actor: Actor) -> Response:
        result = services.customers(actor).record_usage(
            environment, customer_id, body.entitlement, body.value, event_data=body.event_data,
            overhead=body.overhead, idempotency_key=idempotency_key,
        )
        return model_response(usage_answer(result), headers={REPLAYED_HEADER: "true"} if result.replayed else None)

    return await run_authenticated(request, meter)


@usage_router.post("/v1/{environment}/customers/{customer_id}/usage/check", operation_id="check_usage",
                   response_model=UsageAnswer, responses=error_responses(404), dependencies=AUTHENTICATED)
def check_usage(environment: Environment, customer_id: CustomerId, body: UsageCheck, customers: CustomersDep) -> Response:
    """The decision ``usage`` would take now; nothing changes."""
    return model_response(usage_answer(customers.check_usage(environment, customer_id, body.entitlement, body.value,
                                                             overhead=body.overhead)))  # fmt: skip


async def _keyed_body(request: Request) -> bytes | None:
    """The raw body (already read to parse it) of a call under an ``Idempotency-Key``: its fingerprint."""
    return await request.body() if IDEMPOTENCY_HEADER in request.headers else None


@usage_router.post("/v1/{environment}/usage/batch", operation_id="record_usage_batch", response_model=BatchResults,
                   responses=error_responses(404, 409), dependencies=AUTHENTICATED)
@keyed_in_service
def usage_batch(
    environment: Environment,
    body: BatchRequest,
    customers: CustomersDep,
    request: Request,
    raw: Annotated[bytes | None, Depends(_keyed_body)],
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Up to 1 000 usage records in one transaction, answered in order; a record's failure is its own. Under an
    ``Idempotency-Key`` the whole call is kept with the batch (same transaction): a retry replays its bytes."""
    records = [UsageRecord(r.customer, r.entitlement, r.value, r.event_data, r.idempotency_key) for r in body.records]
    request_id = request_id_of(request)

    def answer(items: list[BatchItem]) -> bytes:
        # Serialised here (``BatchResults`` still documents it): FastAPI's response model would validate 1 000
        # answers and their events again and serialise their free-form payloads by type inference, ~4x the work.
        return _json_bytes({"object": "usage_batch", "results": [_batch_result(item, request_id) for item in items]})

    if idempotency_key is None or raw is None:
        return Response(answer(customers.batch_usage(environment, records)), media_type="application/json")
    # The kept body is the answer's exact text (one JSON string), so a replay sends the first call's bytes:
    # its records' errors keep the first request's id; the replay's own id is only in its ``Request-Id``.
    kept = customers.batch_usage_keyed(
        environment, records, idempotency_key=idempotency_key, request=request_fingerprint(request, raw),
        answer=lambda items: answer(items).decode("utf-8"),
    )
    return Response(kept.body.encode("utf-8"), media_type="application/json",
                    headers={REPLAYED_HEADER: "true"} if kept.replayed else None)


def _batch_result(item: BatchItem, request_id: str) -> dict[str, Any]:
    """One record's answer as ``UsageAnswer`` or ``BatchError`` would serialise it."""
    result = item.result
    if result is None:
        error = item.error or errors.InvalidInput("not processed")
        return BatchError.model_validate({"error": tree_error_detail(error, request_id)[1]}).model_dump(mode="json")
    return {
        "object": "usage", "allowed": result.allowed, "value": _float(result.value), "limit": _float(result.limit),
        "remaining": _float(result.remaining), "events": result.events,
    }


def _float(value: float | None) -> float | None:
    """As the models' ``float | None`` fields: an integral meter (``5`` from an import) answers ``5.0``."""
    return None if value is None else float(value)


def _json_bytes(content: Any) -> bytes:
    """orjson (non-finite numbers as null, like pydantic); an integer past 64 bits falls back to pydantic."""
    try:
        return orjson.dumps(content)
    except TypeError:
        return _ANY.dump_json(content)


_ANY: TypeAdapter[Any] = TypeAdapter(Any)
