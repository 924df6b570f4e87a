"""A scripted stand-in for SGLang's engine, wired to the REAL output path of the release on
sys.path (release-specific glue: adapters/).

Only the model (which token comes next: ScriptedModel) and the process plumbing (ZMQ,
subprocesses) are stand-ins. Per request the real code runs:
  scheduler side:   sglang Req (finish checks: stop strings, max_new_tokens, EOS;
                    init_incremental_detokenize, check_match_stop_str_prefix) and the
                    stream_interval output rule of the scheduler's stream output (0.5.9:
                    reproduced from Scheduler.stream_output_generation; 0.5.23: the real
                    _GenerationStreamAccumulator);
  detokenizer:      DetokenizerManager.handle_batch_token_id_out (word / split UTF-8
                    hold-back, stop trimming);
  tokenizer mgr:    TokenizerManager._handle_batch_output (text, output_ids cumulative or
                    delta under --stream-output / --incremental-streaming-output,
                    meta_info, logprobs through convert_logprob_style) and
                    _wait_one_response (0.5.9 yields only the last queued output; 0.5.23
                    coalesces queued incremental chunks).
Whichever sglang copy is on sys.path (patched or not) provides all of these.

How engine outputs reach the serving layer (DELIVERY_MODES) is what varies between real
servers under load, so scenarios run across:
  each     one engine output per read: the engine waits until the previous one was read;
  bunched  the engine yields to the event loop after every `burst` outputs (default 1), so
           whatever queued meanwhile coalesces into one read;
  whole    the whole answer is queued before the serving layer runs: one read;
  lag      as bunched (burst 1), and with n > 1 the readers lag the engine: after the
           serving layer handled one choice's output, the engine runs on before the next
           choice's output (already taken by its waiter) is read, as while a real server
           awaits the HTTP send. On 0.5.23 in cumulative mode an intermediate output's
           output_ids is the request's live list, so it has grown by then;
and `step_tokens` k > 1 makes one engine step append k tokens before the scheduler's
output rule runs (speculative / multi-token decoding), read one output at a time.
With return_logprob the scripted engine also produces log-probabilities (see
scripted_logprob) and hands them over in the scheduler's BatchTokenIDOutput shape.
"""

import asyncio
import copy
import json
import re
import uuid
from typing import Any, Dict, List, Optional

from sglang_engineless import cpu_shims

cpu_shims.install()

from sglang_engineless.adapters import load as _load_adapter  # noqa: E402

# The glue for the release of the sglang copy on sys.path (imports its serving code).
adapter = _load_adapter()

from sglang.srt.managers.tokenizer_manager import TokenizerManager  # noqa: E402
from sglang.srt.sampling.sampling_params import SamplingParams  # noqa: E402

DELIVERY_MODES = ("each", "bunched", "whole", "lag")
# How often the event loop runs between two choices' reads in the "lag" mode.
LAG_TURNS = 3
# A user message "Say exactly: TEXT" makes the scripted model answer TEXT, with
# TOOL_CALL_SLOT replaced by the qwen25 call of the first tool: scenarios place multi-byte
# characters and tool calls exactly where the defects live.
SAY_EXACTLY = "Say exactly:"
TOOL_CALL_SLOT = "{tool_call}"
# ...and this one by a second call of that tool with other arguments (two calls in one answer).
SECOND_TOOL_CALL_SLOT = "{tool_call2}"
# Both calls in the shape the release's tool_choice "required" constraint forces: v0.5.9's JSON
# array schema (json_schema in the sampling params), or 0.5.23's structural tag, which keeps
# the parser's native format (two qwen25 calls).
REQUIRED_CALLS_SLOT = "{required_calls}"


def scripted_logprob(position: int, token_id: int) -> float:
    """The log-probability the scripted engine reports for output `position` (0-based).

    Distinct per position, so a test can tell which id a log-probability belongs to."""
    return -((position * 31 + token_id) % 997 + 1) / 1000.0


def scripted_top_logprobs(position: int, token_id: int, k: int, vocab_size: int):
    """(ids, values) of the top-k at `position`: the sampled id first (greedy), then
    other ids, values strictly decreasing, as the scheduler's top-k lists are."""
    ids = [token_id] + [(token_id + 17 * j) % vocab_size for j in range(1, k)]
    first = scripted_logprob(position, token_id)
    return ids, [first - j for j in range(k)]


class ScriptedModel:
    """Deterministic 'model': the completion is a function of the prompt ids only.

    - prompt lists tools (<tools> block) and the server has a tool parser: a sentence, then
      <tool_call>{"name": first tool, "arguments": {...}}</tool_call>;
    - server has a reasoning parser and thinking is not switched off in the prompt:
      <think>...</think> first;
    - otherwise a plain answer with multi-byte characters (split across byte tokens).
    Every completion ends with EOS (<|im_end|>).
    """

    def __init__(self, tokenizer, tool_call_parser: Optional[str], reasoning_parser: Optional[str]):
        self.tokenizer = tokenizer
        self.tool_call_parser = tool_call_parser
        self.reasoning_parser = reasoning_parser
        self.eos_id = tokenizer.eos_token_id

    def completion_text(self, prompt_text: str, json_schema: Optional[str] = None) -> str:
        user = prompt_text.rsplit("<|im_start|>user\n", 1)[-1].split("<|im_end|>", 1)[0]
        tool = self._first_tool(prompt_text) if self.tool_call_parser else None
        if user.startswith(SAY_EXACTLY):
            text = user[len(SAY_EXACTLY) :].lstrip(" ")
            if tool is not None:
                text = text.replace(TOOL_CALL_SLOT, self._qwen25_call(tool))
                text = text.replace(SECOND_TOOL_CALL_SLOT, self._qwen25_call(tool, second=True))
                if json_schema:
                    calls = [{"name": tool["name"], "parameters": self._arguments(tool, second)}
                             for second in (False, True)]
                    text = text.replace(REQUIRED_CALLS_SLOT, json.dumps(calls, ensure_ascii=False))
                else:
                    text = text.replace(REQUIRED_CALLS_SLOT, self._qwen25_call(tool)
                                        + self._qwen25_call(tool, second=True))
            return text
        user = " ".join(user.split()[:6])
        text = ""
        if self.reasoning_parser and not prompt_text.endswith("</think>\n\n"):
            text += "<think>\nLet me think about the question step by step. café 你好\n</think>\n\n"
        if tool is not None and json_schema:
            # tool_choice "required" or a named function: v0.5.9 constrains the output to
            # the JSON array schema of get_json_schema_constraint.
            text += json.dumps([{"name": tool["name"], "parameters": self._arguments(tool)}])
        elif tool is not None:
            text += "Let me check that for you é" + self._qwen25_call(tool)
        else:
            text += f"The answer is forty two. Hello 你好 🙂 café! You said: {user}"
        return text

    def completion_ids(self, prompt_ids: List[int], json_schema: Optional[str] = None) -> List[int]:
        prompt_text = self.tokenizer.decode(prompt_ids)
        text = self.completion_text(prompt_text, json_schema)
        ids = self.tokenizer.encode(text, add_special_tokens=False)
        return ids + [self.eos_id]

    def _qwen25_call(self, tool: Dict[str, Any], second: bool = False) -> str:
        call = {"name": tool["name"], "arguments": self._arguments(tool, second)}
        return "\n<tool_call>\n" + json.dumps(call) + "\n</tool_call>"

    @staticmethod
    def _first_tool(prompt_text: str) -> Optional[Dict[str, Any]]:
        # The template's instructions also mention an empty "<tools></tools>".
        blocks = [b for b in re.findall(r"<tools>(.*?)</tools>", prompt_text, re.S) if b.strip()]
        if not blocks:
            return None
        for line in blocks[0].strip().splitlines():
            try:
                tool = json.loads(line)
            except ValueError:
                continue
            return tool.get("function", tool)
        return None

    @staticmethod
    def _arguments(tool: Dict[str, Any], second: bool = False) -> Dict[str, Any]:
        samples = {"string": "Paris", "integer": 3, "number": 1.5, "boolean": True}
        if second:
            samples = {"string": "東京", "integer": 5, "number": 2.5, "boolean": False}
        props = (tool.get("parameters") or {}).get("properties") or {}
        return {k: samples.get((v or {}).get("type"), "x") for k, v in props.items()}


class ScriptedTokenizerManager(TokenizerManager):
    """TokenizerManager whose engine is the ScriptedModel; output handling is inherited.

    __init__ of the real class starts processes and sockets, so it is replaced; the
    release's adapter sets the attributes the inherited output path reads. `burst` > 1
    queues that many engine outputs before the waiting coroutine runs, as happens when the
    event loop is busy (so several outputs coalesce: text cumulative, ids by the streaming
    output mode).
    """

    def __init__(self, server_args, burst: int = 1, delivery: str = "bunched",
                 step_tokens: int = 1):
        self.adapter = adapter
        adapter.init_manager(self, server_args)
        self.model = ScriptedModel(
            self.tokenizer, server_args.tool_call_parser, server_args.reasoning_parser
        )
        self.detokenizer = adapter.make_detokenizer(self)
        self.set_delivery(delivery, step_tokens, burst)
        # What the engine consumed and produced, by rid (tests compare against these).
        self.engine_log: Dict[str, Dict[str, Any]] = {}
        self.engine_calls: List[str] = []
        # When a caller sets a list here: each read the serving layer makes, in order, as
        # ("read", choice index, ids produced so far for that index, output_ids length
        # found); the caller may
        # interleave its own events (e.g. SSE chunks). None (the default): not recorded,
        # so a long-running server does not grow it.
        self.events: Optional[List[Any]] = None

    def activate(self) -> None:
        """Make this server's settings the process's (0.5.23 publishes them process-wide;
        a process may host several harness servers)."""
        adapter.activate(self.server_args)

    def set_delivery(self, delivery: str, step_tokens: int = 1, burst: int = 1) -> None:
        """How later requests' engine outputs reach the serving layer (DELIVERY_MODES)."""
        if delivery not in DELIVERY_MODES:
            raise ValueError(f"delivery {delivery!r}: use one of {', '.join(DELIVERY_MODES)}")
        self.delivery = delivery
        self.burst = 1_000_000 if delivery == "whole" else 1 if delivery == "lag" else max(1, burst)
        self.step_tokens = max(1, step_tokens)

    def auto_create_handle_loop(self):
        pass

    def create_abort_task(self, obj):
        return None

    def abort_request(self, rid: str = "", abort_all: bool = False):
        self.rid_to_state.pop(rid, None)

    async def generate_request(self, obj, request=None):
        obj.normalize_batch_and_arguments()
        deltas = adapter.stream_deltas(self.server_args)
        if obj.is_single:
            self.engine_calls = [obj.rid]
            seen = _IdsSeen(deltas and obj.stream)
            async for out in self._one(obj, request):
                self._record_read(0, seen, out)
                yield out
            return
        # As TokenizerManager._handle_batch_request: n copies of each prompt, new rids.
        subs = []
        for i in range(obj.batch_size):
            for _ in range(getattr(obj, "parallel_sample_num", 1)):
                sub = copy.copy(obj[i])
                sub.regenerate_rid()
                subs.append(sub)
        self.engine_calls = [sub.rid for sub in subs]  # choice index order
        gens = [self._one(sub, request) for sub in subs]
        rid_to_index = {sub.rid: i for i, sub in enumerate(subs)}
        if not obj.stream:
            yield list(await asyncio.gather(*(g.__anext__() for g in gens)))
            return
        # Same interleaving as TokenizerManager._handle_batch_request for streams.
        task_map = {asyncio.ensure_future(g.__anext__()): g for g in gens}
        seen = _IdsSeen(deltas)
        while task_map:
            done, _ = await asyncio.wait(task_map.keys(), return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                gen = task_map.pop(task)
                try:
                    result = task.result()
                except StopAsyncIteration:
                    continue
                result["index"] = rid_to_index[result["meta_info"]["id"]]
                self._record_read(result["index"], seen, result)
                yield result
                if self.delivery == "lag":
                    # The readers lag: the engine runs on before the next choice's output,
                    # taken by its waiter already, is read.
                    for _ in range(LAG_TURNS):
                        await asyncio.sleep(0)
                task_map[asyncio.ensure_future(gen.__anext__())] = gen

    def _record_read(self, index: int, seen: "_IdsSeen", out: Dict[str, Any]) -> None:
        # ("read", index, ids the outputs read so far report, length of the output_ids
        # list as the serving layer finds it: longer on a live list the engine ran ahead in)
        if self.events is not None:
            self.events.append(("read", index, seen.count(index, out),
                                len(out.get("output_ids") or [])))

    async def _one(self, obj, request):
        if obj.input_ids is not None:
            input_ids = obj.input_ids
        else:
            # TokenizerManager._tokenize_texts, single text prompt.
            input_ids = self.tokenizer([obj.text])["input_ids"][0]
        state = adapter.new_state(self, obj, input_ids)
        engine = asyncio.ensure_future(self._run_engine(obj, list(input_ids)))
        try:
            async for out in self._read_outputs(obj, state, request, engine):
                yield out
        finally:
            # A consumer that stops reading (client gone) must not leave the engine running.
            if not engine.done():
                engine.cancel()
        await engine

    async def _read_outputs(self, obj, state, request, engine):
        waiter = adapter.waiter(self, obj, state, request)
        while True:
            nxt = asyncio.ensure_future(waiter.__anext__())
            if not engine.done():
                await asyncio.wait({nxt, engine}, return_when=asyncio.FIRST_COMPLETED)
            if engine.done() and engine.exception() is not None and not nxt.done():
                # A failing engine must fail the request, not leave the waiter hanging.
                nxt.cancel()
                self.rid_to_state.pop(obj.rid, None)
                raise engine.exception()
            try:
                out = await nxt
            except StopAsyncIteration:
                break
            yield out

    async def _run_engine(self, obj, input_ids: List[int]):
        sp = SamplingParams(**(obj.sampling_params or {}))
        sp.normalize(self.tokenizer)
        sp.verify(len(self.tokenizer))
        if sp.max_new_tokens is None:
            # Scheduler.handle_generate_request: the rest of the context.
            sp.max_new_tokens = self.context_len - len(input_ids)
        req = adapter.new_req(self, obj, input_ids, sp)
        track = _LogprobTrack()
        script = self.model.completion_ids(input_ids, (obj.sampling_params or {}).get("json_schema"))
        state = self.rid_to_state[obj.rid]
        top_k = (obj.top_logprobs_num or 0) if obj.return_logprob else 0

        def record_logprobs(position: int, token_id: int) -> None:
            value = scripted_logprob(position, token_id)
            track.values.append(value)
            ids = vals = None
            if top_k > 0:
                ids, vals = scripted_top_logprobs(position, token_id, top_k, len(self.tokenizer))
                track.top_ids.append(ids)
                track.top_values.append(vals)
            adapter.add_logprob(req, value, token_id, ids, vals)

        queued = 0
        while not req.finished():
            start = len(req.output_ids)
            tokens = [
                script[pos] if pos < len(script) else self._past_script(script, pos)
                for pos in range(start, start + self.step_tokens)
            ]
            adapter.step(req, tokens, record_logprobs)
            out = adapter.output(self, req)
            if out is None:
                continue
            await adapter.deliver(self, out)
            if self.delivery == "each":
                # One output per read: wait until the waiter has taken this one.
                while state.out_list and not req.finished():
                    await asyncio.sleep(0)
                await asyncio.sleep(0)
                continue
            queued += 1
            if queued >= self.burst:
                queued = 0
                await asyncio.sleep(0)
        self.engine_log[obj.rid] = {
            "prompt_ids": list(input_ids),
            "output_ids": list(req.output_ids_through_stop),
            "prompt_was_text": obj.input_ids is None,
            # Per output position: the log-probability, and the top list as the client
            # should see it ((text, value) in order, as the release renders it).
            "logprobs": list(track.values),
            "top_logprobs": [
                adapter.top_logprobs_view(self.tokenizer, ids, vals)
                for ids, vals in zip(track.top_ids, track.top_values)
            ],
            # For vLLM's return_tokens_as_token_ids: the top ids themselves, and each output
            # token decoded alone (vLLM's `decoded_token`, whose UTF-8 is its `bytes`).
            "top_ids": [list(ids) for ids in track.top_ids],
            "token_texts": [self.tokenizer.decode([i]) for i in req.output_ids_through_stop],
        }

    @staticmethod
    def _past_script(script: List[int], pos: int) -> int:
        """After an ignored EOS (ignore_eos) the text goes on: the script again, from the
        start, as a model keeps writing text rather than repeating one token."""
        body = script[:-1] or script
        return body[(pos - len(script)) % len(body)]


class _IdsSeen:
    """Ids produced so far per choice index, from the outputs the serving layer reads
    (output_ids are deltas under --stream-output for streams, cumulative otherwise).

    A cumulative output counts what it reports itself (meta_info completion_tokens), not the
    length of its output_ids: on 0.5.23 an intermediate output's list is the request's live
    list, which may already hold ids of outputs not read yet (whose text comes later)."""

    def __init__(self, delta: bool):
        self.delta = bool(delta)
        self.counts: Dict[int, int] = {}

    def count(self, index: int, out: Dict[str, Any]) -> int:
        n = len(out.get("output_ids") or [])
        if self.delta:
            self.counts[index] = self.counts.get(index, 0) + n
        else:
            self.counts[index] = min(n, out.get("meta_info", {}).get("completion_tokens", n))
        return self.counts[index]


class _LogprobTrack:
    """What the scripted engine reported, kept for the engine log."""

    def __init__(self):
        self.values: List[float] = []
        self.top_ids: List[List[int]] = []
        self.top_values: List[List[float]] = []


def new_rid() -> str:
    return uuid.uuid4().hex
