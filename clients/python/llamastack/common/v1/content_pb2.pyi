from google.api import field_behavior_pb2 as _field_behavior_pb2
from llamastack.annotations.v1 import annotations_pb2 as _annotations_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class URL(_message.Message):
    __slots__ = ("uri",)
    URI_FIELD_NUMBER: _ClassVar[int]
    uri: str
    def __init__(self, uri: _Optional[str] = ...) -> None: ...

class TextContentItem(_message.Message):
    __slots__ = ("type", "text")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    type: str
    text: str
    def __init__(self, type: _Optional[str] = ..., text: _Optional[str] = ...) -> None: ...

class ImageContentItem(_message.Message):
    __slots__ = ("type", "image")
    class Image(_message.Message):
        __slots__ = ("url", "data")
        URL_FIELD_NUMBER: _ClassVar[int]
        DATA_FIELD_NUMBER: _ClassVar[int]
        url: URL
        data: str
        def __init__(self, url: _Optional[_Union[URL, _Mapping]] = ..., data: _Optional[str] = ...) -> None: ...
    TYPE_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    type: str
    image: ImageContentItem.Image
    def __init__(self, type: _Optional[str] = ..., image: _Optional[_Union[ImageContentItem.Image, _Mapping]] = ...) -> None: ...

class InterleavedContentItem(_message.Message):
    __slots__ = ("image", "text")
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    image: ImageContentItem
    text: TextContentItem
    def __init__(self, image: _Optional[_Union[ImageContentItem, _Mapping]] = ..., text: _Optional[_Union[TextContentItem, _Mapping]] = ...) -> None: ...

class InterleavedContentItemList(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[InterleavedContentItem]
    def __init__(self, items: _Optional[_Iterable[_Union[InterleavedContentItem, _Mapping]]] = ...) -> None: ...

class InterleavedContent(_message.Message):
    __slots__ = ("text", "item", "items")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    ITEM_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    text: str
    item: InterleavedContentItem
    items: InterleavedContentItemList
    def __init__(self, text: _Optional[str] = ..., item: _Optional[_Union[InterleavedContentItem, _Mapping]] = ..., items: _Optional[_Union[InterleavedContentItemList, _Mapping]] = ...) -> None: ...
