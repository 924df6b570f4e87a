"""(4) `python3 -m sglang_engineless.serve` as a process: the real FastAPI/uvicorn stack."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from conftest import RELEASES, REPO

from sglang_engineless.adapters import RELEASE_FLAGS  # noqa: E402  (no sglang import)

TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}}}}]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_for(tree):
    return dict(os.environ, PYTHONPATH=f"{tree}{os.pathsep}{REPO / 'python' / 'harness'}")


def post(port, body, stream=False):
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/chat/completions",
        data=json.dumps(dict(body, stream=stream)).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        raw = r.read().decode()
    if not stream:
        return json.loads(raw)
    lines = [l[6:] for l in raw.splitlines() if l.startswith("data: ")]
    assert lines[-1] == "[DONE]"
    return [json.loads(l) for l in lines[:-1]]


@pytest.fixture(scope="module")
def server(patched_release, tmp_path_factory):
    model = tmp_path_factory.mktemp("model") / "tok"
    subprocess.run([sys.executable, "-m", "sglang_engineless.make_tokenizer", str(model)],
                   env=env_for(patched_release), check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-W", "ignore", "-m", "sglang_engineless.serve", "--model-path", str(model),
         "--port", str(port), "--tool-call-parser", "qwen25", "--stream-interval", "3",
         "--stream-output"],
        env=env_for(patched_release), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.time() + 180
        while True:
            assert proc.poll() is None, proc.stdout.read()
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health_generate", timeout=5)
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.time() < deadline, "server did not become ready"
                time.sleep(0.5)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_endpoints(server):
    assert urllib.request.urlopen(f"http://127.0.0.1:{server}/health").status == 200
    models = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{server}/v1/models").read())
    assert models["data"][0]["object"] == "model"


def test_tool_call_ids_over_http(server):
    body = {"messages": [{"role": "user", "content": "Weather in Paris?"}], "tools": TOOLS}
    full = post(server, body)
    assert full["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert len(full["prompt_token_ids"]) == full["usage"]["prompt_tokens"]
    chunks = post(server, body, stream=True)
    assert chunks[0]["prompt_token_ids"] == full["prompt_token_ids"]
    assert sum("prompt_token_ids" in c for c in chunks) == 1
    streamed = [i for c in chunks for ch in c["choices"] for i in ch.get("token_ids", [])]
    assert streamed == full["choices"][0]["token_ids"]
    assert post(server, body)["choices"][0]["token_ids"] == full["choices"][0]["token_ids"]


def test_flag_false_and_bad_request(server):
    body = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 4, "return_token_ids": False}
    full = post(server, body)
    assert "prompt_token_ids" not in full and "token_ids" not in full["choices"][0]
    with pytest.raises(urllib.error.HTTPError) as err:
        post(server, {"messages": "not a list"})
    assert err.value.code == 400


def post_error(port, body):
    with pytest.raises(urllib.error.HTTPError) as err:
        post(port, body, stream=body.get("stream", False))
    return err.value.code, json.loads(err.value.read().decode())


@pytest.mark.parametrize("value", ["garbage", 2, "", 0.5, [], {}])
@pytest.mark.parametrize("stream", [False, True])
def test_invalid_flag_is_a_400_naming_it(server, value, stream):
    body = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 2,
            "return_token_ids": value, "stream": stream}
    code, err = post_error(server, body)
    assert code == 400
    assert "return_token_ids" in err["message"]
    # v0.5.9's error shape: the same keys as any other request validation error.
    _, other = post_error(server, {"messages": "not a list"})
    assert set(err) == set(other) and err["code"] == other["code"] == 400


@pytest.mark.parametrize("value,ids", [(0.0, False), ("off", False), ("yes", True), (1, True), (None, True)])
def test_lax_flag_spellings_are_accepted(server, value, ids):
    body = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 2, "return_token_ids": value}
    full = post(server, body)
    assert ("prompt_token_ids" in full) is ids and ("token_ids" in full["choices"][0]) is ids


def test_bad_model_path_exits_2(patched_release, tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "sglang_engineless.serve", "--model-path", str(tmp_path / "none")],
        env=env_for(patched_release), capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2
    assert "no tokenizer_config.json" in proc.stderr


@pytest.mark.parametrize("flag,message", [
    (["--delivery", "sometimes"], "invalid choice: 'sometimes'"),
    (["--step-tokens", "0"], "--step-tokens must be >= 1"),
])
def test_bad_harness_options_exit_2(patched_release, tmp_path_factory, flag, message):
    model = tmp_path_factory.mktemp("model-opts") / "tok"
    subprocess.run([sys.executable, "-m", "sglang_engineless.make_tokenizer", str(model)],
                   env=env_for(patched_release), check=True, capture_output=True)
    proc = subprocess.run(
        [sys.executable, "-m", "sglang_engineless.serve", "--model-path", str(model), *flag],
        env=env_for(patched_release), capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2
    assert message in proc.stderr


# Later releases over HTTP (sglang_engineless.launch: the release's tree and Python).
LATER = RELEASES[1:]


@pytest.fixture(scope="module", params=LATER)
def later_server(request, release_files):
    from sglang_engineless import launch

    release = request.param
    release_files.patched(release)  # skips when the release has no series yet
    with launch.serve(release=release, patched=True, tool_call_parser="qwen25",
                      stream_output=True, stream_interval=3) as srv:
        srv.release = release
        yield srv


def sse_events(raw):
    """[(event name or None, data)] of an SSE body."""
    events, name = [], None
    for line in raw.splitlines():
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            events.append((name, line[6:]))
            name = None
    return events


def test_later_release_stream_ids_and_framed_sglext_over_http(later_server):
    """On the patched release over the real routes: stream=true with return_token_ids is
    answered in vLLM's shape, and upstream's header-framed sglext ids still arrive as the
    named SSE event stock ships (x-sglext-ids-framed: 1 -> `event: sglext_ids`)."""
    body = {"messages": [{"role": "user", "content": "Weather in Paris?"}], "tools": TOOLS,
            "max_tokens": 40}
    status, _, full = later_server.post("/v1/chat/completions", dict(body, return_token_ids=True))
    assert status == 200
    sglext = RELEASE_FLAGS[later_server.release].SGLEXT_IDS
    # 0.5.10.post1 has no ids of its own: vLLM's token_ids alone
    want = full["choices"][0]["response_token_ids" if sglext else "token_ids"]
    assert full["choices"][0]["token_ids"] == want and want
    status, _, raw = later_server.post("/v1/chat/completions",
                                       dict(body, stream=True, return_token_ids=True))
    assert status == 200, raw
    chunks = [json.loads(d) for _, d in sse_events(raw) if d != "[DONE]"]
    assert [i for c in chunks for ch in c["choices"] for i in ch.get("token_ids", [])] == want
    if not sglext:
        return
    status, _, raw = later_server.post(
        "/v1/chat/completions", dict(body, stream=True, return_token_ids=False,
                                     return_output_ids_in_sglext=True),
        headers={"x-sglext-ids-framed": "1"})
    events = sse_events(raw)
    named = [(n, json.loads(d)) for n, d in events if n]
    assert [n for n, _ in named] == ["sglext_ids"], events[-3:]
    assert named[0][1]["sglext"]["output_ids"] == [want]
    assert events[-1] == (None, "[DONE]")


@pytest.mark.parametrize("release", [r for r in LATER
                                     if not getattr(RELEASE_FLAGS[r], "STREAM_OUTPUT_ALIASES", ())])
def test_later_release_rejects_the_other_releases_delta_flag(release_files, release, tmp_path):
    """0.5.23 has no --stream-output (its delta-ids flag is --incremental-streaming-output):
    the harness refuses it as launch_server would, before importing anything."""
    (tmp_path / "tokenizer_config.json").write_text("{}")
    proc = subprocess.run(
        [release_files.python(release), "-m", "sglang_engineless.serve", "--model-path",
         str(tmp_path), "--stream-output"],
        env=env_for(release_files.stock(release)), capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert f"--stream-output is not a flag of SGLang {release}" in proc.stderr
