"""A batch job's input: the JSONL file a request names, read at submission (a bad source
is a 400 naming the field, and nothing is submitted), and its lines parsed one by one (a
bad line becomes a line of the error file, and the job goes on).

A line is a JSON array of the draft's Messages, or an object
`{"custom_id": "...", "messages": [...]}`; custom_id defaults to the line's index (blank
lines are skipped and not counted). The parsed lines are stored with the job, so a
resumed job never reads the file again."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from llamastack.common.v0 import common_pb2 as v0
from llamastack_grpc.jsonmap import JsonMappingError, from_json, to_json
from server.errors import InvalidArgument, ServiceError
from server.inference import draft_messages
from server.uris import FileAccess, decode_data_uri, scheme_of

_LINE_KEYS = ("custom_id", "messages")


@dataclass
class InputLine:
    index: int
    custom_id: str
    messages: list[Any] | None = None  # the draft Messages, as JSON
    error: str | None = None  # why the line cannot be used

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self)).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> InputLine:
        return cls(**json.loads(data))

    def protos(self) -> list[v0.Message]:
        return [from_json(m, v0.Message) for m in self.messages]

    def chat_messages(self) -> list[dict]:
        return draft_messages.messages(self.protos(), "messages")


# ---------------------------------------------------------------- sources


def read_path(path: v0.Path, field: str, files: FileAccess) -> bytes:
    """The bytes a draft Path names: `raw_bytes` (the JSONL itself), `filepath` (an
    absolute path under an allowed root) or `uri` (file:// under an allowed root, or
    data:). Without a type, a value with a scheme is a URI and one starting with / a path."""
    value = path.value
    if not value:
        raise InvalidArgument(f"{field}.value", "is required")
    kind = path.type if path.HasField("type") else v0.PATH_TYPE_UNSPECIFIED
    if kind == v0.PATH_TYPE_RAW_BYTES:
        return value.encode("utf-8")
    if kind == v0.PATH_TYPE_FILEPATH or (kind == v0.PATH_TYPE_UNSPECIFIED and value.startswith("/")):
        if not value.startswith("/"):
            raise InvalidArgument(f"{field}.value", f"a filepath must be absolute, got {value!r}")
        return files.read_uri(Path(value).as_uri(), f"{field}.value")
    if kind == v0.PATH_TYPE_URI or scheme_of(value) in ("file", "data"):
        return read_location(value, f"{field}.value", files)
    raise InvalidArgument(f"{field}.type", "is required: raw_bytes, filepath or uri")


def read_location(value: str, field: str, files: FileAccess) -> bytes:
    """The bytes a plain string names: an absolute path, a file:// URI or a data: URI."""
    if not value:
        raise InvalidArgument(field, "is required")
    if value.startswith("/"):
        return files.read_uri(Path(value).as_uri(), field)
    scheme = scheme_of(value)
    if scheme == "file":
        return files.read_uri(value, field)
    if scheme == "data":
        data, _ = decode_data_uri(value, field)
        return data
    raise InvalidArgument(field, f"must be an absolute path, a file:// URI or a data: URI, got {value[:60]!r}")


# ---------------------------------------------------------------- lines


def parse(data: bytes, field: str, needs_response: bool = False) -> list[InputLine]:
    """Every non-blank line; needs_response: the last message must be the model's (an
    output message), as in reward scoring."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidArgument(field, f"is not valid UTF-8 (byte {exc.start})") from None
    lines: list[InputLine] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.strip():
            line = _parse_line(raw, len(lines), number, needs_response)
            if line.error is None and line.custom_id in seen:
                line.error = f"custom_id {line.custom_id!r} is already used by line index {seen[line.custom_id]}"
            seen.setdefault(line.custom_id, line.index)
            lines.append(line)
    if not lines:
        raise InvalidArgument(field, "holds no lines")
    return lines


def _parse_line(raw: str, index: int, number: int, needs_response: bool) -> InputLine:
    line = InputLine(index=index, custom_id=str(index))
    try:
        value = json.loads(raw)
    except ValueError as exc:
        line.error = f"line {number} is not valid JSON: {exc}"
        return line
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(_LINE_KEYS))
        custom_id = value.get("custom_id")
        if isinstance(custom_id, str) and custom_id:
            line.custom_id = custom_id
        elif custom_id is not None:
            line.error = "custom_id must be a non-empty string"
            return line
        if unknown:
            line.error = f"unknown key(s) {', '.join(map(repr, unknown))}; a line holds custom_id and messages"
            return line
        value = value.get("messages")
        if value is None:
            line.error = "messages is required"
            return line
    if not isinstance(value, list):
        line.error = f"line {number} must be a JSON array of messages or an object with custom_id and messages"
        return line
    messages = []
    for i, item in enumerate(value):
        try:
            messages.append(from_json(item, v0.Message))
        except JsonMappingError as exc:
            line.error = f"messages[{i}]: {exc}"
            return line
    try:
        chat = draft_messages.messages(messages, "messages")
    except ServiceError as exc:
        line.error = exc.message
        return line
    if needs_response and chat[-1]["role"] != "assistant":
        line.error = "messages must end with the response to score (a model output message)"
        return line
    line.messages = [to_json(m) for m in messages]
    return line
