from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from llamastack.common.v1 import content_pb2 as _content_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StopReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STOP_REASON_UNSPECIFIED: _ClassVar[StopReason]
    STOP_REASON_END_OF_TURN: _ClassVar[StopReason]
    STOP_REASON_END_OF_MESSAGE: _ClassVar[StopReason]
    STOP_REASON_OUT_OF_TOKENS: _ClassVar[StopReason]
STOP_REASON_UNSPECIFIED: StopReason
STOP_REASON_END_OF_TURN: StopReason
STOP_REASON_END_OF_MESSAGE: StopReason
STOP_REASON_OUT_OF_TOKENS: StopReason

class UserMessage(_message.Message):
    __slots__ = ("role", "content", "context")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    role: str
    content: _content_pb2.InterleavedContent
    context: _content_pb2.InterleavedContent
    def __init__(self, role: _Optional[str] = ..., content: _Optional[_Union[_content_pb2.InterleavedContent, _Mapping]] = ..., context: _Optional[_Union[_content_pb2.InterleavedContent, _Mapping]] = ...) -> None: ...

class SystemMessage(_message.Message):
    __slots__ = ("role", "content")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    role: str
    content: _content_pb2.InterleavedContent
    def __init__(self, role: _Optional[str] = ..., content: _Optional[_Union[_content_pb2.InterleavedContent, _Mapping]] = ...) -> None: ...

class ToolResponseMessage(_message.Message):
    __slots__ = ("role", "call_id", "content")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    role: str
    call_id: str
    content: _content_pb2.InterleavedContent
    def __init__(self, role: _Optional[str] = ..., call_id: _Optional[str] = ..., content: _Optional[_Union[_content_pb2.InterleavedContent, _Mapping]] = ...) -> None: ...

class CompletionMessage(_message.Message):
    __slots__ = ("role", "content", "stop_reason", "tool_calls")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    STOP_REASON_FIELD_NUMBER: _ClassVar[int]
    TOOL_CALLS_FIELD_NUMBER: _ClassVar[int]
    role: str
    content: _content_pb2.InterleavedContent
    stop_reason: StopReason
    tool_calls: _containers.RepeatedCompositeFieldContainer[ToolCall]
    def __init__(self, role: _Optional[str] = ..., content: _Optional[_Union[_content_pb2.InterleavedContent, _Mapping]] = ..., stop_reason: _Optional[_Union[StopReason, str]] = ..., tool_calls: _Optional[_Iterable[_Union[ToolCall, _Mapping]]] = ...) -> None: ...

class ToolCall(_message.Message):
    __slots__ = ("call_id", "tool_name", "arguments")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    TOOL_NAME_FIELD_NUMBER: _ClassVar[int]
    ARGUMENTS_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    tool_name: str
    arguments: str
    def __init__(self, call_id: _Optional[str] = ..., tool_name: _Optional[str] = ..., arguments: _Optional[str] = ...) -> None: ...

class ToolResponse(_message.Message):
    __slots__ = ("call_id", "tool_name", "content", "metadata")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    TOOL_NAME_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    tool_name: str
    content: _content_pb2.InterleavedContent
    metadata: _struct_pb2.Struct
    def __init__(self, call_id: _Optional[str] = ..., tool_name: _Optional[str] = ..., content: _Optional[_Union[_content_pb2.InterleavedContent, _Mapping]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...
