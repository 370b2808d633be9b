"""A job's subprocess, from the job's side: started in its own process group (cancel and
stop reach every process it starts), killed by the kernel if the server dies first
(Linux: PR_SET_PDEATHSIG, set by setpriv; a JobChannel also exits at once if the server
died before that), its stdout and stderr lines logged, and its channel messages
(server/jobs/child.py) turned into the job context's report, log and artifact calls; an
`on_artifact` callback acts on each artifact once it is stored (training serves each
checkpoint as a model), and the run returns after the last of those calls."""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from server.jobs.child import CHANNEL_ENV, JOB_FILE_ENV, PARENT_ENV
from server.jobs.records import Artifact
from server.jobs.writer import Written

if TYPE_CHECKING:
    from server.jobs.context import JobContext

log = logging.getLogger(__name__)

# util-linux's setpriv sets PR_SET_PDEATHSIG and execs the program: no Python runs between
# fork and exec (preexec_fn would, which is unsafe in a threaded server: a child crashed so).
_SETPRIV = shutil.which("setpriv") if sys.platform == "linux" else None
_LINE_LIMIT = 1 << 20


class ProcessGroup:
    """The process group a job's subprocess leads (start_new_session: its pid is the group's id)."""

    def __init__(self, process: subprocess.Popen):
        self.process = process
        self.pgid = process.pid

    def signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):  # the whole group is gone already
            os.killpg(self.pgid, sig)

    async def exited(self) -> int:
        """The leader's exit code, once it has exited (its pidfd becomes readable)."""
        if self.process.poll() is None:
            loop = asyncio.get_running_loop()
            exited = loop.create_future()
            pidfd = os.pidfd_open(self.process.pid)  # readable once the process has exited
            loop.add_reader(pidfd, lambda: exited.done() or exited.set_result(None))
            try:
                await exited
            finally:
                loop.remove_reader(pidfd)
                os.close(pidfd)
        return self.process.wait()

    async def end(self, kill_after: float) -> None:
        """SIGTERM to the group, SIGKILL after kill_after seconds if the leader still runs,
        then SIGKILL to whatever it left in the group."""
        if self.process.poll() is None:
            self.signal(signal.SIGTERM)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.exited(), kill_after)
        self.signal(signal.SIGKILL)
        await self.exited()


async def run(ctx: JobContext, argv: Sequence[str], env: Mapping[str, str] | None, cwd: str | None,
              kill_after: float, on_artifact: Callable[[Artifact], Awaitable[None]] | None = None) -> int:
    job_file = ctx.work_dir / "job.json"
    job_file.write_text(json.dumps({"id": ctx.job_id, "kind": ctx.kind, "params": ctx.params,
                                    "progress": ctx.progress, "resumed": ctx.resumed}))
    read_fd, write_fd = os.pipe()
    child_env = {**os.environ, **(env or {}), CHANNEL_ENV: str(write_fd), JOB_FILE_ENV: str(job_file),
                 PARENT_ENV: str(os.getpid())}
    command = [_SETPRIV, "--pdeathsig", "KILL", "--", *argv] if _SETPRIV else list(argv)
    try:
        # Popen, not asyncio's subprocess: its wait() also waits for every process that
        # shares the pipes. Fork and exec are quick.
        process = subprocess.Popen(  # noqa: ASYNC220
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=child_env,
            cwd=cwd or str(ctx.work_dir), pass_fds=(write_fd,), start_new_session=True)
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)
    group = ProcessGroup(process)
    ctx._groups.add(group)
    followers: list[asyncio.Task] = []  # on_artifact calls, each once its artifact is stored
    pumps = [asyncio.create_task(_pump(process.stdout, lambda line: ctx.log(line.decode(errors="replace").rstrip()))),
             asyncio.create_task(_pump(os.fdopen(read_fd, "rb", buffering=0),
                                       lambda line: _deliver(ctx, line, on_artifact, followers)))]
    exited = asyncio.create_task(group.exited())
    cancelled = asyncio.create_task(ctx.wait_cancelled())
    try:
        await asyncio.wait({exited, cancelled}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        # However this ends (exit, cancel, the server stopping), nothing of the group stays.
        cancelled.cancel()
        exited.cancel()
        await group.end(kill_after)
        ctx._groups.discard(group)
        _, stuck = await asyncio.wait(pumps, timeout=1)  # a process that left the group holds a pipe
        for task in stuck:
            task.cancel()
    ctx.check_cancelled()  # a cancelled job does not wait for its followers: they finish on their own
    for follower in followers:
        await follower
    return process.returncode


async def _follow(written: Written[Artifact], on_artifact: Callable[[Artifact], Awaitable[None]]) -> None:
    await on_artifact(await written)


async def _pump(pipe, handle: Callable[[bytes], object]) -> None:
    """Each line read from the pipe, to handle(line), until the pipe closes."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=_LINE_LIMIT)
    transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), pipe)
    try:
        async for line in reader:
            handle(line)
    finally:
        transport.close()


def _deliver(ctx: JobContext, line: bytes, on_artifact: Callable[[Artifact], Awaitable[None]] | None,
             followers: list[asyncio.Task]) -> None:
    try:
        message = json.loads(line)
        if "report" in message:
            ctx.report(**message["report"])
        elif "log" in message:
            ctx.log(str(message["log"]))
        elif "artifact" in message:
            artifact = message["artifact"]
            written = ctx.add_artifact(artifact["name"], artifact["path"], **artifact.get("metadata", {}))
            if on_artifact is not None:
                followers.append(asyncio.create_task(_follow(written, on_artifact)))
        else:
            raise ValueError("no report, log or artifact")
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        ctx.log(f"unreadable message from the job's process ({exc}): {line[:200]!r}")
