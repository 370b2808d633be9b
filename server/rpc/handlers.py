"""Generic gRPC method handlers built from the contract's descriptors.

Every service of the contract is registered. A method whose area has a servicer
runs through one wrapper (validate the request, call the servicer, map domain
errors to a status); any other method validates its request the same way and then
answers UNIMPLEMENTED with its own name. Bytes that do not decode as the request
message are INVALID_ARGUMENT, for every method.
"""
from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from typing import Any

import grpc
from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.message import DecodeError
from google.rpc import code_pb2

from server.errors import InvalidArgument, ServiceError
from server.rpc.details import error_status
from server.rpc.status import to_grpc_status
from server.rpc.validation import validate

log = logging.getLogger(__name__)


def generic_handlers(services: tuple[ServiceDescriptor, ...], servicers: Mapping[str, Any]):
    """One grpc.GenericRpcHandler per service; servicers maps service full name -> object."""
    handlers = []
    for service in services:
        servicer = servicers.get(service.full_name)
        methods = {method.name: _method_handler(method, servicer) for method in service.methods}
        handlers.append(grpc.method_handlers_generic_handler(service.full_name, methods))
    return handlers


def _method_handler(method: MethodDescriptor, servicer: Any) -> grpc.RpcMethodHandler:
    request_type = message_factory.GetMessageClass(method.input_type)
    response_type = message_factory.GetMessageClass(method.output_type)
    implementation = getattr(servicer, method.name, None)
    full_name = f"{method.containing_service.full_name}/{method.name}"
    if method.client_streaming:
        raise ValueError(f"{full_name}: client streaming is not part of this contract")

    if implementation is None:
        async def behaviour(request, context):
            with _errors_as_status(full_name, context) as aborted:
                _accept(request)
            await context.abort_with_status(aborted.status or error_status(
                code_pb2.UNIMPLEMENTED, f"{full_name} is not implemented yet", "NOT_IMPLEMENTED"))
    elif method.server_streaming:
        async def behaviour(request, context):
            with _errors_as_status(full_name, context) as aborted:
                _accept(request)
                # Written here rather than yielded, so that the servicer's stream is closed the
                # moment the call ends, however it ends (the client cancelling while a message
                # is written included): its cleanup never waits for the garbage collector.
                async with contextlib.aclosing(implementation(request, context)) as responses:
                    async for response in responses:
                        await context.write(response)
            if aborted.status is not None:
                await context.abort_with_status(aborted.status)
    else:
        async def behaviour(request, context):
            with _errors_as_status(full_name, context) as aborted:
                _accept(request)
                return await implementation(request, context)
            await context.abort_with_status(aborted.status)

    make = grpc.unary_stream_rpc_method_handler if method.server_streaming else grpc.unary_unary_rpc_method_handler
    return make(behaviour, request_deserializer=_deserializer(request_type),
                response_serializer=response_type.SerializeToString)


class _Undecodable:
    """What the request deserializer hands on for bytes that are not the request message
    (corrupt, or nested past protobuf's depth limit): the handler answers INVALID_ARGUMENT,
    where a raising deserializer would give UNKNOWN and a logged traceback per call."""

    def __init__(self, type_name: str):
        self.type_name = type_name


def _deserializer(request_type):
    undecodable = _Undecodable(request_type.DESCRIPTOR.full_name)

    def deserialize(data: bytes):
        try:
            return request_type.FromString(data)
        except DecodeError:
            return undecodable
    return deserialize


def _accept(request) -> None:
    if isinstance(request, _Undecodable):
        raise InvalidArgument("", f"the request is not a valid {request.type_name} message "
                                  "(corrupt bytes, or nested past protobuf's depth limit of 100)")
    validate(request)


class _Aborted:
    status: grpc.Status | None = None


@contextlib.contextmanager
def _errors_as_status(full_name: str, context):
    """Turns a domain error (or a bug) raised in the block into the status to answer."""
    aborted = _Aborted()
    try:
        yield aborted
    except grpc.aio.AbortError:
        raise  # the servicer chose its status itself
    except ServiceError as error:
        aborted.status = to_grpc_status(error)
    except Exception:
        log.exception("unexpected error in %s", full_name)
        aborted.status = error_status(code_pb2.INTERNAL, f"internal error in {full_name}; see the server log",
                                      "INTERNAL")
