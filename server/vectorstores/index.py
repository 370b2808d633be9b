"""In-memory vector index of one store: exact search, plus an HNSW graph (hnswlib) once
the store holds more than `threshold` chunks.

The index is never the source of truth: it is built from the stored chunks the first time
a store is queried after start-up, and updated right after every committed insert or
delete, so it always matches what is stored, across restarts too. After a restart the
vectors load first and queries are answered by exact search at once, while the graph
of a large store is built in the background.

Rows: every chunk vector is one row of a float32 matrix (unit length, so the inner
product is the cosine similarity). A removed document's rows are marked dead and reused
by later inserts; in the HNSW graph a row is its label, so a dead row is
`mark_deleted` and reusing it updates that point in place.

Search: exact (one matrix-vector product over the live rows, or the rows that pass a
metadata filter) while there is no graph or when a filter leaves at most `threshold`
rows; otherwise the graph, with the filter as hnswlib's label filter.
"""
from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

DEFAULT_THRESHOLD = 20_000
# Tuned with bench/vector.py (recall@10 against exact search at 100k chunks).
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 100
HNSW_EF_SEARCH = 100


@dataclass(frozen=True)
class Hit:
    document_id: str
    chunk_index: int
    score: float


class VectorIndex:
    def __init__(self, dimension: int, threshold: int = DEFAULT_THRESHOLD, *, m: int = HNSW_M,
                 ef_construction: int = HNSW_EF_CONSTRUCTION, ef_search: int = HNSW_EF_SEARCH,
                 threads: int = 0):
        self.dimension = dimension
        self.threshold = threshold
        self.m, self.ef_construction, self.ef_search = m, ef_construction, ef_search
        self.threads = threads or -1
        self._lock = threading.RLock()
        self._vectors = np.zeros((0, dimension), dtype=np.float32)
        self._alive = np.zeros(0, dtype=bool)
        self._row_doc = np.zeros(0, dtype=np.int32)  # document slot of each row
        self._row_chunk = np.zeros(0, dtype=np.int32)
        self._version = np.zeros(0, dtype=np.uint32)  # bumped each time a row is (re)used
        self._rows_used = 0  # rows [0, _rows_used) have been handed out
        self._free: list[int] = []  # dead rows, reused first
        self._slot_ids: list[str | None] = []
        self._free_slots: list[int] = []
        self._docs: dict[str, tuple[int, np.ndarray]] = {}  # document id -> (slot, rows by chunk index)
        self._live = 0
        self._hnsw = None
        self._building = False

    # ---------------------------------------------------------------- state

    @property
    def size(self) -> int:
        """Live chunk vectors."""
        return self._live

    @property
    def approximate(self) -> bool:
        """Whether the HNSW graph is built (stores above the threshold)."""
        return self._hnsw is not None

    def documents(self) -> list[str]:
        with self._lock:
            return list(self._docs)

    def chunk_count(self, document_id: str) -> int:
        entry = self._docs.get(document_id)
        return 0 if entry is None else len(entry[1])

    # ---------------------------------------------------------------- changes

    def add(self, document_id: str, vectors: np.ndarray) -> None:
        """Set a document's chunk vectors (row i = chunk i), replacing any it had. When this
        takes the store past the threshold, the graph is built here, without holding the
        index: searches go on (exact) meanwhile, and the graph catches up before use."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dimension)
        with self._lock:
            self._remove(document_id)
            if len(vectors):
                slot = self._free_slots.pop() if self._free_slots else len(self._slot_ids)
                if slot == len(self._slot_ids):
                    self._slot_ids.append(document_id)
                else:
                    self._slot_ids[slot] = document_id
                rows = self._take_rows(len(vectors))
                self._vectors[rows] = vectors
                self._alive[rows] = True
                self._version[rows] += 1
                self._row_doc[rows] = slot
                self._row_chunk[rows] = np.arange(len(vectors), dtype=np.int32)
                self._docs[document_id] = (slot, rows)
                self._live += len(rows)
                if self._hnsw is not None:
                    self._hnsw_add(rows)
            snapshot = self._claim_graph_build()
        if snapshot is not None:
            self._build_graph_from(snapshot)

    def add_many(self, items: Iterable[tuple[str, np.ndarray]], *, graph_in_background: bool = False) -> None:
        """Load many documents at once; the graph, if needed, is built once at the end, here
        or (graph_in_background) in a thread of its own while searches go on exactly."""
        with self._lock:
            threshold, self.threshold = self.threshold, 1 << 62
            try:
                for document_id, vectors in items:
                    self.add(document_id, vectors)
            finally:
                self.threshold = threshold
            snapshot = self._claim_graph_build()
        if snapshot is None:
            return
        if graph_in_background:
            threading.Thread(target=self._build_graph_from, args=(snapshot,), name="hnsw-build", daemon=True).start()
        else:
            self._build_graph_from(snapshot)

    def _claim_graph_build(self):
        """(Under the lock.) A snapshot to build the graph from, when the store has grown
        past the threshold and no build is running; the caller then builds it."""
        if self._hnsw is not None or self._building or self._live <= self.threshold:
            return None
        self._building = True
        return self._snapshot()

    def _build_graph_from(self, snapshot) -> None:
        try:
            self._build_hnsw(snapshot)
        finally:
            self._building = False

    def remove(self, document_id: str) -> int:
        """Drop a document's vectors; answers how many there were."""
        with self._lock:
            return self._remove(document_id)

    def _remove(self, document_id: str) -> int:
        entry = self._docs.pop(document_id, None)
        if entry is None:
            return 0
        slot, rows = entry
        self._alive[rows] = False
        self._free.extend(int(r) for r in rows)
        self._slot_ids[slot] = None
        self._free_slots.append(slot)
        self._live -= len(rows)
        if self._hnsw is not None:
            if self._live < self.threshold // 2:
                self._hnsw = None  # small again: exact search is as fast, and exact
            else:
                for row in rows:
                    self._hnsw.mark_deleted(int(row))
        return len(rows)

    def _take_rows(self, count: int) -> np.ndarray:
        reused = [self._free.pop() for _ in range(min(count, len(self._free)))]
        fresh = count - len(reused)
        if self._rows_used + fresh > len(self._alive):
            self._grow(self._rows_used + fresh)
        rows = np.array(reused + list(range(self._rows_used, self._rows_used + fresh)), dtype=np.int64)
        self._rows_used += fresh
        return rows

    def _grow(self, needed: int) -> None:
        capacity = max(needed, 2 * len(self._alive), 1024)
        grown = np.zeros((capacity, self.dimension), dtype=np.float32)
        grown[:len(self._vectors)] = self._vectors
        self._vectors = grown
        self._alive = np.concatenate([self._alive, np.zeros(capacity - len(self._alive), dtype=bool)])
        self._row_doc = np.concatenate([self._row_doc, np.zeros(capacity - len(self._row_doc), dtype=np.int32)])
        self._row_chunk = np.concatenate([self._row_chunk,
                                          np.zeros(capacity - len(self._row_chunk), dtype=np.int32)])
        self._version = np.concatenate([self._version, np.zeros(capacity - len(self._version), dtype=np.uint32)])
        if self._hnsw is not None:
            self._hnsw.resize_index(capacity)

    def _snapshot(self):
        rows = np.flatnonzero(self._alive[:self._rows_used])
        return rows, self._vectors[rows].copy(), self._version[rows].copy()

    def _build_hnsw(self, snapshot) -> None:
        """Build the graph from a snapshot of the live rows (without the index lock unless
        the caller holds it), then, under the lock, apply what changed since and use it."""
        import hnswlib

        rows, vectors, versions = snapshot
        graph = hnswlib.Index(space="ip", dim=self.dimension)
        graph.init_index(max_elements=max(len(self._alive), 1024), ef_construction=self.ef_construction,
                         M=self.m, random_seed=100)
        graph.set_num_threads(self.threads)
        if len(rows):
            graph.add_items(vectors, rows, num_threads=self.threads)
        with self._lock:
            if graph.get_max_elements() < len(self._alive):
                graph.resize_index(len(self._alive))
            alive = self._alive[rows] & (self._version[rows] == versions)
            for row in rows[~alive]:
                graph.mark_deleted(int(row))  # removed (or removed and reused) since the snapshot
            current = np.flatnonzero(self._alive[:self._rows_used])
            known = np.zeros(len(self._alive), dtype=bool)
            known[rows[alive]] = True
            added = current[~known[current]]
            if len(added):
                graph.add_items(self._vectors[added], added, num_threads=self.threads)
            graph.set_ef(self.ef_search)
            if self._live > self.threshold // 2:
                self._hnsw = graph

    def _hnsw_add(self, rows: np.ndarray) -> None:
        # A reused row is a label the graph already holds (marked deleted): hnswlib's
        # add_items updates that point in place and unmarks it.
        self._hnsw.add_items(self._vectors[rows], rows, num_threads=self.threads)

    # ---------------------------------------------------------------- search

    def search(self, query: np.ndarray, k: int, documents: Iterable[str] | None = None,
               exact: bool = False) -> list[Hit]:
        """The k rows nearest to query (a unit vector), best first; `documents` limits the
        search to those documents' chunks; `exact` forces exact search."""
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(self.dimension)
        with self._lock:
            if self._live == 0 or k < 1:
                return []
            n = self._rows_used
            if documents is None:
                mask = None
                candidates = self._live
            else:
                slots = [self._docs[d][0] for d in documents if d in self._docs]
                if not slots:
                    return []
                mask = self._alive[:n] & np.isin(self._row_doc[:n], np.asarray(slots, dtype=np.int32))
                candidates = int(mask.sum())
            rows = None
            if not exact and self._hnsw is not None and candidates > self.threshold:
                try:
                    rows, scores = self._approximate(query, min(k, candidates), mask)
                except RuntimeError:  # the graph found fewer than k rows that pass the filter
                    rows = None
            if rows is None:
                rows, scores = self._exact(query, k, mask)
            return [Hit(self._slot_ids[self._row_doc[r]], int(self._row_chunk[r]), float(s))
                    for r, s in zip(rows, scores, strict=True)]

    def _exact(self, query: np.ndarray, k: int, mask: np.ndarray | None):
        n = self._rows_used
        rows = np.flatnonzero(self._alive[:n] if mask is None else mask)
        if not len(rows):
            return [], []
        if 4 * len(rows) >= n:  # most rows: one product over all, then pick (no matrix copy)
            scores = self._vectors[:n] @ query
            if len(rows) < n:
                scores = scores[rows]
        else:
            scores = self._vectors[rows] @ query
        k = min(k, len(rows))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(rows) else np.arange(len(rows))
        top = top[np.argsort(-scores[top], kind="stable")]
        return rows[top].tolist(), scores[top].tolist()

    def _approximate(self, query: np.ndarray, k: int, mask: np.ndarray | None):
        self._hnsw.set_ef(max(self.ef_search, k))
        if mask is None:
            labels, distances = self._hnsw.knn_query(query, k=k, num_threads=1)
        else:
            labels, distances = self._hnsw.knn_query(query, k=k, num_threads=1,
                                                     filter=lambda label: bool(mask[label]))
        labels, distances = labels[0], distances[0]
        # Score with the stored vectors: the same numbers exact search gives.
        scores = self._vectors[labels] @ query
        order = np.argsort(-scores, kind="stable")
        return labels[order].tolist(), scores[order].tolist()
