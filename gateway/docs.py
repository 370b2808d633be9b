"""GET /openapi.json (gateway/openapi.py) and the interactive /docs page: Swagger UI from
the swagger-ui-bundle package, served from this process (nothing is fetched from
elsewhere), reading /openapi.json."""
from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import swagger_ui_bundle
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from gateway.openapi import document, openapi_path
from llamastack_grpc import http_bindings, services

STATIC = Path(__file__).parent / "static"
TITLE = "llama-stack-grpc"


def _version() -> str:
    try:
        return metadata.version("llama-stack-grpc")
    except metadata.PackageNotFoundError:
        return "0.1.0+source"


def _own_routes(routes: list[BaseRoute]) -> list[tuple[str, str, str]]:
    """The app's routes that are not RPC bindings (this module's, /metrics...)."""
    rpc_paths = {openapi_path(b.path) for s in services() for b in http_bindings(s)}
    own = []
    for route in routes:
        if isinstance(route, Route):
            path = re.sub(r"\{([^}:]+):[^}]+\}", r"{\1}", route.path)
            if path not in rpc_paths:
                own += [(path, verb, route.name or path) for verb in sorted(route.methods or ()) if verb != "HEAD"]
    return own


class _Document:
    def __init__(self):
        self.cached: dict | None = None

    async def serve(self, request: Request) -> JSONResponse:
        if self.cached is None:  # built once, after every route (telemetry's too) is in place
            self.cached = document(_own_routes(request.app.router.routes), TITLE, _version())
        return JSONResponse(self.cached)


async def _page(request: Request) -> FileResponse:
    return FileResponse(STATIC / "docs.html")


async def _page_script(request: Request) -> FileResponse:
    return FileResponse(STATIC / "docs-init.js", media_type="text/javascript")


def docs_routes() -> list[BaseRoute]:
    return [
        Route("/openapi.json", _Document().serve, methods=["GET"], name="the OpenAPI document of every route"),
        Route("/docs", _page, methods=["GET"], name="interactive API documentation (Swagger UI)"),
        Route("/docs/init.js", _page_script, methods=["GET"], name="the docs page's set-up"),
        Mount("/docs/assets", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="docs-assets"),
    ]
