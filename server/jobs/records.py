"""What the store holds about a job: its record (immutable parameters, state, times,
result), its progress counters (apart, so that a report is a small write), its log and
its artifacts."""
from __future__ import annotations

import enum
import json
from dataclasses import asdict, dataclass, field
from typing import Any


class JobState(str, enum.Enum):
    VALIDATING = "validating"
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in (JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED)


UNFINISHED = (JobState.VALIDATING, JobState.QUEUED, JobState.RUNNING)


@dataclass
class JobRecord:
    id: str
    kind: str
    state: JobState
    params: dict[str, Any]
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    attempts: int = 0
    # Stored apart from the record (table job_progress): filled in when the job is read.
    progress: dict[str, Any] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        values = asdict(self)
        del values["progress"]
        return json.dumps({**values, "state": self.state.value}).encode()

    @classmethod
    def from_bytes(cls, data: bytes, progress: bytes | None = None) -> JobRecord:
        values = json.loads(data)
        values["state"] = JobState(values["state"])
        # Records written before progress had its own table carry it inline.
        values["progress"] = json.loads(progress) if progress is not None else values.get("progress", {})
        return cls(**values)


@dataclass
class LogEntry:
    seq: int
    timestamp: float
    message: str


@dataclass
class Artifact:
    """A file a job made (a checkpoint, an output file), listed in the order added."""

    seq: int
    name: str
    path: str
    created_at: float
    metadata: dict[str, Any] = field(default_factory=dict)
