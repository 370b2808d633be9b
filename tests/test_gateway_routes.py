"""Every documented route answers over REST through the gateway, and the gRPC edge's
errors carry what the contract promises (UNIMPLEMENTED naming the RPC, BadRequest
field violations on INVALID_ARGUMENT)."""
from __future__ import annotations

import re

import grpc
import httpx
import pytest
from google.api import field_behavior_pb2
from google.rpc import code_pb2, error_details_pb2
from grpc_status import rpc_status

from _requests import minimal_request
from _spec import COMPANIONS, normalize, spec_2024_operations, spec_2025_operations
from llamastack.datasets.v1beta import datasets_pb2
from llamastack_grpc import http_bindings, services
from llamastack_grpc.jsonmap import to_json

ERROR_KEYS = {"status", "title", "detail"}


def _v1_aliases():
    return [(verb, re.sub(r"^/v1(alpha|beta)/", "/v1/", path)) for verb, path in spec_2025_operations()]


OPERATIONS = {
    "2025": spec_2025_operations,
    "2025-v1-aliases": _v1_aliases,
    "2024-draft": spec_2024_operations,
    "stable-companions": lambda: COMPANIONS,
}


def _binding_for(verb: str, path: str):
    matches = [b for s in services() for b in http_bindings(s)
               if normalize(b.path) == normalize(path) and (verb == "*" or b.verb == verb)]
    assert matches, f"no binding for {verb} {path}"
    return matches[0]


def _is_error_body(response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return (isinstance(body, dict) and ERROR_KEYS <= set(body) <= ERROR_KEYS | {"instance"}
            and body["status"] == response.status_code
            and isinstance(body["title"], str) and body["title"]
            and isinstance(body["detail"], str) and body["detail"])


def _required_arrays(binding) -> list[str]:
    """The request's REQUIRED arrays: the gateway answers 400 when one is absent."""
    return [f.json_name for f in binding.method.input_type.fields
            if f.is_repeated
            and field_behavior_pb2.REQUIRED in f.GetOptions().Extensions[field_behavior_pb2.field_behavior]]


def _call(server, verb: str, path: str, binding):
    """The smallest request that passes validation: path variables "x", REQUIRED fields set."""
    url = re.sub(r"\{[^}]+\}", "x", path)
    path_fields = set(re.findall(r"\{([^}=]+)", binding.path))
    fields = {k: v for k, v in to_json(minimal_request(binding.method.input_type)).items() if k not in path_fields}
    arrays = _required_arrays(binding)
    if verb in ("POST", "PUT", "PATCH"):
        return server.http.request(verb, url, json={**fields, **{name: [] for name in arrays}})
    return server.http.request(verb, url, params={**fields, **{name: "x" for name in arrays}})


@pytest.mark.parametrize("group", list(OPERATIONS))
def test_documented_routes_answer(server, group):
    implemented = set(server.app.servicers)
    operations = OPERATIONS[group]()
    assert operations
    problems = []
    for verb, path in operations:
        binding = _binding_for(verb, path)
        verb = binding.verb
        service = binding.method.containing_service.full_name
        rpc = f"{service}/{binding.method.name}"
        response = _call(server, verb, path, binding)
        status = response.status_code
        where = f"{verb} {path} -> {status} {response.text[:200]!r}"
        if 200 <= status < 300:
            if response.content and response.headers.get("content-type", "").startswith("application/json"):
                response.json()
        elif not _is_error_body(response):
            problems.append(f"{where}: not an Error body")
            continue
        elif status == 404 and response.json()["detail"].startswith("No route for"):
            problems.append(f"{where}: the gateway has no route")
            continue
        # Neither is a legitimate answer to a documented verb on a documented path.
        if status in (405, 500):
            problems.append(where)
        if service in implemented:
            if status == 501:
                problems.append(f"{where}: {service} is implemented")
        elif status != 501 or rpc not in response.json()["detail"]:
            problems.append(f"{where}: expected 501 naming {rpc}")
    assert not problems, "\n".join(problems)


def test_companion_routes_are_served(server):
    health = server.http.get("/v1/health")
    assert health.status_code == 200 and health.json() == {"status": "OK"}
    version = server.http.get("/v1/version")
    assert version.status_code == 200 and isinstance(version.json()["version"], str)
    routes = server.http.get("/v1/inspect/routes").json()["data"]
    assert any(r["route"] == "/v1beta/datasets" and r["method"] == "POST" for r in routes), routes


@pytest.mark.parametrize("verb, path", [
    ("GET", "/"),
    ("GET", "/v1beta/nothing-here"),
    ("GET", "/v2/datasets"),
    ("POST", "/v1beta/datasets/x/rows"),
    ("GET", "/v1alpha/agents/x/session/x/turn/x/step/x/extra"),
    ("GET", "/vector_store/unknown"),
])
def test_undocumented_path_is_404_error(server, verb, path):
    response = server.http.request(verb, path)
    assert response.status_code == 404
    assert _is_error_body(response), response.text
    assert response.json()["detail"] == f"No route for {verb} {path}"


@pytest.mark.parametrize("verb, path", [
    ("PUT", "/v1beta/datasets"),
    ("PATCH", "/v1beta/datasets/x"),
    ("POST", "/v1beta/datasetio/iterrows/x"),
    ("GET", "/v1alpha/inference/rerank"),
    ("DELETE", "/v1/inference/rerank"),
    ("POST", "/v1/health"),
    ("DELETE", "/inference"),
    ("PUT", "/vector_store/create"),
])
def test_wrong_verb_on_documented_path_is_405_error(server, verb, path):
    response = server.http.request(verb, path)
    assert response.status_code == 405
    assert _is_error_body(response), response.text
    assert verb in response.json()["detail"] and path in response.json()["detail"]


def test_405_lists_allowed_verbs(server):
    response = server.http.put("/v1beta/datasets")
    assert response.status_code == 405
    assert {v.strip() for v in response.headers.get("allow", "").split(",")} >= {"GET", "POST"}


def test_rest_invalid_argument_is_400_naming_the_field(server):
    response = server.http.post("/v1beta/datasets", json={"source": {"type": "rows", "rows": [{"a": 1}]}})
    assert response.status_code == 400
    assert _is_error_body(response)
    assert response.json()["detail"].startswith("purpose")


def test_rest_required_field_inside_a_union_is_named_by_its_json_path(server):
    response = server.http.post("/v1beta/datasets", json={"purpose": "eval/question-answer", "source": {"type": "uri"}})
    assert response.status_code == 400
    assert response.json()["detail"] == "source.uri: is required"


def test_rest_mapping_error_is_400_naming_the_path(server):
    response = server.http.post("/v1beta/datasets", json={"purpose": "eval/question-answer",
                                                          "source": {"type": "rows", "rows": [3]}})
    assert response.status_code == 400
    assert _is_error_body(response)
    assert response.json()["detail"].startswith("source.rows[0]:")


@pytest.mark.parametrize("number", ["NaN", "Infinity", "1e400"])
def test_rest_non_finite_integer_is_400(server, number):
    # Python's json module accepts these non-standard literals; the gateway refuses them as not JSON.
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        response = client.post("/v1alpha/telemetry/traces", content=f'{{"limit": {number}}}',
                               headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert _is_error_body(response)
    detail = response.json()["detail"]
    if number in ("NaN", "Infinity", "-Infinity"):
        assert "not valid JSON" in detail and number in detail
    else:  # valid JSON that overflows a double: the field is named
        assert detail.startswith("limit:")


# ---------------------------------------------------------------- gRPC side


def _register(server):
    return server.channel.unary_unary(
        "/llamastack.datasets.v1beta.DatasetsService/RegisterDataset",
        request_serializer=datasets_pb2.RegisterDatasetRequest.SerializeToString,
        response_deserializer=datasets_pb2.Dataset.FromString)


@pytest.mark.parametrize("request_message, field", [
    (datasets_pb2.RegisterDatasetRequest(source=datasets_pb2.DataSource(
        rows=datasets_pb2.RowsDataSource(type="rows"))), "purpose"),
    pytest.param(
        datasets_pb2.RegisterDatasetRequest(purpose=datasets_pb2.DATASET_PURPOSE_EVAL_QUESTION_ANSWER,
                                            source=datasets_pb2.DataSource(uri=datasets_pb2.URIDataSource())),
        "source.uri",  # the JSON path: a discriminated union's variant fields stand inline
        id="union-member"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_invalid_argument_carries_bad_request_details(server, request_message, field):
    with pytest.raises(grpc.RpcError) as caught:
        _register(server)(request_message, timeout=10)
    call = caught.value
    assert call.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(call)
    assert status is not None, "no grpc-status-details-bin trailer"
    assert status.code == code_pb2.INVALID_ARGUMENT
    assert status.message == call.details()
    violations = []
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            violations.extend(bad_request.field_violations)
    assert [v.field for v in violations] == [field]
    assert violations[0].description == "is required"
