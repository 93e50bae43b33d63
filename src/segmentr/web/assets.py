"""The built front-end bundle: where it lives, its manifest (logical name → content-hashed file), its URLs."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

DIST = Path(__file__).resolve().parent / "static" / "dist"
STATIC_PREFIX = "/static/"
BUILD_HINT = "run `make bundle` (npm ci, then esbuild) to build it"
# esbuild's [name]-[hash] file names: safe to cache for ever, a change makes a new name
_HASHED = re.compile(r"-[A-Z0-9]{8}\.[a-z0-9]+$")


def is_content_hashed(name: str) -> bool:
    """Whether a bundle file name carries a content hash (so it can be cached for a year)."""
    return _HASHED.search(name) is not None


@dataclass
class Bundle:
    """The bundle in ``directory``; the manifest is re-read when the build rewrites it (a rebuild while serving)."""

    directory: Path = DIST
    _manifest: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    _stamp: float | None = field(default=None, init=False, repr=False)

    @property
    def manifest_path(self) -> Path:
        return self.directory / "manifest.json"

    def manifest(self) -> dict[str, str]:
        """Logical name (``editor.js``) → file name inside the bundle; empty when the bundle is not built."""
        try:
            stamp = self.manifest_path.stat().st_mtime
        except FileNotFoundError:
            self._manifest, self._stamp = {}, None
            return self._manifest
        if stamp != self._stamp:
            loaded = json.loads(self.manifest_path.read_text(encoding="utf-8"))
            self._manifest = {str(key): str(value) for key, value in loaded.items()}
            self._stamp = stamp
        return self._manifest

    @property
    def ready(self) -> bool:
        return bool(self.manifest())

    def url(self, name: str) -> str | None:
        """The URL of a bundle entry (``/static/editor-3F2A….js``), or None when the bundle is not built."""
        file = self.manifest().get(name)
        return f"{STATIC_PREFIX}{file}" if file else None

    def file(self, relative: str) -> Path | None:
        """The file a ``/static/`` path names, or None: nothing outside the bundle directory is ever served."""
        if not relative or "\\" in relative or "\x00" in relative:
            return None
        root = self.directory.resolve()
        candidate = (root / relative).resolve()
        if root not in candidate.parents or not candidate.is_file():
            return None
        return candidate

    def files(self) -> list[Path]:
        """Every file of the built bundle."""
        return sorted(path for path in self.directory.glob("*") if path.is_file()) if self.directory.is_dir() else []


__all__ = ["BUILD_HINT", "DIST", "STATIC_PREFIX", "Bundle", "is_content_hashed"]
