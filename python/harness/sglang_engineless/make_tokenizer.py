"""Writes a small Qwen-style tokenizer folder usable as --model-path for the harness.

    python3 -m sglang_engineless.make_tokenizer OUT_DIR [--reasoning]

A byte-level BPE trained at build time on a fixed English corpus (so plain words are whole
tokens while characters outside the corpus, e.g. "é", "你", "🙂", are split into one token
per UTF-8 byte), the special tokens <|endoftext|>, <|im_start|>, <|im_end|>, and the added
tokens the qwen25 tool parser (<tool_call>, </tool_call>) and the qwen3 reasoning parser
(<think>, </think>) look for. The chat template follows Qwen2.5's (tools in the system
turn); with --reasoning it also honours enable_thinking=False like Qwen3's. Nothing is
downloaded.
"""

import argparse
import json
import os
import sys

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
# Not "special" in Qwen's tokenizers either: they survive skip_special_tokens, which is what
# lets the parsers see them in the detokenized text.
PARSER_TOKENS = ["<tool_call>", "</tool_call>", "<think>", "</think>"]
EOS_TOKEN = "<|im_end|>"

CORPUS = [
    "You are a helpful assistant. The answer is forty two. Hello there, how are you today?",
    "Let me check that for you. Let me think about the question step by step.",
    "The weather in Paris is sunny and warm. The capital of France is Paris.",
    "Here is a short answer with some detail: the quick brown fox jumps over the lazy dog.",
    "system user assistant tool tools function functions name arguments parameters type",
    "object properties required string integer number boolean description city unit",
    "# Tools You may call one or more functions to assist with the user query.",
    "You are provided with function signatures within XML tags:",
    "For each function call, return a json object with function name and arguments within",
    '{"name": "get_weather", "arguments": {"city": "Paris"}} {"type": "object"}',
    "tool_response stop STOP END done finished final result value values count",
    "1 2 3 4 5 6 7 8 9 10 0 . , : ; ! ? ( ) [ ] { } < > / \\ \" ' - _ = + * & ^ % $ # @",
]

CHAT_TEMPLATE = (
    "{% if tools %}"
    "<|im_start|>system\n"
    "{% if messages[0].role == 'system' %}{{ messages[0].content }}"
    "{% else %}You are a helpful assistant.{% endif %}\n\n"
    "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
    "You are provided with function signatures within <tools></tools> XML tags:\n<tools>"
    "{% for tool in tools %}\n{{ tool | tojson }}{% endfor %}\n</tools>\n\n"
    "For each function call, return a json object with function name and arguments within "
    "<tool_call></tool_call> XML tags:\n<tool_call>\n"
    '{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call><|im_end|>\n'
    "{% elif messages[0].role == 'system' %}"
    "<|im_start|>system\n{{ messages[0].content }}<|im_end|>\n"
    "{% endif %}"
    "{% for message in messages %}"
    "{% if message.role == 'system' %}"
    "{% if not loop.first %}<|im_start|>system\n{{ message.content }}<|im_end|>\n{% endif %}"
    "{% elif message.role == 'tool' %}"
    "<|im_start|>user\n<tool_response>\n{{ message.content }}\n</tool_response><|im_end|>\n"
    "{% elif message.role == 'assistant' %}"
    "<|im_start|>assistant\n{{ message.content or '' }}"
    "{% for tc in message.tool_calls or [] %}"
    '\n<tool_call>\n{"name": "{{ tc.function.name }}", "arguments": '
    "{{ tc.function.arguments | tojson }}}\n</tool_call>"
    "{% endfor %}<|im_end|>\n"
    "{% else %}"
    "<|im_start|>{{ message.role }}\n{{ message.content }}<|im_end|>\n"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n"
    "__THINKING_OFF__"
    "{% endif %}"
)
THINKING_OFF = "{% if enable_thinking is defined and enable_thinking is false %}<think>\n\n</think>\n\n{% endif %}"


def build_tokenizer(reasoning: bool):
    """The transformers tokenizer (PreTrainedTokenizerFast) described in the module doc."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=700,
        min_frequency=1,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        special_tokens=SPECIAL_TOKENS,
        show_progress=False,
    )
    core.train_from_iterator(CORPUS, trainer)
    core.add_tokens([AddedToken(t, special=False, normalized=False) for t in PARSER_TOKENS])

    template = CHAT_TEMPLATE.replace("__THINKING_OFF__", THINKING_OFF if reasoning else "")
    tok = PreTrainedTokenizerFast(
        tokenizer_object=core,
        eos_token=EOS_TOKEN,
        pad_token="<|endoftext|>",
        clean_up_tokenization_spaces=False,
    )
    tok.chat_template = template
    return tok


def write_model_dir(out_dir: str, reasoning: bool = False) -> str:
    """Writes tokenizer.json, tokenizer_config.json and config.json into out_dir."""
    os.makedirs(out_dir, exist_ok=True)
    tok = build_tokenizer(reasoning)
    tok.save_pretrained(out_dir)
    eos_id = tok.convert_tokens_to_ids(EOS_TOKEN)
    config = {
        # Qwen2 architecture, as the parsers' target models; no weights exist: the
        # harness's scripted engine decides the output tokens.
        "architectures": ["Qwen2ForCausalLM"],
        "model_type": "qwen2",
        "vocab_size": len(tok),
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_attention_heads": 4,
        "num_key_value_heads": 4,
        "num_hidden_layers": 1,
        "max_position_embeddings": 4096,
        "bos_token_id": tok.convert_tokens_to_ids("<|endoftext|>"),
        "eos_token_id": eos_id,
        "torch_dtype": "float32",
        "sglang_engineless": {"reasoning": reasoning},
    }
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    return out_dir


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m sglang_engineless.make_tokenizer")
    parser.add_argument("out_dir", help="folder to write (created if missing)")
    parser.add_argument(
        "--reasoning", action="store_true", help="Qwen3-style enable_thinking in the template"
    )
    args = parser.parse_args(argv)
    if os.path.exists(args.out_dir) and not os.path.isdir(args.out_dir):
        print(f"make_tokenizer: {args.out_dir} exists and is not a folder", file=sys.stderr)
        return 2
    write_model_dir(args.out_dir, args.reasoning)
    print(args.out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
