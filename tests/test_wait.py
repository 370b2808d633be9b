"""The shared polling helper: returns what it waited for, fails with the last value seen, reads every job shape."""

import itertools

import pytest

from _wait import job_status, wait_job, wait_until, wait_until_async
from llamastack.vectorstore.v0 import vectorstore_pb2 as pb
from server.jobs.runner import JobState


def test_wait_until_returns_the_first_truthy_value():
    counter = itertools.count()
    assert wait_until(lambda: next(counter) >= 3 and "ready", interval=0) == "ready"


def test_wait_until_fails_with_the_last_value_seen():
    with pytest.raises(AssertionError, match=r"engine idle not reached within 0.05s \(last: \[\]\)"):
        wait_until(lambda: [], timeout=0.05, message="engine idle")


async def test_wait_until_async_awaits_async_predicates():
    counter = itertools.count()

    async def ready():
        return next(counter) == 2

    assert await wait_until_async(ready, interval=0) is True
    with pytest.raises(AssertionError):
        await wait_until_async(lambda: False, timeout=0.02)


class _Job:
    def __init__(self, state):
        self.state = state


def test_job_status_reads_dicts_messages_and_job_objects():
    assert job_status({"status": "in_progress"}) == "in_progress"
    assert job_status(pb.VectorStoreInsertJob(status=3)) == "completed"  # BATCH_JOB_STATUS_COMPLETED
    assert job_status(_Job(JobState.RUNNING)) == "running"


def test_wait_job_returns_the_terminal_reading_and_names_a_stuck_status():
    readings = iter([{"status": "validating"}, {"status": "running"}, {"status": "failed", "error": "x"}])
    assert wait_job(lambda: next(readings), interval=0) == {"status": "failed", "error": "x"}
    with pytest.raises(AssertionError, match="job still running"):
        wait_job(lambda: {"status": "running"}, timeout=0.05)
