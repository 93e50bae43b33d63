"""Credit pricing (flat, tiered, volume, stairstep) and the exchange between credits and runes (policy.md §1.2–1.3)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PRICING_MODELS = ("flat", "tiered", "volume", "stairstep")
GRANT_STRATEGIES = ("expires_first", "cheapest_first", "valuable_first")
RUNE = "rune"
_BASE_CURRENCIES = frozenset({"rune", "usd"})
_STAIRSTEP_TOP = 1e15  # quantity_for past the last stairstep fee: unbounded


@dataclass(frozen=True, slots=True)
class Pricing:
    """A compiled price: `amount` for flat, or bands `(up_to, amount)` with `up_to=None` for the open last band."""

    model: str
    amount: float = 0.0
    tiers: tuple[tuple[float | None, float], ...] = ()

    def _band_rate(self, n: float) -> float:
        for up_to, amount in self.tiers:
            if up_to is None or n <= up_to:
                return amount
        return self.tiers[-1][1]

    def total_price(self, n: float) -> float:
        """Price of `n` units from zero; negative n (inside the allowance) at the first rate, free for stairstep."""
        model = self.model
        if model == "flat" or not self.tiers:
            return n * self.amount
        first_rate = self.tiers[0][1]
        if n <= 0:
            return 0.0 if model == "stairstep" else n * first_rate
        if model == "volume":
            return n * self._band_rate(n)
        if model == "stairstep":
            return self._band_rate(n)
        total = 0.0
        prev = 0.0
        for up_to, amount in self.tiers:
            top = n if up_to is None else min(n, up_to)
            if top > prev:
                total += (top - prev) * amount
            if up_to is None or n <= up_to:
                break
            prev = up_to
        return total

    def price_of(self, quantity: float, offset: float = 0.0) -> float:
        """Price of `quantity` units starting at position `offset` (negative quantity: a refund)."""
        if self.model == "flat" or not self.tiers:
            return quantity * self.amount
        return self.total_price(offset + quantity) - self.total_price(offset)

    def quantity_for(self, runes: float, offset: float = 0.0) -> float:
        """Units that `runes` buy from position `offset` (the inverse of price_of)."""
        if runes <= 0:
            return 0.0
        if self.model == "flat" or not self.tiers:
            return runes / self.amount if self.amount > 0 else _STAIRSTEP_TOP
        if self.model == "tiered":
            return self._tiered_quantity(runes, offset)
        # volume and stairstep are not monotonic band by band: bisect on price_of
        if self.price_of(_STAIRSTEP_TOP, offset) <= runes:
            return _STAIRSTEP_TOP
        low, high = 0.0, _STAIRSTEP_TOP
        for _ in range(200):
            mid = (low + high) / 2
            if self.price_of(mid, offset) <= runes:
                low = mid
            else:
                high = mid
        return low

    def _tiered_quantity(self, runes: float, offset: float) -> float:
        position = offset
        left = runes
        if position < 0:
            rate = self.tiers[0][1]
            inside = -position
            if rate <= 0 or left <= inside * rate:
                return left / rate if rate > 0 else _STAIRSTEP_TOP
            left -= inside * rate
            position = 0.0
        bought = position - offset
        prev = 0.0
        for up_to, amount in self.tiers:
            if up_to is not None and position >= up_to:
                prev = up_to
                continue
            room = None if up_to is None else up_to - max(position, prev)
            if amount <= 0:
                return _STAIRSTEP_TOP
            if room is None or left <= room * amount:
                return bought + left / amount
            left -= room * amount
            bought += room
            position = up_to  # type: ignore[assignment]
            prev = up_to  # type: ignore[assignment]
        return bought


def compile_price(price: Any, model: str = "flat") -> Pricing | None:
    """Compile a document price: `{"amount": x}`, a tier list, or `{"tiers": [...]}` (its own `pricing_model`
    wins over `model`, the credit's); None when unpriced."""
    if price is None:
        return None
    if isinstance(price, Mapping):
        if price.get("tiers"):
            own = price.get("pricing_model") or model
            return compile_price(price["tiers"], own if own != "flat" else "tiered")
        amount = price.get("amount")
        if amount is None:
            return None
        return Pricing("flat", float(amount))
    if isinstance(price, list | tuple):
        tiers: list[tuple[float | None, float]] = []
        for tier in price:
            up_to = tier.get("up_to")
            tier_price = tier.get("price")
            amount = tier_price.get("amount", 0) if isinstance(tier_price, Mapping) else (tier_price or 0)
            tiers.append((None if up_to is None else float(up_to), float(amount)))
        tiers.sort(key=lambda band: float("inf") if band[0] is None else band[0])
        if not tiers:
            return None
        return Pricing(model if model != "flat" else "tiered", 0.0, tuple(tiers))
    if isinstance(price, int | float) and not isinstance(price, bool):
        return Pricing("flat", float(price))
    return None


class Exchange:
    """Exchange pairs (1 unit of a credit = value × currency) and conversions through runes."""

    __slots__ = ("_pairs", "_pricings", "strategy")

    def __init__(self, pairs: Mapping[str, tuple[float, str]], strategy: str,
                 pricings: Mapping[str, Pricing | None]) -> None:
        self._pairs = dict(pairs)
        self.strategy = strategy
        self._pricings = pricings

    def has_pair(self, credit: str) -> bool:
        return credit in self._pairs

    def rune_rate(self, credit: str, _seen: frozenset[str] = frozenset()) -> float | None:
        """Runes per unit of `credit` following pairs (or a flat price); None when there is no linear path."""
        if credit in _BASE_CURRENCIES:
            return 1.0
        if credit in _seen:
            return None
        pair = self._pairs.get(credit)
        if pair is not None:
            inner = self.rune_rate(pair[1], _seen | {credit})
            return None if inner is None else pair[0] * inner
        pricing = self._pricings.get(credit)
        if pricing is not None and pricing.model == "flat":
            return pricing.amount
        return None

    def to_runes(self, credit: str, value: float, offset: float = 0.0) -> float | None:
        rate = self.rune_rate(credit)
        if rate is not None:
            return value * rate
        pricing = self._pricings.get(credit)
        if pricing is not None:
            return pricing.price_of(value, offset)
        return None

    def from_runes(self, credit: str, runes: float, offset: float = 0.0) -> float | None:
        rate = self.rune_rate(credit)
        if rate is not None:
            return runes / rate if rate > 0 else None
        pricing = self._pricings.get(credit)
        if pricing is not None:
            return pricing.quantity_for(runes, offset)
        return None

    def exchange(self, value: float, source: str, target: str) -> float | None:
        """`value` units of `source` in units of `target` (through runes); None when there is no path."""
        if source == target:
            return value
        runes = self.to_runes(source, value)
        if runes is None:
            return None
        return self.from_runes(target, runes)
