import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from llamastack.annotations.v1 import annotations_pb2 as _annotations_pb2_1
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DatasetFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DATASET_FORMAT_UNSPECIFIED: _ClassVar[DatasetFormat]
    DATASET_FORMAT_INSTRUCT: _ClassVar[DatasetFormat]
    DATASET_FORMAT_DIALOG: _ClassVar[DatasetFormat]

class OptimizerType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OPTIMIZER_TYPE_UNSPECIFIED: _ClassVar[OptimizerType]
    OPTIMIZER_TYPE_ADAM: _ClassVar[OptimizerType]
    OPTIMIZER_TYPE_ADAMW: _ClassVar[OptimizerType]
    OPTIMIZER_TYPE_SGD: _ClassVar[OptimizerType]

class DPOLossType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DPO_LOSS_TYPE_UNSPECIFIED: _ClassVar[DPOLossType]
    DPO_LOSS_TYPE_SIGMOID: _ClassVar[DPOLossType]
    DPO_LOSS_TYPE_HINGE: _ClassVar[DPOLossType]
    DPO_LOSS_TYPE_IPO: _ClassVar[DPOLossType]
    DPO_LOSS_TYPE_KTO_PAIR: _ClassVar[DPOLossType]

class JobStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOB_STATUS_UNSPECIFIED: _ClassVar[JobStatus]
    JOB_STATUS_COMPLETED: _ClassVar[JobStatus]
    JOB_STATUS_IN_PROGRESS: _ClassVar[JobStatus]
    JOB_STATUS_FAILED: _ClassVar[JobStatus]
    JOB_STATUS_SCHEDULED: _ClassVar[JobStatus]
    JOB_STATUS_CANCELLED: _ClassVar[JobStatus]
DATASET_FORMAT_UNSPECIFIED: DatasetFormat
DATASET_FORMAT_INSTRUCT: DatasetFormat
DATASET_FORMAT_DIALOG: DatasetFormat
OPTIMIZER_TYPE_UNSPECIFIED: OptimizerType
OPTIMIZER_TYPE_ADAM: OptimizerType
OPTIMIZER_TYPE_ADAMW: OptimizerType
OPTIMIZER_TYPE_SGD: OptimizerType
DPO_LOSS_TYPE_UNSPECIFIED: DPOLossType
DPO_LOSS_TYPE_SIGMOID: DPOLossType
DPO_LOSS_TYPE_HINGE: DPOLossType
DPO_LOSS_TYPE_IPO: DPOLossType
DPO_LOSS_TYPE_KTO_PAIR: DPOLossType
JOB_STATUS_UNSPECIFIED: JobStatus
JOB_STATUS_COMPLETED: JobStatus
JOB_STATUS_IN_PROGRESS: JobStatus
JOB_STATUS_FAILED: JobStatus
JOB_STATUS_SCHEDULED: JobStatus
JOB_STATUS_CANCELLED: JobStatus

class DataConfig(_message.Message):
    __slots__ = ("dataset_id", "batch_size", "shuffle", "data_format", "validation_dataset_id", "packed", "train_on_input")
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    SHUFFLE_FIELD_NUMBER: _ClassVar[int]
    DATA_FORMAT_FIELD_NUMBER: _ClassVar[int]
    VALIDATION_DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    PACKED_FIELD_NUMBER: _ClassVar[int]
    TRAIN_ON_INPUT_FIELD_NUMBER: _ClassVar[int]
    dataset_id: str
    batch_size: int
    shuffle: bool
    data_format: DatasetFormat
    validation_dataset_id: str
    packed: bool
    train_on_input: bool
    def __init__(self, dataset_id: _Optional[str] = ..., batch_size: _Optional[int] = ..., shuffle: _Optional[bool] = ..., data_format: _Optional[_Union[DatasetFormat, str]] = ..., validation_dataset_id: _Optional[str] = ..., packed: _Optional[bool] = ..., train_on_input: _Optional[bool] = ...) -> None: ...

class OptimizerConfig(_message.Message):
    __slots__ = ("optimizer_type", "lr", "weight_decay", "num_warmup_steps")
    OPTIMIZER_TYPE_FIELD_NUMBER: _ClassVar[int]
    LR_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_DECAY_FIELD_NUMBER: _ClassVar[int]
    NUM_WARMUP_STEPS_FIELD_NUMBER: _ClassVar[int]
    optimizer_type: OptimizerType
    lr: float
    weight_decay: float
    num_warmup_steps: int
    def __init__(self, optimizer_type: _Optional[_Union[OptimizerType, str]] = ..., lr: _Optional[float] = ..., weight_decay: _Optional[float] = ..., num_warmup_steps: _Optional[int] = ...) -> None: ...

class EfficiencyConfig(_message.Message):
    __slots__ = ("enable_activation_checkpointing", "enable_activation_offloading", "memory_efficient_fsdp_wrap", "fsdp_cpu_offload")
    ENABLE_ACTIVATION_CHECKPOINTING_FIELD_NUMBER: _ClassVar[int]
    ENABLE_ACTIVATION_OFFLOADING_FIELD_NUMBER: _ClassVar[int]
    MEMORY_EFFICIENT_FSDP_WRAP_FIELD_NUMBER: _ClassVar[int]
    FSDP_CPU_OFFLOAD_FIELD_NUMBER: _ClassVar[int]
    enable_activation_checkpointing: bool
    enable_activation_offloading: bool
    memory_efficient_fsdp_wrap: bool
    fsdp_cpu_offload: bool
    def __init__(self, enable_activation_checkpointing: _Optional[bool] = ..., enable_activation_offloading: _Optional[bool] = ..., memory_efficient_fsdp_wrap: _Optional[bool] = ..., fsdp_cpu_offload: _Optional[bool] = ...) -> None: ...

class TrainingConfig(_message.Message):
    __slots__ = ("n_epochs", "max_steps_per_epoch", "gradient_accumulation_steps", "max_validation_steps", "data_config", "optimizer_config", "efficiency_config", "dtype")
    N_EPOCHS_FIELD_NUMBER: _ClassVar[int]
    MAX_STEPS_PER_EPOCH_FIELD_NUMBER: _ClassVar[int]
    GRADIENT_ACCUMULATION_STEPS_FIELD_NUMBER: _ClassVar[int]
    MAX_VALIDATION_STEPS_FIELD_NUMBER: _ClassVar[int]
    DATA_CONFIG_FIELD_NUMBER: _ClassVar[int]
    OPTIMIZER_CONFIG_FIELD_NUMBER: _ClassVar[int]
    EFFICIENCY_CONFIG_FIELD_NUMBER: _ClassVar[int]
    DTYPE_FIELD_NUMBER: _ClassVar[int]
    n_epochs: int
    max_steps_per_epoch: int
    gradient_accumulation_steps: int
    max_validation_steps: int
    data_config: DataConfig
    optimizer_config: OptimizerConfig
    efficiency_config: EfficiencyConfig
    dtype: str
    def __init__(self, n_epochs: _Optional[int] = ..., max_steps_per_epoch: _Optional[int] = ..., gradient_accumulation_steps: _Optional[int] = ..., max_validation_steps: _Optional[int] = ..., data_config: _Optional[_Union[DataConfig, _Mapping]] = ..., optimizer_config: _Optional[_Union[OptimizerConfig, _Mapping]] = ..., efficiency_config: _Optional[_Union[EfficiencyConfig, _Mapping]] = ..., dtype: _Optional[str] = ...) -> None: ...

class LoraFinetuningConfig(_message.Message):
    __slots__ = ("type", "lora_attn_modules", "apply_lora_to_mlp", "apply_lora_to_output", "rank", "alpha", "use_dora", "quantize_base")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    LORA_ATTN_MODULES_FIELD_NUMBER: _ClassVar[int]
    APPLY_LORA_TO_MLP_FIELD_NUMBER: _ClassVar[int]
    APPLY_LORA_TO_OUTPUT_FIELD_NUMBER: _ClassVar[int]
    RANK_FIELD_NUMBER: _ClassVar[int]
    ALPHA_FIELD_NUMBER: _ClassVar[int]
    USE_DORA_FIELD_NUMBER: _ClassVar[int]
    QUANTIZE_BASE_FIELD_NUMBER: _ClassVar[int]
    type: str
    lora_attn_modules: _containers.RepeatedScalarFieldContainer[str]
    apply_lora_to_mlp: bool
    apply_lora_to_output: bool
    rank: int
    alpha: int
    use_dora: bool
    quantize_base: bool
    def __init__(self, type: _Optional[str] = ..., lora_attn_modules: _Optional[_Iterable[str]] = ..., apply_lora_to_mlp: _Optional[bool] = ..., apply_lora_to_output: _Optional[bool] = ..., rank: _Optional[int] = ..., alpha: _Optional[int] = ..., use_dora: _Optional[bool] = ..., quantize_base: _Optional[bool] = ...) -> None: ...

class QATFinetuningConfig(_message.Message):
    __slots__ = ("type", "quantizer_name", "group_size")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    QUANTIZER_NAME_FIELD_NUMBER: _ClassVar[int]
    GROUP_SIZE_FIELD_NUMBER: _ClassVar[int]
    type: str
    quantizer_name: str
    group_size: int
    def __init__(self, type: _Optional[str] = ..., quantizer_name: _Optional[str] = ..., group_size: _Optional[int] = ...) -> None: ...

class AlgorithmConfig(_message.Message):
    __slots__ = ("lora", "qat")
    LORA_FIELD_NUMBER: _ClassVar[int]
    QAT_FIELD_NUMBER: _ClassVar[int]
    lora: LoraFinetuningConfig
    qat: QATFinetuningConfig
    def __init__(self, lora: _Optional[_Union[LoraFinetuningConfig, _Mapping]] = ..., qat: _Optional[_Union[QATFinetuningConfig, _Mapping]] = ...) -> None: ...

class DPOAlignmentConfig(_message.Message):
    __slots__ = ("beta", "loss_type")
    BETA_FIELD_NUMBER: _ClassVar[int]
    LOSS_TYPE_FIELD_NUMBER: _ClassVar[int]
    beta: float
    loss_type: DPOLossType
    def __init__(self, beta: _Optional[float] = ..., loss_type: _Optional[_Union[DPOLossType, str]] = ...) -> None: ...

class PostTrainingMetric(_message.Message):
    __slots__ = ("epoch", "train_loss", "validation_loss", "perplexity")
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    TRAIN_LOSS_FIELD_NUMBER: _ClassVar[int]
    VALIDATION_LOSS_FIELD_NUMBER: _ClassVar[int]
    PERPLEXITY_FIELD_NUMBER: _ClassVar[int]
    epoch: int
    train_loss: float
    validation_loss: float
    perplexity: float
    def __init__(self, epoch: _Optional[int] = ..., train_loss: _Optional[float] = ..., validation_loss: _Optional[float] = ..., perplexity: _Optional[float] = ...) -> None: ...

class Checkpoint(_message.Message):
    __slots__ = ("identifier", "created_at", "epoch", "post_training_job_id", "path", "training_metrics")
    IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    POST_TRAINING_JOB_ID_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    TRAINING_METRICS_FIELD_NUMBER: _ClassVar[int]
    identifier: str
    created_at: _timestamp_pb2.Timestamp
    epoch: int
    post_training_job_id: str
    path: str
    training_metrics: PostTrainingMetric
    def __init__(self, identifier: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., epoch: _Optional[int] = ..., post_training_job_id: _Optional[str] = ..., path: _Optional[str] = ..., training_metrics: _Optional[_Union[PostTrainingMetric, _Mapping]] = ...) -> None: ...

class PostTrainingJob(_message.Message):
    __slots__ = ("job_uuid",)
    JOB_UUID_FIELD_NUMBER: _ClassVar[int]
    job_uuid: str
    def __init__(self, job_uuid: _Optional[str] = ...) -> None: ...

class SupervisedFineTuneRequest(_message.Message):
    __slots__ = ("job_uuid", "training_config", "hyperparam_search_config", "logger_config", "model", "checkpoint_dir", "algorithm_config")
    JOB_UUID_FIELD_NUMBER: _ClassVar[int]
    TRAINING_CONFIG_FIELD_NUMBER: _ClassVar[int]
    HYPERPARAM_SEARCH_CONFIG_FIELD_NUMBER: _ClassVar[int]
    LOGGER_CONFIG_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_DIR_FIELD_NUMBER: _ClassVar[int]
    ALGORITHM_CONFIG_FIELD_NUMBER: _ClassVar[int]
    job_uuid: str
    training_config: TrainingConfig
    hyperparam_search_config: _struct_pb2.Struct
    logger_config: _struct_pb2.Struct
    model: str
    checkpoint_dir: str
    algorithm_config: AlgorithmConfig
    def __init__(self, job_uuid: _Optional[str] = ..., training_config: _Optional[_Union[TrainingConfig, _Mapping]] = ..., hyperparam_search_config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., logger_config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., model: _Optional[str] = ..., checkpoint_dir: _Optional[str] = ..., algorithm_config: _Optional[_Union[AlgorithmConfig, _Mapping]] = ...) -> None: ...

class PreferenceOptimizeRequest(_message.Message):
    __slots__ = ("job_uuid", "finetuned_model", "algorithm_config", "training_config", "hyperparam_search_config", "logger_config")
    JOB_UUID_FIELD_NUMBER: _ClassVar[int]
    FINETUNED_MODEL_FIELD_NUMBER: _ClassVar[int]
    ALGORITHM_CONFIG_FIELD_NUMBER: _ClassVar[int]
    TRAINING_CONFIG_FIELD_NUMBER: _ClassVar[int]
    HYPERPARAM_SEARCH_CONFIG_FIELD_NUMBER: _ClassVar[int]
    LOGGER_CONFIG_FIELD_NUMBER: _ClassVar[int]
    job_uuid: str
    finetuned_model: str
    algorithm_config: DPOAlignmentConfig
    training_config: TrainingConfig
    hyperparam_search_config: _struct_pb2.Struct
    logger_config: _struct_pb2.Struct
    def __init__(self, job_uuid: _Optional[str] = ..., finetuned_model: _Optional[str] = ..., algorithm_config: _Optional[_Union[DPOAlignmentConfig, _Mapping]] = ..., training_config: _Optional[_Union[TrainingConfig, _Mapping]] = ..., hyperparam_search_config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., logger_config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class GetTrainingJobsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListPostTrainingJobsResponse(_message.Message):
    __slots__ = ("data",)
    DATA_FIELD_NUMBER: _ClassVar[int]
    data: _containers.RepeatedCompositeFieldContainer[PostTrainingJob]
    def __init__(self, data: _Optional[_Iterable[_Union[PostTrainingJob, _Mapping]]] = ...) -> None: ...

class GetTrainingJobStatusRequest(_message.Message):
    __slots__ = ("job_uuid",)
    JOB_UUID_FIELD_NUMBER: _ClassVar[int]
    job_uuid: str
    def __init__(self, job_uuid: _Optional[str] = ...) -> None: ...

class PostTrainingJobStatusResponse(_message.Message):
    __slots__ = ("job_uuid", "status", "scheduled_at", "started_at", "completed_at", "resources_allocated", "checkpoints")
    JOB_UUID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_AT_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_ALLOCATED_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINTS_FIELD_NUMBER: _ClassVar[int]
    job_uuid: str
    status: JobStatus
    scheduled_at: _timestamp_pb2.Timestamp
    started_at: _timestamp_pb2.Timestamp
    completed_at: _timestamp_pb2.Timestamp
    resources_allocated: _struct_pb2.Struct
    checkpoints: _containers.RepeatedCompositeFieldContainer[Checkpoint]
    def __init__(self, job_uuid: _Optional[str] = ..., status: _Optional[_Union[JobStatus, str]] = ..., scheduled_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resources_allocated: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., checkpoints: _Optional[_Iterable[_Union[Checkpoint, _Mapping]]] = ...) -> None: ...

class CancelTrainingJobRequest(_message.Message):
    __slots__ = ("job_uuid",)
    JOB_UUID_FIELD_NUMBER: _ClassVar[int]
    job_uuid: str
    def __init__(self, job_uuid: _Optional[str] = ...) -> None: ...

class GetTrainingJobArtifactsRequest(_message.Message):
    __slots__ = ("job_uuid",)
    JOB_UUID_FIELD_NUMBER: _ClassVar[int]
    job_uuid: str
    def __init__(self, job_uuid: _Optional[str] = ...) -> None: ...

class PostTrainingJobArtifactsResponse(_message.Message):
    __slots__ = ("job_uuid", "checkpoints")
    JOB_UUID_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINTS_FIELD_NUMBER: _ClassVar[int]
    job_uuid: str
    checkpoints: _containers.RepeatedCompositeFieldContainer[Checkpoint]
    def __init__(self, job_uuid: _Optional[str] = ..., checkpoints: _Optional[_Iterable[_Union[Checkpoint, _Mapping]]] = ...) -> None: ...
