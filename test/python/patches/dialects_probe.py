"""Probes vLLM's other id dialects on the REAL FastAPI routes of the sglang copy on sys.path
(chat, completions, /tokenize; harness app, scripted engine), printing one JSON object.

    PYTHONPATH=TREE:harness python dialects_probe.py MODEL_DIR

Run by test_vllm_dialects.py with each release's Python, patched and stock."""

import asyncio
import json
import os
import sys

import httpx

from sglang_engineless.app import build_app, build_serving
from sglang_engineless.make_tokenizer import write_model_dir

ENV = "SGLANG_RETURN_TOKENS_AS_TOKEN_IDS"
TEXT = "Say exactly: The answer 你🙂好"
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": TEXT}]
TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}}}}]


def sse(text):
    return [json.loads(line[6:]) for line in text.splitlines()
            if line.startswith("data: ") and line != "data: [DONE]"]


async def probe(model):
    out = {}
    # Server default from the environment, read when the serving objects are built.
    out["env"] = {}
    for value in ["", "0", "1", "on", "maybe"]:
        os.environ[ENV] = value
        try:
            tm, chat = build_serving(model)
            app = build_app(tm, chat)
        except ValueError as e:
            out["env"][value] = {"error": str(e)}
            continue
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            row = {}
            for name, flag in (("absent", {}), ("true", {"return_tokens_as_token_ids": True}),
                               ("false", {"return_tokens_as_token_ids": False})):
                r = await c.post("/v1/chat/completions", json=dict(
                    messages=MESSAGES, max_tokens=3, logprobs=True, top_logprobs=0, **flag))
                tok = r.json()["choices"][0]["logprobs"]["content"][0]["token"]
                r = await c.post("/v1/completions", json=dict(
                    prompt=[277, 575], max_tokens=3, logprobs=0, **flag))
                ctok = r.json()["choices"][0]["logprobs"]["tokens"][0]
                row[name] = [tok.startswith("token_id:"), ctok.startswith("token_id:")]
            out["env"][value] = row
    os.environ.pop(ENV, None)
    tm, chat = build_serving(model, tool_call_parser="qwen25")
    app = build_app(tm, chat)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        # Strict validation of the flag, chat and completions, streamed and not.
        out["invalid"] = []
        for value in ["garbage", 2, "", 0.5, [], {}]:
            for path, body in (("/v1/chat/completions", {"messages": MESSAGES}),
                               ("/v1/completions", {"prompt": "hi"})):
                for stream in (False, True):
                    r = await c.post(path, json=dict(body, max_tokens=2, stream=stream,
                                                     return_tokens_as_token_ids=value))
                    out["invalid"].append([path, repr(value), stream, r.status_code,
                                           "return_tokens_as_token_ids" in r.text])
        out["lax"] = {}
        for value in ["yes", 1, "off", 0, None]:
            r = await c.post("/v1/chat/completions", json=dict(
                messages=MESSAGES, max_tokens=2, logprobs=True, return_tokens_as_token_ids=value))
            out["lax"][repr(value)] = [r.status_code, r.status_code == 200 and r.json()["choices"][0][
                "logprobs"]["content"][0]["token"].startswith("token_id:")]
        # top_logprobs 0: one entry per token, empty top lists, nothing dropped; streamed too.
        r = (await c.post("/v1/chat/completions", json=dict(
            messages=MESSAGES, logprobs=True, top_logprobs=0, return_token_ids=True))).json()
        streamed = sse((await c.post("/v1/chat/completions", json=dict(
            messages=MESSAGES, logprobs=True, top_logprobs=0, stream=True))).text)
        out["top0"] = {
            "entries": len(r["choices"][0]["logprobs"]["content"]),
            "tokens": r["usage"]["completion_tokens"],
            "tops": sorted({len(e["top_logprobs"]) for e in r["choices"][0]["logprobs"]["content"]}),
            "streamed_entries": sum(len((ch["logprobs"] or {}).get("content") or [])
                                    for chunk in streamed for ch in chunk["choices"]),
        }
        # Completions with ids: tokens and top_logprobs keys, n = 2, streamed and not.
        for stream in (False, True):
            r = await c.post("/v1/completions", json=dict(
                prompt=[277, 575], max_tokens=6, logprobs=2, n=2, stream=stream,
                return_token_ids=True, return_tokens_as_token_ids=True))
            chunks = sse(r.text) if stream else [r.json()]
            pairs = []
            for chunk in chunks:
                for ch in chunk["choices"]:
                    lp = ch.get("logprobs") or {}
                    pairs.append([ch.get("token_ids") or [], lp.get("tokens") or [],
                                  [list(t) for t in lp.get("top_logprobs") or [] if t]])
            out[f"completions_stream_{stream}"] = pairs
        # The chat form of /tokenize against the chat completion's prompt ids.
        out["tokenize"] = {}
        cases = {
            "messages": {"messages": MESSAGES},
            "tools": {"messages": MESSAGES, "tools": TOOLS},
            "template_kwargs": {"messages": MESSAGES, "chat_template_kwargs": {"enable_thinking": False}},
            "continue_final": {"messages": MESSAGES + [{"role": "assistant", "content": "The"}],
                               "continue_final_message": True, "add_generation_prompt": False},
        }
        for name, fields in cases.items():
            tok = await c.post("/tokenize", json=dict(fields, model="default"))
            chat_fields = {k: v for k, v in fields.items() if k != "add_generation_prompt"}
            # return_prompt_token_ids: a stock release's own prompt ids (0.5.15.post1 has no
            # return_token_ids; v0.5.9 neither, and ignores both).
            comp = await c.post("/v1/chat/completions", json=dict(
                chat_fields, max_tokens=1, return_token_ids=True, return_prompt_token_ids=True))
            out["tokenize"][name] = {
                "status": tok.status_code, "body": tok.json(),
                "chat_prompt_ids": comp.json().get("prompt_token_ids") or
                comp.json()["choices"][0].get("prompt_token_ids"),
            }
        strs = await c.post("/v1/tokenize", json={"messages": MESSAGES, "return_token_strs": True})
        out["tokenize_strs"] = [strs.status_code, strs.json(),
                                tm.tokenizer.convert_ids_to_tokens(strs.json().get("tokens") or [])]
        refused = await c.post("/tokenize", json={"messages": MESSAGES, "chat_template": "{{ 1 }}"})
        out["tokenize_chat_template"] = [refused.status_code, refused.text[:300]]
        # vLLM's chat-form fields a release may not render (0.5.19, 0.5.20: no add_generation_prompt).
        for name, extra in (("no_generation_prompt", {"add_generation_prompt": False}),
                            ("add_special_tokens", {"add_special_tokens": True})):
            r = await c.post("/tokenize", json=dict(extra, messages=MESSAGES))
            out[f"tokenize_{name}"] = [r.status_code, r.text[:300],
                                       r.json().get("tokens") == out["tokenize"]["messages"]["chat_prompt_ids"]]
        prompt_form = await c.post("/tokenize", json={"prompt": "hello world"})
        out["tokenize_prompt_form"] = [prompt_form.status_code, sorted(prompt_form.json())]
        # prompt_logprobs on completions: a 400 naming it, never ignored.
        for value in (1, 0, None):
            r = await c.post("/v1/completions", json=dict(prompt=[277, 575], max_tokens=1,
                                                          prompt_logprobs=value))
            out.setdefault("prompt_logprobs", []).append(
                [repr(value), r.status_code, "prompt_logprobs" in r.text,
                 "prompt_logprobs" in (r.json().get("choices") or [{}])[0]])
    return out


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    model = write_model_dir(sys.argv[1])
    print(json.dumps(asyncio.run(probe(model))))
