"""Customer grants: creation from topups, balances in any credit, draw order by grant strategy, resets (§1.7)."""

from __future__ import annotations

import secrets
from typing import Any

from .model import Plan, Topup, compile_limit_schedule
from .pricing import Exchange
from .schedule import pending_period_start

_EMPTY = 1e-9


def new_grant(topup: Topup, now: int) -> dict[str, Any]:
    """A grant made from a topup (bought or included) at `now`."""
    raw = topup.raw
    return {
        "id": f"lgrnt_{secrets.token_hex(8)}",
        "credit": topup.credit,
        "topup": topup.name,
        "created_on": now,
        "granted_on": now,
        "starting_value": topup.value,
        "value": topup.value,
        "expires_on": None if topup.expires_after is None else now + topup.expires_after,
        "last_reset": now,
        "resets": bool(raw.get("resets")),
        "reset_inc": raw.get("reset_inc"),
        "reset_sch": raw.get("reset_sch"),
        "reset_mode": raw.get("reset_mode") or "hard",
        "max_balance": raw.get("max_balance"),
        "reset_catchup_cap": raw.get("reset_catchup_cap"),
    }


def live_grants(customer: dict[str, Any], now: int) -> list[dict[str, Any]]:
    """Unexpired grants with a balance, in insertion order."""
    grants = customer.get("grants")
    if not grants:
        return []
    return [
        g for g in grants.values()
        if (g.get("expires_on") is None or g["expires_on"] > now) and (g.get("value") or 0) > _EMPTY
    ]


def balance_in(customer: dict[str, Any], credit: str, exchange: Exchange, now: int,
               offset: float = 0.0) -> float:
    """Every convertible grant's balance, in units of `credit` (others through runes at position `offset`)."""
    exact = 0.0
    runes = 0.0
    for grant in live_grants(customer, now):
        if grant["credit"] == credit:
            exact += grant["value"]
        else:
            value = exchange.to_runes(grant["credit"], grant["value"])
            if value is not None:
                runes += value
    if runes > 0:
        converted = exchange.from_runes(credit, runes, offset)
        if converted is not None:
            exact += converted
    return exact


def draw_order(grants: list[dict[str, Any]], credit: str, exchange: Exchange) -> list[dict[str, Any]]:
    """Exact-credit grants first, then the others; each group by the exchange's grant strategy."""
    newest_first = list(reversed(grants))
    strategy = exchange.strategy
    if strategy == "valuable_first":
        newest_first.sort(key=lambda g: -_rune_value(g, exchange))
    elif strategy == "cheapest_first":
        newest_first.sort(key=lambda g: _rune_value(g, exchange))
    else:  # expires_first: soonest expiry first, then non-expiring grants newest first
        newest_first.sort(key=lambda g: (g.get("expires_on") is None, g.get("expires_on") or 0))
    exact = [g for g in newest_first if g["credit"] == credit]
    others = [g for g in newest_first if g["credit"] != credit]
    return exact + others


def _rune_value(grant: dict[str, Any], exchange: Exchange) -> float:
    return exchange.to_runes(grant["credit"], 1.0) or 0.0


def draw(customer: dict[str, Any], credit: str, units: float, exchange: Exchange, now: int,
         offset: float = 0.0) -> float:
    """Drain grants to cover `units` of `credit` (billable position `offset`); returns the units covered."""
    left = units
    position = offset
    for grant in draw_order(live_grants(customer, now), credit, exchange):
        if left <= _EMPTY:
            break
        if grant["credit"] == credit:
            take = min(grant["value"], left)
            grant["value"] = _clean(grant["value"] - take)
            left -= take
            position += take
            continue
        need = exchange.to_runes(credit, left, position)
        have = exchange.to_runes(grant["credit"], grant["value"])
        if need is None or have is None:
            continue
        if have >= need - _EMPTY:
            spent = exchange.from_runes(grant["credit"], need)
            grant["value"] = _clean(grant["value"] - (spent or 0.0))
            left = 0.0
        else:
            covered = exchange.from_runes(credit, have, position) or 0.0
            grant["value"] = 0.0
            left -= covered
            position += covered
    remove_spent(customer)
    return units - max(left, 0.0)


def _clean(value: float) -> float:
    return 0.0 if abs(value) <= _EMPTY else round(value, 12)


def remove_spent(customer: dict[str, Any]) -> None:
    """Delete used-up grants that will not reset."""
    grants = customer.get("grants")
    if not grants:
        return
    for grant_id in [k for k, g in grants.items() if (g.get("value") or 0) <= _EMPTY and not g.get("resets")]:
        del grants[grant_id]


def sync_grants(customer: dict[str, Any], plan: Plan | None, now: int) -> None:
    """Before metering: drop expired grants and topup grants whose topup left the plan; apply grant resets."""
    grants = customer.get("grants")
    if not grants:
        return
    for grant_id, grant in list(grants.items()):
        expires = grant.get("expires_on")
        topup_name = grant.get("topup")
        topup = plan.topups.get(topup_name) if plan is not None and topup_name else None
        if (expires is not None and expires <= now) or (topup_name and topup is None):
            del grants[grant_id]
            continue
        if grant.get("resets") and topup is not None:
            _reset_grant(grant, topup, now)


def _reset_grant(grant: dict[str, Any], topup: Topup, now: int) -> None:
    inc, schedule = compile_limit_schedule(grant)
    last = grant.get("last_reset") or grant.get("granted_on") or now
    start = pending_period_start(last, now, inc, schedule)
    if start is None:
        return
    periods = 1
    if schedule is None and inc:
        periods = max(1, int((start - last) // inc) + 1)
    cap = grant.get("reset_catchup_cap")
    if cap is not None:
        periods = min(periods, int(cap))
    mode = grant.get("reset_mode") or "hard"
    value = grant.get("value") or 0.0
    for _ in range(periods):
        if mode == "add":
            value += topup.value
        elif mode == "rollover":
            raw = topup.raw
            carried = value * float(raw.get("pct", 1.0) or 0.0)
            if raw.get("rollover_min") is not None:
                carried = max(carried, float(raw["rollover_min"]))
            if raw.get("rollover_max") is not None:
                carried = min(carried, float(raw["rollover_max"]))
            value = carried + topup.value
        else:
            value = topup.value
    if grant.get("max_balance") is not None:
        value = min(value, float(grant["max_balance"]))
    grant["value"] = value
    grant["last_reset"] = start
