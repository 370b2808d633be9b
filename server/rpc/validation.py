"""Checks every request against the contract's own annotations and the service's
limits, before any servicer runs:
  - fields marked (google.api.field_behavior) = REQUIRED must be set, and a union (a
    oneof the contract marks as discriminated or untagged) that is present must hold a
    member;
  - identifiers (string fields named `id`, `identifier`, `name`, `*_id`, `*_ids`,
    `*_uuid`, `*_name`) are at most MAX_IDENTIFIER_BYTES long in UTF-8; keys among them
    (all but names) are never empty where given (an element of a list, a field with
    presence, a REQUIRED field): they become store keys;
  - numbers are finite (float and double fields, and google.protobuf.Value's
    number_value), since JSON has no Infinity or NaN;
  - every google.protobuf.Value (in a Struct, a ListValue or a field) has a kind: a
    JSON null is `null_value`, and a Value with none set cannot be read back as JSON.
A REQUIRED plain scalar (no presence) cannot be told from its zero value here, so only
a key left empty or an enum left unspecified counts as missing; the REST side checks
that the JSON gives the field (jsonmap). Field paths use the JSON names, as REST callers
see them."""
from __future__ import annotations

import functools
import math

from google.api import field_behavior_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from llamastack.annotations.v1 import annotations_pb2 as ann
from server.errors import InvalidArgument

MAX_IDENTIFIER_BYTES = 256

_KEY_NAMES = ("id", "identifier")
_KEY_SUFFIXES = ("_id", "_ids", "_uuid")
_FLOATS = (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT)
_JSON_TYPES = ("google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue")
_FLOAT_WRAPPERS = ("google.protobuf.DoubleValue", "google.protobuf.FloatValue")

# What validate() checks in a field's values (a field with none of these is skipped).
_MESSAGE, _JSON, _FLOAT, _KEY, _NAME = "message", "json", "float", "key", "name"


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


def _is_key(field: FieldDescriptor) -> bool:
    return field.type == FieldDescriptor.TYPE_STRING and (
        field.name in _KEY_NAMES or field.name.endswith(_KEY_SUFFIXES))


def _is_name(field: FieldDescriptor) -> bool:
    return field.type == FieldDescriptor.TYPE_STRING and (field.name == "name" or field.name.endswith("_name"))


@functools.cache
def _check_of(desc: Descriptor, name: str) -> str | None:
    """The check for the values of one field (a map field: of its values)."""
    field = desc.fields_by_name[name]
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        field = field.message_type.fields_by_name["value"]
    if field.message_type is not None:
        type_name = field.message_type.full_name
        if type_name in _JSON_TYPES:
            return _JSON
        if type_name in _FLOAT_WRAPPERS:
            return _FLOAT
        return None if type_name.startswith("google.protobuf.") else _MESSAGE
    if field.type in _FLOATS:
        return _FLOAT
    if _is_key(field):
        return _KEY
    return _NAME if _is_name(field) else None


def validate(message: Message, path: str = "") -> None:
    desc = message.DESCRIPTOR
    union = _union(desc)
    if union is not None and message.WhichOneof(union.name) is None:
        choices = ", ".join(f.json_name for f in union.fields)
        raise InvalidArgument(path, f"must be one of: {choices}")
    for field in _required(desc):
        if not _present(message, field):
            raise InvalidArgument(_join(path, field.json_name), "is required")
    for field, value in message.ListFields():
        check = _check_of(desc, field.name)
        if check is None:
            continue
        base = _child_path(desc, field, path)
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            items = ((f"{base}.{key}", item) for key, item in value.items())
        elif field.is_repeated:
            items = ((f"{base}[{i}]", item) for i, item in enumerate(value))
        else:
            items = ((base, value),)
        for item_path, item in items:
            if check == _MESSAGE:
                validate(item, item_path)
            elif check == _JSON:
                _check_json(item, item_path)
            elif check == _FLOAT:
                _check_finite(item if isinstance(item, float) else item.value, item_path)
            else:
                _check_identifier(item, item_path, key=check == _KEY)


def _present(message: Message, field: FieldDescriptor) -> bool:
    if field.is_repeated:
        return True  # an empty list is a valid value for a required array
    if field.has_presence:
        return message.HasField(field.name)
    if field.enum_type is not None or _is_key(field):
        return bool(getattr(message, field.name))  # UNSPECIFIED, or an empty key
    return True  # a zero number, false, an empty text: given, as far as protobuf can tell


def _check_identifier(value: str, path: str, *, key: bool) -> None:
    # An unset singular field without presence is not listed, so an empty value here
    # was given explicitly: a list element or an optional field set to "".
    if key and not value:
        raise InvalidArgument(path, "must not be empty")
    size = len(value.encode("utf-8"))
    if size > MAX_IDENTIFIER_BYTES:
        raise InvalidArgument(path, f"must be at most {MAX_IDENTIFIER_BYTES} bytes long (UTF-8), got {size}")


def _check_finite(number: float, path: str) -> None:
    if not math.isfinite(number):
        raise InvalidArgument(path, f"must be a finite number, got {number}")


def _check_json(message: Message, path: str) -> None:
    """A Struct, ListValue or Value holds only what JSON can write."""
    type_name = message.DESCRIPTOR.full_name
    if type_name == "google.protobuf.Struct":
        for key, item in message.fields.items():
            _check_json_value(item, _join(path, key))
    elif type_name == "google.protobuf.ListValue":
        for i, item in enumerate(message.values):
            _check_json_value(item, f"{path}[{i}]")
    else:
        _check_json_value(message, path)


def _check_json_value(value: Message, path: str) -> None:
    kind = value.WhichOneof("kind")
    if kind is None:
        raise InvalidArgument(path, "is a google.protobuf.Value with no kind set (a JSON null is null_value)")
    if kind == "number_value":
        _check_finite(value.number_value, path)
    elif kind == "struct_value":
        _check_json(value.struct_value, path)
    elif kind == "list_value":
        _check_json(value.list_value, path)


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
