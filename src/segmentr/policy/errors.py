"""The policy engine's errors, under ``segmentr.errors.SegmentrError``.

    PolicyError
     └── PolicyDocumentError     an invalid document; ``problems`` by JSON path (also PolicyInvalid, ValueError)
"""

from __future__ import annotations

from segmentr.errors import PolicyInvalid, Problem, SegmentrError

__all__ = ["PolicyDocumentError", "PolicyError"]


class PolicyError(SegmentrError):
    """Root of the errors the policy engine raises."""

    code = "policy_error"


class PolicyDocumentError(PolicyError, PolicyInvalid, ValueError):
    """An invalid policy document. ``problems`` lists every problem (``field`` is its JSON path);
    ``messages`` the same as ``path: message`` lines."""

    code = "policy_invalid"

    def __init__(self, problems: list[str]) -> None:
        structured = [_problem(text) for text in problems]
        PolicyInvalid.__init__(
            self, "invalid policy document:\n" + "\n".join(f"  {p}" for p in problems), problems=structured
        )

    @property
    def messages(self) -> list[str]:
        return [f"{problem.field}: {problem.message}" if problem.field else problem.message for problem in self.problems]


def _problem(text: str) -> Problem:
    """``path: message`` (the checker's form) as a problem of the field ``path``."""
    path, separator, message = text.partition(": ")
    if not separator or " " in path:
        return Problem(field=None, message=text)
    return Problem(field=path, message=message)
