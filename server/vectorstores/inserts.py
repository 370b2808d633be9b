"""Insert jobs: documents checked and read at submission (a bad one is refused then, with
the field named), their texts put aside in the store, then chunked, embedded and stored
by a job of the durable framework (kind ``vector_insert``).

A document's chunks, its record and the store's counts are written in one transaction, so
a cancel or a crash never leaves part of a document. Inserting a document id that is
already stored replaces it (in that same transaction), which makes a resubmitted job
idempotent. The job is not resumable: one running when the server dies ends `failed` at
the next start (the documents it stored stay, each whole).
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import numpy as np

from llamastack.vectorstore.v0 import vectorstore_pb2 as pb
from llamastack_grpc import struct_to_dict
from server import documents as docs
from server.errors import FailedPrecondition, InvalidArgument, NotFound
from server.ids import check_id
from server.jobs import JobContext, JobRecord, JobRunner
from server.jobs.helpers import BATCH_JOB_STATUS, finish_anyway, job_of_kind, until_cancelled, with_record_times
from server.storage import KeyValueStore, Transaction
from server.uris import FileAccess
from server.vectorstores import keys
from server.vectorstores.embedding import StoreModels
from server.vectorstores.search import Indexes

log = logging.getLogger(__name__)

INSERT = "vector_insert"
EMBED_BATCH = 32  # chunks per embedding call: the job notices a cancel between calls


@dataclass
class _Pending:
    """A document checked at submission, before its text is put aside for the job."""

    document_id: str
    text: str
    source: str
    mime_type: str
    fmt: str
    metadata: dict[str, Any]


def file_document_id(uri: str) -> str:
    """A file's document id: its normalized file:// URI (symlinks not resolved)."""
    path = unquote(urlsplit(uri).path)
    return Path(os.path.normpath(path)).as_uri() if path.startswith("/") else uri


class InsertJobs:
    def __init__(self, store: KeyValueStore, jobs: JobRunner, models: StoreModels, indexes: Indexes,
                 files: FileAccess):
        self._store = store
        self._jobs = jobs
        self._models = models
        self._indexes = indexes
        self._files = files
        jobs.register(INSERT, self._run, concurrency=2)

    # ---------------------------------------------------------------- API

    async def submit(self, req: pb.SubmitVectorStoreInsertJobRequest) -> pb.VectorStoreInsertJob:
        store_id = req.vector_store_id
        await keys.get_store(self._store, store_id)
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
        texts = [(keys.payload_key(job_id, i), p.text.encode("utf-8")) for i, p in enumerate(pending)]

        def write(txn: Transaction) -> None:
            for key, value in texts:
                txn.put(keys.PAYLOADS, key, value)

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
        return self._message(record)

    async def status(self, job_id: str) -> pb.VectorStoreInsertJob:
        return self._message(job_of_kind(self._jobs, job_id, INSERT, "Insert job"))

    async def cancel(self, job_id: str) -> pb.VectorStoreInsertJob:
        job_of_kind(self._jobs, job_id, INSERT, "Insert job")
        record = await self._jobs.cancel(job_id)
        await asyncio.to_thread(self._drop_payloads, job_id)  # cancelled while queued: the work never ran
        return self._message(record)

    async def recover(self) -> None:
        """Drop the put-aside texts of jobs that ended (or never got submitted) while the
        server was down. Call after the job runner has started."""
        def sweep() -> int:
            with self._store.read() as txn:
                job_ids = {key.split(b"\0", 1)[0].decode("utf-8") for key, _ in txn.scan(keys.PAYLOADS)}
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

    # ---------------------------------------------------------------- submission

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
                text, fmt, source = docs.load_uri(uri, mime_type, self._files, field_name=source_field,
                                                  mime_field=mime_field)
            if not text.strip():
                raise InvalidArgument(source_field, "holds no text to embed")
            id_field = f"{path}.document_id" if path.startswith("documents[") else path
            if fields.get("document_id") is not None:
                document_id = fields["document_id"]
                check_id(document_id, id_field, keys.MAX_DOCUMENT_ID_LENGTH)
            elif source.startswith("file:"):
                document_id = file_document_id(source)
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

    def _message(self, record: JobRecord) -> pb.VectorStoreInsertJob:
        params, progress = record.params, record.progress
        job = pb.VectorStoreInsertJob(
            id=record.id, status=BATCH_JOB_STATUS[record.state], vector_store_id=params["vector_store_id"],
            documents_total=len(params["documents"]), documents_done=progress.get("documents_done", 0),
            chunks_done=progress.get("chunks_done", 0),
            document_ids=[d["document_id"] for d in params["documents"]])
        if "content" in params:
            job.content = params["content"]
        return with_record_times(job, record)

    # ---------------------------------------------------------------- the job's work

    async def _run(self, ctx: JobContext) -> dict:
        try:
            return await self._insert(ctx)
        finally:
            await finish_anyway(asyncio.to_thread(self._drop_payloads, ctx.job_id))

    async def _insert(self, ctx: JobContext) -> dict:
        store_id = ctx.params["vector_store_id"]
        documents = ctx.params["documents"]
        record = await keys.get_store(self._store, store_id)
        generation = keys.generation(record)
        model_id = record.embedding_model
        self._models.served(model_id)
        chunker = self._models.chunker(model_id)
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
                vectors.append(await until_cancelled(ctx, self._models.embed(model_id, batch)))
            ctx.check_cancelled()
            matrix = np.concatenate(vectors) if vectors else np.zeros((0, 1), dtype=np.float32)
            await finish_anyway(self._store_document(store_id, generation, document, pieces, matrix, ctx.job_id))
            done += 1
            chunks_done += len(pieces)
            await ctx.report(documents_done=done, chunks_done=chunks_done)
        await ctx.log(f"stored {done} document(s), {chunks_done} chunk(s) in vector store '{store_id}'")
        return {"documents": done, "chunks": chunks_done}

    def _payload(self, job_id: str, index: int) -> str:
        value = self._store.get(keys.PAYLOADS, keys.payload_key(job_id, index))
        if value is None:
            raise FailedPrecondition(f"the text of document {index} of job '{job_id}' is gone")
        return value.decode("utf-8")

    def _drop_payloads(self, job_id: str) -> None:
        self._store.write(lambda txn: txn.delete_prefix(keys.PAYLOADS, keys.payloads_prefix(job_id)))

    async def _store_document(self, store_id: str, generation: int, document: dict, pieces: list[str],
                              matrix: np.ndarray, job_id: str) -> None:
        document_id = document["document_id"]
        values = [keys.pack_chunk(vector, piece) for vector, piece in zip(matrix, pieces, strict=True)]
        doc_record = json.dumps({**document, "chunk_count": len(values), "job_id": job_id,
                                 "inserted_at": time.time()}).encode()

        def write(txn: Transaction) -> int:
            record = keys.live_store(txn, store_id, generation)
            old = txn.get(keys.DOCUMENTS, keys.doc_key(store_id, document_id))
            old_chunks = json.loads(old)["chunk_count"] if old is not None else 0
            if old is not None:
                txn.delete_prefix(keys.CHUNKS, keys.chunks_prefix(store_id, document_id))
            for index, chunk in enumerate(values):
                txn.put(keys.CHUNKS, keys.chunk_key(store_id, document_id, index), chunk)
            txn.put(keys.DOCUMENTS, keys.doc_key(store_id, document_id), doc_record)
            record.document_count += 0 if old is not None else 1
            record.chunk_count += len(values) - old_chunks
            txn.put(keys.STORES, keys.store_key(store_id), record.SerializeToString())
            return keys.next_revision(txn, store_id)

        async with self._indexes.lock(store_id):
            revision = await asyncio.to_thread(self._store.write, write)
            loaded = self._indexes.advance(store_id, generation, revision)
            if loaded is not None:
                await asyncio.to_thread(loaded.index.add, document_id, matrix)
                loaded.metadata[document_id] = document.get("metadata") or {}
