"""The model's own tokenizer (transformers), used to decode ids and render the chat template.

The server decodes with the tokenizer's defaults and ``skip_special_tokens`` (True unless the
request has tools), so the suite decodes the same way when it compares ids with text.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional


class TokenizerLoadError(RuntimeError):
    pass


class ModelTokenizer:
    def __init__(self, hf_tokenizer: Any, source: str):
        self.hf = hf_tokenizer
        self.source = source

    def decode(self, ids: List[int], skip_special_tokens: bool = True) -> str:
        return self.hf.decode(ids, skip_special_tokens=skip_special_tokens)

    def render_chat(
        self, messages: List[Dict[str, Any]], tools: Optional[List[Dict[str, Any]]] = None, **template_kwargs: Any
    ) -> List[int]:
        """The tokenizer's own rendering of a request's prompt, as ids (template_kwargs are the
        request's chat_template_kwargs, which the server passes to the template too)."""
        kwargs: Dict[str, Any] = {"tokenize": True, "add_generation_prompt": True, **template_kwargs}
        if tools:
            kwargs["tools"] = tools
        ids = self.hf.apply_chat_template(messages, **kwargs)
        # transformers may answer with a BatchEncoding-like mapping depending on version
        if hasattr(ids, "keys") and "input_ids" in ids:
            ids = ids["input_ids"]
        return [int(x) for x in ids]


def load_tokenizer(path: str) -> ModelTokenizer:
    """Loads with AutoTokenizer; ``path`` is a local folder or a hub id (cache / offline ok)."""
    try:
        from transformers import AutoTokenizer
    except ImportError as e:  # the official image always has it; a bare python may not
        raise TokenizerLoadError(f"transformers is not importable ({e}); it is needed to decode ids") from e
    try:
        hf = AutoTokenizer.from_pretrained(path)
    except Exception as e:
        raise TokenizerLoadError(f"could not load the tokenizer of {path!r}: {type(e).__name__}: {e}") from e
    if getattr(hf, "chat_template", None) is None:
        raise TokenizerLoadError(f"the tokenizer of {path!r} has no chat template")
    return ModelTokenizer(hf, path)
