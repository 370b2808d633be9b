from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from llamastack.annotations.v1 import annotations_pb2 as _annotations_pb2_1
from llamastack.common.v0 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class VectorStore(_message.Message):
    __slots__ = ("id", "name", "description")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    description: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class VectorStoreInsertJob(_message.Message):
    __slots__ = ("id", "content", "status")
    ID_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    id: str
    content: str
    status: _common_pb2.BatchJobStatus
    def __init__(self, id: _Optional[str] = ..., content: _Optional[str] = ..., status: _Optional[_Union[_common_pb2.BatchJobStatus, str]] = ...) -> None: ...

class VectorStoreDeleteJob(_message.Message):
    __slots__ = ("id", "status")
    ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    id: str
    status: _common_pb2.BatchJobStatus
    def __init__(self, id: _Optional[str] = ..., status: _Optional[_Union[_common_pb2.BatchJobStatus, str]] = ...) -> None: ...

class ListVectorStoresRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListVectorStoresResponse(_message.Message):
    __slots__ = ("vector_stores",)
    VECTOR_STORES_FIELD_NUMBER: _ClassVar[int]
    vector_stores: _containers.RepeatedCompositeFieldContainer[VectorStore]
    def __init__(self, vector_stores: _Optional[_Iterable[_Union[VectorStore, _Mapping]]] = ...) -> None: ...

class CreateVectorStoreRequest(_message.Message):
    __slots__ = ("vector_store_id", "name", "description")
    VECTOR_STORE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    vector_store_id: str
    name: str
    description: str
    def __init__(self, vector_store_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class DropVectorStoreRequest(_message.Message):
    __slots__ = ("vector_store_id",)
    VECTOR_STORE_ID_FIELD_NUMBER: _ClassVar[int]
    vector_store_id: str
    def __init__(self, vector_store_id: _Optional[str] = ...) -> None: ...

class UpdateVectorStoreRequest(_message.Message):
    __slots__ = ("vector_store_id", "name", "description")
    VECTOR_STORE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    vector_store_id: str
    name: str
    description: str
    def __init__(self, vector_store_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class SubmitVectorStoreInsertJobRequest(_message.Message):
    __slots__ = ("vector_store_id", "content", "file_path")
    VECTOR_STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    FILE_PATH_FIELD_NUMBER: _ClassVar[int]
    vector_store_id: str
    content: str
    file_path: _common_pb2.Path
    def __init__(self, vector_store_id: _Optional[str] = ..., content: _Optional[str] = ..., file_path: _Optional[_Union[_common_pb2.Path, _Mapping]] = ...) -> None: ...

class GetVectorStoreInsertJobStatusRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class CancelVectorStoreInsertJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class SubmitVectorStoreDeleteJobRequest(_message.Message):
    __slots__ = ("vector_store_id", "file_path")
    VECTOR_STORE_ID_FIELD_NUMBER: _ClassVar[int]
    FILE_PATH_FIELD_NUMBER: _ClassVar[int]
    vector_store_id: str
    file_path: _common_pb2.Path
    def __init__(self, vector_store_id: _Optional[str] = ..., file_path: _Optional[_Union[_common_pb2.Path, _Mapping]] = ...) -> None: ...

class GetVectorStoreDeleteJobStatusRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class CancelVectorStoreDeleteJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...
