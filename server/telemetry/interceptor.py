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
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, set_span_in_context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from server.telemetry.points import labels

if TYPE_CHECKING:
    from server.telemetry.runtime import Telemetry

TRACE_HEADERS = ("traceparent", "tracestate")
TRACERESPONSE = "traceresponse"
_UNTRACED_PREFIXES = ("/grpc.health.", "/grpc.reflection.")
_PROPAGATOR = TraceContextTextMapPropagator()
_EMPTY = otel_context.Context()


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
        self._by_code: dict[grpc.StatusCode, tuple] = {}  # code -> (handled counter, requests series)
        self.unary = grpc_type == "unary"
        self.started = metrics.started.labels(*grpc_labels)
        self.received = metrics.received.labels(*grpc_labels)
        self.sent = metrics.sent.labels(*grpc_labels)
        self.handling = metrics.handling.labels(*grpc_labels)
        self.in_flight = metrics.in_flight.labels(*grpc_labels)
        self.name = full_method[1:]
        self.traced = telemetry.provider is not None and not full_method.startswith(_UNTRACED_PREFIXES)
        self.attributes = {"rpc.system": "grpc", "rpc.service": service, "rpc.method": method}
        self._latency_series = labels(method=self.name)

    def begin(self) -> float:
        self.started.inc()
        self.received.inc()
        self.in_flight.inc()
        return time.perf_counter()

    def start_span(self, context) -> tuple[Span | None, bool]:
        """The call's span, continuing the caller's trace (None when the method is not
        traced), and whether the call owns it: a call that the in-process gateway relays
        takes the gateway request's span, which describes the same work, and the gateway
        ends it."""
        if not self.traced:
            return None, False
        carrier = {key: value for key, value in context.invocation_metadata() or () if key in TRACE_HEADERS}
        if carrier:
            # Taken out, not read: the one call a request relays claims it at once, before the
            # request's traceresponse could tell anyone else the traceparent to send.
            relayed = self._telemetry.relayed.pop(carrier.get("traceparent"), None)
            if relayed is not None:
                relayed.set_attributes(self.attributes)
                return relayed, False
            parent = _PROPAGATOR.extract(carrier, context=_EMPTY)
        else:
            parent = _EMPTY
        return self._telemetry.tracer.start_span(self.name, context=parent, kind=SpanKind.SERVER,
                                                 attributes=self.attributes), True

    def end(self, started: float, code: grpc.StatusCode, span, context) -> None:
        elapsed = time.perf_counter() - started
        if span is not None and span.is_recording():  # a relayed call's span may have ended with its request
            span.set_attribute("rpc.grpc.status_code", code.value[0])
            if code != grpc.StatusCode.OK:
                span.set_status(Status(StatusCode.ERROR, context.details() or code.name))
        by_code = self._by_code.get(code)
        if by_code is None:
            by_code = self._by_code[code] = (self._handled.labels(*self._handled_labels, code.name),
                                             labels(method=self.name, code=code.name))
        by_code[0].inc()
        self.handling.observe(elapsed)
        self.in_flight.dec()
        points = self._telemetry.points
        points.add("requests", by_code[1], 1.0)
        points.add("request_latency_seconds", self._latency_series, elapsed)


class _CallContext:
    """The handler's view of its call: it counts the messages written, and keeps the
    traceresponse in the trailing metadata whatever the handler sets or aborts with."""

    def __init__(self, context, sent, trailer: tuple):
        self._context = context
        self._sent = sent
        self._trailer = trailer
        self._trailing = trailer

    async def write(self, message) -> None:
        await self._context.write(message)
        self._sent.inc()

    def set_trailing_metadata(self, metadata) -> None:
        self._trailing = (*metadata, *self._trailer)
        self._context.set_trailing_metadata(self._trailing)

    async def abort(self, code, details="", trailing_metadata=()):
        await self._context.abort(code, details, (*trailing_metadata, *self._trailer) if trailing_metadata
                                  else self._trailing)

    async def abort_with_status(self, status):
        await self.abort(status.code, status.details, status.trailing_metadata)

    def __getattr__(self, name):
        return getattr(self._context, name)


def _written(behaviour):
    """A stream handler that yields its messages, as one that writes them."""
    async def write_all(request, context):
        async with contextlib.aclosing(behaviour(request, context)) as responses:
            async for response in responses:
                await context.write(response)
    return write_all


def _traced_call(method: _Method, behaviour):
    """The handler, counted, timed and (unless untraced) traced. The traceresponse goes
    in the trailing metadata of a unary call (no extra write: it leaves with the status)
    and in the initial metadata of a stream (the caller has it before the first message)."""
    async def call(request, context):
        started = method.begin()
        code = grpc.StatusCode.OK
        span, owned = method.start_span(context)
        # The span is made current by hand rather than with start_as_current_span: its two
        # generator-based context managers cost as much as the rest of the span.
        token = otel_context.attach(set_span_in_context(span)) if span is not None else None
        try:
            header = traceresponse(span) if span is not None else None
            trailer = ((TRACERESPONSE, header),) if header is not None else ()
            if method.unary and trailer:
                context.set_trailing_metadata(trailer)
            elif trailer:
                await context.send_initial_metadata(trailer)
            response = await behaviour(request, _CallContext(context, method.sent, trailer if method.unary
                                                             else ()))
            code = context.code() or grpc.StatusCode.OK
            if method.unary:
                method.sent.inc()
            return response
        except BaseException as error:
            code = _code(error, context)
            raise
        finally:
            method.end(started, code, span, context)
            if token is not None:
                otel_context.detach(token)
            if owned:
                span.end()
    return call


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
        serializers = {"request_deserializer": handler.request_deserializer,
                       "response_serializer": handler.response_serializer}
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                _traced_call(_Method(self._telemetry, full_method, "unary"), handler.unary_unary), **serializers)
        if handler.unary_stream is not None:
            behaviour = handler.unary_stream
            if inspect.isasyncgenfunction(behaviour):
                behaviour = _written(behaviour)
            return grpc.unary_stream_rpc_method_handler(
                _traced_call(_Method(self._telemetry, full_method, "server_stream"), behaviour), **serializers)
        return handler  # client streams (reflection) are not part of the contract
