"""Choosing the next token for every row of a batch at once: each row's repetition
penalty, temperature, top-k and top-p are tensors, and one op serves the batch. Greedy
rows take the argmax of their logits exactly; seeded rows draw with their own generator
(so a seeded answer is the same alone or in a batch)."""
from __future__ import annotations

import torch


def apply_repetition_penalty(logits: torch.Tensor, seen: torch.Tensor, penalty: torch.Tensor) -> torch.Tensor:
    """CTRL's penalty: the logits of tokens already seen (a bool mask per row) are divided
    by the row's penalty where positive, multiplied where negative."""
    penalty = penalty[:, None]
    penalized = torch.where(logits > 0, logits / penalty, logits * penalty)
    return torch.where(seen, penalized, logits)


def choose_tokens(logits: torch.Tensor, temperature: torch.Tensor, top_k: torch.Tensor, top_p: torch.Tensor,
                  generators: list[torch.Generator | None]) -> tuple[torch.Tensor, torch.Tensor]:
    """The token for each row, and a bool per row that is True where nothing was left to
    sample from (top_p 0, every token masked): those rows fail alone."""
    tokens = logits.argmax(-1)
    failed = torch.zeros(len(tokens), dtype=torch.bool, device=logits.device)
    sampled = (temperature > 0).nonzero()[:, 0]
    if not len(sampled):
        return tokens, failed
    scaled = logits[sampled] / temperature[sampled, None]
    vocab = scaled.shape[-1]
    k = top_k[sampled]
    k = torch.where(k > 0, k.clamp(max=vocab), vocab)  # 0: no top-k cut
    kth = scaled.sort(-1, descending=True).values.gather(1, (k - 1)[:, None])
    probs = torch.softmax(scaled.masked_fill(scaled < kth, float("-inf")), -1)
    p = top_p[sampled, None]
    sorted_probs, order = probs.sort(-1, descending=True)
    keep = (sorted_probs.cumsum(-1) - sorted_probs < p) | (p >= 1.0)
    probs = torch.zeros_like(probs).scatter(1, order, sorted_probs * keep)
    total = probs.sum(-1)
    usable = torch.isfinite(total) & (total > 0)
    failed[sampled[~usable]] = True
    rows = sampled.tolist()
    ok = usable.tolist()
    draws = torch.zeros(len(rows), dtype=torch.long, device=logits.device)
    shared = [i for i, row in enumerate(rows) if ok[i] and generators[row] is None]
    if shared:
        draws[shared] = torch.multinomial(probs[shared], 1)[:, 0]
    for i, row in enumerate(rows):
        if ok[i] and generators[row] is not None:
            draws[i] = torch.multinomial(probs[i], 1, generator=generators[row])[0]
    tokens[sampled] = draws
    return tokens, failed
