"""Inference: model registry, engines (transformers, vLLM), chat, embeddings, rerank, reward."""
