"""The one trainer behind both training APIs (the 2025 post-training and the draft's
fine-tuning): jobs of kind "training" on the job framework, each running the trainer
subprocess (server/training/worker.py) over its plan and its data, and serving each
checkpoint it saves as a model at once.

A job's parameters are {"api", "plan", ...what its front door keeps}; its input rows are
the training and validation examples, written to the work dir as JSONL before the trainer
starts. The kind is resumable: after a restart the trainer continues from its newest
complete checkpoint. A checkpoint is an artifact (path, epoch, step, train_loss,
validation_loss, perplexity, model id) and a model in the registry, registered durably
(it is served again after a restart) as soon as the artifact is stored.
"""
from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import server
from server.errors import AlreadyExists, InvalidArgument, NotFound, ServiceError
from server.inference.models import ModelRegistry
from server.inference.specs import ModelSpec
from server.jobs import Artifact, JobContext, JobRecord, JobRunner, LogEntry
from server.jobs.helpers import job_of_kind
from server.training import checkpoints, data
from server.training.plan import TrainingPlan

KIND = "training"
TRAIN, VALIDATION = "train", "validation"
_PROJECT_PATHS = [str(Path(server.__file__).resolve().parent.parent),
                  str(Path(server.__file__).resolve().parent.parent / "clients" / "python")]


class TrainerFailed(ServiceError):
    reason = "TRAINER_FAILED"


@dataclass
class Checkpoint:
    model_id: str  # the model that serves it
    path: str
    epoch: int
    step: int
    created_at: float
    train_loss: float | None
    validation_loss: float | None
    perplexity: float | None


@dataclass
class ModelSource:
    """What a request's model names for training: its checkpoint, and the adapter over it
    when the model is a LoRA checkpoint."""

    model_id: str
    checkpoint: str
    adapter: str | None
    spec: ModelSpec


def device() -> str:
    """Where training runs: CUDA where there is a GPU, else the CPU."""
    import torch  # the inference extra's, loaded once a job is submitted: the server starts without it

    return "cuda" if torch.cuda.is_available() else "cpu"


def qlora_available() -> bool:
    """QLoRA (quantize_base) needs bitsandbytes and a CUDA device."""
    return device() == "cuda" and importlib.util.find_spec("bitsandbytes") is not None


def checkpoint_model_id(job_id: str, epoch: int) -> str:
    return f"{job_id}-epoch-{epoch}"


class TrainingEngine:
    def __init__(self, jobs: JobRunner, models: ModelRegistry, concurrency: int = 1):
        self._jobs = jobs
        self._models = models
        jobs.register(KIND, self._work, concurrency=concurrency, resumable=True)

    # ---------------------------------------------------------------- submission

    def source(self, model_id: str, field: str) -> ModelSource:
        """The served LLM the request names (INVALID_ARGUMENT on field if there is none)."""
        spec = self._models.require(model_id, field)
        if spec.kind != "llm":
            raise InvalidArgument(field, f"model {model_id!r} is a {spec.kind} model; only LLMs can be trained")
        if checkpoints.is_adapter(Path(spec.checkpoint)):
            config = json.loads((Path(spec.checkpoint) / "adapter_config.json").read_text())
            return ModelSource(model_id, config["base_model_name_or_path"], spec.checkpoint, spec)
        return ModelSource(model_id, spec.checkpoint, None, spec)

    async def submit(self, api: str, plan: TrainingPlan, train: list[dict], validation: list[dict],
                     job_id: str | None = None, **kept: Any) -> JobRecord:
        """Store the job with its examples and queue it. `kept`: what the front door keeps
        with the job's parameters (JSON values)."""
        params = {"api": api, "plan": plan.to_dict(), **kept}
        try:
            return await self._jobs.submit(KIND, params, job_id,
                                           rows={TRAIN: data.encode(train), VALIDATION: data.encode(validation)})
        except AlreadyExists:
            raise AlreadyExists(f"Training job '{job_id}' already exists") from None

    # ---------------------------------------------------------------- jobs

    def job(self, api: str, job_id: str, noun: str, field: str) -> JobRecord:
        """The job of this API (NOT_FOUND: "<field>: <noun> '<id>' not found")."""
        try:
            record = job_of_kind(self._jobs, job_id, KIND, noun)
        except NotFound:
            record = None
        if record is None or record.params.get("api") != api:
            raise NotFound(f"{field}: {noun} '{job_id}' not found")
        return record

    def jobs(self, api: str) -> list[JobRecord]:
        return [r for r in self._jobs.list(KIND) if r.params.get("api") == api]

    async def cancel(self, api: str, job_id: str, noun: str, field: str) -> JobRecord:
        self.job(api, job_id, noun, field)
        return await self._jobs.cancel(job_id)

    def checkpoints(self, record: JobRecord) -> list[Checkpoint]:
        return [_checkpoint(record.id, a) for a in self._jobs.artifacts(record.id) if a.name == "checkpoint"]

    async def follow_logs(self, api: str, job_id: str, noun: str, field: str) -> AsyncIterator[LogEntry]:
        self.job(api, job_id, noun, field)
        async for entry in self._jobs.follow_logs(job_id):
            yield entry

    def log_file(self, record: JobRecord) -> Path:
        return self._jobs.work_dir(record.id) / "error.log"

    # ---------------------------------------------------------------- the work

    async def _work(self, ctx: JobContext) -> dict:
        plan = TrainingPlan.from_dict(ctx.params["plan"])
        await asyncio.to_thread(self._prepare, ctx)
        await self._recover_checkpoints(ctx, plan)
        env = {"PYTHONPATH": os.pathsep.join([*_PROJECT_PATHS, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
               "TOKENIZERS_PARALLELISM": "false", "PYTHONFAULTHANDLER": "1"}  # a crash logs where it happened

        async def serve(artifact: Artifact) -> None:
            await self._serve(ctx, plan, artifact)

        code = await ctx.run_subprocess(sys.executable, "-m", "server.training.worker", env=env, on_artifact=serve)
        if code != 0:
            reason = self._last_error(ctx.job_id)
            await asyncio.to_thread(self.log_file(self._jobs.get(ctx.job_id)).write_text, reason + "\n")
            raise TrainerFailed(f"the trainer exited with code {code}: {reason}")
        return {key: ctx.progress.get(key) for key in ("steps", "train_runtime", "tokens")}

    def _prepare(self, ctx: JobContext) -> None:
        """The examples as the files the trainer reads (written once: they never change)."""
        for stream, name in ((TRAIN, data.TRAIN_FILE), (VALIDATION, data.VALIDATION_FILE)):
            path = ctx.work_dir / name
            if not path.exists():
                data.write_examples(path, [value for _, value in ctx.rows(stream)])

    async def _recover_checkpoints(self, ctx: JobContext, plan: TrainingPlan) -> None:
        """After a restart: checkpoints a killed trainer wrote but had no time to report
        become artifacts, and every checkpoint not yet served (the server died while its
        model loaded) is served now."""
        if not ctx.resumed:
            return
        reported = self._jobs.artifacts(ctx.job_id)
        paths = {a.path for a in reported}
        for path in await asyncio.to_thread(checkpoints.complete, ctx.work_dir):
            if str(path) not in paths:
                reported.append(await ctx.add_artifact("checkpoint", str(path), **checkpoints.metrics(path)))
        for artifact in reported:
            await self._serve(ctx, plan, artifact)

    async def _serve(self, ctx: JobContext, plan: TrainingPlan, artifact: Artifact) -> None:
        """Register the checkpoint as a model (base + adapter for LoRA), durably."""
        model_id = checkpoint_model_id(ctx.job_id, int(artifact.metadata["epoch"]))
        if model_id in self._models:
            return  # registered before a restart
        adapter = checkpoints.is_adapter(Path(artifact.path))
        spec = ModelSpec(id=model_id, checkpoint=artifact.path, kind="llm", engine="transformers",
                         device=plan.device, metadata={
                             "training_job": ctx.job_id, "trained_from": plan.model_id,
                             "epoch": int(artifact.metadata["epoch"]), "step": int(artifact.metadata["step"]),
                             "adapter": adapter, **({"base_checkpoint": plan.checkpoint} if adapter else {})})
        try:
            await asyncio.to_thread(self._models.register, spec, durable=True)
        except Exception as exc:  # the checkpoint stays listed; only its serving failed
            ctx.log(f"checkpoint {Path(artifact.path).name} could not be served as model {model_id}: "
                    f"{type(exc).__name__}: {exc}")
            return
        ctx.log(f"checkpoint {Path(artifact.path).name} served as model {model_id}")

    def _last_error(self, job_id: str) -> str:
        """The trainer's last words: the last line of its traceback, or its last log line."""
        lines = [e.message for e in self._jobs.logs(job_id)[-50:]]
        for line in reversed(lines):
            if line and not line.startswith((" ", "Traceback")):
                return line
        return lines[-1] if lines else "no output"


def _checkpoint(job_id: str, artifact: Artifact) -> Checkpoint:
    meta = artifact.metadata
    epoch = int(meta.get("epoch", 0))
    return Checkpoint(model_id=checkpoint_model_id(job_id, epoch), path=artifact.path, epoch=epoch,
                      step=int(meta.get("step", 0)), created_at=artifact.created_at,
                      train_loss=meta.get("train_loss"), validation_loss=meta.get("validation_loss"),
                      perplexity=meta.get("perplexity"))
