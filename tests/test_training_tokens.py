"""How SFT examples become token ids and labels (server/training/tokens.py), with the tiny
model's own tokenizer and chat template: which messages carry the loss, and packing."""
from __future__ import annotations

import pytest
from transformers import AutoTokenizer

from server.training import data, tokens

DIALOG = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Capital of France?"},
          {"role": "assistant", "content": "Paris."}, {"role": "user", "content": "And Italy?"},
          {"role": "assistant", "content": "Rome."}]


@pytest.fixture(scope="module")
def tokenizer(tiny_llm):
    return AutoTokenizer.from_pretrained(tiny_llm)


def _trained(tokenizer, item) -> str:
    return tokenizer.decode([i for i, label in zip(item["input_ids"], item["labels"], strict=True)
                             if label != tokens.IGNORE])


def test_the_ids_are_the_rendered_dialog_and_the_loss_is_on_the_answers(tokenizer):
    item = tokens.tokenize(tokenizer, data.sft_example(DIALOG, None), train_on_input=False, max_length=1024)
    rendered = tokenizer.apply_chat_template(DIALOG, tokenize=False)
    assert item["input_ids"] == tokenizer(rendered, add_special_tokens=False)["input_ids"]
    assert _trained(tokenizer, item) == "Paris.<|eot_id|>Rome.<|eot_id|>"  # no header, no prompt


def test_train_on_input_and_keep_loss(tokenizer):
    everything = tokens.tokenize(tokenizer, data.sft_example(DIALOG, None), train_on_input=True, max_length=1024)
    untrained = tokenizer.decode([i for i, label in zip(everything["input_ids"], everything["labels"], strict=True)
                                  if label == tokens.IGNORE])
    assert untrained == "<|start_header_id|>assistant<|end_header_id|>\n\n" * 2  # only the answers' headers
    assert "Be brief." in _trained(tokenizer, everything) and "And Italy?" in _trained(tokenizer, everything)
    kept = tokens.tokenize(tokenizer, data.sft_example(DIALOG, [False, False, False, False, True]),
                           train_on_input=False, max_length=1024)
    assert _trained(tokenizer, kept) == "Rome.<|eot_id|>"


def test_packing_and_the_length_cap(tokenizer):
    examples = [data.sft_example(DIALOG[1:3], None)] * 5
    items = tokens.tokenize_all(tokenizer, examples, False, max_length=1024, packed=False)
    total = sum(len(i["input_ids"]) for i in items)
    packed = tokens.tokenize_all(tokenizer, examples, False, max_length=32, packed=True)
    assert [len(p["input_ids"]) for p in packed[:-1]] == [32] * (len(packed) - 1)
    assert sum(len(p["input_ids"]) for p in packed) == total
    capped = tokens.tokenize(tokenizer, data.sft_example(DIALOG, None), False, max_length=8)
    assert len(capped["input_ids"]) == len(capped["labels"]) == 8
