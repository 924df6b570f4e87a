"""/v1/completions scenarios over HTTP semantics (the real FastAPI route, request validation
and OpenAIServingCompletion of the sglang copy on sys.path, on the scripted engine).

    python3 -m sglang_engineless.completions_scenarios OUT.json WORK_DIR [SERVER,... [CASE,...]] [--ids-only]

Every case (or the named ones) runs on every server configuration (or the named ones),
streaming and not, with return_token_ids absent (server default), false and true; then
garbage and pydantic-lax values of the flag, and the server default under
SGLANG_TOKEN_IDS_DEFAULT=0 and an invalid value (not with --ids-only: the cases alone).
Writes what the client saw (status, parsed SSE chunks or body) with what the scripted engine
consumed and produced. Tests assert on that file; SERVERS and CASES import no sglang.
"""

import asyncio
import json
import os
import sys

# (name, server config). "whole" delivers the whole answer in one engine read (outputs
# coalesce: cumulative text, ids by --stream-output mode).
SERVERS = [
    ("so0-si1", dict(stream_output=False, stream_interval=1, burst=1)),
    ("so0-si3", dict(stream_output=False, stream_interval=3, burst=1)),
    ("so1-si1", dict(stream_output=True, stream_interval=1, burst=1)),
    ("so1-si3", dict(stream_output=True, stream_interval=3, burst=1)),
    ("so0-whole", dict(stream_output=False, stream_interval=1, burst=10_000)),
    ("so1-whole", dict(stream_output=True, stream_interval=1, burst=10_000)),
]
FLAGS = {"default": None, "false": False, "true": True}
# Long enough for the scripted answer to end with EOS.
MAX_TOKENS = 96
TEXT_PROMPT = "Say 你好 and 🙂 café"
BATCH_TEXT = ["Hello there", "The weather in Paris 你好"]
# Accepted the way any pydantic Optional[bool] accepts them (value -> meaning).
FLAG_LAX = [(0, False), (1, True), (0.0, False), ("true", True), ("false", False),
            ("yes", True), ("no", False), ("on", True), ("off", False), ("1", True),
            ("0", False), (None, None)]
FLAG_GARBAGE = ["garbage", 2, "", 0.5, [], {}, "null"]


def noncanonical_ids(tokenizer, text):
    """Ids that spell `text` one character at a time: not what the tokenizer makes of the
    text, so a server that re-tokenizes decoded ids would return other ids."""
    ids = []
    for ch in text:
        ids += tokenizer.encode(ch, add_special_tokens=False)
    return ids


def cases(tokenizer):
    ids_a = noncanonical_ids(tokenizer, "Hello there 你好")
    ids_b = [tokenizer.convert_tokens_to_ids("<|im_start|>")] + noncanonical_ids(
        tokenizer, "The weather"
    )
    base = {"max_tokens": MAX_TOKENS, "temperature": 0}
    return {
        "text": dict(base, prompt=TEXT_PROMPT),
        "text_n3": dict(base, prompt=TEXT_PROMPT, n=3),
        "ids": dict(base, prompt=ids_a),
        "ids_n2": dict(base, prompt=ids_b, n=2),
        "batch_text_n2": dict(base, prompt=BATCH_TEXT, n=2),
        "batch_ids": dict(base, prompt=[ids_a, ids_b]),
        "echo": dict(base, prompt=TEXT_PROMPT, echo=True),
        "echo_ids": dict(base, prompt=ids_a, echo=True),
        "stop_string": dict(base, prompt=TEXT_PROMPT, stop=["forty"]),
        "max_tokens": dict(base, prompt=TEXT_PROMPT, max_tokens=9),
        "logprobs": dict(base, prompt=TEXT_PROMPT, logprobs=2),
        # Choices of n > 1 and of a batch are read in turn, so an output is often read
        # after later ones were handled: where per-chunk log-probabilities ran ahead.
        "logprobs0_n2": dict(base, prompt=TEXT_PROMPT, logprobs=0, n=2),
        "logprobs2_batch_ids": dict(base, prompt=[ids_a, ids_b], logprobs=2),
        # The echoed prompt of each choice, with text and id prompts.
        "echo_batch_text_n2": dict(base, prompt=BATCH_TEXT, n=2, echo=True),
        "echo_batch_ids_n2": dict(base, prompt=[ids_a, ids_b], n=2, echo=True),
        "usage": dict(
            base, prompt=TEXT_PROMPT, n=2,
            stream_options={"include_usage": True, "continuous_usage_stats": True},
        ),
    }


async def post(client, tm, body):
    tm.activate()
    tm.engine_calls = []
    resp = await client.post("/v1/completions", json=body)
    result = {"status": resp.status_code}
    if resp.status_code != 200:
        result["body"] = resp.json()
        return result
    if body.get("stream"):
        chunks, done = [], False
        for line in resp.text.splitlines():
            if line == "data: [DONE]":
                done = True
            elif line.startswith("data: "):
                chunks.append(json.loads(line[6:]))
        result.update(chunks=chunks, done=done)
    else:
        result["response"] = resp.json()
    result["engine"] = [tm.engine_log[rid] for rid in tm.engine_calls]
    return result


async def run_all(work_dir, server_names=None, case_names=None, ids_only=False):
    import httpx

    from sglang_engineless.app import build_app, build_serving
    from sglang_engineless.make_tokenizer import write_model_dir

    model_dir = write_model_dir(os.path.join(work_dir, "tok"), reasoning=False)
    results, bodies, flags = {}, None, {}
    for server_name, cfg in SERVERS:
        if server_names and server_name not in server_names:
            continue
        tm, chat = build_serving(model_dir, **cfg)
        app = build_app(tm, chat)
        bodies = bodies or cases(tm.tokenizer)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://harness") as client:
            for case, body in bodies.items():
                if case_names and case not in case_names:
                    continue
                for stream in (True, False):
                    for flag_name, flag in FLAGS.items():
                        req = dict(body, stream=stream)
                        if flag is not None:
                            req["return_token_ids"] = flag
                        run = f"{'stream' if stream else 'full'}-{flag_name}"
                        results[f"{server_name}/{case}/{run}"] = await post(client, tm, req)
            if not flags and not ids_only:
                body = dict(bodies["text"], max_tokens=4)
                for value, _ in FLAG_LAX:
                    flags[f"lax:{json.dumps(value)}"] = await post(
                        client, tm, dict(body, return_token_ids=value))
                for value in FLAG_GARBAGE:
                    for stream in (False, True):
                        flags[f"garbage:{json.dumps(value)}:stream={stream}"] = await post(
                            client, tm, dict(body, return_token_ids=value, stream=stream))
    env_default = {} if ids_only else await env_default_runs(model_dir, bodies["text"])
    return {"model_dir": model_dir, "cases": bodies, "runs": results, "flags": flags,
            "env_default": env_default}


async def env_default_runs(model_dir, body):
    """The server default comes from SGLANG_TOKEN_IDS_DEFAULT, as for chat."""
    import httpx

    from sglang_engineless.app import build_app, build_serving
    from sglang_engineless.completions import build_serving_completion

    out = {}
    saved = os.environ.get("SGLANG_TOKEN_IDS_DEFAULT")
    try:
        os.environ["SGLANG_TOKEN_IDS_DEFAULT"] = "0"
        tm, chat = build_serving(model_dir)
        transport = httpx.ASGITransport(app=build_app(tm, chat))
        async with httpx.AsyncClient(transport=transport, base_url="http://harness") as client:
            for flag_name, flag in FLAGS.items():
                req = dict(body, max_tokens=4)
                if flag is not None:
                    req["return_token_ids"] = flag
                out[f"0/{flag_name}"] = await post(client, tm, req)
        os.environ["SGLANG_TOKEN_IDS_DEFAULT"] = "sometimes"
        try:
            build_serving_completion(tm, chat)  # chat was built under a valid value
            out["invalid"] = "started"
        except ValueError as e:
            out["invalid"] = str(e)
    finally:
        if saved is None:
            os.environ.pop("SGLANG_TOKEN_IDS_DEFAULT", None)
        else:
            os.environ["SGLANG_TOKEN_IDS_DEFAULT"] = saved
    return out


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ids_only = "--ids-only" in argv
    argv = [a for a in argv if a != "--ids-only"]
    names = {name for name, _ in SERVERS}
    chosen = set(argv[2].split(",")) if len(argv) >= 3 else None
    chosen_cases = set(argv[3].split(",")) if len(argv) == 4 else None
    if len(argv) not in (2, 3, 4) or (chosen and not chosen <= names):
        print(__doc__, f"servers: {', '.join(sorted(names))}", file=sys.stderr)
        return 2
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    out, work = argv[:2]
    os.makedirs(work, exist_ok=True)
    import sglang

    data = asyncio.run(run_all(work, chosen, chosen_cases, ids_only))
    unknown = (chosen_cases or set()) - set(data["cases"])
    if unknown:
        print(f"unknown cases: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    data["sglang"] = os.path.dirname(sglang.__file__)
    with open(out, "w") as f:
        json.dump(data, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
