"""The code generator: the concern mixins composed into one class."""

from __future__ import annotations

from .calls import CallsMixin
from .entry import EntryMixin
from .expressions import ExpressionsMixin
from .folding import FoldingMixin
from .loops import LoopsMixin
from .operators import OperatorsMixin
from .statements import StatementsMixin
from .time_units import TimeUnitsMixin


class CodeGenerator(
    EntryMixin,
    StatementsMixin,
    LoopsMixin,
    ExpressionsMixin,
    OperatorsMixin,
    CallsMixin,
    TimeUnitsMixin,
    FoldingMixin,
):
    """Walks a ``nodes.Body`` once and writes the Python source of the condition function."""
