"""The protos against the specs and docs/proto-conventions.md.

Everything here works from the generated descriptors (what the server and the gateway
actually load) or from the repository's own tools: route coverage of both specs and the
stable companions, the /v1 aliases, json_name on every field, enum naming and wire
strings, union wrappers, stubs that match the protos, buf lint and spec_coverage.py.
"""
from __future__ import annotations

import filecmp
import importlib
import importlib.util
import pkgutil
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2
from google.protobuf.descriptor import Descriptor, EnumDescriptor

import llamastack
from _spec import COMPANIONS, ROOT, SPEC_COVERAGE, normalize, spec_2024_operations, spec_2025_operations
from llamastack.annotations.v1 import annotations_pb2 as ann
from llamastack_grpc import http_bindings, services
from llamastack_grpc.jsonmap import enum_values

VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable
BUF = ROOT / ".venv" / "bin" / "buf"
STUBS = ROOT / "clients" / "python" / "llamastack"

# annotations.proto defines descriptor options (StreamingRule is an option value, never
# JSON on the wire); its fields mirror no spec property, so json_name does not apply.
JSON_NAME_EXEMPT_FILES = {"llamastack/annotations/v1/annotations.proto"}


def all_bindings():
    return [binding for service in services() for binding in http_bindings(service)]


def rpc_name(binding) -> str:
    return f"{binding.method.containing_service.full_name}/{binding.method.name}"


def pb2_modules():
    return [importlib.import_module(info.name)
            for info in pkgutil.walk_packages(llamastack.__path__, prefix="llamastack.")
            if info.name.endswith("_pb2")]


def all_messages() -> list[Descriptor]:
    def walk(messages):
        for message in messages:
            yield message
            yield from walk(message.nested_types)
    return [m for module in pb2_modules() for m in walk(module.DESCRIPTOR.message_types_by_name.values())]


def all_enums() -> list[EnumDescriptor]:
    enums = [e for module in pb2_modules() for e in module.DESCRIPTOR.enum_types_by_name.values()]
    enums += [e for message in all_messages() for e in message.enum_types]
    return enums


# ---------------------------------------------------------------- routes


def test_operation_lists_are_complete():
    assert len(spec_2025_operations()) == 41
    assert len(spec_2024_operations()) == 27
    assert len(set(spec_2025_operations())) == 41


@pytest.mark.parametrize(
    "verb, path",
    [pytest.param(v, p, id=f"2025 {v} {p}") for v, p in spec_2025_operations()]
    + [pytest.param(v, p, id=f"2024 {v} {p}") for v, p in spec_2024_operations()]
    + [pytest.param(v, p, id=f"stable {v} {p}") for v, p in COMPANIONS],
)
def test_documented_operation_maps_to_exactly_one_rpc(verb, path):
    target = normalize(path)
    rpcs = {rpc_name(b) for b in all_bindings()
            if normalize(b.path) == target and (verb == "*" or b.verb == verb)}
    assert len(rpcs) == 1, f"{verb} {path} is bound by {sorted(rpcs) or 'no RPC'}"


def test_no_two_rpcs_share_a_route():
    owners: dict[tuple[str, str], set[str]] = {}
    for binding in all_bindings():
        owners.setdefault((binding.verb, normalize(binding.path)), set()).add(rpc_name(binding))
    shared = {route: rpcs for route, rpcs in owners.items() if len(rpcs) > 1}
    assert not shared


def test_every_versioned_binding_has_a_v1_alias_on_the_same_rpc():
    bindings = all_bindings()
    present = {(rpc_name(b), b.verb, normalize(b.path), b.body) for b in bindings}
    versioned = [b for b in bindings if re.match(r"^/v1(alpha|beta)/", b.path)]
    assert len(versioned) >= 41
    missing = []
    for b in versioned:
        alias = re.sub(r"^/v1(alpha|beta)/", "/v1/", normalize(b.path))
        if (rpc_name(b), b.verb, alias, b.body) not in present:
            missing.append(f"{rpc_name(b)}: {b.verb} {alias} (body {b.body!r})")
    assert not missing


def test_every_rpc_has_an_http_binding():
    unbound = [f"{s.full_name}/{m.name}" for s in services() for m in s.methods
               if not any(b.method is m for b in http_bindings(s))]
    assert not unbound


# ---------------------------------------------------------------- fields and enums


def test_every_field_has_an_explicit_json_name():
    missing, checked = [], 0
    for module in pb2_modules():
        file_proto = descriptor_pb2.FileDescriptorProto.FromString(module.DESCRIPTOR.serialized_pb)
        assert file_proto.package.startswith("llamastack.")
        if file_proto.name in JSON_NAME_EXEMPT_FILES:
            continue

        def walk(messages, prefix):
            for message in messages:
                yield prefix + message.name, message
                yield from walk(message.nested_type, f"{prefix}{message.name}.")

        for name, message in walk(file_proto.message_type, file_proto.package + "."):
            if message.options.map_entry:
                continue  # synthesized key/value of a map<>: the JSON is the map's keys
            for field in message.field:
                checked += 1
                if not field.HasField("json_name"):
                    missing.append(f"{file_proto.name}: {name}.{field.name}")
    assert checked > 500
    assert not missing


def _upper_snake(camel: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", camel).upper()


UPPER_SNAKE = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$")


@pytest.mark.parametrize("enum", all_enums(), ids=lambda e: e.full_name)
def test_enum_naming_and_wire_strings(enum):
    prefix = _upper_snake(enum.name) + "_"
    zero = enum.values_by_number[0]
    assert zero.name == prefix + "UNSPECIFIED"
    names = [v.name for v in enum.values]
    assert all(UPPER_SNAKE.match(n) for n in names), names
    assert all(n.startswith(prefix) for n in names), names
    wire = enum_values(enum)
    others = [v for v in enum.values if v.number != 0]
    assert len(others) >= 1
    # One distinct, non-empty wire string for every non-zero value.
    assert len(wire) == len(set(wire)) == len(others), wire
    assert all(wire), wire


def test_enums_found():
    names = {e.full_name for e in all_enums()}
    assert "llamastack.datasets.v1beta.DatasetPurpose" in names
    assert len(names) > 30


def test_discriminated_variants_carry_their_discriminator():
    """The variant messages mirror their schema, const discriminator field included; when
    that field is an enum, the member's name is one of its wire strings."""
    problems, unions = [], 0
    for message in all_messages():
        for oneof in message.oneofs:
            tag = oneof.GetOptions().Extensions[ann.discriminator]
            if not tag:
                continue
            unions += 1
            for member in oneof.fields:
                assert member.message_type is not None, f"{message.full_name}.{member.name} is not a message"
                field = {f.json_name: f for f in member.message_type.fields}.get(tag)
                if field is None:
                    problems.append(f"{member.message_type.full_name} has no {tag!r} field")
                elif field.enum_type is not None and member.json_name not in enum_values(field.enum_type):
                    problems.append(f"{message.full_name}.{member.name}: {member.json_name!r} is not a "
                                    f"{field.enum_type.full_name} wire value")
    assert unions >= 10
    assert not problems


def test_json_array_messages_have_one_repeated_field():
    arrays = [m for m in all_messages() if m.GetOptions().Extensions[ann.json_array]]
    assert arrays
    for message in arrays:
        assert len(message.fields) == 1 and message.fields[0].is_repeated, message.full_name


# ---------------------------------------------------------------- generated code and tools


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    """Runs the stub generator into a temporary folder. It also lays out
    .build/proto-deps, which buf lint needs."""
    out = tmp_path_factory.mktemp("stubs")
    result = subprocess.run([PYTHON, str(ROOT / "scripts" / "gen_protos.py"), "--out", str(out)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return out / "llamastack"


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}


def test_stubs_are_not_stale(regenerated):
    fresh, committed = _files(regenerated), _files(STUBS)
    assert fresh, "the generator wrote nothing"
    assert fresh == committed, {"only generated": sorted(fresh - committed),
                                "only committed": sorted(committed - fresh)}
    _, mismatch, errors = filecmp.cmpfiles(regenerated, STUBS, sorted(fresh), shallow=False)
    assert not mismatch and not errors, f"stale stubs (run scripts/gen_protos.py): {mismatch + errors}"


@pytest.mark.skipif(not BUF.exists() and shutil.which("buf") is None,
                    reason="buf is not installed (pip install buf-bin)")
def test_buf_lint(regenerated):
    buf = str(BUF) if BUF.exists() else shutil.which("buf")
    assert (ROOT / ".build" / "proto-deps" / "google" / "api" / "annotations.proto").exists()
    result = subprocess.run([buf, "lint"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_spec_coverage_tool_passes():
    assert SPEC_COVERAGE.exists(), SPEC_COVERAGE
    result = subprocess.run([PYTHON, str(SPEC_COVERAGE), str(ROOT / "protos")],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "MISSING" not in result.stdout
    assert "68/68" in result.stdout.strip().splitlines()[-1]
