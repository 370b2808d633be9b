"""Bounded polling: the one place tests wait for a state that has no event to await.

Tests synchronize on events where the code offers one (a stream's next message, a
future, a line a child prints); where it does not (a job's status, an engine's counter),
they poll here, with a bound, and fail with the last value seen rather than hang or sleep
a guessed time. Nothing here asserts how long anything took.

    wait_until(lambda: engine.active_requests == 0, timeout=10)
    job = wait_job(lambda: http.get("/v1/jobs/x").json())           # dict with "status"
    job = wait_job(lambda: stub.GetJob(request))                     # message with a status enum
    await wait_until_async(lambda: runner.get(job_id).state.terminal)
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")

DEFAULT_TIMEOUT = 10.0
DEFAULT_INTERVAL = 0.05

# Every job family's status names, lower-cased, its enum prefix dropped (BATCH_JOB_STATUS_COMPLETED,
# JOB_STATUS_COMPLETED, FINE_TUNING_JOB_STATUS_SUCCESS, JobState.COMPLETED, "completed").
TERMINAL_STATUSES = frozenset({"completed", "success", "succeeded", "failed", "cancelled", "canceled", "expired"})


def wait_until(predicate: Callable[[], T], timeout: float = DEFAULT_TIMEOUT, interval: float = DEFAULT_INTERVAL,
               message: str = "") -> T:
    """Calls predicate every interval seconds until it returns a truthy value, and returns that value.

    Raises AssertionError (with message and the last value) when timeout seconds pass first;
    the predicate is always tried once more at the deadline, so a slow machine fails only when
    the state really never came.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{message or 'condition'} not reached within {timeout}s (last: {value!r})")
        time.sleep(interval)


async def wait_until_async(predicate: Callable[[], T | Awaitable[T]], timeout: float = DEFAULT_TIMEOUT,
                           interval: float = 0.01, message: str = "") -> T:
    """wait_until for a running event loop: predicate may be a plain or an async callable."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if loop.time() >= deadline:
            raise AssertionError(f"{message or 'condition'} not reached within {timeout}s (last: {value!r})")
        await asyncio.sleep(interval)


def job_status(job: Any) -> str:
    """A job's status as a lower-case name: from a JSON dict's "status", a message's status enum
    (its type prefix dropped: BATCH_JOB_STATUS_RUNNING -> "running"), or an object's `state`/`status`
    string enum."""
    if isinstance(job, dict):
        return str(job["status"]).lower()
    descriptor = getattr(job, "DESCRIPTOR", None)
    if descriptor is not None:
        field = descriptor.fields_by_name["status"]
        if field.enum_type is None:
            return str(job.status).lower()
        name = field.enum_type.values_by_number[job.status].name
        return name.rsplit("STATUS_", 1)[-1].lower()
    state = getattr(job, "state", None) or job.status
    return str(getattr(state, "value", state)).lower()


def wait_job(fetch: Callable[[], T], timeout: float = 60.0, interval: float = DEFAULT_INTERVAL) -> T:
    """Polls fetch() (which reads a job: a JSON dict, a message or a job object) until the job is in a
    terminal status (completed, failed, cancelled...), and returns that last reading."""
    last: list[T] = []

    def terminal() -> bool:
        last[:] = [fetch()]
        return job_status(last[0]) in TERMINAL_STATUSES

    try:
        wait_until(terminal, timeout=timeout, interval=interval)
    except AssertionError:
        raise AssertionError(f"job still {job_status(last[0])} after {timeout}s: {last[0]!r}") from None
    return last[0]
