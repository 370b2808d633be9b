from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from llamastack.annotations.v1 import annotations_pb2 as _annotations_pb2_1
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OpenAIChatCompletionContentPartTextParam(_message.Message):
    __slots__ = ("type", "text")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    type: str
    text: str
    def __init__(self, type: _Optional[str] = ..., text: _Optional[str] = ...) -> None: ...

class OpenAIImageURL(_message.Message):
    __slots__ = ("url", "detail")
    URL_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    url: str
    detail: str
    def __init__(self, url: _Optional[str] = ..., detail: _Optional[str] = ...) -> None: ...

class OpenAIChatCompletionContentPartImageParam(_message.Message):
    __slots__ = ("type", "image_url")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    IMAGE_URL_FIELD_NUMBER: _ClassVar[int]
    type: str
    image_url: OpenAIImageURL
    def __init__(self, type: _Optional[str] = ..., image_url: _Optional[_Union[OpenAIImageURL, _Mapping]] = ...) -> None: ...

class RerankQuery(_message.Message):
    __slots__ = ("text", "text_part", "image_part")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    TEXT_PART_FIELD_NUMBER: _ClassVar[int]
    IMAGE_PART_FIELD_NUMBER: _ClassVar[int]
    text: str
    text_part: OpenAIChatCompletionContentPartTextParam
    image_part: OpenAIChatCompletionContentPartImageParam
    def __init__(self, text: _Optional[str] = ..., text_part: _Optional[_Union[OpenAIChatCompletionContentPartTextParam, _Mapping]] = ..., image_part: _Optional[_Union[OpenAIChatCompletionContentPartImageParam, _Mapping]] = ...) -> None: ...

class RerankItem(_message.Message):
    __slots__ = ("text", "text_part", "image_part")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    TEXT_PART_FIELD_NUMBER: _ClassVar[int]
    IMAGE_PART_FIELD_NUMBER: _ClassVar[int]
    text: str
    text_part: OpenAIChatCompletionContentPartTextParam
    image_part: OpenAIChatCompletionContentPartImageParam
    def __init__(self, text: _Optional[str] = ..., text_part: _Optional[_Union[OpenAIChatCompletionContentPartTextParam, _Mapping]] = ..., image_part: _Optional[_Union[OpenAIChatCompletionContentPartImageParam, _Mapping]] = ...) -> None: ...

class RerankRequest(_message.Message):
    __slots__ = ("model", "query", "items", "max_num_results")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    MAX_NUM_RESULTS_FIELD_NUMBER: _ClassVar[int]
    model: str
    query: RerankQuery
    items: _containers.RepeatedCompositeFieldContainer[RerankItem]
    max_num_results: int
    def __init__(self, model: _Optional[str] = ..., query: _Optional[_Union[RerankQuery, _Mapping]] = ..., items: _Optional[_Iterable[_Union[RerankItem, _Mapping]]] = ..., max_num_results: _Optional[int] = ...) -> None: ...

class RerankData(_message.Message):
    __slots__ = ("index", "relevance_score")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    RELEVANCE_SCORE_FIELD_NUMBER: _ClassVar[int]
    index: int
    relevance_score: float
    def __init__(self, index: _Optional[int] = ..., relevance_score: _Optional[float] = ...) -> None: ...

class RerankResponse(_message.Message):
    __slots__ = ("data",)
    DATA_FIELD_NUMBER: _ClassVar[int]
    data: _containers.RepeatedCompositeFieldContainer[RerankData]
    def __init__(self, data: _Optional[_Iterable[_Union[RerankData, _Mapping]]] = ...) -> None: ...
