"""The local margin snapshot (policy.md §4): revenue past each limit, recorded cost, margin percentages."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .events import round9

PriceFunction = Callable[[float, float], float | None]  # (quantity, offset) -> runes, None when unpriced


def margin_percent(revenue: float, cost: float) -> float:
    return float(round((revenue - cost) / revenue * 100, 2))


def entitlement_revenue(usage: float, limit: float, price: PriceFunction) -> float:
    """Revenue of usage past the limit, priced from position 0 (0 when inside the limit or unpriced)."""
    if usage <= limit:
        return 0.0
    return price(usage - limit, 0.0) or 0.0


def assemble(rows: Iterable[tuple[str, float, float]]) -> dict[str, Any]:
    """The snapshot dict from (entitlement, cost, revenue) rows."""
    entitlements: dict[str, Any] = {}
    total_revenue = 0.0
    total_cost = 0.0
    for name, cost, revenue in rows:
        total_revenue += revenue
        total_cost += cost
        entitlements[name] = {
            "cost": round9(cost),
            "revenue": round9(revenue),
            "margin": margin_percent(revenue, cost) if revenue > 0 else None,
        }
    return {
        "revenue": round9(total_revenue),
        "cost": round9(total_cost),
        "margin": margin_percent(total_revenue, total_cost) if total_revenue > 0 else -100.0,
        "entitlements": entitlements,
    }
