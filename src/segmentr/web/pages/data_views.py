"""What the data pages (Customers, Margin, Usage) share: the query string of a keyset page, whether htmx asked
for the results fragment alone, and figures formatted for people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from fastapi import Request

from segmentr.service import ReportService

from ..signed_in import Viewer

__all__ = ["ListQuery", "clock", "day", "figure", "fragment_requested", "list_query", "money", "percent", "plain", "reports"]

MAX_QUERY_CHARS = 200


@dataclass(frozen=True, slots=True)
class ListQuery:
    """A list page's ``q`` (search) and ``after`` (keyset cursor), and how to link to another page of it."""

    path: str
    q: str
    after: str | None
    extra: tuple[tuple[str, str], ...] = ()

    def url(self, *, after: str | None = None, **changes: str) -> str:
        params = dict(self.extra)
        params.update(changes)
        if self.q:
            params["q"] = self.q
        if after:
            params["after"] = after
        return self.path + (f"?{urlencode(params)}" if params else "")


def list_query(request: Request, path: str, *extra: str) -> ListQuery:
    params = request.query_params
    # NUL is in no id, name or email (neither database stores it): a crafted address just finds nothing
    q = (params.get("q") or "").replace("\x00", "").strip()[:MAX_QUERY_CHARS]
    after = (params.get("after") or "").replace("\x00", "") or None
    kept = tuple((name, params[name]) for name in extra if params.get(name))
    return ListQuery(path, q, after[:MAX_QUERY_CHARS] if after else None, kept)


def fragment_requested(request: Request, target: str) -> bool:
    """htmx asked to swap ``#target`` (not a history restore, which needs the whole page)."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Target") == target
        and headers.get("HX-History-Restore-Request") != "true"
    )


def reports(seen: Viewer) -> ReportService:
    return seen.services.reports(seen.actor)


def day(ms: int | None) -> str:
    if not ms:
        return "—"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d")


def clock(ms: int | None) -> str:
    if not ms:
        return "—"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%H:%M:%S UTC")


def figure(value: float | None) -> str:
    """``12,400`` / ``3.25`` / ``—``: whole numbers without decimals, others with up to two."""
    if value is None:
        return "—"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def plain(value: float | None) -> float | int | None:
    """A whole float as an int (``579`` not ``579.0``), others rounded to two decimals."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(value, 2)


def money(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f} %"
