"""Pushdown: Stof conditions of simple-mode shape → a predicate IR the store compiles to SQL."""

from segmentr.segments.pushdown.ir import (
    COLUMNS,
    And,
    Column,
    Compare,
    Const,
    IsNull,
    MetadataPath,
    Not,
    NowMinus,
    Or,
    Predicate,
    PushdownUnsupported,
    StrMatch,
)
from segmentr.segments.pushdown.translate import to_predicate, translate_source

__all__ = [
    "COLUMNS",
    "And",
    "Column",
    "Compare",
    "Const",
    "IsNull",
    "MetadataPath",
    "Not",
    "NowMinus",
    "Or",
    "Predicate",
    "PushdownUnsupported",
    "StrMatch",
    "to_predicate",
    "translate_source",
]
