"""SIGKILL during an insert job, with the real CLI (`python -m server serve --config ...`)
serving only MiniLM: after a restart the store holds whole documents only, the job is
`failed` with its reason, a query (through the HNSW index, rebuilt from the stored
chunks: the threshold is set low) sees only stored documents, and resubmitting the same
documents completes."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import grpc
import httpx
import pytest
import yaml
from grpc_health.v1 import health_pb2, health_pb2_grpc

from server.inference.models import bundled_embedding_checkpoint
from server.storage import LmdbStore
from server.vectorstores.service import CHUNKS, DOCUMENTS, STORES, unpack_chunk_key

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 120
DOCUMENTS_SUBMITTED = 40


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Serve:
    """One `serve` process; its output goes to a log file shown on failures."""

    def __init__(self, config: Path, log: Path):
        settings = yaml.safe_load(config.read_text())
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "clients" / "python")]))
        self.log_path = log
        self._log = open(log, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "server", "serve", "--config", str(config)], cwd=ROOT,
                                     env=env, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)
        self.channel = grpc.insecure_channel(f"127.0.0.1:{settings['grpc_port']}")
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{settings['http_port']}", timeout=60)

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-6000:]

    def wait_ready(self) -> None:
        health = health_pb2_grpc.HealthStub(self.channel)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"serve exited with {self.proc.returncode}:\n{self.log()}")
            try:
                if health.Check(health_pb2.HealthCheckRequest(service=""), timeout=1).status == \
                        health_pb2.HealthCheckResponse.SERVING and self.http.get("/vector_store").status_code == 200:
                    return
            except (grpc.RpcError, httpx.HTTPError):
                pass
            time.sleep(0.1)
        pytest.fail(f"serve was not ready within {START_TIMEOUT}s:\n{self.log()}")

    def close(self) -> None:
        self.http.close()
        self.channel.close()
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        self._log.close()


def _stored(data_dir: Path, store_id: str) -> dict[str, int]:
    """Reads the dead server's store: whole documents only, and counts that match."""
    store = LmdbStore(data_dir / "store")
    try:
        store.open_tables(STORES, DOCUMENTS, CHUNKS)
        prefix = store_id.encode() + b"\0"
        with store.read() as txn:
            records = {json.loads(v)["document_id"]: json.loads(v)["chunk_count"] for _, v in txn.scan(DOCUMENTS, prefix)}
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
    deadline = time.monotonic() + timeout
    while True:
        job = http.get("/vector_store/insert/jobs/status", params={"job_id": job_id}).json()
        if job["status"] not in ("validating", "running"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.1)


def test_sigkill_during_an_insert_job_leaves_whole_documents_and_a_failed_job(tmp_path):
    data_dir, files = tmp_path / "data", tmp_path / "files"
    files.mkdir()
    config = tmp_path / "serve.yaml"
    config.write_text(yaml.safe_dump({
        "host": "127.0.0.1", "grpc_port": _free_port(), "http_port": _free_port(), "data_dir": str(data_dir),
        "allowed_roots": [str(files)], "grace_period": 5, "log_level": "INFO", "default_models": False,
        "vector_index_threshold": 20,  # small: the restarted server searches through HNSW
        "models": [{"id": "all-MiniLM-L6-v2", "checkpoint": bundled_embedding_checkpoint(), "kind": "embedding"}],
    }))
    log = tmp_path / "serve.log"
    documents = []
    for i in range(DOCUMENTS_SUBMITTED):
        path = files / f"doc{i:03d}.md"
        path.write_text(f"# Document {i}\n\n" + " ".join(
            f"Line {p} of document {i} tells how the harbour {i % 7} loads ships with grain and timber."
            for p in range(16)))
        documents.append({"uri": path.as_uri(), "metadata": {"n": i, "parity": i % 2}})
    body = {"vector_store_id": "crash", "documents": documents}

    server = Serve(config, log)
    try:
        server.wait_ready()
        created = server.http.post("/vector_store/create", json={"vector_store_id": "crash", "chunk_size_tokens": 32,
                                                                 "chunk_overlap_tokens": 8})
        assert created.status_code == 200, created.text
        submitted = server.http.post("/vector_store/insert/jobs/submit", json=body)
        assert submitted.status_code == 200, submitted.text
        job_id = submitted.json()["id"]
        deadline = time.monotonic() + 60
        while True:
            job = server.http.get("/vector_store/insert/jobs/status", params={"job_id": job_id}).json()
            if job["documents_done"] >= 3:
                break
            assert job["status"] in ("validating", "running") and time.monotonic() < deadline, job
            time.sleep(0.05)
        server.proc.send_signal(signal.SIGKILL)
        assert server.proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        server.close()

    stored = _stored(data_dir, "crash")
    assert 3 <= len(stored) < DOCUMENTS_SUBMITTED, "the kill came after the job ended: make the job longer"

    server = Serve(config, log)
    try:
        server.wait_ready()
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
