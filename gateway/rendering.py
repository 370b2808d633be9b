"""JSON bodies of unary answers. Rendering a message through Python costs a few µs per
value, so a large answer (a dataset holding its rows inline: 3000 values, 5-10 ms) costs
the gateway many times what its gRPC call does. Those answers are kept, rendered, by their
content: the same message read again (every GET of that dataset, from any client) is
sent without rendering it again.

The key is the message type and a SHA-256 of its deterministic wire form (map entries
sorted), so equal messages share one entry and different ones never do; what to_json gives
depends on the message alone. Serializing and hashing cost about 1/30 of rendering. Small
answers are rendered directly: keeping them would save little and evict the large ones."""
from __future__ import annotations

import hashlib
import json
from collections import OrderedDict

from google.protobuf.message import Message

from llamastack_grpc.jsonmap import to_json

# What to_json gives is a fresh tree, never a cycle: the encoder need not look for one.
dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode

DEFAULT_CACHE_BYTES = 32 << 20
# Answers smaller than this in protobuf form are rendered each time.
KEPT_FROM_BYTES = 16 << 10


class Renderer:
    """Renders answers to JSON bytes, keeping up to `cache_bytes` of the large ones (least
    recently sent evicted first; 0 keeps none). One per gateway; not thread-safe (the
    gateway's event loop is its only caller)."""

    def __init__(self, cache_bytes: int = DEFAULT_CACHE_BYTES):
        self.cache_bytes = cache_bytes
        self.kept: OrderedDict[tuple[str, bytes], bytes] = OrderedDict()
        self.kept_bytes = 0

    def body(self, message: Message) -> bytes:
        if self.cache_bytes <= 0:
            return _render(message)
        wire = message.SerializeToString(deterministic=True)
        if len(wire) < KEPT_FROM_BYTES:
            return _render(message)
        key = (message.DESCRIPTOR.full_name, hashlib.sha256(wire).digest())
        body = self.kept.get(key)
        if body is not None:
            self.kept.move_to_end(key)
            return body
        body = _render(message)
        self._keep(key, body)
        return body

    def _keep(self, key: tuple[str, bytes], body: bytes) -> None:
        # One answer may take at most a quarter of the room, so a few large ones cannot
        # push out everything else each time they are read.
        if len(body) > self.cache_bytes // 4:
            return
        self.kept[key] = body
        self.kept_bytes += len(body)
        while self.kept_bytes > self.cache_bytes:
            _, evicted = self.kept.popitem(last=False)
            self.kept_bytes -= len(evicted)


def _render(message: Message) -> bytes:
    return dumps(to_json(message)).encode()
