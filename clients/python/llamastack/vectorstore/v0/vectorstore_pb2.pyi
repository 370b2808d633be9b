import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from llamastack.annotations.v1 import annotations_pb2 as _annotations_pb2_1
from llamastack.common.v0 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class VectorStore(_message.Message):
    __slots__ = ("id", "name", "description", "embedding_model", "chunk_size_tokens", "chunk_overlap_tokens", "created_at", "document_count", "chunk_count")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_MODEL_FIELD_NUMBER: _ClassVar[int]
    CHUNK_SIZE_TOKENS_FIELD_NUMBER: _ClassVar[int]
    CHUNK_OVERLAP_TOKENS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    CHUNK_COUNT_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    description: str
    embedding_model: str
    chunk_size_tokens: int
    chunk_overlap_tokens: int
    created_at: _timestamp_pb2.Timestamp
    document_count: int
    chunk_count: int
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., embedding_model: _Optional[str] = ..., chunk_size_tokens: _Optional[int] = ..., chunk_overlap_tokens: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., document_count: _Optional[int] = ..., chunk_count: _Optional[int] = ...) -> None: ...

class VectorStoreInsertJob(_message.Message):
    __slots__ = ("id", "content", "status", "vector_store_id", "documents_total", "documents_done", "chunks_done", "error", "created_at", "finished_at", "document_ids")
    ID_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    VECTOR_STORE_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_DONE_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_DONE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_IDS_FIELD_NUMBER: _ClassVar[int]
    id: str
    content: str
    status: _common_pb2.BatchJobStatus
    vector_store_id: str
    documents_total: int
    documents_done: int
    chunks_done: int
    error: str
    created_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    document_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., content: _Optional[str] = ..., status: _Optional[_Union[_common_pb2.BatchJobStatus, str]] = ..., vector_store_id: _Optional[str] = ..., documents_total: _Optional[int] = ..., documents_done: _Optional[int] = ..., chunks_done: _Optional[int] = ..., error: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., document_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class VectorStoreDeleteJob(_message.Message):
    __slots__ = ("id", "status", "vector_store_id", "document_ids", "documents_total", "documents_done", "chunks_deleted", "error", "created_at", "finished_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    VECTOR_STORE_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_IDS_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_DONE_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_DELETED_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    status: _common_pb2.BatchJobStatus
    vector_store_id: str
    document_ids: _containers.RepeatedScalarFieldContainer[str]
    documents_total: int
    documents_done: int
    chunks_deleted: int
    error: str
    created_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., status: _Optional[_Union[_common_pb2.BatchJobStatus, str]] = ..., vector_store_id: _Optional[str] = ..., document_ids: _Optional[_Iterable[str]] = ..., documents_total: _Optional[int] = ..., documents_done: _Optional[int] = ..., chunks_deleted: _Optional[int] = ..., error: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class VectorStoreDocument(_message.Message):
    __slots__ = ("document_id", "content", "uri", "mime_type", "metadata")
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    URI_FIELD_NUMBER: _ClassVar[int]
    MIME_TYPE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    document_id: str
    content: str
    uri: str
    mime_type: str
    metadata: _struct_pb2.Struct
    def __init__(self, document_id: _Optional[str] = ..., content: _Optional[str] = ..., uri: _Optional[str] = ..., mime_type: _Optional[str] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class VectorStoreChunk(_message.Message):
    __slots__ = ("document_id", "chunk_index", "content", "score", "metadata")
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    CHUNK_INDEX_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    document_id: str
    chunk_index: int
    content: str
    score: float
    metadata: _struct_pb2.Struct
    def __init__(self, document_id: _Optional[str] = ..., chunk_index: _Optional[int] = ..., content: _Optional[str] = ..., score: _Optional[float] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ListVectorStoresRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListVectorStoresResponse(_message.Message):
    __slots__ = ("vector_stores",)
    VECTOR_STORES_FIELD_NUMBER: _ClassVar[int]
    vector_stores: _containers.RepeatedCompositeFieldContainer[VectorStore]
    def __init__(self, vector_stores: _Optional[_Iterable[_Union[VectorStore, _Mapping]]] = ...) -> None: ...

class CreateVectorStoreRequest(_message.Message):
    __slots__ = ("vector_store_id", "name", "description", "embedding_model", "chunk_size_tokens", "chunk_overlap_tokens")
    VECTOR_STORE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_MODEL_FIELD_NUMBER: _ClassVar[int]
    CHUNK_SIZE_TOKENS_FIELD_NUMBER: _ClassVar[int]
    CHUNK_OVERLAP_TOKENS_FIELD_NUMBER: _ClassVar[int]
    vector_store_id: str
    name: str
    description: str
    embedding_model: str
    chunk_size_tokens: int
    chunk_overlap_tokens: int
    def __init__(self, vector_store_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., embedding_model: _Optional[str] = ..., chunk_size_tokens: _Optional[int] = ..., chunk_overlap_tokens: _Optional[int] = ...) -> None: ...

class GetVectorStoreRequest(_message.Message):
    __slots__ = ("vector_store_id",)
    VECTOR_STORE_ID_FIELD_NUMBER: _ClassVar[int]
    vector_store_id: str
    def __init__(self, vector_store_id: _Optional[str] = ...) -> None: ...

class QueryVectorStoreRequest(_message.Message):
    __slots__ = ("vector_store_id", "query", "top_k", "filters", "rerank_model")
    VECTOR_STORE_ID_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    TOP_K_FIELD_NUMBER: _ClassVar[int]
    FILTERS_FIELD_NUMBER: _ClassVar[int]
    RERANK_MODEL_FIELD_NUMBER: _ClassVar[int]
    vector_store_id: str
    query: str
    top_k: int
    filters: _struct_pb2.Struct
    rerank_model: str
    def __init__(self, vector_store_id: _Optional[str] = ..., query: _Optional[str] = ..., top_k: _Optional[int] = ..., filters: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., rerank_model: _Optional[str] = ...) -> None: ...

class QueryVectorStoreResponse(_message.Message):
    __slots__ = ("chunks",)
    CHUNKS_FIELD_NUMBER: _ClassVar[int]
    chunks: _containers.RepeatedCompositeFieldContainer[VectorStoreChunk]
    def __init__(self, chunks: _Optional[_Iterable[_Union[VectorStoreChunk, _Mapping]]] = ...) -> None: ...

class DropVectorStoreRequest(_message.Message):
    __slots__ = ("vector_store_id",)
    VECTOR_STORE_ID_FIELD_NUMBER: _ClassVar[int]
    vector_store_id: str
    def __init__(self, vector_store_id: _Optional[str] = ...) -> None: ...

class UpdateVectorStoreRequest(_message.Message):
    __slots__ = ("vector_store_id", "name", "description", "chunk_size_tokens", "chunk_overlap_tokens")
    VECTOR_STORE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CHUNK_SIZE_TOKENS_FIELD_NUMBER: _ClassVar[int]
    CHUNK_OVERLAP_TOKENS_FIELD_NUMBER: _ClassVar[int]
    vector_store_id: str
    name: str
    description: str
    chunk_size_tokens: int
    chunk_overlap_tokens: int
    def __init__(self, vector_store_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., chunk_size_tokens: _Optional[int] = ..., chunk_overlap_tokens: _Optional[int] = ...) -> None: ...

class SubmitVectorStoreInsertJobRequest(_message.Message):
    __slots__ = ("vector_store_id", "content", "file_path", "documents")
    VECTOR_STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    FILE_PATH_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    vector_store_id: str
    content: str
    file_path: _common_pb2.Path
    documents: _containers.RepeatedCompositeFieldContainer[VectorStoreDocument]
    def __init__(self, vector_store_id: _Optional[str] = ..., content: _Optional[str] = ..., file_path: _Optional[_Union[_common_pb2.Path, _Mapping]] = ..., documents: _Optional[_Iterable[_Union[VectorStoreDocument, _Mapping]]] = ...) -> None: ...

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
    __slots__ = ("vector_store_id", "file_path", "document_ids")
    VECTOR_STORE_ID_FIELD_NUMBER: _ClassVar[int]
    FILE_PATH_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_IDS_FIELD_NUMBER: _ClassVar[int]
    vector_store_id: str
    file_path: _common_pb2.Path
    document_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, vector_store_id: _Optional[str] = ..., file_path: _Optional[_Union[_common_pb2.Path, _Mapping]] = ..., document_ids: _Optional[_Iterable[str]] = ...) -> None: ...

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
