"""The OpenAPI 3.0 document of every route the gateway answers, built from the same
descriptors and annotations as the routes themselves: paths (the documented ones and
their /v1 aliases), parameters, request bodies and answers, with JSON schemas in the
specs' shapes (enum wire strings, discriminated and untagged unions, bare arrays).
The gateway's own routes (this document, /docs, /metrics...) are listed too."""
from __future__ import annotations

import re
from typing import Any

from google.api import field_behavior_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor

from llamastack.annotations.v1 import annotations_pb2 as ann
from llamastack_grpc import HttpBinding, http_bindings, services
from llamastack_grpc.jsonmap import enum_values, fields_by_json_name

ERROR = {"type": "object", "required": ["status", "title", "detail"], "properties": {
    "status": {"type": "integer"}, "title": {"type": "string"}, "detail": {"type": "string"}}}
_SCALARS = {
    FieldDescriptor.TYPE_STRING: {"type": "string"}, FieldDescriptor.TYPE_BOOL: {"type": "boolean"},
    FieldDescriptor.TYPE_BYTES: {"type": "string", "format": "byte"},
    FieldDescriptor.TYPE_DOUBLE: {"type": "number"}, FieldDescriptor.TYPE_FLOAT: {"type": "number"},
    FieldDescriptor.TYPE_INT64: {"type": "integer", "format": "int64"},
    FieldDescriptor.TYPE_SINT64: {"type": "integer", "format": "int64"},
    FieldDescriptor.TYPE_SFIXED64: {"type": "integer", "format": "int64"},
    FieldDescriptor.TYPE_UINT64: {"type": "integer", "format": "int64", "minimum": 0},
    FieldDescriptor.TYPE_FIXED64: {"type": "integer", "format": "int64", "minimum": 0},
}
_WELL_KNOWN = {
    "google.protobuf.Struct": {"type": "object", "additionalProperties": True},
    "google.protobuf.Value": {},
    "google.protobuf.ListValue": {"type": "array", "items": {}},
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {"type": "string"},
    "google.protobuf.Empty": {"type": "object"},
    "google.protobuf.FieldMask": {"type": "string"},
    "google.protobuf.Any": {"type": "object", "additionalProperties": True},
    "google.protobuf.StringValue": {"type": "string", "nullable": True},
    "google.protobuf.BoolValue": {"type": "boolean", "nullable": True},
    "google.protobuf.DoubleValue": {"type": "number", "nullable": True},
    "google.protobuf.FloatValue": {"type": "number", "nullable": True},
    "google.protobuf.Int32Value": {"type": "integer", "format": "int32", "nullable": True},
    "google.protobuf.Int64Value": {"type": "integer", "format": "int64", "nullable": True},
}


class _Schemas:
    """components/schemas, one per message reached, named by its full name."""

    def __init__(self):
        self.components: dict[str, Any] = {}

    def ref(self, desc: Descriptor) -> dict:
        if desc.full_name in _WELL_KNOWN:
            return dict(_WELL_KNOWN[desc.full_name])
        if desc.full_name not in self.components:
            self.components[desc.full_name] = {}  # placeholder: recursive messages refer back
            self.components[desc.full_name] = self._message(desc)
        return {"$ref": f"#/components/schemas/{desc.full_name}"}

    def field(self, field: FieldDescriptor) -> dict:
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            return {"type": "object", "additionalProperties": self.one(field.message_type.fields_by_name["value"])}
        if field.is_repeated:
            return {"type": "array", "items": self.one(field)}
        return self.one(field)

    def one(self, field: FieldDescriptor) -> dict:
        if field.message_type is not None:
            return self.ref(field.message_type)
        if field.enum_type is not None:
            return {"type": "string", "enum": enum_values(field.enum_type)}
        return dict(_SCALARS.get(field.type, {"type": "integer", "format": "int32"}))

    def _message(self, desc: Descriptor) -> dict:
        if desc.GetOptions().Extensions[ann.json_array]:
            (only,) = desc.fields
            return self.field(only)
        for oneof in desc.oneofs:
            options = oneof.GetOptions()
            if options.Extensions[ann.untagged]:
                return {"oneOf": [self.field(f) for f in oneof.fields]}
            key = options.Extensions[ann.discriminator]
            if key:
                return {"oneOf": [{"allOf": [self.field(f), {"type": "object", "required": [key], "properties": {
                    key: {"type": "string", "enum": [f.json_name]}}}]} for f in oneof.fields]}
        properties = {f.json_name: self.field(f) for f in desc.fields}
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        required = [f.json_name for f in desc.fields if _required(f)]
        if required:
            schema["required"] = required
        return schema


def _required(field: FieldDescriptor) -> bool:
    return field_behavior_pb2.REQUIRED in field.GetOptions().Extensions[field_behavior_pb2.field_behavior]


def openapi_path(path: str) -> str:
    """google.api.http's {var=*} and {var=**} are plain {var} in OpenAPI."""
    return re.sub(r"\{([^}=]+)=[^}]*\}", r"{\1}", path)


def _result_type(desc: Descriptor, path: str) -> Descriptor:
    """The message at a json-name path of the streamed message (unions stepped through)."""
    for name in path.split("."):
        field = fields_by_json_name(desc).get(name)
        if field is None:  # a union: the member whose message holds the name
            field = next(fields_by_json_name(m.message_type)[name] for m in desc.fields
                         if m.message_type is not None and name in fields_by_json_name(m.message_type))
        desc = field.message_type
    return desc


def _operation(binding: HttpBinding, operation_id: str, schemas: _Schemas) -> dict:
    method = binding.method
    fields = fields_by_json_name(method.input_type)
    path_names = re.findall(r"\{([^}=]+)", binding.path)
    parameters = [{"name": name, "in": "path", "required": True, "schema": schemas.field(fields[name])}
                  for name in path_names]
    operation: dict[str, Any] = {"operationId": operation_id, "tags": [method.containing_service.full_name],
                                 "summary": f"{method.containing_service.name}.{method.name}"}
    if binding.body:
        body = schemas.ref(method.input_type) if binding.body == "*" else schemas.field(fields[binding.body])
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    else:
        parameters += [{"name": name, "in": "query", "required": False, "schema": schemas.field(field)}
                       for name, field in fields.items() if name not in path_names and field.message_type is None]
    if parameters:
        operation["parameters"] = parameters
    answer = schemas.ref(method.output_type)
    if method.output_type.full_name == "google.protobuf.Empty":
        ok = {"description": "OK (empty body)"}
    elif method.server_streaming:
        rule = method.GetOptions().Extensions[ann.streaming]
        content = {rule.content_type or "text/event-stream": {"schema": answer}}
        if rule.enable_field:
            whole = _result_type(method.output_type, rule.result_path) if rule.result_path else method.output_type
            content["application/json"] = {"schema": schemas.ref(whole)}
        ok = {"description": f"streamed when `{rule.enable_field}` is true, else one JSON answer"
              if rule.enable_field else "a stream of events", "content": content}
    else:
        ok = {"description": "OK", "content": {"application/json": {"schema": answer}}}
    operation["responses"] = {"200": ok, "default": {"description": "an error", "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}
    return operation


def document(own_routes: list[tuple[str, str, str]], title: str, version: str) -> dict:
    """own_routes: the gateway's routes that are not RPCs, as (path, verb, description)."""
    schemas = _Schemas()
    paths: dict[str, dict] = {}
    for service in services():
        for n, binding in enumerate(http_bindings(service)):
            operation_id = f"{binding.method.full_name}.{n}"
            paths.setdefault(openapi_path(binding.path), {})[binding.verb.lower()] = _operation(
                binding, operation_id, schemas)
    for path, verb, description in own_routes:
        paths.setdefault(path, {})[verb.lower()] = {
            "operationId": f"gateway{path.replace('/', '.')}", "tags": ["gateway"], "summary": description,
            "responses": {"200": {"description": description}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": title, "version": version,
                 "description": "The Llama Stack APIs served by llama-stack-grpc's REST gateway."},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": {"Error": ERROR, **schemas.components},
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}, {}],
    }
