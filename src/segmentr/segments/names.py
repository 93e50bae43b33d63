"""Segment names and ids never collide: ids carry the ``seg_`` prefix and a name may not start with it; names
are unique by their key (Unicode NFKC, then case folding), and invisible characters that make two names look
alike or reorder what is shown (zero-width, bidirectional controls: Unicode's format characters) are refused."""

from __future__ import annotations

import unicodedata

__all__ = ["SEGMENT_ID_PREFIX", "looks_like_segment_id", "name_key", "name_problem"]

SEGMENT_ID_PREFIX = "seg_"


def name_key(name: str) -> str:
    """The key two names must not share in a workspace: ``Growth``, ``GROWTH`` and ``Ｇｒｏｗｔｈ`` are one."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def looks_like_segment_id(text: str) -> bool:
    """Whether a reference is read as an id (``seg_…``, in any case or width) rather than a name."""
    return name_key(text).startswith(SEGMENT_ID_PREFIX)


def name_problem(name: str) -> str | None:
    """Why ``name`` may not name a segment (beyond length and blanks, the draft model's checks), or None."""
    if any(unicodedata.category(ch) == "Cf" for ch in name):
        return "the name must not contain invisible format characters (zero-width or bidirectional controls)"
    if looks_like_segment_id(name):
        return f"the name must not start with {SEGMENT_ID_PREFIX!r}: that is how segment ids start"
    return None
