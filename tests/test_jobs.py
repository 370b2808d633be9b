"""Unit tests of the durable job framework (server/jobs/runner.py) on a real store (each
test on LMDB and on PostgreSQL):
bounded concurrency per kind, cancel (queued, running, racing the start, with a
subprocess), logs and follow_logs, and recovery after a restart."""
from __future__ import annotations

import asyncio
import os
import sys

import pytest

from _wait import wait_until_async
from server.errors import FailedPrecondition, InvalidArgument, NotFound
from server.jobs import JobCancelled, JobRunner, JobState
from server.storage import KeyValueStore


def make_runner(store: KeyValueStore, tmp_path) -> JobRunner:
    return JobRunner(store, tmp_path / "jobs")


@pytest.fixture
def store(open_store):
    return open_store()


async def wait_state(runner: JobRunner, job_id: str, *states: JobState, timeout: float = 10) -> JobState:
    def reached():
        state = runner.get(job_id).state
        return state if state in states else None

    return await wait_until_async(reached, timeout=timeout, message=f"job {job_id} {[s.value for s in states]}")


async def test_submit_runs_the_work_and_stores_its_result(store, tmp_path):
    runner = make_runner(store, tmp_path)

    async def work(ctx):
        await ctx.report(done=1, total=1)
        return {"answer": ctx.params["x"] * 2}

    runner.register("double", work)
    await runner.start()
    record = await runner.submit("double", {"x": 21})
    assert record.state == JobState.QUEUED and record.id.startswith("double-")
    await wait_state(runner, record.id, JobState.COMPLETED)
    done = runner.get(record.id)
    assert done.result == {"answer": 42}
    assert done.progress == {"done": 1, "total": 1}
    assert done.attempts == 1 and done.started_at and done.finished_at >= done.started_at
    assert [r.id for r in runner.list("double")] == [record.id]
    with pytest.raises(InvalidArgument):
        await runner.submit("nope", {})
    with pytest.raises(NotFound):
        runner.get("missing")
    await runner.stop()


async def test_failed_work_records_the_error(store, tmp_path):
    runner = make_runner(store, tmp_path)

    async def work(ctx):
        raise ValueError("bad input")

    runner.register("boom", work)
    record = await runner.submit("boom", {})
    await wait_state(runner, record.id, JobState.FAILED)
    assert runner.get(record.id).error == "ValueError: bad input"
    assert runner.logs(record.id)[-1].message == "failed: ValueError: bad input"
    with pytest.raises(FailedPrecondition):
        await runner.cancel(record.id)


async def test_concurrency_is_bounded_per_kind(store, tmp_path):
    runner = make_runner(store, tmp_path)
    running, peak = {"a": 0, "b": 0}, {"a": 0, "b": 0}
    release = asyncio.Event()

    def make(kind):
        async def work(ctx):
            running[kind] += 1
            peak[kind] = max(peak[kind], running[kind])
            await release.wait()
            running[kind] -= 1
        return work

    runner.register("a", make("a"), concurrency=2)
    runner.register("b", make("b"), concurrency=1)
    jobs = [await runner.submit("a", {}) for _ in range(5)] + [await runner.submit("b", {}) for _ in range(3)]
    await wait_until_async(lambda: running == {"a": 2, "b": 1}, message="both kinds at their bound")
    states = [runner.get(j.id).state for j in jobs]
    assert states[:5].count(JobState.RUNNING) == 2 and states[:5].count(JobState.QUEUED) == 3
    assert states[5:].count(JobState.RUNNING) == 1 and states[5:].count(JobState.QUEUED) == 2
    release.set()
    for job in jobs:
        await wait_state(runner, job.id, JobState.COMPLETED)
    assert peak == {"a": 2, "b": 1}


async def test_cancel_a_queued_job_never_runs_it(store, tmp_path):
    runner = make_runner(store, tmp_path)
    release = asyncio.Event()
    ran = []

    async def work(ctx):
        ran.append(ctx.job_id)
        await release.wait()

    runner.register("k", work, concurrency=1)  # one slot: jobs start in order
    first = await runner.submit("k", {})
    second = await runner.submit("k", {})
    await wait_state(runner, first.id, JobState.RUNNING)
    cancelled = await runner.cancel(second.id)
    assert cancelled.state == JobState.CANCELLED and cancelled.finished_at
    assert runner.logs(second.id)[-1].message == "cancelled before it started"
    assert (await runner.cancel(second.id)).state == JobState.CANCELLED  # idempotent
    release.set()
    await wait_state(runner, first.id, JobState.COMPLETED)
    third = await runner.submit("k", {})  # starts only once the slot is past the cancelled one
    await wait_state(runner, third.id, JobState.COMPLETED)
    assert ran == [first.id, third.id]
    assert runner.get(second.id).state == JobState.CANCELLED


async def test_cancel_a_running_job_stops_it_at_its_next_check(store, tmp_path):
    runner = make_runner(store, tmp_path)
    steps = []
    ended = asyncio.Event()

    async def work(ctx):
        try:
            for i in range(10_000):
                ctx.check_cancelled()
                steps.append(i)
                await asyncio.sleep(0.01)  # the work's own pace: it checks between steps
        finally:
            ended.set()

    runner.register("loop", work)
    record = await runner.submit("loop", {})
    await wait_until_async(lambda: len(steps) >= 3, message="a few steps")
    cancelled = await runner.cancel(record.id)
    assert cancelled.state == JobState.CANCELLED
    assert ended.is_set()  # the work has ended when cancel returns: nothing of it runs afterwards
    assert len(steps) < 10_000
    assert runner.logs(record.id)[-1].message == "cancelled"


async def test_cancel_racing_the_start_of_a_queued_job_never_lets_it_complete(store, tmp_path):
    runner = make_runner(store, tmp_path)
    completed = []

    async def work(ctx):
        await asyncio.sleep(0.05)  # the work's duration, which the cancel below races
        ctx.check_cancelled()  # the job's one check: a cancel that reached it stops it here
        completed.append(ctx.job_id)

    runner.register("race", work, concurrency=1)
    for _ in range(15):
        holder = await runner.submit("race", {})  # holds the kind's only slot ...
        await wait_state(runner, holder.id, JobState.RUNNING)
        victim = await runner.submit("race", {})  # ... so this one waits queued
        # Cancel it about as the slot frees: not a synchronization, the race under test (its
        # outcome may fall either side; the invariant below holds for both).
        await asyncio.sleep(0.05)  # the race under test, see above
        record = await runner.cancel(victim.id)
        assert record.state == JobState.CANCELLED
        await wait_state(runner, holder.id, JobState.COMPLETED)
    last = await runner.submit("race", {})  # runs after any victim that did start has ended
    await wait_state(runner, last.id, JobState.COMPLETED)
    cancelled = [r.id for r in runner.list("race") if r.state == JobState.CANCELLED]
    assert len(cancelled) == 15
    assert not set(completed) & set(cancelled)


async def test_cancel_terminates_the_jobs_subprocess(store, tmp_path):
    runner = make_runner(store, tmp_path)
    pid_file = tmp_path / "pid"

    async def work(ctx):  # a child that would sleep a minute: the cancel must end it
        code = (f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); "
                "print('child started', flush=True); time.sleep(60)")  # the child's sleep, not the test's
        await ctx.run_subprocess(sys.executable, "-c", code)

    runner.register("proc", work)
    record = await runner.submit("proc", {})
    await wait_until_async(lambda: any(e.message == "child started" for e in runner.logs(record.id)), timeout=10,
                           message="the subprocess to start")
    pid = int(pid_file.read_text())
    cancelled = await runner.cancel(record.id)
    assert cancelled.state == JobState.CANCELLED
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # terminated and reaped


async def test_logs_and_follow_logs(store, tmp_path):
    runner = make_runner(store, tmp_path)
    go = asyncio.Event()

    async def work(ctx):
        await ctx.log("first")
        await go.wait()
        await ctx.log("second")
        return {}

    runner.register("talk", work)
    record = await runner.submit("talk", {})
    followed = []

    async def follow():
        async for entry in runner.follow_logs(record.id):
            followed.append(entry.message)

    follower = asyncio.create_task(follow())
    await wait_until_async(lambda: "first" in followed, message="the first log line followed")
    assert followed == ["submitted (talk)", "running", "first"]
    go.set()
    await asyncio.wait_for(follower, 5)  # ends by itself once the job is over
    assert followed == ["submitted (talk)", "running", "first", "second", "completed"]
    entries = runner.logs(record.id)
    assert [e.seq for e in entries] == list(range(5))
    assert [e.message for e in runner.logs(record.id, after=2)] == ["second", "completed"]
    with pytest.raises(NotFound):
        runner.logs("missing")


async def test_restart_fails_running_jobs_requeues_queued_ones_and_resumes_resumable_kinds(open_store, tmp_path):
    store = open_store()
    runner = make_runner(store, tmp_path)
    forever = asyncio.Event()

    async def slow(ctx):
        await ctx.report(step=1)
        await forever.wait()

    runner.register("slow", slow, concurrency=1)
    runner.register("resumable", slow, concurrency=1, resumable=True)
    running = await runner.submit("slow", {})
    queued = await runner.submit("slow", {"n": 2})
    resumable = await runner.submit("resumable", {"n": 3})
    await wait_state(runner, running.id, JobState.RUNNING)
    await wait_state(runner, resumable.id, JobState.RUNNING)
    await wait_until_async(lambda: runner.get(resumable.id).progress == {"step": 1}, message="the progress report")
    # What a crash leaves: stop() abandons the tasks without touching their records.
    await runner.stop()
    assert runner.get(running.id).state == JobState.RUNNING
    assert runner.get(queued.id).state == JobState.QUEUED
    store.close()

    store = open_store()
    restarted = make_runner(store, tmp_path)
    seen = {}

    async def finish(ctx):
        seen[ctx.job_id] = (ctx.resumed, dict(ctx.progress), ctx.params)
        return {"ok": True}

    restarted.register("slow", finish)
    restarted.register("resumable", finish, resumable=True)
    await restarted.start()
    failed = restarted.get(running.id)
    assert failed.state == JobState.FAILED
    assert "interrupted" in failed.error and failed.finished_at
    assert restarted.logs(running.id)[-1].message.startswith("failed: the server stopped")
    assert await wait_state(restarted, queued.id, JobState.COMPLETED) == JobState.COMPLETED
    assert await wait_state(restarted, resumable.id, JobState.COMPLETED) == JobState.COMPLETED
    assert seen[queued.id] == (False, {}, {"n": 2})
    assert seen[resumable.id] == (True, {"step": 1}, {"n": 3})  # resumed with its progress
    assert restarted.get(resumable.id).attempts == 2
    assert "queued again after a server restart" in [e.message for e in restarted.logs(queued.id)]
    assert running.id not in seen
    await restarted.stop()
    store.close()


async def test_restart_fails_jobs_of_an_unknown_kind(open_store, tmp_path):
    store = open_store()
    runner = make_runner(store, tmp_path)
    never = asyncio.Event()

    async def work(ctx):
        await never.wait()

    runner.register("gone", work)
    record = await runner.submit("gone", {})
    await wait_state(runner, record.id, JobState.RUNNING)
    await runner.stop()
    restarted = make_runner(store, tmp_path)
    await restarted.start()
    assert restarted.get(record.id).state == JobState.FAILED
    assert "no handler" in restarted.get(record.id).error
    store.close()


async def test_job_cancelled_raised_by_the_work_ends_cancelled(store, tmp_path):
    runner = make_runner(store, tmp_path)

    async def work(ctx):
        raise JobCancelled()

    runner.register("self", work)
    record = await runner.submit("self", {})
    await wait_state(runner, record.id, JobState.CANCELLED)
