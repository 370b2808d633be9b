"""Incremental detokenization, as vLLM and TGI do it: each new token is decoded in a short
window of the tokens before it, never the whole answer again (which would make a long
answer quadratic).

The window runs from `prefix_offset`: the tokens from there to `read_offset` were given
out already and are decoded only as context, so that what merges across the boundary
(a leading space, a character whose bytes are split over tokens) comes out as a decode of
the whole sequence would give it. Text that ends in half of a multi-byte character (the
replacement character) is held until the rest of it arrives.
"""
from __future__ import annotations


class IncrementalDetokenizer:
    def __init__(self, tokenizer):
        self._tokenizer = tokenizer
        self._ids: list[int] = []
        self._prefix_offset = 0
        self._read_offset = 0
        self.text = ""  # everything decoded so far

    def add(self, token_id: int) -> str:
        """Add one token; the text it completes ("" while a character is still partial)."""
        self._ids.append(token_id)
        prefix = self._decode(self._prefix_offset, self._read_offset)
        window = self._decode(self._prefix_offset, len(self._ids))
        if len(window) <= len(prefix) or window.endswith("\ufffd"):
            return ""
        new = window[len(prefix):]
        self._prefix_offset, self._read_offset = self._read_offset, len(self._ids)
        self.text += new
        return new

    def _decode(self, start: int, end: int) -> str:
        if start == end:
            return ""
        return self._tokenizer.decode(self._ids[start:end], skip_special_tokens=True)


def find_stop(text: str, stops: list[str], new_from: int) -> int | None:
    """Where the first stop string starts in text, given that text before `new_from` was
    searched already (so only a match ending after it is new), or None."""
    cuts = [cut for cut in (text.find(stop, max(0, new_from - len(stop) + 1)) for stop in stops) if cut >= 0]
    return min(cuts) if cuts else None
