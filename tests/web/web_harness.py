"""The test app for the dashboard's foundation: the web router, the layout's pages and a page hosting the
condition editor, with a validate endpoint answering exactly like ``POST /v1/segments/validate``.

The validate endpoint calls the real checker (``segmentr.stof.check``); the completion vocabulary is a fixed
document of the shape the server side will fill from the host schema (docs/internal/dashboard.md).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel

from segmentr import web
from segmentr.stof import check

TEMPLATES = Path(__file__).resolve().parent / "templates"
SLOW_MARKER = "/*slow*/"  # a condition containing it is answered late: the editor must drop that answer

VOCABULARY: dict[str, Any] = {
    "variables": [
        {
            "name": "customer",
            "doc": "The customer being evaluated.",
            "fields": [
                {"name": name, "doc": doc}
                for name, doc in (
                    ("id", "The customer's id."),
                    ("plan", "The plan the customer is on."),
                    ("type", "user, org or a custom type."),
                    ("label", "A display name."),
                    ("meters", "Usage meters by entitlement name."),
                    ("grants", "Credit grants."),
                    ("metadata", "Free-form metadata (also `data`)."),
                    ("cloud_created", "Created at, epoch ms."),
                    ("cloud_updated", "Last updated at, epoch ms."),
                )
            ],
        },
        {"name": "policy", "doc": "The live policy of the customer's environment."},
        {"name": "data", "doc": "Alias of customer.metadata."},
    ],
    "methods": [
        {"name": "entitlement", "params": ["customer_id", "name"], "doc": "The entitlement of the customer's plan."},
        {"name": "limit", "params": ["customer_id", "name", "raw?"], "doc": "The limit of an entitlement."},
        {"name": "value", "params": ["customer_id", "name", "percent?", "raw?"], "doc": "A meter's current value."},
        {"name": "customer_local_margin_breakdown", "arity": 1, "doc": "Revenue, cost and margin now."},
    ],
    "plans": ["free", "starter", "growth", "enterprise"],
    "entitlements": ["api_calls", "seats", "storage_gb"],
    "metadata_keys": ["email", "billing_tier", "account_manager"],
    "libraries": {"Time": [{"name": "now", "params": [], "doc": "Now, in ms."}]},
}


class ValidateBody(BaseModel):
    condition: str


def create_harness_app() -> FastAPI:
    templates = web.create_templates(TEMPLATES)
    app = FastAPI()
    app.include_router(web.router())

    def layout(request: Request, title: str, section: str | None, **extra: Any) -> web.Layout:
        return web.Layout(
            title=title,
            workspace="Acme Analytics",
            environment=web.current_environment(request),
            section=section,
            member=web.MemberView(email="ada@acme.io", name="Ada Lovelace", role="owner"),
            **extra,
        )

    @app.get("/", response_class=HTMLResponse)
    def overview(request: Request) -> HTMLResponse:
        return web.render(
            templates,
            request,
            "design_overview.html",
            layout=layout(
                request,
                "Customers",
                "customers",
                active_segment=web.ActiveSegmentView("seg_growth", "Growth orgs", "/segments/seg_growth/active"),
            ),
        )

    @app.get("/empty", response_class=HTMLResponse)
    def empty(request: Request) -> HTMLResponse:
        return web.render(templates, request, "empty_page.html", layout=layout(request, "Customer Segments", "segments"))

    @app.get("/editor", response_class=HTMLResponse)
    def editor(request: Request, condition: str = "") -> HTMLResponse:
        return web.render(
            templates,
            request,
            "editor_page.html",
            layout=layout(request, "New segment", "segments"),
            context={"condition": condition, "vocabulary": VOCABULARY},
        )

    @app.get("/sign-in", response_class=HTMLResponse)
    def sign_in(request: Request, error: str | None = None) -> HTMLResponse:
        return web.render(templates, request, "sign_in.html", context={"error": error, "email": ""})

    @app.get("/fragments/customer-count", response_class=HTMLResponse)
    async def customer_count() -> HTMLResponse:
        await asyncio.sleep(0.3)  # a count that takes longer than the page
        return HTMLResponse('<span role="status" data-count>1,204 customers in live</span>')

    @app.post("/flash")
    def queue_flash(request: Request) -> JSONResponse:
        response = JSONResponse({"queued": True})
        web.flash(response, "success", "Segment “Growth orgs” saved.", request=request)
        return response

    @app.post("/v1/segments/validate")
    async def validate(body: ValidateBody) -> dict[str, Any]:
        if SLOW_MARKER in body.condition:
            await asyncio.sleep(0.8)
        diagnostics = check(body.condition)
        return {
            "valid": not any(d.severity == "error" for d in diagnostics),
            "diagnostics": [
                {
                    "severity": d.severity,
                    "line": d.line,
                    "column": d.column,
                    "end_line": d.end_line,
                    "end_column": d.end_column,
                    "message": d.message,
                }
                for d in diagnostics
            ],
        }

    return app
