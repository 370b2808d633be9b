from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ResourceType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RESOURCE_TYPE_UNSPECIFIED: _ClassVar[ResourceType]
    RESOURCE_TYPE_MODEL: _ClassVar[ResourceType]
    RESOURCE_TYPE_SHIELD: _ClassVar[ResourceType]
    RESOURCE_TYPE_VECTOR_DB: _ClassVar[ResourceType]
    RESOURCE_TYPE_DATASET: _ClassVar[ResourceType]
    RESOURCE_TYPE_SCORING_FUNCTION: _ClassVar[ResourceType]
    RESOURCE_TYPE_BENCHMARK: _ClassVar[ResourceType]
    RESOURCE_TYPE_TOOL: _ClassVar[ResourceType]
    RESOURCE_TYPE_TOOL_GROUP: _ClassVar[ResourceType]
    RESOURCE_TYPE_PROMPT: _ClassVar[ResourceType]
RESOURCE_TYPE_UNSPECIFIED: ResourceType
RESOURCE_TYPE_MODEL: ResourceType
RESOURCE_TYPE_SHIELD: ResourceType
RESOURCE_TYPE_VECTOR_DB: ResourceType
RESOURCE_TYPE_DATASET: ResourceType
RESOURCE_TYPE_SCORING_FUNCTION: ResourceType
RESOURCE_TYPE_BENCHMARK: ResourceType
RESOURCE_TYPE_TOOL: ResourceType
RESOURCE_TYPE_TOOL_GROUP: ResourceType
RESOURCE_TYPE_PROMPT: ResourceType

class Error(_message.Message):
    __slots__ = ("status", "title", "detail", "instance")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_FIELD_NUMBER: _ClassVar[int]
    status: int
    title: str
    detail: str
    instance: str
    def __init__(self, status: _Optional[int] = ..., title: _Optional[str] = ..., detail: _Optional[str] = ..., instance: _Optional[str] = ...) -> None: ...

class PaginatedResponse(_message.Message):
    __slots__ = ("data", "has_more", "url")
    DATA_FIELD_NUMBER: _ClassVar[int]
    HAS_MORE_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    data: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Struct]
    has_more: bool
    url: str
    def __init__(self, data: _Optional[_Iterable[_Union[_struct_pb2.Struct, _Mapping]]] = ..., has_more: _Optional[bool] = ..., url: _Optional[str] = ...) -> None: ...
