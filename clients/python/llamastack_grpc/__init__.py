"""Python client support for the llama-stack-grpc contract.

The generated modules live beside this package, under `llamastack.<area>.<version>`.
`services()` loads all of them and lists the services they define, and
`http_bindings()` reads each method's HTTP routes from its annotations, so that the
server, the REST gateway and tools can work from descriptors alone.
"""
from __future__ import annotations

import functools
import importlib
import pkgutil
from dataclasses import dataclass

from google.api import annotations_pb2
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor

import llamastack


@functools.cache
def services() -> tuple[ServiceDescriptor, ...]:
    """Every service of the contract, in a stable order (by full name)."""
    found = {}
    for module_info in pkgutil.walk_packages(llamastack.__path__, prefix="llamastack."):
        if not module_info.name.endswith("_pb2"):
            continue
        module = importlib.import_module(module_info.name)
        for service in module.DESCRIPTOR.services_by_name.values():
            found[service.full_name] = service
    return tuple(found[name] for name in sorted(found))


@dataclass(frozen=True)
class HttpBinding:
    """One HTTP route of a method, from its google.api.http rule (or an additional binding)."""

    method: MethodDescriptor
    verb: str  # GET, POST, ...
    path: str  # e.g. /v1beta/datasets/{dataset_id}
    body: str  # "" (no body), "*" (the whole request) or a field name


def http_bindings(service: ServiceDescriptor) -> list[HttpBinding]:
    bindings = []
    for method in service.methods:
        options = method.GetOptions()
        if not options.HasExtension(annotations_pb2.http):
            continue
        rule = options.Extensions[annotations_pb2.http]
        for one in (rule, *rule.additional_bindings):
            verb = one.WhichOneof("pattern")
            if verb == "custom":
                bindings.append(HttpBinding(method, one.custom.kind.upper(), one.custom.path, one.body))
            elif verb:
                bindings.append(HttpBinding(method, verb.upper(), getattr(one, verb), one.body))
    return bindings


# google.protobuf.Struct keeps every number as a double: the integers it holds exactly.
MAX_SAFE_INTEGER = 2**53 - 1
# JSON nesting the service accepts (a request body, a row read from a file). protobuf
# decodes messages nested at most 100 levels and a JSON object in a Struct costs three
# (Struct, map entry, Value), so 32 levels fit in any request and the answers echoing it.
MAX_JSON_DEPTH = 32


def integral_numbers(value):
    """google.protobuf.Struct keeps every number as a double; JSON read back from one
    should give whole numbers as integers again (e.g. `maxLength: 10`, row values)."""
    if isinstance(value, float) and value.is_integer() and abs(value) <= MAX_SAFE_INTEGER:
        return int(value)
    if isinstance(value, dict):
        return {k: integral_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [integral_numbers(v) for v in value]
    return value


def struct_to_dict(struct) -> dict:
    """A Struct as plain JSON values, whole numbers as ints."""
    from google.protobuf import json_format

    return integral_numbers(json_format.MessageToDict(struct))


def bounded(text: str, limit: int = 1024) -> str:
    """An error message or field path cut to `limit` characters: a caller's long value
    must not make an error too large for a status trailer (or a reader)."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def quoted(value: str, limit: int = 200) -> str:
    """A caller's string as an error message quotes it: repr() of at most `limit` characters."""
    if len(value) <= limit:
        return repr(value)
    return f"{value[:limit]!r}... ({len(value)} characters)"
