"""Datasets throughput with one and two replicas on PostgreSQL, against LMDB on one, in one run:

    .venv/bin/python bench/scale.py [--seconds 6] [--threads 8]

Set-ups, each `serve` processes with no models: LMDB x1; PostgreSQL x1; PostgreSQL x2 (two
replicas on one database, the client threads alternating between them). Mixes: write-heavy
(80% AppendRows of 5 rows to one shared dataset, 20% IterRows of 20 rows) and read-heavy
(10% / 90%). The set-ups take turns in 3 rounds per mix so the machine's load falls on each
alike. Prints calls/s per set-up and mix and each as a ratio of LMDB x1's. PostgreSQL here is
the suite's throwaway server (fsync off) on the same machine as the replicas and the client.
"""
from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The repository in place of this folder on sys.path: bench/datasets.py would hide Hugging Face's datasets.
sys.path[:1] = [str(ROOT), str(ROOT / "clients" / "python"), str(ROOT / "tests")]

import yaml  # noqa: E402
from google.protobuf import struct_pb2  # noqa: E402

from _postgres import PostgresServer  # noqa: E402
from _serve import Cli  # noqa: E402
from llamastack.datasetio.v1beta import datasetio_pb2  # noqa: E402
from llamastack.datasets.v1beta import datasets_pb2  # noqa: E402

ROUNDS = 3
MIXES = {"write-heavy": 0.8, "read-heavy": 0.1}  # share of appends


def row(n: int) -> struct_pb2.Struct:
    value = struct_pb2.Struct()
    value.update({"n": n, "text": f"row {n} of the benchmark"})
    return value


class Setup:
    def __init__(self, name: str, folder: Path, replicas: int, settings: dict):
        self.name = name
        config = folder / f"{name}.yaml"
        config.write_text(yaml.safe_dump(settings))
        files = folder / "files"
        files.mkdir(exist_ok=True)
        self.servers = Cli.start_together([folder / f"{name}-{i}" for i in range(replicas)], [files],
                                          extra_args=("--config", str(config)))
        request = datasets_pb2.RegisterDatasetRequest(dataset_id="bench",
                                                      purpose=datasets_pb2.DATASET_PURPOSE_EVAL_QUESTION_ANSWER)
        request.source.rows.rows.extend(row(i) for i in range(100))
        self.servers[0].datasets.RegisterDataset(request, timeout=30)
        self.calls = {mix: 0 for mix in MIXES}
        self.seconds = {mix: 0.0 for mix in MIXES}

    def run(self, mix: str, seconds: float, threads: int) -> None:
        share = MIXES[mix]
        deadline = time.monotonic() + seconds
        counts = [0] * threads

        def client(index: int) -> None:
            rng = random.Random(index)
            while time.monotonic() < deadline:
                server = self.servers[counts[index] % len(self.servers)]
                if rng.random() < share:
                    server.io.AppendRows(datasetio_pb2.AppendRowsRequest(
                        dataset_id="bench", rows=[row(i) for i in range(5)]), timeout=60)
                else:
                    server.io.IterRows(datasetio_pb2.IterRowsRequest(
                        dataset_id="bench", start_index=rng.randrange(100), limit=20), timeout=60)
                counts[index] += 1

        started = time.monotonic()
        workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        self.seconds[mix] += time.monotonic() - started
        self.calls[mix] += sum(counts)

    def close(self) -> None:
        for server in self.servers:
            server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=6.0, help="per set-up and mix, over all rounds")
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    postgres = PostgresServer()
    setups = []
    try:
        setups = [Setup("lmdb-x1", folder, 1, {}),
                  Setup("postgres-x1", folder, 1, {"storage": "postgres", "postgres_dsn": postgres.new_database()}),
                  Setup("postgres-x2", folder, 2, {"storage": "postgres", "postgres_dsn": postgres.new_database()})]
        for mix in MIXES:
            for _ in range(ROUNDS):
                for setup in setups:
                    setup.run(mix, args.seconds / ROUNDS, args.threads)
        print(f"{args.threads} client threads, {args.seconds:g} s per set-up and mix")
        for mix in MIXES:
            base = setups[0].calls[mix] / setups[0].seconds[mix]
            print(f"{mix} ({MIXES[mix]:.0%} appends):")
            for setup in setups:
                rate = setup.calls[mix] / setup.seconds[mix]
                print(f"  {setup.name:12} {rate:8.1f} calls/s  x{rate / base:.2f} of lmdb-x1")
    finally:
        for setup in setups:
            setup.close()
        postgres.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
