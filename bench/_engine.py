"""The engine driven alone, without the server: the baseline the inference and batch
benchmarks measure the server against."""
from __future__ import annotations

import asyncio
import time

from server.inference.engines.base import GenerationRequest


def prompt_ids(tokenizer, text: str) -> list[int]:
    """One user message through the checkpoint's chat template, as the server renders it."""
    ids = tokenizer.apply_chat_template([{"role": "user", "content": text}], add_generation_prompt=True,
                                        tokenize=True)
    return list(ids["input_ids"] if hasattr(ids, "keys") else ids)


async def engine_batch(engine, prompts: list[str], tokens: int) -> tuple[float, int]:
    """Every prompt submitted at once; returns (tokens/s, tokens generated)."""
    async def one(text: str) -> int:
        count = 0
        async for _ in engine.generate(GenerationRequest(prompt_ids=prompt_ids(engine.tokenizer, text),
                                                         max_tokens=tokens)):
            count += 1
        return count

    start = time.perf_counter()
    counts = await asyncio.gather(*[one(text) for text in prompts])
    return sum(counts) / (time.perf_counter() - start), sum(counts)
