import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from llamastack.common.v0 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BatchInferenceJob(_message.Message):
    __slots__ = ("job_id", "created", "status", "input_file_path", "success_file_path", "error_file_path", "metadata", "error", "lines_total", "lines_done", "lines_failed", "finished_at")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    INPUT_FILE_PATH_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FILE_PATH_FIELD_NUMBER: _ClassVar[int]
    ERROR_FILE_PATH_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    LINES_TOTAL_FIELD_NUMBER: _ClassVar[int]
    LINES_DONE_FIELD_NUMBER: _ClassVar[int]
    LINES_FAILED_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    created: _timestamp_pb2.Timestamp
    status: _common_pb2.BatchJobStatus
    input_file_path: _common_pb2.Path
    success_file_path: _common_pb2.Path
    error_file_path: _common_pb2.Path
    metadata: _struct_pb2.Struct
    error: str
    lines_total: int
    lines_done: int
    lines_failed: int
    finished_at: _timestamp_pb2.Timestamp
    def __init__(self, job_id: _Optional[str] = ..., created: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status: _Optional[_Union[_common_pb2.BatchJobStatus, str]] = ..., input_file_path: _Optional[_Union[_common_pb2.Path, _Mapping]] = ..., success_file_path: _Optional[_Union[_common_pb2.Path, _Mapping]] = ..., error_file_path: _Optional[_Union[_common_pb2.Path, _Mapping]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., error: _Optional[str] = ..., lines_total: _Optional[int] = ..., lines_done: _Optional[int] = ..., lines_failed: _Optional[int] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class BatchInferenceResult(_message.Message):
    __slots__ = ("custom_id", "index", "candidates", "usage")
    CUSTOM_ID_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    custom_id: str
    index: int
    candidates: _containers.RepeatedCompositeFieldContainer[_common_pb2.ModelOutputMessage]
    usage: _common_pb2.TokenUsage
    def __init__(self, custom_id: _Optional[str] = ..., index: _Optional[int] = ..., candidates: _Optional[_Iterable[_Union[_common_pb2.ModelOutputMessage, _Mapping]]] = ..., usage: _Optional[_Union[_common_pb2.TokenUsage, _Mapping]] = ...) -> None: ...

class SubmitBatchInferenceJobRequest(_message.Message):
    __slots__ = ("model", "prompt_file_path", "options", "num_generations")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FILE_PATH_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    NUM_GENERATIONS_FIELD_NUMBER: _ClassVar[int]
    model: str
    prompt_file_path: _common_pb2.Path
    options: _common_pb2.Options
    num_generations: int
    def __init__(self, model: _Optional[str] = ..., prompt_file_path: _Optional[_Union[_common_pb2.Path, _Mapping]] = ..., options: _Optional[_Union[_common_pb2.Options, _Mapping]] = ..., num_generations: _Optional[int] = ...) -> None: ...

class GetBatchInferenceJobStatusRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class CancelBatchInferenceJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class ListBatchInferenceJobOutputsRequest(_message.Message):
    __slots__ = ("job_id", "file", "page_size", "page_token")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    file: _common_pb2.BatchOutputFile
    page_size: int
    page_token: str
    def __init__(self, job_id: _Optional[str] = ..., file: _Optional[_Union[_common_pb2.BatchOutputFile, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListBatchInferenceJobOutputsResponse(_message.Message):
    __slots__ = ("results", "errors", "next_page_token")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[BatchInferenceResult]
    errors: _containers.RepeatedCompositeFieldContainer[_common_pb2.BatchLineError]
    next_page_token: str
    def __init__(self, results: _Optional[_Iterable[_Union[BatchInferenceResult, _Mapping]]] = ..., errors: _Optional[_Iterable[_Union[_common_pb2.BatchLineError, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
