"""Turns a ModelSpec into a loaded model object, by engine. Each engine is imported only
when a model needs it: they pull in torch, transformers, sentence-transformers or vLLM,
which a server without such a model never loads."""
from __future__ import annotations

from server.inference.specs import ModelSpec


def load(spec: ModelSpec):
    if spec.engine == "transformers" and spec.kind == "llm":
        from server.inference.engines.transformers_engine import TransformersEngine

        return TransformersEngine(spec.checkpoint, device=spec.device, max_batch=spec.max_batch)
    if spec.engine == "vllm" and spec.kind == "llm":
        from server.inference.engines.vllm_engine import VllmEngine

        return VllmEngine(spec.checkpoint, max_batch=spec.max_batch)
    if spec.engine == "remote" and spec.kind == "llm":
        from server.inference.engines.remote_engine import RemoteEngine

        return RemoteEngine(spec.checkpoint, spec.upstreams, spec.upstream_model)
    if spec.kind == "embedding":
        from server.inference.embeddings import EmbeddingModel

        return EmbeddingModel(spec.checkpoint, device=spec.device)
    if spec.kind == "rerank":
        from server.inference.embeddings import CrossEncoderModel

        return CrossEncoderModel(spec.checkpoint, device=spec.device)
    if spec.kind == "reward" and spec.engine == "transformers":
        from server.inference.reward import RewardModel

        return RewardModel(spec.checkpoint, device=spec.device)
    raise ValueError(f"model {spec.id!r}: engine {spec.engine!r} cannot serve a {spec.kind} model")
