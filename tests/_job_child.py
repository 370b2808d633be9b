"""A job's subprocess for the job framework tests (`python tests/_job_child.py MODE`): it
talks through its channel (server/jobs/child.py), starts a grandchild in its process
group, writes both pids to pids.txt in its work dir, then counts steps until cancelled.

MODE: `finish` (three steps, then exit 0), `forever` (until SIGTERM, then exit 3), or
`stubborn` (ignores SIGTERM: only SIGKILL ends it)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from server.jobs.child import JobChannel


def main(mode: str) -> int:
    channel = JobChannel.from_env()
    if mode == "stubborn":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    grandchild = subprocess.Popen(["sleep", "600"])
    pids = channel.work_dir / "pids.txt"
    pids.write_text(f"{os.getpid()} {grandchild.pid}")
    print("child started", flush=True)
    channel.add_artifact("pids", str(pids), resumed=channel.resumed)
    first = channel.progress.get("step", 0)
    step = first
    while not channel.cancelled:
        step += 1
        channel.report(step=step)
        if mode == "finish" and step == first + 3:
            channel.log(f"finished at step {step}")
            return 0
        time.sleep(0.01)  # the work's own pace
    channel.log("child saw the cancel")
    return 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
