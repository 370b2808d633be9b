"""End-to-end tests of Datasets and DatasetIO against a real running server.

The shared behaviours run twice, once over gRPC and once over the REST gateway, through
the one dual-protocol test client (tests/_client.py) speaking the spec's JSON.
Protocol-specific tests follow: the gateway's exact JSON bodies and error bodies, and the
gRPC status codes with their google.rpc.BadRequest details.
"""
from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import grpc
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from _client import PROTOCOLS, ApiError, Client
from llamastack.datasetio.v1beta import datasetio_pb2, datasetio_pb2_grpc
from llamastack.datasets.v1beta import datasets_pb2, datasets_pb2_grpc

QA = "eval/question-answer"
PURPOSES = {
    "post-training/messages": datasets_pb2.DATASET_PURPOSE_POST_TRAINING_MESSAGES,
    "eval/question-answer": datasets_pb2.DATASET_PURPOSE_EVAL_QUESTION_ANSWER,
    "eval/messages-answer": datasets_pb2.DATASET_PURPOSE_EVAL_MESSAGES_ANSWER,
}

# The rows every file format below holds (same columns, same types).
QA_ROWS = [
    {"question": "What is 2+2?", "answer": "four", "n": 4},
    {"question": "Capital of France?", "answer": "Paris", "n": 1},
]
QA_CSV = "question,answer,n\nWhat is 2+2?,four,4\nCapital of France?,Paris,1\n"
QA_JSONL = "".join(json.dumps(row) + "\n" for row in QA_ROWS)


# ---------------------------------------------------------------- the calls, over either protocol

DATASETS = "llamastack.datasets.v1beta.DatasetsService/"
DATASETIO = "llamastack.datasetio.v1beta.DatasetIOService/"


class DatasetsApi:
    """The Datasets and DatasetIO calls these tests make, in the spec's JSON, over the protocol
    of tests/_client.py's Client (which also checks every REST error body's shape)."""

    def __init__(self, server, protocol: str):
        self.protocol = protocol
        self.client = Client(server, protocol, timeout=30)

    def register(self, body: dict) -> dict:
        return self.client.call(DATASETS + "RegisterDataset", body)

    def get(self, dataset_id: str) -> dict:
        return self.client.call(DATASETS + "GetDataset", {"dataset_id": dataset_id})

    def list(self) -> list[dict]:
        body = self.client.call(DATASETS + "ListDatasets")
        assert set(body) == {"data"}
        return body["data"]

    def unregister(self, dataset_id: str) -> None:
        return self.client.call(DATASETS + "UnregisterDataset", {"dataset_id": dataset_id})

    def iterrows(self, dataset_id: str, start_index: int | None = None, limit: int | None = None) -> dict:
        page = {k: v for k, v in (("start_index", start_index), ("limit", limit)) if v is not None}
        body = self.client.call(DATASETIO + "IterRows", {"dataset_id": dataset_id, **page})
        assert set(body) == {"data", "has_more"}, body
        return body

    def append(self, dataset_id: str, rows: list[dict]) -> None:
        return self.client.call(DATASETIO + "AppendRows", {"dataset_id": dataset_id, "rows": rows})


@pytest.fixture(params=PROTOCOLS)
def client(request, server):
    return DatasetsApi(server, request.param)


@pytest.fixture
def files(server) -> Path:
    """The allowed root (file:// URIs may only read from here)."""
    root = server.config.data_dir / "files"
    root.mkdir(exist_ok=True)
    return root


def rows_body(rows, dataset_id=None, purpose=QA, metadata=None) -> dict:
    body = {"purpose": purpose, "source": {"type": "rows", "rows": rows}}
    if dataset_id is not None:
        body["dataset_id"] = dataset_id
    if metadata is not None:
        body["metadata"] = metadata
    return body


def uri_body(uri, dataset_id=None, purpose=QA) -> dict:
    body = {"purpose": purpose, "source": {"type": "uri", "uri": uri}}
    if dataset_id is not None:
        body["dataset_id"] = dataset_id
    return body


def data_uri(media_type: str, text: str) -> str:
    return f"data:{media_type};base64,{base64.b64encode(text.encode()).decode()}"


def expect_error(code: str, fn, *args, **kwargs) -> ApiError:
    with pytest.raises(ApiError) as info:
        fn(*args, **kwargs)
    assert info.value.code == code, info.value
    return info.value


# ---------------------------------------------------------------- shared behaviours


def test_register_rows_then_get_list_iterrows(client):
    rows = [{"question": "q1", "answer": "a1", "n": 1}, {"question": "q2", "answer": "a2", "n": 2}]
    created = client.register(rows_body(rows, dataset_id="qa", metadata={"owner": "tests", "version": 2}))
    expected = {
        "identifier": "qa",
        "provider_resource_id": "qa",
        "provider_id": "localfs",
        "type": "dataset",
        "purpose": QA,
        "source": {"type": "rows", "rows": rows},
        "metadata": {"owner": "tests", "version": 2},
    }
    assert created == expected
    assert client.get("qa") == expected
    assert client.list() == [expected]
    assert client.iterrows("qa") == {"data": rows, "has_more": False}


@pytest.mark.parametrize("purpose", sorted(PURPOSES))
def test_every_purpose_round_trips(client, purpose):
    created = client.register(rows_body([{"messages": []}], dataset_id="p", purpose=purpose))
    assert created["purpose"] == purpose
    assert client.get("p")["purpose"] == purpose


def test_register_without_id_generates_one(client):
    created = client.register(rows_body([{"a": 1}]))
    identifier = created["identifier"]
    assert identifier.startswith("dataset-") and len(identifier) > len("dataset-")
    assert created["provider_resource_id"] == identifier
    assert created["metadata"] == {}
    assert client.get(identifier) == created
    second = client.register(rows_body([{"a": 1}]))
    assert second["identifier"] != identifier


def test_list_is_sorted_and_complete(client):
    for name in ("charlie", "alpha", "bravo"):
        client.register(rows_body([{"name": name}], dataset_id=name))
    listed = client.list()
    assert [d["identifier"] for d in listed] == ["alpha", "bravo", "charlie"]
    assert listed == [client.get(name) for name in ("alpha", "bravo", "charlie")]


def test_ids_with_spaces_and_unicode(client):
    dataset_id = "my data set é ü 100%"
    client.register(rows_body([{"x": "y"}], dataset_id=dataset_id))
    assert client.get(dataset_id)["identifier"] == dataset_id
    client.append(dataset_id, [{"x": "z"}])
    assert client.iterrows(dataset_id)["data"] == [{"x": "y"}, {"x": "z"}]
    client.unregister(dataset_id)
    expect_error("NOT_FOUND", client.get, dataset_id)


def _write_file(files: Path, kind: str) -> Path:
    if kind == "csv":
        path = files / "qa.csv"
        path.write_text(QA_CSV)
    elif kind == "jsonl":
        path = files / "qa.jsonl"
        path.write_text(QA_JSONL)
    else:
        path = files / "qa.parquet"
        pq.write_table(pa.Table.from_pylist(QA_ROWS), path)
    return path


@pytest.mark.parametrize("kind", ["csv", "jsonl", "parquet"])
def test_register_file_uri(client, files, kind):
    path = _write_file(files, kind)
    uri = path.as_uri()
    created = client.register(uri_body(uri, dataset_id=f"file-{kind}"))
    assert created["source"] == {"type": "uri", "uri": uri}
    assert created["metadata"] == {}
    assert client.iterrows(f"file-{kind}") == {"data": QA_ROWS, "has_more": False}
    # The rows are a snapshot: changing the file afterwards changes nothing.
    path.unlink()
    assert client.iterrows(f"file-{kind}") == {"data": QA_ROWS, "has_more": False}
    assert client.get(f"file-{kind}")["source"] == {"type": "uri", "uri": uri}


@pytest.mark.parametrize("media_type,text", [
    ("text/csv", QA_CSV),
    ("csv", QA_CSV),
    ("application/jsonl", QA_JSONL),
    ("jsonl", QA_JSONL),
])
def test_register_data_uri(client, media_type, text):
    uri = data_uri(media_type, text)
    created = client.register(uri_body(uri, dataset_id="inline"))
    assert created["source"] == {"type": "uri", "uri": uri}
    assert client.iterrows("inline") == {"data": QA_ROWS, "has_more": False}


FIVE = [{"i": i, "name": f"row {i}"} for i in range(5)]


@pytest.mark.parametrize("start_index,limit,expected,has_more", [
    (None, None, FIVE, False),
    (None, -1, FIVE, False),
    (0, 2, FIVE[0:2], True),
    (2, 2, FIVE[2:4], True),
    (3, 2, FIVE[3:5], False),  # the page ends exactly at the last row
    (4, 5, FIVE[4:5], False),
    (2, None, FIVE[2:], False),
    (1, -1, FIVE[1:], False),
    (0, 5, FIVE, False),
    (0, 4, FIVE[:4], True),
    (0, 0, [], True),
    (5, None, [], False),
    (5, 0, [], False),
    (9, 3, [], False),
])
def test_iterrows_pagination(client, start_index, limit, expected, has_more):
    client.register(rows_body(FIVE, dataset_id="five"))
    assert client.iterrows("five", start_index, limit) == {"data": expected, "has_more": has_more}


def test_iterrows_pages_cover_every_row_once(client):
    rows = [{"i": i} for i in range(23)]
    client.register(rows_body(rows, dataset_id="pages"))
    seen, start = [], 0
    while True:
        page = client.iterrows("pages", start, 5)
        seen += page["data"]
        start += len(page["data"])
        if not page["has_more"]:
            break
    assert seen == rows


@pytest.mark.parametrize("start_index,limit,message", [
    (-1, None, "start_index: must be >= 0, got -1"),
    (0, -2, "limit: must be >= 0, or -1 for all rows; got -2"),
])
def test_iterrows_rejects_bad_bounds(client, start_index, limit, message):
    client.register(rows_body(FIVE, dataset_id="five"))
    error = expect_error("INVALID_ARGUMENT", client.iterrows, "five", start_index, limit)
    assert error.message == message


def test_append_rows_then_read_back(client):
    client.register(rows_body([{"i": 0}, {"i": 1}], dataset_id="grow"))
    client.append("grow", [{"i": 2}, {"i": 3, "extra": {"nested": [1, "two", None, True]}}])
    client.append("grow", [])
    client.append("grow", [{"i": 4}])
    expected = [{"i": 0}, {"i": 1}, {"i": 2}, {"i": 3, "extra": {"nested": [1, "two", None, True]}}, {"i": 4}]
    assert client.iterrows("grow") == {"data": expected, "has_more": False}
    assert client.iterrows("grow", 3, 1) == {"data": expected[3:4], "has_more": True}
    # The dataset record itself is not changed by appends.
    assert client.get("grow")["source"] == {"type": "rows", "rows": [{"i": 0}, {"i": 1}]}


def test_append_to_empty_dataset(client, files):
    client.register(rows_body([], dataset_id="empty"))
    assert client.iterrows("empty") == {"data": [], "has_more": False}
    client.append("empty", [{"a": "b"}])
    assert client.iterrows("empty") == {"data": [{"a": "b"}], "has_more": False}
    # A URI dataset accepts appends as well.
    client.register(uri_body(_write_file(files, "csv").as_uri(), dataset_id="from-csv"))
    client.append("from-csv", [{"question": "new", "answer": "row", "n": 3}])
    assert client.iterrows("from-csv")["data"] == QA_ROWS + [{"question": "new", "answer": "row", "n": 3}]


def test_unregister_then_everything_is_not_found(client):
    client.register(rows_body([{"a": 1}], dataset_id="gone"))
    client.register(rows_body([{"b": 2}], dataset_id="kept"))
    assert client.unregister("gone") is None
    message = "Dataset 'gone' not found"
    assert expect_error("NOT_FOUND", client.get, "gone").message == message
    assert expect_error("NOT_FOUND", client.iterrows, "gone").message == message
    assert expect_error("NOT_FOUND", client.append, "gone", [{"a": 2}]).message == message
    assert expect_error("NOT_FOUND", client.unregister, "gone").message == message
    assert [d["identifier"] for d in client.list()] == ["kept"]
    assert client.iterrows("kept")["data"] == [{"b": 2}]
    # The id can be used again, and the new dataset does not see the old rows.
    client.register(rows_body([{"c": 3}], dataset_id="gone"))
    assert client.iterrows("gone") == {"data": [{"c": 3}], "has_more": False}


def test_never_registered_is_not_found(client):
    message = "Dataset 'nope' not found"
    assert expect_error("NOT_FOUND", client.get, "nope").message == message
    assert expect_error("NOT_FOUND", client.iterrows, "nope").message == message
    assert expect_error("NOT_FOUND", client.append, "nope", [{"a": 1}]).message == message
    assert expect_error("NOT_FOUND", client.unregister, "nope").message == message


def test_duplicate_id_is_already_exists_and_keeps_the_original(client, files):
    original = client.register(rows_body([{"a": 1}], dataset_id="dup", metadata={"v": 1}))
    client.append("dup", [{"a": 2}])
    error = expect_error("ALREADY_EXISTS", client.register,
                         rows_body([{"b": 9}], dataset_id="dup", purpose="post-training/messages", metadata={"v": 2}))
    assert error.message == "Dataset 'dup' already exists"
    error = expect_error("ALREADY_EXISTS", client.register,
                         uri_body(_write_file(files, "jsonl").as_uri(), dataset_id="dup"))
    assert error.message == "Dataset 'dup' already exists"
    assert client.get("dup") == original
    assert client.iterrows("dup") == {"data": [{"a": 1}, {"a": 2}], "has_more": False}
    assert [d["identifier"] for d in client.list()] == ["dup"]


def _bad_uris(files: Path) -> list[tuple[str, str]]:
    """(uri, what the message must say) for URIs that cannot be registered."""
    outside = files.parent / "outside.csv"
    outside.write_text(QA_CSV)
    link = files / "link.csv"
    if not link.exists():
        os.symlink(outside, link)
    (files / "notes.txt").write_text("hello")
    (files / "folder.csv").mkdir(exist_ok=True)
    (files / "broken.jsonl").write_text('{"a": 1}\nnot json\n')
    return [
        (outside.as_uri(), f"path '{outside}' is outside the allowed data directories"),
        (f"file://{files}/../outside.csv", "is outside the allowed data directories"),
        (link.as_uri(), "is outside the allowed data directories"),
        ("file:///etc/passwd", "path '/etc/passwd' is outside the allowed data directories"),
        ((files / "missing.csv").as_uri(), f"file '{files / 'missing.csv'}' does not exist"),
        ((files / "notes.txt").as_uri(), "unsupported file extension '.txt'"),
        ((files / "folder.csv").as_uri(), "is not a regular file"),
        ((files / "broken.jsonl").as_uri(), "line 2 is not valid JSON"),
        ("file://otherhost/data.csv", "file URI must name a local absolute path"),
        ("data:text/csv;base64,%%%not base64!", "data URI payload is not valid base64"),
        ("data:text/csv;base64", "malformed data URI"),
        ("data:image/png;base64,iVBORw0KGgo=", "unsupported data URI media type 'image/png'"),
        (data_uri("application/jsonl", "[1, 2]\n"), "line 1 is a JSON array, expected an object"),
        ("data:text/csv;base64,", "is empty: a CSV needs a header row"),
        ("https://example.com/data.csv", "unsupported URI scheme 'https'"),
        ("huggingface://llamastack/simpleqa?split=train", "unsupported URI scheme 'huggingface'"),
        ("not a uri at all", "unsupported URI scheme"),
    ]


def test_bad_uris_are_invalid_argument_with_a_clear_message(client, files):
    for uri, says in _bad_uris(files):
        error = expect_error("INVALID_ARGUMENT", client.register, uri_body(uri, dataset_id="bad"))
        assert error.message.startswith("source.uri: "), (uri, error.message)
        assert says in error.message, (uri, error.message)
    # Nothing was registered by any of them.
    assert client.list() == []
    expect_error("NOT_FOUND", client.get, "bad")


@pytest.mark.parametrize("body,message", [
    ({"source": {"type": "rows", "rows": []}}, "purpose: is required"),
    ({"purpose": QA}, "source: is required"),
    (uri_body(""), "source.uri: is required"),
    (rows_body([], dataset_id=""), "dataset_id: must not be empty"),
    (rows_body([], dataset_id="a/b"), "dataset_id: must not contain '/'"),
    (rows_body([], dataset_id="x" * 257), "dataset_id: must be at most 256 bytes long (UTF-8), got 257"),
    (rows_body([], dataset_id="tab\there"), "dataset_id: must not contain control characters (found U+0009)"),
])
def test_invalid_register_requests(client, body, message):
    error = expect_error("INVALID_ARGUMENT", client.register, body)
    assert error.message == message
    assert client.list() == []


# ---------------------------------------------------------------- REST: exact JSON


def _assert_integers_are_ints(value: Any, path="") -> None:
    """Whole numbers must be JSON integers (`1`, not `1.0`)."""
    if isinstance(value, float):
        assert not value.is_integer(), f"{path}: {value!r} should be an integer"
    elif isinstance(value, dict):
        for k, v in value.items():
            _assert_integers_are_ints(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _assert_integers_are_ints(v, f"{path}[{i}]")


def test_rest_register_get_list_bodies_are_exact(server):
    http = server.http
    rows = [{"id": 1, "score": 0.5, "big": 9007199254740991, "neg": -3, "ok": True, "none": None,
             "tags": ["a", 2], "obj": {"k": 10}}]
    body = {"dataset_id": "exact", "purpose": "eval/messages-answer",
            "source": {"type": "rows", "rows": rows}, "metadata": {"count": 7, "ratio": 0.25, "name": "n"}}
    expected = {
        "identifier": "exact",
        "provider_resource_id": "exact",
        "provider_id": "localfs",
        "type": "dataset",
        "purpose": "eval/messages-answer",
        "source": {"type": "rows", "rows": rows},
        "metadata": {"count": 7, "ratio": 0.25, "name": "n"},
    }
    for resp in (http.post("/v1beta/datasets", json=body), http.get("/v1beta/datasets/exact")):
        assert resp.status_code == 200
        assert resp.headers["content-type"] == "application/json"
        assert resp.json() == expected
        _assert_integers_are_ints(resp.json())
    resp = http.get("/v1beta/datasets")
    assert resp.status_code == 200 and resp.json() == {"data": [expected]}
    resp = http.get("/v1beta/datasetio/iterrows/exact")
    assert resp.status_code == 200 and resp.json() == {"data": rows, "has_more": False}
    _assert_integers_are_ints(resp.json())
    assert type(resp.json()["data"][0]["id"]) is int
    assert type(resp.json()["data"][0]["big"]) is int


def test_rest_get_of_a_large_dataset_read_again_and_then_replaced(server):
    """Large answers are kept rendered (gateway/rendering.py): read again they are the same,
    and a dataset registered again under the same id reads with its new rows."""
    http = server.http
    for version in ("old", "new"):
        rows = [{"question": f"{version} {i}?", "answer": version, "n": i} for i in range(1000)]
        assert http.post("/v1beta/datasets", json=rows_body(rows, "kept-large")).status_code == 200
        for _ in range(2):
            resp = http.get("/v1beta/datasets/kept-large")
            assert resp.status_code == 200 and resp.json()["source"] == {"type": "rows", "rows": rows}
        assert http.delete("/v1beta/datasets/kept-large").status_code == 200


def test_rest_uri_source_and_file_rows_are_exact(server):
    path = server.config.data_dir / "files" / "exact.csv"
    path.write_text(QA_CSV)
    uri = path.as_uri()
    resp = server.http.post("/v1beta/datasets", json={"purpose": "post-training/messages",
                                                      "source": {"type": "uri", "uri": uri}, "dataset_id": "f"})
    assert resp.status_code == 200
    assert resp.json() == {
        "identifier": "f",
        "provider_resource_id": "f",
        "provider_id": "localfs",
        "type": "dataset",
        "purpose": "post-training/messages",
        "source": {"type": "uri", "uri": uri},
        "metadata": {},
    }
    resp = server.http.get("/v1beta/datasetio/iterrows/f", params={"start_index": 1, "limit": 1})
    assert resp.json() == {"data": QA_ROWS[1:], "has_more": False}
    assert type(resp.json()["data"][0]["n"]) is int


def test_rest_empty_answers_and_v1_aliases(server):
    http = server.http
    assert http.get("/v1beta/datasets").json() == {"data": []}
    assert http.post("/v1/datasets", json=rows_body([{"a": 1}], dataset_id="alias")).status_code == 200
    assert http.get("/v1/datasets/alias").json()["identifier"] == "alias"
    resp = http.post("/v1/datasetio/append-rows/alias", json={"rows": [{"a": 2}]})
    assert resp.status_code == 200
    assert http.get("/v1/datasetio/iterrows/alias").json() == {"data": [{"a": 1}, {"a": 2}], "has_more": False}
    assert http.delete("/v1/datasets/alias").status_code == 200
    assert http.get("/v1beta/datasets/alias").status_code == 404


def _error(resp, status: int, title: str) -> str:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/json"
    body = resp.json()
    assert set(body) == {"status", "title", "detail"}, body
    assert body["status"] == status and body["title"] == title
    assert isinstance(body["detail"], str)
    return body["detail"]


def test_rest_error_bodies_are_exact(server):
    http = server.http
    assert http.get("/v1beta/datasets/nope").json() == {
        "status": 404, "title": "Not Found", "detail": "Dataset 'nope' not found"}
    for resp in (http.get("/v1beta/datasets/nope"), http.delete("/v1beta/datasets/nope"),
                 http.get("/v1beta/datasetio/iterrows/nope"),
                 http.post("/v1beta/datasetio/append-rows/nope", json={"rows": [{"a": 1}]})):
        assert resp.status_code == 404
        assert resp.json() == {"status": 404, "title": "Not Found", "detail": "Dataset 'nope' not found"}
    assert http.post("/v1beta/datasets", json=rows_body([], dataset_id="one")).status_code == 200
    resp = http.post("/v1beta/datasets", json=rows_body([{"x": 1}], dataset_id="one"))
    assert resp.status_code == 409
    assert resp.json() == {"status": 409, "title": "Conflict", "detail": "Dataset 'one' already exists"}
    outside = server.config.data_dir / "outside.jsonl"
    outside.write_text(QA_JSONL)
    resp = http.post("/v1beta/datasets", json=uri_body(outside.as_uri()))
    assert resp.status_code == 400
    assert resp.json() == {"status": 400, "title": "Bad Request",
                           "detail": f"source.uri: path '{outside}' is outside the allowed data directories"}
    detail = _error(http.get("/v1beta/no-such-route"), 404, "Not Found")
    assert "/v1beta/no-such-route" in detail


def test_rest_method_not_allowed_lists_the_allowed_methods(server):
    """RFC 9110 15.5.6: a 405 answer must carry an Allow header naming the path's methods."""
    for method, path, allowed in (
        ("PUT", "/v1beta/datasets", {"GET", "POST"}),
        ("PATCH", "/v1beta/datasets/x", {"GET", "DELETE"}),
        ("DELETE", "/v1beta/datasetio/iterrows/x", {"GET"}),
        ("GET", "/v1beta/datasetio/append-rows/x", {"POST"}),
    ):
        resp = server.http.request(method, path)
        detail = _error(resp, 405, "Method Not Allowed")
        assert method in detail
        assert "allow" in resp.headers, f"{method} {path}: 405 without an Allow header"
        listed = {m.strip() for m in resp.headers["allow"].split(",")}
        assert allowed <= listed <= allowed | {"HEAD"}, (method, path, listed)


def test_rest_malformed_json_body(server):
    for path in ("/v1beta/datasets", "/v1beta/datasetio/append-rows/x"):
        resp = server.http.post(path, content=b'{"purpose": "eval/question-answer", ',
                                headers={"content-type": "application/json"})
        detail = _error(resp, 400, "Bad Request")
        assert detail.startswith("request body is not valid JSON: "), detail
    resp = server.http.post("/v1beta/datasets", json=[1, 2])
    assert _error(resp, 400, "Bad Request") == "request body must be a JSON object"
    assert server.http.get("/v1beta/datasets").json() == {"data": []}


@pytest.mark.parametrize("body,field,says", [
    ({"purpose": 5, "source": {"type": "rows", "rows": []}}, "purpose", "must be one of"),
    ({"purpose": "eval/other", "source": {"type": "rows", "rows": []}}, "purpose", "must be one of"),
    ({"purpose": None, "source": {"type": "rows", "rows": []}}, "purpose", "is required"),
    (rows_body([], dataset_id=7), "dataset_id", "expected a string, got number"),
    (rows_body([], dataset_id=["a"]), "dataset_id", "expected a string, got array"),
    ({"purpose": QA, "source": "file:///x.csv"}, "source", "expected an object, got string"),
    ({"purpose": QA, "source": {"uri": "data:csv;base64,YQo="}}, "source.type", "is required"),
    ({"purpose": QA, "source": {"type": "ftp", "uri": "x"}}, "source.type", "must be one of"),
    ({"purpose": QA, "source": {"type": "uri", "uri": 5}}, "source.uri", "expected a string, got number"),
    ({"purpose": QA, "source": {"type": "uri"}}, "source.uri", "is required"),
    ({"purpose": QA, "source": {"type": "rows", "rows": "x"}}, "source.rows", "expected an array, got string"),
    ({"purpose": QA, "source": {"type": "rows", "rows": [1]}}, "source.rows[0]", "expected an object, got number"),
    ({"purpose": QA, "source": {"type": "rows"}}, "source.rows", "is required"),
    ({"purpose": QA, "source": {"type": "rows", "rows": [], "uri": "x"}}, "source.uri", "unknown field"),
    (rows_body([], metadata=[1]), "metadata", "expected an object, got array"),
    (rows_body([], metadata="m"), "metadata", "expected an object, got string"),
    ({**rows_body([]), "extra": 1}, "extra", "unknown field"),
])
def test_rest_register_wrong_types_name_the_field(server, body, field, says):
    detail = _error(server.http.post("/v1beta/datasets", json=body), 400, "Bad Request")
    assert detail.startswith(f"{field}: "), detail
    assert says in detail, detail
    assert server.http.get("/v1beta/datasets").json() == {"data": []}


@pytest.mark.parametrize("body,field,says", [
    ({"rows": "x"}, "rows", "expected an array, got string"),
    ({"rows": [1]}, "rows[0]", "expected an object, got number"),
    ({"rows": [{"a": 1}, "b"]}, "rows[1]", "expected an object, got string"),
    ({"rows": None}, "rows", "is required"),
    ({}, "rows", "is required"),
    ({"rows": [], "more": True}, "more", "unknown field"),
])
def test_rest_append_wrong_types_name_the_field(server, body, field, says):
    server.http.post("/v1beta/datasets", json=rows_body([{"a": 0}], dataset_id="t"))
    detail = _error(server.http.post("/v1beta/datasetio/append-rows/t", json=body), 400, "Bad Request")
    assert detail.startswith(f"{field}: "), detail
    assert says in detail, detail
    assert server.http.get("/v1beta/datasetio/iterrows/t").json() == {"data": [{"a": 0}], "has_more": False}


@pytest.mark.parametrize("params,field", [
    ({"limit": "abc"}, "limit"),
    ({"start_index": "1.5"}, "start_index"),
    ({"start_index": ""}, "start_index"),
    ({"limit": "9999999999999"}, "limit"),
    ({"start_index": "-9999999999999"}, "start_index"),
    ({"limit": "2147483647"}, None),  # in range: a valid request (all rows)
    ({"offset": "1"}, "offset"),
    ({"dataset_id": "other"}, "dataset_id"),
])
def test_rest_iterrows_bad_query_names_the_parameter(server, params, field):
    server.http.post("/v1beta/datasets", json=rows_body([{"a": 0}], dataset_id="t"))
    resp = server.http.get("/v1beta/datasetio/iterrows/t", params=params)
    if field is None:
        assert resp.status_code == 200 and resp.json() == {"data": [{"a": 0}], "has_more": False}
        return
    detail = _error(resp, 400, "Bad Request")
    assert detail.startswith(f"{field}: "), detail


# ---------------------------------------------------------------- gRPC: status details


def _grpc_error(call, request) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as info:
        call(request, timeout=30)
    return info.value


def _field_violations(error: grpc.RpcError) -> list[tuple[str, str]]:
    status = rpc_status.from_call(error)
    assert status is not None and status.code == error.code().value[0]
    out = []
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            out += [(v.field, v.description) for v in bad.field_violations]
    return out


def test_grpc_invalid_argument_carries_field_violations(server, files):
    stub = datasets_pb2_grpc.DatasetsServiceStub(server.channel)
    req = datasets_pb2.RegisterDatasetRequest(purpose=PURPOSES[QA])
    req.source.uri.uri = (files.parent / "elsewhere.csv").as_uri()
    error = _grpc_error(stub.RegisterDataset, req)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    path = files.parent / "elsewhere.csv"
    assert error.details() == f"source.uri: path '{path}' is outside the allowed data directories"
    assert _field_violations(error) == [("source.uri", f"path '{path}' is outside the allowed data directories")]

    error = _grpc_error(stub.RegisterDataset, datasets_pb2.RegisterDatasetRequest(purpose=PURPOSES[QA]))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _field_violations(error) == [("source", "is required")]

    req = datasets_pb2.RegisterDatasetRequest(purpose=PURPOSES[QA])
    req.source.SetInParent()  # a source with neither member
    error = _grpc_error(stub.RegisterDataset, req)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith("source: ")

    req = datasets_pb2.RegisterDatasetRequest(purpose=99)
    req.source.rows.SetInParent()
    error = _grpc_error(stub.RegisterDataset, req)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _field_violations(error) == [("purpose", "unknown purpose value 99")]

    io = datasetio_pb2_grpc.DatasetIOServiceStub(server.channel)
    for call, request in ((stub.GetDataset, datasets_pb2.GetDatasetRequest()),
                          (stub.UnregisterDataset, datasets_pb2.UnregisterDatasetRequest()),
                          (io.IterRows, datasetio_pb2.IterRowsRequest()),
                          (io.AppendRows, datasetio_pb2.AppendRowsRequest())):
        error = _grpc_error(call, request)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error.details() == "dataset_id: is required"
        assert _field_violations(error) == [("dataset_id", "is required")]


def test_grpc_status_codes(server):
    stub = datasets_pb2_grpc.DatasetsServiceStub(server.channel)
    req = datasets_pb2.RegisterDatasetRequest(purpose=PURPOSES[QA], dataset_id="g")
    req.source.rows.rows.add().update({"a": 1})
    assert stub.RegisterDataset(req, timeout=30).source.rows.type == "rows"
    error = _grpc_error(stub.RegisterDataset, req)
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS
    assert _field_violations(error) == []
    error = _grpc_error(stub.GetDataset, datasets_pb2.GetDatasetRequest(dataset_id="missing"))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert error.details() == "Dataset 'missing' not found"
