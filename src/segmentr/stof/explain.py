"""Why a condition matched or not: the value of each top-level ``&&``/``||`` operand and ``if`` condition."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import nodes as n


@dataclass(frozen=True, slots=True)
class TraceStep:
    """One evaluated operand or ``if`` condition: where it is, its text, and its value as Stof prints it."""

    line: int
    column: int
    source: str
    value: str

    def __str__(self) -> str:
        return f"{self.line}:{self.column}: {self.source} → {self.value}"


@dataclass(slots=True)
class Explanation:
    """The outcome of one evaluation with its trace: ``error`` is the runtime error's text, if one happened."""

    value: Any
    matched: bool
    error: str | None
    steps: list[TraceStep] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [str(step) for step in self.steps]
        lines.append(f"error: {self.error}" if self.error else f"matched: {'yes' if self.matched else 'no'}")
        return "\n".join(lines)


def source_text(source: str, node: n.Node) -> str:
    """The text of ``node``'s span in ``source`` (1-based line/column, end just past the span)."""
    lines = source.split("\n")
    if not node.line or node.line > len(lines):
        return ""
    if node.end_line == node.line or not node.end_line:
        return lines[node.line - 1][node.col - 1 : (node.end_col - 1) if node.end_col else None]
    parts = [lines[node.line - 1][node.col - 1 :]]
    parts.extend(lines[node.line : node.end_line - 1])
    parts.append(lines[node.end_line - 1][: node.end_col - 1] if node.end_line <= len(lines) else "")
    return "\n".join(parts)


def print_value(value: Any) -> str:
    """A value as an explanation shows it: strings quoted (like inside a Stof list), the rest as Stof prints it."""
    from .printing import to_inner_str

    return to_inner_str(value)


__all__ = ["Explanation", "TraceStep", "print_value", "source_text"]
