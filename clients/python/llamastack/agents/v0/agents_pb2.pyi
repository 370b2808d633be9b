import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from llamastack.annotations.v1 import annotations_pb2 as _annotations_pb2_1
from llamastack.common.v0 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AgentModel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AGENT_MODEL_UNSPECIFIED: _ClassVar[AgentModel]
    AGENT_MODEL_LLAMA31_405: _ClassVar[AgentModel]
    AGENT_MODEL_LLAMA3_70: _ClassVar[AgentModel]
    AGENT_MODEL_LLAMA3_8: _ClassVar[AgentModel]

class ToolType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TOOL_TYPE_UNSPECIFIED: _ClassVar[ToolType]
    TOOL_TYPE_BUILTIN: _ClassVar[ToolType]
    TOOL_TYPE_ZEROSHOT: _ClassVar[ToolType]

class ToolParameterType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TOOL_PARAMETER_TYPE_UNSPECIFIED: _ClassVar[ToolParameterType]
    TOOL_PARAMETER_TYPE_STRING: _ClassVar[ToolParameterType]
    TOOL_PARAMETER_TYPE_INT: _ClassVar[ToolParameterType]
    TOOL_PARAMETER_TYPE_FLOAT: _ClassVar[ToolParameterType]
    TOOL_PARAMETER_TYPE_LIST: _ClassVar[ToolParameterType]
    TOOL_PARAMETER_TYPE_BOOL: _ClassVar[ToolParameterType]

class StepRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STEP_ROLE_UNSPECIFIED: _ClassVar[StepRole]
    STEP_ROLE_ASSISTANT: _ClassVar[StepRole]
    STEP_ROLE_USER: _ClassVar[StepRole]

class StepType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STEP_TYPE_UNSPECIFIED: _ClassVar[StepType]
    STEP_TYPE_USER_RESPONSE: _ClassVar[StepType]
    STEP_TYPE_ASSISTANT_RESPONSE: _ClassVar[StepType]
    STEP_TYPE_TOOL_REQUEST: _ClassVar[StepType]
    STEP_TYPE_TOOL_RESPONSE: _ClassVar[StepType]

class TurnStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TURN_STATUS_UNSPECIFIED: _ClassVar[TurnStatus]
    TURN_STATUS_COMPLETED: _ClassVar[TurnStatus]
    TURN_STATUS_FAILED: _ClassVar[TurnStatus]
AGENT_MODEL_UNSPECIFIED: AgentModel
AGENT_MODEL_LLAMA31_405: AgentModel
AGENT_MODEL_LLAMA3_70: AgentModel
AGENT_MODEL_LLAMA3_8: AgentModel
TOOL_TYPE_UNSPECIFIED: ToolType
TOOL_TYPE_BUILTIN: ToolType
TOOL_TYPE_ZEROSHOT: ToolType
TOOL_PARAMETER_TYPE_UNSPECIFIED: ToolParameterType
TOOL_PARAMETER_TYPE_STRING: ToolParameterType
TOOL_PARAMETER_TYPE_INT: ToolParameterType
TOOL_PARAMETER_TYPE_FLOAT: ToolParameterType
TOOL_PARAMETER_TYPE_LIST: ToolParameterType
TOOL_PARAMETER_TYPE_BOOL: ToolParameterType
STEP_ROLE_UNSPECIFIED: StepRole
STEP_ROLE_ASSISTANT: StepRole
STEP_ROLE_USER: StepRole
STEP_TYPE_UNSPECIFIED: StepType
STEP_TYPE_USER_RESPONSE: StepType
STEP_TYPE_ASSISTANT_RESPONSE: StepType
STEP_TYPE_TOOL_REQUEST: StepType
STEP_TYPE_TOOL_RESPONSE: StepType
TURN_STATUS_UNSPECIFIED: TurnStatus
TURN_STATUS_COMPLETED: TurnStatus
TURN_STATUS_FAILED: TurnStatus

class ToolParameter(_message.Message):
    __slots__ = ("type", "item_type", "description")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    ITEM_TYPE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    type: ToolParameterType
    item_type: str
    description: str
    def __init__(self, type: _Optional[_Union[ToolParameterType, str]] = ..., item_type: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class ToolReturnValue(_message.Message):
    __slots__ = ("type", "description")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    type: _struct_pb2.Struct
    description: str
    def __init__(self, type: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., description: _Optional[str] = ...) -> None: ...

class ToolDefinition(_message.Message):
    __slots__ = ("name", "tool_type", "description", "parameters", "return_value")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TOOL_TYPE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    RETURN_VALUE_FIELD_NUMBER: _ClassVar[int]
    name: str
    tool_type: ToolType
    description: str
    parameters: _containers.RepeatedCompositeFieldContainer[ToolParameter]
    return_value: ToolReturnValue
    def __init__(self, name: _Optional[str] = ..., tool_type: _Optional[_Union[ToolType, str]] = ..., description: _Optional[str] = ..., parameters: _Optional[_Iterable[_Union[ToolParameter, _Mapping]]] = ..., return_value: _Optional[_Union[ToolReturnValue, _Mapping]] = ...) -> None: ...

class Agent(_message.Message):
    __slots__ = ("name", "description", "tools", "model")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    TOOLS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    tools: _containers.RepeatedCompositeFieldContainer[ToolDefinition]
    model: AgentModel
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., tools: _Optional[_Iterable[_Union[ToolDefinition, _Mapping]]] = ..., model: _Optional[_Union[AgentModel, str]] = ...) -> None: ...

class Step(_message.Message):
    __slots__ = ("id", "role", "step_type", "messages", "timestamp", "metadata")
    ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    STEP_TYPE_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    id: str
    role: StepRole
    step_type: StepType
    messages: _containers.RepeatedCompositeFieldContainer[_common_pb2.Message]
    timestamp: _timestamp_pb2.Timestamp
    metadata: _struct_pb2.Struct
    def __init__(self, id: _Optional[str] = ..., role: _Optional[_Union[StepRole, str]] = ..., step_type: _Optional[_Union[StepType, str]] = ..., messages: _Optional[_Iterable[_Union[_common_pb2.Message, _Mapping]]] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class Turn(_message.Message):
    __slots__ = ("id", "steps", "start_time", "end_time", "status", "metadata")
    ID_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    id: str
    steps: _containers.RepeatedCompositeFieldContainer[Step]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    status: TurnStatus
    metadata: _struct_pb2.Struct
    def __init__(self, id: _Optional[str] = ..., steps: _Optional[_Iterable[_Union[Step, _Mapping]]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status: _Optional[_Union[TurnStatus, str]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class MemoryNugget(_message.Message):
    __slots__ = ("id", "bank_id", "content", "score")
    ID_FIELD_NUMBER: _ClassVar[int]
    BANK_ID_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    id: str
    bank_id: str
    content: str
    score: float
    def __init__(self, id: _Optional[str] = ..., bank_id: _Optional[str] = ..., content: _Optional[str] = ..., score: _Optional[float] = ...) -> None: ...

class AgenticSystemDeploymentConfig(_message.Message):
    __slots__ = ("brave_search_key", "wolfram_alpha_key")
    BRAVE_SEARCH_KEY_FIELD_NUMBER: _ClassVar[int]
    WOLFRAM_ALPHA_KEY_FIELD_NUMBER: _ClassVar[int]
    brave_search_key: str
    wolfram_alpha_key: str
    def __init__(self, brave_search_key: _Optional[str] = ..., wolfram_alpha_key: _Optional[str] = ...) -> None: ...

class ExecuteAgentRequest(_message.Message):
    __slots__ = ("agent", "turn_history", "user_step")
    AGENT_FIELD_NUMBER: _ClassVar[int]
    TURN_HISTORY_FIELD_NUMBER: _ClassVar[int]
    USER_STEP_FIELD_NUMBER: _ClassVar[int]
    agent: Agent
    turn_history: _containers.RepeatedCompositeFieldContainer[Step]
    user_step: Step
    def __init__(self, agent: _Optional[_Union[Agent, _Mapping]] = ..., turn_history: _Optional[_Iterable[_Union[Step, _Mapping]]] = ..., user_step: _Optional[_Union[Step, _Mapping]] = ...) -> None: ...

class FetchMemoriesRequest(_message.Message):
    __slots__ = ("bank_ids", "query")
    BANK_IDS_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    bank_ids: _containers.RepeatedScalarFieldContainer[str]
    query: str
    def __init__(self, bank_ids: _Optional[_Iterable[str]] = ..., query: _Optional[str] = ...) -> None: ...

class FetchMemoriesResponse(_message.Message):
    __slots__ = ("nuggets",)
    NUGGETS_FIELD_NUMBER: _ClassVar[int]
    nuggets: _containers.RepeatedCompositeFieldContainer[MemoryNugget]
    def __init__(self, nuggets: _Optional[_Iterable[_Union[MemoryNugget, _Mapping]]] = ...) -> None: ...
