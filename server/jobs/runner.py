"""Durable, cancellable jobs.

A job is a record in the store (state, parameters, times, result, error) written before
`submit` returns, with its input rows when it has any; progress, log, output rows and
artifacts are stored beside it (server/jobs/tables.py). Work functions are registered per
kind and run as asyncio tasks, at most `concurrency` at a time per kind; the rest wait
queued. Each job gets a JobContext (server/jobs/context.py) and a work directory.

States: validating -> queued -> running -> completed | failed | cancelled. Each API maps
them to its own spec's status enum.

Cancel stops the work at its next check (`check_cancelled`, `wait_cancelled`, a
subprocess's SIGTERM) and the job ends `cancelled`. Stop (the server shutting down)
stops every job's work the same way but leaves its record running; on the next start a
job left queued is queued again, one left running is resumed if its kind says it can be
and otherwise fails with the reason, so no job stays "running" after a restart.
Waits (cancel, `wait`, `follow_logs`) are woken by the writes themselves, not polled.

On a store shared by several replicas (PostgreSQL), each job is held by the replica that
launched it, under a lease renewed every `poll_interval` (server/jobs/leases.py); a
replica takes over, as its own restart would, every unfinished job whose lease expired;
a cancel reaches the holder through the store; waits also poll, since other replicas'
writes wake nobody here.
"""
from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import shutil
import signal
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from server.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from server.jobs import leases, tables
from server.jobs.context import JobCancelled, JobContext
from server.jobs.records import UNFINISHED, Artifact, JobRecord, JobState, LogEntry
from server.jobs.writer import GroupWriter, Written
from server.storage import KeyValueStore
from server.storage.kv import Transaction
from server.telemetry.instrument import annotate, traced

log = logging.getLogger(__name__)


@dataclass
class _Kind:
    work: Callable[[JobContext], Awaitable[dict | None]]
    semaphore: asyncio.Semaphore
    resumable: bool


class JobRunner:
    def __init__(self, store: KeyValueStore, work_root: Path, *, lease_seconds: float = 10.0):
        """work_root: where each job gets its work directory (<work_root>/<job id>).
        lease_seconds: how long a job this replica holds stays its own without renewal."""
        self._store = store
        store.open_tables(*tables.TABLES, *leases.TABLES)
        self.owner = uuid.uuid4().hex
        self._lease_seconds = lease_seconds
        self._poll_interval = min(1.0, lease_seconds / 3)
        self._held: set[str] = set()  # launched here and not finished
        self._lost: set[str] = set()  # taken over by another replica while held here
        self._keeper: asyncio.Task | None = None
        self._work_root = Path(work_root)
        self._writer = GroupWriter(store)
        self._kinds: dict[str, _Kind] = {}
        self._contexts: dict[str, JobContext] = {}
        self._tasks: set[asyncio.Task] = set()
        self._changes: dict[str, asyncio.Event] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False

    def register(self, kind: str, work: Callable[[JobContext], Awaitable[dict | None]], *,
                 concurrency: int = 1, resumable: bool = False) -> None:
        """work(ctx) does the job and returns its result (a JSON-able dict) or None. A
        resumable kind's work is called again after a restart, with ctx.resumed set and
        ctx.progress and its stored rows as it left them."""
        self._kinds[kind] = _Kind(work, asyncio.Semaphore(concurrency), resumable)

    def work_dir(self, job_id: str) -> Path:
        return self._work_root / job_id

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Recover the jobs an earlier process left unfinished."""
        self._loop = asyncio.get_running_loop()
        reindexed = await self._write(None, _reindex_if_missing)
        if reindexed:
            log.info("indexed %d job(s) by kind and state", reindexed)
        await self._take_over()
        if self._store.shared:
            self._keeper = asyncio.create_task(self._keep_leases(), name="job leases")

    async def _take_over(self) -> None:
        """Claim every unfinished job that no live replica holds (at start: those an earlier
        process left) and recover it as a restart does."""
        with self._store.read() as txn:
            unfinished = [job_id for state in UNFINISHED for job_id in tables.ids_in_state(txn, state)]
        for job_id in unfinished:
            if job_id in self._held:
                continue
            record = self.get(job_id)
            kind = self._kinds.get(record.kind)
            if kind is None:
                reason = f"no handler for job kind {record.kind!r}"
                await self._finish(job_id, JobState.FAILED, f"failed: {reason}", claim=True, error=reason)
            elif record.state == JobState.RUNNING and not kind.resumable:
                await self._finish(job_id, JobState.FAILED, "failed: the server stopped while the job was running",
                                   claim=True, error="interrupted: the server stopped while the job was running")
            elif await self._transition(job_id, _to_queued, "queued again after a server restart", claim=True):
                self._launch(job_id)

    async def _keep_leases(self) -> None:
        """Shared store only: renew what this replica holds, pass it the cancels asked of
        other replicas, and take over the jobs of replicas that stopped renewing."""
        while True:
            await asyncio.sleep(self._poll_interval)
            held = list(self._held)
            expires = time.time() + self._lease_seconds
            lost, cancels = await self._write(None, functools.partial(leases.renew, job_ids=held, owner=self.owner,
                                                                      expires=expires))
            for job_id in lost:
                log.warning("job %s was taken over by another replica; stopping it here", job_id)
                self._lost.add(job_id)
            for job_id in [*lost, *cancels]:
                context = self._contexts.get(job_id)
                if context is not None:
                    context._request_cancel()
            await self._take_over()

    async def stop(self) -> None:
        """Stop every job's work (its subprocesses too) and wait for it. Their records stay
        as they are: the next start recovers them."""
        self._stopping = True
        held = list(self._held)  # before the tasks end and drop out of it
        if self._keeper is not None:
            self._keeper.cancel()
            await asyncio.gather(self._keeper, return_exceptions=True)
        contexts = list(self._contexts.values())
        for context in contexts:
            context._request_cancel()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for context in contexts:  # each subprocess ended with its task; this is in case one did not
            context._stop_processes(signal.SIGKILL)
        if self._store.shared:  # another replica may take these over now, not when the leases run out
            await self._write(None, functools.partial(leases.expire, job_ids=held, owner=self.owner))
        await asyncio.to_thread(self._writer.close)

    # ---------------------------------------------------------------- API

    async def submit(self, kind: str, params: dict[str, Any], job_id: str | None = None,
                     rows: Mapping[str, Iterable[bytes]] | None = None) -> JobRecord:
        """Store the job (with its input rows: stream -> values, indexed from 0) in one
        transaction, then queue it."""
        self._loop = asyncio.get_running_loop()
        if kind not in self._kinds:
            raise InvalidArgument("kind", f"unknown job kind {kind!r}")
        job_id = job_id or f"{kind}-{uuid.uuid4().hex}"
        record = JobRecord(id=job_id, kind=kind, state=JobState.QUEUED, params=params, created_at=time.time())
        expires = record.created_at + self._lease_seconds

        def write(txn: Transaction) -> bool:
            if not tables.insert(txn, record, rows):
                return False
            leases.claim(txn, job_id, self.owner, expires, record.created_at, shared=self._store.shared)
            tables.append_log(txn, job_id, f"submitted ({kind})")
            return True

        if not await self._write(job_id, write):
            raise AlreadyExists(f"Job '{job_id}' already exists")
        self._launch(job_id)
        return record

    def get(self, job_id: str) -> JobRecord:
        with self._store.read() as txn:
            record = tables.load(txn, job_id)
        if record is None:
            raise NotFound(f"Job '{job_id}' not found")
        return record

    def list(self, kind: str | None = None, states: Iterable[JobState] | None = None) -> list[JobRecord]:
        """Jobs of a kind (or all), in some states (or all), oldest first; read from the
        index, not by scanning every job."""
        with self._store.read() as txn:
            records = [tables.load(txn, job_id) for state in (states or JobState)
                       for job_id in tables.ids_in_state(txn, state, kind)]
        return sorted(records, key=lambda r: r.created_at)

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
            if await self._transition(job_id, _queued_to_cancelled, "cancelled before it started"):
                return self.get(job_id)
            context = self._contexts.get(job_id)
        if context is not None:
            context._request_cancel()
        elif self._store.shared:  # another replica runs it: its lease renewal passes the request on
            await self._write(job_id, lambda txn: leases.request_cancel(txn, job_id))
        return await self.wait(job_id)

    async def wait(self, job_id: str, timeout: float | None = None) -> JobRecord:
        """The job once it has ended."""
        return await self.wait_until(job_id, lambda record: record.state.terminal, timeout)

    async def wait_until(self, job_id: str, predicate: Callable[[JobRecord], bool],
                         timeout: float | None = None) -> JobRecord:
        """The job once predicate(record) holds (checked at each write to the job)."""
        async def until() -> JobRecord:
            while True:
                changed = self._changes.setdefault(job_id, asyncio.Event())
                record = self.get(job_id)
                if predicate(record):
                    return record
                await self._changed(changed)

        return await asyncio.wait_for(until(), timeout)

    def logs(self, job_id: str, after: int = -1) -> list[LogEntry]:
        self.get(job_id)
        with self._store.read() as txn:
            return tables.logs(txn, job_id, after)

    async def follow_logs(self, job_id: str) -> AsyncIterator[LogEntry]:
        """Every log entry of the job, then new ones as they come, until the job ends."""
        last = -1
        while True:
            changed = self._changes.setdefault(job_id, asyncio.Event())
            # The state is read before the entries: the last entry is written with the final
            # state, so an ended job's entries are all there to read. (Read after, the job
            # could end between the two reads, and its last entry would be lost.)
            ended = self.get(job_id).state.terminal
            entries = self.logs(job_id, last)
            if not entries:
                if ended:
                    return
                await self._changed(changed)
                continue
            for entry in entries:
                last = entry.seq
                yield entry

    def rows(self, job_id: str, stream: str, start: int = 0, limit: int | None = None) -> list[tuple[int, bytes]]:
        """(index, value) of the job's rows in stream, from index `start`, in index order."""
        with self._store.read() as txn:
            return tables.rows(txn, job_id, stream, start, limit)

    def artifacts(self, job_id: str) -> list[Artifact]:
        self.get(job_id)
        with self._store.read() as txn:
            return tables.artifacts(txn, job_id)

    async def delete(self, job_id: str) -> None:
        """Forget an ended job: its record, progress, log, rows, artifacts and work dir."""
        record = self.get(job_id)
        if not record.state.terminal:
            raise FailedPrecondition(f"Job '{job_id}' is {record.state.value}; cancel it before deleting it")
        def write(txn: Transaction) -> None:
            tables.delete(txn, job_id)
            leases.release(txn, job_id)

        await self._write(job_id, write)
        await asyncio.to_thread(shutil.rmtree, self.work_dir(job_id), True)

    # ---------------------------------------------------------------- internals

    def _write(self, job_id: str | None, work: Callable[[Transaction], Any]) -> Written:
        """Queue a write; once durable, wake whoever waits on the job."""
        written = self._writer.submit(work)
        loop = self._loop
        if job_id is not None and loop is not None:
            def wake(_):
                with contextlib.suppress(RuntimeError):  # the event loop is closed: nobody is waiting
                    loop.call_soon_threadsafe(self._wake, job_id)
            written.add_done_callback(wake)
        return written

    async def _changed(self, changed: asyncio.Event) -> None:
        """Until this process writes to the job, or (shared store) the next poll."""
        if not self._store.shared:
            await changed.wait()
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), self._poll_interval)

    def _wake(self, job_id: str) -> None:
        changed = self._changes.pop(job_id, None)
        if changed is not None:
            changed.set()

    def _launch(self, job_id: str) -> None:
        task = asyncio.create_task(self._run(job_id), name=f"job {job_id}")
        self._tasks.add(task)
        self._held.add(job_id)

        def done(_):
            self._tasks.discard(task)
            self._held.discard(job_id)
            self._lost.discard(job_id)

        task.add_done_callback(done)

    @traced("job.run", lambda job_id, **_: {"job_id": job_id})
    async def _run(self, job_id: str) -> None:
        record = self.get(job_id)
        annotate(job_kind=record.kind)
        kind = self._kinds[record.kind]
        async with kind.semaphore:
            if self.get(job_id).state.terminal:  # cancelled while queued
                return
            # Registered before the job is marked running, so that a cancel from now on
            # reaches the work (cancel() only marks a job without a context cancelled).
            context = JobContext(self, record, self.work_dir(job_id))
            self._contexts[job_id] = context
            try:
                started = await self._transition(job_id, _to_running, "running")
                if not started:  # cancelled while it was being started
                    return
                started = self.get(job_id)
                context.resumed, context.progress = started.attempts > 1, dict(started.progress)
                context.work_dir.mkdir(parents=True, exist_ok=True)
                context.check_cancelled()
                result = await kind.work(context)
            except JobCancelled:
                if not self._stopping and job_id not in self._lost:
                    await self._finish(job_id, JobState.CANCELLED, "cancelled")
            except asyncio.CancelledError:
                raise  # the server is stopping: the job is recovered on the next start
            except Exception as exc:
                if self._stopping or job_id in self._lost:
                    return  # most likely the stop itself; the job runs again on the next start (or replica)
                message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
                log.warning("job %s failed: %s", job_id, message, exc_info=not getattr(exc, "message", None))
                await self._finish(job_id, JobState.FAILED, f"failed: {message}", error=message)
            else:
                await self._finish(job_id, JobState.COMPLETED, "completed", result=result or {})
            finally:
                self._contexts.pop(job_id, None)

    def _transition(self, job_id: str, change: Callable[[JobRecord], bool], message: str, *,
                    claim: bool = False) -> Written[bool]:
        """Apply change to the record and log message, in one transaction, if change says so;
        with claim, only if the job is unfinished and this replica gets its lease."""
        now = time.time()

        def write(txn: Transaction) -> bool:
            record = tables.load(txn, job_id)
            previous = record.state
            if claim and (previous.terminal or not leases.claim(
                    txn, job_id, self.owner, now + self._lease_seconds, now, shared=self._store.shared)):
                return False
            if not change(record):
                return False
            tables.save(txn, record, previous)
            tables.append_log(txn, job_id, message)
            if record.state.terminal:
                leases.release(txn, job_id)
            return True

        return self._write(job_id, write)

    def _finish(self, job_id: str, state: JobState, message: str, *, claim: bool = False,
                **values: Any) -> Written[bool]:
        """The final state and the log line that says so, together: whoever follows the log
        sees that line before the job reads as ended."""
        annotate(job_state=state.value)

        def change(record: JobRecord) -> bool:
            record.state, record.finished_at = state, time.time()
            for key, value in values.items():
                setattr(record, key, value)
            return True

        return self._transition(job_id, change, message, claim=claim)


def _to_running(record: JobRecord) -> bool:
    if record.state.terminal:
        return False
    record.state, record.started_at, record.attempts = JobState.RUNNING, time.time(), record.attempts + 1
    return True


def _to_queued(record: JobRecord) -> bool:
    record.state = JobState.QUEUED
    return True


def _queued_to_cancelled(record: JobRecord) -> bool:
    if record.state not in (JobState.VALIDATING, JobState.QUEUED):
        return False
    record.state, record.finished_at = JobState.CANCELLED, time.time()
    return True


def _reindex_if_missing(txn: Transaction) -> int:
    if next(txn.scan(tables.STATES), None) is not None or next(txn.scan(tables.JOBS), None) is None:
        return 0
    return tables.reindex(txn)
