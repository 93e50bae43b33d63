"""Customer grants: creation from topups, balances in any credit, draw order by grant strategy, resets (§1.7)."""

from __future__ import annotations

import secrets
from typing import Any

from .model import Plan, Topup, compile_limit_schedule
from .price_models import Exchange
from .schedule import DEFAULT_RESET_INC, Schedule, pending_period_start

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
            reset = reset_due(grant, topup, now)
            if reset is not None:
                grant["value"], grant["last_reset"] = reset


def as_of(customer: dict[str, Any], plan: Plan | None, now: int, drop_orphans: bool = True) -> dict[str, Any]:
    """The customer's grants with pending topup resets applied, on copies (nothing is changed).

    With `drop_orphans`, grants whose topup left the plan are left out, as `sync_grants` would do.
    Expired grants stay: `balance_in` skips them. Returns `{"grants": {...}}` for `balance_in`.
    """
    seen: dict[str, Any] = {}
    for grant_id, grant in customer["grants"].items():
        topup_name = grant.get("topup")
        topup = plan.topups.get(topup_name) if plan is not None and topup_name else None
        if topup_name and topup is None and drop_orphans:
            continue
        if grant.get("resets") and topup is not None:
            reset = reset_due(grant, topup, now)
            if reset is not None:
                grant = dict(grant, value=reset[0], last_reset=reset[1])
        seen[grant_id] = grant
    return {"grants": seen}


def reset_due(grant: dict[str, Any], topup: Topup, now: int) -> tuple[float, int] | None:
    """The balance and `last_reset` after the grant's pending resets, or None when none is due.

    Each period boundary passed since `last_reset` is one reset, in the topup's `reset_mode`:
    `hard` sets the balance back to the topup's value; `add` adds the value; `rollover` carries
    `balance × rollover_pct`, clamped to [`rollover_min`, `rollover_max`], and adds the value.
    `max_balance` caps the balance after every reset. `reset_catchup_cap` bounds how many missed
    periods are applied at once (at least one: a due reset always happens). The grant re-syncs with
    its topup, so the topup's current settings are used.
    """
    inc, schedule = compile_limit_schedule(grant)
    last = grant.get("last_reset") or grant.get("granted_on") or now
    start = pending_period_start(last, now, inc, schedule)
    if start is None:
        return None
    mode = topup.reset_mode
    periods = 1 if mode == "hard" else _periods_between(last, start, inc, schedule)
    if topup.reset_catchup_cap is not None:
        periods = max(1, min(periods, topup.reset_catchup_cap))
    value = float(grant.get("value") or 0.0)
    for _ in range(periods):
        if mode == "add":
            value += topup.value
        elif mode == "rollover":
            carried = value * topup.rollover_pct
            if topup.rollover_min is not None:
                carried = max(carried, topup.rollover_min)
            if topup.rollover_max is not None:
                carried = min(carried, topup.rollover_max)
            value = carried + topup.value
        else:
            value = topup.value
        if topup.max_balance is not None:
            value = min(value, topup.max_balance)
    return value, start


_CATCHUP_LIMIT = 10_000  # a bound on the periods counted for one catch-up (a schedule walk is one step per period)


def _periods_between(last: int, start: int, inc: int | None, schedule: Schedule | None) -> int:
    """How many period boundaries lie in (last, start]; `start` is the latest one."""
    if schedule is None:
        return max(1, (start - last) // (inc or DEFAULT_RESET_INC))
    count = 0
    moment = last
    while count < _CATCHUP_LIMIT:
        moment = schedule.next_start(moment)
        if moment > start:
            break
        count += 1
    return max(1, count)
