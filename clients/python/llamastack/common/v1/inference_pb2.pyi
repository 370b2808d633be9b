from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from llamastack.annotations.v1 import annotations_pb2 as _annotations_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ResponseFormatType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RESPONSE_FORMAT_TYPE_UNSPECIFIED: _ClassVar[ResponseFormatType]
    RESPONSE_FORMAT_TYPE_JSON_SCHEMA: _ClassVar[ResponseFormatType]
    RESPONSE_FORMAT_TYPE_GRAMMAR: _ClassVar[ResponseFormatType]

class ToolChoice(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TOOL_CHOICE_UNSPECIFIED: _ClassVar[ToolChoice]
    TOOL_CHOICE_AUTO: _ClassVar[ToolChoice]
    TOOL_CHOICE_REQUIRED: _ClassVar[ToolChoice]
    TOOL_CHOICE_NONE: _ClassVar[ToolChoice]

class ToolPromptFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TOOL_PROMPT_FORMAT_UNSPECIFIED: _ClassVar[ToolPromptFormat]
    TOOL_PROMPT_FORMAT_JSON: _ClassVar[ToolPromptFormat]
    TOOL_PROMPT_FORMAT_FUNCTION_TAG: _ClassVar[ToolPromptFormat]
    TOOL_PROMPT_FORMAT_PYTHON_LIST: _ClassVar[ToolPromptFormat]

class SystemMessageBehavior(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SYSTEM_MESSAGE_BEHAVIOR_UNSPECIFIED: _ClassVar[SystemMessageBehavior]
    SYSTEM_MESSAGE_BEHAVIOR_APPEND: _ClassVar[SystemMessageBehavior]
    SYSTEM_MESSAGE_BEHAVIOR_REPLACE: _ClassVar[SystemMessageBehavior]
RESPONSE_FORMAT_TYPE_UNSPECIFIED: ResponseFormatType
RESPONSE_FORMAT_TYPE_JSON_SCHEMA: ResponseFormatType
RESPONSE_FORMAT_TYPE_GRAMMAR: ResponseFormatType
TOOL_CHOICE_UNSPECIFIED: ToolChoice
TOOL_CHOICE_AUTO: ToolChoice
TOOL_CHOICE_REQUIRED: ToolChoice
TOOL_CHOICE_NONE: ToolChoice
TOOL_PROMPT_FORMAT_UNSPECIFIED: ToolPromptFormat
TOOL_PROMPT_FORMAT_JSON: ToolPromptFormat
TOOL_PROMPT_FORMAT_FUNCTION_TAG: ToolPromptFormat
TOOL_PROMPT_FORMAT_PYTHON_LIST: ToolPromptFormat
SYSTEM_MESSAGE_BEHAVIOR_UNSPECIFIED: SystemMessageBehavior
SYSTEM_MESSAGE_BEHAVIOR_APPEND: SystemMessageBehavior
SYSTEM_MESSAGE_BEHAVIOR_REPLACE: SystemMessageBehavior

class GreedySamplingStrategy(_message.Message):
    __slots__ = ("type",)
    TYPE_FIELD_NUMBER: _ClassVar[int]
    type: str
    def __init__(self, type: _Optional[str] = ...) -> None: ...

class TopPSamplingStrategy(_message.Message):
    __slots__ = ("type", "temperature", "top_p")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TEMPERATURE_FIELD_NUMBER: _ClassVar[int]
    TOP_P_FIELD_NUMBER: _ClassVar[int]
    type: str
    temperature: float
    top_p: float
    def __init__(self, type: _Optional[str] = ..., temperature: _Optional[float] = ..., top_p: _Optional[float] = ...) -> None: ...

class TopKSamplingStrategy(_message.Message):
    __slots__ = ("type", "top_k")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TOP_K_FIELD_NUMBER: _ClassVar[int]
    type: str
    top_k: int
    def __init__(self, type: _Optional[str] = ..., top_k: _Optional[int] = ...) -> None: ...

class SamplingStrategy(_message.Message):
    __slots__ = ("greedy", "top_p", "top_k")
    GREEDY_FIELD_NUMBER: _ClassVar[int]
    TOP_P_FIELD_NUMBER: _ClassVar[int]
    TOP_K_FIELD_NUMBER: _ClassVar[int]
    greedy: GreedySamplingStrategy
    top_p: TopPSamplingStrategy
    top_k: TopKSamplingStrategy
    def __init__(self, greedy: _Optional[_Union[GreedySamplingStrategy, _Mapping]] = ..., top_p: _Optional[_Union[TopPSamplingStrategy, _Mapping]] = ..., top_k: _Optional[_Union[TopKSamplingStrategy, _Mapping]] = ...) -> None: ...

class SamplingParams(_message.Message):
    __slots__ = ("strategy", "max_tokens", "repetition_penalty", "stop")
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    MAX_TOKENS_FIELD_NUMBER: _ClassVar[int]
    REPETITION_PENALTY_FIELD_NUMBER: _ClassVar[int]
    STOP_FIELD_NUMBER: _ClassVar[int]
    strategy: SamplingStrategy
    max_tokens: int
    repetition_penalty: float
    stop: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, strategy: _Optional[_Union[SamplingStrategy, _Mapping]] = ..., max_tokens: _Optional[int] = ..., repetition_penalty: _Optional[float] = ..., stop: _Optional[_Iterable[str]] = ...) -> None: ...

class JsonSchemaResponseFormat(_message.Message):
    __slots__ = ("type", "json_schema")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    JSON_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    type: ResponseFormatType
    json_schema: _struct_pb2.Struct
    def __init__(self, type: _Optional[_Union[ResponseFormatType, str]] = ..., json_schema: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class GrammarResponseFormat(_message.Message):
    __slots__ = ("type", "bnf")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    BNF_FIELD_NUMBER: _ClassVar[int]
    type: ResponseFormatType
    bnf: _struct_pb2.Struct
    def __init__(self, type: _Optional[_Union[ResponseFormatType, str]] = ..., bnf: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ResponseFormat(_message.Message):
    __slots__ = ("json_schema", "grammar")
    JSON_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    GRAMMAR_FIELD_NUMBER: _ClassVar[int]
    json_schema: JsonSchemaResponseFormat
    grammar: GrammarResponseFormat
    def __init__(self, json_schema: _Optional[_Union[JsonSchemaResponseFormat, _Mapping]] = ..., grammar: _Optional[_Union[GrammarResponseFormat, _Mapping]] = ...) -> None: ...

class ToolDef(_message.Message):
    __slots__ = ("toolgroup_id", "name", "description", "input_schema", "output_schema", "metadata", "parameters")
    TOOLGROUP_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    INPUT_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    toolgroup_id: str
    name: str
    description: str
    input_schema: _struct_pb2.Struct
    output_schema: _struct_pb2.Struct
    metadata: _struct_pb2.Struct
    parameters: ToolParameterList
    def __init__(self, toolgroup_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., input_schema: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., output_schema: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., parameters: _Optional[_Union[ToolParameterList, _Mapping]] = ...) -> None: ...

class ToolParameterList(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[ToolParameter]
    def __init__(self, items: _Optional[_Iterable[_Union[ToolParameter, _Mapping]]] = ...) -> None: ...

class ToolParameter(_message.Message):
    __slots__ = ("name", "parameter_type", "description", "required", "default", "items", "title")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PARAMETER_TYPE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    name: str
    parameter_type: str
    description: str
    required: bool
    default: _struct_pb2.Value
    items: _struct_pb2.Struct
    title: str
    def __init__(self, name: _Optional[str] = ..., parameter_type: _Optional[str] = ..., description: _Optional[str] = ..., required: _Optional[bool] = ..., default: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., items: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., title: _Optional[str] = ...) -> None: ...

class ToolConfig(_message.Message):
    __slots__ = ("tool_choice", "tool_prompt_format", "system_message_behavior")
    TOOL_CHOICE_FIELD_NUMBER: _ClassVar[int]
    TOOL_PROMPT_FORMAT_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_MESSAGE_BEHAVIOR_FIELD_NUMBER: _ClassVar[int]
    tool_choice: str
    tool_prompt_format: ToolPromptFormat
    system_message_behavior: SystemMessageBehavior
    def __init__(self, tool_choice: _Optional[str] = ..., tool_prompt_format: _Optional[_Union[ToolPromptFormat, str]] = ..., system_message_behavior: _Optional[_Union[SystemMessageBehavior, str]] = ...) -> None: ...
