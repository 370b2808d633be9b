"""Checks every request against the contract's own annotations, before any servicer
runs: fields marked (google.api.field_behavior) = REQUIRED must be set, and a union
(a oneof the contract marks as discriminated or untagged) that is present must hold
a member. Field paths use the JSON names, as REST callers see them."""
from __future__ import annotations

import functools

from google.api import field_behavior_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from llamastack.annotations.v1 import annotations_pb2 as ann

from server.errors import InvalidArgument


@functools.cache
def _required(desc: Descriptor) -> tuple[FieldDescriptor, ...]:
    return tuple(
        f for f in desc.fields
        if field_behavior_pb2.REQUIRED in f.GetOptions().Extensions[field_behavior_pb2.field_behavior]
    )


@functools.cache
def _union(desc: Descriptor):
    for oneof in desc.oneofs:
        options = oneof.GetOptions()
        if options.Extensions[ann.discriminator] or options.Extensions[ann.untagged]:
            return oneof
    return None


def validate(message: Message, path: str = "") -> None:
    desc = message.DESCRIPTOR
    union = _union(desc)
    if union is not None and message.WhichOneof(union.name) is None:
        choices = ", ".join(f.json_name for f in union.fields)
        raise InvalidArgument(path, f"must be one of: {choices}")
    for field in _required(desc):
        if field.is_repeated:
            continue  # an empty list is a valid value for a required array
        present = message.HasField(field.name) if field.has_presence else bool(getattr(message, field.name))
        if not present:
            raise InvalidArgument(_join(path, field.json_name), "is required")
    for field, value in message.ListFields():
        if field.message_type is None or field.message_type.full_name.startswith("google.protobuf."):
            continue
        base = _child_path(desc, field, path)
        if field.message_type.GetOptions().map_entry:
            value_field = field.message_type.fields_by_name["value"]
            if value_field.message_type is not None:
                for key, item in value.items():
                    validate(item, f"{base}.{key}")
        elif field.is_repeated:
            for i, item in enumerate(value):
                validate(item, f"{base}[{i}]")
        else:
            validate(value, base)


def _child_path(desc: Descriptor, field: FieldDescriptor, path: str) -> str:
    """A union member stands inline (or is the bare value), and a json_array message is
    the bare array: neither adds a name to the JSON path."""
    union = _union(desc)
    if union is not None and field.containing_oneof is union:
        return path
    if desc.GetOptions().Extensions[ann.json_array]:
        return path
    return _join(path, field.json_name)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
