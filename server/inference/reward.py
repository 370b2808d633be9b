"""Reward models: a sequence-classification checkpoint whose single logit is the score."""
from __future__ import annotations

import asyncio
import threading

import torch


class RewardModel:
    def __init__(self, checkpoint: str, device: str = "cpu"):
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(checkpoint)
        self.model = AutoModelForSequenceClassification.from_pretrained(checkpoint).to(device).eval()
        self.device = device
        self._lock = threading.Lock()

    async def score(self, token_ids: list[int]) -> float:
        def run():
            with self._lock, torch.inference_mode():
                logits = self.model(input_ids=torch.tensor([token_ids], device=self.device)).logits
            return float(logits[0, 0])

        return await asyncio.to_thread(run)
