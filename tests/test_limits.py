"""Limits answer what they are, over both protocols: a long id is a 400 naming the
field (never the 429 that gRPC's metadata limit used to surface as), an oversized body
a 413, deep nesting a 400, a huge page comes back whole, and every gateway error,
down to the HTTP parser's and an unexpected exception's, carries the Error body."""
from __future__ import annotations

import json
import re
import socket
import struct
from concurrent import futures

import grpc
import pytest
from google.protobuf import json_format
from google.rpc import code_pb2, error_details_pb2, status_pb2
from starlette.testclient import TestClient

from _errors import assert_error_body, assert_invalid_argument
from _requests import minimal_request
from conftest import make_config
from gateway.app import GrpcChannel, create_app
from gateway.errors import from_rpc_error
from llamastack.agents.v0 import agents_pb2 as draft_agents_pb2
from llamastack.agents.v1alpha import agents_pb2
from llamastack.common.v1 import common_pb2
from llamastack.datasetio.v1beta import datasetio_pb2
from llamastack.datasets.v1beta import datasets_pb2
from llamastack_grpc import MAX_JSON_DEPTH, http_bindings, services
from llamastack_grpc.jsonmap import to_json
from server import errors
from server.embedded import EmbeddedServer
from server.rpc.status import to_grpc_status

LONG_ID = "x" * 9000
PURPOSE = "eval/question-answer"


def _serve(tmp_path_factory, name: str, **overrides) -> EmbeddedServer:
    data_dir = tmp_path_factory.mktemp(name)
    (data_dir / "files").mkdir()
    return EmbeddedServer(make_config(data_dir, **overrides))


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    running = _serve(tmp_path_factory, "limits")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A server whose request limit is 1 MiB, to reach it cheaply."""
    running = _serve(tmp_path_factory, "small-limit", transport={"max_receive_message_bytes": 1 << 20})
    yield running
    running.stop()


def _unary(server, method: str, request, response_type=None, channel=None):
    call = (channel or server.channel).unary_unary(
        method, request_serializer=type(request).SerializeToString,
        response_deserializer=(response_type or common_pb2.PaginatedResponse).FromString)
    return call(request, timeout=60)


def _register_rows(server, dataset_id: str, rows: list) -> None:
    response = server.http.post("/v1beta/datasets", json={
        "dataset_id": dataset_id, "purpose": PURPOSE, "source": {"type": "rows", "rows": rows}})
    assert response.status_code == 200, response.text[:500]


# ---------------------------------------------------------------- ids and messages


def test_a_9000_character_id_in_any_path_is_400_or_404(live):
    seen = 0
    for service in services():
        for binding in http_bindings(service):
            names = re.findall(r"\{([^}=]+)", binding.path)
            if not names:
                continue
            url = re.sub(r"\{[^}]+\}", LONG_ID, binding.path)
            fields = {k: v for k, v in to_json(minimal_request(binding.method.input_type)).items() if k not in names}
            if binding.verb in ("POST", "PUT", "PATCH"):
                response = live.http.request(binding.verb, url, json=fields)
            else:
                response = live.http.request(binding.verb, url, params=fields)
            where = f"{binding.verb} {binding.path}"
            assert response.status_code in (400, 404), (where, response.status_code, response.text[:300])
            assert_error_body(response, response.status_code)
            seen += 1
    assert seen > 20


@pytest.mark.parametrize("method, request_message, field", [
    ("/llamastack.datasets.v1beta.DatasetsService/GetDataset", datasets_pb2.GetDatasetRequest(dataset_id=LONG_ID),
     "dataset_id"),
    ("/llamastack.datasetio.v1beta.DatasetIOService/IterRows", datasetio_pb2.IterRowsRequest(dataset_id=LONG_ID),
     "dataset_id"),
    ("/llamastack.agents.v1alpha.AgentsService/GetAgent", agents_pb2.GetAgentRequest(agent_id=LONG_ID), "agent_id"),
])
def test_a_9000_character_id_over_grpc_is_invalid_argument_naming_it(live, method, request_message, field):
    with pytest.raises(grpc.RpcError) as caught:
        _unary(live, method, request_message)
    detail = assert_invalid_argument(caught.value, field)
    assert "at most 256 bytes" in detail


def test_a_long_value_is_quoted_by_a_bounded_prefix(live):
    """A value that is not an identifier (a model name, a query parameter's name) is
    quoted in part: the answer stays small, and never a 429."""
    response = live.http.post("/v1alpha/inference/rerank", json={"model": "m" * 9000, "query": "q", "items": ["a"]})
    assert response.status_code in (400, 404)
    assert_error_body(response, response.status_code)
    response = live.http.get("/v1beta/datasets/x", params={"a" * 20000: "1"})
    assert_error_body(response, 400)
    with pytest.raises(grpc.RpcError) as caught:
        _unary(live, "/llamastack.datasets.v1beta.DatasetsService/RegisterDataset", datasets_pb2.RegisterDatasetRequest(
            purpose=datasets_pb2.DATASET_PURPOSE_EVAL_QUESTION_ANSWER,
            source=datasets_pb2.DataSource(uri=datasets_pb2.URIDataSource(uri="file:///" + "d" * 20000))),
            datasets_pb2.Dataset)
    assert_invalid_argument(caught.value, "source.uri")


def test_empty_bank_ids_are_400_naming_the_field(live):
    assert_error_body(live.http.get("/agents/execute", params={"bankIds": ""}), 400, "bankIds[0]: must not be empty")
    with pytest.raises(grpc.RpcError) as caught:
        _unary(live, "/llamastack.agents.v0.AgentsService/FetchMemories",
               draft_agents_pb2.FetchMemoriesRequest(bank_ids=[""], query="q"), draft_agents_pb2.FetchMemoriesResponse)
    assert_invalid_argument(caught.value, "bankIds[0]")


# ---------------------------------------------------------------- sizes


def test_a_50_mb_body_is_413(live):
    body = json.dumps({"dataset_id": "big", "purpose": PURPOSE,
                       "source": {"type": "rows", "rows": [{"text": "y" * (50 << 20)}]}})
    response = live.http.post("/v1beta/datasets", content=body, headers={"content-type": "application/json"})
    assert_error_body(response, 413, "request body is larger than the limit")
    assert live.http.get("/v1beta/datasets/big").status_code == 404


def test_a_body_whose_protobuf_form_is_past_the_limit_is_413(small):
    # 0.5 MB of JSON numbers is 2.7 MB as protobuf Values: past the 1 MiB limit.
    rows = [{"n": [0] * 250_000}]
    response = small.http.post("/v1beta/datasets", json={"purpose": PURPOSE, "source": {"type": "rows", "rows": rows}})
    assert_error_body(response, 413, "the request is")
    assert "as protobuf" in response.json()["detail"]


def test_a_grpc_request_past_the_limit_is_resource_exhausted_and_413_over_rest(small):
    request = datasets_pb2.RegisterDatasetRequest(purpose=datasets_pb2.DATASET_PURPOSE_EVAL_QUESTION_ANSWER)
    request.source.rows.rows.add().update({"text": "y" * (2 << 20)})
    with pytest.raises(grpc.RpcError) as caught:
        _unary(small, "/llamastack.datasets.v1beta.DatasetsService/RegisterDataset", request, datasets_pb2.Dataset)
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED  # gRPC's own code for a message too large
    response = small.http.post("/v1beta/datasets", json=to_json(request))
    assert_error_body(response, 413)


def test_a_6_mb_page_comes_back_whole_over_both_protocols(live):
    rows = [{"i": i, "text": f"{i:06d}" + "y" * 10_000} for i in range(600)]
    _register_rows(live, "six-mb", rows)
    response = live.http.get("/v1beta/datasetio/iterrows/six-mb", params={"limit": -1})
    assert response.status_code == 200, response.text[:300]
    assert len(response.content) > 6_000_000
    assert response.json() == {"data": rows, "has_more": False}
    # A gRPC client reads a message this large once it raises its own 4 MiB default.
    with grpc.insecure_channel(live.grpc_target, options=[("grpc.max_receive_message_length", -1)]) as channel:
        page = _unary(live, "/llamastack.datasetio.v1beta.DatasetIOService/IterRows",
                      datasetio_pb2.IterRowsRequest(dataset_id="six-mb", limit=-1), channel=channel)
    assert page.ByteSize() > 6_000_000
    assert [json_format.MessageToDict(row) for row in page.data] == [{**row, "i": float(row["i"])} for row in rows]


# ---------------------------------------------------------------- nesting


def _nested(levels: int):
    value: object = 1
    for i in range(levels):
        value = {"a": value} if i % 2 else [value]
    return value


def test_json_nested_100k_levels_is_400(live):
    body = '{"purpose": "eval/question-answer", "source": {"type": "rows", "rows": [{"a": ' + "[" * 100_000 \
        + "]" * 100_000 + "}]}}"
    response = live.http.post("/v1beta/datasets", content=body, headers={"content-type": "application/json"})
    assert_error_body(response, 400, f"request body is nested more than {MAX_JSON_DEPTH} levels deep")


def test_nesting_up_to_the_limit_is_stored_and_read_back_over_both_protocols(live):
    # body {1} > rows [2] > row {3} > value: the row's value may nest MAX_JSON_DEPTH - 3 more levels.
    row = {"a": _nested(MAX_JSON_DEPTH - 3)}
    _register_rows(live, "deep", [])
    response = live.http.post("/v1beta/datasetio/append-rows/deep", json={"rows": [row]})
    assert response.status_code == 200, response.text
    too_deep = {"a": _nested(MAX_JSON_DEPTH - 2)}
    response = live.http.post("/v1beta/datasetio/append-rows/deep", json={"rows": [too_deep]})
    assert_error_body(response, 400, "request body is nested more than")
    assert live.http.get("/v1beta/datasetio/iterrows/deep").json()["data"] == [row]
    page = _unary(live, "/llamastack.datasetio.v1beta.DatasetIOService/IterRows",
                  datasetio_pb2.IterRowsRequest(dataset_id="deep"))
    assert json_format.MessageToDict(page.data[0]) == json.loads(json.dumps(row).replace("1]", "1.0]"))


def _length_delimited(field: int, payload: bytes) -> bytes:
    def varint(n: int) -> bytes:
        out = b""
        while n > 0x7F:
            out, n = out + bytes([n & 0x7F | 0x80]), n >> 7
        return out + bytes([n])
    return varint(field << 3 | 2) + varint(len(payload)) + payload


def test_a_struct_past_protobufs_depth_limit_is_invalid_argument_over_grpc(live):
    _register_rows(live, "grpc-deep", [])
    # Written by hand: the Python protobuf library refuses to build a message this deep.
    value = b"\x11" + struct.pack("<d", 1.0)  # Value.number_value
    for _ in range(60):
        row = _length_delimited(1, _length_delimited(1, b"a") + _length_delimited(2, value))  # Struct.fields
        value = _length_delimited(5, row)  # Value.struct_value
    request = _length_delimited(1, b"grpc-deep") + _length_delimited(2, row)
    with pytest.raises(grpc.RpcError) as caught:
        live.channel.unary_unary("/llamastack.datasetio.v1beta.DatasetIOService/AppendRows")(request, timeout=30)
    assert "nested past protobuf's depth limit" in assert_invalid_argument(caught.value, None)
    assert live.http.get("/v1beta/datasetio/iterrows/grpc-deep").json()["data"] == []


# ---------------------------------------------------------------- the HTTP layer


def _raw_http(server, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.app.http_port), timeout=30) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def test_a_request_line_too_long_for_the_parser_gets_the_error_body(live):
    answer = _raw_http(live, b"GET /v1beta/datasets/x?" + b"a" * 200_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"content-type: application/json" in head.lower()
    assert json.loads(body)["status"] == 400 and json.loads(body)["title"] == "Bad Request"


def test_forwarded_headers_past_their_limit_are_431(live):
    response = live.http.get("/v1beta/datasets/x", headers={"x-request-id": "r" * 20_000})
    assert_error_body(response, 431)
    assert live.http.get("/v1beta/datasets/x", headers={"authorization": "Bearer " + "t" * 12_000}).status_code == 404


class _BrokenBackend(grpc.GenericRpcHandler):
    """A backend answering what the real server never does (a row holding Infinity),
    to reach the gateway's handler of unexpected errors."""

    def service(self, handler_call_details):
        def iter_rows(request, context):
            page = common_pb2.PaginatedResponse()
            page.data.add().update({"x": float("inf")})
            return page.SerializeToString()
        return grpc.unary_unary_rpc_method_handler(iter_rows)


def test_an_unexpected_gateway_error_is_500_with_the_error_body():
    backend = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    backend.add_generic_rpc_handlers((_BrokenBackend(),))
    port = backend.add_insecure_port("127.0.0.1:0")
    backend.start()
    try:
        with TestClient(create_app(GrpcChannel(f"127.0.0.1:{port}")), raise_server_exceptions=False) as client:
            response = client.get("/v1beta/datasetio/iterrows/x")
        assert_error_body(response, 500, "internal error in the gateway")
    finally:
        backend.stop(0)


# ---------------------------------------------------------------- status mapping


def _rpc_error(status: grpc.Status) -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(grpc.StatusCode(status.code), grpc.aio.Metadata(),
                                grpc.aio.Metadata(*status.trailing_metadata), details=status.details)


def test_resource_exhausted_is_429_only_with_retry_info():
    limited = _rpc_error(to_grpc_status(errors.ResourceExhausted("provider rate limit", retry_after=2.5)))
    answer = from_rpc_error(limited)
    assert (answer.status, answer.headers) == (429, {"Retry-After": "3"})
    # gRPC's own size limits carry no RetryInfo: retrying the same request cannot help.
    too_large = grpc.aio.AioRpcError(grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.aio.Metadata(), grpc.aio.Metadata(),
                                     details="Received message larger than max (50000041 vs. 33554432)")
    assert from_rpc_error(too_large).status == 413
    bare = status_pb2.Status(code=code_pb2.RESOURCE_EXHAUSTED, message="x")
    bare.details.add().Pack(error_details_pb2.ErrorInfo(reason="QUOTA"))
    trailer = grpc.aio.Metadata(("grpc-status-details-bin", bare.SerializeToString()))
    assert from_rpc_error(grpc.aio.AioRpcError(grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.aio.Metadata(), trailer,
                                               details="x")).status == 413


def test_a_status_message_is_bounded():
    status = to_grpc_status(errors.NotFound("Model '" + "m" * 50_000 + "' not found"))
    assert len(status.details) < 1100
    assert sum(len(value) for _, value in status.trailing_metadata) < 4000
