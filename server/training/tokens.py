"""SFT examples as token ids and labels, through the model's own chat template (runs in
the trainer subprocess).

Each message's span is found by rendering the dialog up to it: the tokens that message i
adds after the conversation before it (for an assistant message: after its header, the
generation prompt) are its own. Labels are the ids on the messages that carry the loss
(keep_loss, else the assistant's, or every message with train_on_input) and -100
elsewhere. Packing concatenates the examples and cuts them into max_seq_length blocks.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

IGNORE = -100


def _render(tokenizer, messages: Sequence[Mapping[str, str]], generation_prompt: bool = False) -> list[int]:
    text = tokenizer.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=generation_prompt)
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def tokenize(tokenizer, example: Mapping[str, Any], train_on_input: bool, max_length: int) -> dict[str, list[int]]:
    messages, keep = example["messages"], example["keep_loss"]
    ids: list[int] = []
    labels: list[int] = []
    for index, message in enumerate(messages):
        trained = keep[index] if keep is not None else train_on_input or message["role"] == "assistant"
        start = _render(tokenizer, messages[:index], generation_prompt=message["role"] == "assistant") \
            if index else []  # a template renders no empty dialog: the first message's span starts at 0
        end = _render(tokenizer, messages[:index + 1])
        header = start[len(ids):]  # the role header before the message's text: never trained
        body = end[len(start):]
        ids += header + body
        labels += [IGNORE] * len(header) + (body if trained else [IGNORE] * len(body))
    return {"input_ids": ids[:max_length], "labels": labels[:max_length]}


def tokenize_all(tokenizer, examples: Iterable[Mapping[str, Any]], train_on_input: bool, max_length: int,
                 packed: bool) -> list[dict[str, list[int]]]:
    items = [tokenize(tokenizer, e, train_on_input, max_length) for e in examples]
    return pack(items, max_length) if packed else items


def pack(items: Sequence[Mapping[str, list[int]]], max_length: int) -> list[dict[str, list[int]]]:
    ids = [token for item in items for token in item["input_ids"]]
    labels = [label for item in items for label in item["labels"]]
    return [{"input_ids": ids[i:i + max_length], "labels": labels[i:i + max_length]}
            for i in range(0, len(ids), max_length)]


def trained_tokens(items: Iterable[Mapping[str, list[int]]]) -> int:
    """The tokens the model reads (every token of every item)."""
    return sum(len(item["input_ids"]) for item in items)


class Collator:
    """Pads a batch on the right: ids with the pad id, labels with -100, an attention mask."""

    def __init__(self, pad_id: int):
        self.pad_id = pad_id

    def __call__(self, batch: Sequence[Mapping[str, list[int]]]):
        import torch

        width = max(len(item["input_ids"]) for item in batch)
        ids = [item["input_ids"] + [self.pad_id] * (width - len(item["input_ids"])) for item in batch]
        labels = [item["labels"] + [IGNORE] * (width - len(item["labels"])) for item in batch]
        mask = [[1] * len(item["input_ids"]) + [0] * (width - len(item["input_ids"])) for item in batch]
        return {"input_ids": torch.tensor(ids), "labels": torch.tensor(labels), "attention_mask": torch.tensor(mask)}
