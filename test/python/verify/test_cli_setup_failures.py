"""The CLI's setup-failure paths: exit 2, a clear error in both reports, the server log tail,
and no server process left behind (process group stopped, also when verify is signalled)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tokenids_verify.server import free_port
from tokenids_verify.releases import parse_version
from tokenids_verify.stock_keys import SHAPES_BY_RELEASE

ROOT = Path(__file__).resolve().parents[3]


# The fake launchers below serve no sglang, so the suite cannot read the release from the path:
# the launch tests name it, as build-image does.
RELEASE = ["--sglang-version", "0.5.9"]


def run_cli(args, env_extra=None, timeout=120):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "verify")] + ([env_extra.pop("PYTHONPATH")] if env_extra and "PYTHONPATH" in env_extra else []))
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "tokenids_verify", *args], capture_output=True, text=True, env=env, timeout=timeout)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purpose
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def hanging_launcher(tmp_path: Path) -> Path:
    """A stand-in `sglang_engineless.serve` that never gets ready and forks a child (like
    SGLang's scheduler processes): the suite must stop both."""
    pkg = tmp_path / "hang" / "sglang_engineless"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "serve.py").write_text(textwrap.dedent(
        """
        import os, subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        with open(os.environ["HANG_PIDS"], "w") as f:
            f.write(f"{os.getpid()} {child.pid}")
        print("pretending to load a model", flush=True)
        time.sleep(600)
        """
    ))
    return pkg.parent


def test_bad_flags_exit_2():
    r = run_cli(["--server-url", "http://127.0.0.1:1", "--port", "5"])
    assert r.returncode == 2 and "--port and --server-arg only apply with --model-path" in r.stderr
    r = run_cli(["--server-url", "http://127.0.0.1:1", "--check", "no_such_check"])
    assert r.returncode == 2 and "unknown check name(s) ['no_such_check']" in r.stderr
    r = run_cli(["--server-url", "not a url"])
    assert r.returncode == 2 and "server URL must look like http://host:port" in r.stdout


def test_unreachable_server_url_exits_2_with_report(tmp_path):
    report = tmp_path / "r.json"
    port = free_port()
    r = run_cli(["--server-url", f"http://127.0.0.1:{port}", "--startup-timeout", "2", "--report", str(report)])
    assert r.returncode == 2, r.stdout + r.stderr
    data = json.loads(report.read_text())
    assert data["status"] == "error" and data["exit_code"] == 2
    assert "/health_generate not ready after 2 s" in data["error"]
    assert data["checks"] == []
    assert "error:" in r.stdout


def test_launcher_that_crashes_exits_2_with_log_tail(tmp_path, byte_tokenizer_dir):
    report = tmp_path / "r.json"
    # no sglang_engineless on PYTHONPATH: the server process dies at once
    r = run_cli(["--model-path", str(byte_tokenizer_dir), "--launcher", "engineless", *RELEASE, "--startup-timeout", "60",
                 "--report", str(report), "--log-dir", str(tmp_path / "logs")])
    assert r.returncode == 2, r.stdout + r.stderr
    data = json.loads(report.read_text())
    assert "main server did not start: the server process exited with code 1" in data["error"]
    assert any("No module named 'sglang_engineless'" in line for line in data["server_log_tail"])
    assert "No module named 'sglang_engineless'" in r.stderr  # the tail is printed too
    assert data["target"]["tool_call_parser"] == "qwen25"  # detected from config.json


def test_startup_timeout_stops_the_whole_process_group(tmp_path, byte_tokenizer_dir):
    pids_file = tmp_path / "pids"
    report = tmp_path / "r.json"
    r = run_cli(["--model-path", str(byte_tokenizer_dir), "--launcher", "engineless", *RELEASE, "--startup-timeout", "4", "--report", str(report)],
                env_extra={"PYTHONPATH": str(hanging_launcher(tmp_path)), "HANG_PIDS": str(pids_file)})
    assert r.returncode == 2, r.stdout + r.stderr
    assert "not ready after 4 s" in json.loads(report.read_text())["error"]
    server_pid, child_pid = map(int, pids_file.read_text().split())
    assert not alive(server_pid) and not alive(child_pid)


def test_sigterm_while_waiting_stops_the_server(tmp_path, byte_tokenizer_dir):
    pids_file = tmp_path / "pids"
    report = tmp_path / "r.json"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "verify"), str(hanging_launcher(tmp_path))]), HANG_PIDS=str(pids_file))
    proc = subprocess.Popen([sys.executable, "-m", "tokenids_verify", "--model-path", str(byte_tokenizer_dir), "--launcher", "engineless", *RELEASE,
                             "--startup-timeout", "120", "--report", str(report)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (pids_file.exists() and pids_file.read_text().strip()) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert pids_file.exists(), "the launcher never started"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 2, out + err
    assert "interrupted: received signal SIGTERM" in json.loads(report.read_text())["error"]
    server_pid, child_pid = map(int, pids_file.read_text().split())
    assert not alive(server_pid) and not alive(child_pid)


def dying_launcher(tmp_path: Path) -> Path:
    """A stand-in server that gets ready, then dies on the first chat request: the run must
    end with exit 2 (server failure), not 1 (a contract violation)."""
    pkg = tmp_path / "die" / "sglang_engineless"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "serve.py").write_text(textwrap.dedent(
        """
        import argparse, http.server, json, os
        p = argparse.ArgumentParser(); p.add_argument("--port", type=int); p.add_argument("--host")
        args, _ = p.parse_known_args()
        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = json.dumps({"data": [{"id": "m"}]}).encode()
                self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
                self.wfile.write(body)
            def do_POST(self):
                print("dying on the first request", flush=True)
                os._exit(3)
        http.server.HTTPServer((args.host, args.port), H).serve_forever()
        """
    ))
    return pkg.parent


def test_server_dying_during_the_checks_exits_2(tmp_path, byte_tokenizer_dir):
    report = tmp_path / "r.json"
    r = run_cli(["--model-path", str(byte_tokenizer_dir), "--launcher", "engineless", *RELEASE, "--check", "nonstream_ids", "--report", str(report)],
                env_extra={"PYTHONPATH": str(dying_launcher(tmp_path))})
    assert r.returncode == 2, r.stdout + r.stderr
    data = json.loads(report.read_text())
    assert data["error"] == "the server exited with code 3 during the checks"
    assert data["failed_checks"] == ["nonstream_ids"]
    assert any("dying on the first request" in line for line in data["server_log_tail"])


def test_unloadable_tokenizer_ends_the_startup_wait(tmp_path):
    """The tokenizer loads while the server starts; when it fails, the run stops at once
    (not after the startup timeout) with exit 2 naming the tokenizer, and the server is gone."""
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text('{"model_type": "qwen2"}')  # no tokenizer files
    pids_file = tmp_path / "pids"
    report = tmp_path / "r.json"
    began = time.monotonic()
    r = run_cli(["--model-path", str(model), "--launcher", "engineless", *RELEASE, "--startup-timeout", "300", "--report", str(report)],
                env_extra={"PYTHONPATH": str(hanging_launcher(tmp_path)), "HANG_PIDS": str(pids_file)}, timeout=200)
    assert r.returncode == 2, r.stdout + r.stderr
    assert time.monotonic() - began < 150
    assert "could not load the tokenizer of" in json.loads(report.read_text())["error"]
    if pids_file.exists() and pids_file.read_text().strip():
        server_pid, child_pid = map(int, pids_file.read_text().split())
        assert not alive(server_pid) and not alive(child_pid)


def test_launch_without_a_known_release_is_a_setup_error(byte_tokenizer_dir, tmp_path):
    """No --sglang-version and no sglang on the path: the suite cannot pick the server flags or
    the stock keys, so it stops before launching anything (exit 2), saying what to pass; an
    unknown release is refused the same way."""
    report = tmp_path / "r.json"
    r = run_cli(["--model-path", str(byte_tokenizer_dir), "--launcher", "engineless", "--report", str(report)])
    assert r.returncode == 2, r.stdout + r.stderr
    data = json.loads(report.read_text())
    assert "cannot tell which SGLang release is under test" in data["error"] and "--sglang-version" in data["error"]
    assert data["target"]["server_log"] is None
    r = run_cli(["--model-path", str(byte_tokenizer_dir), "--launcher", "engineless", "--sglang-version", "0.5.17", "--report", str(report)])
    assert r.returncode == 2
    known = ", ".join(sorted(SHAPES_BY_RELEASE, key=parse_version))  # every release with a key table
    assert f"SGLang 0.5.17: the verify suite knows the stock response keys of {known} only (version from --sglang-version)" in json.loads(report.read_text())["error"]
