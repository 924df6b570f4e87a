"""A scripted stand-in for SGLang's engine, wired to the REAL v0.5.9 output path.

Only the model (which token comes next: ScriptedModel) and the process plumbing (ZMQ,
subprocesses) are stand-ins. Per request the real code runs:
  scheduler side:   sglang Req (check_finished, stop strings, max_new_tokens, EOS,
                    init_incremental_detokenize, check_match_stop_str_prefix) and the
                    stream_interval output rule of Scheduler.stream_output_generation;
  detokenizer:      DetokenizerManager.handle_batch_token_id_out (word / split UTF-8
                    hold-back, stop trimming);
  tokenizer mgr:    TokenizerManager._handle_batch_output (cumulative text, output_ids
                    cumulative or delta under --stream-output, meta_info) and
                    _wait_one_response (only the last queued output is yielded).
Whichever sglang copy is on sys.path (patched or not) provides all of these.
"""

import asyncio
import copy
import json
import re
import uuid
from typing import Any, Dict, List, Optional

from sglang_engineless import cpu_shims

cpu_shims.install()

from sglang.srt.managers.detokenizer_manager import (  # noqa: E402
    DetokenizerManager,
    LimitedCapacityDict,
)
from sglang.srt.managers.io_struct import BatchTokenIDOutput  # noqa: E402
from sglang.srt.managers.schedule_batch import Req  # noqa: E402
from sglang.srt.managers.tokenizer_manager import ReqState, TokenizerManager  # noqa: E402
from sglang.srt.sampling.sampling_params import SamplingParams  # noqa: E402
from sglang.srt.utils.request_logger import RequestLogger  # noqa: E402

# v0.5.9 Scheduler: non-streaming requests still flush every 50 tokens.
DEFAULT_FORCE_STREAM_INTERVAL = 50


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

    def completion_text(self, prompt_text: str) -> str:
        user = prompt_text.rsplit("<|im_start|>user\n", 1)[-1].split("<|im_end|>", 1)[0]
        user = " ".join(user.split()[:6])
        text = ""
        if self.reasoning_parser and not prompt_text.endswith("</think>\n\n"):
            text += "<think>\nLet me think about the question step by step. café 你好\n</think>\n\n"
        tool = self._first_tool(prompt_text) if self.tool_call_parser else None
        if tool is not None:
            call = {"name": tool["name"], "arguments": self._arguments(tool)}
            text += "Let me check that for you é\n<tool_call>\n" + json.dumps(call) + "\n</tool_call>"
        else:
            text += f"The answer is forty two. Hello 你好 🙂 café! You said: {user}"
        return text

    def completion_ids(self, prompt_ids: List[int]) -> List[int]:
        prompt_text = self.tokenizer.decode(prompt_ids)
        ids = self.tokenizer.encode(self.completion_text(prompt_text), add_special_tokens=False)
        return ids + [self.eos_id]

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
    def _arguments(tool: Dict[str, Any]) -> Dict[str, Any]:
        samples = {"string": "Paris", "integer": 3, "number": 1.5, "boolean": True}
        props = (tool.get("parameters") or {}).get("properties") or {}
        return {k: samples.get((v or {}).get("type"), "x") for k, v in props.items()}


class ScriptedTokenizerManager(TokenizerManager):
    """TokenizerManager whose engine is the ScriptedModel; output handling is inherited.

    __init__ of the real class starts processes and sockets, so it is replaced; the
    attributes the inherited output path reads are set here. `burst` > 1 queues that many
    engine outputs before the waiting coroutine runs, as happens when the event loop is
    busy (so several outputs coalesce: text cumulative, ids by --stream-output mode).
    """

    def __init__(self, server_args, model_config, tokenizer, burst: int = 1):
        self.server_args = server_args
        self.model_config = model_config
        self.tokenizer = tokenizer
        self.processor = None
        self.mm_processor = None
        self.served_model_name = server_args.served_model_name
        self.context_len = model_config.context_len
        self.rid_to_state: Dict[str, ReqState] = {}
        self.enable_metrics = False
        self.enable_trace = False
        self.dump_requests_folder = ""
        self.crash_dump_folder = None
        self.request_logger = RequestLogger(
            log_requests=False,
            log_requests_level=server_args.log_requests_level,
            log_requests_format=server_args.log_requests_format,
            log_requests_target=server_args.log_requests_target,
        )
        self.request_metrics_exporter_manager = _NoExporter()
        self.model = ScriptedModel(
            tokenizer, server_args.tool_call_parser, server_args.reasoning_parser
        )
        self.detokenizer = DetokenizerManager.__new__(DetokenizerManager)
        self.detokenizer.tokenizer = tokenizer
        self.detokenizer.decode_status = LimitedCapacityDict(capacity=1 << 16)
        self.detokenizer.is_dummy = False
        self.detokenizer.is_tool_call_parser_gpt_oss = False
        self.detokenizer.disable_tokenizer_batch_decode = False
        self.burst = max(1, burst)
        # What the engine consumed and produced, by rid (tests compare against these).
        self.engine_log: Dict[str, Dict[str, List[int]]] = {}
        self.engine_calls: List[str] = []

    def auto_create_handle_loop(self):
        pass

    def create_abort_task(self, obj):
        return None

    def abort_request(self, rid: str = "", abort_all: bool = False):
        self.rid_to_state.pop(rid, None)

    async def generate_request(self, obj, request=None):
        obj.normalize_batch_and_arguments()
        if obj.is_single:
            self.engine_calls = [obj.rid]
            async for out in self._one(obj, request):
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
        while task_map:
            done, _ = await asyncio.wait(task_map.keys(), return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                gen = task_map.pop(task)
                try:
                    result = task.result()
                except StopAsyncIteration:
                    continue
                result["index"] = rid_to_index[result["meta_info"]["id"]]
                yield result
                task_map[asyncio.ensure_future(gen.__anext__())] = gen

    async def _one(self, obj, request):
        if obj.input_ids is not None:
            input_ids = obj.input_ids
        else:
            # TokenizerManager._tokenize_texts, single text prompt.
            input_ids = self.tokenizer([obj.text])["input_ids"][0]
        state = ReqState([], False, asyncio.Event(), obj, created_time=0.0)
        self.rid_to_state[obj.rid] = state
        engine = asyncio.ensure_future(self._run_engine(obj, list(input_ids)))
        waiter = self._wait_one_response(obj, state, request)
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
        await engine

    async def _run_engine(self, obj, input_ids: List[int]):
        sp = SamplingParams(**(obj.sampling_params or {}))
        sp.normalize(self.tokenizer)
        sp.verify(len(self.tokenizer))
        if sp.max_new_tokens is None:
            # Scheduler.handle_generate_request: the rest of the context.
            sp.max_new_tokens = self.context_len - len(input_ids)
        req = Req(
            obj.rid,
            obj.text or "",
            input_ids,
            sp,
            stream=bool(obj.stream),
            eos_token_ids={self.tokenizer.eos_token_id},
            vocab_size=len(self.tokenizer),
        )
        req.tokenizer = self.tokenizer
        script = self.model.completion_ids(input_ids)
        interval = sp.stream_interval or self.server_args.stream_interval
        queued = 0
        while not req.finished():
            nxt = script[len(req.output_ids)] if len(req.output_ids) < len(script) else script[-1]
            req.output_ids.append(nxt)
            req.check_finished()
            if req.finished():
                req.finished_output = True
                if req.finished_len is None:
                    req.finished_len = len(req.output_ids)
                should_output = True
            elif req.stream:
                n = len(req.output_ids)
                should_output = n % interval == 1 if interval > 1 else n % interval == 0
                if should_output:
                    should_output &= not req.check_match_stop_str_prefix()
            else:
                should_output = len(req.output_ids) % DEFAULT_FORCE_STREAM_INTERVAL == 0
            if should_output:
                self._handle_batch_output(self._detokenize(req))
                queued += 1
                if queued >= self.burst:
                    queued = 0
                    await asyncio.sleep(0)
        self.engine_log[obj.rid] = {
            "prompt_ids": list(input_ids),
            "output_ids": list(req.output_ids_through_stop),
            "prompt_was_text": obj.input_ids is None,
        }

    def _detokenize(self, req):
        """Scheduler.stream_output_generation for one request, then the real detokenizer."""
        decode_ids, read_offset = req.init_incremental_detokenize()
        decode_ids = decode_ids[req.send_decode_id_offset :]
        out_ids = req.output_ids_through_stop
        req.send_decode_id_offset += len(decode_ids)
        new_ids = out_ids[req.send_token_offset :]
        req.send_token_offset = len(out_ids)
        batch = BatchTokenIDOutput(
            rids=[req.rid],
            finished_reasons=[req.finished_reason.to_json() if req.finished_reason else None],
            decoded_texts=[req.decoded_text],
            decode_ids=[decode_ids],
            read_offsets=[read_offset],
            output_ids=[new_ids],
            skip_special_tokens=[req.sampling_params.skip_special_tokens],
            spaces_between_special_tokens=[req.sampling_params.spaces_between_special_tokens],
            no_stop_trim=[req.sampling_params.no_stop_trim],
            prompt_tokens=[len(req.origin_input_ids)],
            completion_tokens=[len(out_ids)],
            cached_tokens=[0],
            input_token_logprobs_val=None,
            input_token_logprobs_idx=None,
            output_token_logprobs_val=None,
            output_token_logprobs_idx=None,
            input_top_logprobs_val=None,
            input_top_logprobs_idx=None,
            output_top_logprobs_val=None,
            output_top_logprobs_idx=None,
            input_token_ids_logprobs_val=None,
            input_token_ids_logprobs_idx=None,
            output_token_ids_logprobs_val=None,
            output_token_ids_logprobs_idx=None,
            output_token_entropy_val=None,
            output_hidden_states=None,
            routed_experts=None,
            placeholder_tokens_idx=None,
            placeholder_tokens_val=None,
            retraction_counts=[0],
            spec_verify_ct=[0],
            spec_accepted_tokens=[0],
            spec_acceptance_histogram=[None],
            queue_time=[None],
            forward_entry_time=[None],
            prefill_launch_delay=[None],
            prefill_launch_latency=[None],
            prefill_finished_ts=[None],
        )
        return self.detokenizer.handle_batch_token_id_out(batch)


class _NoExporter:
    """RequestMetricsExporterManager with no exporter configured (v0.5.9's default)."""

    def exporter_enabled(self) -> bool:
        return False


def new_rid() -> str:
    return uuid.uuid4().hex
