"""Builds small random-weight Llama checkpoints offline: a byte-level BPE tokenizer
trained here, the Llama 3 chat template and special tokens, and LlamaForCausalLM (or
LlamaForSequenceClassification for a reward model). They load through exactly the
code path of a user's real checkpoint; their text is random.

    python -m server.inference.demo_model OUT_DIR [--size tiny|bench] [--reward]
"""
from __future__ import annotations

import argparse
import json
import pydoc
from pathlib import Path

SPECIAL_TOKENS = [
    "<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>",
    "<|eot_id|>", "<|eom_id|>", "<|python_tag|>", "<|finetune_right_pad_id|>",
]

# Llama 3 prompt format. Tool definitions go in the system turn, and a tool call is a
# JSON object {"name": ..., "parameters": {...}}, as Llama 3.1+ models emit them.
CHAT_TEMPLATE = (
    "{{- bos_token }}"
    "{%- set system = namespace(text='') %}"
    "{%- for m in messages if m['role'] == 'system' %}{%- set system.text = system.text + m['content'] %}{%- endfor %}"
    "{%- if tools %}"
    "{%- set system.text = system.text + '\\n\\nYou can call these functions. To call one, answer only with a JSON "
    "object {\"name\": function name, \"parameters\": arguments}.\\n' %}"
    "{%- for t in tools %}{%- set system.text = system.text + '\\n' + (t | tojson) %}{%- endfor %}"
    "{%- endif %}"
    "{%- if system.text %}"
    "{{- '<|start_header_id|>system<|end_header_id|>\\n\\n' + system.text | trim + '<|eot_id|>' }}"
    "{%- endif %}"
    "{%- for m in messages if m['role'] != 'system' %}"
    "{%- if m['role'] == 'tool' %}"
    "{{- '<|start_header_id|>ipython<|end_header_id|>\\n\\n' + m['content'] | string + '<|eot_id|>' }}"
    "{%- elif m.get('tool_calls') %}"
    "{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}"
    "{%- for c in m['tool_calls'] %}"
    "{{- {'name': c['function']['name'], 'parameters': c['function']['arguments']} | tojson }}"
    "{%- endfor %}"
    "{{- '<|eot_id|>' }}"
    "{%- else %}"
    "{{- '<|start_header_id|>' + m['role'] + '<|end_header_id|>\\n\\n' + m['content'] | trim + '<|eot_id|>' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}"
)

SIZES = {
    # head_dim = hidden / heads >= 32, which vLLM's CPU backend requires.
    "tiny": dict(hidden_size=128, intermediate_size=256, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=2, vocab_size=2048),
    # About 100M parameters: the benchmark model.
    "bench": dict(hidden_size=768, intermediate_size=2560, num_hidden_layers=12, num_attention_heads=12,
                  num_key_value_heads=4, vocab_size=8192),
}


def _corpus() -> list[str]:
    """Training text available on any machine: standard-library documentation, plus JSON."""
    texts = []
    for name in ("json", "asyncio", "collections", "pathlib", "itertools", "functools", "string", "re", "csv"):
        texts.append(pydoc.render_doc(name, renderer=pydoc.plaintext))
    texts.append(json.dumps([{"name": "get_weather", "parameters": {"city": "Paris", "days": 3, "ok": True}},
                             {"question": "What is 2+2?", "answer": "4", "score": 0.5, "items": [1, 2, None]}]))
    return texts


def build_tokenizer(out: Path, vocab_size: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size - len(SPECIAL_TOKENS), special_tokens=[],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tokenizer.train_from_iterator(_corpus(), trainer=trainer)
    tokenizer.add_special_tokens(SPECIAL_TOKENS)
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<|begin_of_text|>",
                                   eos_token="<|eot_id|>", pad_token="<|finetune_right_pad_id|>")
    fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(out)
    return fast


def build(out: Path | str, size: str = "tiny", reward: bool = False, seed: int = 0) -> Path:
    """Write a checkpoint folder to `out` (skipped if one is already there) and return it."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, LlamaForSequenceClassification

    out = Path(out)
    if (out / "config.json").exists():
        return out
    out.mkdir(parents=True, exist_ok=True)
    dims = SIZES[size]
    tokenizer = build_tokenizer(out, dims["vocab_size"])
    config = LlamaConfig(
        **dims, max_position_embeddings=4096, rope_theta=500000.0, tie_word_embeddings=False,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=[tokenizer.convert_tokens_to_ids("<|eot_id|>"),
                                                           tokenizer.convert_tokens_to_ids("<|end_of_text|>")],
        pad_token_id=tokenizer.pad_token_id, torch_dtype="float32",
    )
    torch.manual_seed(seed)
    if reward:
        config.num_labels = 1
        model = LlamaForSequenceClassification(config)
    else:
        model = LlamaForCausalLM(config)
    model.save_pretrained(out)
    (out / "DEMO_MODEL.txt").write_text(
        "Random weights, built offline by server.inference.demo_model: its text is random.\n")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--size", choices=sorted(SIZES), default="tiny")
    parser.add_argument("--reward", action="store_true", help="a sequence-classification (reward) model")
    args = parser.parse_args()
    print(build(args.out, args.size, args.reward))


if __name__ == "__main__":
    main()
