"""One test client for both protocols, driven by the contract's descriptors.

    client = Client(server, "rest")          # or "grpc"
    client.call("llamastack.datasets.v1beta.DatasetsService/GetDataset", {"dataset_id": "x"})
    client.stream("llamastack.inference.v0.InferenceService/StreamChatCompletion", body)

A request is the spec's JSON; so is the answer (None for google.protobuf.Empty), whatever the
protocol. Over gRPC the JSON is mapped with llamastack_grpc.jsonmap and sent to the method;
over REST the method's first google.api.http binding says the verb and the path: path
fields are taken out of the JSON into the URL, the rest is the body (`body: "*"`, or the
named field) or the query string. Server streams are read over gRPC message by message and
over REST as the method's streaming rule says (SSE or NDJSON frames); `call` on a streaming
method asks for no stream, as the REST gateway's collapse does.

Every error answer raises ApiError: the gRPC status code name (over REST mapped back from the
HTTP status), the HTTP status and the spec's Error body (REST), the message, and the fields a
google.rpc.BadRequest names (gRPC). REST error bodies are checked against the spec's Error
shape here, for every call. A request that cannot even be encoded for gRPC raises
llamastack_grpc.jsonmap.JsonMappingError before any call (nothing reached the server).
"""
from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import grpc
from google.protobuf.descriptor import MethodDescriptor
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from llamastack.annotations.v1 import annotations_pb2 as ann
from llamastack_grpc import HttpBinding, http_bindings, services
from llamastack_grpc.jsonmap import follow_path, from_json, to_json, type_for

PROTOCOLS = ("grpc", "rest")

# HTTP statuses back to the gRPC code a test expects (google.rpc.Code's documented mapping;
# 400 and 409 stand for several codes, and read as the most common one).
CODE_OF_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                  409: "ALREADY_EXISTS", 413: "RESOURCE_EXHAUSTED", 429: "RESOURCE_EXHAUSTED", 499: "CANCELLED",
                  500: "INTERNAL",
                  501: "UNIMPLEMENTED", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}
ERROR_BODY_KEYS = {"status", "title", "detail"}


class ApiError(Exception):
    """An error answer from either protocol."""

    def __init__(self, code: str, message: str, *, fields: tuple[str, ...] = (), http_status: int | None = None,
                 body: Any = None):
        super().__init__(f"{code}: {message}")
        self.code = code  # gRPC status code name: "NOT_FOUND"; over REST, from the HTTP status
        self.message = message  # gRPC details, or the Error body's detail
        self.fields = fields  # gRPC: the field paths of a BadRequest detail
        self.http_status = http_status  # REST only
        self.body = body  # REST only: the Error body

    def names(self, field: str) -> bool:
        """Whether the error points at `field` (in its message, or as a field violation)."""
        return field in self.fields or field in self.message


@functools.cache
def method(full_name: str) -> MethodDescriptor:
    """A method by its gRPC path without the leading slash: "package.Service/Method"."""
    service_name, _, method_name = full_name.partition("/")
    for service in services():
        if service.full_name == service_name and method_name in service.methods_by_name:
            return service.methods_by_name[method_name]
    raise KeyError(f"no method {full_name!r} in the contract")


@functools.cache
def primary_binding(full_name: str) -> HttpBinding:
    found = method(full_name)
    for binding in http_bindings(found.containing_service):
        if binding.method is found:
            return binding
    raise KeyError(f"{full_name} has no HTTP binding")


def streaming_rule(found: MethodDescriptor) -> ann.StreamingRule | None:
    return found.GetOptions().Extensions[ann.streaming] if found.server_streaming else None


def check_error_body(response) -> dict:
    """The spec's Error body of a REST error answer, checked: JSON {status, title, detail} with
    the answer's status and a non-empty detail."""
    assert response.headers.get("content-type", "").startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == ERROR_BODY_KEYS, body
    assert body["status"] == response.status_code, body
    assert isinstance(body["detail"], str) and body["detail"], body
    return body


def error_from_body(body: dict) -> ApiError:
    status = body.get("status")
    return ApiError(CODE_OF_STATUS.get(status, f"HTTP {status}"), body.get("detail", ""), http_status=status,
                    body=body)


def _grpc_error(error: grpc.RpcError) -> ApiError:
    fields: list[str] = []
    status = rpc_status.from_call(error)
    for detail in status.details if status is not None else ():
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            fields += [v.field for v in bad.field_violations]
    return ApiError(error.code().name, error.details() or "", fields=tuple(fields))


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        raise TypeError(f"a {type(value).__name__} cannot travel in a query string")
    return str(value)


class Client:
    """The same calls over gRPC or REST (see the module docstring)."""

    def __init__(self, server, protocol: str, timeout: float = 120):
        assert protocol in PROTOCOLS, protocol
        self.protocol = protocol
        self.server = server
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"Client({self.protocol})"

    # ------------------------------------------------------------ public

    def call(self, full_name: str, request: dict | None = None, *, timeout: float | None = None,
             metadata: dict[str, str] | None = None) -> Any:
        """The answer's JSON (None for Empty). On a streaming method: the non-streamed answer
        (the request asks for no stream; gRPC reads to the last message, as the gateway does)."""
        found = method(full_name)
        request = dict(request or {})
        rule = streaming_rule(found)
        if rule is not None and rule.enable_field:
            request.setdefault(rule.enable_field, False)
        if self.protocol == "rest":
            return self._rest_call(full_name, request, timeout, metadata)
        if rule is None:
            answer = self._grpc_unary(found, request, timeout, metadata)
        else:
            messages = list(self._grpc_messages(found, request, timeout, metadata))
            assert messages, f"{full_name} ended without an answer"
            answer = messages[-1]
            if rule.result_path:
                answer = follow_path(answer, rule.result_path.split("."))
        return None if answer.DESCRIPTOR.full_name == "google.protobuf.Empty" else to_json(answer)

    def stream(self, full_name: str, request: dict | None = None, **options) -> list[dict]:
        """Every message of a server stream, as JSON (the request asks for the stream)."""
        with self.events(full_name, request, **options) as events:
            return list(events)

    def events(self, full_name: str, request: dict | None = None, *, timeout: float | None = None,
               metadata: dict[str, str] | None = None) -> _Events:
        """A server stream read as it comes: a context manager and iterator of JSON messages;
        leaving it early cancels the call (gRPC) or closes the response (REST)."""
        found = method(full_name)
        rule = streaming_rule(found)
        assert rule is not None, f"{full_name} is not a server stream"
        request = dict(request or {})
        if rule.enable_field:
            request[rule.enable_field] = True
        if self.protocol == "grpc":
            call = self._grpc_stream_call(found, request, timeout, metadata)
            return _Events((to_json(m) for m in _grpc_iterate(call)), call.cancel)
        return self._rest_events(full_name, request, rule, timeout, metadata)

    # ------------------------------------------------------------ gRPC

    def _grpc_request(self, found: MethodDescriptor, request: dict):
        return from_json(request, type_for(found.input_type))

    def _grpc_callable(self, found: MethodDescriptor, kind: str):
        factory = getattr(self.server.channel, kind)
        return factory(f"/{found.containing_service.full_name}/{found.name}",
                       request_serializer=type_for(found.input_type).SerializeToString,
                       response_deserializer=type_for(found.output_type).FromString)

    def _grpc_unary(self, found, request, timeout, metadata):
        call = self._grpc_callable(found, "unary_unary")
        try:
            return call(self._grpc_request(found, request), timeout=timeout or self.timeout,
                        metadata=tuple((metadata or {}).items()))
        except grpc.RpcError as error:
            raise _grpc_error(error) from None

    def _grpc_stream_call(self, found, request, timeout, metadata):
        call = self._grpc_callable(found, "unary_stream")
        return call(self._grpc_request(found, request), timeout=timeout or self.timeout,
                    metadata=tuple((metadata or {}).items()))

    def _grpc_messages(self, found, request, timeout, metadata):
        yield from _grpc_iterate(self._grpc_stream_call(found, request, timeout, metadata))

    # ------------------------------------------------------------ REST

    def _rest_request(self, full_name: str, request: dict) -> tuple[str, str, dict]:
        """(verb, URL path, httpx keyword arguments) for the method's primary binding."""
        binding = primary_binding(full_name)
        remaining = dict(request)

        def fill(match: re.Match) -> str:
            name, pattern = match.group(1), match.group(2)
            assert name in remaining, f"{full_name}: the path needs {name!r}"
            return quote(str(remaining.pop(name)), safe="/" if pattern == "**" else "")

        path = re.sub(r"\{([^}=]+)(?:=([^}]*))?\}", fill, binding.path)
        if binding.body == "*":
            return binding.verb, path, {"json": remaining}
        if binding.body:
            return binding.verb, path, {"json": remaining.get(binding.body, {})}
        params = [(k, _query_value(item)) for k, v in remaining.items() for item in (v if isinstance(v, list) else [v])]
        return binding.verb, path, {"params": params}

    def _rest_send(self, full_name, request, timeout, metadata, stream: bool):
        verb, path, arguments = self._rest_request(full_name, request)
        build = self.server.http.build_request(verb, path, headers=metadata or {}, timeout=timeout or self.timeout,
                                               **arguments)
        response = self.server.http.send(build, stream=stream)
        if response.status_code != 200:
            response.read()
            response.close()
            raise error_from_body(check_error_body(response))
        return response

    def _rest_call(self, full_name, request, timeout, metadata) -> Any:
        response = self._rest_send(full_name, request, timeout, metadata, stream=False)
        if not response.content:
            return None
        assert response.headers["content-type"].startswith("application/json"), response.headers
        return response.json()

    def _rest_events(self, full_name, request, rule, timeout, metadata) -> _Events:
        response = self._rest_send(full_name, request, timeout, metadata, stream=True)
        media_type = rule.content_type or "text/event-stream"
        assert response.headers["content-type"].startswith(media_type), response.headers
        frames = parse_sse(response.iter_lines()) if media_type == "text/event-stream" else parse_ndjson(
            response.iter_lines())
        return _Events(frames, response.close)


class _Events:
    """An iterator of a stream's JSON messages that closes the stream when left."""

    def __init__(self, messages: Iterator[dict], close):
        self._messages = messages
        self._close = close

    def __iter__(self):
        return self

    def __next__(self) -> dict:
        return next(self._messages)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        self._close()


def _grpc_iterate(call) -> Iterator:
    try:
        yield from call
    except grpc.RpcError as error:
        raise _grpc_error(error) from None


def parse_sse(lines) -> Iterator[dict]:
    """The JSON payloads of an SSE stream's `data:` lines; an `event: error` frame raises ApiError."""
    kind = None
    for line in lines:
        if line.startswith("event:"):
            kind = line[len("event:"):].strip()
        elif line.startswith("data:"):
            payload = json.loads(line[len("data:"):].strip())
            if kind == "error":
                raise error_from_body(payload)
            yield payload
        elif not line:
            kind = None


def parse_ndjson(lines) -> Iterator[dict]:
    """The JSON lines of an NDJSON stream; a final {"error": Error} line raises ApiError."""
    for line in lines:
        if not line.strip():
            continue
        payload = json.loads(line)
        if isinstance(payload, dict) and set(payload) == {"error"}:
            raise error_from_body(payload["error"])
        yield payload
