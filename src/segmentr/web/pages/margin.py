"""Margin: per-customer revenue, cost and margin of this period (a keyset-paged table, searched like Customers)
and, loaded after the page, the totals over the active segment with a chart of how margins spread."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from segmentr.service import MarginRow

from ..rendering import render
from ..signed_in import viewer
from ..templating import templates
from .data_views import clock, fragment_requested, list_query, money, percent, reports

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25
RESULTS = "margin-results"


def margin_tone(margin: float | None, revenue: float) -> str:
    if margin is None:
        return "neutral"
    if revenue <= 0:
        return "neutral"
    return "danger" if margin < 0 else ("warning" if margin < 20 else "success")


def margin_view(row: MarginRow) -> dict[str, Any]:
    return {"row": row, "revenue": money(row.revenue), "cost": money(row.cost),
            "margin": "no revenue" if row.revenue <= 0 and row.margin is not None else percent(row.margin),
            "tone": margin_tone(row.margin, row.revenue)}  # fmt: skip


@router.get("/margin", name="margin_page")
def margin_page(request: Request) -> Response:
    seen = viewer(request)
    query = list_query(request, "/margin")
    report = reports(seen)
    listing = report.margin_page(seen.environment, search=query.q or None, after=query.after, limit=PAGE_SIZE)
    context: dict[str, Any] = {"listing": listing, "rows": [margin_view(row) for row in listing.rows], "query": query}
    context["fragment"] = fragment_requested(request, RESULTS)
    if context["fragment"]:
        return render(templates, request, "_margin_results.html", context=context)
    layout = seen.layout("Margin", "margin", active=report.active_segment())
    return render(templates, request, "margin.html", layout=layout, context=context)


@router.get("/margin/totals", name="margin_totals")
def margin_totals(request: Request) -> Response:
    """The totals, the chart and the lowest margins: a fragment loaded after the page."""
    seen = viewer(request)
    rollup = reports(seen).rollup(seen.environment)
    totals = rollup.margin
    chart = {
        "x_kind": "number", "bars": True, "x_label": "Margin (%)", "x_suffix": " %", "y_label": "Customers",
        "x": [lower for lower, _ in totals.buckets],
        "series": [{"label": "Customers", "values": [count for _, count in totals.buckets]}],
    }  # fmt: skip
    context = {
        "rollup": rollup, "totals": totals, "chart": chart, "as_of": clock(rollup.computed_at),
        "revenue": money(totals.revenue), "cost": money(totals.cost), "margin": percent(totals.margin),
        "profit": money(totals.revenue - totals.cost), "lowest": [margin_view(row) for row in totals.lowest],
        "buckets": [(f"{lower} % to {lower + 10} %", count) for lower, count in totals.buckets],
    }  # fmt: skip
    return render(templates, request, "_margin_totals.html", context=context)
