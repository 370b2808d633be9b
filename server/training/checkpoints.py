"""Where a training job's checkpoints are, and which are whole. Each is the Trainer's own
folder (<work dir>/checkpoints/checkpoint-<step>: model or adapter, tokenizer, optimizer,
scheduler, RNG states, trainer state); the trainer writes `metrics.json` into it last, so a
checkpoint without it was cut short: it is neither resumed from nor served."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

METRICS_FILE = "metrics.json"
FOLDER = "checkpoints"


def root(work_dir: Path) -> Path:
    return work_dir / FOLDER


def step_of(path: Path) -> int:
    return int(path.name.rsplit("-", 1)[1])


def complete(work_dir: Path) -> list[Path]:
    """The checkpoints fully written, oldest first."""
    folder = root(work_dir)
    found = [p for p in folder.glob("checkpoint-*") if (p / METRICS_FILE).exists()] if folder.exists() else []
    return sorted(found, key=step_of)


def drop_incomplete(work_dir: Path) -> None:
    folder = root(work_dir)
    for path in folder.glob("checkpoint-*") if folder.exists() else ():
        if not (path / METRICS_FILE).exists():
            shutil.rmtree(path, ignore_errors=True)


def metrics(path: Path) -> dict[str, Any]:
    return json.loads((path / METRICS_FILE).read_text())


def write_metrics(path: Path, values: dict[str, Any]) -> None:
    (path / METRICS_FILE).write_text(json.dumps(values))


def is_adapter(path: Path) -> bool:
    """A LoRA checkpoint: an adapter over the base model its adapter_config.json names."""
    return (Path(path) / "adapter_config.json").exists()
