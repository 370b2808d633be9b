"""The durable job framework shared by every job API (vector inserts and deletes, batch
inference, fine-tuning, reward scoring, synthetic data, post-training, eval)."""
from server.jobs.runner import JobCancelled, JobContext, JobRecord, JobRunner, JobState, LogEntry

__all__ = ["JobCancelled", "JobContext", "JobRecord", "JobRunner", "JobState", "LogEntry"]
