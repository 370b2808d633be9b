"""Datasets benchmark: the REST gateway against direct gRPC on the same server, closed loop
(each client sends its next request when the last one is answered), at 1 and at N clients.

    .venv/bin/python bench/datasets_api.py [--clients 1,32] [--sizes 1000,10000,100000] [--seconds 2] [--rounds 3]

(Not bench/datasets.py: a script's folder comes first on sys.path, and that name would
hide the `datasets` package from every bench beside it.)

Scenarios: GET dataset, register (a small dataset of rows), iterrows (a page of 10 rows
from the middle of datasets of each size) and append (one row). Within a scenario the
two arms run interleaved (gRPC, gateway, gRPC, gateway... for --rounds rounds;
bench/_rounds.py). Prints req/s medians with their spread [lowest-highest], the gateway
to gRPC ratio, and iterrows req/s at the largest size over the smallest.
"""
from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "clients" / "python")]

import httpx  # noqa: E402
from _rounds import figure, interleaved, ratio  # noqa: E402

from llamastack.datasetio.v1beta import datasetio_pb2, datasetio_pb2_grpc  # noqa: E402
from llamastack.datasets.v1beta import datasets_pb2, datasets_pb2_grpc  # noqa: E402
from llamastack_grpc.jsonmap import from_json  # noqa: E402
from server.config import ServerConfig  # noqa: E402
from server.embedded import EmbeddedServer  # noqa: E402

PURPOSE = "eval/question-answer"
PAGE = 10
CHUNK = 5000  # rows per call while building the big datasets (under the message size limits)


def rows(start: int, count: int) -> list[dict]:
    return [{"question": f"Question {i}?", "answer": f"answer {i}", "n": i} for i in range(start, start + count)]


def register_body(rows_: list[dict], dataset_id: str | None = None) -> dict:
    body = {"purpose": PURPOSE, "source": {"type": "rows", "rows": rows_}}
    return {**body, "dataset_id": dataset_id} if dataset_id else body


def build(server: EmbeddedServer, dataset_id: str, size: int) -> None:
    datasets = datasets_pb2_grpc.DatasetsServiceStub(server.channel)
    datasetio = datasetio_pb2_grpc.DatasetIOServiceStub(server.channel)
    datasets.RegisterDataset(from_json(register_body(rows(0, min(size, CHUNK)), dataset_id),
                                       datasets_pb2.RegisterDatasetRequest), timeout=600)
    for start in range(CHUNK, size, CHUNK):
        datasetio.AppendRows(from_json({"dataset_id": dataset_id, "rows": rows(start, min(CHUNK, size - start))},
                                       datasetio_pb2.AppendRowsRequest), timeout=600)


class Calls:
    """Each scenario as a call over gRPC and over the gateway: both check the answer is a success."""

    def __init__(self, server: EmbeddedServer, clients: int):
        self.datasets = datasets_pb2_grpc.DatasetsServiceStub(server.channel)
        self.datasetio = datasetio_pb2_grpc.DatasetIOServiceStub(server.channel)
        self.http = httpx.Client(base_url=server.base_url, timeout=120,
                                 limits=httpx.Limits(max_connections=clients, max_keepalive_connections=clients))
        self.one_row = rows(0, 1)

    def grpc(self, scenario: str, dataset_id: str, size: int):
        if scenario == "get":
            return lambda: self.datasets.GetDataset(datasets_pb2.GetDatasetRequest(dataset_id=dataset_id), timeout=60)
        if scenario == "register":
            request = from_json(register_body(self.one_row), datasets_pb2.RegisterDatasetRequest)
            return lambda: self.datasets.RegisterDataset(request, timeout=60)
        if scenario == "iterrows":
            request = datasetio_pb2.IterRowsRequest(dataset_id=dataset_id, start_index=size // 2, limit=PAGE)
            return lambda: self.datasetio.IterRows(request, timeout=60)
        request = from_json({"dataset_id": dataset_id, "rows": self.one_row}, datasetio_pb2.AppendRowsRequest)
        return lambda: self.datasetio.AppendRows(request, timeout=60)

    def gateway(self, scenario: str, dataset_id: str, size: int):
        def ok(response: httpx.Response):
            response.raise_for_status()

        if scenario == "get":
            return lambda: ok(self.http.get(f"/v1beta/datasets/{dataset_id}"))
        if scenario == "register":
            body = register_body(self.one_row)
            return lambda: ok(self.http.post("/v1beta/datasets", json=body))
        if scenario == "iterrows":
            params = {"start_index": size // 2, "limit": PAGE}
            return lambda: ok(self.http.get(f"/v1beta/datasetio/iterrows/{dataset_id}", params=params))
        body = {"rows": self.one_row}
        return lambda: ok(self.http.post(f"/v1beta/datasetio/append-rows/{dataset_id}", json=body))


def closed_loop(call, clients: int, seconds: float) -> float:
    """Requests per second from `clients` threads calling back to back for `seconds`."""
    deadline = time.perf_counter() + seconds
    counts = itertools.count()
    lock = threading.Lock()

    def client():
        while time.perf_counter() < deadline:
            call()
            with lock:
                next(counts)

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(client) for _ in range(clients)]:
            future.result()
    return next(counts) / (time.perf_counter() - start)


def compare(grpc_call, gateway_call, clients: int, seconds: float, rounds: int) -> tuple[list[float], list[float]]:
    grpc_call(), gateway_call()  # warm-up
    result = interleaved({"grpc": lambda: {"req/s": closed_loop(grpc_call, clients, seconds)},
                          "gateway": lambda: {"req/s": closed_loop(gateway_call, clients, seconds)}}, rounds)
    return result["grpc"]["req/s"], result["gateway"]["req/s"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", default="1,32", help="comma-separated client counts")
    parser.add_argument("--sizes", default="1000,10000,100000", help="iterrows dataset sizes (rows)")
    parser.add_argument("--seconds", type=float, default=2.0, help="length of one measurement")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    client_counts = [int(c) for c in args.clients.split(",")]
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"closed loop, {args.seconds:g} s per measurement, {args.rounds} interleaved rounds (gRPC, gateway)")

    with tempfile.TemporaryDirectory() as data_dir:
        # No access log: the gRPC arm writes none either.
        server = EmbeddedServer(ServerConfig(grpc_port=0, http_port=0, data_dir=Path(data_dir), default_models=False,
                                             models=[], access_log=False))
        try:
            for size in sizes:
                build(server, f"rows-{size}", size)
            scenarios = [("get", f"rows-{sizes[0]}", sizes[0]), ("register", "", 0)]
            scenarios += [("iterrows", f"rows-{size}", size) for size in sizes]
            scenarios += [("append", "appended", 0)]
            build(server, "appended", 1)
            iterrows = {}
            for clients in client_counts:
                calls = Calls(server, clients)
                for scenario, dataset_id, size in scenarios:
                    grpc_rate, gateway_rate = compare(calls.grpc(scenario, dataset_id, size),
                                                      calls.gateway(scenario, dataset_id, size),
                                                      clients, args.seconds, args.rounds)
                    label = f"{scenario} {size} rows" if scenario == "iterrows" else scenario
                    print(f"{clients:3d} clients  {label:<20} gRPC {figure(grpc_rate):>26} req/s  gateway "
                          f"{figure(gateway_rate):>26} req/s  gateway/gRPC {ratio(gateway_rate, grpc_rate)}")
                    if scenario == "iterrows":
                        iterrows[(clients, size)] = (grpc_rate, gateway_rate)
                calls.http.close()
            for clients in client_counts:
                small_grpc, small_gw = iterrows[(clients, sizes[0])]
                big_grpc, big_gw = iterrows[(clients, sizes[-1])]
                print(f"{clients:3d} clients  iterrows {sizes[-1]} rows / {sizes[0]} rows: gRPC "
                      f"{ratio(big_grpc, small_grpc)}, gateway {ratio(big_gw, small_gw)}")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
