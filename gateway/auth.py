"""API keys at the gateway: before a request is read, its key is checked, so a caller
without one gets 401 whatever else is wrong with the request. The check is the
server's, handed in as `authorize(target, authorization) -> (status, detail) | None`
(target: the RPC path of a route, or the group of the gateway's own routes /metrics,
/openapi.json, /docs), so the gateway holds no keys. The server checks RPCs again: it
receives the caller's `authorization` header as metadata."""
from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.responses import JSONResponse

from gateway.errors import error_body

Authorize = Callable[[str, "str | None"], "tuple[int, str] | None"]

# Path (or path prefix, ending in /) -> the group named by the server's `security.exempt`.
LOCAL_ROUTE_GROUPS = {"/metrics": "metrics", "/openapi.json": "docs", "/docs": "docs", "/docs/": "docs"}


def _group(path: str) -> str | None:
    if path in LOCAL_ROUTE_GROUPS:
        return LOCAL_ROUTE_GROUPS[path]
    return next((g for prefix, g in LOCAL_ROUTE_GROUPS.items() if prefix.endswith("/") and path.startswith(prefix)),
                None)


def challenge_headers(status: int) -> dict[str, str] | None:
    """RFC 6750: a 401 names the scheme the caller should use."""
    return {"WWW-Authenticate": 'Bearer realm="llama-stack-grpc"'} if status == 401 else None


def refusal_response(authorize: Authorize | None, target: str, headers: Headers) -> JSONResponse | None:
    refusal = authorize(target, headers.get("authorization")) if authorize is not None else None
    if refusal is None:
        return None
    status, detail = refusal
    return JSONResponse(error_body(status, detail), status_code=status, headers=challenge_headers(status))


class LocalRouteAuth:
    """ASGI middleware refusing the gateway's own routes without a valid key."""

    def __init__(self, app, authorize: Authorize | None):
        self.app = app
        self.authorize = authorize

    async def __call__(self, scope, receive, send):
        group = _group(scope["path"]) if scope["type"] == "http" else None
        if group is not None:
            refused = refusal_response(self.authorize, group, Headers(scope=scope))
            if refused is not None:
                await refused(scope, receive, send)
                return
        await self.app(scope, receive, send)
