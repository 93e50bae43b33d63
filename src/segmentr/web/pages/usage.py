"""Usage: per-entitlement usage against limits over the active segment (the totals table and a chart of how
close customers are to their limits, loaded after the page), a keyset-paged table of the customers' usage of one
entitlement, and usage over time where the event log provides it."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from segmentr import errors

from ..rendering import render
from ..signed_in import viewer
from ..templating import templates
from .data_views import clock, figure, fragment_requested, list_query, percent, plain, reports

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25
RESULTS = "usage-results"


def _chosen(request: Request, names: list[str]) -> str | None:
    asked = request.query_params.get("entitlement")
    return asked if asked in names else (names[0] if names else None)


@router.get("/usage", name="usage_page")
def usage_page(request: Request) -> Response:
    seen = viewer(request)
    report = reports(seen)
    entitlements = report.entitlements(seen.environment)
    names = [name for name, _ in entitlements]
    chosen = _chosen(request, names)
    query = list_query(request, "/usage", "entitlement")
    if chosen:  # the entitlement shown (the first when none or an unknown one was asked) stays in the links
        query = dataclasses.replace(query, extra=(("entitlement", chosen),))
    listing = None
    rows: list[dict[str, Any]] = []
    if chosen is not None:
        listing = report.usage_page(seen.environment, chosen, search=query.q or None, after=query.after,
                                    limit=PAGE_SIZE)  # fmt: skip
        rows = [{"row": row, "value": plain(row.reading.value) if row.reading else None,
                 "limit": plain(row.reading.limit) if row.reading else None} for row in listing.rows]  # fmt: skip
    context: dict[str, Any] = {"listing": listing, "rows": rows, "query": query, "chosen": chosen,
                               "units": dict(entitlements)}  # fmt: skip
    context["fragment"] = fragment_requested(request, RESULTS)
    if context["fragment"]:
        return render(templates, request, "_usage_results.html", context=context)
    context.update(entitlements=entitlements)
    layout = seen.layout("Usage", "usage", active=report.active_segment())
    return render(templates, request, "usage.html", layout=layout, context=context)


@router.get("/usage/totals", name="usage_totals")
def usage_totals(request: Request) -> Response:
    """Usage against limits per entitlement, with the chart: a fragment loaded after the page."""
    seen = viewer(request)
    try:
        rollup = reports(seen).rollup(seen.environment)
    except errors.NotFound:
        rollup = None
    usage = rollup.usage if rollup else []
    rows = [{"usage": item, "used": figure(item.used), "limit": figure(item.limit_total) if item.limited else "—",
             "share": percent(item.used_limited / item.limit_total * 100) if item.limit_total else "—",
             "top": [{"id": cid, "value_number": plain(value), "limit_number": plain(limit)}
                     for cid, value, limit, _ in item.top]} for item in usage]  # fmt: skip
    chart = {
        "x_kind": "number", "x_label": "Share of the limit used (%)", "x_suffix": " %", "y_label": "Customers",
        "x": [bucket * 10 for bucket in range(11)],
        "series": [{"label": item.entitlement, "values": item.distribution} for item in usage if item.limited],
    }  # fmt: skip
    chosen = request.query_params.get("entitlement")
    nearest = next((row for row in rows if row["usage"].entitlement == chosen), rows[0] if rows else None)
    context = {"rollup": rollup, "rows": rows, "chart": chart, "chosen": chosen, "nearest": nearest,
               "as_of": clock(rollup.computed_at) if rollup else None}  # fmt: skip
    return render(templates, request, "_usage_totals.html", context=context)


@router.get("/usage/over-time", name="usage_over_time")
def usage_over_time(request: Request) -> Response:
    """Usage of one entitlement per day over the last 30 days (the event log): a fragment loaded after the page."""
    seen = viewer(request)
    report = reports(seen)
    entitlement = request.query_params.get("entitlement") or ""
    units = dict(report.entitlements(seen.environment))
    series = report.usage_over_time(seen.environment, entitlement) if entitlement in units else None
    context = {
        "series": series, "entitlement": entitlement, "unit": units.get(entitlement),
        "total": figure(sum(series.values)) if series else "0", "active": report.active_segment() is not None,
    }
    return render(templates, request, "_usage_over_time.html", context=context)
