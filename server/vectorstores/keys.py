"""How vector stores lie in the key-value store: tables, keys and values.

Five tables; ids never contain NUL (server/ids.py refuses control characters), so
``<id>\\0`` prefixes are exact:
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
"""
from __future__ import annotations

import asyncio
import struct

import numpy as np

from llamastack.vectorstore.v0 import vectorstore_pb2 as pb
from server.errors import FailedPrecondition, NotFound
from server.storage import KeyValueStore, Transaction

STORES, DOCUMENTS, CHUNKS, PAYLOADS = "vector_stores", "vector_documents", "vector_chunks", "vector_job_documents"
REVISIONS = "vector_revisions"
TABLES = (STORES, DOCUMENTS, CHUNKS, PAYLOADS, REVISIONS)

MAX_DOCUMENT_ID_LENGTH = 1024

_U32 = struct.Struct(">I")


# ---------------------------------------------------------------- keys


def store_key(store_id: str) -> bytes:
    return store_id.encode("utf-8")


def docs_prefix(store_id: str) -> bytes:
    return store_key(store_id) + b"\0"


def doc_key(store_id: str, document_id: str) -> bytes:
    return docs_prefix(store_id) + document_id.encode("utf-8")


def chunks_prefix(store_id: str, document_id: str | None = None) -> bytes:
    prefix = store_key(store_id) + b"\0"
    return prefix if document_id is None else prefix + document_id.encode("utf-8") + b"\0"


def chunk_key(store_id: str, document_id: str, index: int) -> bytes:
    return chunks_prefix(store_id, document_id) + _U32.pack(index)


def unpack_chunk_key(store_id: str, key: bytes) -> tuple[str, int]:
    rest = key[len(chunks_prefix(store_id)):]
    return rest[:-5].decode("utf-8"), _U32.unpack(rest[-4:])[0]


def payloads_prefix(job_id: str) -> bytes:
    return job_id.encode("utf-8") + b"\0"


def payload_key(job_id: str, index: int) -> bytes:
    return payloads_prefix(job_id) + _U32.pack(index)


# ---------------------------------------------------------------- values


def pack_chunk(vector: np.ndarray, text: str) -> bytes:
    vector = np.asarray(vector, dtype="<f4")
    return _U32.pack(len(vector)) + vector.tobytes() + text.encode("utf-8")


def unpack_chunk(value: bytes) -> tuple[np.ndarray, str]:
    (dimension,) = _U32.unpack_from(value)
    end = 4 + 4 * dimension
    return np.frombuffer(value, dtype="<f4", count=dimension, offset=4), value[end:].decode("utf-8")


def generation(record: pb.VectorStore) -> int:
    """Tells a store from an earlier one of the same id (dropped and created again)."""
    return record.created_at.seconds * 1_000_000_000 + record.created_at.nanos


def revision(reader: KeyValueStore | Transaction, store_id: str) -> int:
    return int.from_bytes(reader.get(REVISIONS, store_key(store_id)) or b"", "big")


def next_revision(txn: Transaction, store_id: str) -> int:
    """Counts one more chunk write to the store (in the transaction that makes it)."""
    value = revision(txn, store_id) + 1
    txn.put(REVISIONS, store_key(store_id), value.to_bytes(8, "big"))
    return value


def read_store(reader: KeyValueStore | Transaction, store_id: str) -> pb.VectorStore | None:
    """The store's record, from a KeyValueStore or a read or write transaction."""
    value = reader.get(STORES, store_key(store_id))
    return None if value is None else pb.VectorStore.FromString(value)


async def get_store(store: KeyValueStore, store_id: str) -> pb.VectorStore:
    """The store's record; NOT_FOUND if there is none."""
    record = await asyncio.to_thread(read_store, store, store_id)
    if record is None:
        raise NotFound(f"Vector store '{store_id}' not found")
    return record


def live_store(txn: Transaction, store_id: str, store_generation: int) -> pb.VectorStore:
    """Inside a job's write: the store the job started on, FAILED_PRECONDITION if it was
    dropped (or dropped and created again) since."""
    record = read_store(txn, store_id)
    if record is None or generation(record) != store_generation:
        raise FailedPrecondition(f"vector store '{store_id}' was dropped while the job ran")
    return record
