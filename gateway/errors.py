"""gRPC status -> HTTP status and the specs' Error body {status, title, detail}."""
from __future__ import annotations

from http import HTTPStatus

import grpc

# The canonical mapping (google.rpc.Code's documented HTTP equivalents).
HTTP_STATUS = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}


def error_body(status: int, detail: str) -> dict:
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Client Closed Request" if status == 499 else "Error"
    return {"status": status, "title": title, "detail": detail}


def from_rpc_error(error: grpc.aio.AioRpcError) -> tuple[int, dict]:
    status = HTTP_STATUS.get(error.code(), 500)
    return status, error_body(status, error.details() or error.code().name)
