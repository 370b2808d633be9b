"""Training examples from a registered dataset's rows, checked at submission.

An SFT example is {"messages": [{"role", "content"}...], "keep_loss": [bool per message] | None}
(keep_loss None: the loss is on the assistant's messages, or on every message with
train_on_input); a DPO example is {"prompt", "chosen", "rejected"} (strings). Rows come
in these formats:

- dialog: a `messages` column (the `post-training/messages` purpose; `dialog` is read too)
  holding a list of {role, content} messages, content a string or a list of text items;
- instruct: `input_query` and `expected_answer` columns (the reference server's names), or
  `input` and `output`: one user message and the assistant's answer;
- DPO: `prompt`, `chosen` and `rejected` string columns.

Every failure is an InvalidArgument on the field that named the data, saying which row
and which column.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from server.errors import InvalidArgument

ROLES = ("system", "user", "assistant", "tool", "ipython")
INSTRUCT_COLUMNS = (("input_query", "expected_answer"), ("input", "output"))
DPO_COLUMNS = ("prompt", "chosen", "rejected")


def encode(examples: Iterable[Mapping[str, Any]]) -> list[bytes]:
    """Examples as the job's input rows (one JSON object each)."""
    return [json.dumps(example).encode() for example in examples]


def dialog_examples(rows: Sequence[Mapping[str, Any]], field: str) -> list[dict]:
    examples = []
    for index, row in enumerate(_nonempty(rows, field)):
        column = "messages" if "messages" in row else "dialog" if "dialog" in row else None
        if column is None:
            raise InvalidArgument(field, f"row {index}: the dialog format needs a 'messages' column; the row has "
                                         f"{_columns(row)}")
        examples.append(sft_example(_messages(row[column], field, f"row {index}: column '{column}'"), None))
    return examples


def instruct_examples(rows: Sequence[Mapping[str, Any]], field: str) -> list[dict]:
    examples = []
    for index, row in enumerate(_nonempty(rows, field)):
        names = next((pair for pair in INSTRUCT_COLUMNS if all(name in row for name in pair)), None)
        if names is None:
            raise InvalidArgument(field, f"row {index}: the instruct format needs 'input_query' and 'expected_answer' "
                                         f"(or 'input' and 'output') columns; the row has {_columns(row)}")
        prompt, answer = (_text(row[name], field, f"row {index}: column '{name}'") for name in names)
        examples.append(sft_example([{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}],
                                    None))
    return examples


def preference_examples(rows: Sequence[Mapping[str, Any]], field: str) -> list[dict]:
    examples = []
    for index, row in enumerate(_nonempty(rows, field)):
        missing = [name for name in DPO_COLUMNS if name not in row]
        if missing:
            raise InvalidArgument(field, f"row {index}: preference optimization needs 'prompt', 'chosen' and "
                                         f"'rejected' columns; missing {', '.join(repr(m) for m in missing)} "
                                         f"(the row has {_columns(row)})")
        example = {name: _text(row[name], field, f"row {index}: column '{name}'") for name in DPO_COLUMNS}
        if not example["chosen"] or not example["rejected"]:
            raise InvalidArgument(field, f"row {index}: 'chosen' and 'rejected' must not be empty")
        examples.append(example)
    return examples


def sft_example(messages: list[dict], keep_loss: list[bool] | None) -> dict:
    return {"messages": messages, "keep_loss": keep_loss}


def check_trainable(examples: Sequence[Mapping[str, Any]], train_on_input: bool, field: str) -> None:
    """Each SFT example must put the loss on at least one message with text."""
    for index, example in enumerate(examples):
        keep = example["keep_loss"]
        trained = [m for i, m in enumerate(example["messages"])
                   if (keep[i] if keep is not None else train_on_input or m["role"] == "assistant")]
        if not any(m["content"] for m in trained):
            raise InvalidArgument(field, f"row {index}: nothing to learn: no assistant message with text "
                                         f"{'(keep_loss is false everywhere)' if keep is not None else ''}".rstrip())


def _nonempty(rows: Sequence[Mapping[str, Any]], field: str) -> Sequence[Mapping[str, Any]]:
    if not rows:
        raise InvalidArgument(field, "the dataset has no rows")
    return rows


def _columns(row: Mapping[str, Any]) -> str:
    return ", ".join(repr(k) for k in row) or "no columns"


def _messages(value: Any, field: str, where: str) -> list[dict]:
    if not isinstance(value, list) or not value:
        raise InvalidArgument(field, f"{where} must be a non-empty list of messages")
    messages = []
    for index, message in enumerate(value):
        if not isinstance(message, Mapping) or "role" not in message:
            raise InvalidArgument(field, f"{where}, message {index}: expected an object with 'role' and 'content'")
        if message["role"] not in ROLES:
            raise InvalidArgument(field, f"{where}, message {index}: unknown role {message['role']!r}; expected one "
                                         f"of {', '.join(ROLES)}")
        messages.append({"role": message["role"],
                         "content": _text(message.get("content", ""), field, f"{where}, message {index}: content")})
    return messages


def _text(value: Any, field: str, where: str) -> str:
    """A string, or the text of a list of content items ({"type": "text", "text": ...})."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        value = [value]
    if isinstance(value, list) and all(isinstance(item, Mapping) and item.get("type") == "text"
                                       and isinstance(item.get("text"), str) for item in value):
        return "".join(item["text"] for item in value)
    raise InvalidArgument(field, f"{where} must be text (a string, or text content items)")


# ---------------------------------------------------------------- the examples in a job's work dir

TRAIN_FILE, VALIDATION_FILE = "train.jsonl", "validation.jsonl"


def write_examples(path: Path, rows: Iterable[bytes]) -> None:
    """The job's stored input rows as the JSONL file the trainer reads (whole or not at all)."""
    partial = path.with_suffix(".partial")
    partial.write_bytes(b"".join(row + b"\n" for row in rows))
    partial.replace(path)


def read_examples(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
