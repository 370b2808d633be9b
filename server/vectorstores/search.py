"""Search over vector stores: each store's in-memory index (built from its stored chunks
on first use, kept current by the jobs that write), nearest chunks under metadata
filters, an optional rerank, and the chunks in stored order."""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from llamastack.vectorstore.v0 import vectorstore_pb2 as pb
from server.errors import InvalidArgument, NotFound
from server.storage import KeyValueStore
from server.vectorstores import keys
from server.vectorstores.embedding import StoreModels
from server.vectorstores.filters import check_filters, matches
from server.vectorstores.index import Hit, VectorIndex

DEFAULT_TOP_K = 5
MAX_TOP_K = 1000
RERANK_POOL = 4  # rerank looks at top_k * RERANK_POOL nearest chunks (20 at least, 200 at most)


@dataclass
class ChunkHit:
    """One search result."""

    vector_store_id: str
    document_id: str
    chunk_index: int
    content: str
    score: float
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class StoreIndex:
    generation: int
    revision: int  # the store's revision its chunks are from
    index: VectorIndex
    metadata: dict[str, dict[str, Any]]  # document id -> its metadata


class Indexes:
    """The loaded index of each store, and each store's lock: a write to a store and the
    update of its loaded index happen under that lock, so the index shows what is stored.
    Another replica's writes move the store's stored revision on: the next query then
    rebuilds the index."""

    def __init__(self, store: KeyValueStore, threshold: int):
        self._store = store
        self._threshold = threshold
        self._indexes: dict[str, StoreIndex] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def lock(self, store_id: str) -> asyncio.Lock:
        lock = self._locks.get(store_id)
        if lock is None:
            lock = self._locks[store_id] = asyncio.Lock()
        return lock

    def _current(self, store_id: str, generation: int, revision: int) -> StoreIndex | None:
        loaded = self._indexes.get(store_id)
        if loaded is not None and (loaded.generation, loaded.revision) == (generation, revision):
            return loaded
        return None

    def advance(self, store_id: str, generation: int, revision: int) -> StoreIndex | None:
        """After this replica's write of `revision`: the loaded index, moved to it, if it was
        at the revision before (the caller then applies the write to it); otherwise (another
        replica wrote between) it is dropped and the next query rebuilds it."""
        loaded = self._indexes.get(store_id)
        if loaded is None or loaded.generation != generation:
            return None
        if loaded.revision != revision - 1:
            del self._indexes[store_id]
            return None
        loaded.revision = revision
        return loaded

    def forget(self, store_id: str) -> None:
        self._indexes.pop(store_id, None)

    async def get(self, store_id: str, record: pb.VectorStore, dimension: int) -> StoreIndex:
        """The store's index, built from its stored chunks on first use."""
        generation = keys.generation(record)
        revision = keys.revision(self._store, store_id)  # other replicas' writes move it on
        loaded = self._current(store_id, generation, revision)
        if loaded is not None:
            return loaded
        async with self.lock(store_id):
            loaded = self._current(store_id, generation, revision)
            if loaded is not None:
                return loaded
            loaded = await asyncio.to_thread(self._build, store_id, generation, dimension)
            if loaded is None:
                raise NotFound(f"Vector store '{store_id}' not found")
            self._indexes[store_id] = loaded
            return loaded

    def _build(self, store_id: str, generation: int, dimension: int) -> StoreIndex | None:
        index = VectorIndex(dimension, self._threshold)
        metadata: dict[str, dict[str, Any]] = {}
        with self._store.read() as txn:
            record = keys.read_store(txn, store_id)
            if record is None or keys.generation(record) != generation:
                return None
            revision = keys.revision(txn, store_id)
            for _, raw in txn.scan(keys.DOCUMENTS, keys.docs_prefix(store_id)):
                document = json.loads(raw)
                metadata[document["document_id"]] = document.get("metadata") or {}

            def grouped():
                current, rows = None, []
                for key, chunk in txn.scan(keys.CHUNKS, keys.chunks_prefix(store_id)):
                    document_id, _ = keys.unpack_chunk_key(store_id, key)
                    if document_id != current and rows:
                        yield current, np.stack(rows)
                        rows = []
                    current = document_id
                    rows.append(keys.unpack_chunk(chunk)[0])
                if rows:
                    yield current, np.stack(rows)

            index.add_many(grouped(), graph_in_background=True)
        return StoreIndex(generation, revision, index, metadata)


class Search:
    def __init__(self, store: KeyValueStore, models: StoreModels, indexes: Indexes):
        self._store = store
        self._models = models
        self._indexes = indexes

    async def search(self, record: pb.VectorStore, query: str, top_k: int = DEFAULT_TOP_K,
                     filters: dict[str, Any] | None = None, rerank_model: str | None = None,
                     field_prefix: str = "") -> list[ChunkHit]:
        """The top_k chunks of the store nearest to query (best first), among documents
        whose metadata passes the filters; with rerank_model, the nearest are reordered by
        that model."""
        if not 1 <= top_k <= MAX_TOP_K:
            raise InvalidArgument(f"{field_prefix}top_k", f"must be between 1 and {MAX_TOP_K}, got {top_k}")
        check_filters(filters or {}, field_prefix)
        if rerank_model is not None and not self._models.can_rerank(rerank_model):
            raise InvalidArgument(f"{field_prefix}rerank_model",
                                  f"'{rerank_model}' is not a registered rerank or embedding model")
        if not query.strip():
            raise InvalidArgument(f"{field_prefix}query", "must not be empty")
        store_id, model_id = record.id, record.embedding_model
        dimension = self._models.served(model_id).dimension
        vector = (await self._models.embed(model_id, [query]))[0]
        loaded = await self._indexes.get(store_id, record, dimension)
        allowed = None
        if filters:
            allowed = [d for d, m in loaded.metadata.items() if matches(m, filters)]
        pool = top_k if rerank_model is None else min(max(top_k * RERANK_POOL, 20), max(200, top_k))
        hits = await asyncio.to_thread(loaded.index.search, vector, pool, allowed)
        results = await asyncio.to_thread(self._read_hits, store_id, hits, loaded.metadata)
        if rerank_model is not None and results:
            ranked = await self._models.rerank(rerank_model, query, [r.content for r in results], top_k)
            results = [replace(results[i], score=float(score)) for i, score in ranked]
        return results[:top_k]

    def _read_hits(self, store_id: str, hits: list[Hit], metadata: dict[str, dict]) -> list[ChunkHit]:
        results = []
        with self._store.read() as txn:
            for hit in hits:
                value = txn.get(keys.CHUNKS, keys.chunk_key(store_id, hit.document_id, hit.chunk_index))
                if value is None:  # removed since the index was read
                    continue
                results.append(ChunkHit(store_id, hit.document_id, hit.chunk_index, keys.unpack_chunk(value)[1],
                                        hit.score, metadata.get(hit.document_id, {})))
        return results

    def first_chunks(self, store_ids: list[str], limit: int) -> list[ChunkHit]:
        """The first `limit` chunks of the stores, in stored order (score 0)."""
        out: list[ChunkHit] = []
        with self._store.read() as txn:
            for store_id in store_ids:
                for key, value in txn.scan(keys.CHUNKS, keys.chunks_prefix(store_id)):
                    if len(out) >= limit:
                        return out
                    document_id, index = keys.unpack_chunk_key(store_id, key)
                    out.append(ChunkHit(store_id, document_id, index, keys.unpack_chunk(value)[1], 0.0))
        return out
