"""Writes config.json, generation_config.json and model.safetensors of a scripted Qwen2 model.

How greedy decoding follows the script:
  - embed_tokens is the identity (hidden size = vocabulary size): token t enters the
    residual stream as the one-hot vector e_t;
  - every attention o_proj and MLP down_proj is zero, so no layer adds anything: the stream
    still holds e_t after the last layer, whatever the context or position;
  - the final RMSNorm (weight 1) turns e_t into sqrt(H) * e_t (up to eps): still one-hot;
  - lm_head row n has LOGIT_SCALE in column t exactly when the plan says n follows t, so
    argmax(logits) = next(t), with a margin of about sqrt(H) * LOGIT_SCALE over every other id.
Tokens without a successor (prompt bytes, padding) point to EOS, so a stray path ends at once.
"""

from __future__ import annotations

import json
from pathlib import Path

from .plan import Plan
from .tokens import ENDOFTEXT

LOGIT_SCALE = 4.0
NUM_LAYERS = 1
NUM_HEADS = 2
INTERMEDIATE_SIZE = 64
MAX_POSITIONS = 4096


def model_config(plan: Plan) -> dict:
    endoftext_id = next(t.id for t in plan.added_tokens if t.content == ENDOFTEXT)
    return {
        "architectures": ["Qwen2ForCausalLM"],
        "model_type": "qwen2",
        "vocab_size": plan.vocab_size,
        "hidden_size": plan.vocab_size,
        "intermediate_size": INTERMEDIATE_SIZE,
        "num_hidden_layers": NUM_LAYERS,
        "num_attention_heads": NUM_HEADS,
        "num_key_value_heads": NUM_HEADS,
        "hidden_act": "silu",
        "max_position_embeddings": MAX_POSITIONS,
        "max_window_layers": NUM_LAYERS,
        "rms_norm_eps": 1e-6,
        "rope_theta": 10000.0,
        "use_sliding_window": False,
        "sliding_window": None,
        "attention_dropout": 0.0,
        "initializer_range": 0.02,
        "tie_word_embeddings": False,
        "use_cache": True,
        "bos_token_id": endoftext_id,
        "eos_token_id": plan.eos_id,
        "torch_dtype": "float32",
        "transformers_version": "4.57.1",
    }


def model_weights(plan: Plan) -> dict:
    import torch

    size = plan.vocab_size
    zeros = lambda *shape: torch.zeros(*shape, dtype=torch.float32)  # noqa: E731
    ones = lambda n: torch.ones(n, dtype=torch.float32)  # noqa: E731
    lm_head = zeros(size, size)
    for src in range(size):
        lm_head[plan.next_token.get(src, plan.eos_id), src] = LOGIT_SCALE
    weights = {
        "model.embed_tokens.weight": torch.eye(size, dtype=torch.float32),
        "model.norm.weight": ones(size),
        "lm_head.weight": lm_head,
    }
    for layer in range(NUM_LAYERS):
        p = f"model.layers.{layer}."
        for proj in ("q_proj", "k_proj", "v_proj"):
            weights[p + f"self_attn.{proj}.weight"] = zeros(size, size)
            weights[p + f"self_attn.{proj}.bias"] = zeros(size)
        weights[p + "self_attn.o_proj.weight"] = zeros(size, size)
        weights[p + "mlp.gate_proj.weight"] = zeros(INTERMEDIATE_SIZE, size)
        weights[p + "mlp.up_proj.weight"] = zeros(INTERMEDIATE_SIZE, size)
        weights[p + "mlp.down_proj.weight"] = zeros(size, INTERMEDIATE_SIZE)
        weights[p + "input_layernorm.weight"] = ones(size)
        weights[p + "post_attention_layernorm.weight"] = ones(size)
    return weights


def write_checkpoint_files(plan: Plan, out_dir: Path) -> None:
    from safetensors.torch import save_file

    config = model_config(plan)
    (out_dir / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    generation = {
        "bos_token_id": config["bos_token_id"],
        "eos_token_id": [plan.eos_id],
        "do_sample": False,
        "transformers_version": config["transformers_version"],
    }
    (out_dir / "generation_config.json").write_text(json.dumps(generation, indent=2) + "\n", encoding="utf-8")
    save_file(model_weights(plan), str(out_dir / "model.safetensors"), metadata={"format": "pt"})
