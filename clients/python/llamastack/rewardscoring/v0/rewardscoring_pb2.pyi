from google.api import annotations_pb2 as _annotations_pb2
from llamastack.common.v0 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ScoreRewardRequest(_message.Message):
    __slots__ = ("prompt_with_response", "reward", "scoring_function", "options")
    PROMPT_WITH_RESPONSE_FIELD_NUMBER: _ClassVar[int]
    REWARD_FIELD_NUMBER: _ClassVar[int]
    SCORING_FUNCTION_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    prompt_with_response: _containers.RepeatedCompositeFieldContainer[_common_pb2.Message]
    reward: str
    scoring_function: _common_pb2.ScoringFunction
    options: _common_pb2.Options
    def __init__(self, prompt_with_response: _Optional[_Iterable[_Union[_common_pb2.Message, _Mapping]]] = ..., reward: _Optional[str] = ..., scoring_function: _Optional[_Union[_common_pb2.ScoringFunction, _Mapping]] = ..., options: _Optional[_Union[_common_pb2.Options, _Mapping]] = ...) -> None: ...

class ScoreRewardResponse(_message.Message):
    __slots__ = ("id", "logprob", "score")
    ID_FIELD_NUMBER: _ClassVar[int]
    LOGPROB_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    id: str
    logprob: float
    score: float
    def __init__(self, id: _Optional[str] = ..., logprob: _Optional[float] = ..., score: _Optional[float] = ...) -> None: ...
