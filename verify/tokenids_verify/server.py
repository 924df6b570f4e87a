"""Starting and stopping the server under test (SGLang or the engine-less harness).

The server runs in its own process group (SGLang spawns scheduler and detokenizer
processes), so stopping it kills the whole group. On Linux it runs under tree_guard.py, which
takes down the server's whole process tree (also processes that left the group, and orphans)
when it is stopped, when the server exits, and when the verify process dies, even by SIGKILL.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from typing import List, Optional, Sequence

from .client import ChatClient

LAUNCHER_MODULES = {"sglang": "sglang.launch_server", "engineless": "sglang_engineless.serve"}


class ServerStartError(RuntimeError):
    pass


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def server_argv(
    launcher: str,
    model_path: str,
    host: str,
    port: int,
    *,
    tool_call_parser: Optional[str] = None,
    reasoning_parser: Optional[str] = None,
    stream_output_flag: Optional[str] = None,
    extra_args: Sequence[str] = (),
    python: str = sys.executable,
) -> List[str]:
    if launcher not in LAUNCHER_MODULES:
        raise ValueError(f"unknown launcher {launcher!r} (known: {', '.join(LAUNCHER_MODULES)})")
    argv = [python, "-m", LAUNCHER_MODULES[launcher], "--model-path", model_path, "--host", host, "--port", str(port)]
    if tool_call_parser:
        argv += ["--tool-call-parser", tool_call_parser]
    if reasoning_parser:
        argv += ["--reasoning-parser", reasoning_parser]
    # The release's own spelling (releases.stream_output_flag): 0.5.23 refuses --stream-output.
    if stream_output_flag:
        argv.append(stream_output_flag)
    return argv + list(extra_args)


# On Linux the server runs under tree_guard.py (see there): a parent-death signal, a child
# subreaper and a sweep of every descendant, so no process of the server's tree outlives the run.
# A separate script rather than a ``preexec_fn``: code between fork and exec is unsafe while
# other threads run (the runner starts threads), and ``start_new_session`` gives the guard and
# the server their own process group without it.
_TREE_GUARD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tree_guard.py")
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


def _guarded(argv: Sequence[str]) -> List[str]:
    if not sys.platform.startswith("linux"):
        return list(argv)
    return [sys.executable, _TREE_GUARD, str(os.getpid()), "--", *argv]


class LaunchedServer:
    def __init__(self, argv: List[str], log_path: str, host: str, port: int, env: Optional[dict] = None):
        self.argv = argv
        self.log_path = log_path
        self.host = host
        self.port = port
        self.env = env
        self.proc: Optional[subprocess.Popen] = None

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        log = open(self.log_path, "ab")
        # A stop signal between the fork and ``self.proc = ...`` would raise with the process
        # started but unknown to stop(): blocked until the Popen object is kept, then delivered.
        # The guard inherits the mask and unblocks it once its handlers are installed.
        blocked = sys.platform.startswith("linux")
        if blocked:
            signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
        try:
            self.proc = subprocess.Popen(
                _guarded(self.argv),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                start_new_session=True,
            )
        finally:
            log.close()
            if blocked:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)

    def exited(self) -> Optional[int]:
        return None if self.proc is None else self.proc.poll()

    def wait_ready(self, timeout: float, poll_interval: float = 1.0, check=None) -> float:
        """Waits for /health_generate to answer 200; returns the seconds it took. ``check`` is
        called on every poll and may raise to abandon the wait (e.g. the tokenizer failed)."""
        start = time.monotonic()
        wait_for_health(ChatClient(self.url), timeout, poll_interval, is_dead=self.exited, check=check)
        return time.monotonic() - start

    def stop(self, grace: float = 20.0) -> None:
        if self.proc is None or self.proc.poll() is not None and not _group_alive(self.proc.pid):
            return
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                if self.proc.poll() is not None and not _group_alive(self.proc.pid):
                    return
                time.sleep(0.2)
        self.proc.poll()

    def log_tail(self, lines: int = 60) -> List[str]:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return [line.rstrip("\n") for line in deque(f, maxlen=lines)]
        except OSError:
            return []


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def wait_for_health(client: ChatClient, timeout: float, poll_interval: float = 1.0, is_dead=None, check=None) -> None:
    """Polls /health_generate (a real generation, so the engine is up, not just the HTTP
    layer) until it answers 200. Raises ServerStartError on timeout or when the process died."""
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while True:
        if check is not None:
            check()
        if is_dead is not None:
            code = is_dead()
            if code is not None:
                raise ServerStartError(f"the server process exited with code {code} before it was ready")
        try:
            status, body = client.request("GET", "/health_generate", timeout=min(30.0, max(1.0, deadline - time.monotonic())))
            if status == 200:
                return
            last = f"HTTP {status}: {body[:200]}"
        except OSError as e:
            last = f"{type(e).__name__}: {e}"
        if time.monotonic() >= deadline:
            raise ServerStartError(f"{client.base_url}/health_generate not ready after {timeout:g} s (last: {last})")
        time.sleep(poll_interval)
