from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from llamastack.annotations.v1 import annotations_pb2 as _annotations_pb2
from llamastack.common.v1 import inference_pb2 as _inference_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AgentToolGroupWithArgs(_message.Message):
    __slots__ = ("name", "args")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    name: str
    args: _struct_pb2.Struct
    def __init__(self, name: _Optional[str] = ..., args: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class AgentTool(_message.Message):
    __slots__ = ("name", "with_args")
    NAME_FIELD_NUMBER: _ClassVar[int]
    WITH_ARGS_FIELD_NUMBER: _ClassVar[int]
    name: str
    with_args: AgentToolGroupWithArgs
    def __init__(self, name: _Optional[str] = ..., with_args: _Optional[_Union[AgentToolGroupWithArgs, _Mapping]] = ...) -> None: ...

class AgentConfig(_message.Message):
    __slots__ = ("sampling_params", "input_shields", "output_shields", "toolgroups", "client_tools", "tool_choice", "tool_prompt_format", "tool_config", "max_infer_iters", "model", "instructions", "name", "enable_session_persistence", "response_format")
    SAMPLING_PARAMS_FIELD_NUMBER: _ClassVar[int]
    INPUT_SHIELDS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_SHIELDS_FIELD_NUMBER: _ClassVar[int]
    TOOLGROUPS_FIELD_NUMBER: _ClassVar[int]
    CLIENT_TOOLS_FIELD_NUMBER: _ClassVar[int]
    TOOL_CHOICE_FIELD_NUMBER: _ClassVar[int]
    TOOL_PROMPT_FORMAT_FIELD_NUMBER: _ClassVar[int]
    TOOL_CONFIG_FIELD_NUMBER: _ClassVar[int]
    MAX_INFER_ITERS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    INSTRUCTIONS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ENABLE_SESSION_PERSISTENCE_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FORMAT_FIELD_NUMBER: _ClassVar[int]
    sampling_params: _inference_pb2.SamplingParams
    input_shields: _containers.RepeatedScalarFieldContainer[str]
    output_shields: _containers.RepeatedScalarFieldContainer[str]
    toolgroups: _containers.RepeatedCompositeFieldContainer[AgentTool]
    client_tools: _containers.RepeatedCompositeFieldContainer[_inference_pb2.ToolDef]
    tool_choice: _inference_pb2.ToolChoice
    tool_prompt_format: _inference_pb2.ToolPromptFormat
    tool_config: _inference_pb2.ToolConfig
    max_infer_iters: int
    model: str
    instructions: str
    name: str
    enable_session_persistence: bool
    response_format: _inference_pb2.ResponseFormat
    def __init__(self, sampling_params: _Optional[_Union[_inference_pb2.SamplingParams, _Mapping]] = ..., input_shields: _Optional[_Iterable[str]] = ..., output_shields: _Optional[_Iterable[str]] = ..., toolgroups: _Optional[_Iterable[_Union[AgentTool, _Mapping]]] = ..., client_tools: _Optional[_Iterable[_Union[_inference_pb2.ToolDef, _Mapping]]] = ..., tool_choice: _Optional[_Union[_inference_pb2.ToolChoice, str]] = ..., tool_prompt_format: _Optional[_Union[_inference_pb2.ToolPromptFormat, str]] = ..., tool_config: _Optional[_Union[_inference_pb2.ToolConfig, _Mapping]] = ..., max_infer_iters: _Optional[int] = ..., model: _Optional[str] = ..., instructions: _Optional[str] = ..., name: _Optional[str] = ..., enable_session_persistence: _Optional[bool] = ..., response_format: _Optional[_Union[_inference_pb2.ResponseFormat, _Mapping]] = ...) -> None: ...
