"""The grpc.aio server interceptor: every RPC gets a SERVER span (continuing the
caller's W3C `traceparent`/`tracestate` from the metadata, answering its own in a
`traceresponse` header), the go-grpc-prometheus counters and histogram, and the
request count and latency points of the metrics query. Health checks and reflection
are counted but not traced (probes would fill the store)."""
from __future__ import annotations

import contextlib
import inspect
import time
from typing import TYPE_CHECKING

import grpc
from opentelemetry import context as otel_context
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from server.telemetry.points import labels

if TYPE_CHECKING:
    from server.telemetry.runtime import Telemetry

TRACE_HEADERS = ("traceparent", "tracestate")
TRACERESPONSE = "traceresponse"
_UNTRACED_PREFIXES = ("/grpc.health.", "/grpc.reflection.")
_PROPAGATOR = TraceContextTextMapPropagator()


def traceresponse(span) -> str | None:
    """`00-<trace id>-<span id>-<flags>` (W3C Trace Context level 2) of a span, if it has ids."""
    context = span.get_span_context()
    if not context.is_valid:
        return None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


def _code(error: BaseException, context) -> grpc.StatusCode:
    if isinstance(error, grpc.aio.AbortError):
        return context.code() or grpc.StatusCode.UNKNOWN
    if not isinstance(error, Exception):  # CancelledError, GeneratorExit: the caller left or ran out of time
        remaining = context.time_remaining()
        return grpc.StatusCode.DEADLINE_EXCEEDED if remaining is not None and remaining <= 0 \
            else grpc.StatusCode.CANCELLED
    return grpc.StatusCode.UNKNOWN


class _Method:
    """What the interceptor keeps per method: label children, span attributes, series."""

    def __init__(self, telemetry: Telemetry, full_method: str, grpc_type: str):
        service, method = full_method[1:].rsplit("/", 1)
        grpc_labels = (grpc_type, service, method)
        metrics = telemetry.prometheus
        self._telemetry = telemetry
        self._handled, self._handled_labels = metrics.handled, grpc_labels
        self._handled_children: dict[grpc.StatusCode, object] = {}
        self.started = metrics.started.labels(*grpc_labels)
        self.received = metrics.received.labels(*grpc_labels)
        self.sent = metrics.sent.labels(*grpc_labels)
        self.handling = metrics.handling.labels(*grpc_labels)
        self.in_flight = metrics.in_flight.labels(*grpc_labels)
        self.name = full_method[1:]
        self.traced = telemetry.provider is not None and not full_method.startswith(_UNTRACED_PREFIXES)
        self.attributes = {"rpc.system": "grpc", "rpc.service": service, "rpc.method": method}
        self._latency_series = labels(method=self.name)

    @contextlib.asynccontextmanager
    async def call(self, context):
        """Counts, times and (unless untraced) traces the call that runs in the block."""
        started = time.perf_counter()
        self.started.inc()
        self.received.inc()
        self.in_flight.inc()
        code, span = grpc.StatusCode.OK, None
        try:
            with contextlib.ExitStack() as stack:
                if self.traced:
                    span = stack.enter_context(self._start_span(context))
                    header = traceresponse(span)
                    if header is not None:
                        await context.send_initial_metadata(((TRACERESPONSE, header),))
                try:
                    yield
                    code = context.code() or grpc.StatusCode.OK
                except BaseException as error:
                    code = _code(error, context)
                    raise
                finally:
                    if span is not None:
                        span.set_attribute("rpc.grpc.status_code", code.value[0])
                        if code != grpc.StatusCode.OK:
                            span.set_status(Status(StatusCode.ERROR, context.details() or code.name))
        finally:
            self._end(started, code)

    def _start_span(self, context):
        carrier = {key: value for key, value in context.invocation_metadata() or () if key in TRACE_HEADERS}
        parent = _PROPAGATOR.extract(carrier, context=otel_context.Context()) if carrier else otel_context.Context()
        return self._telemetry.tracer.start_as_current_span(
            self.name, context=parent, kind=SpanKind.SERVER, attributes=self.attributes,
            record_exception=False, set_status_on_exception=False)

    def _end(self, started: float, code: grpc.StatusCode) -> None:
        elapsed = time.perf_counter() - started
        handled = self._handled_children.get(code)
        if handled is None:
            handled = self._handled_children[code] = self._handled.labels(*self._handled_labels, code.name)
        handled.inc()
        self.handling.observe(elapsed)
        self.in_flight.dec()
        points = self._telemetry.points
        points.add("requests", labels(method=self.name, code=code.name), 1.0)
        points.add("request_latency_seconds", self._latency_series, elapsed)


class _Counting:
    """A call's context that counts the messages written through it."""

    def __init__(self, context, sent):
        self._context = context
        self._sent = sent

    async def write(self, message) -> None:
        await self._context.write(message)
        self._sent.inc()

    def __getattr__(self, name):
        return getattr(self._context, name)


class TelemetryInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, telemetry: Telemetry):
        self._telemetry = telemetry
        self._wrapped: dict[str, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        cached = self._wrapped.get(handler_call_details.method)
        if cached is None or cached[0] is not handler:
            cached = (handler, self._wrap(handler_call_details.method, handler))
            self._wrapped[handler_call_details.method] = cached
        return cached[1]

    def _wrap(self, full_method: str, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self._unary(_Method(self._telemetry, full_method, "unary"), handler.unary_unary),
                request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer)
        if handler.unary_stream is not None:
            method = _Method(self._telemetry, full_method, "server_stream")
            wrap = self._stream if inspect.isasyncgenfunction(handler.unary_stream) else self._written_stream
            return grpc.unary_stream_rpc_method_handler(
                wrap(method, handler.unary_stream),
                request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer)
        return handler  # client streams (reflection) are not part of the contract

    @staticmethod
    def _unary(method: _Method, behaviour):
        async def unary(request, context):
            async with method.call(context):
                response = await behaviour(request, context)
            method.sent.inc()
            return response
        return unary

    @staticmethod
    def _written_stream(method: _Method, behaviour):
        """A stream whose handler writes its messages with context.write."""
        async def stream(request, context):
            async with method.call(context):
                await behaviour(request, _Counting(context, method.sent))
        return stream

    @staticmethod
    def _stream(method: _Method, behaviour):
        """A stream whose handler yields its messages."""
        async def stream(request, context):
            async with method.call(context), contextlib.aclosing(behaviour(request, context)) as responses:
                async for response in responses:
                    method.sent.inc()
                    yield response
        return stream
