"""The Limitr-compatible policy engine: pure, in-memory, no I/O (spec/policy.md).

What conditions may name (the `policy` view's methods, customer and event fields, the binding sets
`SEGMENT_BINDINGS` and `NOTIFICATION_BINDINGS`) is declared in `segmentr.policy.vocabulary`.
"""

from .document import price_model_problems, price_problems, validate_document
from .engine import Policy
from .errors import PolicyDocumentError, PolicyError
from .events import Subscriber
from .model import CompiledPolicy
from .price_models import Exchange, Pricing, compile_price
from .resolver import PolicyPrices, Price, PriceResolver
from .schedule import Schedule, parse_schedule
from .view import PolicyView

__all__ = [
    "CompiledPolicy",
    "Exchange",
    "Policy",
    "PolicyDocumentError",
    "PolicyError",
    "PolicyPrices",
    "PolicyView",
    "Price",
    "PriceResolver",
    "Pricing",
    "Schedule",
    "Subscriber",
    "compile_price",
    "parse_schedule",
    "price_model_problems",
    "price_problems",
    "validate_document",
]
