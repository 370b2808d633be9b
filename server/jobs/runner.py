"""Durable, cancellable jobs.

A job is a record in the store (state, progress counters, parameters, result, error)
written before `submit` returns, plus a log. Work functions are registered per kind and
run as asyncio tasks, at most `concurrency` at a time per kind; the rest wait queued.
Cancelling stops the work at its next check (a job's subprocess is terminated) and the
job ends `cancelled`. On start-up, a job left queued is queued again; one left running
is resumed if its kind says it can be, and otherwise fails with the reason, so no job
stays "running" after a crash.

States: validating -> queued -> running -> completed | failed | cancelled. Each API maps
them to its own spec's status enum.
"""
from __future__ import annotations

import asyncio
import enum
import json
import logging
import signal
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any, AsyncIterator, Awaitable, Callable, Optional

from server.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from server.storage import KeyValueStore

log = logging.getLogger(__name__)

JOBS, LOGS = "jobs", "job_logs"


class JobState(str, enum.Enum):
    VALIDATING = "validating"
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in (JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED)


@dataclass
class JobRecord:
    id: str
    kind: str
    state: JobState
    params: dict[str, Any]
    created_at: float
    started_at: Optional[float] = None
    finished_at: Optional[float] = None
    progress: dict[str, int] = field(default_factory=dict)
    result: dict[str, Any] = field(default_factory=dict)
    error: Optional[str] = None
    attempts: int = 0

    def to_bytes(self) -> bytes:
        return json.dumps({**asdict(self), "state": self.state.value}).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> "JobRecord":
        values = json.loads(data)
        values["state"] = JobState(values["state"])
        return cls(**values)


@dataclass
class LogEntry:
    seq: int
    timestamp: float
    message: str


class JobCancelled(Exception):
    """Raised inside a job's work when its cancellation is noticed."""


@dataclass
class _Kind:
    work: Callable[["JobContext"], Awaitable[dict | None]]
    semaphore: asyncio.Semaphore
    resumable: bool


class JobContext:
    """What a job's work function gets: its parameters, and ways to report and to notice
    cancellation. Work must keep stored data consistent at every `check_cancelled()`."""

    def __init__(self, runner: "JobRunner", record: JobRecord):
        self._runner = runner
        self.job_id = record.id
        self.params = record.params
        self.progress = dict(record.progress)
        self.resumed = record.attempts > 1
        self._cancel = asyncio.Event()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check_cancelled(self) -> None:
        if self._cancel.is_set():
            raise JobCancelled()

    async def log(self, message: str) -> None:
        await self._runner._append_log(self.job_id, message)

    async def report(self, **counters: int) -> None:
        """Set progress counters (e.g. documents_done=3, documents_total=10); stored at once."""
        self.progress.update(counters)
        await self._runner._update(self.job_id, progress=dict(self.progress))

    async def run_subprocess(self, *argv: str, **kwargs) -> int:
        """Run a program as part of the job; cancelling the job terminates it (then kills
        it after 5 s). Its output lines go to the job's log."""
        process = await asyncio.create_subprocess_exec(*argv, stdout=asyncio.subprocess.PIPE,
                                                       stderr=asyncio.subprocess.STDOUT, **kwargs)

        async def pump():
            async for line in process.stdout:
                await self.log(line.decode(errors="replace").rstrip())

        pumping = asyncio.create_task(pump())
        waiting = asyncio.create_task(process.wait())
        cancelled = asyncio.create_task(self._cancel.wait())
        await asyncio.wait({waiting, cancelled}, return_when=asyncio.FIRST_COMPLETED)
        if not waiting.done():
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(asyncio.shield(waiting), 5)
            except asyncio.TimeoutError:
                process.kill()
                await waiting
        cancelled.cancel()
        await pumping
        self.check_cancelled()
        return process.returncode


class JobRunner:
    def __init__(self, store: KeyValueStore):
        self._store = store
        store.open_tables(JOBS, LOGS)
        self._kinds: dict[str, _Kind] = {}
        self._contexts: dict[str, JobContext] = {}
        self._tasks: set[asyncio.Task] = set()
        self._log_waiters: dict[str, asyncio.Condition] = {}

    def register(self, kind: str, work: Callable[[JobContext], Awaitable[dict | None]], *,
                 concurrency: int = 1, resumable: bool = False) -> None:
        """work(ctx) does the job and returns its result (a JSON-able dict) or None."""
        self._kinds[kind] = _Kind(work, asyncio.Semaphore(concurrency), resumable)

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Recover the jobs an earlier process left unfinished."""
        for record in await asyncio.to_thread(self._all):
            if record.state.terminal:
                continue
            kind = self._kinds.get(record.kind)
            if kind is None:
                await self._finish(record.id, JobState.FAILED, error=f"no handler for job kind {record.kind!r}")
            elif record.state == JobState.RUNNING and not kind.resumable:
                await self._finish(record.id, JobState.FAILED,
                                   error="interrupted: the server stopped while the job was running")
                await self._append_log(record.id, "failed: the server stopped while the job was running")
            else:
                await self._update(record.id, state=JobState.QUEUED.value)
                await self._append_log(record.id, "queued again after a server restart")
                self._launch(record.id)

    async def stop(self) -> None:
        """Cancel running work (it is recovered on the next start) and wait for it."""
        for context in self._contexts.values():
            context._cancel.set()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # ---------------------------------------------------------------- API

    async def submit(self, kind: str, params: dict[str, Any], job_id: str | None = None) -> JobRecord:
        if kind not in self._kinds:
            raise InvalidArgument("kind", f"unknown job kind {kind!r}")
        job_id = job_id or f"{kind}-{uuid.uuid4().hex}"
        record = JobRecord(id=job_id, kind=kind, state=JobState.QUEUED, params=params, created_at=time.time())

        def write(txn) -> bool:
            return txn.put(JOBS, job_id.encode(), record.to_bytes(), overwrite=False)

        if not await asyncio.to_thread(self._store.write, write):
            raise AlreadyExists(f"Job '{job_id}' already exists")
        await self._append_log(job_id, f"submitted ({kind})")
        self._launch(job_id)
        return record

    def get(self, job_id: str) -> JobRecord:
        data = self._store.get(JOBS, job_id.encode())
        if data is None:
            raise NotFound(f"Job '{job_id}' not found")
        return JobRecord.from_bytes(data)

    def list(self, kind: str | None = None) -> list[JobRecord]:
        return [r for r in self._all() if kind is None or r.kind == kind]

    async def cancel(self, job_id: str) -> JobRecord:
        """Ask the job to stop; returns once it has (its state is then final)."""
        record = self.get(job_id)
        if record.state.terminal:
            if record.state == JobState.CANCELLED:
                return record
            raise FailedPrecondition(f"Job '{job_id}' already {record.state.value}; it cannot be cancelled")
        context = self._contexts.get(job_id)
        if context is None:
            # Queued: it has not started, so nothing needs undoing, unless it starts meanwhile.
            if await self._cancel_queued(job_id):
                await self._append_log(job_id, "cancelled before it started")
                return self.get(job_id)
            context = self._contexts.get(job_id)
        if context is not None:
            context._cancel.set()
        await self._wait_terminal(job_id)
        return self.get(job_id)

    def logs(self, job_id: str, after: int = -1) -> list[LogEntry]:
        self.get(job_id)
        with self._store.read() as txn:
            start = _log_key(job_id, after + 1)
            return [LogEntry(**json.loads(v)) for _, v in txn.scan(LOGS, job_id.encode() + b"\0", start=start)]

    async def follow_logs(self, job_id: str) -> AsyncIterator[LogEntry]:
        """Every log entry of the job, then new ones as they come, until the job ends."""
        last = -1
        condition = self._log_waiters.setdefault(job_id, asyncio.Condition())
        while True:
            async with condition:
                entries = self.logs(job_id, last)
                if not entries:
                    if self.get(job_id).state.terminal:
                        return
                    await condition.wait()
                    continue
            for entry in entries:
                last = entry.seq
                yield entry

    # ---------------------------------------------------------------- internals

    def _all(self) -> list[JobRecord]:
        with self._store.read() as txn:
            return [JobRecord.from_bytes(v) for _, v in txn.scan(JOBS)]

    def _launch(self, job_id: str) -> None:
        task = asyncio.create_task(self._run(job_id), name=f"job {job_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, job_id: str) -> None:
        record = self.get(job_id)
        kind = self._kinds[record.kind]
        async with kind.semaphore:
            record = self.get(job_id)
            if record.state.terminal:  # cancelled while queued
                return
            # Registered before the job is marked running, so that a cancel from now on
            # reaches the work (cancel() only marks a job without a context cancelled).
            context = JobContext(self, record)
            self._contexts[job_id] = context
            try:
                started = await self._start(job_id)
                if started is None:  # cancelled while it was being started
                    return
                context.resumed = started.attempts > 1
                await self._append_log(job_id, "running")
                context.check_cancelled()
                result = await kind.work(context)
            except JobCancelled:
                await self._finish(job_id, JobState.CANCELLED)
                await self._append_log(job_id, "cancelled")
            except asyncio.CancelledError:
                raise  # the server is stopping: the job is recovered on the next start
            except Exception as exc:
                message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
                log.warning("job %s failed: %s", job_id, message, exc_info=not getattr(exc, "message", None))
                await self._finish(job_id, JobState.FAILED, error=message)
                await self._append_log(job_id, f"failed: {message}")
            else:
                await self._finish(job_id, JobState.COMPLETED, result=result or {})
                await self._append_log(job_id, "completed")
            finally:
                self._contexts.pop(job_id, None)

    async def _start(self, job_id: str) -> Optional[JobRecord]:
        """queued -> running, in one transaction; None if the job was cancelled meanwhile."""
        def write(txn):
            record = JobRecord.from_bytes(txn.get(JOBS, job_id.encode()))
            if record.state.terminal:
                return None
            record.state, record.started_at, record.attempts = JobState.RUNNING, time.time(), record.attempts + 1
            txn.put(JOBS, job_id.encode(), record.to_bytes())
            return record

        return await asyncio.to_thread(self._store.write, write)

    async def _cancel_queued(self, job_id: str) -> bool:
        """queued -> cancelled, in one transaction; False if the job started meanwhile."""
        def write(txn):
            record = JobRecord.from_bytes(txn.get(JOBS, job_id.encode()))
            if record.state not in (JobState.VALIDATING, JobState.QUEUED):
                return False
            record.state, record.finished_at = JobState.CANCELLED, time.time()
            txn.put(JOBS, job_id.encode(), record.to_bytes())
            return True

        return await asyncio.to_thread(self._store.write, write)

    async def _wait_terminal(self, job_id: str) -> None:
        while not self.get(job_id).state.terminal:
            await asyncio.sleep(0.02)

    async def _finish(self, job_id: str, state: JobState, **values) -> None:
        await self._update(job_id, state=state.value, finished_at=time.time(), **values)

    async def _update(self, job_id: str, **values) -> None:
        def write(txn):
            record = JobRecord.from_bytes(txn.get(JOBS, job_id.encode()))
            for key, value in values.items():
                setattr(record, key, JobState(value) if key == "state" else value)
            txn.put(JOBS, job_id.encode(), record.to_bytes())

        await asyncio.to_thread(self._store.write, write)

    async def _append_log(self, job_id: str, message: str) -> None:
        def write(txn):
            last = next(txn.scan(LOGS, job_id.encode() + b"\0", reverse=True), None)
            seq = int.from_bytes(last[0][-8:], "big") + 1 if last else 0
            entry = LogEntry(seq=seq, timestamp=time.time(), message=message)
            txn.put(LOGS, _log_key(job_id, seq), json.dumps(asdict(entry)).encode())

        await asyncio.to_thread(self._store.write, write)
        condition = self._log_waiters.get(job_id)
        if condition is not None:
            async with condition:
                condition.notify_all()


def _log_key(job_id: str, seq: int) -> bytes:
    return job_id.encode() + b"\0" + seq.to_bytes(8, "big")
