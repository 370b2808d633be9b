import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from llamastack.annotations.v1 import annotations_pb2 as _annotations_pb2
from llamastack.common.v1 import common_pb2 as _common_pb2
from llamastack.common.v1 import inference_pb2 as _inference_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ModelInputMessageRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MODEL_INPUT_MESSAGE_ROLE_UNSPECIFIED: _ClassVar[ModelInputMessageRole]
    MODEL_INPUT_MESSAGE_ROLE_USER: _ClassVar[ModelInputMessageRole]
    MODEL_INPUT_MESSAGE_ROLE_TOOL: _ClassVar[ModelInputMessageRole]

class FinishReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FINISH_REASON_UNSPECIFIED: _ClassVar[FinishReason]
    FINISH_REASON_STOP: _ClassVar[FinishReason]
    FINISH_REASON_SAFETY: _ClassVar[FinishReason]
    FINISH_REASON_MAX_LENGTH: _ClassVar[FinishReason]

class PathType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PATH_TYPE_UNSPECIFIED: _ClassVar[PathType]
    PATH_TYPE_RAW_BYTES: _ClassVar[PathType]
    PATH_TYPE_FILEPATH: _ClassVar[PathType]
    PATH_TYPE_URI: _ClassVar[PathType]

class BatchJobStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BATCH_JOB_STATUS_UNSPECIFIED: _ClassVar[BatchJobStatus]
    BATCH_JOB_STATUS_VALIDATING: _ClassVar[BatchJobStatus]
    BATCH_JOB_STATUS_RUNNING: _ClassVar[BatchJobStatus]
    BATCH_JOB_STATUS_COMPLETED: _ClassVar[BatchJobStatus]
    BATCH_JOB_STATUS_FAILED: _ClassVar[BatchJobStatus]
    BATCH_JOB_STATUS_CANCELLED: _ClassVar[BatchJobStatus]

class BatchOutputFile(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BATCH_OUTPUT_FILE_UNSPECIFIED: _ClassVar[BatchOutputFile]
    BATCH_OUTPUT_FILE_SUCCESS: _ClassVar[BatchOutputFile]
    BATCH_OUTPUT_FILE_ERROR: _ClassVar[BatchOutputFile]
MODEL_INPUT_MESSAGE_ROLE_UNSPECIFIED: ModelInputMessageRole
MODEL_INPUT_MESSAGE_ROLE_USER: ModelInputMessageRole
MODEL_INPUT_MESSAGE_ROLE_TOOL: ModelInputMessageRole
FINISH_REASON_UNSPECIFIED: FinishReason
FINISH_REASON_STOP: FinishReason
FINISH_REASON_SAFETY: FinishReason
FINISH_REASON_MAX_LENGTH: FinishReason
PATH_TYPE_UNSPECIFIED: PathType
PATH_TYPE_RAW_BYTES: PathType
PATH_TYPE_FILEPATH: PathType
PATH_TYPE_URI: PathType
BATCH_JOB_STATUS_UNSPECIFIED: BatchJobStatus
BATCH_JOB_STATUS_VALIDATING: BatchJobStatus
BATCH_JOB_STATUS_RUNNING: BatchJobStatus
BATCH_JOB_STATUS_COMPLETED: BatchJobStatus
BATCH_JOB_STATUS_FAILED: BatchJobStatus
BATCH_JOB_STATUS_CANCELLED: BatchJobStatus
BATCH_OUTPUT_FILE_UNSPECIFIED: BatchOutputFile
BATCH_OUTPUT_FILE_SUCCESS: BatchOutputFile
BATCH_OUTPUT_FILE_ERROR: BatchOutputFile

class Attachment(_message.Message):
    __slots__ = ("uri", "mime_type")
    URI_FIELD_NUMBER: _ClassVar[int]
    MIME_TYPE_FIELD_NUMBER: _ClassVar[int]
    uri: str
    mime_type: str
    def __init__(self, uri: _Optional[str] = ..., mime_type: _Optional[str] = ...) -> None: ...

class ModelInputMessage(_message.Message):
    __slots__ = ("role", "text", "attachments", "metadata")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    ATTACHMENTS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    role: ModelInputMessageRole
    text: str
    attachments: _containers.RepeatedCompositeFieldContainer[Attachment]
    metadata: _struct_pb2.Struct
    def __init__(self, role: _Optional[_Union[ModelInputMessageRole, str]] = ..., text: _Optional[str] = ..., attachments: _Optional[_Iterable[_Union[Attachment, _Mapping]]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ToolCall(_message.Message):
    __slots__ = ("name", "arguments", "return_value")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ARGUMENTS_FIELD_NUMBER: _ClassVar[int]
    RETURN_VALUE_FIELD_NUMBER: _ClassVar[int]
    name: str
    arguments: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Struct]
    return_value: _struct_pb2.Struct
    def __init__(self, name: _Optional[str] = ..., arguments: _Optional[_Iterable[_Union[_struct_pb2.Struct, _Mapping]]] = ..., return_value: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ModelOutputMessage(_message.Message):
    __slots__ = ("id", "text", "tokens", "tool_call", "eot", "is_complete", "is_header_complete", "log_probs", "finish_reason")
    ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    TOOL_CALL_FIELD_NUMBER: _ClassVar[int]
    EOT_FIELD_NUMBER: _ClassVar[int]
    IS_COMPLETE_FIELD_NUMBER: _ClassVar[int]
    IS_HEADER_COMPLETE_FIELD_NUMBER: _ClassVar[int]
    LOG_PROBS_FIELD_NUMBER: _ClassVar[int]
    FINISH_REASON_FIELD_NUMBER: _ClassVar[int]
    id: str
    text: str
    tokens: _containers.RepeatedScalarFieldContainer[int]
    tool_call: ToolCall
    eot: bool
    is_complete: bool
    is_header_complete: bool
    log_probs: _containers.RepeatedScalarFieldContainer[float]
    finish_reason: FinishReason
    def __init__(self, id: _Optional[str] = ..., text: _Optional[str] = ..., tokens: _Optional[_Iterable[int]] = ..., tool_call: _Optional[_Union[ToolCall, _Mapping]] = ..., eot: _Optional[bool] = ..., is_complete: _Optional[bool] = ..., is_header_complete: _Optional[bool] = ..., log_probs: _Optional[_Iterable[float]] = ..., finish_reason: _Optional[_Union[FinishReason, str]] = ...) -> None: ...

class Message(_message.Message):
    __slots__ = ("input", "output")
    INPUT_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    input: ModelInputMessage
    output: ModelOutputMessage
    def __init__(self, input: _Optional[_Union[ModelInputMessage, _Mapping]] = ..., output: _Optional[_Union[ModelOutputMessage, _Mapping]] = ...) -> None: ...

class Options(_message.Message):
    __slots__ = ("logprobs", "max_tokens", "temperature", "top_p", "top_k", "repetition_penalty", "stop", "response_format", "seed")
    LOGPROBS_FIELD_NUMBER: _ClassVar[int]
    MAX_TOKENS_FIELD_NUMBER: _ClassVar[int]
    TEMPERATURE_FIELD_NUMBER: _ClassVar[int]
    TOP_P_FIELD_NUMBER: _ClassVar[int]
    TOP_K_FIELD_NUMBER: _ClassVar[int]
    REPETITION_PENALTY_FIELD_NUMBER: _ClassVar[int]
    STOP_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FORMAT_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    logprobs: bool
    max_tokens: int
    temperature: float
    top_p: float
    top_k: int
    repetition_penalty: float
    stop: _containers.RepeatedScalarFieldContainer[str]
    response_format: _inference_pb2.ResponseFormat
    seed: int
    def __init__(self, logprobs: _Optional[bool] = ..., max_tokens: _Optional[int] = ..., temperature: _Optional[float] = ..., top_p: _Optional[float] = ..., top_k: _Optional[int] = ..., repetition_penalty: _Optional[float] = ..., stop: _Optional[_Iterable[str]] = ..., response_format: _Optional[_Union[_inference_pb2.ResponseFormat, _Mapping]] = ..., seed: _Optional[int] = ...) -> None: ...

class TokenUsage(_message.Message):
    __slots__ = ("input_tokens", "output_tokens", "total_tokens")
    INPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_TOKENS_FIELD_NUMBER: _ClassVar[int]
    input_tokens: int
    output_tokens: int
    total_tokens: int
    def __init__(self, input_tokens: _Optional[int] = ..., output_tokens: _Optional[int] = ..., total_tokens: _Optional[int] = ...) -> None: ...

class Path(_message.Message):
    __slots__ = ("value", "type")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    value: str
    type: PathType
    def __init__(self, value: _Optional[str] = ..., type: _Optional[_Union[PathType, str]] = ...) -> None: ...

class Log(_message.Message):
    __slots__ = ("message", "timestamp")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    message: str
    timestamp: _timestamp_pb2.Timestamp
    def __init__(self, message: _Optional[str] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ScoringFunction(_message.Message):
    __slots__ = ("name", "params")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    name: str
    params: _struct_pb2.Struct
    def __init__(self, name: _Optional[str] = ..., params: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ToolChainDeploymentConfig(_message.Message):
    __slots__ = ("inference_provider", "batch_inference_provider", "metric_logger_provider")
    INFERENCE_PROVIDER_FIELD_NUMBER: _ClassVar[int]
    BATCH_INFERENCE_PROVIDER_FIELD_NUMBER: _ClassVar[int]
    METRIC_LOGGER_PROVIDER_FIELD_NUMBER: _ClassVar[int]
    inference_provider: str
    batch_inference_provider: str
    metric_logger_provider: str
    def __init__(self, inference_provider: _Optional[str] = ..., batch_inference_provider: _Optional[str] = ..., metric_logger_provider: _Optional[str] = ...) -> None: ...

class BatchLineError(_message.Message):
    __slots__ = ("custom_id", "index", "error")
    CUSTOM_ID_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    custom_id: str
    index: int
    error: _common_pb2.Error
    def __init__(self, custom_id: _Optional[str] = ..., index: _Optional[int] = ..., error: _Optional[_Union[_common_pb2.Error, _Mapping]] = ...) -> None: ...
