"""The job framework's context API on a real LMDB store: report, log and cancel from
worker threads and from a subprocess (with its process group ended on cancel and on
stop), progress stored apart from the parameters, output rows stored with their progress
in one transaction, artifacts, listing by kind and state from the index, event-driven
waits, deletion, and the per-engine budget that background work shares with interactive
requests."""
from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
from pathlib import Path

import pytest

from _wait import wait_until_async
from server.errors import FailedPrecondition, NotFound
from server.jobs import EngineBudget, JobCancelled, JobRunner, JobState, tables
from server.storage import LmdbStore

ROOT = Path(__file__).resolve().parent.parent
CHILD = [sys.executable, str(ROOT / "tests" / "_job_child.py")]
CHILD_ENV = {"PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "clients" / "python")])}
WAIT = 30  # seconds any wait here may take at most


@pytest.fixture
def store(tmp_path):
    opened = LmdbStore(tmp_path / "store")
    yield opened
    opened.close()


@pytest.fixture
async def runner(store, tmp_path):
    running = JobRunner(store, tmp_path / "jobs")
    await running.start()
    yield running
    await running.stop()


def alive(pid: int) -> bool:
    """Running (not gone, not a zombie waiting to be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def pids_of(runner: JobRunner, job_id: str) -> tuple[int, int]:
    child, grandchild = (runner.work_dir(job_id) / "pids.txt").read_text().split()
    return int(child), int(grandchild)


async def test_report_log_and_cancel_from_a_worker_thread(runner):
    started = threading.Event()

    def crunch(ctx) -> int:
        step = 0
        while not ctx.cancelled:
            step += 1
            ctx.report(step=step).result(WAIT)  # durable before the next step
            if step == 5:
                ctx.log("five steps done").result(WAIT)
                started.set()
        return step

    async def work(ctx):
        steps = await asyncio.to_thread(crunch, ctx)
        ctx.log(f"stopped after {steps} steps")
        ctx.check_cancelled()

    runner.register("threaded", work)
    job = await runner.submit("threaded", {"n": 1})
    await runner.wait_until(job.id, lambda r: r.progress.get("step", 0) >= 5, WAIT)
    cancelled = await asyncio.wait_for(runner.cancel(job.id), WAIT)
    assert cancelled.state == JobState.CANCELLED
    messages = [e.message for e in runner.logs(job.id)]
    assert "five steps done" in messages and messages[-1] == "cancelled"
    stopped = next(m for m in messages if m.startswith("stopped after"))
    assert int(stopped.split()[2]) == cancelled.progress["step"]  # every report landed, in order


async def test_progress_is_stored_apart_from_the_record(runner, store):
    go_on, finish = asyncio.Event(), asyncio.Event()

    async def work(ctx):
        await ctx.report(done=1, total=20, loss=1.0)
        await go_on.wait()
        for i in range(1, 20):
            await ctx.report(done=i + 1, loss=1 / (i + 1))
        await finish.wait()
        return {"ok": True}

    runner.register("counted", work)
    job = await runner.submit("counted", {"big": "x" * 10_000})
    await runner.wait_until(job.id, lambda r: r.progress.get("done") == 1, WAIT)
    running = store.get(tables.JOBS, job.id.encode())
    go_on.set()
    await runner.wait_until(job.id, lambda r: r.progress.get("done") == 20, WAIT)
    # Reports never rewrote the record (its 10 kB of parameters): only job_progress changed.
    assert store.get(tables.JOBS, job.id.encode()) == running
    finish.set()
    done = await runner.wait(job.id, WAIT)
    assert done.progress == {"done": 20, "total": 20, "loss": 0.05} and done.params["big"] == "x" * 10_000


async def test_rows_are_stored_with_their_progress_and_read_back_in_pages(runner):
    async def work(ctx):
        lines = dict(ctx.rows("input"))
        done = ctx.row_indices("output")
        writes = []
        for index, line in lines.items():
            if index not in done:
                done.add(index)
                writes.append(ctx.put_rows("output", {index: line.upper()}, lines_done=len(done)))
        await asyncio.gather(*writes)  # queued together: committed in a few transactions
        return {"lines": len(lines)}

    runner.register("upper", work)
    inputs = [f"line {i}".encode() for i in range(250)]
    job = await runner.submit("upper", {}, rows={"input": inputs})
    done = await runner.wait(job.id, WAIT)
    assert done.state == JobState.COMPLETED and done.progress == {"lines_done": 250}
    first = runner.rows(job.id, "output", 0, 100)
    rest = runner.rows(job.id, "output", first[-1][0] + 1)
    assert [i for i, _ in first + rest] == list(range(250))
    assert [v for _, v in first + rest] == [line.upper() for line in inputs]
    assert runner.rows(job.id, "input", 248) == [(248, b"line 248"), (249, b"line 249")]


async def test_a_subprocess_reports_logs_and_adds_artifacts_and_its_group_ends_with_it(runner):
    async def work(ctx):
        code = await ctx.run_subprocess(*CHILD, "finish", env=CHILD_ENV)
        return {"exit": code}

    runner.register("proc", work)
    job = await runner.submit("proc", {"lr": 0.1})
    done = await runner.wait(job.id, WAIT)
    assert done.state == JobState.COMPLETED, done.error
    assert done.result == {"exit": 0} and done.progress == {"step": 3}
    messages = [e.message for e in runner.logs(job.id)]
    assert "child started" in messages and "finished at step 3" in messages  # stdout and channel
    [artifact] = runner.artifacts(job.id)
    assert artifact.name == "pids" and artifact.metadata == {"resumed": False}
    assert Path(artifact.path).parent == runner.work_dir(job.id)
    child, grandchild = pids_of(runner, job.id)
    await wait_until_async(lambda: not alive(child) and not alive(grandchild), WAIT,
                           message="the child's process group is gone")


@pytest.mark.parametrize("mode", ["forever", "stubborn"])
async def test_cancel_ends_the_subprocess_group_quickly(runner, mode):
    async def work(ctx):
        await ctx.run_subprocess(*CHILD, mode, env=CHILD_ENV, kill_after=0.5)

    runner.register("proc", work)
    job = await runner.submit("proc", {})
    await runner.wait_until(job.id, lambda r: r.progress.get("step", 0) >= 2, WAIT)
    child, grandchild = pids_of(runner, job.id)
    cancelled = await asyncio.wait_for(runner.cancel(job.id), WAIT)
    assert cancelled.state == JobState.CANCELLED
    await wait_until_async(lambda: not alive(child) and not alive(grandchild), WAIT, message="the group is gone")
    messages = [e.message for e in runner.logs(job.id)]
    assert ("child saw the cancel" in messages) == (mode == "forever")


async def test_stop_leaves_no_subprocess_and_a_resumed_job_continues_from_its_progress(store, tmp_path):
    runner = JobRunner(store, tmp_path / "jobs")

    async def work(ctx):
        return {"exit": await ctx.run_subprocess(*CHILD, "finish" if ctx.resumed else "forever", env=CHILD_ENV)}

    runner.register("train", work, resumable=True)
    await runner.start()
    job = await runner.submit("train", {})
    await runner.wait_until(job.id, lambda r: r.progress.get("step", 0) >= 3, WAIT)
    child, grandchild = pids_of(runner, job.id)
    await asyncio.wait_for(runner.stop(), WAIT)
    assert not alive(child) and not alive(grandchild)
    stopped = runner.get(job.id)
    assert stopped.state == JobState.RUNNING  # left for the next start to resume

    restarted = JobRunner(store, tmp_path / "jobs")
    restarted.register("train", work, resumable=True)
    await restarted.start()
    done = await restarted.wait(job.id, WAIT)
    assert done.state == JobState.COMPLETED and done.attempts == 2
    assert done.progress["step"] == stopped.progress["step"] + 3  # went on from where it was
    assert [a.metadata["resumed"] for a in restarted.artifacts(job.id)] == [False, True]
    await restarted.stop()


async def test_listing_by_kind_and_state_reads_the_index(runner, store):
    release = asyncio.Event()

    async def work(ctx):
        await release.wait()

    runner.register("a", work, concurrency=1)
    runner.register("b", work, concurrency=1)
    a1, a2, b1 = [await runner.submit(k, {}) for k in ("a", "a", "b")]
    await runner.wait_until(a1.id, lambda r: r.state == JobState.RUNNING, WAIT)
    await runner.wait_until(b1.id, lambda r: r.state == JobState.RUNNING, WAIT)
    assert [r.id for r in runner.list("a")] == [a1.id, a2.id]
    assert [r.id for r in runner.list("a", [JobState.QUEUED])] == [a2.id]
    assert [r.id for r in runner.list(states=[JobState.RUNNING])] == [a1.id, b1.id]
    await runner.cancel(a2.id)
    assert [r.id for r in runner.list("a", [JobState.CANCELLED])] == [a2.id]
    release.set()
    await runner.wait(a1.id, WAIT)
    await runner.wait(b1.id, WAIT)
    with store.read() as txn:
        indexed = sorted(key.split(b"\0")[0].decode() for key, _ in txn.scan(tables.STATES))
    assert indexed == ["cancelled", "completed", "completed"]  # one entry per job, in its current state


async def test_a_store_from_before_the_index_is_reindexed_at_start(store, tmp_path):
    legacy = {"id": "old-1", "kind": "k", "state": "queued", "params": {"n": 1}, "created_at": 1.0,
              "started_at": None, "finished_at": None, "progress": {"done": 4}, "result": {}, "error": None,
              "attempts": 0}
    store.open_tables(*tables.TABLES)
    store.put(tables.JOBS, b"old-1", json.dumps(legacy).encode())
    runner = JobRunner(store, tmp_path / "jobs")
    seen = {}

    async def work(ctx):
        seen["progress"] = dict(ctx.progress)

    runner.register("k", work)
    await runner.start()
    done = await runner.wait("old-1", WAIT)
    assert done.state == JobState.COMPLETED and seen["progress"] == {"done": 4}
    assert [r.id for r in runner.list("k", [JobState.COMPLETED])] == ["old-1"]
    await runner.stop()


async def test_delete_forgets_an_ended_job(runner):
    async def work(ctx):
        await ctx.put_rows("out", {0: b"x"})
        await ctx.add_artifact("file", str(ctx.work_dir / "f"))

    runner.register("k", work)
    job = await runner.submit("k", {}, rows={"in": [b"a"]})
    await runner.wait(job.id, WAIT)
    assert runner.work_dir(job.id).is_dir()
    await runner.delete(job.id)
    with pytest.raises(NotFound):
        runner.get(job.id)
    assert runner.rows(job.id, "out") == [] and runner.rows(job.id, "in") == []
    assert not runner.work_dir(job.id).exists() and runner.list("k") == []


async def test_delete_refuses_a_running_job(runner):
    release = asyncio.Event()

    async def work(ctx):
        await release.wait()

    runner.register("k", work)
    job = await runner.submit("k", {})
    await runner.wait_until(job.id, lambda r: r.state == JobState.RUNNING, WAIT)
    with pytest.raises(FailedPrecondition):
        await runner.delete(job.id)
    release.set()


async def test_wait_cancelled_wakes_the_work_at_once(runner):
    async def work(ctx):
        await ctx.wait_cancelled()
        raise JobCancelled()

    runner.register("idle", work)
    job = await runner.submit("idle", {})
    await runner.wait_until(job.id, lambda r: r.state == JobState.RUNNING, WAIT)
    assert (await asyncio.wait_for(runner.cancel(job.id), WAIT)).state == JobState.CANCELLED


async def test_background_work_leaves_room_for_interactive_requests():
    budget = EngineBudget(lambda model_id: 8, share=0.75)
    assert budget.limit("m") == 6  # a quarter of the batch kept free
    held: list[asyncio.Event] = []
    over_limit = []

    async def background_request():
        async with budget.background("m"):
            if budget.in_use("m")[1] > budget.limit("m"):
                over_limit.append(budget.in_use("m"))
            release = asyncio.Event()
            held.append(release)
            await release.wait()

    tasks = [asyncio.create_task(background_request()) for _ in range(10)]
    await wait_until_async(lambda: len(held) == 6, WAIT, message="six background requests admitted")
    assert budget.in_use("m") == (0, 6)
    with budget.interactive("m"), budget.interactive("m"):
        assert budget.limit("m") == 4  # interactive requests in flight take rows from background work
        for release in held[:3]:
            release.set()
        # Only once three have left is one more admitted: 6 - 3 + 1 = the new limit.
        await wait_until_async(lambda: len(held) == 7, WAIT, message="a freed slot goes back to background work")
        assert budget.in_use("m") == (2, 4)
    await wait_until_async(lambda: len(held) == 9, WAIT, message="the interactive rows return to background work")
    for release in held:
        release.set()
    await wait_until_async(lambda: len(held) == 10, WAIT, message="the last one admitted")
    held[-1].set()
    await asyncio.gather(*tasks)
    assert not over_limit and budget.in_use("m") == (0, 0)
    assert EngineBudget(lambda model_id: 1).limit("m") == 1  # never starved
