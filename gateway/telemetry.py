"""The gateway's share of telemetry: a SERVER span per HTTP request, which continues the
caller's W3C `traceparent`/`tracestate` and hands its own context on to the gRPC call
(the forwarded headers are rewritten), a `traceresponse` header on every answer, and
Prometheus' `GET /metrics`. Only the OpenTelemetry API and prometheus_client are used
here: the server hands in its TracerProvider and registry."""
from __future__ import annotations

import asyncio

from opentelemetry import context as otel_context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, TracerProvider, set_span_in_context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

METRICS_PATH = "/metrics"
_TRACE_HEADERS = (b"traceparent", b"tracestate")
_PROPAGATOR = TraceContextTextMapPropagator()


def metrics_route(registry: CollectorRegistry) -> Route:
    async def metrics(request: Request) -> Response:
        # Collectors read the job store: off the event loop.
        return Response(await asyncio.to_thread(generate_latest, registry), media_type=CONTENT_TYPE_LATEST)

    return Route(METRICS_PATH, metrics, methods=["GET"], name="prometheus metrics")


class TracingMiddleware:
    """ASGI middleware; with no tracer provider (tracing off) it passes requests through.

    relayed: where the request's span waits, under the traceparent it hands on, while the
    request is served, for a server that the gateway calls in process: the server's
    interceptor then adds the RPC's attributes to this span instead of starting a child
    that would describe the same work again (server/telemetry/interceptor.py)."""

    def __init__(self, app, tracer_provider: TracerProvider | None, relayed: dict[str, Span] | None = None):
        self.app = app
        self.tracer = tracer_provider.get_tracer("llama_stack_grpc.gateway") if tracer_provider else None
        self.relayed = relayed

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or self.tracer is None or scope["path"] == METRICS_PATH:
            await self.app(scope, receive, send)
            return
        headers = scope["headers"]
        carrier = {key.decode("latin-1"): value.decode("latin-1") for key, value in headers if key in _TRACE_HEADERS}
        parent = _PROPAGATOR.extract(carrier, context=otel_context.Context()) if carrier else otel_context.Context()
        method = scope["method"]
        span = self.tracer.start_span(method, context=parent, kind=SpanKind.SERVER,
                                      attributes={"http.request.method": method, "url.path": scope["path"]})
        # Current by hand rather than with start_as_current_span, whose two generator-based
        # context managers cost as much as the rest of the span.
        token = otel_context.attach(set_span_in_context(span))
        traceparent = ""
        try:
            outgoing: dict[str, str] = {}
            _PROPAGATOR.inject(outgoing)  # this span's context, for the gRPC call behind the route
            scope["headers"] = [(k, v) for k, v in headers if k not in _TRACE_HEADERS] + [
                (key.encode("latin-1"), value.encode("latin-1")) for key, value in outgoing.items()]
            traceparent = outgoing.get("traceparent", "")
            response_header = traceparent.encode("latin-1")
            if self.relayed is not None and traceparent:
                self.relayed[traceparent] = span

            async def traced_send(message):
                if message["type"] == "http.response.start":
                    status = message["status"]
                    span.set_attribute("http.response.status_code", status)
                    if status >= 400 and not _failed(span):  # an RPC's error says more than its HTTP status
                        span.set_status(Status(StatusCode.ERROR, f"HTTP {status}"))
                    route = scope.get("route")  # set by the router once it matched a route
                    if isinstance(route, Route):
                        span.update_name(f"{method} {route.path}")
                        span.set_attribute("http.route", route.path)
                    if response_header:
                        message = {**message, "headers": [*message.get("headers", ()),
                                                          (b"traceresponse", response_header)]}
                await send(message)

            await self.app(scope, receive, traced_send)
        except Exception as exc:
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
            raise
        finally:
            if self.relayed is not None:
                self.relayed.pop(traceparent, None)
            otel_context.detach(token)
            span.end()


def _failed(span: Span) -> bool:
    status = getattr(span, "status", None)  # SDK spans have one; a non-recording span does not
    return status is not None and status.status_code is StatusCode.ERROR
