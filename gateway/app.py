"""The REST gateway: an ASGI app whose routes come from the contract's google.api.http
annotations. It translates each request to one gRPC call on a channel and the answer
back to the specs' JSON, Server-Sent Events or NDJSON. It knows nothing of the domain:
every route is the same generic endpoint bound to a method descriptor.

The channel is anything with grpc.aio.Channel's unary_unary and unary_stream (and an
async close): inside the server, its in-process dispatch (server/rpc/inprocess.py);
for a gateway run as its own process, GrpcChannel, a real channel to the server.

Limits: a body past `max_request_bytes` (or a request whose protobuf form is) is a
413, forwarded headers past FORWARDED_HEADERS_LIMIT a 431."""
from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator
from typing import Any, Protocol

import grpc
from google.protobuf import message_factory
from google.protobuf.message import Message
from opentelemetry.trace import TracerProvider
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from gateway.auth import Authorize, LocalRouteAuth, challenge_headers, refusal_response
from gateway.body import EMPTY, BodyError, read_json
from gateway.deadlines import BadTimeout, timeout_seconds
from gateway.docs import docs_routes
from gateway.errors import error_body, from_rpc_error
from gateway.rendering import DEFAULT_CACHE_BYTES, Renderer, dumps
from gateway.telemetry import TracingMiddleware, metrics_route
from llamastack.annotations.v1 import annotations_pb2 as ann
from llamastack_grpc import HttpBinding, http_bindings, services
from llamastack_grpc.jsonmap import (
    JsonMappingError,
    fields_by_json_name,
    follow_path,
    from_json,
    scalar_from_text,
    to_json,
)

log = logging.getLogger(__name__)

DEFAULT_MAX_REQUEST_BYTES = 32 << 20
# Request headers passed on to the server as gRPC metadata, and how large they may be
# together (the server takes more metadata than that: server/transport.py).
_FORWARDED_HEADERS = ("authorization", "traceparent", "tracestate", "x-request-id")
FORWARDED_HEADERS_LIMIT = 16 << 10


class _Endpoint:
    """Serves one HTTP binding of one RPC."""

    def __init__(self, binding: HttpBinding, channel: Channel, authorize: Authorize | None,
                 max_request_bytes: int, renderer: Renderer):
        method = binding.method
        self.authorize = authorize
        self.renderer = renderer
        self.max_request_bytes = max_request_bytes
        self.method = method
        self.body = binding.body
        self.path_fields = re.findall(r"\{([^}=]+)", binding.path)
        self.request_type = message_factory.GetMessageClass(method.input_type)
        self.response_type = message_factory.GetMessageClass(method.output_type)
        self.fields = fields_by_json_name(method.input_type)
        self.streaming = method.GetOptions().Extensions[ann.streaming] if method.server_streaming else None
        self.rpc_path = f"/{method.containing_service.full_name}/{method.name}"
        multicallable = channel.unary_stream if method.server_streaming else channel.unary_unary
        self.call = multicallable(self.rpc_path, request_serializer=self.request_type.SerializeToString,
                                  response_deserializer=self.response_type.FromString)

    async def handle(self, request: Request) -> Response:
        refused = refusal_response(self.authorize, self.rpc_path, request.headers)
        if refused is not None:
            return refused
        try:
            timeout = timeout_seconds(request.headers)
            data = await self._request_json(request)
            message = from_json(data, self.request_type)
        except BodyError as exc:
            return _error(exc.status, exc.detail)
        except (JsonMappingError, BadTimeout) as exc:
            return _error(400, str(exc))
        size = message.ByteSize()
        if size > self.max_request_bytes:
            return _error(413, f"the request is {size} bytes as protobuf, larger than the limit of "
                               f"{self.max_request_bytes} bytes")
        metadata = tuple((h, request.headers[h]) for h in _FORWARDED_HEADERS if h in request.headers)
        if sum(len(k) + len(v) for k, v in metadata) > FORWARDED_HEADERS_LIMIT:
            return _error(431, f"the headers {', '.join(k for k, _ in metadata)} are larger than "
                               f"{FORWARDED_HEADERS_LIMIT} bytes together")
        if self.method.server_streaming:
            return await self._stream(message, data, metadata, timeout)
        try:
            response = await self.call(message, metadata=metadata, timeout=timeout)
        except grpc.aio.AioRpcError as exc:
            return _rpc_error(exc)
        return self._json_response(response)

    async def _request_json(self, request: Request) -> Any:
        data: dict[str, Any] = {}
        if self.body:
            parsed = await read_json(request, self.max_request_bytes)
            if parsed is EMPTY:
                parsed = {}
            if self.body == "*":
                if not isinstance(parsed, dict):
                    raise JsonMappingError("", "request body must be a JSON object")
                data.update(parsed)
            else:
                data[self.body] = parsed
        else:
            for name in set(request.query_params):
                field = self.fields.get(name)
                if field is None or name in self.path_fields:
                    raise JsonMappingError(name, "unknown query parameter")
                values = [scalar_from_text(v, field, name) for v in request.query_params.getlist(name)]
                data[name] = values if field.is_repeated else values[-1]
        for name in self.path_fields:
            data[name] = scalar_from_text(request.path_params[name], self.fields[name], name)
        return data

    def _json_response(self, message: Message) -> Response:
        if message.DESCRIPTOR.full_name == "google.protobuf.Empty":
            return Response(status_code=200)
        return Response(self.renderer.body(message), media_type="application/json")

    async def _stream(self, message: Message, data: dict, metadata, timeout: float | None) -> Response:
        rule = self.streaming
        stream = self.call(message, metadata=metadata, timeout=timeout)
        wants_stream = not rule.enable_field or bool(data.get(rule.enable_field))
        if not wants_stream:
            last = None
            try:
                async for streamed in stream:
                    last = streamed
            except grpc.aio.AioRpcError as exc:
                return _rpc_error(exc)
            if last is None:
                return _error(500, f"{self.rpc_path} ended without an answer")
            result = follow_path(last, rule.result_path.split(".")) if rule.result_path else last
            return self._json_response(result)
        # Wait for the first message (or the error) so that an early error is an HTTP status.
        messages = stream.__aiter__()
        try:
            first = await messages.__anext__()
        except StopAsyncIteration:
            first = None
        except grpc.aio.AioRpcError as exc:
            return _rpc_error(exc)
        media_type = rule.content_type or "text/event-stream"
        return _ClosingStreamingResponse(_frames(first, messages, stream, media_type), media_type=media_type,
                                         headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


class _ClosingStreamingResponse(StreamingResponse):
    """Closes its frames however the response ends. When a send fails because the client
    left, Starlette drops the body iterator without closing it; the gRPC call it relays
    would then be cancelled only when the garbage collector finalizes the generator."""

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self.body_iterator.aclose()


async def _frames(first, messages, stream, media_type: str) -> AsyncIterator[bytes]:
    sse = media_type == "text/event-stream"

    def frame(payload: Any, event: str | None = None) -> bytes:
        text = dumps(payload)
        if not sse:
            return (text + "\n").encode()
        return ((f"event: {event}\n" if event else "") + f"data: {text}\n\n").encode()

    def error_frame(body: dict) -> bytes:
        return frame({"error": body} if not sse else body, event="error")

    try:
        if first is not None:
            yield frame(to_json(first))
            async for message in messages:
                yield frame(to_json(message))
    except grpc.aio.AioRpcError as exc:
        # Headers are gone already: the error travels as the stream's last frame.
        yield error_frame(from_rpc_error(exc).body)
    except Exception:
        log.exception("cannot render a stream message")
        yield error_frame(error_body(500, "the gateway could not render the stream's next message; see the server log"))
    finally:
        stream.cancel()  # a client that went away cancels the call (and the server's work)


def _error(status: int, detail: str) -> Response:
    return JSONResponse(error_body(status, detail), status_code=status, headers=challenge_headers(status))


def _rpc_error(exc: grpc.aio.AioRpcError) -> Response:
    answer = from_rpc_error(exc)
    return JSONResponse(answer.body, status_code=answer.status,
                        headers={**answer.headers, **(challenge_headers(answer.status) or {})})


class Channel(Protocol):
    """What the gateway calls: grpc.aio.Channel's multicallables and close."""

    def unary_unary(self, method: str, request_serializer=None, response_deserializer=None): ...

    def unary_stream(self, method: str, request_serializer=None, response_deserializer=None): ...

    async def close(self) -> None: ...


class GrpcChannel:
    """A channel to the gRPC server at `target`, opened inside the app's event loop on
    the first call: for a gateway that runs as its own process."""

    def __init__(self, target: str, options: list[tuple[str, Any]] = ()):
        self.target = target
        self.options = list(options)
        self.channel: grpc.aio.Channel | None = None

    def get(self) -> grpc.aio.Channel:
        if self.channel is None:
            self.channel = grpc.aio.insecure_channel(self.target, options=self.options)
        return self.channel

    def unary_unary(self, method: str, request_serializer=None, response_deserializer=None):
        return lambda *args, **kwargs: self.get().unary_unary(method, request_serializer, response_deserializer)(
            *args, **kwargs)

    def unary_stream(self, method: str, request_serializer=None, response_deserializer=None):
        return lambda *args, **kwargs: self.get().unary_stream(method, request_serializer, response_deserializer)(
            *args, **kwargs)

    async def close(self):
        if self.channel is not None:
            await self.channel.close()
            self.channel = None


def _starlette_path(path: str) -> str:
    # google.api.http's {var=**} matches several segments; Starlette spells it {var:path}.
    return re.sub(r"\{([^}=]+)=\*\*\}", r"{\1:path}", re.sub(r"\{([^}=]+)=\*\}", r"{\1}", path))


def routes(channel: Channel, authorize: Authorize | None, max_request_bytes: int, renderer: Renderer) -> list[Route]:
    table = []
    for service in services():
        for binding in http_bindings(service):
            endpoint = _Endpoint(binding, channel, authorize, max_request_bytes, renderer)
            table.append(Route(_starlette_path(binding.path), endpoint.handle, methods=[binding.verb],
                               name=f"{binding.method.full_name} {binding.verb} {binding.path}"))
    return table


async def _http_error(request: Request, exc: HTTPException) -> Response:
    detail, headers = exc.detail, None
    if exc.status_code == 404:
        detail = f"No route for {request.method} {request.url.path}"
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
        # Each verb is its own route, so the allowed verbs are gathered from all of them.
        allowed = sorted({verb for route in request.app.router.routes if isinstance(route, Route)
                          and route.path_regex.match(request.url.path) for verb in route.methods or ()})
        headers = {"Allow": ", ".join(allowed)}
    return JSONResponse(error_body(exc.status_code, detail), status_code=exc.status_code, headers=headers)


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    # Starlette logs the traceback; the caller gets the spec's Error body, not text/plain.
    return _error(500, f"internal error in the gateway answering {request.method} {request.url.path}")


def create_app(channel: Channel, *, authorize: Authorize | None = None,
               max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES, tracer_provider: TracerProvider | None = None,
               metrics_registry: CollectorRegistry | None = None, relayed_spans: dict | None = None,
               render_cache_bytes: int = DEFAULT_CACHE_BYTES) -> Starlette:
    """channel: where calls go (closed with the app); authorize: the server's check of a
    key for the gateway's own routes (gateway/auth.py), None when keys are off;
    max_request_bytes: the largest body, and protobuf form of a request (the server's
    receive limit); tracer_provider: a span per request (None: no tracing);
    relayed_spans: where a server that the gateway calls in process finds the request's
    span, to trace its RPC in (gateway/telemetry.py);
    metrics_registry: served at /metrics (None: no such route);
    render_cache_bytes: room for large answers kept rendered (gateway/rendering.py)."""

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        await channel.close()

    metrics = [metrics_route(metrics_registry)] if metrics_registry is not None else []
    endpoints = routes(channel, authorize, max_request_bytes, Renderer(render_cache_bytes))
    app = Starlette(routes=[*endpoints, *docs_routes(), *metrics],
                    lifespan=lifespan, exception_handlers={HTTPException: _http_error, Exception: _unexpected_error})
    app.add_middleware(LocalRouteAuth, authorize=authorize)
    # Outermost: refusals are traced too.
    app.add_middleware(TracingMiddleware, tracer_provider=tracer_provider, relayed=relayed_spans)
    return app
