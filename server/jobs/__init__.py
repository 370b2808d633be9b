"""The durable job framework shared by every job API (vector inserts and deletes, batch
inference, reward scoring, synthetic data, eval, fine-tuning and post-training)."""
from server.jobs.budget import EngineBudget
from server.jobs.context import JobCancelled, JobContext
from server.jobs.records import Artifact, JobRecord, JobState, LogEntry
from server.jobs.runner import JobRunner
from server.jobs.writer import Written

__all__ = ["Artifact", "EngineBudget", "JobCancelled", "JobContext", "JobRecord", "JobRunner", "JobState",
           "LogEntry", "Written"]
