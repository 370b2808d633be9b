"""The span store: finished spans in an LMDB store of their own (written by the span
writer process, read by the telemetry queries), with the indexes that the queries use,
and retention by age and by count (oldest traces go first).

Tables (ids are raw bytes: trace 16, span 8):
- ``telemetry_spans``:        trace + span -> serialized ``SpanWithStatus`` (a trace is one prefix)
- ``telemetry_span_traces``:  span -> trace (a span tree is asked for by span id alone)
- ``telemetry_traces``:       trace -> serialized ``Trace`` (root span, first start, last end)
- ``telemetry_trace_starts``: start (ns, 8 bytes big-endian) + trace -> "" (age order)
- ``telemetry_attributes``:   key \\0 encoded value + trace + span -> "" (attribute filters)
- ``telemetry_meta``:         ``span_count`` -> 8 bytes

An attribute value is encoded so that byte order is value order within one type: a
number as an order-preserving float64 (tag ``n``), a boolean (tag ``b``), a string up to
200 bytes as itself with NUL escaped and a NUL NUL terminator (tag ``s``); a longer
string by its hash (tag ``h``: equality only). So eq is one prefix scan, gt/lt one range
scan, ne a scan of the key minus the equal values. Lists are stored, not indexed.
"""
from __future__ import annotations

import hashlib
import struct
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from google.protobuf import struct_pb2

from llamastack.telemetry.v1alpha import telemetry_pb2 as pb
from server.storage import KeyValueStore, Transaction

SPANS, SPAN_TRACES, TRACES = "telemetry_spans", "telemetry_span_traces", "telemetry_traces"
TRACE_STARTS, ATTRIBUTES, META = "telemetry_trace_starts", "telemetry_attributes", "telemetry_meta"
_SPAN_COUNT = b"span_count"
_ID = 24  # trace + span
_MAX_INDEXED_STRING = 200
_MAX_KEY_NAME = 200  # LMDB keys stop at 511 bytes
_PRUNE_BATCH = 500  # traces removed per write transaction
_U64 = struct.Struct(">Q")


# ---------------------------------------------------------------- value encoding


def _encode_number(value: float) -> bytes:
    bits = _U64.unpack(struct.pack(">d", float(value)))[0]
    return _U64.pack(bits ^ 0xFFFF_FFFF_FFFF_FFFF if bits >> 63 else bits | 1 << 63)


def encode_value(value: Any) -> bytes | None:
    """The index form of a scalar attribute value (tag + bytes); None for what is not indexed."""
    if isinstance(value, bool):
        return b"b" + (b"\1" if value else b"\0")
    if isinstance(value, (int, float)):
        return b"n" + _encode_number(value)
    if isinstance(value, str):
        raw = value.encode()
        if len(raw) > _MAX_INDEXED_STRING:
            return b"h" + hashlib.blake2b(raw, digest_size=16).digest()
        return b"s" + raw.replace(b"\0", b"\0\xff") + b"\0\0"
    return None


def index_keys(ids: bytes, attributes: dict[str, Any]) -> list[bytes]:
    keys = []
    for name, value in attributes.items():
        encoded = encode_value(value)
        if encoded is not None and len(name) <= _MAX_KEY_NAME:
            keys.append(name.encode() + b"\0" + encoded + ids)
    return keys


def struct_values(attributes: struct_pb2.Struct) -> dict[str, Any]:
    """A stored span's attributes as Python scalars (lists stay lists)."""
    out = {}
    for name, value in attributes.fields.items():
        kind = value.WhichOneof("kind")
        out[name] = (value.number_value if kind == "number_value" else value.string_value if kind == "string_value"
                     else value.bool_value if kind == "bool_value" else None)
    return out


# ---------------------------------------------------------------- records


@dataclass
class SpanRecord:
    """A finished span, ready to store (built outside the write transaction, which may replay)."""

    trace_id: bytes
    span_id: bytes
    parent_id: bytes | None
    start_ns: int
    end_ns: int
    value: bytes  # serialized SpanWithStatus
    index_keys: list[bytes]


@dataclass(frozen=True)
class Condition:
    """An attribute filter: key op value, op one of eq, ne, gt, lt; value a str, float or bool."""

    key: str
    op: str
    value: Any


def _timestamp_ns(stamp) -> int:
    return stamp.seconds * 1_000_000_000 + stamp.nanos


class SpanStore:
    def __init__(self, store: KeyValueStore, max_age_s: float, max_spans: int):
        self._store = store
        self.max_age_s = max_age_s
        self.max_spans = max_spans
        store.open_tables(SPANS, SPAN_TRACES, TRACES, TRACE_STARTS, ATTRIBUTES, META)

    # ---------------------------------------------------------------- writing

    def add(self, records: Sequence[SpanRecord]) -> None:
        """Store a batch of spans and bring their traces up to date, then apply retention."""
        by_trace: dict[bytes, list[SpanRecord]] = {}
        for record in records:
            by_trace.setdefault(record.trace_id, []).append(record)

        def work(txn: Transaction) -> None:
            added = 0
            for record in records:
                if txn.put(SPANS, record.trace_id + record.span_id, record.value, overwrite=False):
                    added += 1
                    txn.put(SPAN_TRACES, record.span_id, record.trace_id)
                    for key in record.index_keys:
                        txn.put(ATTRIBUTES, key, b"")
            for trace_id, spans in by_trace.items():
                _update_trace(txn, trace_id, spans)
            _add_count(txn, added)

        self._store.write(work)
        self.prune()

    def prune(self, now: float | None = None) -> int:
        """Remove the oldest traces while the store holds more than max_spans spans or
        traces that started more than max_age_s ago; returns how many traces went."""
        cutoff_ns = int(((now if now is not None else time.time()) - self.max_age_s) * 1e9)
        with self._store.read() as txn:
            if _oldest_to_prune(txn, cutoff_ns, self.max_spans) is None:
                return 0

        def work(txn: Transaction) -> int:
            removed = 0
            while removed < _PRUNE_BATCH and (key := _oldest_to_prune(txn, cutoff_ns, self.max_spans)):
                _delete_trace(txn, key[8:], key)
                removed += 1
            return removed

        removed_total = 0
        while True:
            removed = self._store.write(work)
            removed_total += removed
            if removed < _PRUNE_BATCH:
                return removed_total

    # ---------------------------------------------------------------- reading

    def count(self) -> int:
        with self._store.read() as txn:
            return _count(txn)

    def trace(self, trace_id: bytes) -> pb.Trace | None:
        value = self._store.get(TRACES, trace_id)
        return pb.Trace.FromString(value) if value is not None else None

    def traces(self, trace_ids: Iterable[bytes]) -> list[pb.Trace]:
        with self._store.read() as txn:
            values = (txn.get(TRACES, trace_id) for trace_id in trace_ids)
            return [pb.Trace.FromString(v) for v in values if v is not None]

    def all_trace_ids(self) -> list[bytes]:
        with self._store.read() as txn:
            return [key for key, _ in txn.scan(TRACES)]

    def traces_by_start(self, newest_first: bool, offset: int, limit: int) -> list[pb.Trace]:
        with self._store.read() as txn:
            out = []
            for i, (key, _) in enumerate(txn.scan(TRACE_STARTS, reverse=newest_first)):
                if i < offset:
                    continue
                if len(out) >= limit:
                    break
                value = txn.get(TRACES, key[8:])
                if value is not None:
                    out.append(pb.Trace.FromString(value))
            return out

    def span(self, trace_id: bytes, span_id: bytes) -> pb.SpanWithStatus | None:
        value = self._store.get(SPANS, trace_id + span_id)
        return pb.SpanWithStatus.FromString(value) if value is not None else None

    def trace_of_span(self, span_id: bytes) -> bytes | None:
        return self._store.get(SPAN_TRACES, span_id)

    def trace_spans(self, trace_id: bytes) -> list[pb.SpanWithStatus]:
        with self._store.read() as txn:
            return [pb.SpanWithStatus.FromString(v) for _, v in txn.scan(SPANS, trace_id)]

    def matching(self, conditions: Sequence[Condition]) -> set[bytes]:
        """trace + span ids of the spans whose attributes satisfy every condition."""
        with self._store.read() as txn:
            found: set[bytes] | None = None
            for condition in conditions:
                ids = set(_matches(txn, condition))
                found = ids if found is None else found & ids
                if not found:
                    return set()
            return found or set()


def _count(txn: Transaction) -> int:
    value = txn.get(META, _SPAN_COUNT)
    return _U64.unpack(value)[0] if value else 0


def _add_count(txn: Transaction, delta: int) -> None:
    if delta:
        txn.put(META, _SPAN_COUNT, _U64.pack(max(0, _count(txn) + delta)))


def _oldest_to_prune(txn: Transaction, cutoff_ns: int, max_spans: int) -> bytes | None:
    """The age-index key of the oldest trace if it must go (too old, or too many spans)."""
    oldest = next(txn.scan(TRACE_STARTS), None)
    if oldest is None:
        return None
    if _U64.unpack(oldest[0][:8])[0] < cutoff_ns or _count(txn) > max_spans:
        return oldest[0]
    return None


def _update_trace(txn: Transaction, trace_id: bytes, spans: list[SpanRecord]) -> None:
    """Widen the trace's time span and find its root: the earliest-starting span whose
    parent is not stored (none, or the remote caller's), given that parents usually
    arrive after their children."""
    stored = txn.get(TRACES, trace_id)
    trace = pb.Trace.FromString(stored) if stored is not None else pb.Trace(trace_id=trace_id.hex())
    old_start = _timestamp_ns(trace.start_time) if stored is not None else None
    start = min([s.start_ns for s in spans] + ([old_start] if old_start is not None else []))
    end = max([s.end_ns for s in spans] + ([_timestamp_ns(trace.end_time)] if stored is not None else []))
    in_batch = {s.span_id for s in spans}
    candidates = [(s.start_ns, s.span_id) for s in spans if s.parent_id is None or (
        s.parent_id not in in_batch and txn.get(SPANS, trace_id + s.parent_id) is None)]
    if trace.root_span_id:
        root = txn.get(SPANS, trace_id + bytes.fromhex(trace.root_span_id))
        if root is not None:
            root_span = pb.SpanWithStatus.FromString(root)
            parent = bytes.fromhex(root_span.parent_span_id) if root_span.HasField("parent_span_id") else None
            if parent not in in_batch:
                candidates.append((_timestamp_ns(root_span.start_time), bytes.fromhex(trace.root_span_id)))
    if candidates:
        trace.root_span_id = min(candidates)[1].hex()
    trace.start_time.FromNanoseconds(start)
    trace.end_time.FromNanoseconds(end)
    txn.put(TRACES, trace_id, trace.SerializeToString())
    if old_start != start:
        if old_start is not None:
            txn.delete(TRACE_STARTS, _U64.pack(old_start) + trace_id)
        txn.put(TRACE_STARTS, _U64.pack(start) + trace_id, b"")


def _delete_trace(txn: Transaction, trace_id: bytes, start_key: bytes) -> None:
    removed = 0
    for key, value in list(txn.scan(SPANS, trace_id)):
        span = pb.SpanWithStatus.FromString(value)
        for index_key in index_keys(key, struct_values(span.attributes)):
            txn.delete(ATTRIBUTES, index_key)
        txn.delete(SPAN_TRACES, key[16:])
        txn.delete(SPANS, key)
        removed += 1
    txn.delete(TRACES, trace_id)
    txn.delete(TRACE_STARTS, start_key)
    _add_count(txn, -removed)


def _matches(txn: Transaction, condition: Condition) -> Iterator[bytes]:
    prefix = condition.key.encode() + b"\0"
    encoded = encode_value(condition.value)
    if condition.op == "eq":
        for key, _ in txn.scan(ATTRIBUTES, prefix + encoded):
            yield key[-_ID:]
    elif condition.op == "ne":
        for key, _ in txn.scan(ATTRIBUTES, prefix):
            if key[len(prefix):-_ID] != encoded:
                yield key[-_ID:]
    elif encoded[:1] in (b"n", b"s"):  # gt, lt: ordered within numbers, or within short strings
        typed = prefix + encoded[:1]
        if condition.op == "gt":
            for key, _ in txn.scan(ATTRIBUTES, typed, start=prefix + encoded + b"\xff" * (_ID + 1)):
                yield key[-_ID:]
        else:
            bound = prefix + encoded
            for key, _ in txn.scan(ATTRIBUTES, typed):
                if key >= bound:
                    break
                yield key[-_ID:]
