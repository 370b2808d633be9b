"""Loading the rows of a URIDataSource.

Supported URIs:
- ``file:///abs/path.{jsonl,json,csv,parquet}`` under one of the configured allowed roots
  (symlinks and ``..`` are resolved before the check);
- ``data:<media type>;base64,<payload>`` holding CSV or JSONL (``text/csv``,
  ``application/jsonl``, the short forms ``csv`` / ``jsonl`` and a few aliases).

Every failure raises ``InvalidArgument("source.uri", ...)``. Rows come back as lists of
JSON-compatible dicts (str keys; None/bool/int/float/str/list/dict values).
"""
from __future__ import annotations

import base64
import datetime as _dt
import decimal
import io
import json
import math
import sys
import uuid
from collections.abc import Iterable
from typing import Any

from llamastack_grpc import MAX_JSON_DEPTH, quoted
from server.errors import InvalidArgument
from server.uris import FileAccess, decode_data_uri, scheme_of

FIELD = "source.uri"
_DOUBLE_MAX = sys.float_info.max

_EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".parquet": "parquet"}

_MEDIA_TYPES = {
    "text/csv": "csv",
    "application/csv": "csv",
    "csv": "csv",
    "application/jsonl": "jsonl",
    "application/jsonlines": "jsonl",
    "application/x-jsonlines": "jsonl",
    "application/ndjson": "jsonl",
    "application/x-ndjson": "jsonl",
    "text/jsonl": "jsonl",
    "jsonl": "jsonl",
    "application/json": "json",
    "json": "json",
}


def _fail(message: str) -> InvalidArgument:
    return InvalidArgument(FIELD, message)


def load_uri_rows(uri: str, files: FileAccess) -> list[dict[str, Any]]:
    """Return the rows that `uri` names (blocking: call it in a worker thread)."""
    if not uri:
        raise _fail("uri is empty")
    scheme = scheme_of(uri)
    if scheme == "file":
        path = files.resolve(uri, FIELD)
        fmt = _EXTENSIONS.get(path.suffix.lower())
        if fmt is None:
            raise _fail(f"unsupported file extension {quoted(path.suffix or '(none)')} for {quoted(str(path))}: "
                        "expected .jsonl, .json, .csv or .parquet")
        return parse_rows(files.read(path, FIELD), fmt, what=f"file {quoted(str(path))}")
    if scheme == "data":
        data, media_type = decode_data_uri(uri, FIELD)
        fmt = _MEDIA_TYPES.get(media_type.lower())
        if fmt is None:
            raise _fail(f"unsupported data URI media type {quoted(media_type or '(none)')}: "
                        "expected text/csv or application/jsonl")
        return parse_rows(data, fmt, what="data URI")
    raise _fail(f"unsupported URI scheme {quoted(scheme or uri, 32)}: only file:// and data: URIs are supported")


# ---------------------------------------------------------------- parsing


def parse_rows(data: bytes, fmt: str, *, what: str) -> list[dict[str, Any]]:
    if fmt == "jsonl":
        return _parse_jsonl(data, what)
    if fmt == "json":
        return _parse_json(data, what)
    if fmt == "csv":
        return _parse_csv(data, what)
    if fmt == "parquet":
        return _parse_parquet(data, what)
    raise _fail(f"unsupported format {fmt!r}")  # pragma: no cover


def _text(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _fail(f"{what} is not valid UTF-8 (byte {exc.start})") from None


def _parse_jsonl(data: bytes, what: str) -> list[dict[str, Any]]:
    rows = []
    for lineno, line in enumerate(_text(data, what).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except (ValueError, RecursionError) as exc:
            raise _fail(f"{what}: line {lineno} is not valid JSON: {_json_error(exc)}") from None
        if not isinstance(value, dict):
            raise _fail(f"{what}: line {lineno} is a JSON {_json_kind(value)}, expected an object (one row per line)")
        rows.append(_clean_row(value, what, f"line {lineno}"))
    return rows


def _parse_json(data: bytes, what: str) -> list[dict[str, Any]]:
    try:
        value = json.loads(_text(data, what))
    except (ValueError, RecursionError) as exc:
        raise _fail(f"{what} is not valid JSON: {_json_error(exc)}") from None
    if not isinstance(value, list):
        raise _fail(f"{what} holds a JSON {_json_kind(value)}, expected an array of row objects")
    rows = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise _fail(f"{what}: element {i} is a JSON {_json_kind(item)}, expected an object")
        rows.append(_clean_row(item, what, f"element {i}"))
    return rows


def _json_error(exc: Exception) -> str:
    return f"nested more than {MAX_JSON_DEPTH} levels deep" if isinstance(exc, RecursionError) else str(exc)


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _parse_csv(data: bytes, what: str) -> list[dict[str, Any]]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if not data.strip():
        raise _fail(f"{what} is empty: a CSV needs a header row")

    def read(column_types=None):
        return pacsv.read_csv(
            io.BytesIO(data),
            convert_options=pacsv.ConvertOptions(column_types=column_types or {}),
        )

    try:
        table = read()
        # Keep date/time-looking text as the text it was (only int/float/bool are inferred).
        as_text = {
            f.name: pa.string()
            for f in table.schema
            if pa.types.is_timestamp(f.type) or pa.types.is_date(f.type) or pa.types.is_time(f.type)
        }
        if as_text:
            table = read(as_text)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, UnicodeDecodeError) as exc:
        raise _fail(f"{what} is not valid CSV: {exc}") from None
    return _table_rows(table, what)


def _parse_parquet(data: bytes, what: str) -> list[dict[str, Any]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise _fail(f"{what} is not a valid Parquet file: {exc}") from None
    return _table_rows(table, what)


def _table_rows(table, what: str) -> list[dict[str, Any]]:
    names = table.column_names
    seen = set()
    for name in names:
        if name in seen:
            raise _fail(f"{what} has duplicate column {name!r}")
        seen.add(name)
    try:
        return [_clean_row(row, what, f"row {i}") for i, row in enumerate(table.to_pylist())]
    except (ValueError, TypeError, OverflowError) as exc:  # pragma: no cover - exotic types
        raise _fail(f"{what} holds values that cannot be represented as JSON: {exc}") from None


class _Unstorable(Exception):
    """A value that a row in the store (a google.protobuf.Struct) could not give back as read."""


def _clean_row(value: dict, what: str, where: str) -> dict:
    try:
        return _clean(value, 1)
    except _Unstorable as exc:
        raise _fail(f"{what}: {where} {exc}") from None


def _clean(value: Any, depth: int) -> Any:
    """Turn a value into a JSON-compatible one (what google.protobuf.Struct can hold):
    non-finite numbers (a missing value in CSV or Parquet) become null; an integer past
    a double's range (which the Struct keeps numbers as), and nesting past MAX_JSON_DEPTH,
    are refused."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        if abs(value) > _DOUBLE_MAX:
            raise _Unstorable(f"holds a {len(str(abs(value)))}-digit integer, past the range of the double "
                              "a JSON number in the store is kept as")
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if depth > MAX_JSON_DEPTH and isinstance(value, (dict, list, tuple)):
        raise _Unstorable(f"is nested more than {MAX_JSON_DEPTH} levels deep")
    if isinstance(value, dict):
        return {str(k): _clean(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        # pyarrow gives map columns as lists of (key, value) tuples: keep them as pairs.
        return [_clean(v, depth + 1) for v in value]
    if isinstance(value, decimal.Decimal):
        return _clean(float(value), depth) if value.is_finite() else None
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(raw).decode("ascii")
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Iterable):
        return [_clean(v, depth + 1) for v in value]
    return str(value)
