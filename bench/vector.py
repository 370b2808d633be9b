"""Vector store benchmark, in one run:

    .venv/bin/python bench/vector.py [--docs 48] [--queries 500] [--sizes 10000,100000]

Prints, with the raw numbers:
  (a) ingestion: chunks/s of an insert job through the server (gRPC submit -> chunking ->
      batched embeddings -> durable writes, polled to completion) / raw sentence-transformers
      encoding of the very same chunks (the ratio is the service's efficiency);
  (b) end-to-end query latency (gRPC QueryVectorStore, query embedding included) on that store;
  (c) index query latency p50/p99 at each size, through server/vectorstores/index.py (the code
      the service uses): exact search at 10k; the HNSW graph (hnswlib) at 100k, plus exact
      search at 100k for comparison. Embedding 100k real chunks on a 2-CPU machine takes too
      long, so (c) and (d) use synthetic unit vectors: a mixture of 2,000 Gaussian clusters in
      384 dimensions (MiniLM's), queries drawn from the same mixture;
  (d) recall@10 of the HNSW search against exact search at the largest size;
  (e) how long cancelling a running insert job takes, next to one embedding call of the
      job's batch size (the tests check what a cancel leaves, not how fast it is).
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
# The repository in place of this folder on sys.path: bench/datasets.py would hide Hugging Face's datasets.
sys.path[:1] = [str(ROOT), str(ROOT / "clients" / "python")]

from llamastack.common.v0 import common_pb2 as v0  # noqa: E402
from llamastack.vectorstore.v0 import vectorstore_pb2 as pb  # noqa: E402
from llamastack.vectorstore.v0 import vectorstore_pb2_grpc
from server.config import ServerConfig  # noqa: E402
from server.inference.models import bundled_embedding_checkpoint  # noqa: E402
from server.vectorstores.chunking import Chunker  # noqa: E402
from server.vectorstores.index import HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_M, VectorIndex  # noqa: E402

MODEL = "all-MiniLM-L6-v2"
WORDS = [
    "the", "system", "stores", "documents", "as", "chunks", "and", "each", "chunk", "is", "embedded", "by", "a",
    "small", "model", "so", "that", "a", "query", "finds", "passages", "about", "rivers", "mountains", "engines",
    "proteins", "markets", "music", "storms", "law", "cooking", "satellites", "history", "trains", "bridges",
    "forests", "viruses", "planets", "language", "memory", "energy", "cities", "oceans"
]


def document(i: int, sentences: int = 60) -> str:
    rng = np.random.default_rng(i)
    lines = []
    for s in range(sentences):
        words = rng.choice(WORDS, size=int(rng.integers(8, 20)))
        lines.append(" ".join(words).capitalize() + ".")
        if s % 6 == 5:
            lines.append("\n")
    return " ".join(lines)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


# ---------------------------------------------------------------- (a), (b): the service


def bench_service(docs: int, queries: int, repeats: int) -> None:
    from server.embedded import EmbeddedServer

    data_dir = Path(tempfile.mkdtemp(prefix="bench-vector-"))
    (data_dir / "files").mkdir()
    config = ServerConfig(host="127.0.0.1", grpc_port=0, http_port=-1, data_dir=data_dir, default_models=False,
                          log_level="WARNING", models=[{"id": MODEL, "checkpoint": bundled_embedding_checkpoint(),
                                                        "kind": "embedding"}])
    server = EmbeddedServer(config)
    try:
        stub = vectorstore_pb2_grpc.VectorStoreServiceStub(server.channel)
        stub.CreateVectorStore(pb.CreateVectorStoreRequest(vector_store_id="bench"), timeout=30)
        texts = [document(i) for i in range(docs)]
        # Warm-up: the first encode call pays one-time costs.
        job = stub.SubmitVectorStoreInsertJob(pb.SubmitVectorStoreInsertJobRequest(
            vector_store_id="bench", documents=[pb.VectorStoreDocument(document_id="warm", content=texts[0])]))
        wait(stub, job.id)

        model = server.app.models.get(MODEL, ("embedding",))
        chunker = Chunker(model.model.tokenizer)
        record = stub.GetVectorStore(pb.GetVectorStoreRequest(vector_store_id="bench"))
        pieces = [p for t in texts for p in chunker.chunks(t, record.chunk_size_tokens, record.chunk_overlap_tokens)]
        # Service and raw runs alternate, best of `repeats` each: the machine may be shared.
        service_times, raw_times = [], []
        for repeat in range(repeats):
            store_id = "bench" if repeat == 0 else f"bench-{repeat}"
            if repeat:
                stub.CreateVectorStore(pb.CreateVectorStoreRequest(vector_store_id=store_id), timeout=30)
            request = pb.SubmitVectorStoreInsertJobRequest(vector_store_id=store_id, documents=[
                pb.VectorStoreDocument(document_id=f"doc-{i}", content=t) for i, t in enumerate(texts)])
            start = time.perf_counter()
            job = stub.SubmitVectorStoreInsertJob(request, timeout=60)
            job = wait(stub, job.id)
            service_times.append(time.perf_counter() - start)
            assert job.chunks_done == len(pieces), (job.chunks_done, len(pieces))
            start = time.perf_counter()
            model.encode(pieces)
            raw_times.append(time.perf_counter() - start)
        chunks, service_s, raw_s = len(pieces), min(service_times), min(raw_times)
        print(f"(a) ingestion, {docs} documents -> {chunks} chunks of <= {record.chunk_size_tokens} tokens "
              f"(overlap {record.chunk_overlap_tokens}), best of {repeats}")
        print(f"    service (insert job, end to end): {chunks / service_s:8.1f} chunks/s  ({service_s:.2f} s; runs "
              f"{', '.join(f'{t:.2f}' for t in service_times)})")
        print(f"    raw sentence-transformers encode: {chunks / raw_s:8.1f} chunks/s  ({raw_s:.2f} s; runs "
              f"{', '.join(f'{t:.2f}' for t in raw_times)})")
        print(f"    ratio service / raw: {raw_s / service_s:.2f}")

        latencies = []
        for i in range(queries):
            q = pb.QueryVectorStoreRequest(vector_store_id="bench", query=f"{WORDS[i % len(WORDS)]} and "
                                                                       f"{WORDS[(7 * i) % len(WORDS)]}", top_k=5)
            start = time.perf_counter()
            stub.QueryVectorStore(q, timeout=30)
            latencies.append(time.perf_counter() - start)
        print(f"(b) gRPC QueryVectorStore on {chunks} real chunks (query embedding included), {queries} queries: "
              f"p50 {1000 * percentile(latencies, 50):.2f} ms, p99 {1000 * percentile(latencies, 99):.2f} ms")
        bench_cancel(stub, model, texts, pieces, repeats)
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


CANCEL_BATCH = 32  # chunks per embedding call in an insert job: a cancel is noticed between calls


def bench_cancel(stub, model, texts: list[str], pieces: list[str], repeats: int) -> None:
    """(e) How long CancelVectorStoreInsertJob takes on a running job, next to the time of one
    embedding call of the job's batch size (the most a cancel should have to wait for)."""
    cancel_times, batch_times = [], []
    for repeat in range(repeats):
        store_id = f"bench-cancel-{repeat}"
        stub.CreateVectorStore(pb.CreateVectorStoreRequest(vector_store_id=store_id), timeout=30)
        job = stub.SubmitVectorStoreInsertJob(pb.SubmitVectorStoreInsertJobRequest(
            vector_store_id=store_id, documents=[pb.VectorStoreDocument(document_id=f"doc-{i}", content=t)
                                                 for i, t in enumerate(texts * 4)]), timeout=60)
        status = pb.GetVectorStoreInsertJobStatusRequest(job_id=job.id)
        while stub.GetVectorStoreInsertJobStatus(status, timeout=30).documents_done < 2:
            time.sleep(0.01)
        start = time.perf_counter()
        cancelled = stub.CancelVectorStoreInsertJob(pb.CancelVectorStoreInsertJobRequest(job_id=job.id), timeout=60)
        cancel_times.append(time.perf_counter() - start)
        assert cancelled.status == v0.BATCH_JOB_STATUS_CANCELLED, cancelled
        start = time.perf_counter()
        model.encode(pieces[:CANCEL_BATCH])
        batch_times.append(time.perf_counter() - start)
    cancel_s, batch_s = statistics.median(cancel_times), statistics.median(batch_times)
    print(f"(e) cancel of a running insert job, median of {repeats}: {1000 * cancel_s:.1f} ms (runs "
          f"{', '.join(f'{1000 * t:.1f}' for t in cancel_times)}); one embedding call of {CANCEL_BATCH} chunks: "
          f"{1000 * batch_s:.1f} ms; ratio cancel / batch: {cancel_s / batch_s:.2f}")


def wait(stub, job_id: str) -> pb.VectorStoreInsertJob:
    while True:
        job = stub.GetVectorStoreInsertJobStatus(pb.GetVectorStoreInsertJobStatusRequest(job_id=job_id), timeout=30)
        if job.status not in (v0.BATCH_JOB_STATUS_VALIDATING, v0.BATCH_JOB_STATUS_RUNNING):
            if job.status != v0.BATCH_JOB_STATUS_COMPLETED:
                raise SystemExit(f"insert job ended {v0.BatchJobStatus.Name(job.status)}: {job.error}")
            return job
        time.sleep(0.05)


# ---------------------------------------------------------------- (c), (d): the index


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def synthetic(n: int, queries: int, dimension: int = 384, seed: int = 0):
    rng = np.random.default_rng(seed)
    centers = unit(rng.standard_normal((2000, dimension)))

    def sample(count):
        picked = centers[rng.integers(0, len(centers), count)]
        return unit(picked + 0.09 * rng.standard_normal((count, dimension)).astype(np.float32))

    return sample(n), sample(queries)


def timed_queries(index: VectorIndex, queries: np.ndarray, exact: bool) -> tuple[list[float], list[list]]:
    latencies, results = [], []
    for q in queries:
        start = time.perf_counter()
        hits = index.search(q, 10, exact=exact)
        latencies.append(time.perf_counter() - start)
        results.append([(h.document_id, h.chunk_index) for h in hits])
    return latencies, results


def bench_index(sizes: list[int], queries: int) -> None:
    print(f"(c) index search, top 10, {queries} queries, synthetic 384-d unit vectors (10 chunks per document); "
          f"HNSW M={HNSW_M} ef_construction={HNSW_EF_CONSTRUCTION} ef_search={HNSW_EF_SEARCH}, threshold 20000")
    largest = max(sizes)
    for n in sizes:
        vectors, query_vectors = synthetic(n, queries)
        index = VectorIndex(vectors.shape[1], threshold=20000)
        start = time.perf_counter()
        index.add_many((f"doc-{d}", vectors[d * 10:(d + 1) * 10]) for d in range((n + 9) // 10))
        load_s = time.perf_counter() - start
        mode = "HNSW" if index.approximate else "exact"
        lat, found = timed_queries(index, query_vectors, exact=False)
        print(f"    {n:>7} chunks, {mode:5} ({'graph built' if index.approximate else 'loaded'} in {load_s:6.1f} s): "
              f"p50 {1000 * percentile(lat, 50):.3f} ms, p99 {1000 * percentile(lat, 99):.3f} ms")
        if index.approximate:
            exact_lat, truth = timed_queries(index, query_vectors, exact=True)
            print(f"    {n:>7} chunks, exact (same index, exact=True):  "
                  f"p50 {1000 * percentile(exact_lat, 50):.3f} ms, p99 {1000 * percentile(exact_lat, 99):.3f} ms")
            if n == largest:
                recall = statistics.mean(len(set(a) & set(b)) / len(b) for a, b in zip(found, truth, strict=True))
                print(f"(d) recall@10 of HNSW vs exact at {n} chunks: {recall:.4f} (target >= 0.95)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=48, help="documents in the ingestion run (~3.5 chunks each)")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--sizes", default="10000,100000", help="index sizes in chunks, comma-separated")
    parser.add_argument("--repeats", type=int, default=3, help="ingestion runs (best one reported)")
    parser.add_argument("--skip-service", action="store_true", help="only the index part (c, d)")
    args = parser.parse_args()
    if not args.skip_service:
        bench_service(args.docs, min(args.queries, 200), args.repeats)
    bench_index([int(s) for s in args.sizes.split(",")], args.queries)


if __name__ == "__main__":
    main()
