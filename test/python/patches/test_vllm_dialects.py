"""vLLM's other id dialects (docs/token-ids-contract.md), per release, patched and stock:
return_tokens_as_token_ids (strict flag, SGLANG_RETURN_TOKENS_AS_TOKEN_IDS default off),
top_logprobs 0, the chat form of /tokenize, prompt_logprobs refused by name. Each copy runs
dialects_probe.py (the real chat, completions and tokenize routes on the harness) in its
release's Python; the matrix (test_serving_matrix.py, check logprob_token_ids) covers the
token_id strings across every server mode, and test_rl_clients.py the clients' own code."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import RELEASES, REPO

PROBE = Path(__file__).with_name("dialects_probe.py")
FIELD = "return_tokens_as_token_ids"


class Probes:
    def __init__(self, release_files, tmp_path_factory):
        self.files, self.tmp, self.cache = release_files, tmp_path_factory, {}

    def get(self, release, patched):
        key = (release, patched)
        if key not in self.cache:
            tree = self.files.patched(release) if patched else self.files.stock(release)
            env = dict(os.environ, PYTHONPATH=f"{tree}{os.pathsep}{REPO / 'python' / 'harness'}",
                       HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
            env.pop("SGLANG_RETURN_TOKENS_AS_TOKEN_IDS", None)
            work = self.tmp.mktemp(f"probe-{release}-{patched}")
            proc = subprocess.run([self.files.python(release), "-W", "ignore", str(PROBE),
                                   str(work / "tok")], env=env, capture_output=True, text=True,
                                  timeout=900)
            assert proc.returncode == 0, proc.stderr[-4000:]
            self.cache[key] = json.loads(proc.stdout.strip().splitlines()[-1])
        return self.cache[key]


@pytest.fixture(scope="module")
def probes(release_files, tmp_path_factory):
    return Probes(release_files, tmp_path_factory)


@pytest.mark.parametrize("release", RELEASES)
def test_server_default_from_env_default_off(probes, release):
    env = probes.get(release, True)["env"]
    off = {"absent": [False, False], "true": [True, True], "false": [False, False]}
    on = {"absent": [True, True], "true": [True, True], "false": [False, False]}
    assert env[""] == off and env["0"] == off  # [chat, completions]
    assert env["1"] == on and env["on"] == on
    assert "SGLANG_RETURN_TOKENS_AS_TOKEN_IDS" in env["maybe"]["error"]


@pytest.mark.parametrize("release", RELEASES)
def test_flag_is_validated_strictly(probes, release):
    got = probes.get(release, True)
    assert got["invalid"] and all(status == 400 and named for *_, status, named in got["invalid"])
    assert got["lax"] == {"'yes'": [200, True], "1": [200, True], "'off'": [200, False],
                          "0": [200, False], "None": [200, False]}


@pytest.mark.parametrize("release", RELEASES)
def test_stock_ignores_the_flag_silently(probes, release):
    """Negative control: stock has no such field; any value is dropped and tokens stay text."""
    got = probes.get(release, False)
    assert {(status, named) for *_, status, named in got["invalid"]} == {(200, False)}
    assert all(v == [200, False] for v in got["lax"].values())
    assert all(row == {"absent": [False, False], "true": [False, False], "false": [False, False]}
               for row in got["env"].values())


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("patched", [True, False])
def test_top_logprobs_zero_one_entry_per_token(probes, release, patched):
    # Stock already answers so (the series keeps it); nothing dropped, streamed or not.
    top0 = probes.get(release, patched)["top0"]
    assert top0["entries"] == top0["tokens"] == top0["streamed_entries"] > 0
    assert top0["tops"] == [0]


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("stream", [False, True])
def test_completions_tokens_and_top_keys_are_the_chunks_ids(probes, release, stream):
    pairs = probes.get(release, True)[f"completions_stream_{stream}"]
    assert sum(len(ids) for ids, _, _ in pairs) == 12  # n = 2 x 6 tokens
    for ids, tokens, tops in pairs:
        assert tokens == [f"token_id:{i}" for i in ids]
        assert len(tops) == len(ids) and all(top[0] == tok for top, tok in zip(tops, tokens))
        assert all(len(top) == 2 and all(k.startswith("token_id:") for k in top) for top in tops)


@pytest.mark.parametrize("release", RELEASES)
def test_stock_completions_tokens_are_text(probes, release):
    pairs = probes.get(release, False)["completions_stream_False"]
    assert not any(t.startswith("token_id:") for _, tokens, _ in pairs for t in tokens)


@pytest.mark.parametrize("release", RELEASES)
def test_tokenize_chat_form_equals_chat_prompt_ids(probes, release):
    got = probes.get(release, True)
    for name, case in got["tokenize"].items():
        assert case["status"] == 200, (name, case["body"])
        body = case["body"]
        assert body["tokens"] == case["chat_prompt_ids"], name
        assert body["count"] == len(body["tokens"]) and isinstance(body["max_model_len"], int)
        assert body["token_strs"] is None  # vLLM's key, null unless asked
    assert got["tokenize"]["tools"]["body"]["tokens"] != got["tokenize"]["messages"]["body"]["tokens"]
    status, body, want_strs = got["tokenize_strs"]
    assert status == 200 and body["token_strs"] == want_strs
    status, text = got["tokenize_chat_template"]
    assert status == 400 and "chat_template" in text
    assert got["tokenize_prompt_form"] == [200, ["count", "max_model_len", "tokens"]]


# Releases whose stock /tokenize takes only `prompt` (0.5.10.post1's serving_tokenize.py and
# TokenizeRequest are v0.5.9's); 0.5.12, 0.5.15.post1, 0.5.19, 0.5.20 and 0.5.23 have a chat form
# of their own (the tests below assert its 200s; verify's STOCK_TOKENIZE_CHAT_FORM), so they
# are not listed here (measured on 0.5.20: its chat form answers 200, not this test's 400).
STOCK_PROMPT_ONLY_TOKENIZE = [r for r in RELEASES if r in ("0.5.9", "0.5.10.post1")]


@pytest.mark.parametrize("release", STOCK_PROMPT_ONLY_TOKENIZE)
def test_stock_tokenize_takes_only_a_prompt(probes, release):
    got = probes.get(release, False)
    assert {c["status"] for c in got["tokenize"].values()} == {400}
    assert all("'prompt'" in c["body"]["message"] for c in got["tokenize"].values())
    assert got["tokenize_prompt_form"] == [200, ["count", "max_model_len", "tokens"]]


# Releases whose stock /tokenize has a chat form of its own, and what it answers vLLM's way to
# continue the final message (continue_final_message with add_generation_prompt false): 0.5.23
# refuses it (its add_generation_prompt field needs continue_final_message false); 0.5.12 has no
# add_generation_prompt field, drops it, and renders the continuation as the chat completion.
STOCK_CHAT_FORM_CONTINUE_FINAL = {"0.5.12": 200, "0.5.23": 400}


@pytest.mark.parametrize("release", sorted(STOCK_CHAT_FORM_CONTINUE_FINAL))
def test_stock_tokenize_chat_form_lacks_vllms_fields(probes, release):
    """0.5.12 and 0.5.23 ship a chat form of /tokenize (same ids); the series adds vLLM's
    token_strs, refuses a per-request chat_template (stock ignores it) and takes vLLM's way to
    continue the final message (0.5.23's stock: a 400)."""
    got = probes.get(release, False)
    # Stock 0.5.12's chat completion has no ids to compare with (no return_token_ids field):
    # the patched copy's chat prompt ids, from the same template code, stand in for them.
    chat_ids = (got["tokenize"]["messages"]["chat_prompt_ids"]
                or probes.get(release, True)["tokenize"]["messages"]["chat_prompt_ids"])
    assert chat_ids and got["tokenize"]["messages"]["body"]["tokens"] == chat_ids
    assert "token_strs" not in got["tokenize_strs"][1]
    assert got["tokenize_chat_template"][0] == 200
    assert got["tokenize"]["continue_final"]["status"] == STOCK_CHAT_FORM_CONTINUE_FINAL[release]


def test_stock_0_5_15_post1_tokenize_chat_form_lacks_vllms_fields(probes, release="0.5.15.post1"):
    """0.5.15.post1 ships a chat form of /tokenize (same ids, vLLM's continue_final_message
    with add_generation_prompt false included); the series adds vLLM's token_strs and refuses
    a per-request chat_template (stock ignores it)."""
    got = probes.get(release, False)
    for name, case in got["tokenize"].items():
        assert case["status"] == 200 and case["body"]["tokens"] == case["chat_prompt_ids"], name
        assert "token_strs" not in case["body"], name
    assert "token_strs" not in got["tokenize_strs"][1]
    assert got["tokenize_chat_template"][0] == 200


# 0.5.13.post1: the same serving_tokenize.py and TokenizeRequest as 0.5.15.post1 (a core-tier
# release: its probes run under SGLANG_TEST_MATRIX=full).
@pytest.mark.parametrize("release", ["0.5.13.post1"])
def test_stock_0_5_13_post1_tokenize_chat_form_lacks_vllms_fields(probes, release):
    test_stock_0_5_15_post1_tokenize_chat_form_lacks_vllms_fields(probes, release)


# 0.5.20's /tokenize (serving_tokenize.py, TokenizeRequest) is 0.5.19's, line for line.
TOKENIZE_AS_0_5_19 = ("0.5.19", "0.5.20")


@pytest.mark.parametrize("release", TOKENIZE_AS_0_5_19)
def test_stock_0_5_19_tokenize_chat_form_lacks_vllms_fields(probes, release):
    """0.5.19 (and 0.5.20) ship a chat form of /tokenize (same ids, vLLM's way to continue
    the final message included); the series adds vLLM's token_strs and refuses a per-request
    chat_template, which stock ignores."""
    got = probes.get(release, False)
    assert all(c["status"] == 200 and c["body"]["tokens"] == c["chat_prompt_ids"]
               for c in got["tokenize"].values())
    assert "token_strs" not in got["tokenize_strs"][1]
    assert got["tokenize_chat_template"][0] == 200


@pytest.mark.parametrize("release", TOKENIZE_AS_0_5_19)
def test_0_5_19_refuses_the_chat_form_fields_it_cannot_render(probes, release):
    """0.5.19's (and 0.5.20's) chat form has no add_generation_prompt (it always renders the
    chat completion's prompt) and always encodes without added special tokens: stock answers
    the chat completion's prompt for vLLM's add_generation_prompt false / add_special_tokens
    true (a silent wrong answer); the series answers a 400 naming the field."""
    stock, patched = probes.get(release, False), probes.get(release, True)
    for name, field in (("no_generation_prompt", "add_generation_prompt"),
                        ("add_special_tokens", "add_special_tokens")):
        status, _, same_as_chat = stock[f"tokenize_{name}"]
        assert status == 200 and same_as_chat, name
        status, text, _ = patched[f"tokenize_{name}"]
        assert status == 400 and field in text, (name, text)


@pytest.mark.parametrize("release", RELEASES)
def test_prompt_logprobs_is_a_400_naming_it(probes, release):
    assert probes.get(release, True)["prompt_logprobs"] == [
        ["1", 400, True, False], ["0", 400, True, False], ["None", 200, False, False]]
    # Stock: silently ignored (a 200 without prompt_logprobs): what the 400 replaces.
    assert probes.get(release, False)["prompt_logprobs"] == [
        ["1", 200, False, False], ["0", 200, False, False], ["None", 200, False, False]]
