"""Customers: the list (filtered by the active segment, keyset-paged, searched by id, name or email; htmx swaps
the results as one types) and the detail (meters against limits, grants, margin snapshot, segments)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from segmentr import errors

from ..rendering import render
from ..signed_in import viewer
from ..templating import templates
from .data_views import day, figure, fragment_requested, list_query, money, percent, plain, reports

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25
RESULTS = "customer-results"


@router.get("/customers", name="customers_page")
def customers_page(request: Request) -> Response:
    seen = viewer(request)
    query = list_query(request, "/customers")
    report = reports(seen)
    listing = report.customers(seen.environment, search=query.q or None, after=query.after, limit=PAGE_SIZE)
    rows = [{"row": row, "created": day(row.created)} for row in listing.rows]
    context: dict[str, Any] = {"listing": listing, "rows": rows, "query": query}
    context["fragment"] = fragment_requested(request, RESULTS)
    if context["fragment"]:
        return render(templates, request, "_customer_results.html", context=context)
    layout = seen.layout("Customers", "customers", active=report.active_segment())
    return render(templates, request, "customers.html", layout=layout, context=context)


@router.get("/customer-count", name="customers_count")
def customers_count(request: Request) -> Response:
    """How many customers the list holds (the active segment's count): a fragment loaded after the page."""
    seen = viewer(request)
    try:
        number = reports(seen).member_count(seen.environment)
    except errors.SegmentrError:
        return HTMLResponse('<span class="muted">—</span>')
    word = "customer" if number == 1 else "customers"
    return HTMLResponse(f'<span data-customer-count="{number}">{number:,} {word}</span>')


def meter_numbers(meter: Any) -> dict[str, Any]:
    """A meter's value and limit as the progress bar shows them (whole numbers without a decimal point)."""
    return {"meter": meter, "value": plain(meter.value), "limit": plain(meter.limit)}


@router.get("/customers/{customer_id:path}", name="customer_page")
def customer_page(request: Request, customer_id: str) -> Response:
    seen = viewer(request)
    report = reports(seen)
    active = report.active_segment()
    try:
        detail = report.customer(seen.environment, customer_id)
    except errors.NotFound:
        layout = seen.layout("Customer not found", "customers", active=active)
        return render(templates, request, "customer_missing.html", layout=layout, status_code=404,
                      context={"customer_id": customer_id})  # fmt: skip
    customer = detail.customer
    metadata = customer.get("metadata")
    email = metadata.get("email") if isinstance(metadata, dict) else None
    margin = detail.margin
    context: dict[str, Any] = {
        "detail": detail,
        "customer": customer,
        "email": email if isinstance(email, str) else None,
        "created": day(customer.get("cloud_created")),
        "updated": day(customer.get("cloud_updated")),
        "meters": [meter_numbers(meter) for meter in detail.meters],
        "grants": [{"grant": grant, "value": figure(grant.value), "start": figure(grant.starting_value),
                    "granted": day(grant.granted_on), "expires": day(grant.expires_on)} for grant in detail.grants],
        "margin": margin,
        "margin_figures": None if margin is None else {
            "revenue": money(margin["revenue"]), "cost": money(margin["cost"]), "margin": percent(margin["margin"]),
            "entitlements": [{"name": name, "revenue": money(item["revenue"]), "cost": money(item["cost"]),
                              "margin": percent(item["margin"])} for name, item in margin["entitlements"].items()],
        },
        "metadata_json": json.dumps(metadata, indent=2, ensure_ascii=False, sort_keys=True) if metadata else None,
    }  # fmt: skip
    context["events"] = report.recent_events(seen.environment, customer_id)
    context["event_times"] = [day(event.at) for event in context["events"]]
    title = customer.get("label") or customer["id"]
    layout = seen.layout(title, "customers", active=active)
    return render(templates, request, "customer_detail.html", layout=layout, context=context)
