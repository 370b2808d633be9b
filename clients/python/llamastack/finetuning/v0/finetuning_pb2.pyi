import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from llamastack.annotations.v1 import annotations_pb2 as _annotations_pb2_1
from llamastack.common.v0 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class FineTuningJobStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FINE_TUNING_JOB_STATUS_UNSPECIFIED: _ClassVar[FineTuningJobStatus]
    FINE_TUNING_JOB_STATUS_VALIDATION: _ClassVar[FineTuningJobStatus]
    FINE_TUNING_JOB_STATUS_QUEUED: _ClassVar[FineTuningJobStatus]
    FINE_TUNING_JOB_STATUS_RUNNING: _ClassVar[FineTuningJobStatus]
    FINE_TUNING_JOB_STATUS_FAILED: _ClassVar[FineTuningJobStatus]
    FINE_TUNING_JOB_STATUS_SUCCESS: _ClassVar[FineTuningJobStatus]
    FINE_TUNING_JOB_STATUS_CANCELLED: _ClassVar[FineTuningJobStatus]
FINE_TUNING_JOB_STATUS_UNSPECIFIED: FineTuningJobStatus
FINE_TUNING_JOB_STATUS_VALIDATION: FineTuningJobStatus
FINE_TUNING_JOB_STATUS_QUEUED: FineTuningJobStatus
FINE_TUNING_JOB_STATUS_RUNNING: FineTuningJobStatus
FINE_TUNING_JOB_STATUS_FAILED: FineTuningJobStatus
FINE_TUNING_JOB_STATUS_SUCCESS: FineTuningJobStatus
FINE_TUNING_JOB_STATUS_CANCELLED: FineTuningJobStatus

class TrainingDataItem(_message.Message):
    __slots__ = ("dialog", "keep_loss")
    DIALOG_FIELD_NUMBER: _ClassVar[int]
    KEEP_LOSS_FIELD_NUMBER: _ClassVar[int]
    dialog: _containers.RepeatedCompositeFieldContainer[_common_pb2.Message]
    keep_loss: _containers.RepeatedScalarFieldContainer[bool]
    def __init__(self, dialog: _Optional[_Iterable[_Union[_common_pb2.Message, _Mapping]]] = ..., keep_loss: _Optional[_Iterable[bool]] = ...) -> None: ...

class WandBLogger(_message.Message):
    __slots__ = ("log_type", "project")
    LOG_TYPE_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    log_type: str
    project: str
    def __init__(self, log_type: _Optional[str] = ..., project: _Optional[str] = ...) -> None: ...

class DiskLogger(_message.Message):
    __slots__ = ("log_type", "filename")
    LOG_TYPE_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    log_type: str
    filename: str
    def __init__(self, log_type: _Optional[str] = ..., filename: _Optional[str] = ...) -> None: ...

class Logger(_message.Message):
    __slots__ = ("disk_logger", "wandb_logger")
    DISK_LOGGER_FIELD_NUMBER: _ClassVar[int]
    WANDB_LOGGER_FIELD_NUMBER: _ClassVar[int]
    disk_logger: DiskLogger
    wandb_logger: WandBLogger
    def __init__(self, disk_logger: _Optional[_Union[DiskLogger, _Mapping]] = ..., wandb_logger: _Optional[_Union[WandBLogger, _Mapping]] = ...) -> None: ...

class FullFineTuningOptions(_message.Message):
    __slots__ = ("finetuning_type", "enable_activation_checkpointing", "memory_efficient_fsdp_wrap", "fsdp_cpu_offload")
    FINETUNING_TYPE_FIELD_NUMBER: _ClassVar[int]
    ENABLE_ACTIVATION_CHECKPOINTING_FIELD_NUMBER: _ClassVar[int]
    MEMORY_EFFICIENT_FSDP_WRAP_FIELD_NUMBER: _ClassVar[int]
    FSDP_CPU_OFFLOAD_FIELD_NUMBER: _ClassVar[int]
    finetuning_type: str
    enable_activation_checkpointing: bool
    memory_efficient_fsdp_wrap: bool
    fsdp_cpu_offload: bool
    def __init__(self, finetuning_type: _Optional[str] = ..., enable_activation_checkpointing: _Optional[bool] = ..., memory_efficient_fsdp_wrap: _Optional[bool] = ..., fsdp_cpu_offload: _Optional[bool] = ...) -> None: ...

class LoraFineTuningOptions(_message.Message):
    __slots__ = ("finetuning_type", "lora_attn_modules", "apply_lora_to_mlp", "apply_lora_to_output", "lora_rank", "lora_alpha")
    FINETUNING_TYPE_FIELD_NUMBER: _ClassVar[int]
    LORA_ATTN_MODULES_FIELD_NUMBER: _ClassVar[int]
    APPLY_LORA_TO_MLP_FIELD_NUMBER: _ClassVar[int]
    APPLY_LORA_TO_OUTPUT_FIELD_NUMBER: _ClassVar[int]
    LORA_RANK_FIELD_NUMBER: _ClassVar[int]
    LORA_ALPHA_FIELD_NUMBER: _ClassVar[int]
    finetuning_type: str
    lora_attn_modules: _containers.RepeatedScalarFieldContainer[str]
    apply_lora_to_mlp: bool
    apply_lora_to_output: bool
    lora_rank: int
    lora_alpha: int
    def __init__(self, finetuning_type: _Optional[str] = ..., lora_attn_modules: _Optional[_Iterable[str]] = ..., apply_lora_to_mlp: _Optional[bool] = ..., apply_lora_to_output: _Optional[bool] = ..., lora_rank: _Optional[int] = ..., lora_alpha: _Optional[int] = ...) -> None: ...

class CustomTrainingOptions(_message.Message):
    __slots__ = ("full_fine_tuning_options", "lora_fine_tuning_options")
    FULL_FINE_TUNING_OPTIONS_FIELD_NUMBER: _ClassVar[int]
    LORA_FINE_TUNING_OPTIONS_FIELD_NUMBER: _ClassVar[int]
    full_fine_tuning_options: FullFineTuningOptions
    lora_fine_tuning_options: LoraFineTuningOptions
    def __init__(self, full_fine_tuning_options: _Optional[_Union[FullFineTuningOptions, _Mapping]] = ..., lora_fine_tuning_options: _Optional[_Union[LoraFineTuningOptions, _Mapping]] = ...) -> None: ...

class FineTuningOptions(_message.Message):
    __slots__ = ("n_epochs", "batch_size", "lr", "gradient_accumulation_steps", "seed", "shuffle", "custom_training_options", "extras")
    N_EPOCHS_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    LR_FIELD_NUMBER: _ClassVar[int]
    GRADIENT_ACCUMULATION_STEPS_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    SHUFFLE_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_TRAINING_OPTIONS_FIELD_NUMBER: _ClassVar[int]
    EXTRAS_FIELD_NUMBER: _ClassVar[int]
    n_epochs: int
    batch_size: int
    lr: float
    gradient_accumulation_steps: int
    seed: int
    shuffle: bool
    custom_training_options: CustomTrainingOptions
    extras: _struct_pb2.Struct
    def __init__(self, n_epochs: _Optional[int] = ..., batch_size: _Optional[int] = ..., lr: _Optional[float] = ..., gradient_accumulation_steps: _Optional[int] = ..., seed: _Optional[int] = ..., shuffle: _Optional[bool] = ..., custom_training_options: _Optional[_Union[CustomTrainingOptions, _Mapping]] = ..., extras: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class Config(_message.Message):
    __slots__ = ("model", "data", "validation_data", "fine_tuning_options", "logger", "overrides", "metadata")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    VALIDATION_DATA_FIELD_NUMBER: _ClassVar[int]
    FINE_TUNING_OPTIONS_FIELD_NUMBER: _ClassVar[int]
    LOGGER_FIELD_NUMBER: _ClassVar[int]
    OVERRIDES_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    model: str
    data: str
    validation_data: str
    fine_tuning_options: FineTuningOptions
    logger: Logger
    overrides: str
    metadata: _struct_pb2.Struct
    def __init__(self, model: _Optional[str] = ..., data: _Optional[str] = ..., validation_data: _Optional[str] = ..., fine_tuning_options: _Optional[_Union[FineTuningOptions, _Mapping]] = ..., logger: _Optional[_Union[Logger, _Mapping]] = ..., overrides: _Optional[str] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class FineTuningJob(_message.Message):
    __slots__ = ("job_id", "created", "finished_at", "status", "error_path", "checkpoints", "logs", "input_config", "metadata")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ERROR_PATH_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINTS_FIELD_NUMBER: _ClassVar[int]
    LOGS_FIELD_NUMBER: _ClassVar[int]
    INPUT_CONFIG_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    created: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    status: FineTuningJobStatus
    error_path: str
    checkpoints: _containers.RepeatedScalarFieldContainer[str]
    logs: str
    input_config: Config
    metadata: _struct_pb2.Struct
    def __init__(self, job_id: _Optional[str] = ..., created: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status: _Optional[_Union[FineTuningJobStatus, str]] = ..., error_path: _Optional[str] = ..., checkpoints: _Optional[_Iterable[str]] = ..., logs: _Optional[str] = ..., input_config: _Optional[_Union[Config, _Mapping]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class GetFineTuningJobStatusRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class CancelFineTuningJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class TailFineTuningJobLogsRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class TailFineTuningJobLogsResponse(_message.Message):
    __slots__ = ("logs",)
    LOGS_FIELD_NUMBER: _ClassVar[int]
    logs: _containers.RepeatedCompositeFieldContainer[_common_pb2.Log]
    def __init__(self, logs: _Optional[_Iterable[_Union[_common_pb2.Log, _Mapping]]] = ...) -> None: ...
