"""The built bundle (size, hashed names, nothing from elsewhere) and the web router over real HTTP."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import httpx
import pytest

from segmentr import web
from segmentr.web import Bundle

MAX_JS_GZIPPED = 250 * 1024
TEMPLATES = Path(web.__file__).resolve().parent / "templates"


def test_bundled_javascript_stays_under_250_kb_gzipped(bundle: Bundle) -> None:
    scripts = [path for path in bundle.files() if path.suffix == ".js"]
    assert {"app.js", "editor.js", "charts.js", "theme.js"} <= set(bundle.manifest())
    total = sum(len(gzip.compress(path.read_bytes(), compresslevel=9)) for path in scripts)
    assert 0 < total <= MAX_JS_GZIPPED, f"{total / 1024:.1f} KB gzipped"


def test_bundle_files_carry_content_hashes(bundle: Bundle) -> None:
    for logical, file in bundle.manifest().items():
        stem, ext = logical.rsplit(".", 1)
        assert re.fullmatch(rf"{stem}-[A-Z0-9]{{8}}\.{ext}", file), file
        assert (bundle.directory / file).is_file()


def test_nothing_is_loaded_from_another_origin() -> None:
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), template.name


@pytest.fixture
def client(live_server):
    with httpx.Client(base_url=live_server.url, follow_redirects=False) as http:
        yield http


def test_static_files_are_cached_for_a_year(client, bundle: Bundle) -> None:
    url = bundle.url("editor.js")
    assert url is not None and url.startswith("/static/editor-")
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-type"].startswith("text/javascript")
    assert client.get("/static/manifest.json").headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    "path", ["/static/../__init__.py", "/static/%2e%2e/assets.py", "/static/..%2F..%2Fweb%2F__init__.py", "/static/nope.js", "/static/"]
)
def test_nothing_outside_the_bundle_is_served(client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "segmentr" not in response.text


def test_pages_carry_a_strict_content_security_policy(client) -> None:
    response = client.get("/editor")
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in response.text  # no inline script, only the bundle's files and JSON data


def test_environment_switch_sets_a_cookie_and_returns_to_the_page(client) -> None:
    response = client.post("/environment", data={"environment": "test", "next": "/customers?page=2"})
    assert response.status_code == 303
    assert response.headers["location"] == "/customers?page=2"
    assert "segmentr_environment=test" in response.headers["set-cookie"]
    assert "HttpOnly" in response.headers["set-cookie"]
    client.cookies.set("segmentr_environment", "test")
    assert 'data-environment="test"' in client.get("/empty").text


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", ""])
def test_environment_switch_never_redirects_off_site(client, target: str) -> None:
    response = client.post("/environment", data={"environment": "live", "next": target})
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_environment_switch_refuses_an_unknown_environment(client) -> None:
    response = client.post("/environment", data={"environment": "prod"})
    assert response.status_code == 422
    assert "test or live" in response.text


def test_an_unreadable_cookie_is_ignored(client) -> None:
    client.cookies.set("segmentr_environment", "nonsense")
    client.cookies.set("segmentr_flash", "{not json")
    response = client.get("/empty")
    assert response.status_code == 200
    assert 'data-environment="live"' in response.text


def test_pages_render_without_a_built_bundle(tmp_path: Path) -> None:
    templates = web.create_templates(bundle=Bundle(tmp_path))
    html = templates.get_template("sign_in.html").render(layout=None, current_path="/sign-in", error=None)
    assert "front end is not built" in html and "make bundle" in html
    assert "<script" not in html
