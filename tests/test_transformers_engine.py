"""Unit tests of the transformers engine's parts: incremental detokenization (the text
streamed token by token is the decode of the whole answer, multi-byte characters and
stop strings included) and the batched sampler (greedy exact, per-row settings, a row
that cannot be sampled fails alone, seeded rows the same alone or in a batch)."""
from __future__ import annotations

import random

import pytest
import torch
from transformers import AutoTokenizer

from server.inference.engines.detokenize import IncrementalDetokenizer, find_stop
from server.inference.engines.sampling import apply_repetition_penalty, choose_tokens

MULTILINGUAL = "Grüße aus Köln! 東京は晴れ 🎉🚀 naïve café, Ελληνικά и русский 한국어 ✓"


@pytest.fixture(scope="module")
def tokenizer(tiny_llm):
    return AutoTokenizer.from_pretrained(tiny_llm)


def stream(tokenizer, ids: list[int]) -> list[str]:
    detokenizer = IncrementalDetokenizer(tokenizer)
    pieces = [detokenizer.add(token) for token in ids]
    assert "".join(pieces) == detokenizer.text
    return pieces


def test_multibyte_text_streamed_token_by_token_is_the_whole_decode(tokenizer):
    ids = tokenizer(MULTILINGUAL, add_special_tokens=False)["input_ids"]
    # The test means something only if some character's bytes are split over tokens.
    assert any("\ufffd" in tokenizer.decode([token]) for token in ids)
    pieces = stream(tokenizer, ids)
    assert "".join(pieces) == tokenizer.decode(ids) == MULTILINGUAL
    assert not any("\ufffd" in piece for piece in pieces), "half a character was given out"


def test_a_partial_character_is_held_until_its_last_byte(tokenizer):
    ids = tokenizer("🎉", add_special_tokens=False)["input_ids"]
    assert len(ids) > 1, "the emoji must span tokens here"
    pieces = stream(tokenizer, ids)
    assert pieces[:-1] == [""] * (len(ids) - 1) and pieces[-1] == "🎉"


def test_random_tokens_stream_to_the_whole_decode(tokenizer):
    """What a random model writes: any token after any other, special tokens among them."""
    rng = random.Random(7)
    for _ in range(20):
        ids = [rng.randrange(len(tokenizer)) for _ in range(rng.randrange(1, 60))]
        whole = tokenizer.decode(ids, skip_special_tokens=True)
        streamed = "".join(stream(tokenizer, ids))
        held = whole[len(streamed):]
        assert whole.startswith(streamed)
        assert held == "" or held.endswith("\ufffd"), "only a trailing partial character may be held"


def test_find_stop_sees_a_stop_string_spanning_the_last_two_pieces():
    text = "the train stops here"
    assert find_stop(text, ["ops h"], new_from=len("the train st")) == text.index("ops h")
    assert find_stop(text, ["train"], new_from=len(text)) is None  # searched already: not new
    assert find_stop(text, ["here", "stops"], new_from=len("the train sto")) == text.index("stops")


def test_greedy_rows_take_the_argmax_and_sampled_rows_follow_their_settings():
    torch.manual_seed(0)
    logits = torch.randn(4, 50)
    tokens, failed = choose_tokens(
        logits, temperature=torch.tensor([0.0, 1.0, 0.7, 0.0]), top_k=torch.tensor([0, 1, 3, 5]),
        top_p=torch.tensor([1.0, 1.0, 1.0, 0.5]), generators=[None] * 4)
    assert not failed.any()
    argmax = logits.argmax(-1)
    assert tokens[0] == argmax[0] and tokens[3] == argmax[3]  # greedy ignores top_k/top_p
    assert tokens[1] == argmax[1]  # top_k 1 leaves only the best
    assert int(tokens[2]) in logits[2].topk(3).indices.tolist()


def test_top_p_keeps_the_smallest_set_reaching_it():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))
    draws = {int(choose_tokens(logits, torch.tensor([1.0]), torch.tensor([0]), torch.tensor([0.7]),
                               [torch.Generator().manual_seed(seed)])[0]) for seed in range(200)}
    assert draws == {0, 1}


def test_a_row_with_nothing_to_sample_fails_alone():
    logits = torch.randn(3, 20)
    tokens, failed = choose_tokens(logits, torch.tensor([1.0, 1.0, 0.0]), torch.tensor([0, 0, 0]),
                                   torch.tensor([0.0, 1.0, 1.0]), [None] * 3)
    assert failed.tolist() == [True, False, False]
    assert tokens[2] == logits[2].argmax()


def test_a_seeded_row_draws_the_same_alone_or_in_a_batch():
    torch.manual_seed(1)
    logits = torch.randn(3, 100)

    def draw(rows):
        generators = [torch.Generator().manual_seed(42) if row == 1 else None for row in rows]
        tokens, _ = choose_tokens(logits[rows], torch.ones(len(rows)), torch.zeros(len(rows), dtype=torch.long),
                                  torch.full((len(rows),), 0.9), generators)
        return int(tokens[rows.index(1)])

    alone = [draw([1]) for _ in range(3)]
    assert len(set(alone)) == 1
    assert draw([0, 1, 2]) == alone[0] and draw([2, 1]) == alone[0]


def test_repetition_penalty_only_touches_seen_tokens_of_its_row():
    logits = torch.tensor([[2.0, -2.0, 1.0], [2.0, -2.0, 1.0]])
    seen = torch.tensor([[True, True, False], [False, False, False]])
    out = apply_repetition_penalty(logits, seen, torch.tensor([2.0, 2.0]))
    assert out.tolist() == [[1.0, -4.0, 1.0], [2.0, -2.0, 1.0]]
