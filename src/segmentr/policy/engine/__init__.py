"""The policy engine (policy.md §2): one `Policy` class composed of a mixin per concern."""

from .policy import Policy

__all__ = ["Policy"]
