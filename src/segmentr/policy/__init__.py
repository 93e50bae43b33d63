"""The Limitr-compatible policy engine: pure, in-memory, no I/O (spec/policy.md)."""

from .document import PolicyDocumentError, price_model_problems, price_problems, validate_document
from .engine import Policy
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
