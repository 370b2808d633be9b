"""AIP-193 error statuses: every status this server answers carries a
google.rpc.ErrorInfo (a stable UPPER_SNAKE reason and the server's domain), plus
BadRequest field violations for bad fields and RetryInfo for RESOURCE_EXHAUSTED and
UNAVAILABLE."""
from __future__ import annotations

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

DOMAIN = "llamastack.grpc"
DEFAULT_RETRY_DELAY = 1.0  # seconds, when the error names none
_RETRYABLE = (code_pb2.RESOURCE_EXHAUSTED, code_pb2.UNAVAILABLE)


def _pack(message) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


def error_status(code: int, message: str, reason: str, *, metadata: dict[str, str] | None = None,
                 field_violations: tuple[tuple[str, str], ...] = (),
                 retry_delay: float | None = None) -> grpc.Status:
    """code is a google.rpc.Code value; field_violations are (field path, description)."""
    details = [_pack(error_details_pb2.ErrorInfo(reason=reason, domain=DOMAIN, metadata=metadata or {}))]
    if field_violations:
        details.append(_pack(error_details_pb2.BadRequest(field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field=f, description=d) for f, d in field_violations])))
    if code in _RETRYABLE:
        delay = DEFAULT_RETRY_DELAY if retry_delay is None else retry_delay
        details.append(_pack(error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(
            seconds=int(delay), nanos=int((delay % 1) * 1e9)))))
    return rpc_status.to_status(status_pb2.Status(code=code, message=message, details=details))


def grpc_code(code: grpc.StatusCode) -> int:
    return code.value[0]
