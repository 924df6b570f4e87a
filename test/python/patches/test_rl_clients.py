"""RL clients' OWN code against the engine-less harness server, patched and stock, per release.

The released client packages (python/requirements/rl-clients.txt: nemo-gym 0.4.0, areal 1.0.4,
openai 2.7.2; pinned, installed --no-deps by scripts/rl-clients-env.sh) build the requests
and parse the responses; test/python/rl_clients/drive_clients.py only calls their entry
points in that environment and reports what they extracted or raised. Against the patched
series each client's ids equal the engine's (the same request with `return_token_ids`);
against the stock release each fails, and the error it raises is asserted. SkyRL is not run:
skyrl 0.4.0 needs Python >= 3.12 at import (README of test/python/rl_clients)."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import RELEASES, REPO, run_script

DRIVER = REPO / "test/python/rl_clients/drive_clients.py"
TOOLS = [{"type": "function", "name": "get_weather", "description": "Weather of a city",
          "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
          "strict": False}]
TEXT = "Say exactly: The answer 你🙂好"
TOOL_TEXT = "Say exactly: Checking 東京 {tool_call}"
_PATCHED_URLS = set()


@pytest.fixture(scope="session")
def clients_python() -> str:
    proc = run_script(REPO / "scripts/rl-clients-env.sh", check=False)
    if proc.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(f"rl-clients-env failed (PyPI unreachable?):\n{proc.stderr}")
        pytest.skip(f"rl-clients-env failed (PyPI unreachable?): {proc.stderr.strip()[-300:]}")
    return str(Path(proc.stdout.strip().splitlines()[-1]) / "bin/python")


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("rl-model") / "tok"
    subprocess.run([sys.executable, "-m", "sglang_engineless.make_tokenizer", str(out)],
                   env=dict(os.environ, PYTHONPATH=str(REPO / "python" / "harness")), check=True,
                   capture_output=True)
    return out


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Servers:
    """One harness server per (release, patched|stock), started on first use, stopped at the end."""

    def __init__(self, release_files, model):
        self.release_files, self.model, self.running = release_files, model, {}

    def url(self, release, variant):
        key = (release, variant)
        if key not in self.running:
            tree = (self.release_files.patched(release) if variant == "patched"
                    else self.release_files.stock(release))
            port = _free_port()
            proc = subprocess.Popen(
                [self.release_files.python(release), "-W", "ignore", "-m", "sglang_engineless.serve",
                 "--model-path", str(self.model), "--port", str(port),
                 "--tool-call-parser", "qwen25"],
                env=dict(os.environ, PYTHONPATH=f"{tree}{os.pathsep}{REPO / 'python' / 'harness'}"),
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            self.running[key] = proc
            deadline = time.time() + 240
            while True:
                assert proc.poll() is None, proc.stdout.read()
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5)
                    break
                except (urllib.error.URLError, ConnectionError):
                    assert time.time() < deadline, f"{key} server did not become ready"
                    time.sleep(0.5)
            proc.url = f"http://127.0.0.1:{port}"
            if variant == "patched":
                _PATCHED_URLS.add(proc.url)
        return self.running[key].url

    def stop(self):
        for proc in self.running.values():
            proc.terminate()
            proc.wait(timeout=30)


@pytest.fixture(scope="module")
def servers(release_files, model_dir):
    s = Servers(release_files, model_dir)
    yield s
    s.stop()


def drive_jobs(python, url, jobs):
    """Every (client, scenario) of one server in one driver process (each client's imports
    once), in order."""
    proc = subprocess.run([python, "-W", "ignore", str(DRIVER), "--jobs", url, json.dumps(jobs)],
                          capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, PYTHONPATH=str(DRIVER.parent)))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


_RESULTS = {}


def drive(python, client, url, scenario):
    """What `client` extracted for `scenario` on the server at `url`; the first call for a
    server runs all of that server's jobs (JOBS) at once."""
    if url not in _RESULTS:
        variant = "patched" if url in _PATCHED_URLS else "stock"
        jobs = JOBS[variant]
        _RESULTS[url] = {json.dumps(job): got for job, got in zip(jobs, drive_jobs(python, url, jobs))}
    key = json.dumps([client, scenario])
    if key not in _RESULTS[url]:  # not batched: its own process
        _RESULTS[url][key] = drive_jobs(python, url, [[client, scenario]])[0]
    return _RESULTS[url][key]


def post(url, path, body):
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(),
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


NEMO_SCENARIOS = {
    "text": {"input": [{"role": "user", "content": TEXT}]},
    "tool_call": {"input": [{"role": "user", "content": TOOL_TEXT}], "tools": TOOLS},
}


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("name", NEMO_SCENARIOS)
def test_nemo_gym_vllm_model_round_trip(release, name, servers, clients_python):
    """responses -> chat completions (logprobs, top_logprobs 0, return_tokens_as_token_ids)
    -> /tokenize (chat form) -> training fields: the ids NeMo-Gym stores are the engine's."""
    url = servers.url(release, "patched")
    got = drive(clients_python, "nemo_gym", url, NEMO_SCENARIOS[name])
    assert got["ok"], got
    engine = got["engine"]  # the same chat body NeMo-Gym built, with return_token_ids: true
    assert got["prompt_token_ids"] == engine["prompt_token_ids"]
    assert [int(i) for i in got["generation_token_ids"]] == engine["token_ids"]
    assert got["generation_log_probs"] == engine["logprobs"]
    if name == "tool_call":
        assert "function_call" in got["output_types"]


@pytest.mark.parametrize("release", RELEASES)
def test_nemo_gym_fails_on_stock(release, servers, clients_python):
    got = drive(clients_python, "nemo_gym", servers.url(release, "stock"), NEMO_SCENARIOS["text"])
    assert not got["ok"], got
    if release in ("0.5.9", "0.5.10.post1"):
        # stock 0.5.9's (and 0.5.10.post1's) /tokenize takes only `prompt`: NeMo-Gym's
        # chat-form call is a 400.
        assert "400" in got["error"] and "/tokenize" in got["error"], got["error"]
    else:
        # 0.5.23 ships a chat form of /tokenize; the logprob tokens are text, which
        # NeMo-Gym's training message refuses as generation_token_ids.
        assert "generation_token_ids" in got["error"], got["error"]


OPENAI_SCENARIO = {"messages": [{"role": "user", "content": TEXT}], "prompt_ids": [277, 575],
                   "max_tokens": 8}


@pytest.mark.parametrize("release", RELEASES)
def test_openai_sdk_reads_token_id_logprobs(release, servers, clients_python):
    url = servers.url(release, "patched")
    got = drive(clients_python, "openai", url, OPENAI_SCENARIO)
    assert got["ok"], got
    chat = post(url, "/v1/chat/completions", {"messages": OPENAI_SCENARIO["messages"],
                                              "max_tokens": 8, "return_token_ids": True})
    comp = post(url, "/v1/completions", {"prompt": OPENAI_SCENARIO["prompt_ids"], "max_tokens": 8,
                                         "return_token_ids": True})
    assert got["chat_ids"] == got["chat_stream_ids"] == chat["choices"][0]["token_ids"]
    assert got["chat_top_lengths"] == [0] * len(got["chat_ids"])  # top_logprobs: 0
    assert got["completion_ids"] == comp["choices"][0]["token_ids"]


@pytest.mark.parametrize("release", RELEASES)
def test_openai_sdk_fails_on_stock(release, servers, clients_python):
    got = drive(clients_python, "openai", servers.url(release, "stock"), OPENAI_SCENARIO)
    assert not got["ok"] and "is not 'token_id:<id>'" in got["error"], got


AREAL_SCENARIO = {"prompt_ids": [277, 575], "max_tokens": 6, "score": True, "score_target_len": 1}


@pytest.mark.parametrize("release", RELEASES)
def test_areal_vllm_remote(release, servers, clients_python):
    """Generation works unchanged; its scorer's prompt_logprobs is refused by name (400)."""
    url = servers.url(release, "patched")
    got = drive(clients_python, "areal", url, AREAL_SCENARIO)
    assert got["ok"], got
    payload = got["generate_request"]["payload"]
    assert payload["return_tokens_as_token_ids"] is True and payload["logprobs"] == 0
    engine = post(url, "/v1/completions", dict(payload, return_token_ids=True))["choices"][0]
    assert got["output_tokens"] == engine["token_ids"]
    assert got["output_logprobs"] == engine["logprobs"]["token_logprobs"]
    assert got["score_request"]["payload"]["prompt_logprobs"] == 1
    assert not got["score_ok"] and "400" in got["score_error"]
    assert "prompt_logprobs is not supported" in got["score_error"]


@pytest.mark.parametrize("release", RELEASES)
def test_areal_fails_on_stock(release, servers, clients_python):
    got = drive(clients_python, "areal", servers.url(release, "stock"), AREAL_SCENARIO)
    # vllm_remote cuts "token_id:<id>" at the colon: a text token has none.
    assert not got["ok"] and "IndexError" in got["error"], got


# The jobs one driver process runs per server (the tests above read their results).
JOBS = {
    "patched": [["nemo_gym", NEMO_SCENARIOS["text"]], ["nemo_gym", NEMO_SCENARIOS["tool_call"]],
                ["openai", OPENAI_SCENARIO], ["areal", AREAL_SCENARIO]],
    "stock": [["nemo_gym", NEMO_SCENARIOS["text"]], ["openai", OPENAI_SCENARIO], ["areal", AREAL_SCENARIO]],
}
