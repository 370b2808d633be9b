"""Jobs across replicas: two job runners on two store instances of one PostgreSQL database
(two replicas). A job is held by the replica that launched it; every replica reads the same
status; a cancel asked of the other replica reaches the work; when a replica stops renewing
(its event loop frozen, as a killed process would be) another takes its jobs over once the
lease expires, resuming a resumable one as a restart would and failing the others."""
from __future__ import annotations

import asyncio
import threading

import pytest

from _wait import wait_until_async
from server.jobs import JobRunner, JobState
from server.storage.postgres_store import PostgresStore

LEASE = 1.5


@pytest.fixture
def database(postgres):
    return postgres.new_database()


@pytest.fixture
def stores(database):
    opened = [PostgresStore(database), PostgresStore(database)]
    yield opened
    for store in opened:
        store.close()


async def test_status_is_shared_and_a_cancel_reaches_the_replica_running_the_job(stores, tmp_path):
    ran_on = []

    def runner(name: str, store) -> JobRunner:
        replica = JobRunner(store, tmp_path / name, lease_seconds=LEASE)

        async def work(ctx):
            ran_on.append(name)
            await ctx.report(step=1)
            await ctx.wait_cancelled()
            ctx.check_cancelled()

        replica.register("waits", work)
        return replica

    first, second = runner("first", stores[0]), runner("second", stores[1])
    await first.start()
    await second.start()
    try:
        record = await first.submit("waits", {})
        await wait_until_async(lambda: second.get(record.id).progress == {"step": 1}, message="progress on the other")
        late = runner("late", stores[1])
        await late.start()  # a replica starting now leaves a job that another holds alone
        await late.stop()
        assert second.get(record.id).state == JobState.RUNNING
        cancelled = await asyncio.wait_for(second.cancel(record.id), 20)
        assert cancelled.state == JobState.CANCELLED
        assert first.get(record.id).state == JobState.CANCELLED
        assert ran_on == ["first"]  # never taken over by the replica that asked for the cancel
        assert [e.message for e in second.logs(record.id)][-1] == "cancelled"
    finally:
        await first.stop()
        await second.stop()


async def test_a_replica_that_stops_renewing_loses_its_jobs_to_another(stores, tmp_path):
    frozen_loop = asyncio.new_event_loop()
    thread = threading.Thread(target=frozen_loop.run_forever, daemon=True)
    thread.start()

    def on_frozen(coro):
        return asyncio.run_coroutine_threadsafe(coro, frozen_loop).result(20)

    dying = JobRunner(stores[0], tmp_path / "dying", lease_seconds=LEASE)

    async def start_and_hang(ctx):
        await ctx.report(step=1)
        await asyncio.Event().wait()

    dying.register("resumable", start_and_hang, resumable=True)
    dying.register("once", start_and_hang)
    on_frozen(dying.start())
    resumable = on_frozen(dying.submit("resumable", {"n": 1}))
    once = on_frozen(dying.submit("once", {"n": 2}))

    survivor = JobRunner(stores[1], tmp_path / "survivor", lease_seconds=LEASE)
    for job in (resumable, once):
        await wait_until_async(lambda job=job: survivor.get(job.id).progress == {"step": 1},
                               message="both jobs running")
    frozen_loop.call_soon_threadsafe(frozen_loop.stop)  # no renewal from here on, as if it were killed
    thread.join(10)
    seen = {}

    async def finish(ctx):
        seen[ctx.job_id] = (ctx.resumed, dict(ctx.progress))
        return {"done": True}

    survivor.register("resumable", finish, resumable=True)
    survivor.register("once", finish)
    await survivor.start()
    try:
        done = await survivor.wait(resumable.id, timeout=30)
        assert done.state == JobState.COMPLETED and done.result == {"done": True} and done.attempts == 2
        assert seen == {resumable.id: (True, {"step": 1})}
        failed = await survivor.wait(once.id, timeout=30)
        assert failed.state == JobState.FAILED and "interrupted" in failed.error
    finally:
        await survivor.stop()
        frozen_loop.close()
