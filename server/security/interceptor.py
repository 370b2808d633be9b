"""The gRPC server interceptor that enforces the access policy on every call before any
handler runs: a missing or unknown key is UNAUTHENTICATED, a read-only key calling a
write is PERMISSION_DENIED, each with an ErrorInfo naming the reason."""
from __future__ import annotations

import logging

import grpc
from google.rpc import code_pb2

from server.rpc.details import error_status
from server.security.api_keys import AccessPolicy, AuthError

log = logging.getLogger(__name__)


class AuthInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, policy: AccessPolicy):
        self.policy = policy

    async def intercept_service(self, continuation, handler_call_details):
        metadata = dict(handler_call_details.invocation_metadata or ())
        try:
            self.policy.check_rpc(handler_call_details.method, metadata.get("authorization"))
        except AuthError as refused:
            log.info("refused %s: %s", handler_call_details.method, refused.reason)
            return _refusal(await continuation(handler_call_details), refused)
        return await continuation(handler_call_details)


def _refusal(handler: grpc.RpcMethodHandler | None, refused: AuthError) -> grpc.RpcMethodHandler:
    """A handler of the same shape as the one refused (reflection streams both ways),
    answering only the status."""
    status = error_status(getattr(code_pb2, refused.code), refused.message, refused.reason)

    async def answer(request, context):
        await context.abort_with_status(status)

    async def answer_streaming(request, context):
        await context.abort_with_status(status)
        yield  # makes this an async generator, as a streaming handler must be

    if handler is None:
        return grpc.unary_unary_rpc_method_handler(answer)
    make = {(False, False): grpc.unary_unary_rpc_method_handler, (False, True): grpc.unary_stream_rpc_method_handler,
            (True, False): grpc.stream_unary_rpc_method_handler, (True, True): grpc.stream_stream_rpc_method_handler}
    streaming = handler.response_streaming
    return make[handler.request_streaming, streaming](answer_streaming if streaming else answer,
                                                      request_deserializer=handler.request_deserializer,
                                                      response_serializer=handler.response_serializer)
