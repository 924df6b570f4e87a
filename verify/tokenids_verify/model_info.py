"""Which tool-call and reasoning parsers a model needs, from its config (or its name).

The earlier verifier started the server without --tool-call-parser, so its tool check never
reached the parser; here the parsers are chosen for the model and stated in the report.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Optional

# model_type (config.json) -> SGLang v0.5.9 --tool-call-parser name
TOOL_CALL_PARSERS = {
    "qwen2": "qwen25",
    "qwen2_moe": "qwen25",
    "qwen3": "qwen25",
    "qwen3_moe": "qwen25",
    "llama": "llama3",
    "mistral": "mistral",
}
# model_type -> --reasoning-parser name (models that think by default)
REASONING_PARSERS = {
    "qwen3": "qwen3",
    "qwen3_moe": "qwen3",
}
# Names of models of a thinking family that do not think (Qwen3 2507 Instruct).
NON_THINKING_MARKERS = ("instruct-2507",)


@dataclass
class ModelInfo:
    model_type: Optional[str]
    tool_call_parser: Optional[str]
    reasoning_parser: Optional[str]
    config_source: str


def _read_config(model_path: str) -> tuple[Optional[dict], str]:
    local = os.path.join(model_path, "config.json")
    if os.path.isfile(local):
        with open(local, encoding="utf-8") as f:
            return json.load(f), local
    try:  # a hub id: read the cached config.json only (offline-safe, no download)
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(model_path, "config.json")
        if isinstance(cached, str) and os.path.isfile(cached):
            with open(cached, encoding="utf-8") as f:
                return json.load(f), cached
    except Exception:
        pass
    return None, "model name (no config.json found locally or in the Hugging Face cache)"


def _type_from_name(model_path: str) -> Optional[str]:
    name = model_path.lower()
    for marker, model_type in (("qwen3", "qwen3"), ("qwen2", "qwen2"), ("llama", "llama"), ("mistral", "mistral")):
        if marker in name:
            return model_type
    return None


def detect_model_info(model_path: str) -> ModelInfo:
    config, source = _read_config(model_path)
    model_type = (config or {}).get("model_type") or _type_from_name(model_path)
    reasoning = REASONING_PARSERS.get(model_type or "")
    if reasoning and any(m in model_path.lower() for m in NON_THINKING_MARKERS):
        reasoning = None
    return ModelInfo(
        model_type=model_type,
        tool_call_parser=TOOL_CALL_PARSERS.get(model_type or ""),
        reasoning_parser=reasoning,
        config_source=source,
    )


def resolve_parser(flag_value: Optional[str], detected: Optional[str]) -> Optional[str]:
    """A flag wins over detection; the flag value "none" turns the parser off."""
    if flag_value is None:
        return detected
    return None if flag_value.lower() == "none" else flag_value
