"""Unit tests of DatasetService against a real LmdbStore."""
from __future__ import annotations

import asyncio
import base64
import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from google.protobuf import json_format, struct_pb2

from llamastack.common.v1 import common_pb2
from llamastack.datasets.v1beta import datasets_pb2
from server.datasets.service import DatasetService
from server.errors import AlreadyExists, InvalidArgument, NotFound
from server.storage import LmdbStore
from server.uris import FileAccess

QA = datasets_pb2.DATASET_PURPOSE_EVAL_QUESTION_ANSWER


def run(coro):
    return asyncio.run(coro)


def struct(d: dict) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(d)
    return s


def rows_of(resp) -> list[dict]:
    return [json_format.MessageToDict(r) for r in resp.data]


@pytest.fixture
def data_dir(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    return d


@pytest.fixture
def store(tmp_path):
    s = LmdbStore(tmp_path / "db")
    yield s
    s.close()


@pytest.fixture
def svc(store, data_dir):
    return DatasetService(store, FileAccess((data_dir,)))


def register_rows(svc, rows, dataset_id=None, metadata=None):
    req = datasets_pb2.RegisterDatasetRequest(purpose=QA)
    req.source.rows.rows.extend(struct(r) for r in rows)
    if dataset_id is not None:
        req.dataset_id = dataset_id
    if metadata is not None:
        req.metadata.update(metadata)
    return run(svc.register(req))


def register_uri(svc, uri, dataset_id=None):
    req = datasets_pb2.RegisterDatasetRequest(purpose=QA)
    req.source.uri.uri = uri
    if dataset_id is not None:
        req.dataset_id = dataset_id
    return run(svc.register(req))


def all_rows(svc, dataset_id):
    return rows_of(run(svc.iterrows(dataset_id, None, None)))


# ------------------------------------------------------------------ register


def test_register_rows_source(svc):
    ds = register_rows(svc, [{"q": "1+1", "a": "2"}, {"q": "2+2", "a": "4"}], dataset_id="qa", metadata={"k": "v"})
    assert ds.identifier == "qa"
    assert ds.provider_id == "localfs"
    assert ds.provider_resource_id == "qa"
    assert ds.type == common_pb2.RESOURCE_TYPE_DATASET
    assert ds.purpose == QA
    assert ds.source.WhichOneof("source") == "rows"
    assert ds.source.rows.type == "rows"
    assert len(ds.source.rows.rows) == 2
    assert json_format.MessageToDict(ds.metadata) == {"k": "v"}
    assert run(svc.get("qa")) == ds
    assert all_rows(svc, "qa") == [{"q": "1+1", "a": "2"}, {"q": "2+2", "a": "4"}]


def test_register_generates_id_and_empty_metadata(svc):
    ds = register_rows(svc, [{"x": 1}])
    assert ds.identifier.startswith("dataset-")
    assert len(ds.identifier) == len("dataset-") + 32
    assert ds.HasField("metadata") and len(ds.metadata.fields) == 0
    assert run(svc.get(ds.identifier)).identifier == ds.identifier
    other = register_rows(svc, [{"x": 2}])
    assert other.identifier != ds.identifier


def test_register_empty_rows_allowed(svc):
    register_rows(svc, [], dataset_id="empty")
    resp = run(svc.iterrows("empty", None, None))
    assert list(resp.data) == [] and resp.has_more is False


@pytest.mark.parametrize(
    "bad_id", ["", "a/b", "x" * 257, "nul\0id", "tab\tid", "new\nline", "del\x7f"]
)
def test_register_rejects_bad_dataset_id(svc, bad_id):
    with pytest.raises(InvalidArgument) as exc:
        register_rows(svc, [{"x": 1}], dataset_id=bad_id)
    assert exc.value.field == "dataset_id"
    assert run(svc.list()).data == []


def test_register_accepts_256_char_id(svc):
    ds = register_rows(svc, [{"x": 1}], dataset_id="y" * 256)
    assert ds.identifier == "y" * 256


def test_register_requires_purpose_and_source(svc):
    req = datasets_pb2.RegisterDatasetRequest()
    req.source.rows.rows.add()
    with pytest.raises(InvalidArgument) as exc:
        run(svc.register(req))
    assert exc.value.field == "purpose"
    with pytest.raises(InvalidArgument) as exc:
        run(svc.register(datasets_pb2.RegisterDatasetRequest(purpose=QA)))
    assert exc.value.field == "source"


def test_duplicate_id_leaves_original_intact(svc):
    original = register_rows(svc, [{"v": "orig"}], dataset_id="dup", metadata={"m": 1})
    with pytest.raises(AlreadyExists) as exc:
        register_rows(svc, [{"v": "new1"}, {"v": "new2"}], dataset_id="dup", metadata={"m": 2})
    assert "dup" in exc.value.message
    assert run(svc.get("dup")) == original
    assert all_rows(svc, "dup") == [{"v": "orig"}]
    assert [d.identifier for d in run(svc.list()).data] == ["dup"]


def test_list_sorted(svc):
    for name in ["charlie", "alpha", "bravo"]:
        register_rows(svc, [{"n": name}], dataset_id=name)
    assert [d.identifier for d in run(svc.list()).data] == ["alpha", "bravo", "charlie"]


# ------------------------------------------------------------------ uri sources


def test_uri_jsonl(svc, data_dir):
    p = data_dir / "d.jsonl"
    p.write_text('{"q": "a", "n": 1}\n\n{"q": "b", "n": 2.5, "nested": {"l": [1, true, null]}}\n')
    ds = register_uri(svc, f"file://{p}", dataset_id="j")
    assert ds.source.WhichOneof("source") == "uri"
    assert ds.source.uri.uri == f"file://{p}"
    assert ds.source.uri.type == "uri"
    assert all_rows(svc, "j") == [
        {"q": "a", "n": 1.0},
        {"q": "b", "n": 2.5, "nested": {"l": [1.0, True, None]}},
    ]


def test_uri_json_array(svc, data_dir):
    p = data_dir / "d.json"
    p.write_text(json.dumps([{"a": 1}, {"a": 2}, {"b": "x"}]))
    register_uri(svc, f"file://{p}", dataset_id="j")
    assert all_rows(svc, "j") == [{"a": 1}, {"a": 2}, {"b": "x"}]


def test_uri_json_not_array_rejected(svc, data_dir):
    p = data_dir / "d.json"
    p.write_text(json.dumps({"rows": [{"a": 1}]}))
    with pytest.raises(InvalidArgument) as exc:
        register_uri(svc, f"file://{p}", dataset_id="j")
    assert exc.value.field == "source.uri"
    assert "array" in exc.value.description


def test_uri_csv_type_inference(svc, data_dir):
    p = data_dir / "d.csv"
    p.write_text("i,f,b,s,d\n1,2.5,true,hello,2024-01-01\n2,3,false,world,2024-01-02\n")
    register_uri(svc, f"file://{p}", dataset_id="c")
    resp = run(svc.iterrows("c", None, None))
    row = resp.data[0]
    assert row.fields["i"].WhichOneof("kind") == "number_value" and row.fields["i"].number_value == 1
    assert row.fields["f"].number_value == 2.5
    assert row.fields["b"].WhichOneof("kind") == "bool_value" and row.fields["b"].bool_value is True
    assert row.fields["s"].string_value == "hello"
    # Date-looking text stays the text it was.
    assert row.fields["d"].string_value == "2024-01-01"
    assert rows_of(resp)[1] == {"i": 2, "f": 3.0, "b": False, "s": "world", "d": "2024-01-02"}


def test_uri_parquet(svc, data_dir):
    p = data_dir / "d.parquet"
    table = pa.table(
        {
            "q": ["x", "y", None],
            "n": pa.array([1, 2, 3], type=pa.int64()),
            "ts": pa.array([0, 1, 2], type=pa.timestamp("s")),
            "tags": [["a"], [], ["b", "c"]],
        }
    )
    pq.write_table(table, p)
    register_uri(svc, f"file://{p}", dataset_id="pq")
    rows = all_rows(svc, "pq")
    assert rows == [
        {"q": "x", "n": 1, "ts": "1970-01-01T00:00:00", "tags": ["a"]},
        {"q": "y", "n": 2, "ts": "1970-01-01T00:00:01", "tags": []},
        {"q": None, "n": 3, "ts": "1970-01-01T00:00:02", "tags": ["b", "c"]},
    ]


@pytest.mark.parametrize("media", ["text/csv", "csv"])
def test_data_uri_csv(svc, media):
    payload = base64.b64encode(b"question,answer,score\nWhat?,42,0.5\n").decode()
    register_uri(svc, f"data:{media};base64,{payload}", dataset_id="dc")
    assert all_rows(svc, "dc") == [{"question": "What?", "answer": 42, "score": 0.5}]


@pytest.mark.parametrize("media", ["application/jsonl", "jsonl"])
def test_data_uri_jsonl(svc, media):
    payload = base64.b64encode(b'{"a": "x"}\n{"a": "y"}\n').decode()
    register_uri(svc, f"data:{media};base64,{payload}", dataset_id="dj")
    assert all_rows(svc, "dj") == [{"a": "x"}, {"a": "y"}]


def test_uri_snapshot_at_registration(svc, data_dir):
    p = data_dir / "d.jsonl"
    p.write_text('{"a": 1}\n')
    register_uri(svc, f"file://{p}", dataset_id="snap")
    p.write_text('{"a": 2}\n{"a": 3}\n')
    assert all_rows(svc, "snap") == [{"a": 1}]


def _assert_uri_rejected(svc, uri, *words):
    with pytest.raises(InvalidArgument) as exc:
        register_uri(svc, uri, dataset_id="bad")
    assert exc.value.field == "source.uri"
    for word in words:
        assert word in exc.value.description, exc.value.description
    with pytest.raises(NotFound):
        run(svc.get("bad"))
    return exc.value


def test_outside_root_rejected(svc, tmp_path, data_dir):
    outside = tmp_path / "secret.jsonl"
    outside.write_text('{"s": 1}\n')
    _assert_uri_rejected(svc, f"file://{outside}", "outside")
    # `..` is resolved before the check.
    _assert_uri_rejected(svc, f"file://{data_dir}/../secret.jsonl", "outside")
    # So are symlinks.
    link = data_dir / "link.jsonl"
    os.symlink(outside, link)
    _assert_uri_rejected(svc, f"file://{link}", "outside")
    # A sibling directory sharing the root's name as a prefix is outside too.
    sibling = tmp_path / "data2"
    sibling.mkdir()
    (sibling / "x.jsonl").write_text('{"s": 1}\n')
    _assert_uri_rejected(svc, f"file://{sibling}/x.jsonl", "outside")


def test_symlink_within_root_allowed(svc, data_dir):
    real = data_dir / "real.jsonl"
    real.write_text('{"ok": true}\n')
    os.symlink(real, data_dir / "alias.jsonl")
    register_uri(svc, f"file://{data_dir}/alias.jsonl", dataset_id="alias")
    assert all_rows(svc, "alias") == [{"ok": True}]


def test_missing_file(svc, data_dir):
    _assert_uri_rejected(svc, f"file://{data_dir}/nope.jsonl", "does not exist")


def test_unknown_extension(svc, data_dir):
    p = data_dir / "d.txt"
    p.write_text("hello")
    _assert_uri_rejected(svc, f"file://{p}", ".txt")


def test_unsupported_scheme(svc):
    _assert_uri_rejected(svc, "https://example.com/d.csv", "https")
    _assert_uri_rejected(svc, "s3://bucket/d.csv", "s3")


def test_relative_file_uri(svc):
    _assert_uri_rejected(svc, "file:d.jsonl", "absolute")


def test_unparsable_content(svc, data_dir):
    p = data_dir / "bad.jsonl"
    p.write_text('{"a": 1}\n{not json\n')
    _assert_uri_rejected(svc, f"file://{p}", "line 2")
    q = data_dir / "notobj.jsonl"
    q.write_text('{"a": 1}\n[1, 2]\n')
    _assert_uri_rejected(svc, f"file://{q}", "line 2", "object")
    r = data_dir / "bad.parquet"
    r.write_bytes(b"not parquet at all")
    _assert_uri_rejected(svc, f"file://{r}", "Parquet")
    s = data_dir / "bad.csv"
    s.write_text("a,b\n1,2,3\n")
    _assert_uri_rejected(svc, f"file://{s}", "CSV")


def test_bad_data_uris(svc):
    _assert_uri_rejected(svc, "data:text/csv;base64,@@@not-base64@@@", "base64")
    _assert_uri_rejected(svc, "data:image/png;base64," + base64.b64encode(b"x").decode(), "image/png")
    _assert_uri_rejected(svc, "data:text/csv;base64", "malformed")
    payload = base64.b64encode(b"[1,2]\n").decode()
    _assert_uri_rejected(svc, f"data:application/jsonl;base64,{payload}", "object")


# ------------------------------------------------------------------ pagination


@pytest.fixture
def ten(svc):
    register_rows(svc, [{"i": i} for i in range(10)], dataset_id="ten")
    return svc


def page(svc, start, limit):
    resp = run(svc.iterrows("ten", start, limit))
    return [int(r["i"]) for r in rows_of(resp)], resp.has_more


def test_iterrows_omitted_returns_all(ten):
    assert page(ten, None, None) == (list(range(10)), False)


def test_iterrows_minus_one_returns_rest(ten):
    assert page(ten, 3, -1) == (list(range(3, 10)), False)
    assert page(ten, None, -1) == (list(range(10)), False)


def test_iterrows_limit_zero(ten):
    assert page(ten, 0, 0) == ([], True)
    assert page(ten, 10, 0) == ([], False)


def test_iterrows_pages_and_has_more(ten):
    assert page(ten, 0, 4) == ([0, 1, 2, 3], True)
    assert page(ten, 4, 4) == ([4, 5, 6, 7], True)
    assert page(ten, 8, 4) == ([8, 9], False)
    assert page(ten, 6, 4) == ([6, 7, 8, 9], False)
    assert page(ten, None, 3) == ([0, 1, 2], True)


def test_iterrows_past_end(ten):
    assert page(ten, 10, None) == ([], False)
    assert page(ten, 1000, 5) == ([], False)


def test_iterrows_invalid_arguments(ten):
    with pytest.raises(InvalidArgument) as exc:
        run(ten.iterrows("ten", -1, None))
    assert exc.value.field == "start_index"
    with pytest.raises(InvalidArgument) as exc:
        run(ten.iterrows("ten", 0, -2))
    assert exc.value.field == "limit"


def test_iterrows_does_not_leak_between_prefix_ids(svc):
    register_rows(svc, [{"who": "a"}], dataset_id="a")
    register_rows(svc, [{"who": "ab"}, {"who": "ab"}], dataset_id="ab")
    assert all_rows(svc, "a") == [{"who": "a"}]
    assert len(all_rows(svc, "ab")) == 2


# ------------------------------------------------------------------ append / unregister


def test_append_persists_across_reopen(tmp_path, data_dir):
    store = LmdbStore(tmp_path / "db2")
    svc = DatasetService(store, FileAccess((data_dir,)))
    register_rows(svc, [{"i": 0}, {"i": 1}], dataset_id="grow")
    run(svc.append_rows("grow", [struct({"i": 2}), struct({"i": 3})]))
    run(svc.append_rows("grow", [struct({"i": 4})]))
    store.close()

    store = LmdbStore(tmp_path / "db2")
    try:
        svc = DatasetService(store, FileAccess((data_dir,)))
        assert all_rows(svc, "grow") == [{"i": i} for i in range(5)]
        assert page_of(svc, "grow", 3, 1) == ([{"i": 3}], True)
        run(svc.append_rows("grow", [struct({"i": 5})]))
        assert all_rows(svc, "grow")[-1] == {"i": 5}
        assert len(all_rows(svc, "grow")) == 6
    finally:
        store.close()


def page_of(svc, dataset_id, start, limit):
    resp = run(svc.iterrows(dataset_id, start, limit))
    return rows_of(resp), resp.has_more


def test_append_to_empty_and_uri_datasets(svc, data_dir):
    register_rows(svc, [], dataset_id="e")
    run(svc.append_rows("e", [struct({"x": "first"})]))
    assert all_rows(svc, "e") == [{"x": "first"}]

    p = data_dir / "d.jsonl"
    p.write_text('{"x": "file"}\n')
    register_uri(svc, f"file://{p}", dataset_id="u")
    run(svc.append_rows("u", [struct({"x": "appended"})]))
    assert all_rows(svc, "u") == [{"x": "file"}, {"x": "appended"}]


def test_unregister_removes_record_and_rows(svc, store):
    register_rows(svc, [{"i": i} for i in range(5)], dataset_id="gone")
    register_rows(svc, [{"keep": 1}], dataset_id="kept")
    run(svc.unregister("gone"))
    with pytest.raises(NotFound):
        run(svc.get("gone"))
    assert [d.identifier for d in run(svc.list()).data] == ["kept"]
    with store.read() as txn:
        assert list(txn.scan("dataset_rows", b"gone\0")) == []
        assert len(list(txn.scan("dataset_rows", b"kept\0"))) == 1
    # Re-registering the id starts from scratch.
    register_rows(svc, [{"new": True}], dataset_id="gone")
    assert all_rows(svc, "gone") == [{"new": True}]


def test_not_found_on_every_operation(svc):
    calls = [
        svc.get("missing"),
        svc.unregister("missing"),
        svc.iterrows("missing", None, None),
        svc.iterrows("missing", 0, 5),
        svc.append_rows("missing", [struct({"a": 1})]),
    ]
    for coro in calls:
        with pytest.raises(NotFound) as exc:
            run(coro)
        assert exc.value.message == "Dataset 'missing' not found"
    # append to a missing dataset must not leave orphan rows behind.
    register_rows(svc, [], dataset_id="missing")
    assert all_rows(svc, "missing") == []


@pytest.mark.asyncio
async def test_service_is_async(svc):
    req = datasets_pb2.RegisterDatasetRequest(purpose=QA, dataset_id="as")
    req.source.rows.rows.add().update({"z": 1})
    await svc.register(req)
    resp = await svc.iterrows("as", None, None)
    assert rows_of(resp) == [{"z": 1}]
