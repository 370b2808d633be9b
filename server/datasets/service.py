"""DatasetService: datasets registry plus row storage (plain Python; no gRPC here).

Storage layout (two tables):
- ``datasets``:     ``<dataset_id utf-8>`` -> serialized ``Dataset``
- ``dataset_rows``: ``<dataset_id utf-8> \\0 <row index, 8-byte big endian>`` -> serialized
  ``google.protobuf.Struct``

Dataset ids never contain NUL, so ``<id>\\0`` is a prefix that only that dataset's rows
carry, and big-endian indexes sort in row order: a page is one prefix scan from
``<id>\\0<start_index>``. Rows are dense (0..n-1): they are only ever appended, or all
deleted together with the dataset.
"""
from __future__ import annotations

import asyncio
import struct as _struct
import uuid
from collections.abc import Iterable, Sequence

from google.protobuf import struct_pb2

from llamastack.common.v1 import common_pb2
from llamastack.datasets.v1beta import datasets_pb2
from server.datasets.sources import load_uri_rows
from server.errors import AlreadyExists, InvalidArgument, NotFound
from server.ids import check_id
from server.storage import KeyValueStore, Transaction
from server.uris import FileAccess

DATASETS_TABLE = "datasets"
ROWS_TABLE = "dataset_rows"
PROVIDER_ID = "localfs"
MAX_ID_LENGTH = 256

_INDEX = _struct.Struct(">Q")


def _record_key(dataset_id: str) -> bytes:
    return dataset_id.encode("utf-8")


def _rows_prefix(dataset_id: str) -> bytes:
    return dataset_id.encode("utf-8") + b"\0"


def _row_key(dataset_id: str, index: int) -> bytes:
    return _rows_prefix(dataset_id) + _INDEX.pack(index)


def _not_found(dataset_id: str) -> NotFound:
    return NotFound(f"Dataset '{dataset_id}' not found")


def _structs_from_dicts(rows: Iterable[dict]) -> list[bytes]:
    out = []
    for row in rows:
        s = struct_pb2.Struct()
        s.update(row)
        out.append(s.SerializeToString())
    return out


class DatasetService:
    def __init__(self, store: KeyValueStore, files: FileAccess):
        self._store = store
        self._files = files
        store.open_tables(DATASETS_TABLE, ROWS_TABLE)

    # ------------------------------------------------------------ Datasets

    async def register(self, req: datasets_pb2.RegisterDatasetRequest) -> datasets_pb2.Dataset:
        if req.purpose == datasets_pb2.DATASET_PURPOSE_UNSPECIFIED:
            raise InvalidArgument("purpose", "is required")
        if req.purpose not in datasets_pb2.DatasetPurpose.values():
            raise InvalidArgument("purpose", f"unknown purpose value {req.purpose}")
        if not req.HasField("source") or req.source.WhichOneof("source") is None:
            raise InvalidArgument("source", "is required: give a 'uri' or a 'rows' data source")
        if req.HasField("dataset_id"):
            check_id(req.dataset_id, "dataset_id", MAX_ID_LENGTH, path_segment=True)
            dataset_id = req.dataset_id
        else:
            dataset_id = f"dataset-{uuid.uuid4().hex}"

        dataset = datasets_pb2.Dataset(
            identifier=dataset_id,
            provider_id=PROVIDER_ID,
            provider_resource_id=dataset_id,
            type=common_pb2.RESOURCE_TYPE_DATASET,
            purpose=req.purpose,
        )
        dataset.source.CopyFrom(req.source)
        if req.source.WhichOneof("source") == "uri":
            dataset.source.uri.type = "uri"
        else:
            dataset.source.rows.type = "rows"
        if req.HasField("metadata"):
            dataset.metadata.CopyFrom(req.metadata)
        else:
            dataset.metadata.SetInParent()

        source = req.source
        if source.WhichOneof("source") == "uri":
            uri = source.uri.uri
            if not uri:
                raise InvalidArgument("source.uri", "is required")

            def load() -> list[bytes]:
                return _structs_from_dicts(load_uri_rows(uri, self._files))

            rows = await asyncio.to_thread(load)
        else:
            rows = [row.SerializeToString() for row in source.rows.rows]

        record = dataset.SerializeToString()

        def work(txn: Transaction) -> None:
            if not txn.put(DATASETS_TABLE, _record_key(dataset_id), record, overwrite=False):
                # Raising aborts the transaction: the existing dataset is untouched.
                raise AlreadyExists(f"Dataset '{dataset_id}' already exists")
            txn.delete_prefix(ROWS_TABLE, _rows_prefix(dataset_id))  # no stale rows
            for index, value in enumerate(rows):
                txn.put(ROWS_TABLE, _row_key(dataset_id, index), value)

        await asyncio.to_thread(self._store.write, work)
        return dataset

    async def list(self) -> datasets_pb2.ListDatasetsResponse:
        def read() -> list[datasets_pb2.Dataset]:
            with self._store.read() as txn:
                return [datasets_pb2.Dataset.FromString(value) for _, value in txn.scan(DATASETS_TABLE)]

        datasets = await asyncio.to_thread(read)
        datasets.sort(key=lambda d: d.identifier)
        return datasets_pb2.ListDatasetsResponse(data=datasets)

    async def get(self, dataset_id: str) -> datasets_pb2.Dataset:
        def read() -> bytes | None:
            with self._store.read() as txn:
                return txn.get(DATASETS_TABLE, _record_key(dataset_id))

        value = await asyncio.to_thread(read)
        if value is None:
            raise _not_found(dataset_id)
        return datasets_pb2.Dataset.FromString(value)

    async def unregister(self, dataset_id: str) -> None:
        def work(txn: Transaction) -> bool:
            if not txn.delete(DATASETS_TABLE, _record_key(dataset_id)):
                return False
            txn.delete_prefix(ROWS_TABLE, _rows_prefix(dataset_id))
            return True

        if not await asyncio.to_thread(self._store.write, work):
            raise _not_found(dataset_id)

    # ------------------------------------------------------------ DatasetIO

    async def iterrows(
        self, dataset_id: str, start_index: int | None = None, limit: int | None = None
    ) -> common_pb2.PaginatedResponse:
        start = 0 if start_index is None else start_index
        if start < 0:
            raise InvalidArgument("start_index", f"must be >= 0, got {start}")
        if limit is not None and limit < -1:
            raise InvalidArgument("limit", f"must be >= 0, or -1 for all rows; got {limit}")
        count = None if limit is None or limit == -1 else limit

        def read() -> tuple[list[bytes], bool] | None:
            with self._store.read() as txn:
                if not txn.contains(DATASETS_TABLE, _record_key(dataset_id)):
                    return None
                page: list[bytes] = []
                has_more = False
                for _, value in txn.scan(ROWS_TABLE, _rows_prefix(dataset_id), start=_row_key(dataset_id, start)):
                    if count is not None and len(page) >= count:
                        has_more = True
                        break
                    page.append(value)
                return page, has_more

        result = await asyncio.to_thread(read)
        if result is None:
            raise _not_found(dataset_id)
        page, has_more = result
        response = common_pb2.PaginatedResponse(has_more=has_more)
        for value in page:
            response.data.add().ParseFromString(value)
        return response

    async def append_rows(self, dataset_id: str, rows: Sequence[struct_pb2.Struct]) -> None:
        values = [row.SerializeToString() for row in rows]
        prefix = _rows_prefix(dataset_id)

        def work(txn: Transaction) -> bool:
            if not txn.contains(DATASETS_TABLE, _record_key(dataset_id)):
                return False
            next_index = 0
            for key, _ in txn.scan(ROWS_TABLE, prefix, reverse=True):
                next_index = _INDEX.unpack(key[len(prefix):])[0] + 1
                break
            for offset, value in enumerate(values):
                txn.put(ROWS_TABLE, _row_key(dataset_id, next_index + offset), value)
            return True

        if not await asyncio.to_thread(self._store.write, work):
            raise _not_found(dataset_id)
