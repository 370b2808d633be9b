"""A request body as the gateway accepts it: JSON (415 for another Content-Type; none
given reads as JSON), at most `max_bytes` long (413), no duplicate keys and nested at
most MAX_JSON_DEPTH levels (400). Each refusal is a BodyError with its HTTP status."""
from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from llamastack_grpc import MAX_JSON_DEPTH, quoted

# An oversized body is still read (and dropped) up to this much, so that the client,
# which is usually still sending, reads the 413 instead of a reset connection.
_DRAIN_LIMIT = 1 << 30


EMPTY = object()  # what read_json answers for a request without a body


class BodyError(Exception):
    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status
        self.detail = detail


def is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


async def read_json(request: Request, max_bytes: int) -> Any:
    """The body's JSON value, or EMPTY for an empty body."""
    content_type = request.headers.get("content-type")
    if content_type is not None and not is_json(content_type) and request.headers.get("content-length") != "0":
        raise BodyError(415, f"Content-Type must be application/json, got {quoted(content_type)}")
    raw = await _read_bounded(request, max_bytes)
    if not raw.strip():
        return EMPTY
    try:
        value = json.loads(raw, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
    except _DuplicateKey as exc:
        raise BodyError(400, f"request body has the key {quoted(exc.key)} twice in one object") from None
    except RecursionError:
        raise BodyError(400, f"request body is nested more than {MAX_JSON_DEPTH} levels deep") from None
    except ValueError as exc:
        raise BodyError(400, f"request body is not valid JSON: {exc}") from None
    if _nested_deeper_than(value, MAX_JSON_DEPTH):
        raise BodyError(400, f"request body is nested more than {MAX_JSON_DEPTH} levels deep")
    return value


async def _read_bounded(request: Request, max_bytes: int) -> bytes:
    too_large = BodyError(413, f"request body is larger than the limit of {max_bytes} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > _DRAIN_LIMIT:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > _DRAIN_LIMIT:
            break
        if size <= max_bytes:
            chunks.append(chunk)
    if size > max_bytes:
        raise too_large
    return b"".join(chunks)


class _DuplicateKey(Exception):
    def __init__(self, key: str):
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return result


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _nested_deeper_than(value: Any, limit: int) -> bool:
    if not isinstance(value, (dict, list)):
        return False
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False
