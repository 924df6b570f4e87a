"""Starts and stops the REAL `python3 -m sglang.launch_server` on CPU for one test module.

The server runs in its own process group with its log in a file; stopping kills the whole
group (the scheduler and detokenizer are child processes) and waits for it, so no engine
process outlives the test.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional


@dataclass(frozen=True)
class ServerMode:
    """The server flags a launch varies (the contract must hold in each)."""

    stream_output: bool
    stream_interval: int
    tool_call_parser: Optional[str]
    reasoning_parser: Optional[str]

    @property
    def label(self) -> str:
        parts = [
            "stream-output" if self.stream_output else "cumulative",
            f"interval{self.stream_interval}",
            f"tools-{self.tool_call_parser}" if self.tool_call_parser else "no-tools",
            f"reasoning-{self.reasoning_parser}" if self.reasoning_parser else "no-reasoning",
        ]
        return "-".join(parts)

    def flags(self) -> list[str]:
        out = ["--stream-interval", str(self.stream_interval)]
        if self.stream_output:
            out.append("--stream-output")
        if self.tool_call_parser:
            out += ["--tool-call-parser", self.tool_call_parser]
        if self.reasoning_parser:
            out += ["--reasoning-parser", self.reasoning_parser]
        return out


# Flags every launch needs on this machine: the CPU engine without Intel AMX (torch_native
# attention; ServerArgs._handle_cpu_backends picks the pytorch sampler), and a small KV pool
# (the default sizes it from free RAM).
CPU_FLAGS = ["--device", "cpu", "--attention-backend", "torch_native", "--max-total-tokens", "4096"]


class ServerFailed(RuntimeError):
    pass


# 0.5.15.post1's ServerArgs derives grpc_port = port + 10000 (SGLANG_GRPC_PORT unset) and
# refuses to start when that passes 65535, even with gRPC off: an ephemeral port above 55535
# failed its start ("SGLANG_GRPC_PORT (69507) must be between 1 and 65535").
MAX_PORT = 65535 - 10000


def free_port() -> int:
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port <= MAX_PORT:
            return port
    raise RuntimeError(f"no free port at or below {MAX_PORT}")


class RealServer:
    def __init__(self, python: Path, pythonpath: Path, model_path: Path, mode: ServerMode, log_path: Path):
        self.python = python
        self.pythonpath = pythonpath
        self.model_path = model_path
        self.mode = mode
        self.log_path = log_path
        self.port = free_port()
        self.proc: Optional[subprocess.Popen] = None
        self.startup_seconds: Optional[float] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [
            str(self.python), "-m", "sglang.launch_server",
            "--model-path", str(self.model_path),
            "--host", "127.0.0.1", "--port", str(self.port),
            *CPU_FLAGS, *self.mode.flags(),
        ]

    def start(self, timeout: float = 600.0) -> None:
        env = dict(os.environ)
        env.update(
            SGLANG_USE_CPU_ENGINE="1",
            PYTHONPATH=str(self.pythonpath),
            HF_HUB_OFFLINE="1",  # the checkpoint is local; nothing may come from a hub
            TRANSFORMERS_OFFLINE="1",
            PYTHONUNBUFFERED="1",
        )
        env.pop("SGLANG_TOKEN_IDS_DEFAULT", None)  # the contract's default (on) is under test
        began = time.monotonic()
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                self.command(), env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = began + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerFailed(f"server exited with {self.proc.returncode} before it was ready:\n{self.log_tail()}")
            if self._healthy():
                self.startup_seconds = time.monotonic() - began
                return
            time.sleep(1.0)
        self.stop()
        raise ServerFailed(f"server not ready within {timeout:.0f}s:\n{self.log_tail()}")

    def _healthy(self) -> bool:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", "/health_generate")
            return conn.getresponse().status == 200
        except OSError:
            return False
        finally:
            conn.close()

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None and not self._group_alive():
            return
        for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 20)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue
            if not self._group_alive():
                break
            time.sleep(1.0)

    def _group_alive(self) -> bool:
        try:
            os.killpg(self.proc.pid, 0)
            return True
        except ProcessLookupError:
            return False

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> "RealServer":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
