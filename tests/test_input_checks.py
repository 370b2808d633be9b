"""Input the service cannot store faithfully is refused at the door, over both
protocols: non-finite numbers and numbers past a double, Values with no kind, bodies
that are not JSON (415) or hold a key twice, protobuf bytes that do not decode; file
sources are read under one size cap; operations not built yet check their input
before answering 501."""
from __future__ import annotations

import logging
import math
import os
import re

import grpc
import pytest
from google.protobuf import struct_pb2

from _errors import assert_error_body, assert_invalid_argument
from _requests import minimal_request, required_scalars
from conftest import make_config
from llamastack.agents.v1alpha import agents_pb2
from llamastack.common.v1 import agent_config_pb2, inference_pb2
from llamastack.datasetio.v1beta import datasetio_pb2
from llamastack.datasets.v1beta import datasets_pb2
from llamastack_grpc import http_bindings, services
from llamastack_grpc.jsonmap import to_json
from server.batch.inputs import read_location
from server.config import ServerConfig
from server.documents import load_uri
from server.embedded import EmbeddedServer
from server.errors import InvalidArgument
from server.uris import DEFAULT_MAX_FILE_BYTES, FileAccess

PURPOSE = "eval/question-answer"
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("input-checks")
    (data_dir / "files").mkdir()
    running = EmbeddedServer(make_config(data_dir))
    response = running.http.post("/v1beta/datasets", json={
        "dataset_id": "kept", "purpose": PURPOSE, "source": {"type": "rows", "rows": [{"a": 1}]}})
    assert response.status_code == 200, response.text
    yield running
    running.stop()


def _rows_of(server, dataset_id: str) -> list:
    response = server.http.get(f"/v1beta/datasetio/iterrows/{dataset_id}")
    assert response.status_code == 200, response.text
    return response.json()["data"]


def _grpc(server, method: str, request, response_type=struct_pb2.Struct):
    return server.channel.unary_unary(method, request_serializer=type(request).SerializeToString,
                                      response_deserializer=response_type.FromString)(request, timeout=30)


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize("number", ["1e400", "-1e400", "1" + "0" * 400])
def test_a_number_past_a_double_is_400_naming_the_field(live, number):
    body = '{"rows": [{"a": 1}, {"b": {"c": [' + number + ']}}]}'
    response = live.http.post("/v1beta/datasetio/append-rows/kept", content=body, headers=JSON)
    detail = assert_error_body(response, 400, "rows[1].b.c[0]: ")
    assert "does not fit" in detail and len(detail) < 200
    body = '{"purpose": "eval/question-answer", "dataset_id": "never", "source": {"type": "rows", "rows": [{"x": ' \
        + number + "}]}}"
    assert_error_body(live.http.post("/v1beta/datasets", content=body, headers=JSON), 400, "source.rows[0].x: ")
    assert live.http.get("/v1beta/datasets/never").status_code == 404
    assert _rows_of(live, "kept") == [{"a": 1}]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_standard_json_literals_are_400(live, literal):
    response = live.http.post("/v1beta/datasetio/append-rows/kept", content='{"rows": [{"a": ' + literal + "}]}",
                              headers=JSON)
    assert literal in assert_error_body(response, 400, "request body is not valid JSON")


def test_a_large_integer_within_a_doubles_range_is_kept_as_a_double(live):
    # Struct numbers are doubles, as in any JSON reader: 2**60 is held (exactly, being a power of two).
    response = live.http.post("/v1beta/datasets", json={
        "dataset_id": "big-int", "purpose": PURPOSE, "source": {"type": "rows", "rows": [{"n": 2**60}]}})
    assert response.status_code == 200, response.text
    assert _rows_of(live, "big-int") == [{"n": float(2**60)}]


@pytest.mark.parametrize("number", [math.inf, -math.inf, math.nan])
def test_a_non_finite_number_value_over_grpc_is_invalid_argument(live, number):
    row = struct_pb2.Struct()
    row.update({"a": 1, "b": {"c": [0, number]}})
    with pytest.raises(grpc.RpcError) as caught:
        _grpc(live, "/llamastack.datasetio.v1beta.DatasetIOService/AppendRows",
              datasetio_pb2.AppendRowsRequest(dataset_id="kept", rows=[struct_pb2.Struct(), row]))
    assert_invalid_argument(caught.value, "rows[1].b.c[1]")
    assert _rows_of(live, "kept") == [{"a": 1}]


def test_a_non_finite_double_field_is_refused_over_both_protocols(live):
    strategy = inference_pb2.SamplingStrategy(top_p=inference_pb2.TopPSamplingStrategy(temperature=math.inf))
    config = agent_config_pb2.AgentConfig(model="m", instructions="i",
                                          sampling_params=inference_pb2.SamplingParams(strategy=strategy))
    with pytest.raises(grpc.RpcError) as caught:
        _grpc(live, "/llamastack.agents.v1alpha.AgentsService/CreateAgent",
              agents_pb2.CreateAgentRequest(agent_config=config))
    assert_invalid_argument(caught.value, "agent_config.sampling_params.strategy.temperature")
    body = ('{"agent_config": {"model": "m", "instructions": "i", "sampling_params": '
            '{"strategy": {"type": "top_p", "temperature": 1e999}}}}')
    response = live.http.post("/v1alpha/agents", content=body, headers=JSON)
    assert_error_body(response, 400, "agent_config.sampling_params.strategy.temperature: ")


def test_a_value_with_no_kind_is_invalid_argument_naming_it(live):
    row = struct_pb2.Struct()
    row.update({"a": 1})
    row.fields["empty"].SetInParent()  # a Value with none of its kinds set
    with pytest.raises(grpc.RpcError) as caught:
        _grpc(live, "/llamastack.datasetio.v1beta.DatasetIOService/AppendRows",
              datasetio_pb2.AppendRowsRequest(dataset_id="kept", rows=[row]))
    assert "no kind set" in assert_invalid_argument(caught.value, "rows[0].empty")
    null_row = struct_pb2.Struct()
    null_row.update({"a": None})
    _grpc(live, "/llamastack.datasetio.v1beta.DatasetIOService/AppendRows",
          datasetio_pb2.AppendRowsRequest(dataset_id="big-int", rows=[null_row]))
    assert _rows_of(live, "big-int")[-1] == {"a": None}
    assert _rows_of(live, "kept") == [{"a": 1}]


# ---------------------------------------------------------------- bodies


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_a_body_that_is_not_json_is_415(live, content_type):
    response = live.http.post("/v1beta/datasetio/append-rows/kept", content='{"rows": [{"b": 2}]}',
                              headers={"content-type": content_type})
    assert content_type in assert_error_body(response, 415, "Content-Type must be application/json")
    assert _rows_of(live, "kept") == [{"a": 1}]


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "application/vnd.api+json", None])
def test_json_content_types_and_none_are_accepted(live, content_type):
    response = live.http.post("/v1beta/datasets", content='{"purpose": "eval/question-answer", "source": '
                                                          '{"type": "rows", "rows": []}}',
                              headers={"content-type": content_type} if content_type else {})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("body", ["null", "[]", '"rows"', "3"])
def test_a_body_that_is_not_an_object_is_400(live, body):
    response = live.http.post("/v1beta/datasetio/append-rows/kept", content=body, headers=JSON)
    assert_error_body(response, 400, "request body must be a JSON object")
    assert live.http.post("/v1alpha/telemetry/traces", content=body, headers=JSON).status_code == 400


def test_a_key_given_twice_is_400(live):
    response = live.http.post("/v1beta/datasetio/append-rows/kept", content='{"rows": [{"b": 1, "b": 2}]}',
                              headers=JSON)
    assert "'b' twice" in assert_error_body(response, 400)
    response = live.http.post("/v1beta/datasets", headers=JSON, content='{"purpose": "eval/question-answer", '
                              '"purpose": "eval/messages-answer", "source": {"type": "rows", "rows": []}}')
    assert "'purpose' twice" in assert_error_body(response, 400)
    assert _rows_of(live, "kept") == [{"a": 1}]


# ---------------------------------------------------------------- protobuf bytes


def test_malformed_protobuf_bytes_are_invalid_argument_on_every_method(live, caplog):
    methods = [method for service in services() for method in service.methods]
    with caplog.at_level(logging.WARNING):
        for method in methods:
            name = f"/{method.containing_service.full_name}/{method.name}"
            with pytest.raises(grpc.RpcError) as caught:
                if method.server_streaming:
                    list(live.channel.unary_stream(name)(b"\xff\xff\xff\xff", timeout=30))
                else:
                    live.channel.unary_unary(name)(b"\xff\xff\xff\xff", timeout=30)
            assert method.input_type.full_name in assert_invalid_argument(caught.value, None), name
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and r.exc_info], "a traceback was logged"


# ---------------------------------------------------------------- file sources


def _rss_peak_bytes() -> int:
    """The process's peak RSS since the last reset (the embedded server runs in it)."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))


def _reset_rss_peak() -> None:
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")


def test_a_2_gib_sparse_file_source_is_400_without_reading_it(live):
    files = live.config.file_roots[0]
    for name in ("huge.jsonl", "huge.txt"):
        with open(files / name, "wb") as sparse:
            sparse.truncate(2 << 30)
    body = {"dataset_id": "huge", "purpose": PURPOSE, "source": {"type": "uri", "uri": (files / "huge.jsonl").as_uri()}}
    assert_error_body(live.http.post("/v1beta/datasets", json=body), 400)  # warm the path once
    _reset_rss_peak()
    before = _rss_peak_bytes()
    detail = assert_error_body(live.http.post("/v1beta/datasets", json=body), 400, "source.uri: ")
    request = datasets_pb2.RegisterDatasetRequest(
        purpose=datasets_pb2.DATASET_PURPOSE_EVAL_QUESTION_ANSWER,
        source=datasets_pb2.DataSource(uri=datasets_pb2.URIDataSource(uri=(files / "huge.jsonl").as_uri())))
    with pytest.raises(grpc.RpcError) as caught:
        _grpc(live, "/llamastack.datasets.v1beta.DatasetsService/RegisterDataset", request, datasets_pb2.Dataset)
    assert_invalid_argument(caught.value, "source.uri")
    # Documents (vector stores, agent turns) go through the same reader and cap.
    with pytest.raises(InvalidArgument, match=f"larger than the limit of {DEFAULT_MAX_FILE_BYTES} bytes"):
        load_uri((files / "huge.txt").as_uri(), None, FileAccess((files,)), field_name="documents[0].uri",
                 mime_field="m")
    growth = _rss_peak_bytes() - before
    print(f"peak RSS growth refusing a 2 GiB source: {growth / 1e6:.1f} MB")
    assert f"larger than the limit of {DEFAULT_MAX_FILE_BYTES} bytes" in detail
    assert growth < 8 << 20, growth
    os.remove(files / "huge.jsonl")
    os.remove(files / "huge.txt")


def test_a_source_just_past_the_cap_is_400_and_one_within_it_is_read(live):
    files = live.config.file_roots[0]
    line = b'{"q": "' + b"z" * 1000 + b'"}\n'
    (files / "ok.jsonl").write_bytes(line * 3)
    with open(files / "over.jsonl", "wb") as over:
        over.truncate(DEFAULT_MAX_FILE_BYTES + 1)
    ok = live.http.post("/v1beta/datasets", json={"dataset_id": "ok", "purpose": PURPOSE,
                                                  "source": {"type": "uri", "uri": (files / "ok.jsonl").as_uri()}})
    assert ok.status_code == 200, ok.text
    over = live.http.post("/v1beta/datasets", json={"purpose": PURPOSE,
                                                    "source": {"type": "uri", "uri": (files / "over.jsonl").as_uri()}})
    assert "larger than the limit" in assert_error_body(over, 400, "source.uri: ")


def test_max_file_bytes_bounds_every_reader_of_file_uris(tmp_path):
    (tmp_path / "files").mkdir()
    at_limit, over = tmp_path / "files" / "at.jsonl", tmp_path / "files" / "over.jsonl"
    at_limit.write_bytes(b'{"q": "' + b"z" * 4086 + b'"}\n')
    over.write_bytes(at_limit.read_bytes() + b"\n")
    assert at_limit.stat().st_size == 4096
    access = FileAccess((tmp_path / "files",), max_bytes=4096)
    assert read_location(at_limit.as_uri(), "input_file_path", access) == at_limit.read_bytes()
    with pytest.raises(InvalidArgument, match="larger than the limit of 4096 bytes") as refused:
        read_location(str(over), "input_file_path", access)  # a batch job's input, as a bare path
    assert refused.value.field == "input_file_path"
    server = EmbeddedServer(make_config(tmp_path, max_file_bytes=4096))
    try:
        def register(path):
            return server.http.post("/v1beta/datasets", json={
                "purpose": PURPOSE, "source": {"type": "uri", "uri": path.as_uri()}})
        assert register(at_limit).status_code == 200
        detail = assert_error_body(register(over), 400, "source.uri: ")
        assert "larger than the limit of 4096 bytes" in detail
    finally:
        server.stop()


def test_max_file_bytes_must_be_positive(tmp_path):
    with pytest.raises(ValueError, match="max_file_bytes must be at least 1"):
        make_config(tmp_path, max_file_bytes=0)


@pytest.mark.parametrize("text, says", [
    ("max_file_bytes: abc", "max_file_bytes: expected an integer, got 'abc'"),
    ("gateway_render_cache_bytes: 1e9", "gateway_render_cache_bytes: expected an integer, got '1e9'"),
    ("max_file_bytes: true", "max_file_bytes: expected an integer, got True"),
    ("access_log: 1", "access_log: expected true or false, got 1"),
    ("grace_period: soon", "grace_period: expected a number, got 'soon'"),
])
def test_a_setting_of_the_wrong_type_is_refused_naming_it(tmp_path, text, says):
    path = tmp_path / "server.yaml"
    path.write_text(text + "\n")
    with pytest.raises(ValueError) as refused:
        ServerConfig.load(path, {})
    assert str(refused.value) == says


def test_settings_of_the_right_type_load(tmp_path):
    path = tmp_path / "server.yaml"
    path.write_text("max_file_bytes: 1024\ngrace_period: 5\naccess_log: false\nhealth_port: 0\n")
    config = ServerConfig.load(path, {})
    assert (config.max_file_bytes, config.grace_period, config.access_log, config.health_port) == (1024, 5, False, 0)


# ---------------------------------------------------------------- operations not built yet


def test_required_fields_are_checked_before_any_servicer_runs(unserved_channel, live):
    # A field protobuf can tell absent (a message, an optional or enum field): over gRPC it
    # is refused as missing even where no servicer stands behind the method (the check comes
    # first); over REST the gateway refuses it on the live server.
    methods = [(binding, required_scalars(binding.method.input_type, detectable=True)[0]) for service in services()
               for binding in http_bindings(service) if required_scalars(binding.method.input_type, detectable=True)]
    assert methods
    for binding, field in methods:
        method = binding.method
        request = minimal_request(method.input_type)
        request.ClearField(field.name)
        name = f"/{method.containing_service.full_name}/{method.name}"
        call = (unserved_channel.unary_stream if method.server_streaming else unserved_channel.unary_unary)(name)
        with pytest.raises(grpc.RpcError) as caught:
            answer = call(request.SerializeToString(), timeout=30)
            if method.server_streaming:
                list(answer)
        assert "is required" in assert_invalid_argument(caught.value, field.json_name), name
        path_fields = re.findall(r"\{([^}=]+)", binding.path)
        if field.json_name in path_fields:
            continue  # a path without the variable is another route
        url = re.sub(r"\{[^}]+\}", "x", binding.path)
        fields = {k: v for k, v in to_json(request).items() if k not in path_fields}
        if binding.verb in ("POST", "PUT", "PATCH"):
            response = live.http.request(binding.verb, url, json=fields)
        else:
            response = live.http.request(binding.verb, url, params=fields)
        assert_error_body(response, 400, f"{field.json_name}: is required")
