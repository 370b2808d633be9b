"""Errors raised by domain services. They know nothing of gRPC or HTTP: the RPC layer
maps each kind to a status code (server/rpc/status.py), the gateway maps that to HTTP."""
from __future__ import annotations


class ServiceError(Exception):
    """Base class; `message` is shown to the caller as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidArgument(ServiceError):
    """The request is wrong. `field` names the offending request field (json name path)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.description = message


class NotFound(ServiceError):
    pass


class AlreadyExists(ServiceError):
    pass


class FailedPrecondition(ServiceError):
    pass


class Unavailable(ServiceError):
    pass


class ResourceExhausted(ServiceError):
    pass
