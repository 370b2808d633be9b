"""VectorStoreService: vector stores, insert and delete jobs, search and memory fetch
(plain Python; no gRPC here).

Storage layout (five tables; ids never contain NUL, so `<id>\\0` prefixes are exact):
- ``vector_stores``:        ``<store>`` -> serialized ``VectorStore`` (its counts included)
- ``vector_documents``:     ``<store>\\0<document>`` -> JSON document record
  ``{document_id, chunk_count, source, mime_type, format, metadata, job_id, inserted_at}``
- ``vector_chunks``:        ``<store>\\0<document>\\0<chunk index, 4-byte big endian>`` ->
  ``<dimension, 4-byte big endian><float32 little-endian vector><utf-8 text>``
- ``vector_job_documents``: ``<job>\\0<document index, 4-byte big endian>`` -> the text of a
  submitted document, from submission until its job ends.
- ``vector_revisions``:     ``<store>`` -> 8-byte big-endian count of the chunk writes so far.
  Each replica's in-memory index remembers the revision it has; a query that finds the
  stored one moved on (another replica wrote) rebuilds the index first.

A document's chunks, its record and the store's counts are written in one transaction, so a
cancel or a crash never leaves part of a document. Inserting a document id that is already
stored replaces it (in that same transaction), which makes a resubmitted job idempotent.

Insert and delete are jobs of the durable framework (server/jobs): kinds ``vector_insert``
and ``vector_delete``; neither is resumable, so one running when the server dies ends
`failed` at the next start (its stored documents stay, each whole).
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import struct
import time
import unicodedata
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Optional, Sequence
from urllib.parse import unquote, urlsplit

import numpy as np

from llamastack.agents.v0 import agents_pb2
from llamastack.vectorstore.v0 import vectorstore_pb2 as pb
from llamastack_grpc import struct_to_dict
from server.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from server.jobs import JobContext, JobRecord, JobRunner
from server.jobs.helpers import (BATCH_JOB_STATUS, finish_anyway, job_of_kind, timestamp, until_cancelled,
                                 with_record_times)
from server import documents as docs
from server.storage import KeyValueStore, Transaction
from server.telemetry.instrument import traced
from server.vectorstores.chunking import Chunker
from server.vectorstores.index import DEFAULT_THRESHOLD, Hit, VectorIndex

log = logging.getLogger(__name__)

STORES, DOCUMENTS, CHUNKS, PAYLOADS = "vector_stores", "vector_documents", "vector_chunks", "vector_job_documents"
REVISIONS = "vector_revisions"
INSERT, DELETE = "vector_insert", "vector_delete"

MAX_ID_LENGTH = 256
MAX_DOCUMENT_ID_LENGTH = 1024
DEFAULT_CHUNK_SIZE = 200
DEFAULT_CHUNK_OVERLAP = 40
DEFAULT_TOP_K = 5
MAX_TOP_K = 1000
MEMORY_TOP_K = 10
EMBED_BATCH = 32  # chunks per embedding call: the job notices a cancel between calls
RERANK_POOL = 4  # rerank looks at top_k * RERANK_POOL nearest chunks (20 at least, 200 at most)

_U32 = struct.Struct(">I")


# ---------------------------------------------------------------- keys and values


def _id_bytes(value: str) -> bytes:
    return value.encode("utf-8")


def _docs_prefix(store_id: str) -> bytes:
    return _id_bytes(store_id) + b"\0"


def _doc_key(store_id: str, document_id: str) -> bytes:
    return _docs_prefix(store_id) + _id_bytes(document_id)


def _chunks_prefix(store_id: str, document_id: Optional[str] = None) -> bytes:
    prefix = _id_bytes(store_id) + b"\0"
    return prefix if document_id is None else prefix + _id_bytes(document_id) + b"\0"


def _chunk_key(store_id: str, document_id: str, index: int) -> bytes:
    return _chunks_prefix(store_id, document_id) + _U32.pack(index)


def _payload_key(job_id: str, index: int) -> bytes:
    return _id_bytes(job_id) + b"\0" + _U32.pack(index)


def pack_chunk(vector: np.ndarray, text: str) -> bytes:
    vector = np.asarray(vector, dtype="<f4")
    return _U32.pack(len(vector)) + vector.tobytes() + text.encode("utf-8")


def unpack_chunk(value: bytes) -> tuple[np.ndarray, str]:
    (dimension,) = _U32.unpack_from(value)
    end = 4 + 4 * dimension
    return np.frombuffer(value, dtype="<f4", count=dimension, offset=4), value[end:].decode("utf-8")


def unpack_chunk_key(store_id: str, key: bytes) -> tuple[str, int]:
    rest = key[len(_chunks_prefix(store_id)):]
    return rest[:-5].decode("utf-8"), _U32.unpack(rest[-4:])[0]


def _check_id(value: str, field_name: str, limit: int) -> None:
    if not value:
        raise InvalidArgument(field_name, "must not be empty")
    if len(value) > limit:
        raise InvalidArgument(field_name, f"must be at most {limit} characters, got {len(value)}")
    for ch in value:
        if unicodedata.category(ch) in ("Cc", "Cs"):
            raise InvalidArgument(field_name, f"must not contain control characters (found U+{ord(ch):04X})")


def _file_document_id(uri: str) -> str:
    """A file's document id: its normalized file:// URI (symlinks not resolved)."""
    path = unquote(urlsplit(uri).path)
    return Path(os.path.normpath(path)).as_uri() if path.startswith("/") else uri


def matches(metadata: dict[str, Any], filters: dict[str, Any]) -> bool:
    """Every filter holds: key -> value (equal) or key -> list of values (one of)."""
    for key, wanted in filters.items():
        if key not in metadata:
            return False
        value = metadata[key]
        if isinstance(wanted, list):
            if not any(_equal(value, w) for w in wanted):
                return False
        elif not _equal(value, wanted):
            return False
    return True


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return a == b


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
class _StoreIndex:
    generation: int
    revision: int  # the store's revision its chunks are from
    index: VectorIndex
    metadata: dict[str, dict[str, Any]]  # document id -> its metadata


@dataclass
class _Pending:
    """A document checked at submission, before its text is put aside for the job."""

    document_id: str
    text: str
    source: str
    mime_type: str
    fmt: str
    metadata: dict[str, Any]


def _generation(record: pb.VectorStore) -> int:
    """Tells a store from an earlier one of the same id (dropped and created again)."""
    return record.created_at.seconds * 1_000_000_000 + record.created_at.nanos


def _revision(txn: Transaction, store_id: str) -> int:
    return int.from_bytes(txn.get(REVISIONS, _id_bytes(store_id)) or b"", "big")


def _next_revision(txn: Transaction, store_id: str) -> int:
    revision = _revision(txn, store_id) + 1
    txn.put(REVISIONS, _id_bytes(store_id), revision.to_bytes(8, "big"))
    return revision


class VectorStoreService:
    def __init__(self, store: KeyValueStore, jobs: JobRunner, inference, allowed_roots: Sequence[Path],
                 index_threshold: int = DEFAULT_THRESHOLD):
        self._store = store
        self._jobs = jobs
        self._inference = inference
        self._allowed_roots = [Path(root) for root in allowed_roots]
        self._index_threshold = index_threshold
        store.open_tables(STORES, DOCUMENTS, CHUNKS, PAYLOADS, REVISIONS)
        jobs.register(INSERT, self._run_insert, concurrency=2)
        jobs.register(DELETE, self._run_delete, concurrency=2)
        self._indexes: dict[str, _StoreIndex] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._chunkers: dict[str, Chunker] = {}

    # ---------------------------------------------------------------- models

    def _registry(self):
        return self._inference.registry

    def _embedding_model_id(self, model_id: Optional[str]) -> str:
        registry = self._registry()
        known = [s.id for s in registry.specs.values() if s.kind == "embedding"]
        if model_id is None:
            if not known:
                raise InvalidArgument("embedding_model", "no embedding model is registered on this server")
            return known[0]
        if model_id not in known:
            raise InvalidArgument("embedding_model", f"'{model_id}' is not a registered embedding model "
                                                     f"(registered: {', '.join(known) or 'none'})")
        return model_id

    def _model(self, model_id: str):
        """The loaded embedding model of a store (FAILED_PRECONDITION if no longer served)."""
        spec = self._registry().specs.get(model_id)
        model = self._registry().loaded.get(model_id)
        if spec is None or spec.kind != "embedding" or model is None:
            raise FailedPrecondition(f"the store's embedding model '{model_id}' is not served by this server")
        return model

    def _chunker(self, model_id: str) -> Chunker:
        chunker = self._chunkers.get(model_id)
        if chunker is None:
            chunker = self._chunkers[model_id] = Chunker(self._model(model_id).model.tokenizer)
        return chunker

    def _max_chunk(self, model_id: str) -> int:
        model = self._registry().loaded.get(model_id)
        length = getattr(getattr(model, "model", None), "max_seq_length", None) or 512
        return max(1, int(length) - 2)  # the model adds [CLS] and [SEP]

    def _check_chunking(self, model_id: str, size: int, overlap: int) -> None:
        limit = self._max_chunk(model_id)
        if not 1 <= size <= limit:
            raise InvalidArgument("chunk_size_tokens", f"must be between 1 and {limit} (the sequence length of "
                                                       f"'{model_id}' less 2), got {size}")
        if not 0 <= overlap < size:
            raise InvalidArgument("chunk_overlap_tokens", f"must be at least 0 and less than chunk_size_tokens "
                                                          f"({size}), got {overlap}")

    # ---------------------------------------------------------------- stores

    def _lock(self, store_id: str) -> asyncio.Lock:
        lock = self._locks.get(store_id)
        if lock is None:
            lock = self._locks[store_id] = asyncio.Lock()
        return lock

    def _read_record(self, store_id: str) -> Optional[pb.VectorStore]:
        value = self._store.get(STORES, _id_bytes(store_id))
        return None if value is None else pb.VectorStore.FromString(value)

    async def get(self, store_id: str) -> pb.VectorStore:
        record = await asyncio.to_thread(self._read_record, store_id)
        if record is None:
            raise NotFound(f"Vector store '{store_id}' not found")
        return record

    async def list(self) -> pb.ListVectorStoresResponse:
        def read():
            with self._store.read() as txn:
                return [pb.VectorStore.FromString(v) for _, v in txn.scan(STORES)]

        return pb.ListVectorStoresResponse(vector_stores=await asyncio.to_thread(read))

    async def create(self, req: pb.CreateVectorStoreRequest) -> pb.VectorStore:
        if req.HasField("vector_store_id"):
            _check_id(req.vector_store_id, "vector_store_id", MAX_ID_LENGTH)
            store_id = req.vector_store_id
        else:
            store_id = f"vs-{uuid.uuid4().hex}"
        model_id = self._embedding_model_id(req.embedding_model if req.HasField("embedding_model") else None)
        size = req.chunk_size_tokens if req.HasField("chunk_size_tokens") else min(
            DEFAULT_CHUNK_SIZE, self._max_chunk(model_id))
        overlap = req.chunk_overlap_tokens if req.HasField("chunk_overlap_tokens") else min(
            DEFAULT_CHUNK_OVERLAP, size // 4)
        self._check_chunking(model_id, size, overlap)
        record = pb.VectorStore(id=store_id, name=req.name if req.HasField("name") else store_id,
                                description=req.description, embedding_model=model_id,
                                chunk_size_tokens=size, chunk_overlap_tokens=overlap,
                                document_count=0, chunk_count=0)
        record.created_at.CopyFrom(timestamp(time.time()))
        value = record.SerializeToString()

        def write(txn: Transaction) -> None:
            if not txn.put(STORES, _id_bytes(store_id), value, overwrite=False):
                raise AlreadyExists(f"Vector store '{store_id}' already exists")
            # Nothing of an earlier store of this id may linger (drop removes it all anyway).
            txn.delete_prefix(DOCUMENTS, _docs_prefix(store_id))
            txn.delete_prefix(CHUNKS, _chunks_prefix(store_id))

        async with self._lock(store_id):
            await asyncio.to_thread(self._store.write, write)
            self._indexes.pop(store_id, None)
        return record

    async def update(self, req: pb.UpdateVectorStoreRequest) -> pb.VectorStore:
        store_id = req.vector_store_id
        current = await self.get(store_id)
        size = req.chunk_size_tokens if req.HasField("chunk_size_tokens") else current.chunk_size_tokens
        overlap = req.chunk_overlap_tokens if req.HasField("chunk_overlap_tokens") else current.chunk_overlap_tokens
        if req.HasField("chunk_size_tokens") or req.HasField("chunk_overlap_tokens"):
            if req.HasField("chunk_size_tokens") and not req.HasField("chunk_overlap_tokens"):
                overlap = min(overlap, max(0, size - 1))
            self._check_chunking(current.embedding_model, size, overlap)

        def write(txn: Transaction) -> pb.VectorStore:
            value = txn.get(STORES, _id_bytes(store_id))
            if value is None:
                raise NotFound(f"Vector store '{store_id}' not found")
            record = pb.VectorStore.FromString(value)
            if req.HasField("name"):
                record.name = req.name
            if req.HasField("description"):
                record.description = req.description
            record.chunk_size_tokens = size
            record.chunk_overlap_tokens = overlap
            txn.put(STORES, _id_bytes(store_id), record.SerializeToString())
            return record

        return await asyncio.to_thread(self._store.write, write)

    async def drop(self, store_id: str) -> pb.VectorStore:
        def write(txn: Transaction) -> Optional[pb.VectorStore]:
            value = txn.get(STORES, _id_bytes(store_id))
            if value is None:
                return None
            txn.delete(STORES, _id_bytes(store_id))
            txn.delete(REVISIONS, _id_bytes(store_id))
            txn.delete_prefix(DOCUMENTS, _docs_prefix(store_id))
            txn.delete_prefix(CHUNKS, _chunks_prefix(store_id))
            return pb.VectorStore.FromString(value)

        async with self._lock(store_id):
            record = await asyncio.to_thread(self._store.write, write)
            self._indexes.pop(store_id, None)
        if record is None:
            raise NotFound(f"Vector store '{store_id}' not found")
        return record

    def documents(self, store_id: str) -> dict[str, dict[str, Any]]:
        """The stored document records of a store (document id -> record)."""
        with self._store.read() as txn:
            records = [json.loads(v) for _, v in txn.scan(DOCUMENTS, _docs_prefix(store_id))]
        return {record["document_id"]: record for record in records}

    # ---------------------------------------------------------------- insert jobs

    async def submit_insert(self, req: pb.SubmitVectorStoreInsertJobRequest) -> pb.VectorStoreInsertJob:
        store_id = req.vector_store_id
        await self.get(store_id)
        wanted: list[tuple[str, dict[str, Any]]] = []  # (field path, document fields)
        if req.HasField("content"):
            wanted.append(("content", {"content": req.content}))
        if req.HasField("file_path") and req.file_path.value:
            wanted.append(("file_path.value", {"uri": docs.file_uri(req.file_path.value)}))
        for i, document in enumerate(req.documents):
            fields: dict[str, Any] = {}
            for name in ("document_id", "content", "uri", "mime_type"):
                if document.HasField(name):
                    fields[name] = getattr(document, name)
            if document.HasField("metadata"):
                fields["metadata"] = struct_to_dict(document.metadata)
            wanted.append((f"documents[{i}]", fields))
        if not wanted:
            raise InvalidArgument("documents", "give at least one document (documents, content or file_path)")
        pending = await asyncio.to_thread(self._load_documents, wanted)

        job_id = f"{INSERT}-{uuid.uuid4().hex}"
        texts = [(_payload_key(job_id, i), p.text.encode("utf-8")) for i, p in enumerate(pending)]

        def write(txn: Transaction) -> None:
            for key, value in texts:
                txn.put(PAYLOADS, key, value)

        await asyncio.to_thread(self._store.write, write)
        params = {"vector_store_id": store_id,
                  "documents": [{"document_id": p.document_id, "source": p.source, "mime_type": p.mime_type,
                                 "format": p.fmt, "metadata": p.metadata} for p in pending]}
        if req.HasField("content"):
            params["content"] = req.content
        try:
            record = await self._jobs.submit(INSERT, params, job_id=job_id)
        except BaseException:
            await asyncio.to_thread(self._drop_payloads, job_id)
            raise
        return self._insert_job(record)

    def _load_documents(self, wanted: list[tuple[str, dict[str, Any]]]) -> list[_Pending]:
        pending: list[_Pending] = []
        seen: dict[str, str] = {}
        for path, fields in wanted:
            content, uri = fields.get("content"), fields.get("uri")
            mime_type = fields.get("mime_type")
            if path.startswith("documents["):
                if (content is None) == (uri is None):
                    raise InvalidArgument(path, "give either content or uri")
                source_field = f"{path}.content" if content is not None else f"{path}.uri"
                mime_field = f"{path}.mime_type"
            else:
                source_field = mime_field = path
            if content is not None:
                text, fmt = docs.load_inline(content, mime_type, field_name=source_field, mime_field=mime_field)
                source = "inline"
            else:
                text, fmt, source = docs.load_uri(uri, mime_type, self._allowed_roots, field_name=source_field,
                                                  mime_field=mime_field)
            if not text.strip():
                raise InvalidArgument(source_field, "holds no text to embed")
            id_field = f"{path}.document_id" if path.startswith("documents[") else path
            if fields.get("document_id") is not None:
                document_id = fields["document_id"]
                _check_id(document_id, id_field, MAX_DOCUMENT_ID_LENGTH)
            elif source.startswith("file:"):
                document_id = _file_document_id(source)
            else:
                digest = hashlib.sha256(text.encode("utf-8"))
                digest.update(json.dumps(fields.get("metadata") or {}, sort_keys=True).encode())
                document_id = f"doc-{digest.hexdigest()[:24]}"
            if document_id in seen:
                raise InvalidArgument(id_field, f"document id '{document_id}' is already used by {seen[document_id]}")
            seen[document_id] = path
            pending.append(_Pending(document_id=document_id, text=text, source=source,
                                    mime_type=mime_type or docs.DEFAULT_MEDIA_TYPES[fmt], fmt=fmt,
                                    metadata=fields.get("metadata") or {}))
        return pending

    async def insert_status(self, job_id: str) -> pb.VectorStoreInsertJob:
        return self._insert_job(job_of_kind(self._jobs, job_id, INSERT, "Insert job"))

    async def cancel_insert(self, job_id: str) -> pb.VectorStoreInsertJob:
        job_of_kind(self._jobs, job_id, INSERT, "Insert job")
        record = await self._jobs.cancel(job_id)
        await asyncio.to_thread(self._drop_payloads, job_id)  # cancelled while queued: the work never ran
        return self._insert_job(record)

    def _insert_job(self, record: JobRecord) -> pb.VectorStoreInsertJob:
        params, progress = record.params, record.progress
        job = pb.VectorStoreInsertJob(
            id=record.id, status=BATCH_JOB_STATUS[record.state], vector_store_id=params["vector_store_id"],
            documents_total=len(params["documents"]), documents_done=progress.get("documents_done", 0),
            chunks_done=progress.get("chunks_done", 0),
            document_ids=[d["document_id"] for d in params["documents"]])
        if "content" in params:
            job.content = params["content"]
        return with_record_times(job, record)

    async def _run_insert(self, ctx: JobContext) -> dict:
        try:
            return await self._insert(ctx)
        finally:
            await finish_anyway(asyncio.to_thread(self._drop_payloads, ctx.job_id))

    async def _insert(self, ctx: JobContext) -> dict:
        store_id = ctx.params["vector_store_id"]
        documents = ctx.params["documents"]
        record = await self.get(store_id)
        generation = _generation(record)
        model_id = record.embedding_model
        self._model(model_id)
        chunker = self._chunker(model_id)
        size, overlap = record.chunk_size_tokens, record.chunk_overlap_tokens
        done = chunks_done = 0
        await ctx.report(documents_total=len(documents), documents_done=0, chunks_done=0)
        for i, document in enumerate(documents):
            ctx.check_cancelled()
            text = await until_cancelled(ctx, asyncio.to_thread(self._payload, ctx.job_id, i))
            pieces = await until_cancelled(ctx, asyncio.to_thread(chunker.chunks, text, size, overlap))
            vectors = []
            for start in range(0, len(pieces), EMBED_BATCH):
                ctx.check_cancelled()
                batch = pieces[start:start + EMBED_BATCH]
                vectors.append(await until_cancelled(ctx, self._inference.embed(model_id, batch)))
            ctx.check_cancelled()
            matrix = np.concatenate(vectors) if vectors else np.zeros((0, 1), dtype=np.float32)
            await finish_anyway(self._store_document(store_id, generation, document, pieces, matrix, ctx.job_id))
            done += 1
            chunks_done += len(pieces)
            await ctx.report(documents_done=done, chunks_done=chunks_done)
        await ctx.log(f"stored {done} document(s), {chunks_done} chunk(s) in vector store '{store_id}'")
        return {"documents": done, "chunks": chunks_done}

    def _payload(self, job_id: str, index: int) -> str:
        value = self._store.get(PAYLOADS, _payload_key(job_id, index))
        if value is None:
            raise FailedPrecondition(f"the text of document {index} of job '{job_id}' is gone")
        return value.decode("utf-8")

    def _drop_payloads(self, job_id: str) -> None:
        self._store.write(lambda txn: txn.delete_prefix(PAYLOADS, _id_bytes(job_id) + b"\0"))

    async def _store_document(self, store_id: str, generation: int, document: dict, pieces: list[str],
                              matrix: np.ndarray, job_id: str) -> None:
        document_id = document["document_id"]
        values = [pack_chunk(vector, piece) for vector, piece in zip(matrix, pieces)]
        doc_record = json.dumps({**document, "chunk_count": len(values), "job_id": job_id,
                                 "inserted_at": time.time()}).encode()

        def write(txn: Transaction) -> int:
            value = txn.get(STORES, _id_bytes(store_id))
            record = None if value is None else pb.VectorStore.FromString(value)
            if record is None or _generation(record) != generation:
                raise FailedPrecondition(f"vector store '{store_id}' was dropped while the job ran")
            old = txn.get(DOCUMENTS, _doc_key(store_id, document_id))
            old_chunks = json.loads(old)["chunk_count"] if old is not None else 0
            if old is not None:
                txn.delete_prefix(CHUNKS, _chunks_prefix(store_id, document_id))
            for index, chunk in enumerate(values):
                txn.put(CHUNKS, _chunk_key(store_id, document_id, index), chunk)
            txn.put(DOCUMENTS, _doc_key(store_id, document_id), doc_record)
            record.document_count += 0 if old is not None else 1
            record.chunk_count += len(values) - old_chunks
            txn.put(STORES, _id_bytes(store_id), record.SerializeToString())
            return _next_revision(txn, store_id)

        async with self._lock(store_id):
            revision = await asyncio.to_thread(self._store.write, write)
            loaded = self._current_index(store_id, generation, revision)
            if loaded is not None:
                await asyncio.to_thread(loaded.index.add, document_id, matrix)
                loaded.metadata[document_id] = document.get("metadata") or {}

    # ---------------------------------------------------------------- delete jobs

    async def submit_delete(self, req: pb.SubmitVectorStoreDeleteJobRequest) -> pb.VectorStoreDeleteJob:
        store_id = req.vector_store_id
        await self.get(store_id)
        named: list[tuple[str, str]] = []
        if req.HasField("file_path") and req.file_path.value:
            named.append(("file_path.value", _file_document_id(docs.file_uri(req.file_path.value))))
        named += [(f"document_ids[{i}]", d) for i, d in enumerate(req.document_ids)]
        if not named:
            raise InvalidArgument("document_ids", "give at least one document id (or file_path)")

        def check() -> list[str]:
            ids: list[str] = []
            with self._store.read() as txn:
                for path, document_id in named:
                    _check_id(document_id, path, MAX_DOCUMENT_ID_LENGTH)
                    if txn.get(DOCUMENTS, _doc_key(store_id, document_id)) is None:
                        raise NotFound(f"Document '{document_id}' not found in vector store '{store_id}'")
                    if document_id not in ids:
                        ids.append(document_id)
            return ids

        ids = await asyncio.to_thread(check)
        record = await self._jobs.submit(DELETE, {"vector_store_id": store_id, "document_ids": ids})
        return self._delete_job(record)

    async def delete_status(self, job_id: str) -> pb.VectorStoreDeleteJob:
        return self._delete_job(job_of_kind(self._jobs, job_id, DELETE, "Delete job"))

    async def cancel_delete(self, job_id: str) -> pb.VectorStoreDeleteJob:
        job_of_kind(self._jobs, job_id, DELETE, "Delete job")
        return self._delete_job(await self._jobs.cancel(job_id))

    def _delete_job(self, record: JobRecord) -> pb.VectorStoreDeleteJob:
        params, progress = record.params, record.progress
        job = pb.VectorStoreDeleteJob(
            id=record.id, status=BATCH_JOB_STATUS[record.state], vector_store_id=params["vector_store_id"],
            document_ids=params["document_ids"], documents_total=len(params["document_ids"]),
            documents_done=progress.get("documents_done", 0), chunks_deleted=progress.get("chunks_deleted", 0))
        return with_record_times(job, record)

    async def _run_delete(self, ctx: JobContext) -> dict:
        store_id = ctx.params["vector_store_id"]
        ids = ctx.params["document_ids"]
        generation = _generation(await self.get(store_id))
        done = deleted = missing = 0
        await ctx.report(documents_total=len(ids), documents_done=0, chunks_deleted=0)
        for document_id in ids:
            ctx.check_cancelled()
            removed = await finish_anyway(self._remove_document(store_id, generation, document_id))
            if removed is None:
                missing += 1
            else:
                deleted += removed
            done += 1
            await ctx.report(documents_done=done, chunks_deleted=deleted)
        await ctx.log(f"removed {done - missing} document(s), {deleted} chunk(s) from vector store '{store_id}'"
                      + (f"; {missing} were already gone" if missing else ""))
        return {"documents": done - missing, "chunks": deleted, "already_gone": missing}

    async def _remove_document(self, store_id: str, generation: int, document_id: str) -> Optional[int]:
        def write(txn: Transaction) -> Optional[tuple[int, int]]:
            value = txn.get(STORES, _id_bytes(store_id))
            record = None if value is None else pb.VectorStore.FromString(value)
            if record is None or _generation(record) != generation:
                raise FailedPrecondition(f"vector store '{store_id}' was dropped while the job ran")
            old = txn.get(DOCUMENTS, _doc_key(store_id, document_id))
            if old is None:
                return None
            txn.delete(DOCUMENTS, _doc_key(store_id, document_id))
            removed = txn.delete_prefix(CHUNKS, _chunks_prefix(store_id, document_id))
            record.document_count -= 1
            record.chunk_count -= removed
            txn.put(STORES, _id_bytes(store_id), record.SerializeToString())
            return removed, _next_revision(txn, store_id)

        async with self._lock(store_id):
            written = await asyncio.to_thread(self._store.write, write)
            if written is None:
                return None
            removed, revision = written
            loaded = self._current_index(store_id, generation, revision)
            if loaded is not None:
                await asyncio.to_thread(loaded.index.remove, document_id)
                loaded.metadata.pop(document_id, None)
        return removed

    def _current_index(self, store_id: str, generation: int, revision: int) -> Optional[_StoreIndex]:
        """The loaded index, moved to `revision` (the one this replica just wrote), if it was
        at the revision before; otherwise (another replica wrote between) it is dropped and
        the next query rebuilds it."""
        loaded = self._indexes.get(store_id)
        if loaded is None or loaded.generation != generation:
            return None
        if loaded.revision != revision - 1:
            del self._indexes[store_id]
            return None
        loaded.revision = revision
        return loaded

    # ---------------------------------------------------------------- search

    async def _index(self, store_id: str, record: pb.VectorStore) -> _StoreIndex:
        """The store's index, built from its stored chunks on first use."""
        generation = _generation(record)
        with self._store.read() as txn:
            revision = _revision(txn, store_id)  # other replicas' writes move it on
        loaded = self._indexes.get(store_id)
        if loaded is not None and (loaded.generation, loaded.revision) == (generation, revision):
            return loaded
        dimension = self._model(record.embedding_model).dimension
        async with self._lock(store_id):
            loaded = self._indexes.get(store_id)
            if loaded is not None and (loaded.generation, loaded.revision) == (generation, revision):
                return loaded
            loaded = await asyncio.to_thread(self._build_index, store_id, generation, dimension)
            if loaded is None:
                raise NotFound(f"Vector store '{store_id}' not found")
            self._indexes[store_id] = loaded
            return loaded

    def _build_index(self, store_id: str, generation: int, dimension: int) -> Optional[_StoreIndex]:
        index = VectorIndex(dimension, self._index_threshold)
        metadata: dict[str, dict[str, Any]] = {}
        with self._store.read() as txn:
            value = txn.get(STORES, _id_bytes(store_id))
            if value is None or _generation(pb.VectorStore.FromString(value)) != generation:
                return None
            revision = _revision(txn, store_id)
            for _, raw in txn.scan(DOCUMENTS, _docs_prefix(store_id)):
                document = json.loads(raw)
                metadata[document["document_id"]] = document.get("metadata") or {}

            def grouped():
                current, rows = None, []
                for key, chunk in txn.scan(CHUNKS, _chunks_prefix(store_id)):
                    document_id, _ = unpack_chunk_key(store_id, key)
                    if document_id != current and rows:
                        yield current, np.stack(rows)
                        rows = []
                    current = document_id
                    rows.append(unpack_chunk(chunk)[0])
                if rows:
                    yield current, np.stack(rows)

            index.add_many(grouped(), graph_in_background=True)
        return _StoreIndex(generation, revision, index, metadata)

    @traced("vector_store.search", lambda store_id, top_k, **_: {"vector_store_id": store_id, "top_k": top_k},
            result=lambda hits: {"results": len(hits)})
    async def search(self, store_id: str, query: str, top_k: int = DEFAULT_TOP_K,
                     filters: Optional[dict[str, Any]] = None, rerank_model: Optional[str] = None,
                     field_prefix: str = "") -> list[ChunkHit]:
        """The top_k chunks nearest to query (best first), among documents whose metadata
        passes the filters; with rerank_model, the nearest are reordered by that model."""
        record = await self.get(store_id)
        if not 1 <= top_k <= MAX_TOP_K:
            raise InvalidArgument(f"{field_prefix}top_k", f"must be between 1 and {MAX_TOP_K}, got {top_k}")
        for key, wanted in (filters or {}).items():
            values = wanted if isinstance(wanted, list) else [wanted]
            if any(isinstance(v, (dict, list)) for v in values):
                raise InvalidArgument(f"{field_prefix}filters.{key}",
                                      "must be a value (string, number, boolean, null) or a list of values")
        if rerank_model is not None:
            spec = self._registry().specs.get(rerank_model)
            if spec is None or spec.kind not in ("rerank", "embedding"):
                raise InvalidArgument(f"{field_prefix}rerank_model",
                                      f"'{rerank_model}' is not a registered rerank or embedding model")
        if not query.strip():
            raise InvalidArgument(f"{field_prefix}query", "must not be empty")
        self._model(record.embedding_model)
        vector = (await self._inference.embed(record.embedding_model, [query]))[0]
        loaded = await self._index(store_id, record)
        allowed = None
        if filters:
            allowed = [d for d, m in loaded.metadata.items() if matches(m, filters)]
        pool = top_k if rerank_model is None else min(max(top_k * RERANK_POOL, 20), max(200, top_k))
        hits = await asyncio.to_thread(loaded.index.search, vector, pool, allowed)
        results = await asyncio.to_thread(self._read_hits, store_id, hits, loaded.metadata)
        if rerank_model is not None and results:
            ranked = await self._inference.rerank(rerank_model, query, [r.content for r in results], top_k)
            results = [replace(results[i], score=float(score)) for i, score in ranked]
        return results[:top_k]

    def _read_hits(self, store_id: str, hits: list[Hit], metadata: dict[str, dict]) -> list[ChunkHit]:
        results = []
        with self._store.read() as txn:
            for hit in hits:
                value = txn.get(CHUNKS, _chunk_key(store_id, hit.document_id, hit.chunk_index))
                if value is None:  # removed since the index was read
                    continue
                results.append(ChunkHit(store_id, hit.document_id, hit.chunk_index, unpack_chunk(value)[1],
                                        hit.score, metadata.get(hit.document_id, {})))
        return results

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

    # ---------------------------------------------------------------- memory (agents)

    async def fetch_memories(self, bank_ids: Sequence[str], query: Optional[str],
                             top_k: int = MEMORY_TOP_K) -> agents_pb2.FetchMemoriesResponse:
        """Memory nuggets from memory banks (a bank is a vector store): the top_k chunks
        nearest to query over all the banks, or without a query the first top_k chunks in
        stored order."""
        if not bank_ids:
            raise InvalidArgument("bankIds", "name at least one memory bank (vector store id)")
        banks = list(dict.fromkeys(bank_ids))
        for bank in banks:
            await self.get(bank)
        nuggets: list[ChunkHit] = []
        if query is not None and query.strip():
            for bank in banks:
                nuggets += await self.search(bank, query, top_k)
            nuggets.sort(key=lambda h: h.score, reverse=True)
        else:
            nuggets = await asyncio.to_thread(self._first_chunks, banks, top_k)
        response = agents_pb2.FetchMemoriesResponse()
        for hit in nuggets[:top_k]:
            nugget = response.nuggets.add(id=f"{hit.document_id}#{hit.chunk_index}", bank_id=hit.vector_store_id,
                                          content=hit.content)
            if query is not None and query.strip():
                nugget.score = hit.score
        return response

    def _first_chunks(self, banks: list[str], limit: int) -> list[ChunkHit]:
        out: list[ChunkHit] = []
        with self._store.read() as txn:
            for bank in banks:
                for key, value in txn.scan(CHUNKS, _chunks_prefix(bank)):
                    if len(out) >= limit:
                        return out
                    document_id, index = unpack_chunk_key(bank, key)
                    out.append(ChunkHit(bank, document_id, index, unpack_chunk(value)[1], 0.0))
        return out

    # ---------------------------------------------------------------- start-up

    async def recover(self) -> None:
        """Drop the put-aside texts of jobs that ended (or never got submitted) while the
        server was down. Call after the job runner has started."""
        def sweep() -> int:
            with self._store.read() as txn:
                job_ids = {key.split(b"\0", 1)[0].decode("utf-8") for key, _ in txn.scan(PAYLOADS)}
            stale = []
            for job_id in job_ids:
                try:
                    if self._jobs.get(job_id).state.terminal:
                        stale.append(job_id)
                except NotFound:
                    stale.append(job_id)
            for job_id in stale:
                self._drop_payloads(job_id)
            return len(stale)

        swept = await asyncio.to_thread(sweep)
        if swept:
            log.info("dropped the document texts of %d finished insert job(s)", swept)

