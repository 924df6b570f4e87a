"""No process of the server's tree outlives the verify run, on every exit path, on a loaded
machine: stopped on SIGTERM, on SIGINT then SIGTERM (GitHub's cancel) with no traceback, and
when the verify process itself is SIGKILLed. The stand-in server forks the ways SGLang and the
libraries under it do: a child in its group, a child that calls setsid() (leaves the group), and
a double-forked orphan (re-parented away from the server at once). A CI run on a loaded machine
once found a launcher's child alive, re-parented to init, 8 minutes after the run."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
RELEASE = ["--sglang-version", "0.5.9"]

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the tree guard is Linux-only")


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"  # a zombie is dead for our purpose
    except OSError:
        return False


def forking_launcher(tmp_path: Path, ignore_sigterm: bool = False) -> Path:
    """A stand-in `sglang_engineless.serve` that never gets ready and leaves three kinds of
    descendant; it writes their pids (server, in-group child, setsid child, orphan) to $HANG_PIDS."""
    pkg = tmp_path / "forking" / "sglang_engineless"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "serve.py").write_text(textwrap.dedent(
        f"""
        import os, signal, subprocess, sys, time
        if {ignore_sigterm!r}:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        sleeper = [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN) if {ignore_sigterm!r} else None; time.sleep(600)"]
        in_group = subprocess.Popen(sleeper)
        own_session = subprocess.Popen(sleeper, start_new_session=True)
        r, w = os.pipe()
        if os.fork() == 0:  # double fork: the grandchild is orphaned at once
            grandchild = subprocess.Popen(sleeper)
            os.write(w, str(grandchild.pid).encode())
            os._exit(0)
        orphan = int(os.read(r, 32))
        tmp = os.environ["HANG_PIDS"] + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{{os.getpid()}} {{in_group.pid}} {{own_session.pid}} {{orphan}}")
        os.rename(tmp, os.environ["HANG_PIDS"])
        print("pretending to load a model", flush=True)
        while True:
            time.sleep(600)
        """
    ))
    return pkg.parent


@contextlib.contextmanager
def loaded_machine():
    """One spinning process per CPU: the fault showed only on a loaded machine."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(os.cpu_count() or 2)]
    try:
        yield
    finally:
        for s in spinners:
            s.kill()
            s.wait()


def start_cli(tmp_path, byte_tokenizer_dir, ignore_sigterm=False, grace="10"):
    pids_file = tmp_path / "pids"
    report = tmp_path / "r.json"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "verify"), str(forking_launcher(tmp_path, ignore_sigterm))]),
               HANG_PIDS=str(pids_file), TOKENIDS_VERIFY_STOP_GRACE_S=grace)
    proc = subprocess.Popen([sys.executable, "-m", "tokenids_verify", "--model-path", str(byte_tokenizer_dir), "--launcher", "engineless", *RELEASE,
                             "--startup-timeout", "300", "--report", str(report)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not pids_file.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert pids_file.exists(), "the launcher never wrote its pids: " + (proc.communicate(timeout=30)[1] if proc.poll() is not None else "")
    return proc, report, [int(p) for p in pids_file.read_text().split()]


def all_gone(pids, within=30.0):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not any(alive(p) for p in pids):
            return []
        time.sleep(0.1)
    return [p for p in pids if alive(p)]


def kill_leftovers(pids):
    for p in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(p, signal.SIGKILL)


def test_sigterm_takes_down_the_whole_tree_under_load(tmp_path, byte_tokenizer_dir):
    with loaded_machine():
        proc, report, pids = start_cli(tmp_path, byte_tokenizer_dir)
        try:
            assert all(alive(p) for p in pids)
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=90)
            left = all_gone(pids, within=5)
        finally:
            proc.kill()
            kill_leftovers(pids)
    assert proc.returncode == 2, out + err
    assert "interrupted: received signal SIGTERM" in json.loads(report.read_text())["error"]
    assert left == [], f"still alive after the run: {left} (server, in-group child, setsid child, orphan = {pids})"


def test_sigint_then_sigterm_is_one_cancellation_without_a_traceback(tmp_path, byte_tokenizer_dir):
    # The server ignores SIGTERM, so the stop takes the guard's whole grace (2 s here) and the
    # SIGTERM lands in the middle of it, as GitHub's does 7.5 s after its SIGINT.
    with loaded_machine():
        proc, report, pids = start_cli(tmp_path, byte_tokenizer_dir, ignore_sigterm=True, grace="3")
        try:
            proc.send_signal(signal.SIGINT)
            time.sleep(1.0)
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=90)
            left = all_gone(pids, within=5)
        finally:
            proc.kill()
            kill_leftovers(pids)
    assert proc.returncode == 2, out + err
    assert "Traceback" not in err, err
    assert "received SIGTERM while stopping the servers: already stopping" in err
    assert "interrupted: received signal SIGINT" in json.loads(report.read_text())["error"]
    assert left == [], f"still alive after the run: {left} of {pids}"


def test_a_sigkilled_verify_process_leaves_no_server_process(tmp_path, byte_tokenizer_dir):
    with loaded_machine():
        proc, _, pids = start_cli(tmp_path, byte_tokenizer_dir)
        try:
            proc.kill()
            proc.communicate(timeout=30)
            left = all_gone(pids, within=30)
        finally:
            kill_leftovers(pids)
    assert left == [], f"still alive 30 s after the verify process was killed: {left} of {pids}"
