"""Dumps how the protocol.py models of the sglang copy on sys.path parse and serialize.

    python3 -m sglang_engineless.protocol_probe   # JSON on stdout

Tests compare a patched copy's output with v0.5.9's (each copy in its own process).
"""

import json
import sys

from sglang_engineless import cpu_shims

cpu_shims.install()


def probe():
    from pydantic import ValidationError

    from sglang.srt.entrypoints.openai import protocol as p

    msgs = [{"role": "user", "content": "hi"}]
    flags = {}
    for label, extra in {
        "absent": {},
        "null": {"return_token_ids": None},
        "true": {"return_token_ids": True},
        "false": {"return_token_ids": False},
        "str_true": {"return_token_ids": "true"},
        "str_yes": {"return_token_ids": "yes"},
        "str_off": {"return_token_ids": "off"},
        "str_0": {"return_token_ids": "0"},
        "int_0": {"return_token_ids": 0},
        "int_1": {"return_token_ids": 1},
        "float_0": {"return_token_ids": 0.0},
        "invalid": {"return_token_ids": "maybe"},
        "garbage": {"return_token_ids": "garbage"},
        "int_2": {"return_token_ids": 2},
        "empty_str": {"return_token_ids": ""},
        "float_half": {"return_token_ids": 0.5},
        "list": {"return_token_ids": []},
        "dict": {"return_token_ids": {}},
    }.items():
        try:
            req = p.ChatCompletionRequest(messages=msgs, **extra)
            flags[label] = {"value": getattr(req, "return_token_ids", "<no field>")}
        except ValidationError as e:
            flags[label] = {"error": [list(err["loc"]) for err in e.errors()]}

    usage = p.UsageInfo(prompt_tokens=3, completion_tokens=2, total_tokens=5)
    msg = p.ChatMessage(role="assistant", content="hi")

    def full(**ids):
        choice_ids = {"token_ids": ids["token_ids"]} if "token_ids" in ids else {}
        top = {"prompt_token_ids": ids["prompt_token_ids"]} if "prompt_token_ids" in ids else {}
        resp = p.ChatCompletionResponse(
            id="x", created=1, model="m", usage=usage,
            choices=[p.ChatCompletionResponseChoice(index=0, message=msg, finish_reason="stop", **choice_ids)],
            **top,
        )
        return json.loads(resp.model_dump_json())

    def chunk(**ids):
        choice_ids = {"token_ids": ids["token_ids"]} if "token_ids" in ids else {}
        top = {"prompt_token_ids": ids["prompt_token_ids"]} if "prompt_token_ids" in ids else {}
        resp = p.ChatCompletionStreamResponse(
            id="x", created=1, model="m",
            choices=[p.ChatCompletionResponseStreamChoice(index=0, delta=p.DeltaMessage(content="a"), **choice_ids)],
            **top,
        )
        return json.loads(resp.model_dump_json())

    def safe(fn, **kw):
        try:
            return fn(**kw)
        except Exception as e:  # unpatched models reject nothing, but be explicit
            return {"error": type(e).__name__}

    return {
        "flags": flags,
        "full_plain": full(),
        "full_none": safe(full, token_ids=None, prompt_token_ids=None),
        "full_ids": safe(full, token_ids=[5, 6], prompt_token_ids=[1, 2, 3]),
        "chunk_plain": chunk(),
        "chunk_none": safe(chunk, token_ids=None, prompt_token_ids=None),
        "chunk_empty": safe(chunk, token_ids=[]),
        "chunk_ids": safe(chunk, token_ids=[7], prompt_token_ids=[1, 2]),
    }


if __name__ == "__main__":
    json.dump(probe(), sys.stdout)
    sys.exit(0)
