"""Vector stores end to end, over gRPC and over REST, on a server with the real MiniLM
embedding model: create, insert jobs (markdown, CSV, HTML, inline; file:// and data:
URIs) to completion with progress counts, search with metadata filters and rerank, the
draft's memory fetch, delete jobs, update, drop; errors; cancelling a running insert job.
Also unit tests of document parsing, chunking and the vector index."""
from __future__ import annotations

import base64
import itertools
import json
import threading
from pathlib import Path

import grpc
import numpy as np
import pytest
from google.protobuf import json_format, struct_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from _client import PROTOCOLS, Client
from _helpers_inference import cross_encoder_ranking
from _wait import wait_job, wait_until
from llamastack.agents.v0 import agents_pb2, agents_pb2_grpc
from llamastack.common.v0 import common_pb2 as v0
from llamastack.vectorstore.v0 import vectorstore_pb2 as pb
from llamastack.vectorstore.v0 import vectorstore_pb2_grpc
from server import documents as docs
from server.errors import InvalidArgument
from server.uris import FileAccess
from server.vectorstores.index import VectorIndex
from server.vectorstores.keys import CHUNKS, DOCUMENTS, STORES, unpack_chunk_key

EMBEDDING = "all-MiniLM-L6-v2"

GUIDE = """# Growing tomatoes

Tomatoes need at least six hours of direct sunlight every day. Plant the seedlings deep,
burying part of the stem, so that the plant grows a strong root system.

## Watering

Water tomato plants deeply twice a week at the base, not on the leaves. Irregular
watering makes the fruit crack and causes blossom end rot. A layer of mulch keeps the
soil moist between waterings.

## Support

Tall varieties need stakes or cages. Tie the main stem loosely to the stake as the plant
grows, and pinch out the side shoots that appear between the stem and the branches.

## Harvest

Pick the fruit when it is fully coloured and slightly soft. Tomatoes keep ripening
indoors at room temperature; never store them in the refrigerator.
"""

PLANETS_CSV = b"""name,moons,description
Mars,2,the red planet with the largest volcano Olympus Mons
Jupiter,95,a gas giant with a great red storm
Saturn,146,a gas giant with bright rings of ice
"""

VOLCANO_HTML = """<html><head><title>How volcanoes erupt</title><style>p {color: red}</style>
<script>console.log("not text")</script></head>
<body><h1>Volcanoes</h1><p>Magma rises from the mantle and collects in a chamber under the
volcano. When the pressure is high enough, lava and ash burst out of the crater in an
eruption.</p><ul><li>Shield volcanoes have gentle slopes.</li><li>Stratovolcanoes are steep.</li></ul>
</body></html>"""

BREAD_NOTE = ("Sourdough bread rises with a starter of wild yeast instead of baker's yeast. Feed the starter "
              "with flour and water, let the dough ferment overnight, then bake it in a hot oven.")


def data_uri(data: bytes, media_type: str) -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode()}"


@pytest.fixture(scope="module")
def files(inference_server) -> Path:
    folder = inference_server.config.data_dir / "files"
    (folder / "guide.md").write_text(GUIDE)
    return folder


@pytest.fixture(scope="module")
def stub(inference_server):
    return vectorstore_pb2_grpc.VectorStoreServiceStub(inference_server.channel)


def _struct(value: dict) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(value)
    return s


def wait_insert(stub, job_id: str, timeout: float = 60) -> pb.VectorStoreInsertJob:
    request = pb.GetVectorStoreInsertJobStatusRequest(job_id=job_id)
    return wait_job(lambda: stub.GetVectorStoreInsertJobStatus(request, timeout=10), timeout=timeout)


def wait_rest(http, path: str, job_id: str, timeout: float = 60) -> dict:
    def status() -> dict:
        response = http.get(path, params={"job_id": job_id})
        assert response.status_code == 200, response.text
        return response.json()

    return wait_job(status, timeout=timeout)


def consistency(server, store_id: str) -> dict[str, int]:
    """Reads the store directly: every document record has exactly its chunks, no chunk is
    without a record, and the store's counts match. Answers document id -> chunk count."""
    prefix = store_id.encode() + b"\0"
    with server.app.store.read() as txn:
        records = {json.loads(v)["document_id"]: json.loads(v) for _, v in txn.scan(DOCUMENTS, prefix)}
        chunks: dict[str, list[int]] = {}
        for key, _ in txn.scan(CHUNKS, prefix):
            document_id, index = unpack_chunk_key(store_id, key)
            chunks.setdefault(document_id, []).append(index)
        store = txn.get(STORES, store_id.encode())
    assert set(chunks) <= set(records), f"chunks without a document record: {set(chunks) - set(records)}"
    for document_id, record in records.items():
        assert chunks.get(document_id, []) == list(range(record["chunk_count"])), f"partial document {document_id}"
    if store is not None:
        record = pb.VectorStore.FromString(store)
        assert record.document_count == len(records)
        assert record.chunk_count == sum(r["chunk_count"] for r in records.values())
    return {d: r["chunk_count"] for d, r in records.items()}


def field_violations(error: grpc.RpcError) -> list[str]:
    status = rpc_status.from_call(error)
    fields = []
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            fields += [v.field for v in bad.field_violations]
    return fields


# ---------------------------------------------------------------- lifecycle, gRPC


def test_lifecycle_over_grpc(inference_server, stub, files):
    created = stub.CreateVectorStore(pb.CreateVectorStoreRequest(
        vector_store_id="kb-grpc", name="Knowledge", description="test store", chunk_size_tokens=48,
        chunk_overlap_tokens=12), timeout=10)
    assert created.embedding_model == EMBEDDING  # the first registered embedding model
    assert (created.chunk_size_tokens, created.chunk_overlap_tokens) == (48, 12)
    assert created.document_count == 0 and created.chunk_count == 0 and created.created_at.seconds > 0

    request = pb.SubmitVectorStoreInsertJobRequest(vector_store_id="kb-grpc", documents=[
        pb.VectorStoreDocument(uri=(files / "guide.md").as_uri(), metadata=_struct({"kind": "guide", "lang": "en"})),
        pb.VectorStoreDocument(document_id="planets", uri=data_uri(PLANETS_CSV, "text/csv"),
                               metadata=_struct({"kind": "table"})),
        pb.VectorStoreDocument(document_id="volcano", content=VOLCANO_HTML, mime_type="text/html",
                               metadata=_struct({"kind": "page", "year": 2024})),
        pb.VectorStoreDocument(document_id="bread", content=BREAD_NOTE, metadata=_struct({"kind": "note"})),
    ])
    submitted = stub.SubmitVectorStoreInsertJob(request, timeout=30)
    assert submitted.vector_store_id == "kb-grpc" and submitted.documents_total == 4
    assert list(submitted.document_ids) == [(files / "guide.md").as_uri(), "planets", "volcano", "bread"]
    job = wait_insert(stub, submitted.id)
    assert job.status == v0.BATCH_JOB_STATUS_COMPLETED, job.error
    assert job.documents_total == 4 and job.documents_done == 4
    assert job.finished_at.ToNanoseconds() >= job.created_at.ToNanoseconds()

    store = stub.GetVectorStore(pb.GetVectorStoreRequest(vector_store_id="kb-grpc"), timeout=10)
    assert store.document_count == 4 and store.chunk_count == job.chunks_done
    stored = consistency(inference_server, "kb-grpc")
    assert stored[(files / "guide.md").as_uri()] > 1  # the guide is longer than one 48-token chunk
    assert store.chunk_count > 4

    # Search: the right document first; a filter keeps only the documents it names.
    hits = stub.QueryVectorStore(pb.QueryVectorStoreRequest(vector_store_id="kb-grpc",
                                                            query="how do I bake sourdough bread?"), timeout=30)
    assert 1 <= len(hits.chunks) <= 5 and hits.chunks[0].document_id == "bread"
    assert [c.score for c in hits.chunks] == sorted((c.score for c in hits.chunks), reverse=True)
    filtered = stub.QueryVectorStore(pb.QueryVectorStoreRequest(
        vector_store_id="kb-grpc", query="lava bursting out of a crater", top_k=3,
        filters=_struct({"kind": ["table", "page"]})), timeout=30)
    assert filtered.chunks[0].document_id == "volcano"
    assert json_format.MessageToDict(filtered.chunks[0].metadata) == {"kind": "page", "year": 2024}
    assert {c.document_id for c in filtered.chunks} <= {"volcano", "planets"}
    only_guide = stub.QueryVectorStore(pb.QueryVectorStoreRequest(
        vector_store_id="kb-grpc", query="lava bursting out of a crater", top_k=3,
        filters=_struct({"kind": "guide", "lang": "en"})), timeout=30)
    assert len(only_guide.chunks) == 3 and {c.document_id for c in only_guide.chunks} == {(files / "guide.md").as_uri()}
    none = stub.QueryVectorStore(pb.QueryVectorStoreRequest(vector_store_id="kb-grpc", query="x",
                                                            filters=_struct({"kind": "nothing"})), timeout=30)
    assert len(none.chunks) == 0
    reranked = stub.QueryVectorStore(pb.QueryVectorStoreRequest(
        vector_store_id="kb-grpc", query="watering tomato plants", top_k=2, rerank_model=EMBEDDING), timeout=30)
    assert len(reranked.chunks) == 2 and reranked.chunks[0].document_id == (files / "guide.md").as_uri()
    assert "water" in reranked.chunks[0].content.lower()

    # The draft's memory fetch: a bank is a vector store.
    agents = agents_pb2_grpc.AgentsServiceStub(inference_server.channel)
    nuggets = agents.FetchMemories(agents_pb2.FetchMemoriesRequest(bank_ids=["kb-grpc"], query="Saturn's rings"),
                                   timeout=30).nuggets
    assert nuggets[0].bank_id == "kb-grpc" and nuggets[0].id.startswith("planets#") and "Saturn" in nuggets[0].content
    assert nuggets[0].HasField("score")

    # Delete job: the document's chunks are gone, from storage and from search.
    deleted = stub.SubmitVectorStoreDeleteJob(pb.SubmitVectorStoreDeleteJobRequest(
        vector_store_id="kb-grpc", document_ids=["volcano"]), timeout=10)
    assert list(deleted.document_ids) == ["volcano"] and deleted.documents_total == 1
    delete_status = pb.GetVectorStoreDeleteJobStatusRequest(job_id=deleted.id)
    deleted = wait_job(lambda: stub.GetVectorStoreDeleteJobStatus(delete_status, timeout=10), timeout=30)
    assert deleted.status == v0.BATCH_JOB_STATUS_COMPLETED and deleted.documents_done == 1
    assert deleted.chunks_deleted == stored["volcano"]
    assert "volcano" not in consistency(inference_server, "kb-grpc")
    after = stub.QueryVectorStore(pb.QueryVectorStoreRequest(vector_store_id="kb-grpc", query="volcano eruption lava",
                                                             top_k=20), timeout=30)
    assert "volcano" not in {c.document_id for c in after.chunks}

    updated = stub.UpdateVectorStore(pb.UpdateVectorStoreRequest(vector_store_id="kb-grpc", name="Renamed"), timeout=10)
    assert updated.name == "Renamed" and updated.description == "test store" and updated.document_count == 3
    listed = stub.ListVectorStores(pb.ListVectorStoresRequest(), timeout=10).vector_stores
    assert "kb-grpc" in [s.id for s in listed]

    dropped = stub.DropVectorStore(pb.DropVectorStoreRequest(vector_store_id="kb-grpc"), timeout=10)
    assert dropped.id == "kb-grpc"
    for call, message in [(stub.GetVectorStore, pb.GetVectorStoreRequest(vector_store_id="kb-grpc")),
                          (stub.QueryVectorStore, pb.QueryVectorStoreRequest(vector_store_id="kb-grpc", query="x")),
                          (stub.DropVectorStore, pb.DropVectorStoreRequest(vector_store_id="kb-grpc"))]:
        with pytest.raises(grpc.RpcError) as caught:
            call(message, timeout=10)
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert consistency(inference_server, "kb-grpc") == {}  # nothing of it is left


# ---------------------------------------------------------------- lifecycle, REST


def test_lifecycle_over_rest(inference_server, files):
    http = inference_server.http
    created = http.post("/vector_store/create", json={"vector_store_id": "kb-rest", "name": "REST",
                                                      "embedding_model": EMBEDDING})
    assert created.status_code == 200, created.text
    body = created.json()
    assert body["id"] == "kb-rest" and body["embedding_model"] == EMBEDDING and body["document_count"] == 0
    assert body["chunk_size_tokens"] == 200 and body["chunk_overlap_tokens"] == 40  # the defaults

    # The draft's own fields: `content` (one inline document) and `file_path` (a path).
    response = http.post("/vector_store/insert/jobs/submit", json={
        "vector_store_id": "kb-rest", "content": BREAD_NOTE, "file_path": {"value": str(files / "guide.md")},
        "documents": [
            {"document_id": "planets", "uri": data_uri(PLANETS_CSV, "text/csv"), "metadata": {"kind": "table"}},
            {"document_id": "volcano", "content": VOLCANO_HTML, "mime_type": "text/html",
             "metadata": {"kind": "page"}},
        ]})
    assert response.status_code == 200, response.text
    job = response.json()
    assert job["status"] in ("validating", "running") and job["content"] == BREAD_NOTE
    assert job["documents_total"] == 4
    bread_id, guide_id = job["document_ids"][:2]
    assert guide_id == (files / "guide.md").as_uri() and bread_id.startswith("doc-")
    job = wait_rest(http, "/vector_store/insert/jobs/status", job["id"])
    assert job["status"] == "completed", job
    assert job["documents_done"] == 4 and job["chunks_done"] >= 4 and "finished_at" in job
    consistency(inference_server, "kb-rest")

    store = http.get("/vector_store/get", params={"vector_store_id": "kb-rest"}).json()
    assert store["document_count"] == 4 and store["chunk_count"] == job["chunks_done"]
    found = http.post("/vector_store/query", json={"vector_store_id": "kb-rest", "query": "magma and ash",
                                                   "top_k": 2, "filters": {"kind": ["page", "table"]}})
    assert found.status_code == 200, found.text
    chunks = found.json()["chunks"]
    assert chunks[0]["document_id"] == "volcano" and chunks[0]["metadata"] == {"kind": "page"}
    assert chunks[0]["chunk_index"] == 0 and "Magma rises" in chunks[0]["content"]
    assert "not text" not in chunks[0]["content"] and "color: red" not in chunks[0]["content"]

    memories = http.get("/agents/execute", params={"bankIds": "kb-rest", "query": "sourdough starter"})
    assert memories.status_code == 200, memories.text
    nuggets = memories.json()
    assert isinstance(nuggets, list) and nuggets[0]["bankId"] == "kb-rest"
    assert nuggets[0]["id"] == f"{bread_id}#0" and "Sourdough" in nuggets[0]["content"]
    unordered = http.get("/agents/execute", params={"bankIds": ["kb-rest"]}).json()
    assert unordered and all("score" not in n for n in unordered)  # no query: stored order, no score

    # Delete by the draft's file_path: the document inserted from that path.
    response = http.post("/vector_store/delete/jobs/submit", json={"vector_store_id": "kb-rest",
                                                                   "file_path": {"value": str(files / "guide.md")}})
    assert response.status_code == 200, response.text
    assert response.json()["document_ids"] == [guide_id]
    deleted = wait_rest(http, "/vector_store/delete/jobs/status", response.json()["id"])
    assert deleted["status"] == "completed" and deleted["documents_done"] == 1 and deleted["chunks_deleted"] >= 1
    assert guide_id not in consistency(inference_server, "kb-rest")
    store = http.get("/vector_store/get", params={"vector_store_id": "kb-rest"}).json()
    assert store["document_count"] == 3

    updated = http.post("/vector_store/update", json={"vector_store_id": "kb-rest", "description": "now described",
                                                      "chunk_size_tokens": 100})
    assert updated.status_code == 200, updated.text
    assert updated.json()["description"] == "now described" and updated.json()["name"] == "REST"
    assert updated.json()["chunk_size_tokens"] == 100 and updated.json()["chunk_overlap_tokens"] == 40
    listed = http.get("/vector_store")
    assert listed.status_code == 200 and "kb-rest" in [s["id"] for s in listed.json()]

    dropped = http.post("/vector_store/drop", json={"vector_store_id": "kb-rest"})
    assert dropped.status_code == 200 and dropped.json()["id"] == "kb-rest"
    gone = http.get("/vector_store/get", params={"vector_store_id": "kb-rest"})
    assert gone.status_code == 404 and gone.json()["detail"] == "Vector store 'kb-rest' not found"
    assert http.get("/agents/execute", params={"bankIds": "kb-rest"}).status_code == 404


def test_reinserting_a_document_replaces_it(inference_server, stub):
    stub.CreateVectorStore(pb.CreateVectorStoreRequest(vector_store_id="kb-replace", chunk_size_tokens=32,
                                                       chunk_overlap_tokens=0), timeout=10)
    long_text = " ".join(f"Sentence number {i} talks about rivers and boats." for i in range(20))
    for text in (long_text, "A single short sentence about boats."):
        job = stub.SubmitVectorStoreInsertJob(pb.SubmitVectorStoreInsertJobRequest(
            vector_store_id="kb-replace", documents=[pb.VectorStoreDocument(document_id="d", content=text)]))
        assert wait_insert(stub, job.id).status == v0.BATCH_JOB_STATUS_COMPLETED
    assert consistency(inference_server, "kb-replace") == {"d": 1}
    store = stub.GetVectorStore(pb.GetVectorStoreRequest(vector_store_id="kb-replace"))
    assert (store.document_count, store.chunk_count) == (1, 1)
    hits = stub.QueryVectorStore(pb.QueryVectorStoreRequest(vector_store_id="kb-replace", query="boats", top_k=10))
    assert [(c.document_id, c.chunk_index) for c in hits.chunks] == [("d", 0)]
    stub.DropVectorStore(pb.DropVectorStoreRequest(vector_store_id="kb-replace"))


# ---------------------------------------------------------------- errors


def test_errors_name_what_is_wrong(inference_server, stub, files):
    http = inference_server.http
    for path, verb, payload in [
        ("/vector_store/get", "GET", {"vector_store_id": "nope"}),
        ("/vector_store/query", "POST", {"vector_store_id": "nope", "query": "x"}),
        ("/vector_store/update", "POST", {"vector_store_id": "nope", "name": "x"}),
        ("/vector_store/drop", "POST", {"vector_store_id": "nope"}),
        ("/vector_store/insert/jobs/submit", "POST", {"vector_store_id": "nope", "content": "x"}),
        ("/vector_store/delete/jobs/submit", "POST", {"vector_store_id": "nope", "document_ids": ["x"]}),
        ("/vector_store/insert/jobs/status", "GET", {"job_id": "nope"}),
        ("/vector_store/delete/jobs/cancel", "POST", {"job_id": "nope"}),
        ("/agents/execute", "GET", {"bankIds": "nope", "query": "x"}),
    ]:
        response = http.get(path, params=payload) if verb == "GET" else http.post(path, json=payload)
        assert response.status_code == 404, (path, response.text)

    unknown_model = http.post("/vector_store/create", json={"vector_store_id": "bad", "embedding_model": "nope"})
    assert unknown_model.status_code == 400 and unknown_model.json()["detail"].startswith("embedding_model:")
    not_embedding = http.post("/vector_store/create", json={"embedding_model": "tiny-llama"})
    assert not_embedding.status_code == 400 and not_embedding.json()["detail"].startswith("embedding_model:")
    with pytest.raises(grpc.RpcError) as caught:
        stub.CreateVectorStore(pb.CreateVectorStoreRequest(embedding_model="nope"), timeout=10)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field_violations(caught.value) == ["embedding_model"]
    too_long = http.post("/vector_store/create", json={"chunk_size_tokens": 5000})
    assert too_long.status_code == 400 and too_long.json()["detail"].startswith("chunk_size_tokens:")
    overlap = http.post("/vector_store/create", json={"chunk_size_tokens": 10, "chunk_overlap_tokens": 10})
    assert overlap.status_code == 400 and overlap.json()["detail"].startswith("chunk_overlap_tokens:")

    assert http.post("/vector_store/create", json={"vector_store_id": "kb-errors"}).status_code == 200
    assert http.post("/vector_store/create", json={"vector_store_id": "kb-errors"}).status_code == 409
    (files / "secret.bin").write_bytes(b"\x00\x01")
    for document, field in [
        ({"uri": "file:///etc/hostname"}, "documents[0].uri"),  # outside the allowed roots
        ({"uri": (files / "missing.md").as_uri()}, "documents[0].uri"),
        ({"uri": (files / "secret.bin").as_uri()}, "documents[0].uri"),  # unknown extension
        ({"uri": "https://example.com/a.md"}, "documents[0].uri"),
        ({"uri": "data:text/plain;base64,@@@"}, "documents[0].uri"),
        ({"uri": data_uri(b"{not json", "application/json")}, "documents[0].uri"),
        ({"content": "x", "mime_type": "image/png"}, "documents[0].mime_type"),
        ({"content": "   "}, "documents[0].content"),
        ({}, "documents[0]"),
        ({"content": "x", "uri": data_uri(b"x", "text/plain")}, "documents[0]"),
    ]:
        response = http.post("/vector_store/insert/jobs/submit",
                             json={"vector_store_id": "kb-errors", "documents": [document]})
        assert response.status_code == 400, (document, response.text)
        assert response.json()["detail"].startswith(f"{field}:"), (document, response.json())
    duplicate = http.post("/vector_store/insert/jobs/submit", json={"vector_store_id": "kb-errors", "documents": [
        {"document_id": "a", "content": "x"}, {"document_id": "a", "content": "y"}]})
    assert duplicate.status_code == 400 and duplicate.json()["detail"].startswith("documents[1].document_id:")
    nothing = http.post("/vector_store/insert/jobs/submit", json={"vector_store_id": "kb-errors"})
    assert nothing.status_code == 400 and nothing.json()["detail"].startswith("documents:")
    with pytest.raises(grpc.RpcError) as caught:
        stub.SubmitVectorStoreInsertJob(pb.SubmitVectorStoreInsertJobRequest(
            vector_store_id="kb-errors", documents=[pb.VectorStoreDocument(uri="file:///etc/hostname")]), timeout=10)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field_violations(caught.value) == ["documents[0].uri"]
    missing_doc = http.post("/vector_store/delete/jobs/submit", json={"vector_store_id": "kb-errors",
                                                                      "document_ids": ["nope"]})
    assert missing_doc.status_code == 404
    for body, field in [({"query": "x", "top_k": 0}, "top_k"),
                        ({"query": "x", "filters": {"k": {"a": 1}}}, "filters.k"),
                        ({"query": "x", "rerank_model": "tiny-llama"}, "rerank_model"), ({"query": ""}, "query")]:
        response = http.post("/vector_store/query", json={"vector_store_id": "kb-errors", **body})
        assert response.status_code == 400 and response.json()["detail"].startswith(f"{field}:"), response.text
    required = http.post("/vector_store/query", json={"vector_store_id": "kb-errors"})
    assert required.status_code == 400 and required.json()["detail"] == "query: is required"

    # A job's id is only good for its own kind's calls.
    job = http.post("/vector_store/insert/jobs/submit", json={"vector_store_id": "kb-errors", "content": "hello"})
    job = wait_rest(http, "/vector_store/insert/jobs/status", job.json()["id"])
    assert http.get("/vector_store/delete/jobs/status", params={"job_id": job["id"]}).status_code == 404
    # Cancelling a finished job is refused; the job stays completed.
    assert http.post("/vector_store/insert/jobs/cancel", json={"job_id": job["id"]}).status_code == 400
    http.post("/vector_store/drop", json={"vector_store_id": "kb-errors"})


# ---------------------------------------------------------------- cancel


def test_cancel_a_running_insert_job_stops_it_leaving_whole_documents(inference_server, stub):
    """How fast a cancel answers is measured in bench/vector.py, not asserted here."""
    stub.CreateVectorStore(pb.CreateVectorStoreRequest(vector_store_id="kb-cancel", chunk_size_tokens=32,
                                                       chunk_overlap_tokens=8), timeout=10)
    documents = [pb.VectorStoreDocument(document_id=f"doc-{i:03d}", content=" ".join(
        f"Document {i}, paragraph {p}: the river carries boats past mills and bridges to the sea."
        for p in range(40))) for i in range(60)]
    job = stub.SubmitVectorStoreInsertJob(pb.SubmitVectorStoreInsertJobRequest(vector_store_id="kb-cancel",
                                                                               documents=documents), timeout=30)
    status_request = pb.GetVectorStoreInsertJobStatusRequest(job_id=job.id)

    def two_documents_in():
        status = stub.GetVectorStoreInsertJobStatus(status_request, timeout=10)
        assert status.status in (v0.BATCH_JOB_STATUS_VALIDATING, v0.BATCH_JOB_STATUS_RUNNING), status
        return status.documents_done >= 2

    wait_until(two_documents_in, timeout=60, message="two documents stored")
    cancelled = stub.CancelVectorStoreInsertJob(pb.CancelVectorStoreInsertJobRequest(job_id=job.id), timeout=10)
    assert cancelled.status == v0.BATCH_JOB_STATUS_CANCELLED
    assert 2 <= cancelled.documents_done < 60
    present = consistency(inference_server, "kb-cancel")  # every document whole, none partial
    assert len(present) == cancelled.documents_done
    assert set(present) == {f"doc-{i:03d}" for i in range(len(present))}  # stored in submission order
    # A cancel answers once the job's work has ended (its writes are never abandoned midway), so
    # nothing of it is written later: after a further insert into the store, the cancelled job's
    # documents are still exactly those.
    late = stub.SubmitVectorStoreInsertJob(pb.SubmitVectorStoreInsertJobRequest(
        vector_store_id="kb-cancel", documents=[pb.VectorStoreDocument(document_id="late", content="Late.")]),
        timeout=30)
    assert wait_insert(stub, late.id).status == v0.BATCH_JOB_STATUS_COMPLETED
    after = consistency(inference_server, "kb-cancel")
    assert after.pop("late") == 1 and after == present
    again = stub.GetVectorStoreInsertJobStatus(pb.GetVectorStoreInsertJobStatusRequest(job_id=job.id))
    assert again.status == v0.BATCH_JOB_STATUS_CANCELLED and again.finished_at.seconds > 0
    store = stub.GetVectorStore(pb.GetVectorStoreRequest(vector_store_id="kb-cancel"))
    assert store.document_count == len(present) + 1 and store.chunk_count == sum(present.values()) + 1
    stub.DropVectorStore(pb.DropVectorStoreRequest(vector_store_id="kb-cancel"))


# ---------------------------------------------------------------- rerank with a cross-encoder

VECTOR_STORES = "llamastack.vectorstore.v0.VectorStoreService/"
GARDEN_NOTES = [
    "Water tomato plants deeply twice a week at the base of the stem.",
    "Tomatoes need six hours of sun and a stake to climb.",
    "Mulch keeps the soil of a vegetable bed moist in summer.",
    "Cucumbers climb a trellis and want steady watering.",
    "Prune roses in late winter, just above an outward bud.",
    "Compost made from leaves feeds the soil of the garden.",
]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_query_reranked_by_a_cross_encoder_takes_its_order(inference_server, tiny_cross_encoder, protocol):
    """The nearest chunks by embedding, reordered by the cross-encoder: the answer's order and
    scores are the cross-encoder's own (computed here with sentence-transformers directly), which
    for these notes differ from the embedding order."""
    client = Client(inference_server, protocol, timeout=60)
    store = f"kb-rerank-{protocol}"
    client.call(VECTOR_STORES + "CreateVectorStore", {"vector_store_id": store, "embedding_model": EMBEDDING})
    job = client.call(VECTOR_STORES + "SubmitVectorStoreInsertJob", {"vector_store_id": store, "documents": [
        {"document_id": f"note-{i}", "content": text} for i, text in enumerate(GARDEN_NOTES)]})
    done = wait_job(lambda: client.call(VECTOR_STORES + "GetVectorStoreInsertJobStatus", {"job_id": job["id"]}))
    assert done["status"] == "completed", done
    query = "how often should I water tomatoes"
    nearest = client.call(VECTOR_STORES + "QueryVectorStore", {"vector_store_id": store, "query": query,
                                                               "top_k": len(GARDEN_NOTES)})["chunks"]
    assert len(nearest) == len(GARDEN_NOTES)  # one chunk each: the rerank pool is every note
    order, scores = cross_encoder_ranking(tiny_cross_encoder, query, [c["content"] for c in nearest])
    expected = [nearest[i]["document_id"] for i in order[:3]]

    reranked = client.call(VECTOR_STORES + "QueryVectorStore", {
        "vector_store_id": store, "query": query, "top_k": 3, "rerank_model": "tiny-cross-encoder"})["chunks"]
    assert [c["document_id"] for c in reranked] == expected
    assert [c["score"] for c in reranked] == pytest.approx(scores[:3], abs=1e-5)
    assert expected != [c["document_id"] for c in nearest[:3]]  # a real change of order
    client.call(VECTOR_STORES + "DropVectorStore", {"vector_store_id": store})


# ---------------------------------------------------------------- units: documents, chunking, index


def test_formats_become_text():
    assert docs.to_text(PLANETS_CSV, "csv", what="t", field_name="f").splitlines()[0] == \
        "name: Mars; moons: 2; description: the red planet with the largest volcano Olympus Mons"
    page = docs.html_text(VOLCANO_HTML)
    assert page.splitlines()[0] == "How volcanoes erupt" and "Volcanoes" in page and "console" not in page
    assert "Shield volcanoes have gentle slopes." in page.splitlines()
    assert docs.markdown_text("See [the docs](http://x/y) ![logo](a.png)") == "See the docs logo"
    assert docs.json_text({"a": {"b": 1, "c": [1, 2]}, "d": None}) == "a.b: 1\na.c: 1, 2\nd: null"
    assert docs.to_text(b'{"q": "why"}\n\n{"q": "how"}\n', "jsonl", what="t", field_name="f") == "q: why\n\nq: how"
    assert docs.json_text([{"x": 1}, {"x": 2}]) == "x: 1\n\nx: 2"
    text, fmt, source = docs.load_uri("data:text/markdown,%23%20Title", None, FileAccess(()), field_name="u",
                                      mime_field="m")
    assert (text, fmt, source) == ("# Title", "markdown", "data:")
    with pytest.raises(InvalidArgument) as caught:
        docs.to_text(b"\xff", "text", what="t", field_name="f")
    assert caught.value.field == "f"


def test_chunks_respect_the_token_budget_and_overlap():
    from transformers import AutoTokenizer

    from server.inference.models import bundled_embedding_checkpoint
    from server.vectorstores.chunking import Chunker

    tokenizer = AutoTokenizer.from_pretrained(bundled_embedding_checkpoint())
    chunker = Chunker(tokenizer)
    text = " ".join(f"Sentence {i} is about the number {i} and nothing else." for i in range(60))
    chunks = chunker.chunks(text, 40, 10)
    assert len(chunks) > 5
    assert all(chunker.count(c) <= 40 for c in chunks)
    for a, b in itertools.pairwise(chunks):
        assert a[-10:] in text and b in text and text.index(b) < text.index(a) + len(a)  # they overlap
    assert chunks[0].startswith("Sentence 0") and chunks[-1].endswith("nothing else.")
    # Breaks fall after a sentence when one is near the end of the window.
    assert sum(c.endswith(".") for c in chunks[:-1]) >= len(chunks) // 2
    assert chunker.chunks("", 40, 10) == [] and chunker.chunks("one", 40, 0) == ["one"]


def test_index_exact_and_hnsw_agree_and_follow_changes():
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((300, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = VectorIndex(16, threshold=100)
    for d in range(30):
        index.add(f"d{d}", vectors[d * 10:(d + 1) * 10])
    assert index.approximate and index.size == 300
    for row in (0, 55, 299):
        top = index.search(vectors[row], 1)[0]
        assert (top.document_id, top.chunk_index) == (f"d{row // 10}", row % 10) and top.score == pytest.approx(1)
        exact = index.search(vectors[row], 5, exact=True)
        assert [(h.document_id, h.chunk_index) for h in index.search(vectors[row], 5)] == \
            [(h.document_id, h.chunk_index) for h in exact]
    assert index.remove("d5") == 10 and index.size == 290
    assert all(h.document_id != "d5" for h in index.search(vectors[55], 20))
    index.add("new", vectors[50:60] * -1)  # reuses d5's rows with other vectors
    assert ("new", 5) not in [(h.document_id, h.chunk_index) for h in index.search(vectors[55], 20)]
    top = index.search(-vectors[55], 1)[0]
    assert (top.document_id, top.chunk_index) == ("new", 5) and top.score == pytest.approx(1)
    only = index.search(vectors[0], 5, documents=["d7", "d8"])
    assert {h.document_id for h in only} <= {"d7", "d8"} and len(only) == 5
    index.add("d0", vectors[:3])  # replacing a document keeps only its new chunks
    assert index.chunk_count("d0") == 3
    for d in range(1, 30):
        index.remove(f"d{d}")
    assert not index.approximate and index.size == 13  # small again: exact search only
    assert index.search(vectors[0], 1)[0].document_id == "d0"


def test_a_loaded_index_answers_exactly_while_its_graph_builds_in_the_background(monkeypatch):
    rng = np.random.default_rng(2)
    vectors = rng.standard_normal((300, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = VectorIndex(16, threshold=100)
    release, started = threading.Event(), threading.Event()
    build = index._build_hnsw

    def held_build(snapshot):
        started.set()
        assert release.wait(30)
        build(snapshot)

    monkeypatch.setattr(index, "_build_hnsw", held_build)
    index.add_many(((f"d{d}", vectors[d * 10:(d + 1) * 10]) for d in range(30)), graph_in_background=True)
    assert started.wait(30) and not index.approximate and index.size == 300
    top = index.search(vectors[123], 1)[0]  # answered while the graph is being built
    assert (top.document_id, top.chunk_index) == ("d12", 3)
    index.add("late", -vectors[:10])  # arrives during the build: the graph must catch up
    release.set()
    assert wait_until(lambda: index.approximate, timeout=30)
    top = index.search(-vectors[4], 1)[0]
    assert (top.document_id, top.chunk_index) == ("late", 4)
    assert [(h.document_id, h.chunk_index) for h in index.search(vectors[7], 5)] == \
        [(h.document_id, h.chunk_index) for h in index.search(vectors[7], 5, exact=True)]
