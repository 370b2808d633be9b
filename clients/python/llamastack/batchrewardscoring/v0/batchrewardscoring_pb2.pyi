import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from llamastack.common.v0 import common_pb2 as _common_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BatchRewardScoringJob(_message.Message):
    __slots__ = ("job_id", "created", "status", "input_file_path", "success_file_path", "error_file_path", "metadata")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    INPUT_FILE_PATH_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FILE_PATH_FIELD_NUMBER: _ClassVar[int]
    ERROR_FILE_PATH_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    created: _timestamp_pb2.Timestamp
    status: _common_pb2.BatchJobStatus
    input_file_path: _common_pb2.Path
    success_file_path: _common_pb2.Path
    error_file_path: _common_pb2.Path
    metadata: _struct_pb2.Struct
    def __init__(self, job_id: _Optional[str] = ..., created: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status: _Optional[_Union[_common_pb2.BatchJobStatus, str]] = ..., input_file_path: _Optional[_Union[_common_pb2.Path, _Mapping]] = ..., success_file_path: _Optional[_Union[_common_pb2.Path, _Mapping]] = ..., error_file_path: _Optional[_Union[_common_pb2.Path, _Mapping]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class SubmitBatchRewardScoringJobRequest(_message.Message):
    __slots__ = ("reward_model", "prompt_with_response_path", "scoring_function", "metadata")
    REWARD_MODEL_FIELD_NUMBER: _ClassVar[int]
    PROMPT_WITH_RESPONSE_PATH_FIELD_NUMBER: _ClassVar[int]
    SCORING_FUNCTION_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    reward_model: str
    prompt_with_response_path: _common_pb2.Path
    scoring_function: _common_pb2.ScoringFunction
    metadata: _struct_pb2.Struct
    def __init__(self, reward_model: _Optional[str] = ..., prompt_with_response_path: _Optional[_Union[_common_pb2.Path, _Mapping]] = ..., scoring_function: _Optional[_Union[_common_pb2.ScoringFunction, _Mapping]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class GetBatchRewardScoringJobStatusRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class CancelBatchRewardScoringJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...
