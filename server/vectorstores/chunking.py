"""Token-aware chunking: windows of `size` tokens of the embedding model's own tokenizer,
consecutive windows sharing `overlap` tokens. A window that is not the document's last
ends, when it can, at a paragraph, line or sentence break found in its last quarter, so
chunks rarely cut a sentence. Chunk text is the document's own text between the first
and last token's character offsets (nothing is re-spelled by the tokenizer).
"""
from __future__ import annotations

import threading
from typing import Any

_SENTENCE_END = (".", "!", "?", ";", ":")


class Chunker:
    """Chunks text with a private copy of a Hugging Face tokenizer's Rust backend: the
    embedding engine's worker thread uses the original (with truncation on), and a fast
    tokenizer must not be reconfigured by two threads at once."""

    def __init__(self, hf_tokenizer: Any):
        from tokenizers import Tokenizer

        backend = getattr(hf_tokenizer, "backend_tokenizer", None)
        if backend is None:  # pragma: no cover - every sentence-transformers model here is fast
            raise ValueError("the embedding model has no fast tokenizer")
        self._tokenizer = Tokenizer.from_str(backend.to_str())
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        self._lock = threading.Lock()

    def count(self, text: str) -> int:
        with self._lock:
            return len(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def chunks(self, text: str, size: int, overlap: int) -> list[str]:
        """The chunks of text, in order (blocking; run it in a worker thread)."""
        if size < 1 or not 0 <= overlap < size:
            raise ValueError(f"bad chunking settings: size {size}, overlap {overlap}")
        with self._lock:
            offsets = self._tokenizer.encode(text, add_special_tokens=False).offsets
        n = len(offsets)
        out: list[str] = []
        start = 0
        while start < n:
            end = min(start + size, n)
            if end < n:
                end = _soft_end(text, offsets, start, end, size)
            piece = text[offsets[start][0]:offsets[end - 1][1]].strip()
            if piece:
                out.append(piece)
            if end >= n:
                break
            start = max(end - overlap, start + 1)
        return out


def _soft_end(text: str, offsets, start: int, end: int, size: int) -> int:
    """The best window end in (start + 3/4 size, end]: after a paragraph break, else a line
    break, else a sentence end; `end` itself when there is none."""
    lowest = start + max(1, (size * 3) // 4)
    best = {}
    for j in range(end - 1, lowest - 1, -1):
        # Break before token j: the gap between token j-1 and token j.
        gap = text[offsets[j - 1][1]:offsets[j][0]]
        if not gap:
            continue
        if "\n\n" in gap:
            return j
        if "\n" in gap:
            best.setdefault("line", j)
        elif text[offsets[j - 1][1] - 1:offsets[j - 1][1]] in _SENTENCE_END:
            best.setdefault("sentence", j)
    return best.get("line") or best.get("sentence") or end
