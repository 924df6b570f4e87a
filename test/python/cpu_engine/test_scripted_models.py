"""The scripted checkpoints, checked with plain transformers (no SGLang): greedy decoding of
the chat-template prompt must follow each script exactly, token by token."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from scripted_models import (
    ALL_SCRIPTS,
    DEFAULT_START,
    EOS,
    MANIFEST,
    Routing,
    Script,
    ScriptConflict,
    WEATHER_TOOL,
    build_checkpoint,
    render_prompt_ids,
    selector_token,
)
from scripted_models.plan import build_plan

REPO = Path(__file__).resolve().parents[3]


def prompt_ids(tokenizer, model, name, **kw):
    return render_prompt_ids(tokenizer, model.request(name, **kw))


def greedy(hf_model, ids, max_new_tokens=48):
    out = hf_model.generate(
        torch.tensor([ids]),
        attention_mask=torch.ones(1, len(ids), dtype=torch.long),
        max_new_tokens=max_new_tokens,
        do_sample=False,
        pad_token_id=hf_model.config.eos_token_id,
    )
    return out[0, len(ids):].tolist()


@pytest.fixture(scope="module")
def loaded(plain_default_model):
    tokenizer = AutoTokenizer.from_pretrained(plain_default_model.path)
    hf_model = AutoModelForCausalLM.from_pretrained(plain_default_model.path)
    return plain_default_model, tokenizer, hf_model


@pytest.mark.parametrize("via_selector", [False, True], ids=["routed", "selector"])
@pytest.mark.parametrize("script", ALL_SCRIPTS, ids=lambda s: s.name)
def test_greedy_decoding_follows_the_script(loaded, script, via_selector):
    model, tokenizer, hf_model = loaded
    generated = greedy(hf_model, prompt_ids(tokenizer, model, script.name, via_selector=via_selector))
    assert generated == list(model.plan.script_ids[script.name])
    assert generated[-1] == model.plan.eos_id
    assert tokenizer.decode(generated, skip_special_tokens=True) == script.full_text()


def test_plain_conversation_ends_in_the_newline_that_starts_the_default_script(loaded):
    model, tokenizer, _ = loaded
    ids = prompt_ids(tokenizer, model, "plain")
    assert tokenizer.decode(ids) == "<|im_start|>user\nGo.<|im_end|>\n<|im_start|>assistant\n"
    assert ids[-1] == DEFAULT_START[0]
    assert model.plan.next_token[ids[-1]] == model.plan.script_ids["plain"][0]
    assert "continue_final_message" not in model.request("plain")


def test_a_continued_selector_ends_the_prompt(loaded):
    model, tokenizer, _ = loaded
    ids = prompt_ids(tokenizer, model, "multibyte")
    assert ids[-1] == tokenizer.convert_tokens_to_ids(selector_token("multibyte"))
    assert ids[-2] == DEFAULT_START[0]


def test_the_template_routes_tools_and_thinking(loaded):
    model, tokenizer, _ = loaded
    user = [{"role": "user", "content": "Hi"}]
    tools = render_prompt_ids(tokenizer, {"messages": user, "tools": [WEATHER_TOOL]})
    assert tools[-1] == tokenizer.convert_tokens_to_ids(selector_token("tool_call"))
    assert '"name": "get_weather"' in tokenizer.decode(tools)
    thinking = render_prompt_ids(tokenizer, {"messages": user, "chat_template_kwargs": {"enable_thinking": True}})
    assert thinking[-1] == tokenizer.convert_tokens_to_ids(selector_token("reasoning"))
    # thinking is off by default in this checkpoint, and explicitly off is the plain path
    for kwargs in (None, {"enable_thinking": False}):
        assert render_prompt_ids(tokenizer, {"messages": user, "chat_template_kwargs": kwargs})[-1] == DEFAULT_START[0]


def test_a_thinking_checkpoint_thinks_unless_told_not_to(tmp_path):
    model = build_checkpoint(tmp_path / "m", Routing(default_script="multibyte", thinking_by_default=True))
    tokenizer = AutoTokenizer.from_pretrained(model.path)
    hf_model = AutoModelForCausalLM.from_pretrained(model.path)
    user = [{"role": "user", "content": "Hi"}]
    ids = tokenizer.apply_chat_template(user, add_generation_prompt=True, tokenize=True)
    assert greedy(hf_model, ids) == list(model.plan.script_ids["reasoning"])
    off = tokenizer.apply_chat_template(user, add_generation_prompt=True, tokenize=True, enable_thinking=False)
    assert greedy(hf_model, off) == list(model.plan.script_ids["multibyte"])
    assert model.request("multibyte")["chat_template_kwargs"] == {"enable_thinking": False}
    assert greedy(hf_model, prompt_ids(tokenizer, model, "plain")) == list(model.plan.script_ids["plain"])


def test_a_stray_prompt_ends_at_once_with_eos(loaded):
    model, tokenizer, hf_model = loaded
    ids = tokenizer.encode("no template here")
    assert greedy(hf_model, ids) == [model.plan.eos_id]


def test_tokenizer_has_the_parser_tokens_with_qwen_special_flags(loaded):
    model, tokenizer, _ = loaded
    special = {t.content for t in tokenizer.added_tokens_decoder.values() if t.special}
    plain = {t.content for t in tokenizer.added_tokens_decoder.values() if not t.special}
    assert {"<|im_start|>", "<|im_end|>", "<|endoftext|>"} <= special
    # Not special, as in Qwen's tokenizers: skip_special_tokens keeps them for the parsers.
    assert plain == {"<tool_call>", "</tool_call>", "<think>", "</think>"}
    assert tokenizer.eos_token == EOS
    for marker in sorted(plain):
        assert tokenizer.encode(marker) == [tokenizer.convert_tokens_to_ids(marker)]


def test_multibyte_tokens_are_incomplete_utf8_on_their_own(loaded):
    model, tokenizer, _ = loaded
    ids = model.plan.script_ids["multibyte"]
    halves = [tokenizer.decode([i]) for i in ids[1:3]]
    assert all("\ufffd" in h for h in halves)
    assert tokenizer.decode(list(ids[1:3])) == "é"


def test_scenario_requests_cut_the_script_where_the_engine_stops(loaded):
    model, tokenizer, _ = loaded
    stop_ids = model.expected_ids("stop_string")
    assert tokenizer.decode(stop_ids).endswith(" STOP")
    assert len(stop_ids) < len(model.plan.script_ids["stop_string"])
    long_ids = model.expected_ids("long_answer")
    assert long_ids == list(model.plan.script_ids["long_answer"][:6])
    assert model.expected_ids("plain") == list(model.plan.script_ids["plain"])


def test_manifest_describes_every_script(plain_default_model):
    manifest = json.loads((plain_default_model.path / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["routing"]["default_script"] == "plain"
    assert set(manifest["scripts"]) == {s.name for s in ALL_SCRIPTS}
    assert manifest["scripts"]["tool_call"]["ids"] == list(plain_default_model.plan.script_ids["tool_call"])


def test_a_token_used_twice_is_refused_by_name():
    clash = (Script("a", ("Hi", "!", EOS)), Script("b", ("Yo", "!", EOS)))
    with pytest.raises(ScriptConflict, match=r"'!'.*script 'a'.*script 'b'"):
        build_plan(clash, "a")


def test_a_script_without_eos_is_refused():
    with pytest.raises(ScriptConflict, match="must end with EOS"):
        build_plan((Script("a", ("Hi", "!")),), "a")


def test_a_script_using_the_default_start_token_is_refused():
    with pytest.raises(ScriptConflict, match=r"'\\n'"):
        build_plan((Script("a", ("Hi", "\n", EOS)),), "a")


def test_cli_writes_a_checkpoint_and_rejects_an_unknown_script(tmp_path):
    env_path = str(REPO / "python" / "models")
    ok = subprocess.run(
        [sys.executable, "-m", "scripted_models", str(tmp_path / "cli"), "--default-script", "multibyte",
         "--thinking-by-default"],
        cwd=env_path, capture_output=True, text=True, timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads((tmp_path / "cli" / "config.json").read_text())["architectures"] == ["Qwen2ForCausalLM"]
    routing = json.loads((tmp_path / "cli" / MANIFEST).read_text())["routing"]
    assert routing["default_script"] == "multibyte" and routing["thinking_by_default"] is True
    bad = subprocess.run(
        [sys.executable, "-m", "scripted_models", str(tmp_path / "bad"), "--default-script", "nope"],
        cwd=env_path, capture_output=True, text=True, timeout=120,
    )
    assert bad.returncode == 2
    assert "invalid choice: 'nope'" in bad.stderr
    assert not (tmp_path / "bad").exists()


def test_a_repeated_answer_shares_the_tokens_and_adds_only_its_selector(loaded):
    model, tokenizer, hf_model = loaded
    assert model.plan.script_ids["tool_call_cut"] == model.plan.script_ids["tool_call"]
    cut = model.expected_ids("tool_call_cut")
    assert len(cut) == 13 and tokenizer.decode(cut).endswith('{"city": "Paris')  # inside the arguments
    body = model.request("tool_call_cut")
    assert body["messages"][-1]["content"] == selector_token("tool_call_cut") and body["max_tokens"] == 13


def test_a_repeated_answer_must_repeat_an_existing_script_exactly():
    base = Script("a", ("Hi", "!", EOS))
    with pytest.raises(ScriptConflict, match="repeats the answer of 'a'"):
        build_plan((base, Script("b", ("Hi", "?", EOS), same_answer_as="a")), "a")
    with pytest.raises(ScriptConflict, match="repeats the answer of 'zz'"):
        build_plan((base, Script("b", base.pieces, same_answer_as="zz")), "a")


def test_edge_scripts_split_characters_where_interval_3_outputs_fall(loaded):
    # outputs at --stream-interval 3 follow tokens 1, 4, 7, 10, ...: the scripts put a
    # character's first bytes right before those edges (see scripts.py)
    model, tokenizer, _ = loaded
    edge = model.expected_ids("multibyte_edge")
    assert tokenizer.decode(edge[:4]).endswith("你\ufffd") and tokenizer.decode(edge[:7]).endswith("🙂\ufffd")
    tool = model.expected_ids("tool_call")
    assert tokenizer.decode(tool[:7]).endswith(" \ufffd")
    assert tokenizer.decode(tool[:10]).endswith('🗼<tool_call>\n{"name": "')
