"""SIGKILL during an insert job, with the real CLI (`python -m server serve --config ...`)
serving only MiniLM: after a restart the store holds whole documents only, the job is
`failed` with its reason, a query (through the HNSW index, rebuilt from the stored
chunks: the threshold is set low) sees only stored documents, and resubmitting the same
documents completes."""
from __future__ import annotations

import json
import signal
from pathlib import Path

import httpx
import yaml

from _serve import Cli
from _wait import wait_job, wait_until
from server.inference.models import bundled_embedding_checkpoint
from server.storage import LmdbStore
from server.vectorstores.keys import CHUNKS, DOCUMENTS, STORES, unpack_chunk_key

DOCUMENTS_SUBMITTED = 40


def _stored(data_dir: Path, store_id: str) -> dict[str, int]:
    """Reads the dead server's store: whole documents only, and counts that match."""
    store = LmdbStore(data_dir / "store")
    try:
        store.open_tables(STORES, DOCUMENTS, CHUNKS)
        prefix = store_id.encode() + b"\0"
        with store.read() as txn:
            records = {json.loads(v)["document_id"]: json.loads(v)["chunk_count"]
                       for _, v in txn.scan(DOCUMENTS, prefix)}
            chunks: dict[str, list[int]] = {}
            for key, _ in txn.scan(CHUNKS, prefix):
                document_id, index = unpack_chunk_key(store_id, key)
                chunks.setdefault(document_id, []).append(index)
            from llamastack.vectorstore.v0 import vectorstore_pb2 as pb

            record = pb.VectorStore.FromString(txn.get(STORES, store_id.encode()))
    finally:
        store.close()
    assert set(chunks) <= set(records), "chunks of a document that has no record: a partial document"
    for document_id, count in records.items():
        assert chunks.get(document_id, []) == list(range(count)), f"document {document_id} is partial"
    assert record.document_count == len(records) and record.chunk_count == sum(records.values())
    return records


def _wait_job(http: httpx.Client, job_id: str, timeout: float = 120) -> dict:
    return wait_job(lambda: http.get("/vector_store/insert/jobs/status", params={"job_id": job_id}).json(),
                    timeout=timeout, interval=0.1)


def test_sigkill_during_an_insert_job_leaves_whole_documents_and_a_failed_job(tmp_path):
    data_dir, files = tmp_path / "data", tmp_path / "files"
    files.mkdir()
    config = tmp_path / "serve.yaml"
    config.write_text(yaml.safe_dump({
        "vector_index_threshold": 20,  # small: the restarted server searches through HNSW
        "models": [{"id": "all-MiniLM-L6-v2", "checkpoint": bundled_embedding_checkpoint(), "kind": "embedding"}],
    }))
    documents = []
    for i in range(DOCUMENTS_SUBMITTED):
        path = files / f"doc{i:03d}.md"
        path.write_text(f"# Document {i}\n\n" + " ".join(
            f"Line {p} of document {i} tells how the harbour {i % 7} loads ships with grain and timber."
            for p in range(16)))
        documents.append({"uri": path.as_uri(), "metadata": {"n": i, "parity": i % 2}})
    body = {"vector_store_id": "crash", "documents": documents}

    server = Cli.start(data_dir, [files], extra_args=("--config", str(config)))
    try:
        created = server.http.post("/vector_store/create", json={"vector_store_id": "crash", "chunk_size_tokens": 32,
                                                                 "chunk_overlap_tokens": 8})
        assert created.status_code == 200, created.text
        submitted = server.http.post("/vector_store/insert/jobs/submit", json=body)
        assert submitted.status_code == 200, submitted.text
        job_id = submitted.json()["id"]
        def three_documents_in() -> bool:
            job = server.http.get("/vector_store/insert/jobs/status", params={"job_id": job_id}).json()
            assert job["status"] in ("validating", "running"), job
            return job["documents_done"] >= 3

        wait_until(three_documents_in, timeout=60, message="three documents stored")
        server.proc.send_signal(signal.SIGKILL)
        assert server.proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        server.close()

    stored = _stored(data_dir, "crash")
    assert 3 <= len(stored) < DOCUMENTS_SUBMITTED, "the kill came after the job ended: make the job longer"

    server = Cli.start(data_dir, [files], extra_args=("--config", str(config)))
    try:
        job = server.http.get("/vector_store/insert/jobs/status", params={"job_id": job_id}).json()
        assert job["status"] == "failed" and "interrupted" in job["error"], job
        assert "finished_at" in job and job["documents_done"] <= len(stored)
        store = server.http.get("/vector_store/get", params={"vector_store_id": "crash"}).json()
        assert store["document_count"] == len(stored) and store["chunk_count"] == sum(stored.values())
        assert store["chunk_count"] > 20  # above the index threshold: the query below goes through HNSW

        found = server.http.post("/vector_store/query", json={"vector_store_id": "crash", "top_k": 10,
                                                              "query": "harbour 2 loads ships",
                                                              "filters": {"parity": 0}})
        assert found.status_code == 200, found.text
        chunks = found.json()["chunks"]
        assert len(chunks) == 10
        assert {c["document_id"] for c in chunks} <= set(stored)
        assert all(c["metadata"]["parity"] == 0 for c in chunks)

        again = server.http.post("/vector_store/insert/jobs/submit", json=body)
        assert again.status_code == 200, again.text
        done = _wait_job(server.http, again.json()["id"])
        assert done["status"] == "completed", done
        assert done["documents_done"] == DOCUMENTS_SUBMITTED
        store = server.http.get("/vector_store/get", params={"vector_store_id": "crash"}).json()
        assert store["document_count"] == DOCUMENTS_SUBMITTED  # the first run's documents were replaced
        assert store["chunk_count"] == done["chunks_done"]
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=60) == 0, server.log()
    finally:
        server.close()
    assert len(_stored(data_dir, "crash")) == DOCUMENTS_SUBMITTED
