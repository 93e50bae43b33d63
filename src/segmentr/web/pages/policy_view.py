"""A policy document as people read it (credits, plans with their entitlements and topups) and the difference
between two documents, path by path. Pure: documents in, view-models out."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

MS_PER_DAY = 86_400_000


def number(value: Any) -> str:
    """``0.0005`` rather than ``5e-04``; thousands separated; strings (``"1GB"``) as they are."""
    if isinstance(value, bool) or value is None:
        return "—" if value is None else ("yes" if value else "no")
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        try:
            return format(Decimal(repr(value)).normalize(), "f")
        except InvalidOperation:
            return str(value)
    return str(value)


def money(value: Any) -> str:
    return f"${number(value)}" if isinstance(value, int | float) and not isinstance(value, bool) else number(value)


def duration(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        days = value / MS_PER_DAY
        return f"{number(round(days, 2))} days"
    return number(value) if value not in (None, "") else ""


@dataclass(frozen=True, slots=True)
class CreditView:
    name: str
    label: str
    unit: str
    pricing_model: str
    price: str
    overhead_cost: str


@dataclass(frozen=True, slots=True)
class EntitlementView:
    name: str
    credit: str
    mode: str  # hard, soft, observe; "feature" for a flag without a limit
    limit: str
    resets: str


@dataclass(frozen=True, slots=True)
class TopupView:
    name: str
    credit: str
    value: str
    price: str
    description: str
    terms: str


@dataclass(frozen=True, slots=True)
class PlanView:
    name: str
    label: str
    default: bool
    hidden: bool
    period: str
    entitlements: list[EntitlementView] = field(default_factory=list)
    topups: list[TopupView] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PolicyView:
    credits: list[CreditView]
    plans: list[PlanView]
    grant_strategy: str
    source: str  # the document, pretty-printed JSON

    @property
    def entitlement_names(self) -> list[str]:
        """Every entitlement of any plan, in the order the plans first name them."""
        return list(dict.fromkeys(entitlement.name for plan in self.plans for entitlement in plan.entitlements))

    def matrix(self) -> list[tuple[str, list[EntitlementView | None]]]:
        """Entitlements down, plans across: what each plan gives (None where a plan lacks the entitlement)."""
        by_plan = [{entitlement.name: entitlement for entitlement in plan.entitlements} for plan in self.plans]
        return [(name, [cells.get(name) for cells in by_plan]) for name in self.entitlement_names]


def _inner(document: Any) -> dict[str, Any]:
    if isinstance(document, dict) and isinstance(document.get("policy"), dict):
        return document["policy"]
    return document if isinstance(document, dict) else {}


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _price(credit: dict[str, Any]) -> str:
    model = credit.get("pricing_model") or "flat"
    if model == "flat":
        amount = _mapping(credit.get("price")).get("amount")
        return f"{money(amount)} per {credit.get('unit') or 'unit'}" if amount is not None else "Not priced"
    bands = []
    for tier in credit.get("tiers") or []:
        tier = _mapping(tier)
        amount = money(_mapping(tier.get("price")).get("amount"))
        bands.append(f"{amount} up to {number(tier['up_to'])}" if tier.get("up_to") is not None else f"{amount} beyond")
    return ", ".join(bands) or "Not priced"


DAYS = {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday", "fri": "Friday",
        "sat": "Saturday", "sun": "Sunday"}
ORDINALS = {"1": "first", "2": "second", "3": "third", "4": "fourth", "5": "fifth", "last": "last"}


def schedule(text: str) -> str:
    """A calendar reset schedule (``monthly:1``, ``weekly:mon``…) in words; an unknown form as it is."""
    kind, _, rest = str(text).partition(":")
    if kind == "monthly" and rest == "last":
        return "monthly, on the last day"
    if kind == "monthly" and rest.isdigit():
        return f"monthly, on day {rest}"
    if kind == "weekly" and rest in DAYS:
        return f"weekly, on {DAYS[rest]}"
    if kind == "quarterly" and rest.isdigit():
        return f"quarterly, on day {rest}"
    if kind == "yearly" and rest:
        return f"yearly, on {rest}"
    nth, _, day = rest.partition(":")
    if kind == "nth_weekday" and nth in ORDINALS and day in DAYS:
        return f"monthly, on the {ORDINALS[nth]} {DAYS[day]}"
    return f"on schedule {text}"


def _resets(limit: dict[str, Any]) -> str:
    if limit.get("reset_sch"):
        return schedule(limit["reset_sch"])
    if limit.get("reset_inc"):
        return f"every {duration(limit['reset_inc'])}"
    return "every 30 days" if limit.get("resets") else "never"


def _entitlement(name: str, body: Any) -> EntitlementView:
    limit = _mapping(_mapping(body).get("limit"))
    if not limit:
        return EntitlementView(name, "", "feature", "on (feature flag)", "")
    mode = str(limit.get("mode") or "hard")
    shown = "no limit (observed)" if mode == "observe" else number(limit.get("value", 0))
    return EntitlementView(name, str(limit.get("credit", "")), mode, shown, _resets(limit))


def _topup(name: str, body: Any) -> TopupView:
    topup = _mapping(body)
    terms = []
    if topup.get("included"):
        terms.append("included")
    if topup.get("expires_after"):
        terms.append(f"expires after {duration(topup['expires_after'])}")
    if topup.get("resets"):
        terms.append(f"resets ({topup.get('reset_mode') or 'hard'})")
    price = _mapping(topup.get("price")).get("amount")
    return TopupView(name, str(topup.get("credit", "")), number(topup.get("value", 0)),
                     money(price) if price is not None else "—", str(topup.get("description") or ""),
                     ", ".join(terms))  # fmt: skip


def policy_view(document: Any) -> PolicyView:
    inner = _inner(document)
    credits = [
        CreditView(name, str(_mapping(body).get("label") or name), str(_mapping(body).get("unit") or "credit"),
                   str(_mapping(body).get("pricing_model") or "flat"), _price(_mapping(body)),
                   money(_mapping(body).get("overhead_cost", 0)))
        for name, body in _mapping(inner.get("credits")).items()
    ]  # fmt: skip
    plans = []
    for name, body in _mapping(inner.get("plans")).items():
        plan = _mapping(body)
        plans.append(PlanView(
            name, str(plan.get("label") or name), bool(plan.get("default")), bool(plan.get("hidden")),
            str(plan.get("period") or "monthly"),
            [_entitlement(key, value) for key, value in _mapping(plan.get("entitlements")).items()],
            [_topup(key, value) for key, value in _mapping(plan.get("topups")).items()],
        ))  # fmt: skip
    strategy = str(_mapping(inner.get("exchange")).get("grant_strategy") or "expires_first")
    return PolicyView(credits, plans, strategy, json.dumps(inner, indent=2, sort_keys=False, ensure_ascii=False))


# ---------------------------------------------------------------------------------------------- the diff


@dataclass(frozen=True, slots=True)
class Change:
    """One leaf that differs: ``kind`` is added, removed or changed; values shown as compact JSON."""

    path: str
    kind: str
    before: str
    after: str


def _leaves(value: Any, path: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        found: dict[str, Any] = {}
        for key, inner in value.items():
            found.update(_leaves(inner, f"{path}.{key}" if path else str(key)))
        return found
    if isinstance(value, list) and value:
        found = {}
        for index, inner in enumerate(value):
            found.update(_leaves(inner, f"{path}[{index}]"))
        return found
    return {path: value}


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def policy_diff(before: Any, after: Any) -> list[Change]:
    """Every leaf added, removed or changed from ``before`` to ``after``, in the documents' order."""
    old, new = _leaves(_inner(before)), _leaves(_inner(after))
    changes: list[Change] = []
    for path, value in old.items():
        if path not in new:
            changes.append(Change(path, "removed", _shown(value), ""))
        elif new[path] != value or type(new[path]) is not type(value):
            changes.append(Change(path, "changed", _shown(value), _shown(new[path])))
    changes.extend(Change(path, "added", "", _shown(value)) for path, value in new.items() if path not in old)
    return changes


__all__ = ["Change", "PolicyView", "money", "number", "policy_diff", "policy_view"]
