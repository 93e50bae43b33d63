"""The errors of segmentr.pricing.

    PricingError               the package root (to derive from segmentr.errors.SegmentrError once that tree exists)
     └── PricingInvalid        a rule, a price or a customer's price overrides that cannot be saved: `problems`
                               lists each one by JSON path (a `segmentr.segments.Problem`), `unknown_targets` the
                               targets the environment's policy does not have
"""

from __future__ import annotations

from collections.abc import Sequence

from segmentr.errors import SegmentrError
from segmentr.segments import Problem

__all__ = ["PricingError", "PricingInvalid"]


class PricingError(SegmentrError):
    """Root of the errors segmentr.pricing raises; it joins the project's error tree (SegmentrError) when that
    tree lands, without changing any subclass."""


class PricingInvalid(PricingError, ValueError):
    """Invalid pricing input; every problem found, by JSON path (``field``), and the unknown targets named."""

    def __init__(self, problems: Sequence[Problem], unknown_targets: Sequence[str] = ()) -> None:
        self.problems = list(problems)
        self.unknown_targets = list(unknown_targets)
        super().__init__("; ".join(str(problem) for problem in self.problems))
