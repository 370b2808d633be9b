"""Cost of transport security and API keys, in one run:

    .venv/bin/python bench/mesh.py [--calls 2000]

For each set-up (plaintext; API key; TLS; mTLS + API key) one embedded server (no models)
answers the same sequential calls: gRPC GetDataset and REST GET /v1beta/datasets/{id}.
All four servers run at once and the set-ups take turns (10 rounds), so the machine's
load falls on each alike. Prints p50 and p90 latency per set-up and protocol, and each
p50 as a ratio of plaintext's.
"""
from __future__ import annotations

import argparse
import shutil
import ssl
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The repository in place of this folder on sys.path: bench/datasets.py would hide Hugging Face's datasets.
sys.path[:1] = [str(ROOT), str(ROOT / "clients" / "python")]

import grpc  # noqa: E402
import httpx  # noqa: E402

from llamastack.datasets.v1beta import datasets_pb2, datasets_pb2_grpc  # noqa: E402
from server.config import ServerConfig  # noqa: E402
from server.embedded import EmbeddedServer  # noqa: E402
from server.security.api_keys import hash_key  # noqa: E402
from tests._certs import Authority  # noqa: E402

KEY = "lsg_bench-key"
ROUNDS = 10


def setups(pki: dict) -> dict[str, dict]:
    tls = {"cert_file": pki["server"].cert, "key_file": pki["server"].key}
    keys = [{"name": "bench", "sha256": hash_key(KEY)}]
    return {"plaintext": {}, "api key": {"api_keys": keys}, "tls": {"tls": tls},
            "mtls + api key": {"tls": {**tls, "client_ca_file": pki["client_ca"].pem.cert}, "api_keys": keys}}


class Setup:
    """One embedded server and its gRPC and REST clients."""

    def __init__(self, name: str, security: dict, pki: dict, folder: Path):
        data_dir = folder / name.replace(" ", "-").replace("+", "")
        (data_dir / "files").mkdir(parents=True)
        self.server = EmbeddedServer(ServerConfig(host="127.0.0.1", grpc_port=0, http_port=0, data_dir=data_dir,
                                                  default_models=False, grace_period=2, security=security))
        self.metadata = (("authorization", f"Bearer {KEY}"),) if "api_keys" in security else ()
        self.headers = {"Authorization": f"Bearer {KEY}"} if self.metadata else {}
        tls = security.get("tls")
        client = pki["client"] if tls and "client_ca_file" in tls else None
        if tls:
            chain, key = client.read() if client else (None, None)
            self.channel = grpc.secure_channel(self.server.grpc_target, grpc.ssl_channel_credentials(
                pki["server_ca"].pem.cert.read_bytes(), private_key=key, certificate_chain=chain))
            context = ssl.create_default_context(cafile=str(pki["server_ca"].pem.cert))
            if client:
                context.load_cert_chain(str(client.cert), str(client.key))
            self.http = httpx.Client(base_url=f"https://127.0.0.1:{self.server.app.http_port}", verify=context)
        else:
            self.channel = grpc.insecure_channel(self.server.grpc_target)
            self.http = httpx.Client(base_url=self.server.base_url)
        self.stub = datasets_pb2_grpc.DatasetsServiceStub(self.channel)
        request = datasets_pb2.RegisterDatasetRequest(purpose=datasets_pb2.DATASET_PURPOSE_EVAL_QUESTION_ANSWER,
                                                      dataset_id="bench")
        request.source.rows.rows.add().update({"q": "2+2?", "a": "4"})
        self.stub.RegisterDataset(request, metadata=self.metadata, timeout=30)
        self.latencies: dict[str, list[float]] = {"grpc": [], "rest": []}
        for _ in range(50):  # warm-up: connections, handshakes
            self.call_grpc()
            self.call_rest()

    def call_grpc(self):
        self.stub.GetDataset(datasets_pb2.GetDatasetRequest(dataset_id="bench"), metadata=self.metadata, timeout=30)

    def call_rest(self):
        self.http.get("/v1beta/datasets/bench", headers=self.headers).raise_for_status()

    def run(self, calls: int) -> None:
        for protocol, call in (("grpc", self.call_grpc), ("rest", self.call_rest)):
            for _ in range(calls):
                t = time.perf_counter()
                call()
                self.latencies[protocol].append(time.perf_counter() - t)

    def close(self):
        self.http.close()
        self.channel.close()
        self.server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-mesh-"))
    try:
        server_ca, client_ca = Authority(folder, "server-ca"), Authority(folder, "client-ca")
        pki = {"server_ca": server_ca, "client_ca": client_ca, "server": server_ca.issue("server", server=True),
               "client": client_ca.issue("client", server=False)}
        running = {name: Setup(name, security, pki, folder) for name, security in setups(pki).items()}
        try:
            for _ in range(ROUNDS):  # interleaved, so that the machine's load falls on every set-up alike
                for setup in running.values():
                    setup.run(args.calls // ROUNDS)
        finally:
            for setup in running.values():
                setup.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{args.calls} sequential calls per protocol and set-up, interleaved in {ROUNDS} rounds; "
          "ratio = p50 / plaintext p50 (same run)")
    print(f"{'set-up':16} {'gRPC p50 ms':>11} {'p90':>6} {'ratio':>6} {'REST p50 ms':>11} {'p90':>6} {'ratio':>6}")
    base = {p: statistics.median(running["plaintext"].latencies[p]) for p in ("grpc", "rest")}
    for name, setup in running.items():
        row = []
        for protocol in ("grpc", "rest"):
            values = sorted(setup.latencies[protocol])
            p50, p90 = statistics.median(values), values[int(len(values) * 0.9)]
            row.append(f"{p50 * 1000:11.2f} {p90 * 1000:6.2f} {p50 / base[protocol]:6.2f}")
        print(f"{name:16} {' '.join(row)}")


if __name__ == "__main__":
    main()
