"""The trainer subprocess of a training job: `python -m server.training.worker`, started
by the job (server/training/engine.py) in the job's work dir. Its plan is the job's
parameters (server/training/plan.py) and its data the JSONL files beside it; progress,
log lines and checkpoints go back over the job channel (server/jobs/child.py). A crash
here fails the job, never the server; SIGTERM (cancel, server stopping) ends it at once."""
from __future__ import annotations

import logging
import os
import signal
import sys

from server.jobs.child import JobChannel
from server.training.plan import TrainingPlan


def main() -> int:
    channel = JobChannel.from_env()
    # Nothing is kept between checkpoints (a cut one is dropped on resume), so SIGTERM
    # (cancel, the server stopping) ends the trainer at once instead of at its next step.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # Import-time notices of torchao (its optional CUDA kernels) and torch would flood the job's log.
    for name in ("torchao", "torch.utils._pytree"):
        logging.getLogger(name).setLevel(logging.ERROR)
    from server.training.trainer import train  # torch and transformers load after the channel is up

    train(TrainingPlan.from_dict(channel.params["plan"]), channel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
