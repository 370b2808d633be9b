"""What every job API shares around the runner: its record shown as a job message (the
draft's common status enum, times, error), a lookup that tells one job kind from another,
and the two ways a job's work awaits (give up on cancel; finish a commit regardless)."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from google.protobuf import timestamp_pb2

from llamastack.common.v0 import common_pb2 as v0
from server.errors import NotFound
from server.jobs.context import JobCancelled, JobContext
from server.jobs.records import JobRecord, JobState
from server.jobs.runner import JobRunner

T = TypeVar("T")

# The draft's common BatchJobStatus (vector store jobs, batch inference, reward scoring,
# synthetic data generation).
BATCH_JOB_STATUS = {
    JobState.VALIDATING: v0.BATCH_JOB_STATUS_VALIDATING,
    JobState.QUEUED: v0.BATCH_JOB_STATUS_VALIDATING,  # accepted, not yet running: the draft's first state
    JobState.RUNNING: v0.BATCH_JOB_STATUS_RUNNING,
    JobState.COMPLETED: v0.BATCH_JOB_STATUS_COMPLETED,
    JobState.FAILED: v0.BATCH_JOB_STATUS_FAILED,
    JobState.CANCELLED: v0.BATCH_JOB_STATUS_CANCELLED,
}


def timestamp(seconds: float) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromNanoseconds(int(seconds * 1e9))
    return ts


def with_record_times(job, record: JobRecord):
    """Fills what every job message takes from its record: error, created_at, finished_at."""
    if record.error:
        job.error = record.error
    job.created_at.CopyFrom(timestamp(record.created_at))
    if record.finished_at is not None:
        job.finished_at.CopyFrom(timestamp(record.finished_at))
    return job


def job_of_kind(runner: JobRunner, job_id: str, kind: str, noun: str) -> JobRecord:
    """The job's record; NOT_FOUND ("<noun> '<id>' not found") if there is none or it is
    of another kind, so one API never shows another's jobs."""
    try:
        record = runner.get(job_id)
    except NotFound:
        record = None
    if record is None or record.kind != kind:
        raise NotFound(f"{noun} '{job_id}' not found")
    return record


async def until_cancelled(ctx: JobContext, awaitable: Awaitable[T]) -> T:
    """Await, but give up (JobCancelled) as soon as the job is cancelled: a cancel need not
    wait for a long embedding batch or tokenization, whose result is then dropped."""
    task = asyncio.ensure_future(awaitable)
    cancelled = asyncio.ensure_future(ctx.wait_cancelled())
    try:
        await asyncio.wait({task, cancelled}, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            return task.result()
        raise JobCancelled()
    finally:
        cancelled.cancel()
        if not task.done():
            task.cancel()


async def finish_anyway(awaitable: Awaitable[T]) -> T:
    """Run to the end even if the caller is cancelled (server stopping): a commit and the
    index update after it go together, and the store must not close under a write."""
    task = asyncio.ensure_future(awaitable)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        if not task.done():
            await asyncio.wait({task})
        raise
