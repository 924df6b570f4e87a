"""What the token-ids contract says about one scenario's client view, as checks.

Each check takes a scenario's runs (from sglang_engineless.scenarios) and returns a list of
violations (empty: holds). Tests assert that the patched series has none and that stock
v0.5.9, or the series without one diff, has the ones that diff removes. Pure Python: no
sglang import.
"""

from collections import defaultdict

CUT_KINDS = {"tool_cut_auto", "tool_cut_required", "tool_cut_named"}


def walk_keys(obj, path=""):
    """Every key path in a JSON value (list positions collapsed)."""
    keys = set()
    if isinstance(obj, dict):
        for k, v in obj.items():
            keys.add(f"{path}.{k}")
            keys |= walk_keys(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for v in obj:
            keys |= walk_keys(v, f"{path}[]")
    return keys


def _choice(chunk):
    return chunk["choices"][0] if chunk["choices"] else None


def _is_role(choice):
    return "role" in choice["delta"] and choice["delta"]["role"] is not None


def _emits(choice):
    """A chunk that emits text (content, reasoning, tool call) or finishes its index."""
    delta = choice["delta"]
    return bool(
        delta.get("content") or delta.get("reasoning_content") or delta.get("tool_calls")
        or choice.get("finish_reason")
    ) and not _is_role(choice)


def stream_ids(chunks):
    ids = defaultdict(list)
    for chunk in chunks:
        for choice in chunk["choices"]:
            ids[choice["index"]].extend(choice.get("token_ids") or [])
    return ids


def ids_exact(runs, spec):
    """Streamed and non-streamed ids equal the engine's, prompt ids on each index's first
    chunk only, no empty or null id keys."""
    bad = []
    n = spec["n"]
    stream = runs["stream-default"]
    engine = stream["engine"]
    if not stream["done"]:
        bad.append("stream did not end with [DONE]")
    first, prompt_on = {}, defaultdict(list)
    for pos, chunk in enumerate(stream["chunks"]):
        for choice in chunk["choices"]:
            first.setdefault(choice["index"], pos)
            if "token_ids" in choice and not choice["token_ids"]:
                bad.append(f"chunk {pos}: empty or null token_ids")
        if "prompt_token_ids" in chunk:
            if not chunk["prompt_token_ids"] or len(chunk["choices"]) != 1:
                bad.append(f"chunk {pos}: prompt_token_ids empty or on a multi-choice chunk")
            else:
                prompt_on[chunk["choices"][0]["index"]].append((pos, chunk["prompt_token_ids"]))
    ids = stream_ids(stream["chunks"])
    for i in range(n):
        if ids[i] != engine[i]["output_ids"]:
            bad.append(f"index {i}: streamed ids {len(ids[i])} != engine ids {len(engine[i]['output_ids'])}")
        if [p for p, _ in prompt_on[i]] != [first.get(i)]:
            bad.append(f"index {i}: prompt ids on chunks {[p for p, _ in prompt_on[i]]}, first is {first.get(i)}")
        elif prompt_on[i][0][1] != engine[i]["prompt_ids"]:
            bad.append(f"index {i}: streamed prompt ids differ from the engine's")
    resp = runs["full-default"]["response"]
    full_engine = runs["full-default"]["engine"]
    if resp.get("prompt_token_ids") != full_engine[0]["prompt_ids"]:
        bad.append("non-streaming prompt_token_ids differ from the engine's")
    elif n == 1 and len(resp["prompt_token_ids"]) != resp["usage"]["prompt_tokens"]:
        bad.append("len(prompt_token_ids) != usage.prompt_tokens")
    for choice in resp["choices"]:
        i = choice["index"]
        if choice.get("token_ids") != full_engine[i]["output_ids"]:
            bad.append(f"non-streaming index {i}: token_ids differ from the engine's")
    if sum(len(c.get("token_ids") or []) for c in resp["choices"]) != resp["usage"]["completion_tokens"]:
        bad.append("non-streaming token_ids total != usage.completion_tokens")
    return bad


def ids_placement(runs, spec):
    """The role chunk carries no ids; every chunk that emits text or finishes its index
    carries exactly the ids its index received (engine reads so far) and had not sent."""
    bad = []
    stream = runs["stream-default"]
    chunks = stream["chunks"]
    received, sent = defaultdict(int), defaultdict(int)
    for event in stream["events"]:
        if event[0] == "read":
            received[event[1]] = event[2]
            continue
        pos = event[1]
        choice = _choice(chunks[pos])
        if choice is None:
            continue
        i, ids = choice["index"], choice.get("token_ids") or []
        if _is_role(choice):
            if ids:
                bad.append(f"chunk {pos}: the role chunk carries token_ids")
            continue
        if _emits(choice):
            if sent[i] + len(ids) != received[i]:
                bad.append(
                    f"chunk {pos} (index {i}): carries {len(ids)} ids, "
                    f"{received[i] - sent[i]} were pending"
                )
        elif ids:
            bad.append(f"chunk {pos}: a chunk that emits nothing carries token_ids")
        sent[i] += len(ids)
    return bad


def _entries(choice):
    lp = choice.get("logprobs")
    return (lp or {}).get("content") or []


def _expected_entry_ok(entry, engine, pos, top_requested):
    if entry["logprob"] != engine["logprobs"][pos]:
        return False
    got_top = [[t["token"], t["logprob"]] for t in entry["top_logprobs"]]
    want_top = [list(t) for t in engine["top_logprobs"][pos]] if top_requested else []
    return got_top == want_top


def logprobs_alignment(runs, spec):
    """With logprobs, logprobs.content is 1:1 with token_ids, in order, on every streamed
    chunk carrying ids and in the non-streaming response; no chunk without ids carries
    any; the streamed total equals the generated tokens."""
    request = runs["request"]
    if not request.get("logprobs"):
        return []
    top_requested = bool(request.get("top_logprobs"))
    bad = []
    stream = runs["stream-default"]
    engine = stream["engine"]
    offset, total = defaultdict(int), defaultdict(int)
    for pos, chunk in enumerate(stream["chunks"]):
        choice = _choice(chunk)
        if choice is None:
            continue
        i, ids, entries = choice["index"], choice.get("token_ids") or [], _entries(choice)
        total[i] += len(entries)
        if len(entries) != len(ids):
            bad.append(f"chunk {pos} (index {i}): {len(entries)} log-probabilities for {len(ids)} ids")
        else:
            for k, entry in enumerate(entries):
                if not _expected_entry_ok(entry, engine[i], offset[i] + k, top_requested):
                    bad.append(f"chunk {pos} (index {i}): log-probability {k} is not its id's")
                    break
        offset[i] += len(ids)
    for i in range(spec["n"]):
        if total[i] != len(engine[i]["output_ids"]):
            bad.append(f"index {i}: {total[i]} streamed log-probabilities for {len(engine[i]['output_ids'])} tokens")
    full = runs["full-default"]
    for choice in full["response"]["choices"]:
        i, entries = choice["index"], _entries(choice)
        if len(entries) != len(full["engine"][i]["output_ids"]):
            bad.append(f"non-streaming index {i}: {len(entries)} log-probabilities")
        elif not all(_expected_entry_ok(e, full["engine"][i], k, top_requested) for k, e in enumerate(entries)):
            bad.append(f"non-streaming index {i}: a log-probability is not its id's")
    return bad


def streamed_message(chunks, index):
    content, reasoning, calls = [], [], defaultdict(lambda: {"name": None, "arguments": ""})
    for chunk in chunks:
        for choice in chunk["choices"]:
            if choice["index"] != index:
                continue
            delta = choice["delta"]
            content.append(delta.get("content") or "")
            reasoning.append(delta.get("reasoning_content") or "")
            for call in delta.get("tool_calls") or []:
                slot = calls[call["index"]]
                fn = call.get("function") or {}
                slot["name"] = slot["name"] or fn.get("name")
                slot["arguments"] += fn.get("arguments") or ""
    return "".join(content), "".join(reasoning), [calls[k] for k in sorted(calls)]


SAY = "Say exactly: "
TOOL_CALL_SLOTS = ("{tool_call}", "{tool_call2}")


def said_text(request):
    """The normal text of a scripted "Say exactly:" answer with tool calls (the model's words
    outside its calls), or None where the scenario has no such answer."""
    said = request["messages"][-1]["content"]
    if not said.startswith(SAY) or "tool_choice" in request or "{tool_call" not in said:
        return None
    said = said[len(SAY):]
    for slot in TOOL_CALL_SLOTS:
        said = said.replace(slot, " ")
    return said


def text_fidelity(runs, spec):
    """Per index, streamed content, reasoning and tool calls equal the non-streaming
    message, modulo whitespace at each field's ends; a tool call cut by max_tokens streams
    as a partial call (the non-streaming answer keeps its raw text as content). Where the
    scripted answer is known, the message keeps every word the model said outside its
    calls (text after a call is text on both sides: its ids are in token_ids)."""
    bad = []
    chunks = runs["stream-default"]["chunks"]
    said = said_text(runs["request"])
    for choice in runs["full-default"]["response"]["choices"]:
        i, msg = choice["index"], choice["message"]
        content, reasoning, calls = streamed_message(chunks, i)
        want = (msg.get("content") or "").strip()
        if said is not None and want.split() != said.split():
            bad.append(f"index {i}: the response's content {want!r} is not the said text {said!r}")
        if spec["kind"] in CUT_KINDS:
            if not want.startswith(content.strip()):
                bad.append(f"index {i}: streamed content {content!r} is not a start of {want!r}")
            continue
        if content.strip() != want:
            bad.append(f"index {i}: streamed content {content!r} != {want!r}")
        if reasoning.strip() != (msg.get("reasoning_content") or "").strip():
            bad.append(f"index {i}: streamed reasoning {reasoning!r} != {msg.get('reasoning_content')!r}")
        want_calls = [
            {"name": c["function"]["name"], "arguments": c["function"]["arguments"]}
            for c in msg.get("tool_calls") or []
        ]
        if calls != want_calls:
            bad.append(f"index {i}: streamed tool calls {calls} != {want_calls}")
    return bad


def _token_id_entry_bad(entry, engine, pos, top_requested):
    """An entry in vLLM's return_tokens_as_token_ids form for output `pos`, or what is off:
    `token_id:<id>` of the id at that position, `bytes` the UTF-8 of the token decoded
    alone (vLLM's decoded_token), the engine's value; top entries `token_id:<id>` of the
    engine's top ids with the bytes of that string (none when top_logprobs is 0/unset)."""
    token_id = engine["output_ids"][pos]
    want = f"token_id:{token_id}"
    if entry["token"] != want:
        return f"token {entry['token']!r} for {want!r}"
    text_bytes = list(engine["token_texts"][pos].encode("utf-8", errors="replace"))
    if entry["bytes"] != text_bytes:
        return f"bytes {entry['bytes']} of {want} are not its decoded text's {text_bytes}"
    if entry["logprob"] != engine["logprobs"][pos]:
        return f"log-probability of {want} is not the engine's"
    want_top = [f"token_id:{i}" for i in engine["top_ids"][pos]] if top_requested else []
    got_top = [t["token"] for t in entry["top_logprobs"]]
    if got_top != want_top:
        return f"top tokens {got_top} for {want_top}"
    if any(t["bytes"] != list(t["token"].encode("utf-8")) for t in entry["top_logprobs"]):
        return "a top entry's bytes are not those of its token_id string"
    return None


def logprob_token_ids(runs, spec):
    """With return_tokens_as_token_ids (TOKEN_ID_RUNS): every log-probability token is
    `token_id:<id>`, 1:1 and in order with the same chunk's token_ids, streamed and not,
    with vLLM's bytes, and every generated token has exactly one entry."""
    if "stream-token-id-logprobs" not in runs:
        return []
    top_requested = bool(runs["request"].get("top_logprobs"))
    bad = []
    stream = runs["stream-token-id-logprobs"]
    engine = stream["engine"]
    offset, total = defaultdict(int), defaultdict(int)
    for pos, chunk in enumerate(stream["chunks"]):
        choice = _choice(chunk)
        if choice is None:
            continue
        i, ids, entries = choice["index"], choice.get("token_ids") or [], _entries(choice)
        total[i] += len(entries)
        if len(entries) != len(ids):
            bad.append(f"chunk {pos} (index {i}): {len(entries)} entries for {len(ids)} ids")
        for k, entry in enumerate(entries):
            if offset[i] + k >= len(engine[i]["output_ids"]):
                bad.append(f"chunk {pos} (index {i}): more entries than tokens")
                break
            why = _token_id_entry_bad(entry, engine[i], offset[i] + k, top_requested)
            if why is None and k < len(ids) and entry["token"] != f"token_id:{ids[k]}":
                why = f"{entry['token']} is not the chunk's id {ids[k]}"
            if why:
                bad.append(f"chunk {pos} (index {i}) entry {k}: {why}")
                break
        offset[i] += len(entries)
    for i in range(spec["n"]):
        if total[i] != len(engine[i]["output_ids"]):
            bad.append(f"index {i}: {total[i]} streamed entries for {len(engine[i]['output_ids'])} tokens")
    full = runs["full-token-id-logprobs"]
    for choice in full["response"]["choices"]:
        i, entries = choice["index"], _entries(choice)
        eng = full["engine"][i]
        if len(entries) != len(eng["output_ids"]):
            bad.append(f"non-streaming index {i}: {len(entries)} entries for {len(eng['output_ids'])} tokens")
            continue
        for k, entry in enumerate(entries):
            why = _token_id_entry_bad(entry, eng, k, top_requested)
            if why:
                bad.append(f"non-streaming index {i} entry {k}: {why}")
                break
    return bad


CHECKS = {
    "ids_exact": ids_exact,
    "ids_placement": ids_placement,
    "logprobs_alignment": logprobs_alignment,
    "text_fidelity": text_fidelity,
    "logprob_token_ids": logprob_token_ids,
}


def violations(runs, spec):
    """{check name: [violations]} for the checks that found any."""
    found = {}
    for name, check in CHECKS.items():
        bad = check(runs, spec)
        if bad:
            found[name] = bad
    return found
