"""Metric points for the telemetry metrics query: per metric, per label set, per minute,
the sum and the count of the values recorded. Recording adds to an in-memory minute
bucket (a dict update under a lock); a background thread merges the buckets into the
store every few seconds, and the telemetry queries merge them first (Telemetry.flush), so
they see everything recorded.

Tables:
- ``telemetry_metric_series``: metric \\0 labels (JSON) -> ""
- ``telemetry_metric_points``: metric \\0 labels \\0 minute (8 bytes big-endian) -> sum (f64), count (u64)
"""
from __future__ import annotations

import json
import struct
import threading
import time
from dataclasses import dataclass

from server.storage import KeyValueStore, Transaction

SERIES, POINTS = "telemetry_metric_series", "telemetry_metric_points"
FLUSH_INTERVAL_S = 5.0
_PRUNE_INTERVAL_S = 600.0
_MINUTE = struct.Struct(">Q")
_POINT = struct.Struct(">dQ")

Labels = tuple[tuple[str, str], ...]  # sorted (name, value) pairs


@dataclass(frozen=True)
class MetricKind:
    unit: str
    mean: bool  # a bucket's value is the mean of what was recorded in it (else the sum)
    labels: tuple[str, ...]


# The metrics that the telemetry API answers.
METRICS = {
    "prompt_tokens": MetricKind("tokens", False, ("model_id",)),
    "completion_tokens": MetricKind("tokens", False, ("model_id",)),
    "total_tokens": MetricKind("tokens", False, ("model_id",)),
    "time_to_first_token_seconds": MetricKind("s", True, ("model_id",)),
    "requests": MetricKind("requests", False, ("method", "code")),
    "request_latency_seconds": MetricKind("s", True, ("method",)),
}


def labels(**values: str) -> Labels:
    return tuple(sorted(values.items()))


@dataclass
class Bucket:
    minute: int  # unix time // 60
    total: float
    count: int


class MetricPoints:
    def __init__(self, store: KeyValueStore, max_age_s: float):
        self._store = store
        self.max_age_s = max_age_s
        store.open_tables(SERIES, POINTS)
        self._pending: dict[tuple[str, Labels, int], list] = {}
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._last_prune = 0.0
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, metric: str, series: Labels, value: float, now: float | None = None) -> None:
        key = (metric, series, int((time.time() if now is None else now) // 60))
        with self._lock:
            bucket = self._pending.get(key)
            if bucket is None:
                self._pending[key] = [value, 1]
            else:
                bucket[0] += value
                bucket[1] += 1

    # ---------------------------------------------------------------- background flush

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="telemetry-metric-points", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping.wait(FLUSH_INTERVAL_S):
            self.flush()

    def close(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
        self.flush()

    def flush(self) -> None:
        with self._flush_lock:  # one merge at a time, so none reads a bucket another is writing
            with self._lock:
                pending, self._pending = self._pending, {}
            if pending:
                self._store.write(lambda txn: _merge(txn, pending))
            if time.time() - self._last_prune > _PRUNE_INTERVAL_S:
                self._last_prune = time.time()
                self.prune()

    def prune(self, now: float | None = None) -> None:
        cutoff = int(((time.time() if now is None else now) - self.max_age_s) // 60)

        def work(txn: Transaction) -> None:
            for series, _ in list(txn.scan(SERIES)):
                old = []
                for key, _ in txn.scan(POINTS, series + b"\0"):  # minutes in order: the old ones come first
                    if _MINUTE.unpack(key[-8:])[0] >= cutoff:
                        break
                    old.append(key)
                for key in old:
                    txn.delete(POINTS, key)
                if next(txn.scan(POINTS, series + b"\0"), None) is None:
                    txn.delete(SERIES, series)

        self._store.write(work)

    # ---------------------------------------------------------------- reading

    def read(self, metric: str, first_minute: int, last_minute: int) -> dict[Labels, list[Bucket]]:
        """Every series of metric with its stored buckets from first_minute to last_minute, in order."""
        out: dict[Labels, list[Bucket]] = {}
        with self._store.read() as txn:
            for series, _ in txn.scan(SERIES, metric.encode() + b"\0"):
                buckets = []
                start = series + b"\0" + _MINUTE.pack(max(first_minute, 0))
                for key, value in txn.scan(POINTS, series + b"\0", start=start):
                    minute = _MINUTE.unpack(key[-8:])[0]
                    if minute > last_minute:
                        break
                    total, count = _POINT.unpack(value)
                    buckets.append(Bucket(minute, total, count))
                if buckets:
                    names = json.loads(series[len(metric.encode()) + 1:])
                    out[tuple((name, value) for name, value in names)] = buckets
        return out


def _series_key(metric: str, series: Labels) -> bytes:
    return metric.encode() + b"\0" + json.dumps([list(pair) for pair in series], separators=(",", ":")).encode()


def _merge(txn: Transaction, pending: dict) -> None:
    for (metric, series, minute), (total, count) in pending.items():
        series_key = _series_key(metric, series)
        key = series_key + b"\0" + _MINUTE.pack(minute)
        stored = txn.get(POINTS, key)
        if stored is not None:
            old_total, old_count = _POINT.unpack(stored)
            total, count = total + old_total, count + old_count
        txn.put(POINTS, key, _POINT.pack(total, count))
        txn.put(SERIES, series_key, b"")
