"""A stand-in for the server in tests/test_sandbox.py: a process that runs sandboxed code aimed at
itself and reports whether anything of it changed. Run by path:

    python tests/_sandbox_server.py probed|hook-only

It reads the code from stdin, with "{pid}" and "{pgid}" standing for its own ids, runs it with
run_python (with the probed isolation, or with none), and prints one JSON object: its state
before and after (priority, affinity, scheduler, open-file limit, OOM score adjustment), the
signals it received meanwhile, and what the code printed. A separate process, so an attack
that got through harms this one and not the test run.
"""
from __future__ import annotations

import asyncio
import json
import os
import resource
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.agents import sandbox  # noqa: E402 (after the path it needs)

WATCHED_SIGNALS = (signal.SIGUSR1, signal.SIGIO, signal.SIGURG)


def state() -> dict:
    return {"priority": os.getpriority(os.PRIO_PROCESS, 0), "affinity": sorted(os.sched_getaffinity(0)),
            "scheduler": os.sched_getscheduler(0), "nofile": list(resource.getrlimit(resource.RLIMIT_NOFILE)),
            "oom_score_adj": Path("/proc/self/oom_score_adj").read_text().strip()}


def main(mode: str) -> None:
    if mode == "hook-only":
        sandbox._ISOLATION = ([], False)
    received: list[str] = []
    for number in WATCHED_SIGNALS:
        signal.signal(number, lambda n, _frame: received.append(signal.Signals(n).name))
    code = sys.stdin.read().replace("{pid}", str(os.getpid())).replace("{pgid}", str(os.getpgrp()))
    before = state()
    result = asyncio.run(sandbox.run_python(code, sandbox.SandboxLimits(timeout_s=20)))
    print(json.dumps({"before": before, "after": state(), "signals": received, "stdout": result.stdout,
                      "stderr": result.stderr, "isolation": asyncio.run(sandbox.isolation_level())}))


if __name__ == "__main__":
    main(sys.argv[1])
