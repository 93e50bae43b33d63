"""Dependencies point one way: a lower layer never imports a higher one (spec/style.md)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "segmentr"

# package -> the segmentr packages it may import (besides itself)
ALLOWED: dict[str, set[str]] = {
    "stof": set(),
    "policy": {"stof"},
    "segments": {"stof", "policy"},
    "sample": {"stof", "policy"},
    "store": {"stof", "policy", "segments", "sample"},
    # the application's use cases: above store and segments, below every interface
    "service": {"stof", "policy", "segments", "store", "sample"},
    "api": {"stof", "policy", "segments", "store", "sample", "service"},
    # the dashboard reaches everything through the use cases (segmentr.errors is allowed everywhere)
    "web": {"service"},
    "cli": {"stof", "policy", "segments", "store", "sample", "service", "api", "web"},
}
# Above store, these packages are used only through their public face (their __init__), never their modules.
PUBLIC_FACE_ONLY = {"segments", "store"}
# The interfaces reach segment evaluation and membership through the service, never by composing the engines.
SERVICE_USE_CASES = {f"segmentr.segments.{name}" for name in (
    "evaluate", "evaluate_many", "members", "count", "preview", "change_preview", "CustomerSource"
)}  # fmt: skip
INTERFACES = {"cli", "api", "web"}
# finer rule inside policy: only the units module of stof
POLICY_STOF_MODULES = {"segmentr.stof.units"}
THIRD_PARTY_ONLY_IN = {"sqlalchemy": {"store"}, "alembic": {"store"}, "fastapi": {"api", "web"}}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _modules():
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if len(rel.parts) > 1:
            yield rel.parts[0], path


@pytest.mark.parametrize(("package", "path"), list(_modules()), ids=lambda v: str(v).rsplit("src/", 1)[-1])
def test_package_imports_only_lower_layers(package: str, path: Path) -> None:
    allowed = ALLOWED.get(package)
    if allowed is None:
        pytest.skip(f"no rule for package {package}")
    for name in _imports(path):
        parts = name.split(".")
        if parts[0] == "segmentr" and len(parts) > 1 and parts[1] != package:
            target = parts[1]
            if target in {"errors", "__version__"}:
                continue
            assert target in allowed, f"{path.name} ({package}) imports {name}"
            if package == "policy" and target == "stof":
                assert name in POLICY_STOF_MODULES or name.startswith(tuple(POLICY_STOF_MODULES)), name
        lib = parts[0]
        if lib in THIRD_PARTY_ONLY_IN:
            assert package in THIRD_PARTY_ONLY_IN[lib], f"{path.name} ({package}) imports {lib}"


def _above(package: str) -> bool:
    return package in ALLOWED and "store" in ALLOWED[package]


@pytest.mark.parametrize(
    ("package", "path"), [m for m in _modules() if _above(m[0])], ids=lambda v: str(v).rsplit("src/", 1)[-1]
)
def test_upper_layers_use_public_faces_and_the_service(package: str, path: Path) -> None:
    for name in _imports(path):
        parts = name.split(".")
        if parts[0] != "segmentr" or len(parts) < 3 or parts[1] not in PUBLIC_FACE_ONLY:
            continue
        module = f"segmentr.{parts[1]}"
        # `from segmentr.segments import X` yields segmentr.segments.X: a name of the face, fine;
        # `from segmentr.segments.membership import …` or `import segmentr.store.db` reaches a module.
        public = getattr(importlib.import_module(module), "__all__", [])
        assert parts[2] in public, f"{path.name} ({package}) imports {name}, not part of {module}'s public face"
        if package in INTERFACES:
            assert name not in SERVICE_USE_CASES, f"{path.name} ({package}) uses {name}: go through segmentr.service"
