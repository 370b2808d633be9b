"""Datasets benchmark: the REST gateway against direct gRPC on the same server, closed loop
(each client sends its next request when the last one is answered), at 1 and at N clients.

    .venv/bin/python bench/datasets.py [--clients 1,32] [--sizes 1000,10000,100000] [--seconds 2] [--rounds 3]
                                       [--only get,register,iterrows,append,sizes] [--render-cache-bytes N]

(Every bench puts the repository in place of its own folder on sys.path and imports its
helpers as `bench._...`, so this file cannot hide Hugging Face's `datasets` package.)

The server runs in its own process as production runs it (bench/_server.py: tracing and
API keys on, no access log, as the gRPC arm writes none), the clients in this one
(asyncio: grpc.aio, and bench/_http.py's lean HTTP/1.1 client, so that neither
arm measures mostly its client library). Scenarios: GET dataset (one registered from a file URI,
whose answer is its definition, and one of 1000 rows given inline, whose answer carries
every row: the gateway keeps such large answers rendered, so --render-cache-bytes 0 shows
what one read once costs), register (a small dataset of rows), iterrows (a page of 10 rows from the
middle of datasets of each size) and append (one row). Within a scenario the two arms run
interleaved (gRPC, gateway, gRPC, gateway... for --rounds rounds; bench/_rounds.py).

Prints, per arm, req/s and the server process's CPU time per request (medians with their
spread [lowest-highest]); the gateway to gRPC ratio of req/s, and of requests per server
CPU second (what the req/s ratio is where the server's core is the bottleneck, and
steadier when the clients share the machine); and iterrows at the largest size over the
smallest, those two sizes measured interleaved in the same rounds.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The repository in place of this folder on sys.path: bench/datasets.py would hide Hugging Face's datasets.
sys.path[:1] = [str(ROOT), str(ROOT / "clients" / "python")]

import grpc  # noqa: E402

from bench._http import Connection, request_bytes  # noqa: E402
from bench._rounds import figure, interleaved, ratio  # noqa: E402
from bench._server import HEADERS, METADATA, Server  # noqa: E402
from llamastack.datasetio.v1beta import datasetio_pb2, datasetio_pb2_grpc  # noqa: E402
from llamastack.datasets.v1beta import datasets_pb2, datasets_pb2_grpc  # noqa: E402
from llamastack_grpc.jsonmap import from_json  # noqa: E402

PURPOSE = "eval/question-answer"
PAGE = 10
CHUNK = 5000  # rows per call while building the big datasets (under the message size limits)


def rows(start: int, count: int) -> list[dict]:
    return [{"question": f"Question {i}?", "answer": f"answer {i}", "n": i} for i in range(start, start + count)]


def register_body(rows_: list[dict], dataset_id: str | None = None) -> dict:
    body = {"purpose": PURPOSE, "source": {"type": "rows", "rows": rows_}}
    return {**body, "dataset_id": dataset_id} if dataset_id else body


def build(channel: grpc.Channel, dataset_id: str, size: int) -> None:
    datasets = datasets_pb2_grpc.DatasetsServiceStub(channel)
    datasetio = datasetio_pb2_grpc.DatasetIOServiceStub(channel)
    datasets.RegisterDataset(from_json(register_body(rows(0, min(size, CHUNK)), dataset_id),
                                       datasets_pb2.RegisterDatasetRequest), metadata=METADATA, timeout=600)
    for start in range(CHUNK, size, CHUNK):
        datasetio.AppendRows(from_json({"dataset_id": dataset_id, "rows": rows(start, min(CHUNK, size - start))},
                                       datasetio_pb2.AppendRowsRequest), metadata=METADATA, timeout=600)


def build_from_file(channel: grpc.Channel, data_dir: Path, dataset_id: str, size: int) -> None:
    files = data_dir / "files"  # the default allowed root
    files.mkdir(exist_ok=True)
    path = files / f"{dataset_id}.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows(0, size)))
    request = from_json({"purpose": PURPOSE, "dataset_id": dataset_id, "source": {"type": "uri", "uri": path.as_uri()}},
                        datasets_pb2.RegisterDatasetRequest)
    datasets_pb2_grpc.DatasetsServiceStub(channel).RegisterDataset(request, metadata=METADATA, timeout=600)


class Calls:
    """Each scenario as an async call over gRPC and over the gateway, made once per client
    loop (each HTTP client loop has its own kept-alive connection); both check the answer
    is a success."""

    def __init__(self, channel: grpc.aio.Channel, base_url: str):
        self.datasets = datasets_pb2_grpc.DatasetsServiceStub(channel)
        self.datasetio = datasetio_pb2_grpc.DatasetIOServiceStub(channel)
        self.base_url = base_url
        self.connections: list[Connection] = []
        self.one_row = rows(0, 1)

    def grpc(self, scenario: str, dataset_id: str, size: int):
        if scenario == "get":
            request = datasets_pb2.GetDatasetRequest(dataset_id=dataset_id)
            call = lambda: self.datasets.GetDataset(request, metadata=METADATA, timeout=60)  # noqa: E731
        elif scenario == "register":
            request = from_json(register_body(self.one_row), datasets_pb2.RegisterDatasetRequest)
            call = lambda: self.datasets.RegisterDataset(request, metadata=METADATA, timeout=60)  # noqa: E731
        elif scenario == "iterrows":
            request = datasetio_pb2.IterRowsRequest(dataset_id=dataset_id, start_index=size // 2, limit=PAGE)
            call = lambda: self.datasetio.IterRows(request, metadata=METADATA, timeout=60)  # noqa: E731
        else:
            request = from_json({"dataset_id": dataset_id, "rows": self.one_row}, datasetio_pb2.AppendRowsRequest)
            call = lambda: self.datasetio.AppendRows(request, metadata=METADATA, timeout=60)  # noqa: E731
        return lambda: call

    def gateway(self, scenario: str, dataset_id: str, size: int):
        if scenario == "get":
            request = request_bytes("GET", f"/v1beta/datasets/{dataset_id}", HEADERS)
        elif scenario == "register":
            request = request_bytes("POST", "/v1beta/datasets", HEADERS, body=register_body(self.one_row))
        elif scenario == "iterrows":
            request = request_bytes("GET", f"/v1beta/datasetio/iterrows/{dataset_id}", HEADERS,
                                    params={"start_index": size // 2, "limit": PAGE})
        else:
            request = request_bytes("POST", f"/v1beta/datasetio/append-rows/{dataset_id}", HEADERS,
                                    body={"rows": self.one_row})

        def client():
            connection = Connection(self.base_url)
            self.connections.append(connection)

            async def call():
                status, body = await connection.send(request)
                if not 200 <= status < 300:
                    raise RuntimeError(f"{scenario}: HTTP {status}: {body[:200]!r}")
            return call
        return client


async def closed_loop(make_call, clients: int, seconds: float) -> int:
    """Requests answered by `clients` loops, each calling its make_call() back to back for `seconds`."""
    done = 0
    stop = time.perf_counter() + seconds

    async def client():
        nonlocal done
        call = make_call()
        while time.perf_counter() < stop:
            await call()
            done += 1

    await asyncio.gather(*(client() for _ in range(clients)))
    return done


class Arms:
    """The two arms of each scenario on one event loop, with one gRPC channel and one HTTP
    client (connections kept) for all of them."""

    def __init__(self, server: Server, clients: int):
        self.server, self.clients = server, clients
        self.loop = asyncio.new_event_loop()
        self.channel = self.loop.run_until_complete(self._connect())
        self.calls = Calls(self.channel, server.base_url)

    async def _connect(self) -> grpc.aio.Channel:
        return grpc.aio.insecure_channel(self.server.target)

    def arm(self, call, seconds: float):
        """req/s and the server's CPU microseconds per request."""
        def measure() -> dict[str, float]:
            cpu, started = self.server.cpu_seconds(), time.perf_counter()
            done = self.loop.run_until_complete(closed_loop(call, self.clients, seconds))
            elapsed = time.perf_counter() - started
            return {"req/s": done / elapsed, "cpu_us": (self.server.cpu_seconds() - cpu) / done * 1e6}
        return measure

    def compare(self, scenario: str, dataset_id: str, size: int, seconds: float, rounds: int):
        grpc_call = self.calls.grpc(scenario, dataset_id, size)
        gateway_call = self.calls.gateway(scenario, dataset_id, size)
        self.loop.run_until_complete(closed_loop(grpc_call, self.clients, 0.3))  # warm-up
        self.loop.run_until_complete(closed_loop(gateway_call, self.clients, 0.3))
        result = interleaved({"grpc": self.arm(grpc_call, seconds), "gateway": self.arm(gateway_call, seconds)},
                             rounds)
        return result["grpc"], result["gateway"]

    def compare_sizes(self, small: tuple[str, int], big: tuple[str, int], seconds: float, rounds: int):
        """iterrows on the smallest and the largest dataset, all four arms interleaved in the
        same rounds: protocol -> (small arm's figures, big arm's figures)."""
        arms = {}
        for protocol in ("grpc", "gateway"):
            for label, (dataset_id, size) in (("small", small), ("big", big)):
                call = getattr(self.calls, protocol)("iterrows", dataset_id, size)
                self.loop.run_until_complete(closed_loop(call, self.clients, 0.3))  # warm-up
                arms[f"{protocol} {label}"] = self.arm(call, seconds)
        result = interleaved(arms, rounds)
        return {protocol: (result[f"{protocol} small"], result[f"{protocol} big"]) for protocol in ("grpc", "gateway")}

    def close(self) -> None:
        for connection in self.calls.connections:
            self.loop.run_until_complete(connection.close())
        self.loop.run_until_complete(self.channel.close())
        self.loop.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", default="1,32", help="comma-separated client counts")
    parser.add_argument("--sizes", default="1000,10000,100000", help="iterrows dataset sizes (rows)")
    parser.add_argument("--seconds", type=float, default=2.0, help="length of one measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated scenarios to run (get, register, iterrows, "
                        "append, sizes); all when empty")
    parser.add_argument("--render-cache-bytes", type=int, default=None,
                        help="the server's gateway_render_cache_bytes (0: every answer rendered afresh, as for "
                        "large answers read once); its default when not given")
    args = parser.parse_args()
    only = set(args.only.split(",")) - {""}
    client_counts = [int(c) for c in args.clients.split(",")]
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"closed loop, {args.seconds:g} s per measurement, {args.rounds} interleaved rounds (gRPC, gateway); "
          "server in its own process, tracing and API keys on")

    with tempfile.TemporaryDirectory() as data_dir:
        data_dir = Path(data_dir)
        cache = {} if args.render_cache_bytes is None else {"gateway_render_cache_bytes": args.render_cache_bytes}
        server = Server(data_dir, default_models=False, models=[], access_log=False, **cache)
        try:
            with grpc.insecure_channel(server.target) as channel:
                for size in sizes:
                    build(channel, f"rows-{size}", size)
                build_from_file(channel, data_dir, "from-file", sizes[0])
                build(channel, "appended", 1)
            scenarios = [("get", "from-file", sizes[0], "GET (file URI)"),
                         ("get", f"rows-{sizes[0]}", sizes[0], f"GET ({sizes[0]} rows inline)"),
                         ("register", "", 0, "register")]
            scenarios += [("iterrows", f"rows-{size}", size, f"iterrows {size} rows") for size in sizes]
            scenarios += [("append", "appended", 0, "append")]
            scenarios = [s for s in scenarios if not only or s[0] in only]
            for clients in client_counts:
                arms = Arms(server, clients)
                for scenario, dataset_id, size, label in scenarios:
                    grpc_arm, gateway_arm = arms.compare(scenario, dataset_id, size, args.seconds, args.rounds)
                    per_cpu = ratio([1 / c for c in gateway_arm["cpu_us"]], [1 / c for c in grpc_arm["cpu_us"]])
                    print(f"{clients:3d} clients  {label:<26} gRPC {figure(grpc_arm['req/s']):>24} req/s "
                          f"{figure(grpc_arm['cpu_us'], digits=0):>18} us  gateway {figure(gateway_arm['req/s']):>24}"
                          f" req/s {figure(gateway_arm['cpu_us'], digits=0):>18} us  gateway/gRPC: req/s "
                          f"{ratio(gateway_arm['req/s'], grpc_arm['req/s'])}, per server CPU {per_cpu}")
                if not only or "sizes" in only:
                    by_size = arms.compare_sizes((f"rows-{sizes[0]}", sizes[0]), (f"rows-{sizes[-1]}", sizes[-1]),
                                                 args.seconds, args.rounds)
                    print(f"{clients:3d} clients  iterrows {sizes[-1]} rows / {sizes[0]} rows (req/s, interleaved): "
                          + ", ".join(f"{protocol} {ratio(big['req/s'], small['req/s'])}"
                                      for protocol, (small, big) in by_size.items()))
                arms.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
