import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from llamastack.annotations.v1 import annotations_pb2 as _annotations_pb2_1
from llamastack.common.v1 import agent_config_pb2 as _agent_config_pb2
from llamastack.common.v1 import common_pb2 as _common_pb2
from llamastack.common.v1 import content_pb2 as _content_pb2
from llamastack.common.v1 import inference_pb2 as _inference_pb2
from llamastack.common.v1 import messages_pb2 as _messages_pb2
from llamastack.common.v1 import safety_pb2 as _safety_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StepType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STEP_TYPE_UNSPECIFIED: _ClassVar[StepType]
    STEP_TYPE_INFERENCE: _ClassVar[StepType]
    STEP_TYPE_TOOL_EXECUTION: _ClassVar[StepType]
    STEP_TYPE_SHIELD_CALL: _ClassVar[StepType]
    STEP_TYPE_MEMORY_RETRIEVAL: _ClassVar[StepType]

class AgentTurnResponseEventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AGENT_TURN_RESPONSE_EVENT_TYPE_UNSPECIFIED: _ClassVar[AgentTurnResponseEventType]
    AGENT_TURN_RESPONSE_EVENT_TYPE_STEP_START: _ClassVar[AgentTurnResponseEventType]
    AGENT_TURN_RESPONSE_EVENT_TYPE_STEP_COMPLETE: _ClassVar[AgentTurnResponseEventType]
    AGENT_TURN_RESPONSE_EVENT_TYPE_STEP_PROGRESS: _ClassVar[AgentTurnResponseEventType]
    AGENT_TURN_RESPONSE_EVENT_TYPE_TURN_START: _ClassVar[AgentTurnResponseEventType]
    AGENT_TURN_RESPONSE_EVENT_TYPE_TURN_COMPLETE: _ClassVar[AgentTurnResponseEventType]
    AGENT_TURN_RESPONSE_EVENT_TYPE_TURN_AWAITING_INPUT: _ClassVar[AgentTurnResponseEventType]

class ToolCallParseStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TOOL_CALL_PARSE_STATUS_UNSPECIFIED: _ClassVar[ToolCallParseStatus]
    TOOL_CALL_PARSE_STATUS_STARTED: _ClassVar[ToolCallParseStatus]
    TOOL_CALL_PARSE_STATUS_IN_PROGRESS: _ClassVar[ToolCallParseStatus]
    TOOL_CALL_PARSE_STATUS_FAILED: _ClassVar[ToolCallParseStatus]
    TOOL_CALL_PARSE_STATUS_SUCCEEDED: _ClassVar[ToolCallParseStatus]
STEP_TYPE_UNSPECIFIED: StepType
STEP_TYPE_INFERENCE: StepType
STEP_TYPE_TOOL_EXECUTION: StepType
STEP_TYPE_SHIELD_CALL: StepType
STEP_TYPE_MEMORY_RETRIEVAL: StepType
AGENT_TURN_RESPONSE_EVENT_TYPE_UNSPECIFIED: AgentTurnResponseEventType
AGENT_TURN_RESPONSE_EVENT_TYPE_STEP_START: AgentTurnResponseEventType
AGENT_TURN_RESPONSE_EVENT_TYPE_STEP_COMPLETE: AgentTurnResponseEventType
AGENT_TURN_RESPONSE_EVENT_TYPE_STEP_PROGRESS: AgentTurnResponseEventType
AGENT_TURN_RESPONSE_EVENT_TYPE_TURN_START: AgentTurnResponseEventType
AGENT_TURN_RESPONSE_EVENT_TYPE_TURN_COMPLETE: AgentTurnResponseEventType
AGENT_TURN_RESPONSE_EVENT_TYPE_TURN_AWAITING_INPUT: AgentTurnResponseEventType
TOOL_CALL_PARSE_STATUS_UNSPECIFIED: ToolCallParseStatus
TOOL_CALL_PARSE_STATUS_STARTED: ToolCallParseStatus
TOOL_CALL_PARSE_STATUS_IN_PROGRESS: ToolCallParseStatus
TOOL_CALL_PARSE_STATUS_FAILED: ToolCallParseStatus
TOOL_CALL_PARSE_STATUS_SUCCEEDED: ToolCallParseStatus

class Agent(_message.Message):
    __slots__ = ("agent_id", "agent_config", "created_at")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_CONFIG_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    agent_config: _agent_config_pb2.AgentConfig
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, agent_id: _Optional[str] = ..., agent_config: _Optional[_Union[_agent_config_pb2.AgentConfig, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AgentCreateResponse(_message.Message):
    __slots__ = ("agent_id",)
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    def __init__(self, agent_id: _Optional[str] = ...) -> None: ...

class AgentSessionCreateResponse(_message.Message):
    __slots__ = ("session_id",)
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    def __init__(self, session_id: _Optional[str] = ...) -> None: ...

class Session(_message.Message):
    __slots__ = ("session_id", "session_name", "turns", "started_at")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_NAME_FIELD_NUMBER: _ClassVar[int]
    TURNS_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    session_name: str
    turns: _containers.RepeatedCompositeFieldContainer[Turn]
    started_at: _timestamp_pb2.Timestamp
    def __init__(self, session_id: _Optional[str] = ..., session_name: _Optional[str] = ..., turns: _Optional[_Iterable[_Union[Turn, _Mapping]]] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TurnInputMessage(_message.Message):
    __slots__ = ("user", "tool")
    USER_FIELD_NUMBER: _ClassVar[int]
    TOOL_FIELD_NUMBER: _ClassVar[int]
    user: _messages_pb2.UserMessage
    tool: _messages_pb2.ToolResponseMessage
    def __init__(self, user: _Optional[_Union[_messages_pb2.UserMessage, _Mapping]] = ..., tool: _Optional[_Union[_messages_pb2.ToolResponseMessage, _Mapping]] = ...) -> None: ...

class AttachmentContent(_message.Message):
    __slots__ = ("text", "item", "items", "url")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    ITEM_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    text: str
    item: _content_pb2.InterleavedContentItem
    items: _content_pb2.InterleavedContentItemList
    url: _content_pb2.URL
    def __init__(self, text: _Optional[str] = ..., item: _Optional[_Union[_content_pb2.InterleavedContentItem, _Mapping]] = ..., items: _Optional[_Union[_content_pb2.InterleavedContentItemList, _Mapping]] = ..., url: _Optional[_Union[_content_pb2.URL, _Mapping]] = ...) -> None: ...

class Turn(_message.Message):
    __slots__ = ("turn_id", "session_id", "input_messages", "steps", "output_message", "output_attachments", "started_at", "completed_at")
    class Attachment(_message.Message):
        __slots__ = ("content", "mime_type")
        CONTENT_FIELD_NUMBER: _ClassVar[int]
        MIME_TYPE_FIELD_NUMBER: _ClassVar[int]
        content: AttachmentContent
        mime_type: str
        def __init__(self, content: _Optional[_Union[AttachmentContent, _Mapping]] = ..., mime_type: _Optional[str] = ...) -> None: ...
    TURN_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    INPUT_MESSAGES_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_ATTACHMENTS_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    turn_id: str
    session_id: str
    input_messages: _containers.RepeatedCompositeFieldContainer[TurnInputMessage]
    steps: _containers.RepeatedCompositeFieldContainer[Step]
    output_message: _messages_pb2.CompletionMessage
    output_attachments: _containers.RepeatedCompositeFieldContainer[Turn.Attachment]
    started_at: _timestamp_pb2.Timestamp
    completed_at: _timestamp_pb2.Timestamp
    def __init__(self, turn_id: _Optional[str] = ..., session_id: _Optional[str] = ..., input_messages: _Optional[_Iterable[_Union[TurnInputMessage, _Mapping]]] = ..., steps: _Optional[_Iterable[_Union[Step, _Mapping]]] = ..., output_message: _Optional[_Union[_messages_pb2.CompletionMessage, _Mapping]] = ..., output_attachments: _Optional[_Iterable[_Union[Turn.Attachment, _Mapping]]] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class InferenceStep(_message.Message):
    __slots__ = ("turn_id", "step_id", "started_at", "completed_at", "step_type", "model_response")
    TURN_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    STEP_TYPE_FIELD_NUMBER: _ClassVar[int]
    MODEL_RESPONSE_FIELD_NUMBER: _ClassVar[int]
    turn_id: str
    step_id: str
    started_at: _timestamp_pb2.Timestamp
    completed_at: _timestamp_pb2.Timestamp
    step_type: StepType
    model_response: _messages_pb2.CompletionMessage
    def __init__(self, turn_id: _Optional[str] = ..., step_id: _Optional[str] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., step_type: _Optional[_Union[StepType, str]] = ..., model_response: _Optional[_Union[_messages_pb2.CompletionMessage, _Mapping]] = ...) -> None: ...

class ToolExecutionStep(_message.Message):
    __slots__ = ("turn_id", "step_id", "started_at", "completed_at", "step_type", "tool_calls", "tool_responses")
    TURN_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    STEP_TYPE_FIELD_NUMBER: _ClassVar[int]
    TOOL_CALLS_FIELD_NUMBER: _ClassVar[int]
    TOOL_RESPONSES_FIELD_NUMBER: _ClassVar[int]
    turn_id: str
    step_id: str
    started_at: _timestamp_pb2.Timestamp
    completed_at: _timestamp_pb2.Timestamp
    step_type: StepType
    tool_calls: _containers.RepeatedCompositeFieldContainer[_messages_pb2.ToolCall]
    tool_responses: _containers.RepeatedCompositeFieldContainer[_messages_pb2.ToolResponse]
    def __init__(self, turn_id: _Optional[str] = ..., step_id: _Optional[str] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., step_type: _Optional[_Union[StepType, str]] = ..., tool_calls: _Optional[_Iterable[_Union[_messages_pb2.ToolCall, _Mapping]]] = ..., tool_responses: _Optional[_Iterable[_Union[_messages_pb2.ToolResponse, _Mapping]]] = ...) -> None: ...

class ShieldCallStep(_message.Message):
    __slots__ = ("turn_id", "step_id", "started_at", "completed_at", "step_type", "violation")
    TURN_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    STEP_TYPE_FIELD_NUMBER: _ClassVar[int]
    VIOLATION_FIELD_NUMBER: _ClassVar[int]
    turn_id: str
    step_id: str
    started_at: _timestamp_pb2.Timestamp
    completed_at: _timestamp_pb2.Timestamp
    step_type: StepType
    violation: _safety_pb2.SafetyViolation
    def __init__(self, turn_id: _Optional[str] = ..., step_id: _Optional[str] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., step_type: _Optional[_Union[StepType, str]] = ..., violation: _Optional[_Union[_safety_pb2.SafetyViolation, _Mapping]] = ...) -> None: ...

class MemoryRetrievalStep(_message.Message):
    __slots__ = ("turn_id", "step_id", "started_at", "completed_at", "step_type", "vector_db_ids", "inserted_context")
    TURN_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    STEP_TYPE_FIELD_NUMBER: _ClassVar[int]
    VECTOR_DB_IDS_FIELD_NUMBER: _ClassVar[int]
    INSERTED_CONTEXT_FIELD_NUMBER: _ClassVar[int]
    turn_id: str
    step_id: str
    started_at: _timestamp_pb2.Timestamp
    completed_at: _timestamp_pb2.Timestamp
    step_type: StepType
    vector_db_ids: str
    inserted_context: _content_pb2.InterleavedContent
    def __init__(self, turn_id: _Optional[str] = ..., step_id: _Optional[str] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., step_type: _Optional[_Union[StepType, str]] = ..., vector_db_ids: _Optional[str] = ..., inserted_context: _Optional[_Union[_content_pb2.InterleavedContent, _Mapping]] = ...) -> None: ...

class Step(_message.Message):
    __slots__ = ("inference", "tool_execution", "shield_call", "memory_retrieval")
    INFERENCE_FIELD_NUMBER: _ClassVar[int]
    TOOL_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    SHIELD_CALL_FIELD_NUMBER: _ClassVar[int]
    MEMORY_RETRIEVAL_FIELD_NUMBER: _ClassVar[int]
    inference: InferenceStep
    tool_execution: ToolExecutionStep
    shield_call: ShieldCallStep
    memory_retrieval: MemoryRetrievalStep
    def __init__(self, inference: _Optional[_Union[InferenceStep, _Mapping]] = ..., tool_execution: _Optional[_Union[ToolExecutionStep, _Mapping]] = ..., shield_call: _Optional[_Union[ShieldCallStep, _Mapping]] = ..., memory_retrieval: _Optional[_Union[MemoryRetrievalStep, _Mapping]] = ...) -> None: ...

class AgentStepResponse(_message.Message):
    __slots__ = ("step",)
    STEP_FIELD_NUMBER: _ClassVar[int]
    step: Step
    def __init__(self, step: _Optional[_Union[Step, _Mapping]] = ...) -> None: ...

class TextDelta(_message.Message):
    __slots__ = ("type", "text")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    type: str
    text: str
    def __init__(self, type: _Optional[str] = ..., text: _Optional[str] = ...) -> None: ...

class ImageDelta(_message.Message):
    __slots__ = ("type", "image")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    type: str
    image: str
    def __init__(self, type: _Optional[str] = ..., image: _Optional[str] = ...) -> None: ...

class ToolCallDeltaValue(_message.Message):
    __slots__ = ("text", "tool_call")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    TOOL_CALL_FIELD_NUMBER: _ClassVar[int]
    text: str
    tool_call: _messages_pb2.ToolCall
    def __init__(self, text: _Optional[str] = ..., tool_call: _Optional[_Union[_messages_pb2.ToolCall, _Mapping]] = ...) -> None: ...

class ToolCallDelta(_message.Message):
    __slots__ = ("type", "tool_call", "parse_status")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TOOL_CALL_FIELD_NUMBER: _ClassVar[int]
    PARSE_STATUS_FIELD_NUMBER: _ClassVar[int]
    type: str
    tool_call: ToolCallDeltaValue
    parse_status: ToolCallParseStatus
    def __init__(self, type: _Optional[str] = ..., tool_call: _Optional[_Union[ToolCallDeltaValue, _Mapping]] = ..., parse_status: _Optional[_Union[ToolCallParseStatus, str]] = ...) -> None: ...

class ContentDelta(_message.Message):
    __slots__ = ("text", "image", "tool_call")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    TOOL_CALL_FIELD_NUMBER: _ClassVar[int]
    text: TextDelta
    image: ImageDelta
    tool_call: ToolCallDelta
    def __init__(self, text: _Optional[_Union[TextDelta, _Mapping]] = ..., image: _Optional[_Union[ImageDelta, _Mapping]] = ..., tool_call: _Optional[_Union[ToolCallDelta, _Mapping]] = ...) -> None: ...

class AgentTurnResponseStepStartPayload(_message.Message):
    __slots__ = ("event_type", "step_type", "step_id", "metadata")
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    STEP_TYPE_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    event_type: AgentTurnResponseEventType
    step_type: StepType
    step_id: str
    metadata: _struct_pb2.Struct
    def __init__(self, event_type: _Optional[_Union[AgentTurnResponseEventType, str]] = ..., step_type: _Optional[_Union[StepType, str]] = ..., step_id: _Optional[str] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class AgentTurnResponseStepProgressPayload(_message.Message):
    __slots__ = ("event_type", "step_type", "step_id", "delta")
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    STEP_TYPE_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    event_type: AgentTurnResponseEventType
    step_type: StepType
    step_id: str
    delta: ContentDelta
    def __init__(self, event_type: _Optional[_Union[AgentTurnResponseEventType, str]] = ..., step_type: _Optional[_Union[StepType, str]] = ..., step_id: _Optional[str] = ..., delta: _Optional[_Union[ContentDelta, _Mapping]] = ...) -> None: ...

class AgentTurnResponseStepCompletePayload(_message.Message):
    __slots__ = ("event_type", "step_type", "step_id", "step_details")
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    STEP_TYPE_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_DETAILS_FIELD_NUMBER: _ClassVar[int]
    event_type: AgentTurnResponseEventType
    step_type: StepType
    step_id: str
    step_details: Step
    def __init__(self, event_type: _Optional[_Union[AgentTurnResponseEventType, str]] = ..., step_type: _Optional[_Union[StepType, str]] = ..., step_id: _Optional[str] = ..., step_details: _Optional[_Union[Step, _Mapping]] = ...) -> None: ...

class AgentTurnResponseTurnStartPayload(_message.Message):
    __slots__ = ("event_type", "turn_id")
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    TURN_ID_FIELD_NUMBER: _ClassVar[int]
    event_type: AgentTurnResponseEventType
    turn_id: str
    def __init__(self, event_type: _Optional[_Union[AgentTurnResponseEventType, str]] = ..., turn_id: _Optional[str] = ...) -> None: ...

class AgentTurnResponseTurnCompletePayload(_message.Message):
    __slots__ = ("event_type", "turn")
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    TURN_FIELD_NUMBER: _ClassVar[int]
    event_type: AgentTurnResponseEventType
    turn: Turn
    def __init__(self, event_type: _Optional[_Union[AgentTurnResponseEventType, str]] = ..., turn: _Optional[_Union[Turn, _Mapping]] = ...) -> None: ...

class AgentTurnResponseTurnAwaitingInputPayload(_message.Message):
    __slots__ = ("event_type", "turn")
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    TURN_FIELD_NUMBER: _ClassVar[int]
    event_type: AgentTurnResponseEventType
    turn: Turn
    def __init__(self, event_type: _Optional[_Union[AgentTurnResponseEventType, str]] = ..., turn: _Optional[_Union[Turn, _Mapping]] = ...) -> None: ...

class AgentTurnResponseEventPayload(_message.Message):
    __slots__ = ("step_start", "step_progress", "step_complete", "turn_start", "turn_complete", "turn_awaiting_input")
    STEP_START_FIELD_NUMBER: _ClassVar[int]
    STEP_PROGRESS_FIELD_NUMBER: _ClassVar[int]
    STEP_COMPLETE_FIELD_NUMBER: _ClassVar[int]
    TURN_START_FIELD_NUMBER: _ClassVar[int]
    TURN_COMPLETE_FIELD_NUMBER: _ClassVar[int]
    TURN_AWAITING_INPUT_FIELD_NUMBER: _ClassVar[int]
    step_start: AgentTurnResponseStepStartPayload
    step_progress: AgentTurnResponseStepProgressPayload
    step_complete: AgentTurnResponseStepCompletePayload
    turn_start: AgentTurnResponseTurnStartPayload
    turn_complete: AgentTurnResponseTurnCompletePayload
    turn_awaiting_input: AgentTurnResponseTurnAwaitingInputPayload
    def __init__(self, step_start: _Optional[_Union[AgentTurnResponseStepStartPayload, _Mapping]] = ..., step_progress: _Optional[_Union[AgentTurnResponseStepProgressPayload, _Mapping]] = ..., step_complete: _Optional[_Union[AgentTurnResponseStepCompletePayload, _Mapping]] = ..., turn_start: _Optional[_Union[AgentTurnResponseTurnStartPayload, _Mapping]] = ..., turn_complete: _Optional[_Union[AgentTurnResponseTurnCompletePayload, _Mapping]] = ..., turn_awaiting_input: _Optional[_Union[AgentTurnResponseTurnAwaitingInputPayload, _Mapping]] = ...) -> None: ...

class AgentTurnResponseEvent(_message.Message):
    __slots__ = ("payload",)
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    payload: AgentTurnResponseEventPayload
    def __init__(self, payload: _Optional[_Union[AgentTurnResponseEventPayload, _Mapping]] = ...) -> None: ...

class AgentTurnResponseStreamChunk(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: AgentTurnResponseEvent
    def __init__(self, event: _Optional[_Union[AgentTurnResponseEvent, _Mapping]] = ...) -> None: ...

class ListAgentsRequest(_message.Message):
    __slots__ = ("start_index", "limit")
    START_INDEX_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    start_index: int
    limit: int
    def __init__(self, start_index: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class CreateAgentRequest(_message.Message):
    __slots__ = ("agent_config",)
    AGENT_CONFIG_FIELD_NUMBER: _ClassVar[int]
    agent_config: _agent_config_pb2.AgentConfig
    def __init__(self, agent_config: _Optional[_Union[_agent_config_pb2.AgentConfig, _Mapping]] = ...) -> None: ...

class GetAgentRequest(_message.Message):
    __slots__ = ("agent_id",)
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    def __init__(self, agent_id: _Optional[str] = ...) -> None: ...

class DeleteAgentRequest(_message.Message):
    __slots__ = ("agent_id",)
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    def __init__(self, agent_id: _Optional[str] = ...) -> None: ...

class CreateAgentSessionRequest(_message.Message):
    __slots__ = ("agent_id", "session_name")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_NAME_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    session_name: str
    def __init__(self, agent_id: _Optional[str] = ..., session_name: _Optional[str] = ...) -> None: ...

class GetAgentSessionRequest(_message.Message):
    __slots__ = ("agent_id", "session_id", "turn_ids")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    TURN_IDS_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    session_id: str
    turn_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, agent_id: _Optional[str] = ..., session_id: _Optional[str] = ..., turn_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class DeleteAgentSessionRequest(_message.Message):
    __slots__ = ("agent_id", "session_id")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    session_id: str
    def __init__(self, agent_id: _Optional[str] = ..., session_id: _Optional[str] = ...) -> None: ...

class CreateAgentTurnRequest(_message.Message):
    __slots__ = ("agent_id", "session_id", "messages", "stream", "documents", "toolgroups", "tool_config")
    class Document(_message.Message):
        __slots__ = ("content", "mime_type")
        CONTENT_FIELD_NUMBER: _ClassVar[int]
        MIME_TYPE_FIELD_NUMBER: _ClassVar[int]
        content: AttachmentContent
        mime_type: str
        def __init__(self, content: _Optional[_Union[AttachmentContent, _Mapping]] = ..., mime_type: _Optional[str] = ...) -> None: ...
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    TOOLGROUPS_FIELD_NUMBER: _ClassVar[int]
    TOOL_CONFIG_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    session_id: str
    messages: _containers.RepeatedCompositeFieldContainer[TurnInputMessage]
    stream: bool
    documents: _containers.RepeatedCompositeFieldContainer[CreateAgentTurnRequest.Document]
    toolgroups: _containers.RepeatedCompositeFieldContainer[_agent_config_pb2.AgentTool]
    tool_config: _inference_pb2.ToolConfig
    def __init__(self, agent_id: _Optional[str] = ..., session_id: _Optional[str] = ..., messages: _Optional[_Iterable[_Union[TurnInputMessage, _Mapping]]] = ..., stream: _Optional[bool] = ..., documents: _Optional[_Iterable[_Union[CreateAgentTurnRequest.Document, _Mapping]]] = ..., toolgroups: _Optional[_Iterable[_Union[_agent_config_pb2.AgentTool, _Mapping]]] = ..., tool_config: _Optional[_Union[_inference_pb2.ToolConfig, _Mapping]] = ...) -> None: ...

class GetAgentTurnRequest(_message.Message):
    __slots__ = ("agent_id", "session_id", "turn_id")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    TURN_ID_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    session_id: str
    turn_id: str
    def __init__(self, agent_id: _Optional[str] = ..., session_id: _Optional[str] = ..., turn_id: _Optional[str] = ...) -> None: ...

class ResumeAgentTurnRequest(_message.Message):
    __slots__ = ("agent_id", "session_id", "turn_id", "tool_responses", "stream")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    TURN_ID_FIELD_NUMBER: _ClassVar[int]
    TOOL_RESPONSES_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    session_id: str
    turn_id: str
    tool_responses: _containers.RepeatedCompositeFieldContainer[_messages_pb2.ToolResponse]
    stream: bool
    def __init__(self, agent_id: _Optional[str] = ..., session_id: _Optional[str] = ..., turn_id: _Optional[str] = ..., tool_responses: _Optional[_Iterable[_Union[_messages_pb2.ToolResponse, _Mapping]]] = ..., stream: _Optional[bool] = ...) -> None: ...

class GetAgentStepRequest(_message.Message):
    __slots__ = ("agent_id", "session_id", "turn_id", "step_id")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    TURN_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    session_id: str
    turn_id: str
    step_id: str
    def __init__(self, agent_id: _Optional[str] = ..., session_id: _Optional[str] = ..., turn_id: _Optional[str] = ..., step_id: _Optional[str] = ...) -> None: ...

class ListAgentSessionsRequest(_message.Message):
    __slots__ = ("agent_id", "start_index", "limit")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    START_INDEX_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    start_index: int
    limit: int
    def __init__(self, agent_id: _Optional[str] = ..., start_index: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...
