"""The OpenAPI snapshot: ``python -m segmentr.api.snapshot tests/api/openapi.json`` rewrites the committed copy
that ``tests/api/test_api_openapi.py`` compares against. Run it after changing a route or a model, then review
the diff: it is the contract clients are generated from."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from segmentr.api.app import create_app

__all__ = ["document", "snapshot_text"]


def document() -> dict[str, Any]:
    """The application's OpenAPI document (no database needed)."""

    return create_app().openapi()


def snapshot_text() -> str:
    return json.dumps(document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    if target is None:
        sys.stdout.write(snapshot_text())
    else:
        target.write_text(snapshot_text(), encoding="utf-8")
