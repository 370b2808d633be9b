"""The REST gateway: an ASGI app whose routes come from the contract's google.api.http
annotations. It translates each request to one gRPC call over one channel and the
answer back to the specs' JSON, Server-Sent Events or NDJSON. It knows nothing of the
domain: every route is the same generic endpoint bound to a method descriptor."""
from __future__ import annotations

import contextlib
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import grpc
from google.protobuf import message_factory
from google.protobuf.message import Message
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from gateway.auth import Authorize, LocalRouteAuth, challenge_headers, refusal_response
from gateway.deadlines import BadTimeout, timeout_seconds
from gateway.docs import docs_routes
from gateway.errors import error_body, from_rpc_error
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

# Request headers passed on to the server as gRPC metadata.
_FORWARDED_HEADERS = ("authorization", "traceparent", "tracestate", "x-request-id")


class _Endpoint:
    """Serves one HTTP binding of one RPC."""

    def __init__(self, binding: HttpBinding, channel_holder: _Channel, authorize: Authorize | None):
        method = binding.method
        self.authorize = authorize
        self.method = method
        self.body = binding.body
        self.path_fields = re.findall(r"\{([^}=]+)", binding.path)
        self.request_type = message_factory.GetMessageClass(method.input_type)
        self.response_type = message_factory.GetMessageClass(method.output_type)
        self.fields = fields_by_json_name(method.input_type)
        self.streaming = method.GetOptions().Extensions[ann.streaming] if method.server_streaming else None
        self.rpc_path = f"/{method.containing_service.full_name}/{method.name}"
        self.channel = channel_holder

    async def handle(self, request: Request) -> Response:
        refused = refusal_response(self.authorize, self.rpc_path, request.headers)
        if refused is not None:
            return refused
        try:
            timeout = timeout_seconds(request.headers)
            data = await self._request_json(request)
            message = from_json(data, self.request_type)
        except (JsonMappingError, BadTimeout) as exc:
            return _error(400, str(exc))
        metadata = tuple((h, request.headers[h]) for h in _FORWARDED_HEADERS if h in request.headers)
        if self.method.server_streaming:
            return await self._stream(message, data, metadata, timeout)
        call = self.channel.get().unary_unary(
            self.rpc_path, request_serializer=self.request_type.SerializeToString,
            response_deserializer=self.response_type.FromString)
        try:
            response = await call(message, metadata=metadata, timeout=timeout)
        except grpc.aio.AioRpcError as exc:
            return _error(*from_rpc_error(exc))
        return _json_response(response)

    async def _request_json(self, request: Request) -> Any:
        data: dict[str, Any] = {}
        if self.body:
            raw = await request.body()
            if raw.strip():
                try:
                    parsed = json.loads(raw, parse_constant=_reject_constant)
                except ValueError as exc:
                    raise JsonMappingError("", f"request body is not valid JSON: {exc}") from None
            else:
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

    async def _stream(self, message: Message, data: dict, metadata, timeout: float | None) -> Response:
        rule = self.streaming
        call = self.channel.get().unary_stream(
            self.rpc_path, request_serializer=self.request_type.SerializeToString,
            response_deserializer=self.response_type.FromString)
        stream = call(message, metadata=metadata, timeout=timeout)
        wants_stream = not rule.enable_field or bool(data.get(rule.enable_field))
        if not wants_stream:
            last = None
            try:
                async for last in stream:
                    pass
            except grpc.aio.AioRpcError as exc:
                return _error(*from_rpc_error(exc))
            if last is None:
                return _error(500, f"{self.rpc_path} ended without an answer")
            result = follow_path(last, rule.result_path.split(".")) if rule.result_path else last
            return _json_response(result)
        # Wait for the first message (or the error) so that an early error is an HTTP status.
        messages = stream.__aiter__()
        try:
            first = await messages.__anext__()
        except StopAsyncIteration:
            first = None
        except grpc.aio.AioRpcError as exc:
            return _error(*from_rpc_error(exc))
        media_type = rule.content_type or "text/event-stream"
        return StreamingResponse(_frames(first, messages, stream, media_type), media_type=media_type,
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


async def _frames(first, messages, stream, media_type: str) -> AsyncIterator[bytes]:
    sse = media_type == "text/event-stream"

    def frame(payload: Any, event: str | None = None) -> bytes:
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        if not sse:
            return (text + "\n").encode()
        return ((f"event: {event}\n" if event else "") + f"data: {text}\n\n").encode()

    try:
        if first is not None:
            yield frame(to_json(first))
            async for message in messages:
                yield frame(to_json(message))
    except grpc.aio.AioRpcError as exc:
        # Headers are gone already: the error travels as the stream's last frame.
        _, body = from_rpc_error(exc)
        yield frame({"error": body} if not sse else body, event="error")
    finally:
        stream.cancel()  # a client that went away cancels the call (and the server's work)


def _json_response(message: Message) -> Response:
    if message.DESCRIPTOR.full_name == "google.protobuf.Empty":
        return Response(status_code=200)
    return Response(json.dumps(to_json(message), ensure_ascii=False, separators=(",", ":")),
                    media_type="application/json")


def _error(status: int, detail: Any) -> Response:
    body = detail if isinstance(detail, dict) else error_body(status, detail)
    return JSONResponse(body, status_code=status, headers=challenge_headers(status))


class _Channel:
    """The one channel to the gRPC server, opened inside the app's event loop."""

    def __init__(self, target: str, options: list[tuple[str, Any]]):
        self.target = target
        self.options = options
        self.channel: grpc.aio.Channel | None = None

    def get(self) -> grpc.aio.Channel:
        if self.channel is None:
            self.channel = grpc.aio.insecure_channel(self.target, options=self.options)
        return self.channel

    async def close(self):
        if self.channel is not None:
            await self.channel.close()
            self.channel = None


def _starlette_path(path: str) -> str:
    # google.api.http's {var=**} matches several segments; Starlette spells it {var:path}.
    return re.sub(r"\{([^}=]+)=\*\*\}", r"{\1:path}", re.sub(r"\{([^}=]+)=\*\}", r"{\1}", path))


def routes(channel: _Channel, authorize: Authorize | None = None) -> list[Route]:
    table = []
    for service in services():
        for binding in http_bindings(service):
            endpoint = _Endpoint(binding, channel, authorize)
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


def create_app(grpc_target: str, *, channel_options: list[tuple[str, Any]] = (),
               authorize: Authorize | None = None) -> Starlette:
    """channel_options: gRPC channel options (message sizes); authorize: the server's check
    of a key for the gateway's own routes (gateway/auth.py), None when keys are off."""
    channel = _Channel(grpc_target, list(channel_options))

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        await channel.close()

    app = Starlette(routes=[*routes(channel, authorize), *docs_routes()], exception_handlers={HTTPException: _http_error},
                    lifespan=lifespan)
    app.add_middleware(LocalRouteAuth, authorize=authorize)
    return app
