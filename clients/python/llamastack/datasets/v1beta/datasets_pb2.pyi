from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from llamastack.annotations.v1 import annotations_pb2 as _annotations_pb2_1
from llamastack.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DatasetPurpose(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DATASET_PURPOSE_UNSPECIFIED: _ClassVar[DatasetPurpose]
    DATASET_PURPOSE_POST_TRAINING_MESSAGES: _ClassVar[DatasetPurpose]
    DATASET_PURPOSE_EVAL_QUESTION_ANSWER: _ClassVar[DatasetPurpose]
    DATASET_PURPOSE_EVAL_MESSAGES_ANSWER: _ClassVar[DatasetPurpose]
DATASET_PURPOSE_UNSPECIFIED: DatasetPurpose
DATASET_PURPOSE_POST_TRAINING_MESSAGES: DatasetPurpose
DATASET_PURPOSE_EVAL_QUESTION_ANSWER: DatasetPurpose
DATASET_PURPOSE_EVAL_MESSAGES_ANSWER: DatasetPurpose

class RowsDataSource(_message.Message):
    __slots__ = ("type", "rows")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    type: str
    rows: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Struct]
    def __init__(self, type: _Optional[str] = ..., rows: _Optional[_Iterable[_Union[_struct_pb2.Struct, _Mapping]]] = ...) -> None: ...

class URIDataSource(_message.Message):
    __slots__ = ("type", "uri")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    URI_FIELD_NUMBER: _ClassVar[int]
    type: str
    uri: str
    def __init__(self, type: _Optional[str] = ..., uri: _Optional[str] = ...) -> None: ...

class DataSource(_message.Message):
    __slots__ = ("uri", "rows")
    URI_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    uri: URIDataSource
    rows: RowsDataSource
    def __init__(self, uri: _Optional[_Union[URIDataSource, _Mapping]] = ..., rows: _Optional[_Union[RowsDataSource, _Mapping]] = ...) -> None: ...

class Dataset(_message.Message):
    __slots__ = ("identifier", "provider_resource_id", "provider_id", "type", "purpose", "source", "metadata")
    IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    identifier: str
    provider_resource_id: str
    provider_id: str
    type: _common_pb2.ResourceType
    purpose: DatasetPurpose
    source: DataSource
    metadata: _struct_pb2.Struct
    def __init__(self, identifier: _Optional[str] = ..., provider_resource_id: _Optional[str] = ..., provider_id: _Optional[str] = ..., type: _Optional[_Union[_common_pb2.ResourceType, str]] = ..., purpose: _Optional[_Union[DatasetPurpose, str]] = ..., source: _Optional[_Union[DataSource, _Mapping]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ListDatasetsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListDatasetsResponse(_message.Message):
    __slots__ = ("data",)
    DATA_FIELD_NUMBER: _ClassVar[int]
    data: _containers.RepeatedCompositeFieldContainer[Dataset]
    def __init__(self, data: _Optional[_Iterable[_Union[Dataset, _Mapping]]] = ...) -> None: ...

class RegisterDatasetRequest(_message.Message):
    __slots__ = ("purpose", "source", "metadata", "dataset_id")
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    purpose: DatasetPurpose
    source: DataSource
    metadata: _struct_pb2.Struct
    dataset_id: str
    def __init__(self, purpose: _Optional[_Union[DatasetPurpose, str]] = ..., source: _Optional[_Union[DataSource, _Mapping]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., dataset_id: _Optional[str] = ...) -> None: ...

class GetDatasetRequest(_message.Message):
    __slots__ = ("dataset_id",)
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    dataset_id: str
    def __init__(self, dataset_id: _Optional[str] = ...) -> None: ...

class UnregisterDatasetRequest(_message.Message):
    __slots__ = ("dataset_id",)
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    dataset_id: str
    def __init__(self, dataset_id: _Optional[str] = ...) -> None: ...
