"""The 2025 post-training API's front door to the trainer: supervised fine-tuning and
preference optimization requests as training plans (on registered datasets), and jobs as
the spec's status and artifacts."""
from __future__ import annotations

from collections.abc import Callable

from google.protobuf import empty_pb2

from llamastack.posttraining.v1alpha import posttraining_pb2 as pb
from llamastack_grpc import struct_to_dict
from server.datasets.service import DatasetService
from server.errors import FailedPrecondition, InvalidArgument, NotFound
from server.ids import check_id
from server.jobs import JobRecord, JobState
from server.jobs.helpers import timestamp
from server.training import data
from server.training.engine import Checkpoint, TrainingEngine, device, qlora_available
from server.training.plan import (
    DpoSettings,
    LoraSettings,
    OptimizerSettings,
    QatSettings,
    TrainingPlan,
    attention_modules,
    check_plan,
    quantizer,
)

API = "post_training"
NOUN = "Training job"

STATUS = {
    JobState.VALIDATING: pb.JOB_STATUS_SCHEDULED,
    JobState.QUEUED: pb.JOB_STATUS_SCHEDULED,
    JobState.RUNNING: pb.JOB_STATUS_IN_PROGRESS,
    JobState.COMPLETED: pb.JOB_STATUS_COMPLETED,
    JobState.FAILED: pb.JOB_STATUS_FAILED,
    JobState.CANCELLED: pb.JOB_STATUS_CANCELLED,
}
OPTIMIZERS = {pb.OPTIMIZER_TYPE_ADAM: "adam", pb.OPTIMIZER_TYPE_ADAMW: "adamw", pb.OPTIMIZER_TYPE_SGD: "sgd"}
DPO_LOSSES = {pb.DPO_LOSS_TYPE_UNSPECIFIED: "sigmoid", pb.DPO_LOSS_TYPE_SIGMOID: "sigmoid",
              pb.DPO_LOSS_TYPE_HINGE: "hinge", pb.DPO_LOSS_TYPE_IPO: "ipo"}
# Where each plan setting comes from in a request, for error messages.
FIELDS = {
    "epochs": "training_config.n_epochs", "max_steps_per_epoch": "training_config.max_steps_per_epoch",
    "gradient_accumulation_steps": "training_config.gradient_accumulation_steps",
    "max_validation_steps": "training_config.max_validation_steps", "dtype": "training_config.dtype",
    "batch_size": "training_config.data_config.batch_size",
    "optimizer.type": "training_config.optimizer_config.optimizer_type",
    "optimizer.lr": "training_config.optimizer_config.lr",
    "optimizer.weight_decay": "training_config.optimizer_config.weight_decay",
    "optimizer.warmup_steps": "training_config.optimizer_config.num_warmup_steps",
    "lora.rank": "algorithm_config.rank", "lora.alpha": "algorithm_config.alpha",
    "lora.attention_modules": "algorithm_config.lora_attn_modules", "qat.group_size": "algorithm_config.group_size",
    "dpo.beta": "algorithm_config.beta",
}


class PostTraining:
    def __init__(self, engine: TrainingEngine, datasets: DatasetService):
        self._engine = engine
        self._datasets = datasets

    # ---------------------------------------------------------------- submission

    async def supervised_fine_tune(self, request: pb.SupervisedFineTuneRequest) -> pb.PostTrainingJob:
        check_id(request.job_uuid, "job_uuid", path_segment=True)
        if not request.HasField("model") or not request.model:
            raise InvalidArgument("model", "is required: the id of the model to fine-tune (see /v1/models)")
        source = self._engine.source(request.model, "model")
        plan = _plan("sft", source, request.training_config)
        _algorithm(plan, request.algorithm_config if request.HasField("algorithm_config") else None)
        check_plan(plan, FIELDS, cuda=plan.device == "cuda")
        data_format = _data_config(request.training_config).data_format
        if data_format not in (pb.DATASET_FORMAT_DIALOG, pb.DATASET_FORMAT_INSTRUCT):
            raise InvalidArgument("training_config.data_config.data_format", "must be instruct or dialog")

        def examples(rows: list[dict], field: str) -> list[dict]:
            found = (data.dialog_examples(rows, field) if data_format == pb.DATASET_FORMAT_DIALOG
                     else data.instruct_examples(rows, field))
            data.check_trainable(found, plan.train_on_input, field)
            return found

        train, validation = await self._examples(request.training_config, examples)
        await self._engine.submit(API, plan, train, validation, request.job_uuid)
        return pb.PostTrainingJob(job_uuid=request.job_uuid)

    async def preference_optimize(self, request: pb.PreferenceOptimizeRequest) -> pb.PostTrainingJob:
        check_id(request.job_uuid, "job_uuid", path_segment=True)
        source = self._engine.source(request.finetuned_model, "finetuned_model")
        plan = _plan("dpo", source, request.training_config)
        config = request.algorithm_config
        if config.loss_type == pb.DPO_LOSS_TYPE_KTO_PAIR:
            raise InvalidArgument("algorithm_config.loss_type", "kto_pair is not available: TRL, which trains DPO "
                                                                "here, removed it; use sigmoid, hinge or ipo")
        if config.loss_type not in DPO_LOSSES:
            raise InvalidArgument("algorithm_config.loss_type", f"unknown loss type {config.loss_type}")
        plan.dpo = DpoSettings(beta=config.beta, loss_type=DPO_LOSSES[config.loss_type])
        check_plan(plan, FIELDS, cuda=plan.device == "cuda")
        train, validation = await self._examples(request.training_config, data.preference_examples)
        await self._engine.submit(API, plan, train, validation, request.job_uuid)
        return pb.PostTrainingJob(job_uuid=request.job_uuid)

    async def _examples(self, config: pb.TrainingConfig,
                        convert: Callable[[list[dict], str], list[dict]]) -> tuple[list[dict], list[dict]]:
        """The training and validation examples of the request's datasets."""
        data_config = _data_config(config)
        field = "training_config.data_config.dataset_id"
        train = convert(await self._rows(data_config.dataset_id, field), field)
        validation = []
        if data_config.HasField("validation_dataset_id"):
            field = "training_config.data_config.validation_dataset_id"
            validation = convert(await self._rows(data_config.validation_dataset_id, field), field)
        return train, validation

    async def _rows(self, dataset_id: str, field: str) -> list[dict]:
        try:
            page = await self._datasets.iterrows(dataset_id)
        except NotFound:
            raise InvalidArgument(field, f"dataset {dataset_id!r} is not registered") from None
        return [struct_to_dict(row) for row in page.data]

    # ---------------------------------------------------------------- jobs

    def jobs(self) -> pb.ListPostTrainingJobsResponse:
        return pb.ListPostTrainingJobsResponse(data=[pb.PostTrainingJob(job_uuid=r.id)
                                                     for r in self._engine.jobs(API)])

    def status(self, job_uuid: str) -> pb.PostTrainingJobStatusResponse:
        record = self._engine.job(API, job_uuid, NOUN, "job_uuid")
        response = pb.PostTrainingJobStatusResponse(job_uuid=record.id, status=STATUS[record.state],
                                                    checkpoints=self._checkpoints(record))
        response.scheduled_at.CopyFrom(timestamp(record.created_at))
        if record.started_at is not None:
            response.started_at.CopyFrom(timestamp(record.started_at))
        if record.finished_at is not None:
            response.completed_at.CopyFrom(timestamp(record.finished_at))
        response.resources_allocated.update(_resources(record))
        return response

    async def cancel(self, job_uuid: str) -> empty_pb2.Empty:
        await self._engine.cancel(API, job_uuid, NOUN, "job_uuid")
        return empty_pb2.Empty()

    def artifacts(self, job_uuid: str) -> pb.PostTrainingJobArtifactsResponse:
        record = self._engine.job(API, job_uuid, NOUN, "job_uuid")
        return pb.PostTrainingJobArtifactsResponse(job_uuid=record.id, checkpoints=self._checkpoints(record))

    def _checkpoints(self, record: JobRecord) -> list[pb.Checkpoint]:
        return [_checkpoint(record.id, c) for c in self._engine.checkpoints(record)]


# ---------------------------------------------------------------- requests as plans


def _plan(method: str, source, config: pb.TrainingConfig) -> TrainingPlan:
    plan = TrainingPlan(method=method, model_id=source.model_id, checkpoint=source.checkpoint, adapter=source.adapter,
                        epochs=config.n_epochs, max_steps_per_epoch=config.max_steps_per_epoch,
                        gradient_accumulation_steps=config.gradient_accumulation_steps, device=device())
    for name in ("epochs", "max_steps_per_epoch", "gradient_accumulation_steps"):
        if getattr(plan, name) <= 0:
            raise InvalidArgument(FIELDS[name], f"must be > 0, got {getattr(plan, name)}")
    if config.HasField("max_validation_steps"):
        plan.max_validation_steps = config.max_validation_steps
        if plan.max_validation_steps <= 0:
            raise InvalidArgument(FIELDS["max_validation_steps"], f"must be > 0, got {plan.max_validation_steps}")
    if config.HasField("dtype"):
        plan.dtype = config.dtype
    if config.HasField("data_config"):
        data_config = config.data_config
        plan.batch_size, plan.shuffle = data_config.batch_size, data_config.shuffle
        plan.packed, plan.train_on_input = data_config.packed, data_config.train_on_input
    if config.HasField("optimizer_config"):
        optimizer = config.optimizer_config
        if optimizer.optimizer_type not in OPTIMIZERS:
            raise InvalidArgument(FIELDS["optimizer.type"], "unknown optimizer; expected adam, adamw or sgd")
        plan.optimizer = OptimizerSettings(type=OPTIMIZERS[optimizer.optimizer_type], lr=optimizer.lr,
                                           weight_decay=optimizer.weight_decay,
                                           warmup_steps=optimizer.num_warmup_steps)
    if config.HasField("efficiency_config"):
        plan.activation_checkpointing = config.efficiency_config.enable_activation_checkpointing
    return plan


def _algorithm(plan: TrainingPlan, config: pb.AlgorithmConfig | None) -> None:
    kind = config.WhichOneof("config") if config is not None else None
    if kind == "lora":
        lora = config.lora
        if lora.quantize_base and not qlora_available():
            raise FailedPrecondition("algorithm_config.quantize_base: QLoRA needs bitsandbytes and a CUDA device, "
                                     "and this server has neither; train LoRA without quantize_base")
        plan.algorithm = "lora"
        plan.lora = LoraSettings(rank=lora.rank, alpha=lora.alpha,
                                 attention_modules=attention_modules(list(lora.lora_attn_modules),
                                                                     "algorithm_config.lora_attn_modules"),
                                 mlp=lora.apply_lora_to_mlp, output=lora.apply_lora_to_output, dora=lora.use_dora)
    elif kind == "qat":
        plan.algorithm = "qat"
        plan.qat = QatSettings(quantizer=quantizer(config.qat.quantizer_name, "algorithm_config.quantizer_name"),
                               group_size=config.qat.group_size)


def _data_config(config: pb.TrainingConfig) -> pb.DataConfig:
    if not config.HasField("data_config"):
        raise InvalidArgument("training_config.data_config", "is required: name the dataset to train on")
    return config.data_config


# ---------------------------------------------------------------- jobs as the spec's messages


def _checkpoint(job_id: str, checkpoint: Checkpoint) -> pb.Checkpoint:
    message = pb.Checkpoint(identifier=checkpoint.model_id, epoch=checkpoint.epoch, post_training_job_id=job_id,
                            path=checkpoint.path)
    message.created_at.CopyFrom(timestamp(checkpoint.created_at))
    metrics = message.training_metrics
    metrics.epoch = checkpoint.epoch
    for name in ("train_loss", "validation_loss", "perplexity"):
        if getattr(checkpoint, name) is not None:
            setattr(metrics, name, getattr(checkpoint, name))
    return message


def _resources(record: JobRecord) -> dict:
    """The device the job trains on, and its progress as the trainer reports it."""
    plan = record.params["plan"]
    progress = {k: v for k, v in record.progress.items() if k != "first_step_at"}
    return {"device": plan["device"], "method": plan["method"], "algorithm": plan["algorithm"], "progress": progress}
