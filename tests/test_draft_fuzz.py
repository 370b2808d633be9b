"""The 2024 draft's operations fuzzed with malformed requests: text that is not JSON, a
body that is not an object, an unknown field, a field holding a value of a kind its type
never reads, a required field left out, a body that is not JSON by its Content-Type.
Every one must answer 4xx with the Error body, never 5xx, whether the operation's area
is built or not (an operation not built yet checks its input before its 501).

The draft is not valid YAML, so the cases come from the contract's descriptors, which
hold every draft operation (tests/test_gateway_routes.py checks that)."""
from __future__ import annotations

import json
import re

import hypothesis
import pytest
from google.protobuf.descriptor import FieldDescriptor
from hypothesis import strategies as st

from _errors import assert_error_body
from _requests import minimal_request, required_scalars
from _spec import normalize, spec_2024_operations
from conftest import make_config
from llamastack.annotations.v1 import annotations_pb2 as ann
from llamastack_grpc import http_bindings, services
from llamastack_grpc.jsonmap import to_json
from server.embedded import EmbeddedServer

_VALUES = {"string": "x", "number": 1.5, "boolean": True, "object": {"k": 1}, "array": [1]}


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("draft-fuzz")
    (data_dir / "files").mkdir()
    running = EmbeddedServer(make_config(data_dir))
    yield running
    running.stop()


def _draft_bindings():
    """One binding per draft operation (its `/vector_store...` paths have no verb: "*")."""
    operations = {(verb, normalize(path)) for verb, path in spec_2024_operations()}
    return [b for s in services() for b in http_bindings(s)
            if (b.verb, normalize(b.path)) in operations or ("*", normalize(b.path)) in operations]


def _kinds(field: FieldDescriptor) -> set[str] | None:
    """The JSON kinds a field reads (None: any, for google.protobuf.Value)."""
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        return {"object"}
    if field.is_repeated:
        return {"array"}
    return _kinds_of_one(field)


def _kinds_of_one(field: FieldDescriptor) -> set[str] | None:
    if field.message_type is None:
        if field.enum_type is not None or field.type in (FieldDescriptor.TYPE_STRING, FieldDescriptor.TYPE_BYTES):
            return {"string"}
        return {"boolean"} if field.type == FieldDescriptor.TYPE_BOOL else {"number"}
    message = field.message_type
    name = message.full_name
    if name == "google.protobuf.Value":
        return None
    if name in ("google.protobuf.Timestamp", "google.protobuf.Duration"):
        return {"string"}
    if name == "google.protobuf.ListValue" or message.GetOptions().Extensions[ann.json_array]:
        return {"array"}
    for oneof in message.oneofs:
        if oneof.GetOptions().Extensions[ann.untagged]:
            kinds: set[str] = set()
            for member in oneof.fields:
                member_kinds = _kinds(member)
                if member_kinds is None:
                    return None
                kinds |= member_kinds
            return kinds
    return {"object"}


def _malformations(binding) -> list[tuple[str, dict]]:
    """(what, request) pairs, each a request no server may accept."""
    path_fields = set(re.findall(r"\{([^}=]+)", binding.path))
    base = {k: v for k, v in to_json(minimal_request(binding.method.input_type)).items() if k not in path_fields}
    fields = [f for f in binding.method.input_type.fields if f.json_name not in path_fields]
    cases = [("unknown field", {**base, "zz_not_a_field": 1})]
    for field in required_scalars(binding.method.input_type):
        if field.json_name not in path_fields:
            cases.append((f"{field.json_name} left out", {k: v for k, v in base.items() if k != field.json_name}))
    for field in fields:
        kinds = _kinds(field)
        if kinds is None:
            continue
        if not binding.body:  # a query parameter: text that does not parse as its type
            if field.message_type is None and field.type != FieldDescriptor.TYPE_STRING and field.enum_type is None:
                cases.append((f"{field.json_name} unparsable", {**base, field.json_name: "not-a-value"}))
            continue
        for kind, value in _VALUES.items():
            if kind not in kinds:
                cases.append((f"{field.json_name} as {kind}", {**base, field.json_name: value}))
    return cases


def _send(live, binding, body: dict | None = None, *, content: bytes | None = None, content_type="application/json"):
    url = re.sub(r"\{[^}]+\}", "x", binding.path)
    if not binding.body:
        params = {k: json.dumps(v) if not isinstance(v, str) else v for k, v in (body or {}).items()}
        return live.http.request(binding.verb, url, params=params)
    payload = content if content is not None else json.dumps(body).encode()
    return live.http.request(binding.verb, url, content=payload, headers={"content-type": content_type})


_NOT_JSON = st.text(min_size=1, max_size=40).filter(lambda text: not _parses(text))
_NOT_OBJECT = st.one_of(st.lists(st.integers(), max_size=3), st.text(max_size=10), st.integers(), st.booleans())


def _parses(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("binding", _draft_bindings(), ids=lambda b: f"{b.verb} {b.path}")
@hypothesis.settings(max_examples=15, deadline=None, derandomize=True, database=None,
                     suppress_health_check=list(hypothesis.HealthCheck))
@hypothesis.given(data=st.data())
def test_a_malformed_draft_request_is_4xx_with_the_error_body(live, binding, data):
    cases = _malformations(binding)
    kind = data.draw(st.sampled_from(["field", "not json", "not an object", "content type"] if binding.body
                                     else ["field"]))
    if kind == "field":
        what, body = data.draw(st.sampled_from(cases))
        response = _send(live, binding, body)
    elif kind == "not json":
        what = "text that is not JSON"
        response = _send(live, binding, content=data.draw(_NOT_JSON).encode())
    elif kind == "not an object":
        what = "a JSON value that is not an object"
        response = _send(live, binding, content=json.dumps(data.draw(_NOT_OBJECT)).encode())
        if binding.body != "*":  # the body is one field: a scalar may be wrong for it, or right
            hypothesis.assume(response.status_code >= 400)
    else:
        what = "a body whose Content-Type is not JSON"
        response = _send(live, binding, {}, content_type=data.draw(st.sampled_from(["text/plain", "text/csv"])))
    assert 400 <= response.status_code < 500, (what, response.status_code, response.text[:300])
    assert_error_body(response, response.status_code)


def test_the_draft_operations_are_all_fuzzed():
    assert len(_draft_bindings()) == len(spec_2024_operations())
