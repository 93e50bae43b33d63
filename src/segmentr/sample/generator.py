"""Deterministic, realistic sample customers for the sample policy: plans, types, messy metadata, meters near
and past their limits, topup grants, and creation dates spread over a year."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["SAMPLE_POLICY_PATH", "generate_customers", "sample_policy"]

SAMPLE_POLICY_PATH = Path(__file__).resolve().parent / "policy.json"

DAY_MS = 86_400_000
YEAR_MS = 365 * DAY_MS

PLAN_WEIGHTS = (("free", 45), ("starter", 30), ("growth", 18), ("enterprise", 7))
TYPE_WEIGHTS = {
    "free": (("user", 85), ("team", 10), ("org", 5)),
    "starter": (("user", 50), ("team", 35), ("org", 15)),
    "growth": (("user", 15), ("team", 35), ("org", 50)),
    "enterprise": (("org", 90), ("team", 10)),
}
FIRST_NAMES = ("ada", "grace", "linus", "margaret", "alan", "barbara", "ken", "frances", "dennis", "radia",
               "john", "sophie", "tim", "karen", "guido", "hedy", "edsger", "katherine", "donald", "jean")
LAST_NAMES = ("lovelace", "hopper", "torvalds", "hamilton", "turing", "liskov", "thompson", "allen", "ritchie",
              "perlman", "backus", "wilson", "berners", "sparck", "rossum", "lamarr", "dijkstra", "johnson")
COMPANIES = ("acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "tyrell", "cyberdyne", "wonka",
             "soylent", "vandelay", "aperture", "monarch", "oscorp", "nakatomi", "pied-piper", "massive")
FREE_MAIL = ("gmail.com", "outlook.com", "proton.me", "yahoo.com")
REGIONS = ("us-east", "us-west", "eu-west", "eu-central", "ap-south", "ap-northeast")
ACCOUNT_MANAGERS = ("dana@segmentr.example", "lee@segmentr.example", "sam@segmentr.example")


@cache
def sample_policy() -> dict[str, Any]:
    """The shipped sample policy document (Limitr format)."""
    return json.loads(SAMPLE_POLICY_PATH.read_text(encoding="utf-8"))


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    total = sum(weight for _, weight in weighted)
    roll = rng.random() * total
    for value, weight in weighted:
        roll -= weight
        if roll < 0:
            return value
    return weighted[-1][0]


def _month_start(now_ms: int) -> int:
    now = datetime.fromtimestamp(now_ms / 1000, tz=UTC)
    return int(datetime(now.year, now.month, 1, tzinfo=UTC).timestamp() * 1000)


def _usage(rng: random.Random, limit: float, mode: str, whole: bool) -> float:
    """Usage this period: mostly comfortable, some near the limit, soft limits sometimes past it."""
    if mode == "observe" or limit <= 0:
        return float(rng.randint(0, 5_000_000)) if mode == "observe" else 0.0
    roll = rng.random()
    if roll < 0.55:
        share = rng.uniform(0, 0.7)
    elif roll < 0.75:
        share = rng.uniform(0.7, 0.9)
    elif roll < 0.88:
        share = rng.uniform(0.9, 1.0)
    else:  # past the limit: only soft limits meter past it; hard ones stop at it
        share = rng.uniform(1.0, 1.6) if mode == "soft" else 1.0
    value = limit * share
    return float(round(value)) if whole else round(value, 2)


def _metadata(rng: random.Random, plan: str, kind: str, name: str, company: str) -> dict[str, Any] | None:
    if rng.random() < 0.03:
        return None  # some customers have no metadata object at all
    domain = f"{company}.io" if kind != "user" or rng.random() < 0.4 else rng.choice(FREE_MAIL)
    metadata: dict[str, Any] = {}
    if rng.random() < 0.95:
        metadata["email"] = f"{name}@{domain}"
    roll = rng.random()
    if roll < 0.6:
        metadata["billing_tier"] = "custom" if plan == "enterprise" and rng.random() < 0.5 else "standard"
    elif roll < 0.7:
        metadata["billing_tier"] = None
    elif roll < 0.8:
        metadata["billing_tier"] = "legacy"
    if plan in ("growth", "enterprise") and rng.random() < 0.7:
        metadata["account_manager"] = rng.choice(ACCOUNT_MANAGERS)
    elif rng.random() < 0.05:
        metadata["account_manager"] = None
    roll = rng.random()
    if roll < 0.1:
        metadata["internal_tier"] = "pilot"
    elif roll < 0.25:
        metadata["internal_tier"] = rng.choice(("beta", "ga"))
    if kind != "user" or rng.random() < 0.3:
        seats = rng.randint(1, 250 if plan == "enterprise" else 30)
        # Imported data is messy: some numbers arrive as strings.
        metadata["seats"] = str(seats) if rng.random() < 0.2 else seats
    if rng.random() < 0.9:
        metadata["region"] = rng.choice(REGIONS)
    if rng.random() < 0.2:
        metadata["beta_features"] = rng.random() < 0.5
    if rng.random() < 0.1:
        metadata["mrr"] = round(rng.uniform(0, 5000), 2)
    return metadata


def _meters(
    rng: random.Random, plan: dict[str, Any], credits: dict[str, Any], started: int
) -> dict[str, dict[str, Any]]:
    limited = [(name, ent["limit"]) for name, ent in plan["entitlements"].items() if ent.get("limit")]
    # Five meters is typical: customers rarely touch every entitlement.
    count = len(limited) if rng.random() < 0.25 else min(5, len(limited))
    chosen = sorted(rng.sample(limited, count), key=lambda item: item[0])
    meters: dict[str, dict[str, Any]] = {}
    for name, limit in chosen:
        # Storage is fractional (GB); requests, tokens, seats, exports and projects are counted.
        whole = limit["credit"] != "storage_gb"
        value = _usage(rng, float(limit.get("value", 0)), limit.get("mode", "hard"), whole)
        overhead_cost = float(credits.get(limit["credit"], {}).get("overhead_cost", 0))
        meters[name] = {
            "credit": limit["credit"],
            "started": started,
            "value": value,
            "overhead": round(value * overhead_cost, 9),
        }
    return meters


def _grants(rng: random.Random, plan: dict[str, Any], now_ms: int, created: int) -> dict[str, dict[str, Any]]:
    topup = (plan.get("topups") or {}).get("tokens_1m")
    if topup is None or rng.random() >= 0.15:
        return {}
    granted = rng.randint(created, now_ms)
    grant_id = f"lgrnt_{rng.getrandbits(64):016x}"
    expires = granted + int(topup.get("expires_after", YEAR_MS))
    return {
        grant_id: {
            "id": grant_id,
            "credit": topup["credit"],
            "topup": "tokens_1m",
            "created_on": granted,
            "granted_on": granted,
            "starting_value": topup["value"],
            "value": float(round(topup["value"] * rng.uniform(0.05, 1.0))),
            "expires_on": expires,
            "last_reset": None,
            "resets": False,
            "reset_mode": "hard",
        }
    }


def generate_customers(n: int, seed: int = 42, now_ms: int | None = None) -> Iterator[dict[str, Any]]:
    """``n`` Limitr customers for the sample policy; the same (n, seed, now_ms) always gives the same ones."""
    if now_ms is None:
        now_ms = int(datetime.now(tz=UTC).timestamp() * 1000)
    rng = random.Random(seed)
    document = sample_policy()["policy"]
    plans, credits = document["plans"], document["credits"]
    # A period start inside every meter's current period: no reset is pending for the generated usage.
    started = max(_month_start(now_ms), now_ms - 20 * DAY_MS)
    for index in range(n):
        plan_name = _pick(rng, PLAN_WEIGHTS)
        kind = _pick(rng, TYPE_WEIGHTS[plan_name])
        first, last, company = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES), rng.choice(COMPANIES)
        person = f"{first}.{last}"
        label = f"{first.title()} {last.title()}" if kind == "user" else f"{company.replace('-', ' ').title()}"
        created = now_ms - int(rng.random() * YEAR_MS)
        # Most customers were touched recently; some have been quiet for months.
        updated = created + int((now_ms - created) * (1 - rng.random() ** 3))
        customer: dict[str, Any] = {
            "id": f"cus_{index:07d}",
            "plan": plan_name,
            "type": kind,
            "label": label,
            "alt_ids": [],
            "refs": [],
            "overrides": {},
            "caps": {},
            "grants": _grants(rng, plans[plan_name], now_ms, created),
            "meters": _meters(rng, plans[plan_name], credits, started),
            "metadata": _metadata(rng, plan_name, kind, person, company),
            "cloud_created": created,
            "cloud_updated": updated,
        }
        yield customer
