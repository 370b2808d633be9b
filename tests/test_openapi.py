"""/openapi.json is valid OpenAPI and lists every route the gateway answers (both
contracts, the extensions, the /v1 aliases, its own routes); /docs renders it with
Swagger UI in headless Chromium, every operation listed (screenshot under
.build/artifacts)."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from openapi_spec_validator import validate
from starlette.routing import Route

from gateway.openapi import openapi_path
from llamastack_grpc import http_bindings, services
from tests.conftest import ROOT

ARTIFACTS = ROOT / ".build" / "artifacts"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _operations(doc: dict) -> set[tuple[str, str]]:
    return {(verb.upper(), path) for path, item in doc["paths"].items() for verb in item}


def test_openapi_document_is_valid_and_lists_every_route(server):
    response = server.http.get("/openapi.json")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    doc = response.json()
    validate(doc)
    listed = _operations(doc)
    bindings = {(b.verb, openapi_path(b.path)) for s in services() for b in http_bindings(s)}
    assert bindings <= listed
    assert {("GET", "/v1/datasets"), ("GET", "/v1beta/datasets"), ("POST", "/agents/execute"),
            ("GET", "/openapi.json"), ("GET", "/docs")} <= listed
    app = server.app.http_server.config.app
    answered = {(verb, re.sub(r"\{([^}:]+):[^}]+\}", r"{\1}", route.path)) for route in app.router.routes
                if isinstance(route, Route) for verb in route.methods if verb != "HEAD"}
    assert answered <= listed, sorted(answered - listed)
    assert listed - answered == set()  # nothing listed that is not answered

    register = doc["paths"]["/v1beta/datasets"]["post"]
    schemas = doc["components"]["schemas"]
    request = schemas[register["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]]
    assert set(request["required"]) == {"purpose", "source"}
    purpose = schemas["llamastack.datasets.v1beta.Dataset"]["properties"]["purpose"]
    assert "eval/question-answer" in purpose["enum"]
    source = schemas["llamastack.datasets.v1beta.DataSource"]["oneOf"]
    assert {v["allOf"][1]["properties"]["type"]["enum"][0] for v in source} == {"uri", "rows"}
    turn = doc["paths"]["/v1alpha/agents/{agent_id}/session/{session_id}/turn"]["post"]["responses"]["200"]
    assert {"text/event-stream", "application/json"} <= set(turn["content"])


def test_docs_page_renders_every_operation_in_headless_chromium(server, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed (scripts/install-client-toolchains)")
    assert server.http.get("/docs/assets/swagger-ui-bundle.js").status_code == 200
    operations = _operations(server.http.get("/openapi.json").json())
    url = f"{server.base_url}/docs"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / "docs-page.png"
    screenshot.unlink(missing_ok=True)

    def chromium_run(*args: str) -> str:
        profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
        profile.mkdir()
        done = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                               "--virtual-time-budget=20000", *args, url],
                              capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    dom = chromium_run("--dump-dom")
    shown = set(re.findall(r'class="opblock-summary-method">(\w+)</span>.*?data-path="([^"]+)"', dom, re.S))
    assert {(verb, path) for verb, path in shown} == operations, sorted(operations ^ shown)[:10]
    chromium_run("--window-size=1280,2400", f"--screenshot={screenshot}", "--hide-scrollbars")
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
