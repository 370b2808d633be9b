"""The side of a job that runs in a subprocess (`JobContext.run_subprocess`): the same
report, log, artifact and cancel calls as the job context, over the channel the job
opened for it. Standard library only, so that a trainer or a script imports it cheaply.

    channel = JobChannel.from_env()
    for step in range(channel.progress.get("step", 0), total):
        if channel.cancelled:        # cancel, or the server stopping: SIGTERM to the group
            break
        ...
        channel.report(step=step + 1, loss=loss)
        channel.add_artifact("checkpoint", str(path), step=step + 1)
"""
from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

CHANNEL_ENV = "LLAMASTACK_JOB_CHANNEL"  # the write end of the channel, a file descriptor number
JOB_FILE_ENV = "LLAMASTACK_JOB_FILE"  # job.json in the work dir: {id, kind, params, progress, resumed}
PARENT_ENV = "LLAMASTACK_JOB_PARENT"  # the server's pid


class JobChannel:
    def __init__(self, channel_fd: int, job_file: Path):
        info = json.loads(job_file.read_text())
        self.job_id: str = info["id"]
        self.kind: str = info["kind"]
        self.params: dict[str, Any] = info["params"]
        self.progress: dict[str, Any] = info["progress"]
        self.resumed: bool = info["resumed"]
        self.work_dir = job_file.parent
        self._out = os.fdopen(channel_fd, "w", buffering=1, encoding="utf-8")
        self._lock = threading.Lock()
        self._cancelled = threading.Event()

    @classmethod
    def from_env(cls) -> JobChannel:
        """The channel of the job that started this process. SIGTERM (the job cancelled or
        the server stopping) then sets `cancelled` instead of ending the process at once:
        the process should stop soon after, or it is killed. If the server died before
        the kernel could be told to kill this process with it, the process exits here."""
        if os.environ.get(PARENT_ENV) not in (None, str(os.getppid())):
            sys.exit("the server that started this job is gone")
        channel = cls(int(os.environ[CHANNEL_ENV]), Path(os.environ[JOB_FILE_ENV]))
        signal.signal(signal.SIGTERM, lambda *_: channel._cancelled.set())
        return channel

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def report(self, **counters: Any) -> None:
        self.progress.update(counters)
        self._send({"report": counters})

    def log(self, message: str) -> None:
        self._send({"log": message})

    def add_artifact(self, name: str, path: str, **metadata: Any) -> None:
        self._send({"artifact": {"name": name, "path": path, "metadata": metadata}})

    def _send(self, message: dict) -> None:
        with self._lock:
            self._out.write(json.dumps(message) + "\n")
