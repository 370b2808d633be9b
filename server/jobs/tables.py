"""The job tables and their key layouts; every function here works inside one store
transaction, so that callers can combine them (a line's output rows with the progress
that counts them, a state change with its index entry).

    jobs           <job id>                                  -> JobRecord (no progress)
    job_progress   <job id>                                  -> JSON counters
    job_states     <state>\\0<kind>\\0<created µs, 8 bytes>\\0<job id> -> b""   (listing by kind and state)
    job_logs       <job id>\\0<seq, 8 bytes>                  -> LogEntry JSON
    job_rows       <job id>\\0<stream>\\0<index, 8 bytes>      -> bytes        (a job's inputs and outputs)
    job_artifacts  <job id>\\0<seq, 8 bytes>                  -> Artifact JSON
"""
from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict
from typing import Any

from server.jobs.records import Artifact, JobRecord, JobState, LogEntry
from server.storage.kv import Transaction

JOBS, PROGRESS, STATES, LOGS, ROWS, ARTIFACTS = (
    "jobs", "job_progress", "job_states", "job_logs", "job_rows", "job_artifacts")
TABLES = (JOBS, PROGRESS, STATES, LOGS, ROWS, ARTIFACTS)


def _u64(value: int) -> bytes:
    return value.to_bytes(8, "big")


def _state_key(record: JobRecord, state: JobState | None = None) -> bytes:
    state = state or record.state
    return b"\0".join([state.value.encode(), record.kind.encode(), _u64(int(record.created_at * 1e6)),
                       record.id.encode()])


def _seq_key(job_id: str, seq: int) -> bytes:
    return job_id.encode() + b"\0" + _u64(seq)


def _rows_prefix(job_id: str, stream: str) -> bytes:
    return job_id.encode() + b"\0" + stream.encode() + b"\0"


# ---------------------------------------------------------------- records


def insert(txn: Transaction, record: JobRecord, rows: Mapping[str, Iterable[bytes]] | None = None) -> bool:
    """A new job with its input rows (indexed from 0); False if the id is taken."""
    if not txn.put(JOBS, record.id.encode(), record.to_bytes(), overwrite=False):
        return False
    txn.put(STATES, _state_key(record), b"")
    for stream, values in (rows or {}).items():
        put_rows(txn, record.id, stream, dict(enumerate(values)))
    return True


def load(txn: Transaction, job_id: str) -> JobRecord | None:
    data = txn.get(JOBS, job_id.encode())
    if data is None:
        return None
    return JobRecord.from_bytes(data, txn.get(PROGRESS, job_id.encode()))


def save(txn: Transaction, record: JobRecord, previous: JobState) -> None:
    """Write the record (never its progress) and move its index entry if its state changed."""
    txn.put(JOBS, record.id.encode(), record.to_bytes())
    if previous != record.state:
        txn.delete(STATES, _state_key(record, previous))
        txn.put(STATES, _state_key(record), b"")


def ids_in_state(txn: Transaction, state: JobState, kind: str | None = None) -> Iterator[str]:
    """Job ids in this state (of this kind), oldest first within a kind."""
    prefix = state.value.encode() + b"\0" + (kind.encode() + b"\0" if kind is not None else b"")
    for key, _ in txn.scan(STATES, prefix):
        yield key.rsplit(b"\0", 1)[1].decode()


def reindex(txn: Transaction) -> int:
    """Rebuild job_states from the records, and move progress kept inline into
    job_progress (a store written before either table existed)."""
    txn.delete_prefix(STATES, b"")
    count = 0
    for key, value in txn.scan(JOBS):
        record = JobRecord.from_bytes(value, txn.get(PROGRESS, key))
        txn.put(STATES, _state_key(record), b"")
        if record.progress:
            txn.put(PROGRESS, key, json.dumps(record.progress).encode())
        count += 1
    return count


def delete(txn: Transaction, job_id: str) -> None:
    record = load(txn, job_id)
    if record is None:
        return
    txn.delete(JOBS, job_id.encode())
    txn.delete(PROGRESS, job_id.encode())
    txn.delete(STATES, _state_key(record))
    for table in (LOGS, ROWS, ARTIFACTS):
        txn.delete_prefix(table, job_id.encode() + b"\0")


# ---------------------------------------------------------------- progress, logs, artifacts


def merge_progress(txn: Transaction, job_id: str, counters: Mapping[str, Any]) -> dict[str, Any]:
    stored = txn.get(PROGRESS, job_id.encode())
    progress = {**(json.loads(stored) if stored is not None else {}), **counters}
    txn.put(PROGRESS, job_id.encode(), json.dumps(progress).encode())
    return progress


def _next_seq(txn: Transaction, table: str, job_id: str) -> int:
    last = next(txn.scan(table, job_id.encode() + b"\0", reverse=True), None)
    return int.from_bytes(last[0][-8:], "big") + 1 if last else 0


def append_log(txn: Transaction, job_id: str, message: str) -> LogEntry:
    entry = LogEntry(seq=_next_seq(txn, LOGS, job_id), timestamp=time.time(), message=message)
    txn.put(LOGS, _seq_key(job_id, entry.seq), json.dumps(asdict(entry)).encode())
    return entry


def logs(txn: Transaction, job_id: str, after: int = -1) -> list[LogEntry]:
    return [LogEntry(**json.loads(v))
            for _, v in txn.scan(LOGS, job_id.encode() + b"\0", start=_seq_key(job_id, after + 1))]


def add_artifact(txn: Transaction, job_id: str, name: str, path: str, metadata: Mapping[str, Any]) -> Artifact:
    artifact = Artifact(seq=_next_seq(txn, ARTIFACTS, job_id), name=name, path=path, created_at=time.time(),
                        metadata=dict(metadata))
    txn.put(ARTIFACTS, _seq_key(job_id, artifact.seq), json.dumps(asdict(artifact)).encode())
    return artifact


def artifacts(txn: Transaction, job_id: str) -> list[Artifact]:
    return [Artifact(**json.loads(v)) for _, v in txn.scan(ARTIFACTS, job_id.encode() + b"\0")]


# ---------------------------------------------------------------- rows


def put_rows(txn: Transaction, job_id: str, stream: str, rows: Mapping[int, bytes]) -> None:
    prefix = _rows_prefix(job_id, stream)
    for index, value in rows.items():
        txn.put(ROWS, prefix + _u64(index), value)


def rows(txn: Transaction, job_id: str, stream: str, start: int = 0,
         limit: int | None = None) -> list[tuple[int, bytes]]:
    prefix = _rows_prefix(job_id, stream)
    out = []
    for key, value in txn.scan(ROWS, prefix, start=prefix + _u64(start)):
        if limit is not None and len(out) >= limit:
            break
        out.append((int.from_bytes(key[-8:], "big"), value))
    return out


def row_indices(txn: Transaction, job_id: str, stream: str) -> set[int]:
    return {int.from_bytes(key[-8:], "big") for key, _ in txn.scan(ROWS, _rows_prefix(job_id, stream))}
