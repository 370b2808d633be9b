"""The draft's fine-tuning API's front door to the trainer: a Config (its data a file:// or
data: URI of JSONL TrainingDataItems) as a training plan, and jobs as FineTuningJobs.

The draft names fewer settings than the 2025 API; `fine_tuning_options.extras` carries the
others (EXTRAS below), and a key it does not know is a 400 naming it."""
from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

from google.protobuf import json_format

from llamastack.common.v0 import common_pb2 as v0
from llamastack.finetuning.v0 import finetuning_pb2 as pb
from llamastack_grpc import struct_to_dict
from llamastack_grpc.jsonmap import JsonMappingError, from_json
from server import uris
from server.errors import FailedPrecondition, InvalidArgument
from server.jobs import JobRecord, JobState
from server.jobs.helpers import timestamp
from server.training import data
from server.training.engine import TrainingEngine, device
from server.training.plan import LoraSettings, OptimizerSettings, TrainingPlan, attention_modules, check_plan

API = "fine_tuning"
NOUN = "Fine-tuning job"

STATUS = {
    JobState.VALIDATING: pb.FINE_TUNING_JOB_STATUS_VALIDATION,
    JobState.QUEUED: pb.FINE_TUNING_JOB_STATUS_QUEUED,
    JobState.RUNNING: pb.FINE_TUNING_JOB_STATUS_RUNNING,
    JobState.COMPLETED: pb.FINE_TUNING_JOB_STATUS_SUCCESS,
    JobState.FAILED: pb.FINE_TUNING_JOB_STATUS_FAILED,
    JobState.CANCELLED: pb.FINE_TUNING_JOB_STATUS_CANCELLED,
}
OPTIONS = "fine_tuning_options"
EXTRAS = {  # extras key -> (plan setting, type)
    "max_steps_per_epoch": ("max_steps_per_epoch", int), "max_validation_steps": ("max_validation_steps", int),
    "optimizer": ("optimizer.type", str), "weight_decay": ("optimizer.weight_decay", float),
    "num_warmup_steps": ("optimizer.warmup_steps", int), "dtype": ("dtype", str),
    "max_seq_length": ("max_seq_length", int), "packed": ("packed", bool), "train_on_input": ("train_on_input", bool),
}
FIELDS = {
    "epochs": f"{OPTIONS}.n_epochs", "batch_size": f"{OPTIONS}.batch_size", "optimizer.lr": f"{OPTIONS}.lr",
    "gradient_accumulation_steps": f"{OPTIONS}.gradient_accumulation_steps", "seed": f"{OPTIONS}.seed",
    "lora.rank": f"{OPTIONS}.custom_training_options.lora_rank",
    "lora.alpha": f"{OPTIONS}.custom_training_options.lora_alpha",
    "lora.attention_modules": f"{OPTIONS}.custom_training_options.lora_attn_modules",
    **{setting: f"{OPTIONS}.extras.{key}" for key, (setting, _) in EXTRAS.items()},
}
# The draft's defaults where it names one, else the 2025 API's.
DEFAULT_LORA = {"rank": 8, "alpha": 16, "attention_modules": ["q_proj", "v_proj"]}
DEFAULT_LR = 1e-4


class FineTuning:
    def __init__(self, engine: TrainingEngine, files: uris.FileAccess):
        self._engine = engine
        self._files = files

    async def submit(self, config: pb.Config) -> pb.FineTuningJob:
        if not config.HasField("model") or not config.model:
            raise InvalidArgument("model", "is required: the id of the model to fine-tune (see /v1/models)")
        if config.HasField("overrides") and config.overrides:
            raise InvalidArgument("overrides", "torchrun overrides do not apply: the trainer is one process on this "
                                               "server; use fine_tuning_options")
        if config.logger.WhichOneof("logger") == "wandb_logger":
            raise FailedPrecondition("logger: this server cannot reach Weights & Biases; the job's log is served by "
                                     "GET /fine_tuning/jobs/tail")
        if not config.HasField("data") or not config.data:
            raise InvalidArgument("data", "is required: a file:// or data: URI of JSONL TrainingDataItems")
        source = self._engine.source(config.model, "model")
        plan = _plan(source, config.fine_tuning_options)
        check_plan(plan, FIELDS, cuda=plan.device == "cuda")
        train = await self._items(config.data, "data", plan)
        validation = await self._items(config.validation_data, "validation_data", plan) \
            if config.HasField("validation_data") and config.validation_data else []
        record = await self._engine.submit(API, plan, train, validation, f"ft-{uuid.uuid4().hex}",
                                           config=json_format.MessageToDict(config))
        return self._job(record)

    def status(self, job_id: str) -> pb.FineTuningJob:
        return self._job(self._engine.job(API, job_id, NOUN, "job_id"))

    async def cancel(self, job_id: str) -> pb.FineTuningJob:
        return self._job(await self._engine.cancel(API, job_id, NOUN, "job_id"))

    async def tail(self, job_id: str) -> AsyncIterator[pb.TailFineTuningJobLogsResponse]:
        async for entry in self._engine.follow_logs(API, job_id, NOUN, "job_id"):
            yield pb.TailFineTuningJobLogsResponse(logs=[v0.Log(message=entry.message,
                                                                timestamp=timestamp(entry.timestamp))])

    # ---------------------------------------------------------------- data

    async def _items(self, uri: str, field: str, plan: TrainingPlan) -> list[dict]:
        raw = await asyncio.to_thread(self._read, uri, field)
        examples = training_items(raw, field)
        data.check_trainable(examples, plan.train_on_input, field)
        return examples

    def _read(self, uri: str, field: str) -> bytes:
        scheme = uris.scheme_of(uri)
        if scheme == "file":
            return self._files.read_uri(uri, field)
        if scheme == "data":
            return uris.decode_data_uri(uri, field)[0]
        raise InvalidArgument(field, "must be a file:// or data: URI of a JSONL file")

    # ---------------------------------------------------------------- jobs

    def _job(self, record: JobRecord) -> pb.FineTuningJob:
        job = pb.FineTuningJob(job_id=record.id, status=STATUS[record.state],
                               checkpoints=[Path(c.path).as_uri() for c in self._engine.checkpoints(record)],
                               logs=f"/fine_tuning/jobs/tail?job_id={record.id}")
        job.created.CopyFrom(timestamp(record.created_at))
        if record.finished_at is not None:
            job.finished_at.CopyFrom(timestamp(record.finished_at))
        if record.state == JobState.FAILED and self._engine.log_file(record).exists():
            job.error_path = self._engine.log_file(record).as_uri()
        json_format.ParseDict(record.params["config"], job.input_config)
        if job.input_config.HasField("metadata"):
            job.metadata.CopyFrom(job.input_config.metadata)
        return job


def training_items(raw: bytes, field: str) -> list[dict]:
    """The SFT examples of a JSONL file of TrainingDataItems (dialog, keep_loss)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidArgument(field, f"the file is not UTF-8 (byte {exc.start})") from None
    examples = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = from_json(json.loads(line), pb.TrainingDataItem)
        except (ValueError, JsonMappingError) as exc:
            raise InvalidArgument(field, f"line {number} is not a TrainingDataItem: {exc}") from None
        examples.append(_example(item, field, number))
    if not examples:
        raise InvalidArgument(field, "holds no TrainingDataItem")
    return examples


def _example(item: pb.TrainingDataItem, field: str, number: int) -> dict:
    messages = []
    for message in item.dialog:
        if message.WhichOneof("message") == "output":
            messages.append({"role": "assistant", "content": message.output.text})
        elif message.input.role == v0.MODEL_INPUT_MESSAGE_ROLE_TOOL:
            messages.append({"role": "ipython", "content": message.input.text})
        else:
            messages.append({"role": "user", "content": message.input.text})
    if not messages:
        raise InvalidArgument(field, f"line {number}: dialog is empty")
    keep = list(item.keep_loss) or None
    if keep is not None and len(keep) != len(messages):
        raise InvalidArgument(field, f"line {number}: keep_loss has {len(keep)} values for {len(messages)} messages")
    return data.sft_example(messages, keep)


def _plan(source, options: pb.FineTuningOptions) -> TrainingPlan:
    plan = TrainingPlan(method="sft", model_id=source.model_id, checkpoint=source.checkpoint, adapter=source.adapter,
                        max_steps_per_epoch=0, device=device(),
                        epochs=options.n_epochs if options.HasField("n_epochs") else 1,
                        batch_size=options.batch_size if options.HasField("batch_size") else 1,
                        gradient_accumulation_steps=(options.gradient_accumulation_steps
                                                     if options.HasField("gradient_accumulation_steps") else 1),
                        shuffle=options.shuffle if options.HasField("shuffle") else True,
                        optimizer=OptimizerSettings(lr=options.lr if options.HasField("lr") else DEFAULT_LR))
    if options.HasField("seed"):
        plan.seed = options.seed
    custom = options.custom_training_options
    kind = custom.WhichOneof("options")
    if kind == "full_fine_tuning_options":
        full = custom.full_fine_tuning_options
        plan.activation_checkpointing = (full.enable_activation_checkpointing
                                         if full.HasField("enable_activation_checkpointing") else True)
    elif kind == "lora_fine_tuning_options":
        lora = custom.lora_fine_tuning_options
        modules = list(lora.lora_attn_modules) or DEFAULT_LORA["attention_modules"]
        plan.algorithm = "lora"
        plan.lora = LoraSettings(rank=lora.lora_rank if lora.HasField("lora_rank") else DEFAULT_LORA["rank"],
                                 alpha=lora.lora_alpha if lora.HasField("lora_alpha") else DEFAULT_LORA["alpha"],
                                 attention_modules=attention_modules(modules, FIELDS["lora.attention_modules"]),
                                 mlp=lora.apply_lora_to_mlp, output=lora.apply_lora_to_output)
    _extras(plan, struct_to_dict(options.extras) if options.HasField("extras") else {})
    return plan


def _extras(plan: TrainingPlan, extras: dict) -> None:
    for key, value in extras.items():
        field = f"{OPTIONS}.extras.{key}"
        if key not in EXTRAS:
            raise InvalidArgument(field, f"unknown setting; known: {', '.join(EXTRAS)}")
        setting, kind = EXTRAS[key]
        if kind is int and isinstance(value, float) and value.is_integer():
            value = int(value)
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise InvalidArgument(field, f"must be a {kind.__name__}, got {json.dumps(value)}")
        target, _, name = setting.rpartition(".")
        setattr(plan.optimizer if target else plan, name, value)
