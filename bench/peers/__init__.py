"""One module per implementation benchmarked against the seed conditions: how it writes and evaluates each one.

Every module exposes `NAME`, `version() -> str` and `prepare(key) -> Evaluator | NotExpressible`, where an
`Evaluator` takes the plain customer dict and the policy host object and returns the membership decision.
Everything an evaluator does (building the library's context included) is inside the timed region.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Evaluator = Callable[[dict[str, Any], Any], bool]


@dataclass(frozen=True)
class NotExpressible:
    """A condition the library cannot write; `reason` is shown in the table instead of a time."""

    reason: str


LOOP_REASON = "loops over meters calling the policy per meter: no loops or host functions"
