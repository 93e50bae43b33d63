"""Segments: named Stof conditions, simple mode, templates, evaluation and membership.

The public face is what the layers above (``store``, ``service``) use: the draft and simple-row models, rows ↔
Stof, the templates, validation on save, one-customer evaluation and membership over a ``CustomerSource``.
The pushdown translator (``segmentr.segments.pushdown``) is the store's business and is not re-exported.
"""

from segmentr.segments.evaluator import EvaluationResult, evaluate, evaluate_many
from segmentr.segments.membership import (
    ChangePreview,
    Count,
    CustomerSource,
    Page,
    Preview,
    change_preview,
    count,
    members,
    preview,
)
from segmentr.segments.model import (
    MAX_CONDITION_BYTES,
    MAX_NAME_CHARS,
    CreatedRow,
    CustomerTypeRow,
    EmailRow,
    MetadataRow,
    PlanRow,
    SegmentDraft,
    SimpleRow,
    parse_rows,
)
from segmentr.segments.simple import NotSimple, from_stof, to_stof
from segmentr.segments.templates import EXAMPLES, TEMPLATES, Template, template
from segmentr.segments.validation import (
    Problem,
    SegmentsError,
    SegmentValidationError,
    segment_problems,
    validate_segment,
)

__all__ = [
    "EXAMPLES",
    "MAX_CONDITION_BYTES",
    "MAX_NAME_CHARS",
    "TEMPLATES",
    "ChangePreview",
    "Count",
    "CreatedRow",
    "CustomerSource",
    "CustomerTypeRow",
    "EmailRow",
    "EvaluationResult",
    "MetadataRow",
    "NotSimple",
    "Page",
    "PlanRow",
    "Preview",
    "Problem",
    "SegmentDraft",
    "SegmentValidationError",
    "SegmentsError",
    "SimpleRow",
    "Template",
    "change_preview",
    "count",
    "evaluate",
    "evaluate_many",
    "from_stof",
    "members",
    "parse_rows",
    "preview",
    "segment_problems",
    "template",
    "to_stof",
    "validate_segment",
]
