from google.api import annotations_pb2 as _annotations_pb2
from llamastack.annotations.v1 import annotations_pb2 as _annotations_pb2_1
from llamastack.common.v0 import common_pb2 as _common_pb2
from llamastack.common.v1 import inference_pb2 as _inference_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ChatCompletionRequest(_message.Message):
    __slots__ = ("messages", "model", "options", "n_completions", "tools", "tool_choice", "tool_prompt_format")
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    N_COMPLETIONS_FIELD_NUMBER: _ClassVar[int]
    TOOLS_FIELD_NUMBER: _ClassVar[int]
    TOOL_CHOICE_FIELD_NUMBER: _ClassVar[int]
    TOOL_PROMPT_FORMAT_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[_common_pb2.Message]
    model: str
    options: _common_pb2.Options
    n_completions: int
    tools: _containers.RepeatedCompositeFieldContainer[_inference_pb2.ToolDef]
    tool_choice: str
    tool_prompt_format: _inference_pb2.ToolPromptFormat
    def __init__(self, messages: _Optional[_Iterable[_Union[_common_pb2.Message, _Mapping]]] = ..., model: _Optional[str] = ..., options: _Optional[_Union[_common_pb2.Options, _Mapping]] = ..., n_completions: _Optional[int] = ..., tools: _Optional[_Iterable[_Union[_inference_pb2.ToolDef, _Mapping]]] = ..., tool_choice: _Optional[str] = ..., tool_prompt_format: _Optional[_Union[_inference_pb2.ToolPromptFormat, str]] = ...) -> None: ...

class ChatCompletionResponse(_message.Message):
    __slots__ = ("id", "candidates", "model_called", "usage")
    ID_FIELD_NUMBER: _ClassVar[int]
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    MODEL_CALLED_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    id: str
    candidates: _containers.RepeatedCompositeFieldContainer[_common_pb2.ModelOutputMessage]
    model_called: str
    usage: _common_pb2.TokenUsage
    def __init__(self, id: _Optional[str] = ..., candidates: _Optional[_Iterable[_Union[_common_pb2.ModelOutputMessage, _Mapping]]] = ..., model_called: _Optional[str] = ..., usage: _Optional[_Union[_common_pb2.TokenUsage, _Mapping]] = ...) -> None: ...
