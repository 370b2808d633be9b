"""JSON as the specs write it <-> protobuf messages, for any message of the contract.

Built on protobuf's json_format (which already handles json_name, Struct, Value,
Timestamp...). On top of it, one descriptor-driven pass applies the contract's
annotations (docs/proto-conventions.md):
  - enum values are written as the spec's strings (`wire_value`, or the value name
    without its prefix, lower-cased);
  - discriminated unions put the chosen variant's fields inline beside the
    discriminator; untagged unions are the chosen member's bare JSON; `json_array`
    messages are bare arrays;
  - 64-bit integers are JSON numbers, as the specs' `integer`.
Reading JSON checks every value's type and names the offending field by its path;
numbers must fit a double (finite: `1e400` or a 400-digit integer do not), which is
also what a Struct or Value keeps them as.
"""
from __future__ import annotations

import base64
import functools
import math
from collections.abc import Iterable
from typing import Any

from google.api import field_behavior_pb2
from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor, OneofDescriptor
from google.protobuf.internal import type_checkers
from google.protobuf.message import Message

from llamastack.annotations.v1 import annotations_pb2 as ann
from llamastack_grpc import MAX_SAFE_INTEGER, bounded, quoted

_WELL_KNOWN = frozenset(
    "google.protobuf." + name
    for name in [
        "Struct", "Value", "ListValue", "Timestamp", "Duration", "Empty", "FieldMask", "Any", "DoubleValue",
        "FloatValue", "Int64Value", "UInt64Value", "Int32Value", "UInt32Value", "BoolValue", "StringValue",
        "BytesValue",
    ]
)
_TIME_TYPES = frozenset(("google.protobuf.Timestamp", "google.protobuf.Duration"))
_JSON_VALUES = frozenset(("google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue"))
_INT64 = {FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_SINT64,
          FieldDescriptor.TYPE_FIXED64, FieldDescriptor.TYPE_SFIXED64}
_INTEGER = _INT64 | {FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_SINT32,
                     FieldDescriptor.TYPE_FIXED32, FieldDescriptor.TYPE_SFIXED32}
_FLOAT = {FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT}


class JsonMappingError(ValueError):
    """A JSON value does not fit the message; `field` is its path (e.g. `source.uri`)."""

    def __init__(self, field: str, message: str):
        field = bounded(field, 256)
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field


# ---------------------------------------------------------------- descriptor facts


class _Shape:
    """How one message type looks in JSON."""

    def __init__(self, desc: Descriptor):
        self.desc = desc
        self.fields = {f.json_name: f for f in desc.fields}
        # Protobuf cannot tell an absent list from an empty one, nor an absent plain scalar
        # from its zero value (so the server cannot either; an enum's zero is UNSPECIFIED,
        # which it can): the JSON side checks that such REQUIRED fields are given.
        self.required_without_presence = tuple(
            f.json_name for f in desc.fields if (f.is_repeated or not (f.has_presence or f.enum_type))
            and field_behavior_pb2.REQUIRED in f.GetOptions().Extensions[field_behavior_pb2.field_behavior])
        self.kind = "object"
        self.union: OneofDescriptor | None = None
        self.discriminator = ""
        if desc.full_name in _WELL_KNOWN:
            self.kind = "well_known"
        elif desc.GetOptions().Extensions[ann.json_array]:
            self.kind = "array"
            (self.array_field,) = desc.fields
        for oneof in desc.oneofs:
            options = oneof.GetOptions()
            if options.Extensions[ann.discriminator]:
                self.kind, self.union = "tagged", oneof
                self.discriminator = options.Extensions[ann.discriminator]
            elif options.Extensions[ann.untagged]:
                self.kind, self.union = "untagged", oneof
        if self.union is not None:
            self.members = {f.json_name: f for f in self.union.fields}


@functools.cache
def _shape(desc: Descriptor) -> _Shape:
    return _Shape(desc)


@functools.cache
def _enum_wire(desc: EnumDescriptor) -> tuple[dict[str, str], dict[str, str]]:
    """(value name -> spec string, spec string -> value name); the zero value has none."""
    # Value names share the prefix of the zero value, <PREFIX>_UNSPECIFIED (buf's enum rules).
    prefix = desc.values_by_number[0].name.removesuffix("UNSPECIFIED")
    to_wire, from_wire = {}, {}
    for value in desc.values:
        if value.number == 0:
            continue
        wire = value.GetOptions().Extensions[ann.wire_value] or value.name.removeprefix(prefix).lower()
        to_wire[value.name] = wire
        from_wire[wire] = value.name
    return to_wire, from_wire


def enum_values(desc: EnumDescriptor) -> list[str]:
    return list(_enum_wire(desc)[1])


def _is_map(field: FieldDescriptor) -> bool:
    return field.message_type is not None and field.message_type.GetOptions().map_entry


# ---------------------------------------------------------------- message -> JSON


def to_json(message: Message) -> Any:
    """The spec's JSON for a message (a dict, list, or scalar for union wrappers).

    Read from the message itself in one pass: what json_format.MessageToDict (every
    field without presence printed) and then the contract's rules would give, without
    the intermediate dict; Struct, Value and ListValue (dataset rows) directly."""
    return _render(message, message.DESCRIPTOR)


def _render(message: Message, desc: Descriptor) -> Any:
    shape = _shape(desc)
    if shape.kind == "well_known":
        if desc.full_name in _JSON_VALUES:
            return _JSON_VALUE_RENDERERS[desc.full_name](message)
        return json_format.MessageToDict(message, always_print_fields_with_no_presence=True)
    if shape.kind == "array":
        return _render_field(getattr(message, shape.array_field.name), shape.array_field)
    if shape.kind in ("tagged", "untagged"):
        chosen = message.WhichOneof(shape.union.name)
        if chosen is None:
            return None
        member = desc.fields_by_name[chosen]
        rendered = _render_field(getattr(message, chosen), member)
        return rendered if shape.kind == "untagged" else {**rendered, shape.discriminator: member.json_name}
    out = {}
    for name, field in shape.fields.items():
        if field.has_presence and not message.HasField(field.name):
            continue
        rendered = _render_field(getattr(message, field.name), field)
        if rendered is not None or _accepts_null(field):
            out[name] = rendered
    return out


def _render_field(value: Any, field: FieldDescriptor) -> Any:
    if _is_map(field):
        value_field = field.message_type.fields_by_name["value"]
        return {_map_key(key): _render_one(value[key], value_field) for key in value}
    if field.is_repeated:
        # Rows of a dataset: straight to the Struct renderer, not through the general path per row.
        json_value = _JSON_VALUE_RENDERERS.get(field.message_type.full_name) if field.message_type else None
        if json_value is not None:
            return [json_value(item) for item in value]
        return [_render_one(item, field) for item in value]
    return _render_one(value, field)


def _map_key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


def _render_one(value: Any, field: FieldDescriptor) -> Any:
    if field.message_type is not None:
        return _render(value, field.message_type)
    if field.enum_type is not None:
        known = field.enum_type.values_by_number.get(value)
        if known is None or field.enum_type.full_name == "google.protobuf.NullValue":
            return None
        return _enum_wire(field.enum_type)[0].get(known.name)
    if field.type == FieldDescriptor.TYPE_BYTES:
        return base64.b64encode(value).decode("utf-8")
    if field.type in _FLOAT:
        if math.isinf(value):
            return "-Infinity" if value < 0 else "Infinity"
        if math.isnan(value):
            return "NaN"
        return type_checkers.ToShortestFloat(value) if field.type == FieldDescriptor.TYPE_FLOAT else value
    return value


def _struct_json(struct) -> dict:
    """Keys in sorted order: a protobuf map keeps none (upb's differs between processes,
    and between two parses of the same bytes), and the same row should read the same from
    every replica."""
    fields = struct.fields
    out = {}
    for key in sorted(fields):
        value = fields[key]
        kind = value.WhichOneof("kind")
        # A string (most of a row's values) without a call per value.
        out[key] = value.string_value if kind == "string_value" else _value_json(value, kind)
    return out


def _value_json(value, kind: str | None = None) -> Any:
    kind = kind or value.WhichOneof("kind")
    if kind == "string_value":
        return value.string_value
    if kind == "number_value":
        number = value.number_value
        if math.isinf(number) or math.isnan(number):
            raise ValueError(f"a Value holds {number}, which JSON cannot write as a number")
        return int(number) if number.is_integer() and abs(number) <= MAX_SAFE_INTEGER else number
    if kind == "bool_value":
        return value.bool_value
    if kind == "struct_value":
        return _struct_json(value.struct_value)
    if kind == "list_value":
        return _list_json(value.list_value)
    return None  # null_value, or nothing set


def _list_json(values) -> list:
    return [_value_json(item) for item in values.values]


# Whole numbers come back as ints (integral_numbers' rule), as the specs' rows expect.
_JSON_VALUE_RENDERERS = {"google.protobuf.Struct": _struct_json, "google.protobuf.Value": _value_json,
                         "google.protobuf.ListValue": _list_json}


# ---------------------------------------------------------------- JSON -> message


def from_json(data: Any, message_class: type[Message]) -> Message:
    """Parse the spec's JSON into a message; raises JsonMappingError naming the field."""
    message = message_class()
    canonical = _prepare(data, message.DESCRIPTOR, "")
    try:
        _parse_into(canonical, message)
    except json_format.ParseError as exc:
        raise JsonMappingError("", str(exc)) from None
    return message


def _parse_into(canonical: Any, message: Message) -> None:
    """json_format.ParseDict, except that Struct fields (dataset rows, metadata), which
    _prepare has checked already, are written straight into the message: ParseDict
    converts a Struct value by value, three times slower than Struct.update."""
    direct = _direct_fields(message.DESCRIPTOR)
    if not direct or not isinstance(canonical, dict):
        json_format.ParseDict(canonical, message)
        return
    rest = dict(canonical)
    taken = [(field, rest.pop(name)) for name, field in direct.items() if name in rest]
    json_format.ParseDict(rest, message)
    for field, value in taken:
        target = getattr(message, field.name)
        if field.message_type.full_name == "google.protobuf.Struct":
            if field.is_repeated:
                for item in value:
                    target.add().update(item)
            else:
                target.SetInParent()  # an empty object is still given
                target.update(value)
        elif field.is_repeated:
            for item in value:
                _parse_into(item, target.add())
        else:
            target.SetInParent()
            _parse_into(value, target)


@functools.cache
def _direct_fields(desc: Descriptor) -> dict[str, FieldDescriptor]:
    """json name -> field, for the message fields (not maps) that are Structs or hold one."""
    if desc.full_name in _WELL_KNOWN:
        return {}
    return {f.json_name: f for f in desc.fields
            if f.message_type is not None and not _is_map(f) and _holds_struct(f.message_type, frozenset())}


def _holds_struct(desc: Descriptor, seen: frozenset[str]) -> bool:
    if desc.full_name == "google.protobuf.Struct":
        return True
    if desc.full_name in _WELL_KNOWN or desc.full_name in seen:
        return False
    seen = seen | {desc.full_name}
    return any(f.message_type is not None and not _is_map(f) and _holds_struct(f.message_type, seen)
               for f in desc.fields)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", dict: "object", list: "array", type(None): "null"}.get(type(value), "unknown")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _prepare(value: Any, desc: Descriptor, path: str) -> Any:
    shape = _shape(desc)
    if desc.full_name in _TIME_TYPES:
        if not isinstance(value, str):
            raise JsonMappingError(path, f"expected a string, got {_kind(value)}")
        try:
            type_for(desc)().FromJsonString(value)
        except ValueError as exc:
            raise JsonMappingError(path, str(exc)) from None
    if shape.kind == "well_known":
        if desc.full_name in _JSON_VALUES:
            _check_json_numbers(value, path)
        return value
    if shape.kind == "array":
        if not isinstance(value, list):
            raise JsonMappingError(path, f"expected an array, got {_kind(value)}")
        return {shape.array_field.json_name: _prepare_field(value, shape.array_field, path)}
    if shape.kind == "untagged":
        return _prepare_untagged(value, shape, path)
    if not isinstance(value, dict):
        raise JsonMappingError(path, f"expected an object, got {_kind(value)}")
    if shape.kind == "tagged":
        return _prepare_tagged(value, shape, path)
    out = {}
    for name, item in value.items():
        field = shape.fields.get(name)
        if field is None:
            raise JsonMappingError(_join(path, name), f"unknown field (known: {', '.join(shape.fields) or 'none'})")
        if item is None and not _accepts_null(field):
            continue
        out[name] = _prepare_field(item, field, _join(path, name))
    for name in shape.required_without_presence:
        if name not in out:
            raise JsonMappingError(_join(path, name), "is required")
    return out


def _prepare_tagged(value: dict, shape: _Shape, path: str) -> dict:
    key_path = _join(path, shape.discriminator)
    tag = value.get(shape.discriminator)
    if tag is None:
        raise JsonMappingError(key_path, f"is required: one of {', '.join(shape.members)}")
    member = shape.members.get(tag) if isinstance(tag, str) else None
    if member is None:
        raise JsonMappingError(key_path, f"must be one of {', '.join(shape.members)}, got {_shown(tag)}")
    inner = value
    if shape.discriminator not in _shape(member.message_type).fields:
        inner = {k: v for k, v in value.items() if k != shape.discriminator}
    return {member.json_name: _prepare(inner, member.message_type, path)}


def _prepare_untagged(value: Any, shape: _Shape, path: str) -> dict:
    kind = _kind(value)
    candidates = [m for m in shape.members.values() if _member_kind(m) == kind]
    last_error = None
    for member in candidates:
        try:
            prepared = {member.json_name: _prepare_field(value, member, path)}
            if len(candidates) > 1:  # several members read this kind: the first that parses wins
                json_format.ParseDict(prepared, type_for(shape.desc)())
            return prepared
        except (JsonMappingError, json_format.ParseError) as exc:
            last_error = exc
    if last_error is not None and len(candidates) == 1:
        raise last_error
    kinds = sorted({_member_kind(m) for m in shape.members.values()})
    raise JsonMappingError(path, f"expected {' or '.join(kinds)}, got {kind}" + (
        f" that matches none of the variants ({last_error})" if last_error else ""))


def _member_kind(field: FieldDescriptor) -> str:
    if field.is_repeated:
        return "array"
    if field.message_type is not None:
        shape = _shape(field.message_type)
        if shape.kind == "array" or field.message_type.full_name == "google.protobuf.ListValue":
            return "array"
        return "object"
    if field.type == FieldDescriptor.TYPE_BOOL:
        return "boolean"
    if field.type in _INTEGER or field.type in _FLOAT:
        return "number"
    return "string"


def _accepts_null(field: FieldDescriptor) -> bool:
    return field.message_type is not None and field.message_type.full_name == "google.protobuf.Value"


def _prepare_field(value: Any, field: FieldDescriptor, path: str) -> Any:
    if _is_map(field):
        if not isinstance(value, dict):
            raise JsonMappingError(path, f"expected an object, got {_kind(value)}")
        value_field = field.message_type.fields_by_name["value"]
        return {k: _prepare_one(v, value_field, f"{path}.{k}") for k, v in value.items()}
    if field.is_repeated:
        if not isinstance(value, list):
            raise JsonMappingError(path, f"expected an array, got {_kind(value)}")
        return [_prepare_one(item, field, f"{path}[{i}]") for i, item in enumerate(value)]
    return _prepare_one(value, field, path)


def _prepare_one(value: Any, field: FieldDescriptor, path: str) -> Any:
    if field.message_type is not None:
        if field.message_type.full_name == "google.protobuf.Struct" and not isinstance(value, dict):
            raise JsonMappingError(path, f"expected an object, got {_kind(value)}")
        return _prepare(value, field.message_type, path)
    if field.enum_type is not None:
        names = _enum_wire(field.enum_type)[1]
        if not isinstance(value, str) or value not in names:
            raise JsonMappingError(path, f"must be one of {', '.join(map(repr, names))}, got {_shown(value)}")
        return names[value]
    kind = _kind(value)
    if field.type == FieldDescriptor.TYPE_BOOL:
        if kind != "boolean":
            raise JsonMappingError(path, f"expected a boolean, got {kind}")
    elif field.type in _INTEGER:
        if not (kind == "number" and (isinstance(value, int) or value.is_integer())):
            raise JsonMappingError(path, f"expected an integer, got {kind} {_shown(value)}")
        low, high = _integer_range(field.type)
        if not low <= int(value) <= high:
            raise JsonMappingError(path, f"{_shown(int(value))} is out of range [{low}, {high}]")
        return int(value)
    elif field.type in _FLOAT:
        if kind != "number":
            raise JsonMappingError(path, f"expected a number, got {kind}")
        _check_finite(value, path, _FLOAT_MAX[field.type])
    elif field.type == FieldDescriptor.TYPE_STRING and kind != "string":
        raise JsonMappingError(path, f"expected a string, got {kind}")
    return value


_FLOAT_MAX = {FieldDescriptor.TYPE_DOUBLE: 1.7976931348623157e308, FieldDescriptor.TYPE_FLOAT: 3.4028234663852886e38}


def _check_finite(value: float | int, path: str, largest: float = _FLOAT_MAX[FieldDescriptor.TYPE_DOUBLE]) -> None:
    """JSON has no Infinity or NaN: a number past the type's range (`1e400`) is refused."""
    try:
        finite = math.isfinite(value) and abs(float(value)) <= largest
    except OverflowError:  # an integer too large for any double
        finite = False
    if not finite:
        raise JsonMappingError(path, f"{_shown(value)} does not fit: numbers must be finite, at most {largest:.2g} "
                                     "in magnitude")


def _check_json_numbers(value: Any, path: str) -> None:
    """A Struct/Value keeps numbers as doubles: each must fit one, or it could not be
    stored and read back."""
    if isinstance(value, dict):
        for key, item in value.items():
            _check_json_numbers(item, _join(path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_json_numbers(item, f"{path}[{i}]")
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        _check_finite(value, path)


def _shown(value: Any) -> str:
    """A caller's value as an error message quotes it (bounded: values may be huge)."""
    if isinstance(value, str):
        return quoted(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**24:
        return f"a {len(str(abs(value)))}-digit integer"
    if isinstance(value, float) and not math.isfinite(value):
        return "a number past the range of a double"
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    return f"a JSON {_kind(value)}"


def _integer_range(field_type: int) -> tuple[int, int]:
    bits = 64 if field_type in _INT64 else 32
    if field_type in (FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_UINT64,
                      FieldDescriptor.TYPE_FIXED32, FieldDescriptor.TYPE_FIXED64):
        return 0, 2**bits - 1
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


def scalar_from_text(text: str, field: FieldDescriptor, path: str) -> Any:
    """A query or path parameter's text as the JSON value its field expects."""
    if field.message_type is not None:
        raise JsonMappingError(path, "cannot be given as a query parameter")
    if field.type == FieldDescriptor.TYPE_BOOL:
        if text.lower() not in ("true", "false", "1", "0"):
            raise JsonMappingError(path, f"expected true or false, got {quoted(text)}")
        return text.lower() in ("true", "1")
    try:
        if field.type in _INTEGER:
            return int(text)
        if field.type in _FLOAT:
            number = float(text)
            _check_finite(number, path, _FLOAT_MAX[field.type])
            return number
    except ValueError:
        raise JsonMappingError(path, f"expected a number, got {quoted(text)}") from None
    return text


@functools.cache
def type_for(desc: Descriptor) -> type[Message]:
    from google.protobuf import message_factory

    return message_factory.GetMessageClass(desc)


def fields_by_json_name(desc: Descriptor) -> dict[str, FieldDescriptor]:
    return _shape(desc).fields


def follow_path(message: Message, path: Iterable[str]) -> Message:
    """The sub-message at a json-name path, stepping through union wrappers."""
    for name in path:
        message = _step_into_union(message)
        field = _shape(message.DESCRIPTOR).fields.get(name)
        if field is None:
            raise KeyError(name)
        message = getattr(message, field.name)
    return message


def _step_into_union(message: Message) -> Message:
    shape = _shape(message.DESCRIPTOR)
    if shape.union is None:
        return message
    chosen = message.WhichOneof(shape.union.name)
    return getattr(message, chosen) if chosen else message
