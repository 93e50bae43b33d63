"""The page templates: the package's layout and components with the pages' own templates."""

from __future__ import annotations

from .rendering import create_templates

templates = create_templates()

__all__ = ["templates"]
