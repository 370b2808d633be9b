"""Domain errors -> gRPC status with google.rpc.Status details (AIP-193 style)."""
from __future__ import annotations

import grpc
from google.rpc import code_pb2

from llamastack_grpc import bounded
from server import errors
from server.rpc.details import error_status

_CODES = {
    errors.InvalidArgument: code_pb2.INVALID_ARGUMENT,
    errors.NotFound: code_pb2.NOT_FOUND,
    errors.AlreadyExists: code_pb2.ALREADY_EXISTS,
    errors.FailedPrecondition: code_pb2.FAILED_PRECONDITION,
    errors.Unavailable: code_pb2.UNAVAILABLE,
    errors.ResourceExhausted: code_pb2.RESOURCE_EXHAUSTED,
}


def to_grpc_status(error: errors.ServiceError) -> grpc.Status:
    # Messages are bounded: they travel in trailers, whose size gRPC limits.
    code = next(c for kind, c in _CODES.items() if isinstance(error, kind))
    bad_field = isinstance(error, errors.InvalidArgument) and error.field
    violations = ((bounded(error.field, 256), bounded(error.description)),) if bad_field else ()
    return error_status(code, bounded(error.message), error.reason, field_violations=violations,
                        retry_delay=error.retry_after)
