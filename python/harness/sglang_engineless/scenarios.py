"""The scenario matrix, run through the real serving code of the sglang copy on sys.path.

    python3 -m sglang_engineless.scenarios OUT.json WORK_DIR [--full | --core] [--kinds K1,K2,...]

Runs every scenario streaming and not, with return_token_ids unset (server default) and
false (the log-probability kinds also with vLLM's return_tokens_as_token_ids: TOKEN_ID_RUNS); on releases with id fields of their own (0.5.23) also with upstream's requests
(UPSTREAM_RUNS; 0.5.15.post1: PROMPT_IDS_RUNS), so the unpatched control asserts what stock ships. Writes what the client saw (parsed SSE chunks in order, interleaved with the
engine reads the serving layer made; responses) together with what the scripted engine
consumed and produced (ids, log-probabilities). Tests assert on that file; the matrix is
defined here so tests can parametrize over it without importing sglang.

Axes: --stream-output off/on x --stream-interval 1/3 x engine-output delivery (one output
per read, bunched, the whole answer in one read, 3 tokens per engine step, readers lagging
the engine with n = 2) x kind. The lagging readers run in cumulative mode at interval 1 only
(LAG_MODE), but under --full. The
default matrix pairs n with the delivery (n = 1 for "each"/"whole", 2 for the others) so
every kind meets both n under every server mode; --full runs n 1 and 2 under every
delivery; --core (the default CI run of a second release) runs each kind under CORE_MODES,
four combinations that meet every value of every axis once. Kinds that fix n (n3_tools) or the delivery (text_and_tool_call_one_step) run
only with that value.
"""

import argparse
import asyncio
import itertools
import json
import os
import sys

from sglang_engineless.adapters import RELEASE_FLAGS  # constants only: no sglang import

# kind -> what it exercises. Request bodies: request_body(); servers: server_config().
KINDS = {
    "plain": "plain answer, multi-byte characters",
    "tool_call": "text then one tool call (qwen25)",
    "text_and_tool_call_one_step": "text and the whole tool call reach the parser in one piece",
    "reasoning_then_content": "<think> reasoning then content (qwen3)",
    "multibyte_split": "multi-byte characters split across byte tokens",
    "stop_string": "a stop string ends the answer",
    "max_tokens": "max_tokens ends the answer",
    "include_usage": "stream_options.include_usage",
    "tool_cut_auto": "max_tokens cuts the tool call inside its arguments, tool_choice auto",
    "tool_cut_required": "the same with tool_choice required (JSON array parser)",
    "tool_cut_named": "the same with a named function",
    "reasoning_tool": "reasoning, then a tool call (qwen3 + qwen25)",
    "multibyte_edge": "'The answer你🙂好': a multi-byte character at a chunk edge",
    "text_before_tool_call": "an emoji split over byte tokens right before <tool_call>",
    "n3_tools": "n = 3 with a tool call",
    "logprobs_top0": "logprobs, top_logprobs 0, text held back then a tool call",
    "logprobs_top5": "logprobs, top_logprobs 5, reasoning then a tool call",
    "logprobs_unset": "logprobs, top_logprobs unset, multi-byte text at chunk edges",
    "two_tool_calls": "text, then two qwen25 <tool_call>s in one answer",
    "required_two_calls": "tool_choice required answered with a two-element JSON array",
    "reasoning_not_streamed": "stream_reasoning false with the qwen3 reasoning parser",
    "text_after_tool_call": "text, a tool call, then more text",
}
TOOL_KINDS = {
    "tool_call", "text_and_tool_call_one_step", "tool_cut_auto", "tool_cut_required",
    "tool_cut_named", "reasoning_tool", "text_before_tool_call", "n3_tools",
    "logprobs_top0", "logprobs_top5", "two_tool_calls", "required_two_calls",
    "text_after_tool_call",
}
REASONING_KINDS = {"reasoning_then_content", "reasoning_tool", "logprobs_top5", "reasoning_not_streamed"}
CUT_KINDS = {"tool_cut_auto", "tool_cut_required", "tool_cut_named"}
# Where a cut request stops: the first token count whose text reaches this (inside the
# "city" argument of the scripted call).
CUT_INSIDE_ARGUMENTS = '"Pa'
# delivery name -> (engine delivery mode, tokens per engine step)
DELIVERIES = {
    "each": ("each", 1),
    "bunched": ("bunched", 1),
    "whole": ("whole", 1),
    "step3": ("each", 3),
    "lag": ("lag", 1),
}
DEFAULT_N = {"each": 1, "whole": 1, "bunched": 2, "step3": 2, "lag": 2}
# (stream_output, stream_interval, delivery) of the core matrix; n as DEFAULT_N. The lagging
# readers matter in cumulative mode (0.5.23 hands intermediate outputs the live list).
LAG_MODE = (False, 1, "lag")
CORE_MODES = [(False, 1, "each"), (True, 3, "bunched"), (False, 3, "step3"), (True, 1, "whole"),
              LAG_MODE]
# Runs of every scenario: name -> (stream, request fields on top of the scenario's).
BASE_RUNS = {
    "stream-default": (True, {}),
    "stream-false": (True, {"return_token_ids": False}),
    "full-default": (False, {}),
    "full-false": (False, {"return_token_ids": False}),
}
# Upstream's own id requests, on releases that have them: 0.5.17+ return_token_ids (chat:
# per-choice ids non-streamed, a 400 streamed), 0.5.20+ sglext ids at the end of a stream
# (the sglext runs only where adapters.RELEASE_FLAGS says SGLEXT_IDS).
SGLEXT_FLAGS = {"return_input_ids_in_sglext": True, "return_output_ids_in_sglext": True}
UPSTREAM_RUNS = {
    "stream-true": (True, {"return_token_ids": True}),
    "full-true": (False, {"return_token_ids": True}),
    "stream-sglext": (True, SGLEXT_FLAGS),
    "full-sglext": (False, SGLEXT_FLAGS),
}
UPSTREAM_RUNS_RELEASES = {"0.5.19", "0.5.20", "0.5.23"}
# 0.5.15.post1's own id request (0.5.16's field, already in 0.5.13.post1 and 0.5.15.post1):
# chat return_prompt_token_ids, per-choice prompt_token_ids non-streamed, a 400 streamed.
PROMPT_IDS_RUNS = {
    "stream-prompt-ids": (True, {"return_prompt_token_ids": True}),
    "full-prompt-ids": (False, {"return_prompt_token_ids": True}),
}
PROMPT_IDS_RUNS_RELEASES = {"0.5.13.post1", "0.5.15.post1"}
# vLLM's return_tokens_as_token_ids, on the kinds that ask log-probabilities (top_logprobs
# 0 / 5 / unset; tools, reasoning, held-back multi-byte text, n 1 and 2 across the modes).
TOKEN_ID_LOGPROB_KINDS = {"logprobs_top0", "logprobs_top5", "logprobs_unset"}
TOKEN_ID_RUNS = {
    "stream-token-id-logprobs": (True, {"return_tokens_as_token_ids": True}),
    "full-token-id-logprobs": (False, {"return_tokens_as_token_ids": True}),
}


def run_names(release):
    """The runs each scenario of `release` has."""
    runs = dict(BASE_RUNS)
    if release in UPSTREAM_RUNS_RELEASES:
        sglext = RELEASE_FLAGS[release].SGLEXT_IDS
        runs.update({name: run for name, run in UPSTREAM_RUNS.items()
                     if sglext or "sglext" not in name})
    if release in PROMPT_IDS_RUNS_RELEASES:
        runs.update(PROMPT_IDS_RUNS)
    return runs
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
SAY = "Say exactly: "
# The answer to tool_choice "required" when the model calls the tool twice, in the shape the
# release's constraint forces (v0.5.9: a two-element JSON array; 0.5.23: two native calls).
REQUIRED_TWO_CALLS = "{required_calls}"


def matrix(full: bool = False, core: bool = False):
    """(name, spec) for stream_output x stream_interval x delivery x n x kind (core: each
    kind under CORE_MODES only)."""
    out = []
    modes = (
        [(kind, *mode) for kind in KINDS for mode in CORE_MODES]
        if core and not full
        else itertools.product(KINDS, (False, True), (1, 3), DELIVERIES)
    )
    for kind, stream_output, interval, delivery in modes:
        if delivery == "lag" and not full and (stream_output, interval, delivery) != LAG_MODE:
            continue  # the default matrix lags in cumulative mode only; --full everywhere
        if kind == "text_and_tool_call_one_step" and delivery != "whole":
            continue
        if kind == "n3_tools":
            ns = (3,)
        elif full:
            ns = (1, 2)
        else:
            ns = (DEFAULT_N[delivery],)
        for n in ns:
            name = f"{kind}-so{int(stream_output)}-si{interval}-n{n}-{delivery}"
            spec = dict(stream_output=stream_output, interval=interval, n=n, kind=kind,
                        delivery=delivery)
            out.append((name, spec))
    return out


def server_config(spec):
    kind = spec["kind"]
    return dict(
        stream_output=spec["stream_output"],
        stream_interval=spec["interval"],
        tool_call_parser="qwen25" if kind in TOOL_KINDS else None,
        reasoning_parser="qwen3" if kind in REASONING_KINDS else None,
    )


def request_body(spec):
    kind = spec["kind"]
    body = {"messages": [{"role": "user", "content": "What is the weather in Paris?"}], "n": spec["n"]}
    say = {
        "multibyte_split": None,
        "multibyte_edge": "The answer你🙂好",
        "text_before_tool_call": "Checking 東京 🗼{tool_call}",
        "logprobs_top0": "The answer你🙂好 café{tool_call}",
        "logprobs_unset": "The answer你🙂好 café 東京 🗼 done",
        "two_tool_calls": "Checking both 東京 and Paris.{tool_call}{tool_call2}",
        "required_two_calls": REQUIRED_TWO_CALLS,
        "text_after_tool_call": "Checking café.{tool_call}\nDone, anything else?",
    }.get(kind)
    if say:
        body["messages"][0]["content"] = SAY + say
    if kind in TOOL_KINDS:
        body["tools"] = TOOLS
    if kind == "multibyte_split":
        body["messages"][0]["content"] = "Say 你好 and 🙂 café"
    if kind == "stop_string":
        body["stop"] = ["forty"]
    if kind == "max_tokens":
        body["max_tokens"] = 7
    if kind == "include_usage":
        body["stream_options"] = {"include_usage": True}
    if kind in ("tool_cut_required", "required_two_calls"):
        body["tool_choice"] = "required"
    if kind == "reasoning_not_streamed":
        body["stream_reasoning"] = False
    if kind == "tool_cut_named":
        body["tool_choice"] = {"type": "function", "function": {"name": "get_weather"}}
    if kind.startswith("logprobs_"):
        body["logprobs"] = True
        top = {"logprobs_top0": 0, "logprobs_top5": 5}.get(kind)
        if top is not None:
            body["top_logprobs"] = top
    return body


async def _call(chat, tm, body):
    from sglang.srt.entrypoints.openai.protocol import ChatCompletionRequest

    tm.activate()
    tm.engine_calls = []
    tm.events = []
    req = ChatCompletionRequest(**json.loads(json.dumps(body)))
    resp = await chat.handle_request(req, None)
    if not hasattr(resp, "body_iterator") and hasattr(resp, "status_code") and resp.status_code != 200:
        # Refused (e.g. 0.5.23: return_token_ids with stream=true is a 400). A 5xx is the
        # serving code failing on the harness: no result to assert on.
        if resp.status_code >= 500:
            raise RuntimeError(f"{resp.status_code} for {json.dumps(body)}: {resp.body.decode()}")
        return {"status": resp.status_code, "error": json.loads(resp.body),
                "engine": [tm.engine_log[rid] for rid in tm.engine_calls if rid in tm.engine_log]}
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
                    # Chunks interleaved with the engine reads that produced them.
                    tm.events.append(("chunk", len(chunks) - 1))
        result = {"chunks": chunks, "done": done, "events": list(tm.events)}
    else:
        # As the HTTP route serializes it (by alias; 0.5.23's model_json_response).
        result = {"response": json.loads(
            resp.model_dump_json(by_alias=True) if hasattr(resp, "model_dump_json") else resp.body)}
    result["engine"] = [tm.engine_log[rid] for rid in tm.engine_calls]
    return result


async def _cut_max_tokens(chat, tm, body):
    """max_tokens that stops the scripted answer inside the tool call's arguments."""
    probe = await _call(chat, tm, dict(body, stream=False, return_token_ids=False))
    ids = probe["engine"][0]["output_ids"]
    for k in range(1, len(ids) + 1):
        if CUT_INSIDE_ARGUMENTS in tm.tokenizer.decode(ids[:k]):
            return k
    raise AssertionError(f"the scripted answer never reaches {CUT_INSIDE_ARGUMENTS!r}")


async def run_all(work_dir, full=False, kinds=None, core=False):
    from sglang_engineless.app import RELEASE, build_serving
    from sglang_engineless.make_tokenizer import write_model_dir

    plain_dir = write_model_dir(os.path.join(work_dir, "tok"), reasoning=False)
    reasoning_dir = write_model_dir(os.path.join(work_dir, "tok-reasoning"), reasoning=True)
    servers = {}
    results = {}
    runs_of = run_names(RELEASE)
    for name, spec in matrix(full, core):
        if kinds and spec["kind"] not in kinds:
            continue
        cfg = server_config(spec)
        key = json.dumps(cfg, sort_keys=True)
        if key not in servers:
            path = reasoning_dir if cfg["reasoning_parser"] else plain_dir
            servers[key] = build_serving(path, **cfg)
        tm, chat = servers[key]
        tm.set_delivery(*DELIVERIES[spec["delivery"]])
        base = request_body(spec)
        if spec["kind"] in CUT_KINDS:
            base["max_tokens"] = await _cut_max_tokens(chat, tm, base)
        runs = {}
        kind_runs = dict(runs_of)
        if spec["kind"] in TOKEN_ID_LOGPROB_KINDS:
            kind_runs.update(TOKEN_ID_RUNS)
        for run, (stream, fields) in kind_runs.items():
            runs[run] = await _call(chat, tm, dict(base, stream=stream, **fields))
        runs["request"] = base
        results[name] = runs
    return results


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m sglang_engineless.scenarios")
    ap.add_argument("out")
    ap.add_argument("work_dir")
    ap.add_argument("--full", action="store_true", help="n 1 and 2 under every delivery")
    ap.add_argument("--core", action="store_true", help="each kind under CORE_MODES only")
    ap.add_argument("--kinds", default="", help="comma-separated kinds to run (default: all)")
    args = ap.parse_args(sys.argv[1:] if argv is None else argv)
    kinds = {k for k in args.kinds.split(",") if k}
    unknown = kinds - set(KINDS)
    if unknown:
        ap.error(f"unknown kinds: {', '.join(sorted(unknown))}")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.makedirs(args.work_dir, exist_ok=True)
    import sglang

    from sglang_engineless.app import RELEASE

    results = asyncio.run(run_all(args.work_dir, args.full, kinds, args.core))
    with open(args.out, "w") as f:
        json.dump({"sglang": os.path.dirname(sglang.__file__), "release": RELEASE,
                   "scenarios": results}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
