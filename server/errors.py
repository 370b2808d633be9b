"""Errors raised by domain services. They know nothing of gRPC or HTTP: the RPC layer
maps each kind to a status code (server/rpc/status.py), the gateway maps that to HTTP."""
from __future__ import annotations


class ServiceError(Exception):
    """Base class; `message` is shown to the caller as is. `reason` is the stable
    UPPER_SNAKE cause clients may branch on (google.rpc.ErrorInfo); `retry_after` (seconds)
    says when a retry may succeed, for Unavailable and ResourceExhausted."""

    reason = "ERROR"

    def __init__(self, message: str, *, reason: str | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason
        self.retry_after = retry_after


class InvalidArgument(ServiceError):
    """The request is wrong. `field` names the offending request field (json name path)."""

    reason = "INVALID_ARGUMENT"

    def __init__(self, field: str, message: str, **kwargs):
        super().__init__(f"{field}: {message}" if field else message, **kwargs)
        self.field = field
        self.description = message


class NotFound(ServiceError):
    reason = "NOT_FOUND"


class AlreadyExists(ServiceError):
    reason = "ALREADY_EXISTS"


class FailedPrecondition(ServiceError):
    reason = "FAILED_PRECONDITION"


class Unavailable(ServiceError):
    reason = "UNAVAILABLE"


class ResourceExhausted(ServiceError):
    reason = "RESOURCE_EXHAUSTED"
