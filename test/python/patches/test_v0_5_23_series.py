"""The series of each later release (0.5.19, 0.5.20, 0.5.23: SERIES_RELEASES) against its stock
release, through that release's own serving code; every test runs once per release.

Both ship id fields of their own (return_prompt_token_ids, return_token_ids ->
choices[].prompt_token_ids + response_token_ids, sglext input_ids/output_ids, completions'
token_ids). The series adds vLLM's shape next to them. These tests feed the same engine
outputs to the real OpenAIServingChat / OpenAIServingCompletion of the stock and the patched
release and compare what comes out: upstream's own fields exactly as stock, both shapes in
one request, stream=true with return_token_ids not refused, false key-for-key stock, the
server default reaching vLLM's fields only. Also the stock-release bugs the series still
fixes there (detokenizer, function-call parser), each shown on stock and fixed on the
patched copy; those two also run on the releases of SERIES_PARTS_RELEASES (0.5.10.post1,
0.5.13.post1, 0.5.15.post1: the same fixes in their series, their serving code not the probe's), each in its
own environment, through PARTS_PROBE.

0.5.19 ships the same fields but sglext's ids (0.5.20+): there its sglext flags are unknown
fields, ignored by stock and patched alike (checked as such). 0.5.20 has sglext's ids (its
serving code otherwise 0.5.19's: the 0.5.19 series ported). Its serving code reads
server_args.incremental_streaming_output where 0.5.23 reads get_serving(): the probe's stand-in
tokenizer manager answers both.

Their serving code needs newer libraries than .venv (transformers 5.x, xgrammar 0.2.x, ...):
the probe runs in the release's environment (scripts/release-env.sh RELEASE), one process per
copy, the two at once (importing the serving code is most of the cost).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sglang_engineless.adapters import RELEASE_FLAGS  # noqa: E402  (no sglang import)

ROOT = Path(__file__).resolve().parents[3]
SERIES_RELEASES = ("0.5.19", "0.5.20", "0.5.23")


# The release-independent parts of the probe (function-call parser, detokenizer): they run on
# every release with a series written on v0.5.9's parser and detokenizer fixes (SERIES_PARTS_RELEASES).
PARSER_AND_DETOKENIZER = r'''
def parser():
    tools = [Tool(type="function", function={"name": "get_weather", "parameters": {
        "type": "object", "properties": {"city": {"type": "string"}}}})]
    d = Qwen25Detector()
    text = 'The answer<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>'
    r = d.parse_streaming_increment(text, tools)
    return {"normal_text": r.normal_text, "names": [c.name for c in r.calls],
            "arguments": "".join(c.parameters or "" for c in r.calls),
            "recorded": d.prev_tool_call_arr}

def detokenize(k):
    """What the release's DetokenizerManager streams for TEXT fed k tokens per engine step."""
    from transformers import AutoTokenizer
    import sglang.srt.managers.detokenizer_manager as dm
    tok = AutoTokenizer.from_pretrained(sys.argv[3])
    ids = tok.encode(TEXT, add_special_tokens=False) + [tok.convert_tokens_to_ids("<|im_end|>")]
    d = dm.DetokenizerManager.__new__(dm.DetokenizerManager)
    d.decode_status = {}
    d.tokenizer = tok
    d.vocab_size = len(tok)
    d.disable_tokenizer_batch_decode = True
    d.is_tool_call_parser_gpt_oss = False
    d.tool_close_token_ids = set()
    out = []
    for start in range(0, len(ids), k):
        last = start + k >= len(ids)
        recv = types.SimpleNamespace(
            rids=["r"], decoded_texts=[""], decode_ids=[ids[start:start + k]], read_offsets=[0],
            finished_reasons=[{"type": "stop", "matched": ids[-1]} if last else None],
            no_stop_trim=[False], skip_special_tokens=[True],
            spaces_between_special_tokens=[True])
        out.append(d._decode_batch_token_id_output(recv)[0])
    return out

TEXT = "The answer你🙂好"
'''

# Runs inside the release's environment with one sglang copy first on sys.path; prints JSON.
PROBE = r'''
import asyncio, json, os, sys, types
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import sglang_engineless.cpu_shims as shims
shims.install()
import sglang.srt.entrypoints.openai.serving_chat as sc
import sglang.srt.entrypoints.openai.serving_completions as scmp
from sglang.srt.entrypoints.openai.protocol import ChatCompletionRequest, CompletionRequest, Tool
from sglang.srt.function_call.qwen25_detector import Qwen25Detector

MODE = {"incremental": False, "live": False}
def serving():
    return types.SimpleNamespace(
        incremental_streaming_output=MODE["incremental"], return_input_ids=False,
        return_output_ids=False, stream_response_default_include_usage=False,
        enable_cache_report=False)
sc.get_serving = serving
scmp.get_serving = serving

PROMPT = [101, 102, 103, 104]
# (text, ids) per engine step; 9 is EOS (no text)
STEPS = [("Hel", [11]), ("lo", [12]), (" wor", [13, 14]), ("ld", [15]), ("", [9])]

def logprob(pos, tid):
    return -0.01 * (pos + 1) - 0.001 * tid

class TM:
    tokenizer = None
    # 0.5.19 reads the flags from the manager's server_args, 0.5.23 from get_serving()
    server_args = property(lambda self: serving())
    model_config = types.SimpleNamespace(is_multimodal=False)
    def __init__(self, n=1):
        self.n = n
    def outputs(self, index):
        text, ids, lps, out = "", [], [], []
        for k, (t, new) in enumerate(STEPS):
            start = len(ids)
            text += t
            ids += new
            lps += [(logprob(start + j, tid), tid, "t%d" % tid) for j, tid in enumerate(new)]
            last = k == len(STEPS) - 1
            inc = MODE["incremental"]
            meta = {"id": "x", "prompt_tokens": len(PROMPT), "completion_tokens": len(ids),
                    "cached_tokens": 0, "weight_version": "default",
                    "finish_reason": {"type": "stop", "matched": 9} if last else None,
                    "output_token_logprobs": lps[start:] if inc else list(lps),
                    "output_top_logprobs": [[] for _ in (lps[start:] if inc else lps)],
                    "output_token_logprobs_length": len(lps)}
            out.append({"index": index, "text": t if inc else text,
                        "output_ids": list(new) if inc else list(ids),
                        "meta_info": meta, "prompt_token_ids": list(PROMPT)})
        if MODE["live"]:
            # Read after every output of the request was handled (as the choices of n > 1
            # are read in turn): each output holds the request's live lists and text.
            for o in out:
                o["text"], o["output_ids"] = text, ids
                o["meta_info"]["output_token_logprobs"] = lps
                o["meta_info"]["output_top_logprobs"] = [[] for _ in lps]
        return out
    async def generate_request(self, adapted, raw):
        if adapted.stream:
            for index in range(self.n):
                for o in self.outputs(index):
                    if not adapted.return_prompt_token_ids:
                        o.pop("prompt_token_ids")
                    yield o
        else:
            ret = []
            for index in range(self.n):
                o = self.outputs(index)[-1]
                if MODE["incremental"]:
                    o = self.outputs(index)[-1]
                if not adapted.return_prompt_token_ids:
                    o.pop("prompt_token_ids")
                o["text"] = "".join(t for t, _ in STEPS)
                o["output_ids"] = [i for _, ids in STEPS for i in ids]
                ret.append(o)
            yield ret

def chat_serving(n=1):
    s = sc.OpenAIServingChat.__new__(sc.OpenAIServingChat)
    s.tokenizer_manager = TM(n)
    s.template_manager = types.SimpleNamespace(reasoning_config=None, force_reasoning=False)
    s.reasoning_parser = None
    s.tool_call_parser = None
    s.chat_encoding_spec = None
    s._encoding_adapter = None
    s.is_gpt_oss = False
    s.is_gemma4 = False  # 0.5.19's request conversion reads it
    if hasattr(sc, "_token_ids_default_from_env"):
        s.token_ids_default = sc._token_ids_default_from_env()
    if hasattr(sc, "tokens_as_token_ids_default"):  # the patched __init__ sets it (0012)
        s.tokens_as_token_ids_default = sc.tokens_as_token_ids_default()
    return s

def completion_serving(n=1):
    s = scmp.OpenAIServingCompletion.__new__(scmp.OpenAIServingCompletion)
    s.tokenizer_manager = TM(n)
    s.template_manager = None
    if hasattr(scmp, "_token_ids_default_from_env"):
        s.token_ids_default = scmp._token_ids_default_from_env()
    if hasattr(scmp, "tokens_as_token_ids_default"):
        s.tokens_as_token_ids_default = scmp.tokens_as_token_ids_default()
    return s

def adapted(req, wants_prompt):
    return types.SimpleNamespace(stream=req.stream, return_prompt_token_ids=wants_prompt)

def prompt_flag(s, req):
    # what _convert_to_internal_request asks the engine for (the patched copy adds vLLM's flag)
    base = bool(getattr(req, "return_prompt_token_ids", False) or req.return_token_ids
                or getattr(req, "return_input_ids_in_sglext", False))
    return base or (hasattr(s, "_wants_token_ids") and s._wants_token_ids(req))

async def collect(gen):
    return [c async for c in gen]

def chunks(raw):
    out = []
    for c in raw:
        for line in c.split("\n"):
            if line.startswith("data: ") and line != "data: [DONE]":
                d = json.loads(line[6:])
                d.pop("created", None)
                out.append(d)
    return out

def chat(body, stream, n=1):
    req = ChatCompletionRequest(model="m", messages=[{"role": "user", "content": "hi"}],
                                stream=stream, n=n, **body)
    s = chat_serving(n)
    a = adapted(req, prompt_flag(s, req))
    if stream:
        return chunks(asyncio.run(collect(s._generate_chat_stream(a, req, None))))
    ret = asyncio.run(collect(s.tokenizer_manager.generate_request(a, None)))[0]
    return json.loads(s._build_chat_response(req, ret, 0).model_dump_json())

def completion(body, stream, n=1):
    req = CompletionRequest(model="m", prompt=PROMPT, stream=stream, n=n, **body)
    s = completion_serving(n)
    a = adapted(req, s._wants_token_ids(req) if hasattr(s, "_wants_token_ids")
                else bool(req.return_token_ids))
    if stream:
        return chunks(asyncio.run(collect(s._generate_completion_stream(a, req, None))))
    ret = asyncio.run(collect(s.tokenizer_manager.generate_request(a, None)))[0]
    return json.loads(s._build_completion_response(req, ret, 0).model_dump_json())

def refusal(body):
    req = ChatCompletionRequest(model="m", messages=[{"role": "user", "content": "hi"}],
                                stream=True, **body)
    try:
        chat_serving()._convert_to_internal_request(req, None)
    except ValueError as e:
        return str(e)
    except Exception as e:  # the stand-ins stop the conversion after the stream check
        return "past the stream check: " + type(e).__name__
    return "past the stream check"

BODIES = {
    "absent": {}, "false": {"return_token_ids": False}, "true": {"return_token_ids": True},
    "prompt_only": {"return_prompt_token_ids": True},
    "sglext": {"return_input_ids_in_sglext": True, "return_output_ids_in_sglext": True},
    "logprobs_true": {"return_token_ids": True, "logprobs": True, "top_logprobs": 0},
    "logprobs_false": {"return_token_ids": False, "logprobs": True},
}
def run_all():
    result = {"chat": {}, "completions": {}}
    for mode in (False, True):
        MODE["incremental"] = mode
        key = "incremental" if mode else "cumulative"
        r = result["chat"][key] = {}
        for name, body in BODIES.items():
            r[name] = {"nonstream": chat(body, False)}
            r[name]["stream"] = (chat(body, True) if not body.get("return_prompt_token_ids")
                                 else None)
        r["n2_absent_stream"] = chat({}, True, n=2)
        c = result["completions"][key] = {}
        for name in ("absent", "false", "true"):
            c[name] = {"nonstream": completion(BODIES[name], False),
                       "stream": completion(BODIES[name], True)}
    return result

''' + PARSER_AND_DETOKENIZER + r'''
out = {}
for default in ("1", "0"):
    os.environ["SGLANG_TOKEN_IDS_DEFAULT"] = default
    out["default_" + default] = run_all()
MODE["incremental"], MODE["live"] = False, True
out["completions_live"] = {
    name: completion({"return_token_ids": flag, "logprobs": 0}, True)
    for name, flag in (("true", True), ("false", False))
}
MODE["live"] = False
out["refusal"] = {name: refusal(BODIES[name]) for name in ("true", "false", "prompt_only")}
out["parser"] = parser()
out["detokenizer"] = {"text": TEXT, "runs": {str(k): detokenize(k) for k in (1, 2, 3, 4, 5)}}
print("PROBE-JSON " + json.dumps(out))
'''

# The parser and detokenizer parts alone, for the releases of SERIES_PARTS_RELEASES.
PARTS_PROBE = r'''
import json, os, sys, types
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import sglang_engineless.cpu_shims as shims
shims.install()
from sglang.srt.entrypoints.openai.protocol import Tool
from sglang.srt.function_call.qwen25_detector import Qwen25Detector
''' + PARSER_AND_DETOKENIZER + r'''
out = {"parser": parser(),
       "detokenizer": {"text": TEXT, "runs": {str(k): detokenize(k) for k in (1, 2, 3, 4, 5)}}}
print("PROBE-JSON " + json.dumps(out))
'''
# Releases whose series carries v0.5.9's parser and detokenizer fixes unchanged (keep normal
# text before a call, arguments sent with the name, parse on after a whole call, never re-send
# streamed text) against a stock parser and detokenizer that still have the bugs.
SERIES_PARTS_RELEASES = ("0.5.10.post1", "0.5.13.post1", "0.5.15.post1")


def _start_probe(python, copy_dir, tokenizer_dir, probe=PROBE):
    return subprocess.Popen(
        [python, "-c", probe, str(copy_dir), str(ROOT / "python" / "harness"), str(tokenizer_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def _result(proc):
    stdout, stderr = proc.communicate(timeout=600)
    lines = [ln for ln in stdout.splitlines() if ln.startswith("PROBE-JSON ")]
    assert proc.returncode == 0 and lines, stderr[-4000:]
    return json.loads(lines[-1][len("PROBE-JSON ") :])


def _tokenizer(tmp_path_factory, label):
    tokenizer = tmp_path_factory.mktemp(f"tokenizer-{label}")
    subprocess.run(
        [sys.executable, "-m", "sglang_engineless.make_tokenizer", str(tokenizer)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "python" / "harness")},
    )
    return tokenizer


@pytest.fixture(scope="module", params=SERIES_RELEASES)
def release(request):
    return request.param


@pytest.fixture(scope="module")
def probes(release_files, tmp_path_factory, release):
    """The probe's answers from the stock and the patched copy, run side by side."""
    # SGLANG_V0_5_23_PYTHON runs 0.5.23's probes with another interpreter holding its libraries.
    python = (os.environ.get("SGLANG_V0_5_23_PYTHON") if release == "0.5.23" else None) \
        or release_files.python(release)
    tokenizer = _tokenizer(tmp_path_factory, release)
    running = {
        "stock": _start_probe(python, release_files.stock(release), tokenizer),
        "patched": _start_probe(python, release_files.patched(release), tokenizer),
    }
    return {name: _result(proc) for name, proc in running.items()}


@pytest.fixture(scope="module")
def parts(release_files, tmp_path_factory):
    """release -> (stock, patched) answers of the parser and detokenizer parts, from PARTS_PROBE
    in that release's environment."""
    cache = {}

    def get(release):
        if release not in cache:
            python = release_files.python(release)
            tokenizer = tmp_path_factory.mktemp(f"tokenizer-{release}")
            subprocess.run([sys.executable, "-m", "sglang_engineless.make_tokenizer", str(tokenizer)],
                           cwd=ROOT, check=True, capture_output=True,
                           env={**os.environ, "PYTHONPATH": str(ROOT / "python" / "harness")})
            running = [_start_probe(python, copy, tokenizer, PARTS_PROBE)
                       for copy in (release_files.stock(release), release_files.patched(release))]
            cache[release] = tuple(_result(proc) for proc in running)
        return cache[release]

    return get


@pytest.fixture(scope="module")
def stock(probes):
    return probes["stock"]["default_1"] | {
        k: v for k, v in probes["stock"].items() if not k.startswith("default_")
    }


@pytest.fixture(scope="module")
def patched(probes):
    return probes["patched"]["default_1"] | {
        k: v for k, v in probes["patched"].items() if not k.startswith("default_")
    }


@pytest.fixture(scope="module")
def patched_default_off(probes):
    return probes["patched"]["default_0"]


MODES = ("cumulative", "incremental")
ENGINE_IDS = [11, 12, 13, 14, 15, 9]
PROMPT = [101, 102, 103, 104]
VLLM_TOP = "prompt_token_ids"


def _without_vllm_chat(resp):
    """A chat response or chunk (or a list of chunks) minus vLLM's keys (top-level
    prompt_token_ids, choices[].token_ids)."""
    if isinstance(resp, list):
        return [_without_vllm_chat(chunk) for chunk in resp]
    resp = json.loads(json.dumps(resp))
    resp.pop(VLLM_TOP, None)
    for choice in resp.get("choices", []):
        choice.pop("token_ids", None)
    return resp


def _stream_ids(chunks, index=0):
    return [
        i
        for c in chunks
        for ch in c["choices"]
        if ch["index"] == index
        for i in ch.get("token_ids", [])
    ]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", ["false", "prompt_only", "sglext", "logprobs_false"])
def test_upstream_fields_and_false_are_stock_key_for_key(stock, patched, mode, name):
    """return_token_ids false, and upstream's own flags with it false, answer as stock does."""
    body = {"prompt_only": "return_prompt_token_ids"}.get(name)
    for kind in ("nonstream", "stream"):
        got, want = patched["chat"][mode][name][kind], stock["chat"][mode][name][kind]
        if body and kind == "stream":
            continue  # stock refuses it; see test_refusals
        if name in ("prompt_only", "sglext"):
            # flag absent: the server default adds vLLM's keys, nothing else changes
            assert _without_vllm_chat(got) == want, (kind, got, want)
        else:
            assert got == want, (kind, got, want)


@pytest.mark.parametrize("mode", MODES)
def test_upstream_fields_present_exactly_as_stock(stock, patched, mode, release):
    s = stock["chat"][mode]
    p = patched["chat"][mode]
    # return_prompt_token_ids: choices[].prompt_token_ids as stock, no response ids
    assert s["prompt_only"]["nonstream"]["choices"][0]["prompt_token_ids"] == PROMPT
    assert (
        _without_vllm_chat(p["prompt_only"]["nonstream"])
        == s["prompt_only"]["nonstream"]
    )
    if not RELEASE_FLAGS[release].SGLEXT_IDS:
        # before 0.5.20 the sglext flags are unknown fields: no sglext, streamed or not
        assert "sglext" not in s["sglext"]["nonstream"]
        assert not [c for c in s["sglext"]["stream"] + p["sglext"]["stream"] if "sglext" in c]
    else:
        # sglext input_ids/output_ids, streamed once at the end and non-streamed, as stock
        assert s["sglext"]["nonstream"]["sglext"] == {
            "input_ids": PROMPT,
            "output_ids": [ENGINE_IDS],
        }
        assert p["sglext"]["nonstream"]["sglext"] == s["sglext"]["nonstream"]["sglext"]
        assert [c for c in p["sglext"]["stream"] if "sglext" in c] == [
            c for c in s["sglext"]["stream"] if "sglext" in c
        ]
    # return_token_ids true: upstream's per-choice fields unchanged
    up = s["true"]["nonstream"]["choices"][0]
    assert up["prompt_token_ids"] == PROMPT and up["response_token_ids"] == ENGINE_IDS
    assert _without_vllm_chat(p["true"]["nonstream"]) == s["true"]["nonstream"]


@pytest.mark.parametrize("mode", MODES)
def test_return_token_ids_true_answers_both_shapes(patched, mode):
    resp = patched["chat"][mode]["true"]["nonstream"]
    choice = resp["choices"][0]
    assert resp["prompt_token_ids"] == PROMPT  # vLLM: top level
    assert choice["token_ids"] == ENGINE_IDS
    assert choice["prompt_token_ids"] == PROMPT  # the release's own
    assert choice["response_token_ids"] == ENGINE_IDS
    # streamed: vLLM's shape (the release has no streamed shape for this flag)
    chunks = patched["chat"][mode]["true"]["stream"]
    assert chunks[0][VLLM_TOP] == PROMPT and "token_ids" not in chunks[0]["choices"][0]
    assert [c for c in chunks if VLLM_TOP in c] == chunks[:1]
    assert _stream_ids(chunks) == ENGINE_IDS


def test_refusals(stock, patched):
    assert (
        "return_token_ids is not supported with streaming" in stock["refusal"]["true"]
    )
    assert patched["refusal"]["true"].startswith("past the stream check")
    assert patched["refusal"]["false"] == stock["refusal"]["false"]
    # upstream's own non-streaming-only flag keeps upstream's 400
    assert patched["refusal"]["prompt_only"] == stock["refusal"]["prompt_only"]
    assert "return_prompt_token_ids is not supported" in stock["refusal"]["prompt_only"]


@pytest.mark.parametrize("mode", MODES)
def test_absent_flag_default_reaches_vllm_fields_only(
    stock, patched, patched_default_off, mode
):
    got = patched["chat"][mode]["absent"]
    assert got["nonstream"]["prompt_token_ids"] == PROMPT
    assert got["nonstream"]["choices"][0]["token_ids"] == ENGINE_IDS
    assert "response_token_ids" not in got["nonstream"]["choices"][0]
    assert "prompt_token_ids" not in got["nonstream"]["choices"][0]
    assert (
        _without_vllm_chat(got["nonstream"])
        == stock["chat"][mode]["absent"]["nonstream"]
    )
    assert _stream_ids(got["stream"]) == ENGINE_IDS
    assert _without_vllm_chat(got["stream"]) == stock["chat"][mode]["absent"]["stream"]
    # SGLANG_TOKEN_IDS_DEFAULT=0: absent is stock
    off = patched_default_off["chat"][mode]["absent"]
    assert off == stock["chat"][mode]["absent"]


@pytest.mark.parametrize("mode", MODES)
def test_stream_n2_prompt_ids_once_per_index(patched, mode):
    chunks = patched["chat"][mode]["n2_absent_stream"]
    for index in (0, 1):
        mine = [c for c in chunks if c["choices"] and c["choices"][0]["index"] == index]
        assert mine[0][VLLM_TOP] == PROMPT
        assert all(VLLM_TOP not in c for c in mine[1:])
        assert _stream_ids(chunks, index) == ENGINE_IDS


@pytest.mark.parametrize("mode", MODES)
def test_logprobs_one_per_id_on_every_chunk(stock, patched, mode):
    chunks = patched["chat"][mode]["logprobs_true"]["stream"]
    seen = 0
    for c in chunks:
        for ch in c["choices"]:
            ids = ch.get("token_ids", [])
            lps = (ch.get("logprobs") or {}).get("content") or []
            assert len(lps) == len(ids), c
            for j, tid in enumerate(ids):
                assert lps[j]["logprob"] == pytest.approx(
                    -0.01 * (seen + j + 1) - 0.001 * tid
                )
            seen += len(ids)
    assert seen == len(ENGINE_IDS)
    # stock attaches a step's log-probabilities to its text chunk: the EOS step has no
    # text, so its log-probability never goes out while its id does (with the ids on)
    stock_lps = [
        e
        for c in stock["chat"][mode]["logprobs_false"]["stream"]
        for ch in c["choices"]
        for e in ((ch.get("logprobs") or {}).get("content") or [])
    ]
    assert len(stock_lps) < len(ENGINE_IDS)


@pytest.mark.parametrize("mode", MODES)
def test_completions(stock, patched, patched_default_off, mode):
    s, p = stock["completions"][mode], patched["completions"][mode]
    # upstream's own true and false: exactly stock
    assert p["true"] == s["true"] and p["false"] == s["false"]
    assert s["true"]["nonstream"]["choices"][0]["token_ids"] == ENGINE_IDS
    assert s["true"]["nonstream"]["choices"][0]["prompt_token_ids"] == PROMPT
    # absent: the server default, same fields as true
    assert p["absent"] == s["true"]
    assert patched_default_off["completions"][mode]["absent"] == s["absent"]
    assert "token_ids" not in s["absent"]["nonstream"]["choices"][0]


def test_completions_logprobs_travel_with_ids(stock, patched):
    """0008: a completions output read after later ones of its request were handled carries
    their ids (the live list); stock stops its log-probabilities at the output's recorded
    length, so they lag the ids; patched, each chunk carries one per id."""

    def pairs(chunks):
        return [
            (
                len(ch.get("token_ids") or []),
                len((ch.get("logprobs") or {}).get("token_logprobs") or []),
            )
            for c in chunks
            for ch in c["choices"]
        ]

    assert any(a != b for a, b in pairs(stock["completions_live"]["true"]))
    assert all(a == b for a, b in pairs(patched["completions_live"]["true"]))
    assert sum(a for a, _ in pairs(patched["completions_live"]["true"])) == len(
        ENGINE_IDS
    )
    # ids off: the log-probabilities are stock's
    assert patched["completions_live"]["false"] == stock["completions_live"]["false"]


def test_parser_keeps_text_and_arguments_that_come_with_the_call(stock, patched):
    """0006/0007/0009: stock drops the text before a call in the same piece, records
    nothing for a call whose name and arguments came in one piece and sends only its name;
    patched, the arguments follow in the same piece (0009 parses on after a whole call)."""
    assert_parser_fixed(stock, patched)


@pytest.mark.parametrize("release", SERIES_PARTS_RELEASES)
def test_parser_fix_on_the_releases_probed_in_part(parts, release):
    """The same on 0.5.13.post1 and 0.5.15.post1 (their 0006/0007/0009) and 0.5.10.post1 (its
    0006/0007/0010)."""
    assert_parser_fixed(*parts(release))


def assert_parser_fixed(stock, patched):
    assert stock["parser"]["normal_text"] == ""
    assert stock["parser"]["recorded"] == []
    assert stock["parser"]["names"] == ["get_weather"] and stock["parser"]["arguments"] == ""
    assert patched["parser"]["normal_text"] == "The answer"
    assert patched["parser"]["recorded"] == [
        {"name": "get_weather", "arguments": {"city": "Paris"}}
    ]
    assert patched["parser"]["names"] == ["get_weather", None]
    assert patched["parser"]["arguments"] == '{"city": "Paris"}'


def _repeats(run, text):
    return "".join(run) != text


def test_detokenizer_never_resends_streamed_text(stock, patched):
    """0004: stock moves sent_offset back when the printable prefix of held-back
    UTF-8 shrinks, and sends text again; patched, every chunking streams the text once."""
    assert_detokenizer_fixed(stock, patched)


@pytest.mark.parametrize("release", SERIES_PARTS_RELEASES)
def test_detokenizer_fix_on_the_releases_probed_in_part(parts, release):
    """The same on 0.5.13.post1 and 0.5.15.post1 (their 0004) and 0.5.10.post1 (its 0005)."""
    assert_detokenizer_fixed(*parts(release))


def assert_detokenizer_fixed(stock, patched):
    text = stock["detokenizer"]["text"]
    assert any(_repeats(run, text) for run in stock["detokenizer"]["runs"].values())
    for k, run in patched["detokenizer"]["runs"].items():
        assert "".join(run) == text, (k, run)
    # where stock was right, the patched chunks are stock's
    for k, run in stock["detokenizer"]["runs"].items():
        if not _repeats(run, text):
            assert patched["detokenizer"]["runs"][k] == run
