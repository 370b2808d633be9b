"""Domain errors -> gRPC status with google.rpc.Status details (AIP-193 style)."""
from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from server import errors

_CODES = {
    errors.InvalidArgument: code_pb2.INVALID_ARGUMENT,
    errors.NotFound: code_pb2.NOT_FOUND,
    errors.AlreadyExists: code_pb2.ALREADY_EXISTS,
    errors.FailedPrecondition: code_pb2.FAILED_PRECONDITION,
    errors.Unavailable: code_pb2.UNAVAILABLE,
    errors.ResourceExhausted: code_pb2.RESOURCE_EXHAUSTED,
}


def to_grpc_status(error: errors.ServiceError) -> grpc.Status:
    code = next(c for kind, c in _CODES.items() if isinstance(error, kind))
    details = []
    if isinstance(error, errors.InvalidArgument) and error.field:
        violation = error_details_pb2.BadRequest.FieldViolation(field=error.field, description=error.description)
        packed = any_pb2.Any()
        packed.Pack(error_details_pb2.BadRequest(field_violations=[violation]))
        details.append(packed)
    return rpc_status.to_status(status_pb2.Status(code=code, message=error.message, details=details))
