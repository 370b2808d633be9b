"""Checks on error answers, shared by the limit and input-check tests."""
from __future__ import annotations

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

ERROR_KEYS = {"status", "title", "detail"}
# Error messages quote at most a bounded prefix of a value (llamastack_grpc.bounded).
MAX_DETAIL = 1200


def assert_error_body(response, status: int, detail_start: str | None = None) -> str:
    """The specs' Error body, with this status; returns its detail."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert ERROR_KEYS <= set(body) <= ERROR_KEYS | {"instance"}, body
    assert body["status"] == status and body["title"] and body["detail"], body
    assert len(body["detail"]) <= MAX_DETAIL, len(body["detail"])
    if detail_start is not None:
        assert body["detail"].startswith(detail_start), body["detail"]
    return body["detail"]


def assert_invalid_argument(error: grpc.RpcError, field: str | None) -> str:
    """INVALID_ARGUMENT, naming `field` in a BadRequest field violation (None: no field)."""
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, (error.code(), error.details())
    assert len(error.details()) <= MAX_DETAIL
    if field is not None:
        status = rpc_status.from_call(error)
        assert status is not None, error.details()
        (request,) = [_unpack(d, error_details_pb2.BadRequest) for d in status.details
                      if d.Is(error_details_pb2.BadRequest.DESCRIPTOR)]
        assert [v.field for v in request.field_violations] == [field], request
    return error.details()


def _unpack(detail, message_type):
    message = message_type()
    detail.Unpack(message)
    return message
