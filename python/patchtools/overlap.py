"""Which contract clause a release already satisfies, and which diff adds it
(`npm run patches:overlap -- VERSION`).

    python -m patchtools.overlap VERSION [--series DIR] [--json] [--clauses ID,...]
                                 [--kinds K,...] [--python PY]

Measured, not read from changelogs: each clause of docs/token-ids-contract.md (CLAUSES:
stable ids, one line each) is a check on what a client of the engine-less harness
receives. The harness runs the release's real serving code unpatched ("stock"), then with
the first 1, 2, ... diffs of the series (patches/sglang-vVERSION/, or --series DIR)
applied; a clause's diff is the first one from which on it holds. A clause that holds on
stock is stock's; one that still fails with the whole series is reported as not satisfied
(and the exit status is 1).
Runs per copy: the chat scenarios on four server modes (patchtools.harness_run), the
/v1/completions scenarios on two (sglang_engineless.completions_scenarios) and the
protocol models (sglang_engineless.protocol_probe). --python names the interpreter that
can import the release (default: the project's .venv), for releases that need their own.
Output: a markdown table, or JSON with --json.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from patchtools.common import HARNESS, PYTHON, REPO, ToolError, fetch, patch_dir, patched_tree, run, series, version_of

# The contract's checks on the harness's client view (pure Python, shared with the tests).
sys.path.insert(0, str(REPO / "test/python/patches"))
from stream_checks import CHECKS, walk_keys  # noqa: E402

ID_KEYS = {"token_ids", "prompt_token_ids"}
# This copy of the tools (patchtools.harness_run runs from it in each harness process).
TOOLS = Path(__file__).resolve().parents[1]
COMPLETIONS_SERVERS = ["so0-si3", "so1-si1"]
FLAG_LAX = {"absent": None, "null": None, "true": True, "false": False, "str_true": True,
            "str_yes": True, "str_off": False, "str_0": False, "int_0": False, "int_1": True,
            "float_0": False}
FLAG_GARBAGE = ["invalid", "garbage", "int_2", "empty_str", "float_half", "list", "dict"]


def _id_keys(obj):
    return {k for k in walk_keys(obj) if k.rsplit(".", 1)[-1] in ID_KEYS}


def _body(result):
    return result.get("chunks", result.get("response"))


# ---- chat (/v1/chat/completions scenario matrix) ----

def _chat(check, msg_pred=lambda m: True, spec_pred=lambda s: True):
    def clause(data, stock):
        bad = []
        chat = data["chat"]
        for name, runs in chat["scenarios"].items():
            spec = chat["specs"][name]
            if spec_pred(spec):
                bad += [f"{name}: {m}" for m in CHECKS[check](runs, spec) if msg_pred(m)]
        return bad
    return clause


def _nonstream(m):
    return m.startswith("non-streaming") or m.startswith("len(prompt_token_ids)")


def chat_flag_false(data, stock):
    bad = []
    for name, runs in data["chat"]["scenarios"].items():
        for run_name in ("stream-false", "full-false"):
            got, want = _body(runs[run_name]), _body(stock["chat"]["scenarios"][name][run_name])
            if _id_keys(got):
                bad.append(f"{name} {run_name}: id keys {sorted(_id_keys(got))[:2]}")
            elif walk_keys(got) != walk_keys(want):
                bad.append(f"{name} {run_name}: keys differ from stock's")
    return bad


def chat_request_flag(data, stock):
    flags, bad = data["probe"]["flags"], []
    for label, want in FLAG_LAX.items():
        if flags[label].get("value", "<error>") != want:
            bad.append(f"return_token_ids {label}: {flags[label]} (want {want})")
    for label in FLAG_GARBAGE:
        locs = flags[label].get("error") or []
        if not any("return_token_ids" in loc for loc in locs):
            bad.append(f"return_token_ids {label}: accepted ({flags[label]}), want a validation error naming it")
    return bad


# ---- /v1/completions ----

def _completion_runs(data, flags=("default", "true")):
    for key in data["completions"]["runs"]:
        server, case, run_name = key.split("/")
        kind, flag = run_name.split("-")
        if kind == "full" and flag in flags:
            yield (server, case, flag, data["completions"]["cases"][case],
                   data["completions"]["runs"][f"{server}/{case}/stream-{flag}"],
                   data["completions"]["runs"][key])


def completions_ids(data, stock):
    bad = []
    for server, case, flag, body, stream, full in _completion_runs(data):
        where = f"{server}/{case}/{flag}"
        resp, engine = full["response"], full["engine"]
        for c in resp["choices"]:
            i = c["index"]
            if c.get("token_ids") != engine[i]["output_ids"] or c.get("prompt_token_ids") != engine[i]["prompt_ids"]:
                bad.append(f"{where}: non-streaming choice {i} ids are not the engine's")
        ids, prompt_on, first = defaultdict(list), defaultdict(list), {}
        for pos, chunk in enumerate(stream["chunks"]):
            for ch in chunk["choices"]:
                first.setdefault(ch["index"], pos)
                ids[ch["index"]] += ch.get("token_ids") or []
                if "prompt_token_ids" in ch:
                    prompt_on[ch["index"]].append(pos)
        for i in range(len(resp["choices"])):
            if ids[i] != stream["engine"][i]["output_ids"]:
                bad.append(f"{where}: streamed ids of choice {i} are not the engine's")
            if prompt_on[i] != [first.get(i)]:
                bad.append(f"{where}: prompt_token_ids of choice {i} on chunks {prompt_on[i]}")
    return bad


def completions_ids_placement(data, stock):
    """Each streamed chunk carries the ids of its own output: never an empty token_ids, and
    a choice that stopped on EOS has the EOS id on its finish chunk (0.5.23 reads the live
    list: with several choices the EOS went out a chunk early, the finish chunk got [])."""
    bad = []
    for server, case, flag, body, stream, full in _completion_runs(data):
        where = f"{server}/{case}/{flag}"
        for pos, chunk in enumerate(stream["chunks"]):
            for ch in chunk["choices"]:
                if "token_ids" in ch and not ch["token_ids"]:
                    bad.append(f"{where} chunk {pos}: empty token_ids")
        for i, e in enumerate(stream["engine"]):
            finish = [ch for chunk in stream["chunks"] for ch in chunk["choices"]
                      if ch["index"] == i and ch.get("finish_reason")]
            stopped_on_eos = finish and finish[-1]["finish_reason"] == "stop" and not isinstance(
                finish[-1].get("matched_stop"), str)
            if stopped_on_eos and (finish[-1].get("token_ids") or [None])[-1] != e["output_ids"][-1]:
                bad.append(f"{where}: the EOS id of choice {i} is not on its finish chunk")
    return bad


def completions_flag_false(data, stock):
    bad = []
    for key, result in data["completions"]["runs"].items():
        if key.endswith("-false"):
            got, want = _body(result), _body(stock["completions"]["runs"][key])
            if _id_keys(got):
                bad.append(f"{key}: id keys")
            elif walk_keys(got) != walk_keys(want):
                bad.append(f"{key}: keys differ from stock's")
    return bad


def completions_echo_text(data, stock):
    bad = []
    for server, case, flag, body, stream, full in _completion_runs(data, ("default", "false", "true")):
        if not body.get("echo"):
            continue
        text = defaultdict(str)
        for chunk in stream["chunks"]:
            for ch in chunk["choices"]:
                text[ch["index"]] += ch.get("text") or ""
        for c in full["response"]["choices"]:
            if text[c["index"]] != c["text"]:
                bad.append(f"{server}/{case}/{flag}: streamed text of choice {c['index']} != the response text")
    return bad


def completions_logprobs(data, stock):
    bad = []
    for server, case, flag, body, stream, full in _completion_runs(data):
        if body.get("logprobs") is None:
            continue
        total = defaultdict(int)
        for pos, chunk in enumerate(stream["chunks"]):
            for ch in chunk["choices"]:
                n_lp = len(((ch.get("logprobs") or {}).get("token_logprobs")) or [])
                n_ids = len(ch.get("token_ids") or [])
                total[ch["index"]] += n_lp
                if n_lp != n_ids:
                    bad.append(f"{server}/{case}/{flag} chunk {pos}: {n_lp} log-probabilities for {n_ids} ids")
        for i, e in enumerate(stream["engine"]):
            if total[i] != len(e["output_ids"]):
                bad.append(f"{server}/{case}/{flag}: {total[i]} streamed log-probabilities for {len(e['output_ids'])} tokens")
    return bad


def completions_request_flag(data, stock):
    bad = []
    for key, result in data["completions"]["flags"].items():
        if key.startswith("lax:") and result["status"] != 200:
            bad.append(f"{key}: status {result['status']}")
        if key.startswith("garbage:") and (result["status"] != 400 or "return_token_ids" not in json.dumps(result.get("body"))):
            bad.append(f"{key}: status {result['status']}, want a 400 naming return_token_ids")
    return bad


def server_default_env(data, stock):
    env, bad = data["completions"]["env_default"], []
    choice = lambda k: (env[k].get("response") or {}).get("choices", [{}])[0]  # noqa: E731
    if "token_ids" in choice("0/default"):
        bad.append("SGLANG_TOKEN_IDS_DEFAULT=0: ids without asking")
    if "token_ids" not in choice("0/true"):
        bad.append("SGLANG_TOKEN_IDS_DEFAULT=0: no ids with return_token_ids true")
    if env["invalid"] == "started":
        bad.append("SGLANG_TOKEN_IDS_DEFAULT=sometimes: the server started")
    return bad


# ---- vLLM's other id dialects (test/python/patches/dialects_probe.py, part "dialects") ----

def tokens_as_token_ids_flag(data, stock):
    d, bad = data["dialects"], []
    bad += [f"{path} {value} stream={stream}: HTTP {status}" for path, value, stream, status, named in d["invalid"]
            if status != 400 or not named]
    want = {"'yes'": [200, True], "1": [200, True], "'off'": [200, False], "0": [200, False], "None": [200, False]}
    bad += [f"return_tokens_as_token_ids {k}: {v}" for k, v in d["lax"].items() if want.get(k) != v]
    return bad


def tokens_as_token_ids_env(data, stock):
    env, bad = data["dialects"]["env"], []
    on = {"absent": [True, True], "true": [True, True], "false": [False, False]}
    off = {"absent": [False, False], "true": [True, True], "false": [False, False]}
    for value, want in (("", off), ("0", off), ("1", on), ("on", on)):
        if env.get(value) != want:
            bad.append(f"SGLANG_RETURN_TOKENS_AS_TOKEN_IDS={value!r}: {env.get(value)}")
    if "error" not in env.get("maybe", {}):
        bad.append("SGLANG_RETURN_TOKENS_AS_TOKEN_IDS=maybe: the server started")
    return bad


def completions_logprob_token_ids(data, stock):
    bad = []
    for stream in (False, True):
        for ids, tokens, tops in data["dialects"][f"completions_stream_{stream}"]:
            if tokens != [f"token_id:{i}" for i in ids] or not all(
                    top and all(k.startswith("token_id:") for k in top) for top in tops):
                bad.append(f"stream={stream}: tokens {tokens[:3]} for ids {ids[:3]}")
    return bad


def chat_top_logprobs_zero(data, stock):
    t = data["dialects"]["top0"]
    ok = t["entries"] == t["tokens"] == t["streamed_entries"] and t["tops"] == [0]
    return [] if ok else [f"top_logprobs 0: {t}"]


def tokenize_chat_form(data, stock):
    d, bad = data["dialects"], []
    for name, case in d["tokenize"].items():
        if case["status"] != 200 or case["body"].get("tokens") != case["chat_prompt_ids"]:
            bad.append(f"{name}: HTTP {case['status']}, tokens equal the chat prompt ids: "
                       f"{case['body'].get('tokens') == case['chat_prompt_ids']}")
        elif "token_strs" not in case["body"]:
            bad.append(f"{name}: no token_strs key (vLLM's response)")
    status, body, want = d["tokenize_strs"]
    if status != 200 or body.get("token_strs") != want:
        bad.append(f"return_token_strs: HTTP {status}, token_strs {str(body.get('token_strs'))[:60]}")
    if d["tokenize_chat_template"][0] != 400:
        bad.append(f"chat_template: HTTP {d['tokenize_chat_template'][0]} (silently ignored)")
    return bad


def completions_prompt_logprobs(data, stock):
    want = [["1", 400, True, False], ["0", 400, True, False], ["None", 200, False, False]]
    got = data["dialects"]["prompt_logprobs"]
    return [] if got == want else [f"prompt_logprobs: {got}"]


# id, one-line text (docs/token-ids-contract.md), measurement, harness part it needs.
CLAUSES = [
    ("chat.request-flag", "ChatCompletionRequest.return_token_ids is a pydantic Optional[bool]: lax spellings parse, garbage is a validation error naming it",
     chat_request_flag, "probe"),
    ("chat.nonstream-ids", "Non-streaming chat: top-level prompt_token_ids and choices[i].token_ids are exactly the engine's ids (flag absent: server default on)",
     _chat("ids_exact", _nonstream), "chat"),
    ("chat.stream-ids", "Streaming chat: per index the chunks' token_ids concatenate to exactly the engine's ids; prompt_token_ids on each index's first chunk only",
     _chat("ids_exact", lambda m: not _nonstream(m), lambda s: not s["stream_output"]), "chat"),
    ("chat.stream-output-ids", "The same under --stream-output (--incremental-streaming-output from 0.5.10.post1 on): ids of outputs that coalesce between two reads are not lost",
     _chat("ids_exact", lambda m: not _nonstream(m), lambda s: s["stream_output"]), "chat"),
    ("chat.ids-placement", "Ids ride on the chunk that emits their text; held-back ids on the next emitted chunk of the index; none on the role chunk",
     _chat("ids_placement"), "chat"),
    ("chat.logprobs-with-ids", "logprobs.content is 1:1 with token_ids on every streamed chunk and non-streaming, each entry its own id's",
     _chat("logprobs_alignment"), "chat"),
    ("chat.stream-text", "Streamed content, reasoning and tool calls equal the non-streaming message",
     _chat("text_fidelity"), "chat"),
    ("chat.ids-placement-live-list", "Ids ride on their text with n > 1 and the readers lagging the engine in cumulative mode (0.5.12 and 0.5.23 pass a live output_ids list): a chunk never takes ids of a later output",
     _chat("ids_placement", spec_pred=lambda s: s["delivery"] == "lag"), "chat"),
    ("chat.every-tool-call", "Every tool call of an answer streams (two <tool_call>s, a two-element tool_choice required array), however the outputs are bunched",
     _chat("text_fidelity", spec_pred=lambda s: s["kind"] in ("two_tool_calls", "required_two_calls")), "chat"),
    ("chat.text-after-tool-call", "Text after a tool call is in the message on both sides, streamed and not",
     _chat("text_fidelity", spec_pred=lambda s: s["kind"] == "text_after_tool_call"), "chat"),
    ("chat.reasoning-markup", "stream_reasoning false: the streamed reasoning_content carries no <think> tag, as the non-streaming one",
     _chat("text_fidelity", spec_pred=lambda s: s["kind"] == "reasoning_not_streamed"), "chat"),
    ("chat.flag-false-stock", "return_token_ids false: chat responses are key-for-key the stock release's",
     chat_flag_false, "chat"),
    ("completions.request-flag", "/v1/completions return_token_ids: lax spellings accepted, garbage a 400 naming it",
     completions_request_flag, "completions"),
    ("completions.ids", "/v1/completions: per-choice prompt_token_ids and token_ids exactly the engine's, streaming (prompt ids on each choice's first chunk) and not",
     completions_ids, "completions"),
    ("completions.ids-placement", "/v1/completions streaming: each chunk carries its own output's ids (never [], the EOS id on the finish chunk), with several choices too",
     completions_ids_placement, "completions"),
    ("completions.echo-stream-text", "/v1/completions with echo: the streamed text equals the response text",
     completions_echo_text, "completions"),
    ("completions.logprobs-with-ids", "/v1/completions streaming: each chunk's log-probabilities are 1:1 with its token_ids",
     completions_logprobs, "completions"),
    ("completions.flag-false-stock", "return_token_ids false: completions responses are key-for-key the stock release's",
     completions_flag_false, "completions"),
    ("server-default-env", "SGLANG_TOKEN_IDS_DEFAULT=0 makes ids opt-in; an invalid value stops the server",
     server_default_env, "completions"),
    ("tokens-as-token-ids.request-flag", "return_tokens_as_token_ids (chat, completions): lax spellings accepted, garbage a 400 naming it, streamed and not",
     tokens_as_token_ids_flag, "dialects"),
    ("tokens-as-token-ids.server-default-env", "SGLANG_RETURN_TOKENS_AS_TOKEN_IDS: the server default (off); an invalid value stops the server",
     tokens_as_token_ids_env, "dialects"),
    ("chat.logprob-token-ids", "With return_tokens_as_token_ids every chat logprob token is token_id:<id> of the chunk's token_ids, 1:1, vLLM's bytes, streamed and not",
     _chat("logprob_token_ids", spec_pred=lambda s: s["kind"].startswith("logprobs_")), "chat"),
    ("completions.logprob-token-ids", "With return_tokens_as_token_ids completions logprobs.tokens and top_logprobs keys are token_id:<id> of the chunk's token_ids (n = 2, streamed and not)",
     completions_logprob_token_ids, "dialects"),
    ("chat.top-logprobs-zero", "logprobs true, top_logprobs 0: one entry per token, empty top lists, streamed and not",
     chat_top_logprobs_zero, "dialects"),
    ("tokenize.chat-form", "/tokenize chat form (vLLM's TokenizeChatRequest): tokens equal the chat completion's prompt ids (messages, tools, template kwargs, continue_final_message), token_strs, chat_template refused",
     tokenize_chat_form, "dialects"),
    ("completions.prompt-logprobs-refused", "prompt_logprobs on /v1/completions: a 400 naming it, never silently ignored",
     completions_prompt_logprobs, "dialects"),
]
CLAUSE_IDS = [c[0] for c in CLAUSES]


def harness(tree: Path, work: Path, parts, python=PYTHON, kinds=(), modes="overlap"):
    """What the harness's client saw on the sglang copy in tree/sglang: {part: data}."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tree), str(HARNESS), str(TOOLS)]))
    env.pop("SGLANG_TOKEN_IDS_DEFAULT", None)
    work.mkdir(parents=True, exist_ok=True)
    if not set(parts) - {"dialects"}:  # the dialects probe is its own process
        return {"chat": {"scenarios": {}, "specs": {}}, "dialects": dialects(tree, work, python)}
    # One process per copy: each import of sglang costs more than a part's scenarios.
    args = [python, "-W", "ignore", "-m", "patchtools.harness_run", work / "run.json", work / "run", "--modes", modes]
    if "chat" not in parts:
        args.append("--no-chat")
    if kinds:
        args += ["--kinds", ",".join(kinds)]
    if "completions" in parts:
        args += ["--completions", ",".join(COMPLETIONS_SERVERS)]
    if "probe" in parts:
        args.append("--probe")
    proc = run(args, cwd=REPO, env=env, check=False, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"harness failed on {tree}:\n{proc.stderr[-3000:]}")
    data = json.loads((work / "run.json").read_text())
    if data["sglang"] != str(tree / "sglang"):
        raise RuntimeError(f"the harness imported {data['sglang']}, not {tree / 'sglang'}")
    out = {"chat": {"scenarios": data["scenarios"], "specs": data["specs"]}}
    for part in ("completions", "probe"):
        if part in data:
            out[part] = data[part]
    if "dialects" in parts:
        out["dialects"] = dialects(tree, work, python)
    return out


def dialects(tree: Path, work: Path, python=PYTHON):
    """vLLM's other id dialects on tree/sglang: test/python/patches/dialects_probe.py (the real
    chat, completions and /tokenize routes), in its own process."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tree), str(HARNESS)]))
    env.pop("SGLANG_RETURN_TOKENS_AS_TOKEN_IDS", None)
    proc = run([python, "-W", "ignore", str(REPO / "test/python/patches/dialects_probe.py"), work / "dialects-tok"],
               cwd=REPO, env=env, check=False, timeout=1800)
    if proc.returncode != 0:
        raise RuntimeError(f"dialects probe failed on {tree}:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_matrix(tree: Path, work: Path, python=PYTHON):
    """The chat scenario matrix (every default server mode) on tree/sglang."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tree), str(HARNESS), str(TOOLS)]))
    env.pop("SGLANG_TOKEN_IDS_DEFAULT", None)
    proc = run([python, "-W", "ignore", "-m", "patchtools.harness_run", work / "chat.json", work / "chat",
                "--modes", "all"], cwd=REPO, env=env, check=False, timeout=1800)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads((work / "chat.json").read_text())


def matrix_counts(chat):
    """Scenarios whose runs keep every check of the contract, of all."""
    total = len(chat["scenarios"])
    failing = defaultdict(int)
    passed = 0
    for name, runs in chat["scenarios"].items():
        found = [c for c, check in CHECKS.items() if check(runs, chat["specs"][name])]
        passed += not found
        for c in found:
            failing[c] += 1
    return {"passed": passed, "total": total, "failing_by_check": dict(failing)}


def verdicts(data, stock, clauses):
    out = {}
    for cid, _, fn, _ in clauses:
        bad = fn(data, stock)
        out[cid] = {"holds": not bad, "violations": len(bad), "example": bad[0][:200] if bad else None}
    return out


# Release -> how many leading diffs of its series the flag-false clauses compare with (the
# tests' OPT_OUT_BASELINE): 0.5.10.post1's 0001 restores the text --incremental-streaming-output
# cut, and with it the tool-call deltas stock never streamed.
OPT_OUT_BASELINE = {"0.5.10.post1": 1}


def measure(version, patches, clause_ids=None, kinds=(), python=PYTHON, log=lambda m: None, modes="overlap"):
    clauses = [c for c in CLAUSES if not clause_ids or c[0] in clause_ids]
    parts = {c[3] for c in clauses}
    src = fetch(version)
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="patches-overlap.") as tmp:
        tmp = Path(tmp)
        log(f"overlap: sglang {version} stock")
        stock = harness(src, tmp / "stock-run", parts, python, kinds, modes)
        runs = [("stock", stock)]
        for k in range(1, len(patches) + 1):
            log(f"overlap: sglang {version} + {patches[k - 1].name}")
            tree = patched_tree(version, patches[:k], tmp / f"tree-{k}", src)
            runs.append((patches[k - 1].name, harness(tree, tmp / f"run-{k}", parts, python, kinds, modes)))
        # What "false is key-for-key stock" compares with: stock, or stock with the first
        # OPT_OUT_BASELINE[version] diffs (a deliberate fix of stock's streamed text that
        # changes which keys a stream has), so the clause is then added by that fix.
        reference = runs[min(OPT_OUT_BASELINE.get(version, 0), len(patches))][1]
        steps = [(name, verdicts(data, reference, clauses)) for name, data in runs]
    rows = []
    for cid, text, _, _ in clauses:
        holds = [v[cid]["holds"] for _, v in steps]
        added = None
        if all(holds):
            added = "stock"
        elif holds[-1]:
            first = max(k for k in range(len(holds)) if not holds[k]) + 1
            added = steps[first][0]
        rows.append({"id": cid, "text": text, "stock": holds[0], "with_series": holds[-1],
                     "added_by": added,
                     "holds_after": {name: v[cid]["holds"] for name, v in steps},
                     "stock_example": steps[0][1][cid]["example"],
                     "series_example": steps[-1][1][cid]["example"]})
    return {"release": version, "series": [p.name for p in patches], "clauses": rows,
            "seconds": round(time.monotonic() - start, 1), "modes": modes}


def markdown(report):
    lines = [f"Contract clauses on sglang {report['release']} (engine-less harness; "
             f"series: {len(report['series'])} diffs)", "",
             "| clause | what | stock satisfies | added by |", "| --- | --- | --- | --- |"]
    for r in report["clauses"]:
        if r["added_by"] == "stock":
            added = "(stock)"
        elif r["added_by"]:
            added = f"`{r['added_by']}`"
        else:
            added = "NOT SATISFIED with the series"
        lines.append(f"| `{r['id']}` | {r['text']} | {'yes' if r['stock'] else 'no'} | {added} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="npm run patches:overlap --", description=__doc__.split("\n\n")[0])
    ap.add_argument("version")
    ap.add_argument("--series", type=Path, help="a series folder (default patches/sglang-vVERSION/)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--clauses", default="", help="comma-separated clause ids (default: all)")
    ap.add_argument("--kinds", default="", help="chat scenario kinds (default: all)")
    ap.add_argument("--modes", default="overlap", choices=("overlap", "one", "all"),
                    help="chat server modes: four that show every known defect (default), one, or every one")
    ap.add_argument("--python", default=os.environ.get("SGLANG_HARNESS_PYTHON", PYTHON),
                    help="interpreter that imports the release (default: .venv's; env SGLANG_HARNESS_PYTHON)")
    args = ap.parse_args(argv)
    try:
        version = version_of(args.version)
        folder = args.series or patch_dir(version)
        patches = series(folder)
        if not folder.is_dir():
            raise ToolError(f"no series folder {folder}")
        chosen = [c for c in args.clauses.split(",") if c]
        unknown = set(chosen) - set(CLAUSE_IDS)
        if unknown:
            raise ToolError(f"unknown clauses {sorted(unknown)}; known: {', '.join(CLAUSE_IDS)}")
        report = measure(version, patches, chosen, [k for k in args.kinds.split(",") if k], args.python,
                         log=lambda m: print(m, file=sys.stderr), modes=args.modes)
    except ToolError as e:
        print(f"patches:overlap: {e}", file=sys.stderr)
        return 2
    except RuntimeError as e:
        print(f"patches:overlap: {e}", file=sys.stderr)
        return 1
    print(json.dumps(report, indent=1) if args.json else markdown(report))
    return 0 if all(r["with_series"] for r in report["clauses"]) else 1


if __name__ == "__main__":
    sys.exit(main())
