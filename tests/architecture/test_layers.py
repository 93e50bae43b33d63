"""Dependencies point one way: a lower layer never imports a higher one (spec/style.md)."""

from __future__ import annotations

import ast
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
    "service": {"stof", "policy", "segments", "store", "sample"},
    "cli": {"stof", "policy", "segments", "store", "sample", "service"},
}
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
