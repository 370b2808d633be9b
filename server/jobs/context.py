"""What a job's work function gets: its parameters and progress, a work directory, and
the calls to report, log, store output rows, add artifacts and notice cancellation.

report, log, add_artifact, put_rows and `cancelled` may be called from the event loop
or from any worker thread; they queue a write (group commit) and return a `Written`
that can be awaited (event loop) or waited on (`.result()`, threads), or dropped. A job's
subprocess reaches the same calls through its channel (server/jobs/child.py)."""
from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from server.jobs import processes, tables
from server.jobs.records import Artifact, JobRecord, LogEntry
from server.jobs.writer import Written

if TYPE_CHECKING:
    from server.jobs.runner import JobRunner

KILL_AFTER = 2.0  # seconds a cancelled job's subprocess gets between SIGTERM and SIGKILL


class JobCancelled(Exception):
    """Raised inside a job's work when its cancellation is noticed."""


class JobContext:
    def __init__(self, runner: JobRunner, record: JobRecord, work_dir: Path):
        self._runner = runner
        self.job_id = record.id
        self.kind = record.kind
        self.params = record.params  # as submitted; never changes
        self.progress: dict[str, Any] = dict(record.progress)  # what was reported, also before a restart
        self.resumed = record.attempts > 1
        self.work_dir = work_dir
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._cancel_seen = asyncio.Event()
        self._groups: set[processes.ProcessGroup] = set()

    # ---------------------------------------------------------------- cancellation

    @property
    def cancelled(self) -> bool:
        """True once the job is cancelled or the server is stopping: stop soon."""
        return self._cancel.is_set()

    def check_cancelled(self) -> None:
        if self._cancel.is_set():
            raise JobCancelled()

    async def wait_cancelled(self) -> None:
        await self._cancel_seen.wait()

    def _request_cancel(self) -> None:  # event loop only
        self._cancel.set()
        self._cancel_seen.set()

    # ---------------------------------------------------------------- writes

    def report(self, **counters: Any) -> Written[dict]:
        """Merge counters (JSON values: done=3, total=10, loss=0.4) into the job's progress."""
        with self._lock:
            self.progress.update(counters)
        return self._runner._write(self.job_id, lambda txn: tables.merge_progress(txn, self.job_id, counters))

    def log(self, message: str) -> Written[LogEntry]:
        return self._runner._write(self.job_id, lambda txn: tables.append_log(txn, self.job_id, message))

    def add_artifact(self, name: str, path: str, **metadata: Any) -> Written[Artifact]:
        return self._runner._write(self.job_id,
                                   lambda txn: tables.add_artifact(txn, self.job_id, name, path, metadata))

    def put_rows(self, stream: str, rows: Mapping[int, bytes], **counters: Any) -> Written[None]:
        """Store output rows (index -> bytes, in `stream`) and progress counters in one
        transaction: after a crash, the progress never counts a row that is not stored."""
        rows = dict(rows)
        with self._lock:
            self.progress.update(counters)

        def write(txn):
            tables.put_rows(txn, self.job_id, stream, rows)
            if counters:
                tables.merge_progress(txn, self.job_id, counters)

        return self._runner._write(self.job_id, write)

    # ---------------------------------------------------------------- reads

    def rows(self, stream: str, start: int = 0, limit: int | None = None) -> list[tuple[int, bytes]]:
        return self._runner.rows(self.job_id, stream, start, limit)

    def row_indices(self, stream: str) -> set[int]:
        """Indices of the rows stored in stream: on a resume, the work already done."""
        with self._runner._store.read() as txn:
            return tables.row_indices(txn, self.job_id, stream)

    # ---------------------------------------------------------------- subprocesses

    async def run_subprocess(self, *argv: str, env: Mapping[str, str] | None = None, cwd: str | None = None,
                             kill_after: float = KILL_AFTER,
                             on_artifact: Callable[[Artifact], Awaitable[None]] | None = None) -> int:
        """Run a program as part of the job and return its exit code. It runs in its own
        process group, in the work dir unless cwd is given; its output lines go to the
        log; it reports through server/jobs/child.py. Cancelling the job (or stopping the
        server) sends SIGTERM to the group, then SIGKILL after kill_after seconds; a
        cancelled job's call raises JobCancelled. on_artifact(artifact) is awaited for each
        artifact the program adds, once stored; the call returns after the last of them."""
        return await processes.run(self, argv, env, cwd, kill_after, on_artifact)

    def _stop_processes(self, sig: int) -> None:
        for group in list(self._groups):
            group.signal(sig)

