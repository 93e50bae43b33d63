"""Dependencies point one way: a lower layer never imports a higher one (spec/style.md)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "segmentr"

# package -> the segmentr packages it may import (besides itself; ``segmentr.errors`` is open to every package).
# Every package needs a rule: one without is a failure, never a skip.
ALLOWED: dict[str, set[str]] = {
    "stof": set(),
    "policy": {"stof"},
    "segments": {"stof", "policy"},
    "sample": {"stof", "policy"},
    # pure decisions over the engines: no storage
    "pricing": {"stof", "policy", "segments"},
    "notifications": {"stof", "policy", "segments"},
    "store": {"stof", "policy", "segments", "sample", "pricing", "notifications"},
    # the application's use cases: above store and the engines, below every interface
    "service": {"stof", "policy", "segments", "store", "sample", "pricing", "notifications"},
    # the HTTP API and the dashboard reach everything through the service
    "api": {"service", "web"},  # create_app mounts the dashboard beside /v1
    "web": {"service"},
    # the typed HTTP client stands alone (an integrating application installs it without the server)
    "client": set(),
    "cli": {"stof", "policy", "segments", "store", "sample", "service", "api", "web", "client"},
}
# Above store, these packages are used only through their public face (their __init__), never their modules
# (a package's own modules excepted).
PUBLIC_FACE_ONLY = {"segments", "pricing", "store", "service"}
# The interfaces reach segment evaluation and membership through the service, never by composing the engines.
SERVICE_USE_CASES = {f"segmentr.segments.{name}" for name in (
    "evaluate", "evaluate_many", "members", "count", "preview", "change_preview", "CustomerSource"
)}  # fmt: skip
INTERFACES = {"cli", "api", "web"}
# finer rule inside policy: only the units module of stof
POLICY_STOF_MODULES = {"segmentr.stof.units", "segmentr.stof.host"}
# third-party library -> where it may be imported: a package, or a folder inside one ("notifications/channels")
THIRD_PARTY_ONLY_IN = {
    "sqlalchemy": {"store"},
    "alembic": {"store"},
    "psycopg": {"store"},
    "fastapi": {"api", "web"},
    "starlette": {"api", "web"},
    "uvicorn": {"api", "cli"},
    "httpx": {"notifications/channels", "client"},
    "argon2": {"service"},
}
# inside notifications, the network libraries stay behind the channel seam
NOTIFICATIONS_CHANNEL_ONLY = {"httpx", "smtplib", "standardwebhooks"}


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


def _packages() -> set[str]:
    return {path.name for path in SRC.iterdir() if path.is_dir() and (path / "__init__.py").exists()}


def _may_use(library_places: set[str], path: Path) -> bool:
    rel = path.relative_to(SRC).as_posix()
    return any(rel.startswith(place + "/") for place in library_places)


def test_every_package_has_a_rule() -> None:
    missing = sorted(_packages() - set(ALLOWED))
    assert not missing, f"no layering rule for {missing}: add each to ALLOWED in tests/architecture/test_layers.py"


@pytest.mark.parametrize(("package", "path"), list(_modules()), ids=lambda v: str(v).rsplit("src/", 1)[-1])
def test_package_imports_only_lower_layers(package: str, path: Path) -> None:
    allowed = ALLOWED.get(package)
    if allowed is None:
        pytest.fail(f"no layering rule for package {package!r}: add one to ALLOWED", pytrace=False)
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
        if package == "notifications" and lib in NOTIFICATIONS_CHANNEL_ONLY:
            assert "channels" in path.relative_to(SRC).parts, f"{path.name} (notifications) imports {lib}"
        if lib in THIRD_PARTY_ONLY_IN:
            assert _may_use(THIRD_PARTY_ONLY_IN[lib], path), f"{path.name} ({package}) imports {lib}"


def test_the_rules_themselves() -> None:
    """The rules fail what they must: an unknown package, an interface reaching past the service, httpx outside
    the channels and the client, storage in the pure packages."""
    assert "store" not in ALLOWED["pricing"] | ALLOWED["notifications"]
    assert ALLOWED["api"] - {"web"} == ALLOWED["web"] == {"service"}
    assert _may_use(THIRD_PARTY_ONLY_IN["httpx"], SRC / "notifications" / "channels" / "webhook.py")
    assert not _may_use(THIRD_PARTY_ONLY_IN["httpx"], SRC / "notifications" / "relay.py")
    assert _may_use(THIRD_PARTY_ONLY_IN["httpx"], SRC / "client" / "sync.py")


def _above(package: str) -> bool:
    return package in ALLOWED and bool({"store", "service"} & ALLOWED[package])


@pytest.mark.parametrize(
    ("package", "path"), [m for m in _modules() if _above(m[0])], ids=lambda v: str(v).rsplit("src/", 1)[-1]
)
def test_upper_layers_use_public_faces_and_the_service(package: str, path: Path) -> None:
    for name in _imports(path):
        parts = name.split(".")
        if parts[0] != "segmentr" or len(parts) < 3 or parts[1] not in PUBLIC_FACE_ONLY or parts[1] == package:
            continue
        module = f"segmentr.{parts[1]}"
        # `from segmentr.segments import X` yields segmentr.segments.X: a name of the face, fine;
        # `from segmentr.segments.membership import …` or `import segmentr.store.db` reaches a module.
        public = getattr(importlib.import_module(module), "__all__", [])
        assert parts[2] in public, f"{path.name} ({package}) imports {name}, not part of {module}'s public face"
        if package in INTERFACES:
            assert name not in SERVICE_USE_CASES, f"{path.name} ({package}) uses {name}: go through segmentr.service"
