"""Two servers (replicas) on one PostgreSQL database, with MiniLM: vector search through one
replica finds what the other inserted (each replica's index follows the store's revision),
and inserts racing through both keep the store's counts exact. gRPC on one, REST on the other."""
from __future__ import annotations

import pytest

from _client import Client
from _wait import wait_job
from server.inference.models import bundled_embedding_checkpoint
from tests.conftest import RunningServer, make_config

VECTOR_STORES = "llamastack.vectorstore.v0.VectorStoreService/"
EMBEDDING = "all-MiniLM-L6-v2"
NOTES = {
    "bread": "Sourdough bread rises with a starter of wild yeast; the dough ferments overnight.",
    "volcano": "Magma rises from the mantle and lava bursts out of the crater in an eruption.",
    "tomato": "Water tomato plants deeply twice a week and stake them as they grow.",
    "comet": "A comet's icy nucleus grows a glowing tail when it passes close to the sun.",
}


@pytest.fixture(scope="module")
def replicas(postgres, tmp_path_factory):
    dsn = postgres.new_database()
    models = [{"id": EMBEDDING, "checkpoint": bundled_embedding_checkpoint(), "kind": "embedding"}]
    servers = []
    try:
        for name in ("a", "b"):
            data_dir = tmp_path_factory.mktemp(f"replica-{name}")
            (data_dir / "files").mkdir()
            servers.append(RunningServer(make_config(data_dir, storage="postgres", postgres_dsn=dsn, models=models)))
        yield Client(servers[0], "grpc", timeout=60), Client(servers[1], "rest", timeout=60)
    finally:
        for server in servers:
            server.stop()


def insert(client: Client, store: str, document_ids: list[str]) -> dict:
    job = client.call(VECTOR_STORES + "SubmitVectorStoreInsertJob", {"vector_store_id": store, "documents": [
        {"document_id": document_id, "content": NOTES[document_id]} for document_id in document_ids]})
    return job


def finished(client: Client, job: dict) -> dict:
    done = wait_job(lambda: client.call(VECTOR_STORES + "GetVectorStoreInsertJobStatus", {"job_id": job["id"]}),
                    timeout=60)
    assert done["status"] == "completed", done
    return done


def nearest(client: Client, store: str, query: str) -> str:
    chunks = client.call(VECTOR_STORES + "QueryVectorStore", {"vector_store_id": store, "query": query,
                                                              "top_k": 1})["chunks"]
    return chunks[0]["document_id"]


def test_a_chunk_inserted_through_one_replica_is_found_through_the_other(replicas):
    a, b = replicas
    a.call(VECTOR_STORES + "CreateVectorStore", {"vector_store_id": "kb-follow", "embedding_model": EMBEDDING})
    finished(a, insert(a, "kb-follow", ["bread"]))
    assert nearest(b, "kb-follow", "baking sourdough") == "bread"  # b loads its index here
    assert nearest(a, "kb-follow", "baking sourdough") == "bread"
    finished(b, insert(b, "kb-follow", ["volcano"]))
    assert nearest(a, "kb-follow", "lava from a crater") == "volcano"  # a's index had only bread
    a.call(VECTOR_STORES + "DropVectorStore", {"vector_store_id": "kb-follow"})


def test_inserts_racing_through_both_replicas_keep_the_counts(replicas):
    a, b = replicas
    a.call(VECTOR_STORES + "CreateVectorStore", {"vector_store_id": "kb-race", "embedding_model": EMBEDDING})
    jobs = [(a, insert(a, "kb-race", ["bread", "volcano"])), (b, insert(b, "kb-race", ["tomato", "comet"]))]
    chunks = sum(finished(client, job)["chunks_done"] for client, job in jobs)
    for client in (a, b):
        store = client.call(VECTOR_STORES + "GetVectorStore", {"vector_store_id": "kb-race"})
        assert store["document_count"] == 4 and store["chunk_count"] == chunks
    assert {nearest(b, "kb-race", NOTES[d]) for d in NOTES} == set(NOTES)
    b.call(VECTOR_STORES + "DropVectorStore", {"vector_store_id": "kb-race"})
