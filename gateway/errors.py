"""gRPC status -> HTTP status and the specs' Error body {status, title, detail}."""
from __future__ import annotations

import math
from http import HTTPStatus
from typing import NamedTuple

import grpc
from google.rpc import error_details_pb2, status_pb2

from llamastack_grpc import bounded

# The canonical mapping (google.rpc.Code's documented HTTP equivalents), except for
# RESOURCE_EXHAUSTED: see from_rpc_error.
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
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}

_DETAILS_KEY = "grpc-status-details-bin"


class HttpError(NamedTuple):
    status: int
    body: dict
    headers: dict[str, str]


def error_body(status: int, detail: str) -> dict:
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Client Closed Request" if status == 499 else "Error"
    return {"status": status, "title": title, "detail": bounded(detail)}


def from_rpc_error(error: grpc.aio.AioRpcError) -> HttpError:
    """A status saying when to retry (RetryInfo) gives a Retry-After header. The service
    reports a rate or capacity limit as RESOURCE_EXHAUSTED with RetryInfo: 429. Without
    it, RESOURCE_EXHAUSTED is a size limit of gRPC itself (a message or its metadata past
    a limit): 413, since retrying the same request cannot succeed."""
    delay = _retry_delay(error)
    if error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
        status = 413 if delay is None else 429
    else:
        status = HTTP_STATUS.get(error.code(), 500)
    headers = {} if delay is None else {"Retry-After": str(max(1, math.ceil(delay)))}
    return HttpError(status, error_body(status, error.details() or error.code().name), headers)


def _retry_delay(error: grpc.aio.AioRpcError) -> float | None:
    for key, value in error.trailing_metadata() or ():
        if key != _DETAILS_KEY:
            continue
        for detail in status_pb2.Status.FromString(value).details:
            if detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
                info = error_details_pb2.RetryInfo()
                detail.Unpack(info)
                return info.retry_delay.ToTimedelta().total_seconds()
    return None
