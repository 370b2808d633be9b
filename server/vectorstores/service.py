"""VectorStoreService: the vector-store area's facade (plain Python; no gRPC here). It
keeps the stores themselves (create, get, list, update, drop) and hands the rest to one
module per concern:

- ``keys.py``: the storage layout (tables, keys, values);
- ``inserts.py`` and ``deletes.py``: the insert and delete jobs (server/jobs);
- ``search.py``: each store's loaded index, search with filters (``filters.py``) and
  rerank, chunks in stored order;
- ``embedding.py``: a store's embedding model and the chunking limits it sets.
"""
from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from typing import Any

from llamastack.vectorstore.v0 import vectorstore_pb2 as pb
from llamastack_grpc import struct_to_dict
from server.errors import AlreadyExists, NotFound
from server.ids import check_id
from server.inference.service import InferenceService
from server.jobs import JobRunner
from server.jobs.helpers import timestamp
from server.storage import KeyValueStore, Transaction
from server.telemetry.instrument import traced
from server.uris import FileAccess
from server.vectorstores import keys
from server.vectorstores.deletes import DeleteJobs
from server.vectorstores.embedding import StoreModels
from server.vectorstores.index import DEFAULT_THRESHOLD
from server.vectorstores.inserts import InsertJobs
from server.vectorstores.search import DEFAULT_TOP_K, ChunkHit, Indexes, Search

DEFAULT_CHUNK_SIZE = 200
DEFAULT_CHUNK_OVERLAP = 40


class VectorStoreService:
    def __init__(self, store: KeyValueStore, jobs: JobRunner, inference: InferenceService,
                 files: FileAccess, index_threshold: int = DEFAULT_THRESHOLD):
        self._store = store
        store.open_tables(*keys.TABLES)
        self._models = StoreModels(inference)
        self._indexes = Indexes(store, index_threshold)
        self._search = Search(store, self._models, self._indexes)
        self.inserts = InsertJobs(store, jobs, self._models, self._indexes, files)
        self.deletes = DeleteJobs(store, jobs, self._indexes)

    async def recover(self) -> None:
        """Start-up clean-up; call after the job runner has started."""
        await self.inserts.recover()

    # ---------------------------------------------------------------- stores

    async def get(self, store_id: str) -> pb.VectorStore:
        return await keys.get_store(self._store, store_id)

    async def list(self) -> pb.ListVectorStoresResponse:
        def read():
            with self._store.read() as txn:
                return [pb.VectorStore.FromString(v) for _, v in txn.scan(keys.STORES)]

        return pb.ListVectorStoresResponse(vector_stores=await asyncio.to_thread(read))

    async def create(self, req: pb.CreateVectorStoreRequest) -> pb.VectorStore:
        if req.HasField("vector_store_id"):
            check_id(req.vector_store_id, "vector_store_id")
            store_id = req.vector_store_id
        else:
            store_id = f"vs-{uuid.uuid4().hex}"
        model_id = self._models.resolve(req.embedding_model if req.HasField("embedding_model") else None)
        size = req.chunk_size_tokens if req.HasField("chunk_size_tokens") else min(
            DEFAULT_CHUNK_SIZE, self._models.max_chunk(model_id))
        overlap = req.chunk_overlap_tokens if req.HasField("chunk_overlap_tokens") else min(
            DEFAULT_CHUNK_OVERLAP, size // 4)
        self._models.check_chunking(model_id, size, overlap)
        record = pb.VectorStore(id=store_id, name=req.name if req.HasField("name") else store_id,
                                description=req.description, embedding_model=model_id,
                                chunk_size_tokens=size, chunk_overlap_tokens=overlap,
                                document_count=0, chunk_count=0)
        record.created_at.CopyFrom(timestamp(time.time()))
        value = record.SerializeToString()

        def write(txn: Transaction) -> None:
            if not txn.put(keys.STORES, keys.store_key(store_id), value, overwrite=False):
                raise AlreadyExists(f"Vector store '{store_id}' already exists")
            # Nothing of an earlier store of this id may linger (drop removes it all anyway).
            txn.delete_prefix(keys.DOCUMENTS, keys.docs_prefix(store_id))
            txn.delete_prefix(keys.CHUNKS, keys.chunks_prefix(store_id))

        async with self._indexes.lock(store_id):
            await asyncio.to_thread(self._store.write, write)
            self._indexes.forget(store_id)
        return record

    async def update(self, req: pb.UpdateVectorStoreRequest) -> pb.VectorStore:
        store_id = req.vector_store_id
        current = await self.get(store_id)
        size = req.chunk_size_tokens if req.HasField("chunk_size_tokens") else current.chunk_size_tokens
        overlap = req.chunk_overlap_tokens if req.HasField("chunk_overlap_tokens") else current.chunk_overlap_tokens
        if req.HasField("chunk_size_tokens") or req.HasField("chunk_overlap_tokens"):
            if req.HasField("chunk_size_tokens") and not req.HasField("chunk_overlap_tokens"):
                overlap = min(overlap, max(0, size - 1))
            self._models.check_chunking(current.embedding_model, size, overlap)

        def write(txn: Transaction) -> pb.VectorStore:
            record = keys.read_store(txn, store_id)
            if record is None:
                raise NotFound(f"Vector store '{store_id}' not found")
            if req.HasField("name"):
                record.name = req.name
            if req.HasField("description"):
                record.description = req.description
            record.chunk_size_tokens = size
            record.chunk_overlap_tokens = overlap
            txn.put(keys.STORES, keys.store_key(store_id), record.SerializeToString())
            return record

        return await asyncio.to_thread(self._store.write, write)

    async def drop(self, store_id: str) -> pb.VectorStore:
        def write(txn: Transaction) -> pb.VectorStore | None:
            record = keys.read_store(txn, store_id)
            if record is None:
                return None
            txn.delete(keys.STORES, keys.store_key(store_id))
            txn.delete(keys.REVISIONS, keys.store_key(store_id))
            txn.delete_prefix(keys.DOCUMENTS, keys.docs_prefix(store_id))
            txn.delete_prefix(keys.CHUNKS, keys.chunks_prefix(store_id))
            return record

        async with self._indexes.lock(store_id):
            record = await asyncio.to_thread(self._store.write, write)
            self._indexes.forget(store_id)
        if record is None:
            raise NotFound(f"Vector store '{store_id}' not found")
        return record

    # ---------------------------------------------------------------- search

    @traced("vector_store.search", lambda store_id, top_k, **_: {"vector_store_id": store_id, "top_k": top_k},
            result=lambda hits: {"results": len(hits)})
    async def search(self, store_id: str, query: str, top_k: int = DEFAULT_TOP_K,
                     filters: dict[str, Any] | None = None, rerank_model: str | None = None,
                     field_prefix: str = "") -> list[ChunkHit]:
        """The top_k chunks nearest to query (best first); see Search.search."""
        return await self._search.search(await self.get(store_id), query, top_k, filters, rerank_model,
                                         field_prefix)

    async def first_chunks(self, store_ids: Sequence[str], limit: int) -> list[ChunkHit]:
        """The first `limit` chunks of the stores, in stored order (a store that does not
        exist has none)."""
        return await asyncio.to_thread(self._search.first_chunks, list(store_ids), limit)

    async def query(self, req: pb.QueryVectorStoreRequest) -> pb.QueryVectorStoreResponse:
        hits = await self.search(req.vector_store_id, req.query,
                                 req.top_k if req.HasField("top_k") else DEFAULT_TOP_K,
                                 struct_to_dict(req.filters) if req.HasField("filters") else None,
                                 req.rerank_model if req.HasField("rerank_model") else None)
        response = pb.QueryVectorStoreResponse()
        for hit in hits:
            chunk = response.chunks.add(document_id=hit.document_id, chunk_index=hit.chunk_index,
                                        content=hit.content, score=hit.score)
            chunk.metadata.SetInParent()  # `{}` rather than absent for a document without metadata
            chunk.metadata.update(hit.metadata)
        return response
