from google.protobuf import descriptor_pb2 as _descriptor_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor
DISCRIMINATOR_FIELD_NUMBER: _ClassVar[int]
discriminator: _descriptor.FieldDescriptor
UNTAGGED_FIELD_NUMBER: _ClassVar[int]
untagged: _descriptor.FieldDescriptor
JSON_ARRAY_FIELD_NUMBER: _ClassVar[int]
json_array: _descriptor.FieldDescriptor
WIRE_VALUE_FIELD_NUMBER: _ClassVar[int]
wire_value: _descriptor.FieldDescriptor
STREAMING_FIELD_NUMBER: _ClassVar[int]
streaming: _descriptor.FieldDescriptor

class StreamingRule(_message.Message):
    __slots__ = ("content_type", "enable_field", "result_path")
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    ENABLE_FIELD_FIELD_NUMBER: _ClassVar[int]
    RESULT_PATH_FIELD_NUMBER: _ClassVar[int]
    content_type: str
    enable_field: str
    result_path: str
    def __init__(self, content_type: _Optional[str] = ..., enable_field: _Optional[str] = ..., result_path: _Optional[str] = ...) -> None: ...
