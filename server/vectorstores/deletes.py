"""Delete jobs: documents named at submission (each must be stored then), removed one at
a time by a job of the durable framework (kind ``vector_delete``). A document's chunks,
its record and the store's counts go in one transaction. Not resumable: one running when
the server dies ends `failed` at the next start (each document is then stored or gone,
whole)."""
from __future__ import annotations

import asyncio

from llamastack.vectorstore.v0 import vectorstore_pb2 as pb
from server import documents as docs
from server.errors import InvalidArgument, NotFound
from server.ids import check_id
from server.jobs import JobContext, JobRecord, JobRunner
from server.jobs.helpers import BATCH_JOB_STATUS, finish_anyway, job_of_kind, with_record_times
from server.storage import KeyValueStore, Transaction
from server.vectorstores import keys
from server.vectorstores.inserts import file_document_id
from server.vectorstores.search import Indexes

DELETE = "vector_delete"


class DeleteJobs:
    def __init__(self, store: KeyValueStore, jobs: JobRunner, indexes: Indexes):
        self._store = store
        self._jobs = jobs
        self._indexes = indexes
        jobs.register(DELETE, self._run, concurrency=2)

    async def submit(self, req: pb.SubmitVectorStoreDeleteJobRequest) -> pb.VectorStoreDeleteJob:
        store_id = req.vector_store_id
        await keys.get_store(self._store, store_id)
        named: list[tuple[str, str]] = []
        if req.HasField("file_path") and req.file_path.value:
            named.append(("file_path.value", file_document_id(docs.file_uri(req.file_path.value))))
        named += [(f"document_ids[{i}]", d) for i, d in enumerate(req.document_ids)]
        if not named:
            raise InvalidArgument("document_ids", "give at least one document id (or file_path)")

        def check() -> list[str]:
            ids: list[str] = []
            with self._store.read() as txn:
                for path, document_id in named:
                    check_id(document_id, path, keys.MAX_DOCUMENT_ID_LENGTH)
                    if txn.get(keys.DOCUMENTS, keys.doc_key(store_id, document_id)) is None:
                        raise NotFound(f"Document '{document_id}' not found in vector store '{store_id}'")
                    if document_id not in ids:
                        ids.append(document_id)
            return ids

        ids = await asyncio.to_thread(check)
        record = await self._jobs.submit(DELETE, {"vector_store_id": store_id, "document_ids": ids})
        return self._message(record)

    async def status(self, job_id: str) -> pb.VectorStoreDeleteJob:
        return self._message(job_of_kind(self._jobs, job_id, DELETE, "Delete job"))

    async def cancel(self, job_id: str) -> pb.VectorStoreDeleteJob:
        job_of_kind(self._jobs, job_id, DELETE, "Delete job")
        return self._message(await self._jobs.cancel(job_id))

    def _message(self, record: JobRecord) -> pb.VectorStoreDeleteJob:
        params, progress = record.params, record.progress
        job = pb.VectorStoreDeleteJob(
            id=record.id, status=BATCH_JOB_STATUS[record.state], vector_store_id=params["vector_store_id"],
            document_ids=params["document_ids"], documents_total=len(params["document_ids"]),
            documents_done=progress.get("documents_done", 0), chunks_deleted=progress.get("chunks_deleted", 0))
        return with_record_times(job, record)

    async def _run(self, ctx: JobContext) -> dict:
        store_id = ctx.params["vector_store_id"]
        ids = ctx.params["document_ids"]
        generation = keys.generation(await keys.get_store(self._store, store_id))
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

    async def _remove_document(self, store_id: str, generation: int, document_id: str) -> int | None:
        def write(txn: Transaction) -> tuple[int, int] | None:
            record = keys.live_store(txn, store_id, generation)
            if txn.get(keys.DOCUMENTS, keys.doc_key(store_id, document_id)) is None:
                return None
            txn.delete(keys.DOCUMENTS, keys.doc_key(store_id, document_id))
            removed = txn.delete_prefix(keys.CHUNKS, keys.chunks_prefix(store_id, document_id))
            record.document_count -= 1
            record.chunk_count -= removed
            txn.put(keys.STORES, keys.store_key(store_id), record.SerializeToString())
            return removed, keys.next_revision(txn, store_id)

        async with self._indexes.lock(store_id):
            written = await asyncio.to_thread(self._store.write, write)
            if written is None:
                return None
            removed, revision = written
            loaded = self._indexes.advance(store_id, generation, revision)
            if loaded is not None:
                await asyncio.to_thread(loaded.index.remove, document_id)
                loaded.metadata.pop(document_id, None)
        return removed
