"""SGLANG_TOKEN_IDS_DEFAULT: the server default for return_token_ids (real patched serving)."""

import json
import os
import subprocess
import sys

from conftest import REPO

SCRIPT = r'''
import asyncio, json, os, sys
from sglang_engineless.app import build_serving
from sglang_engineless.make_tokenizer import write_model_dir
from sglang.srt.entrypoints.openai.protocol import ChatCompletionRequest
model = write_model_dir(sys.argv[1])
out = {}
async def ask(chat, **extra):
    req = ChatCompletionRequest(messages=[{"role": "user", "content": "hi"}], max_tokens=3, **extra)
    return json.loads((await chat.handle_request(req, None)).model_dump_json())
for value in ["", "0", "off", "1", "TRUE", "maybe"]:
    os.environ["SGLANG_TOKEN_IDS_DEFAULT"] = value
    try:
        _, chat = build_serving(model)
    except ValueError as e:
        out[value] = {"error": str(e)}
        continue
    out[value] = {
        "default": "prompt_token_ids" in asyncio.run(ask(chat)),
        "true": "prompt_token_ids" in asyncio.run(ask(chat, return_token_ids=True)),
        "false": "prompt_token_ids" in asyncio.run(ask(chat, return_token_ids=False)),
    }
# A multimodal model's chat prompt reaches the engine as text: ids must still be exact.
os.environ["SGLANG_TOKEN_IDS_DEFAULT"] = "1"
tm, chat = build_serving(model)
tm.model_config.is_multimodal = True
resp = asyncio.run(ask(chat))
engine = tm.engine_log[tm.engine_calls[0]]
out["text_prompt"] = {"was_text": engine["prompt_was_text"],
                      "exact": resp.get("prompt_token_ids") == engine["prompt_ids"]}
print(json.dumps(out))
'''


def test_server_default_from_env(patched_release, tmp_path):
    env = dict(os.environ, PYTHONPATH=f"{patched_release}{os.pathsep}{REPO / 'python' / 'harness'}",
               HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    proc = subprocess.run([sys.executable, "-W", "ignore", "-c", SCRIPT, str(tmp_path / "tok")],
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    on = {"default": True, "true": True, "false": False}
    off = {"default": False, "true": True, "false": False}
    assert out[""] == on  # unset/empty: on
    assert out["1"] == on and out["TRUE"] == on
    assert out["0"] == off and out["off"] == off
    assert "SGLANG_TOKEN_IDS_DEFAULT" in out["maybe"]["error"]
    assert out["text_prompt"] == {"was_text": True, "exact": True}
