"""The small policy the pricing tests hand-compute prices from: `token` 0.01 per unit (cost 0.002), `mb` tiered
0-100 @0.04 then @0.02 (cost 0.01), soft limits `t` 1000 tokens and `m` 0 MB, topup `pack` 5 on both plans (and
`bulk` 40 on growth). One copy for the pure resolver's tests and the service's."""

from __future__ import annotations

from typing import Any

__all__ = ["DOCUMENT"]

DOCUMENT: dict[str, Any] = {"policy": {
    "credits": {
        "token": {"price": {"amount": 0.01}, "overhead_cost": 0.002},
        "mb": {"pricing_model": "tiered", "overhead_cost": 0.01,
               "tiers": [{"up_to": 100, "price": {"amount": 0.04}}, {"price": {"amount": 0.02}}]},
    },
    "plans": {
        "starter": {"default": True, "entitlements": {
            "t": {"limit": {"credit": "token", "mode": "soft", "value": 1000}},
            "m": {"limit": {"credit": "mb", "mode": "soft", "value": 0}}},
            "topups": {"pack": {"credit": "token", "value": 1000, "price": {"amount": 5}}}},
        "growth": {"entitlements": {
            "t": {"limit": {"credit": "token", "mode": "soft", "value": 1000}},
            "m": {"limit": {"credit": "mb", "mode": "soft", "value": 0}}},
            "topups": {"pack": {"credit": "token", "value": 1000, "price": {"amount": 5}},
                       "bulk": {"credit": "token", "value": 10000, "price": {"amount": 40}}}},
    },
}}  # fmt: skip
