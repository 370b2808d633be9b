"""Requests built from the contract's descriptors: the smallest message that passes the
server's generic validation (every REQUIRED field set, every union holding its first
member), so that a test reaches what a method does after validating, e.g. the
UNIMPLEMENTED of an area not built yet."""
from __future__ import annotations

from google.api import field_behavior_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from llamastack.annotations.v1 import annotations_pb2 as ann
from llamastack_grpc.jsonmap import type_for

_SCALARS = {
    FieldDescriptor.TYPE_STRING: "x",
    FieldDescriptor.TYPE_BYTES: b"x",
    FieldDescriptor.TYPE_BOOL: True,
    FieldDescriptor.TYPE_DOUBLE: 1.0,
    FieldDescriptor.TYPE_FLOAT: 1.0,
}


def minimal_request(desc: Descriptor) -> Message:
    message = type_for(desc)()
    _fill(message)
    return message


def _required(field: FieldDescriptor) -> bool:
    return field_behavior_pb2.REQUIRED in field.GetOptions().Extensions[field_behavior_pb2.field_behavior]


def required_scalars(desc: Descriptor, *, detectable: bool = False) -> list[FieldDescriptor]:
    """The REQUIRED fields that are not lists (a required list may be empty); detectable:
    only those whose absence protobuf can tell (messages, optional and enum fields)."""
    return [f for f in desc.fields if _required(f) and not f.is_repeated
            and (not detectable or f.has_presence or f.enum_type is not None)]


def _fill(message: Message) -> None:
    desc = message.DESCRIPTOR
    for oneof in desc.oneofs:
        options = oneof.GetOptions()
        if (options.Extensions[ann.discriminator] or options.Extensions[ann.untagged]) and oneof.fields:
            _set(message, oneof.fields[0])
    for field in desc.fields:
        if _required(field) and not field.is_repeated:
            _set(message, field)


def _set(message: Message, field: FieldDescriptor) -> None:
    if field.message_type is not None:
        child = getattr(message, field.name)
        child.SetInParent()
        if field.message_type.full_name == "google.protobuf.Value":
            child.string_value = "x"
        elif not field.message_type.full_name.startswith("google.protobuf."):
            _fill(child)
    elif field.enum_type is not None:
        setattr(message, field.name, field.enum_type.values[-1].number)
    else:
        setattr(message, field.name, _SCALARS.get(field.type, 1))
