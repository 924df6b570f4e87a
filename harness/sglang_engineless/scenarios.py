"""The scenario matrix, run through the real serving code of the sglang copy on sys.path.

    python3 -m sglang_engineless.scenarios OUT.json WORK_DIR

Runs every scenario streaming and not, with return_token_ids unset (server default) and
false, and writes what the client saw (parsed SSE chunks, responses) together with what the
scripted engine consumed and produced. Tests assert on that file; the matrix is defined
here so tests can parametrize over it without importing sglang.
"""

import asyncio
import itertools
import json
import os
import sys

KINDS = [
    "plain",
    "tool_call",
    "text_and_tool_call_one_step",
    "reasoning_then_content",
    "multibyte_split",
    "stop_string",
    "max_tokens",
    "include_usage",
]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "weather for a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
                "required": ["city"],
            },
        },
    }
]


def matrix():
    """(name, spec) for stream_output x stream_interval x n x kind."""
    out = []
    for stream_output, interval, n, kind in itertools.product(
        (False, True), (1, 3), (1, 2), KINDS
    ):
        name = f"{kind}-so{int(stream_output)}-si{interval}-n{n}"
        out.append((name, dict(stream_output=stream_output, interval=interval, n=n, kind=kind)))
    return out


def server_config(spec):
    kind = spec["kind"]
    return dict(
        stream_output=spec["stream_output"],
        stream_interval=spec["interval"],
        tool_call_parser="qwen25" if kind.startswith(("tool", "text_and_tool")) else None,
        reasoning_parser="qwen3" if kind == "reasoning_then_content" else None,
        # Whole completion queued before the serving layer runs: normal text and the tool
        # call arrive in one delta.
        burst=10_000 if kind == "text_and_tool_call_one_step" else 1,
    )


def request_body(spec):
    kind = spec["kind"]
    body = {"messages": [{"role": "user", "content": "What is the weather in Paris?"}], "n": spec["n"]}
    if kind in ("tool_call", "text_and_tool_call_one_step"):
        body["tools"] = TOOLS
    if kind == "multibyte_split":
        body["messages"][0]["content"] = "Say 你好 and 🙂 café"
    if kind == "stop_string":
        body["stop"] = ["forty"]
    if kind == "max_tokens":
        body["max_tokens"] = 7
    if kind == "include_usage":
        body["stream_options"] = {"include_usage": True}
    return body


async def _call(chat, tm, body):
    from sglang.srt.entrypoints.openai.protocol import ChatCompletionRequest

    tm.engine_calls = []
    req = ChatCompletionRequest(**json.loads(json.dumps(body)))
    resp = await chat.handle_request(req, None)
    if body.get("stream"):
        chunks, done = [], False
        async for raw in resp.body_iterator:
            for line in raw.splitlines():
                if not line.startswith("data: "):
                    continue
                if line == "data: [DONE]":
                    done = True
                else:
                    chunks.append(json.loads(line[6:]))
        result = {"chunks": chunks, "done": done}
    else:
        result = {"response": json.loads(resp.model_dump_json() if hasattr(resp, "model_dump_json") else resp.body)}
    result["engine"] = [tm.engine_log[rid] for rid in tm.engine_calls]
    return result


async def run_all(work_dir):
    from sglang_engineless.app import build_serving
    from sglang_engineless.make_tokenizer import write_model_dir

    plain_dir = write_model_dir(os.path.join(work_dir, "tok"), reasoning=False)
    reasoning_dir = write_model_dir(os.path.join(work_dir, "tok-reasoning"), reasoning=True)
    servers = {}
    results = {}
    for name, spec in matrix():
        cfg = server_config(spec)
        key = json.dumps(cfg, sort_keys=True)
        if key not in servers:
            path = reasoning_dir if cfg["reasoning_parser"] else plain_dir
            servers[key] = build_serving(path, **cfg)
        tm, chat = servers[key]
        runs = {}
        for stream, flag in itertools.product((True, False), (None, False)):
            body = dict(request_body(spec), stream=stream)
            if flag is not None:
                body["return_token_ids"] = flag
            runs[f"{'stream' if stream else 'full'}-{'default' if flag is None else 'false'}"] = await _call(chat, tm, body)
        results[name] = runs
    return results


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    out, work = argv
    os.makedirs(work, exist_ok=True)
    import sglang

    results = asyncio.run(run_all(work))
    with open(out, "w") as f:
        json.dump({"sglang": os.path.dirname(sglang.__file__), "scenarios": results}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
