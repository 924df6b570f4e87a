"""``python3 -m tokenids_verify``: start (or attach to) a server, run the checks, report.

Exit codes: 0 every check passed (skips allowed, each with its reason), 1 a check failed,
2 the server or the setup failed (bad flags, server did not start, tokenizer not loadable).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import signal
import sys
import tempfile
import threading
import time
from typing import Any, Dict, Iterator, List, Optional

from .client import ChatClient
from .gate import apply_gpu_gate
from .context import CheckContext
from .model_info import detect_model_info, resolve_parser
from .releases import Release, UnknownRelease, installed_sglang_version, release_for
from .report import EXIT_CHECK_FAILED, EXIT_PASSED, EXIT_SETUP_FAILED, build_report, format_report, format_result_line, write_report
from .runner import CHECK_NAMES, CheckResult, run_checks, select_checks
from .server import LAUNCHER_MODULES, LaunchedServer, ServerStartError, free_port, server_argv, wait_for_health
from .tokenizer import TokenizerLoadError, load_tokenizer

DEFAULT_MODEL = "Qwen/Qwen2.5-0.5B-Instruct"
# Reasoning parsers whose models think unless chat_template_kwargs.enable_thinking is False
# (v0.5.9's OpenAIServingChat._get_reasoning_from_request): the checks that compare text
# with ids switch thinking off; reasoning_ids leaves it on.
THINKING_SWITCH_PARSERS = ("qwen3", "glm45", "nano_v3", "interns1")


class SetupError(RuntimeError):
    pass


class Interrupted(BaseException):
    """SIGTERM/SIGINT: unwind so that the launched servers are stopped."""


def log(msg: str) -> None:
    print(f"[tokenids_verify] {msg}", file=sys.stderr, flush=True)


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python3 -m tokenids_verify",
        description="Verify that a (patched) SGLang server returns exact token ids from /v1/chat/completions.",
        epilog=f"Checks: {', '.join(CHECK_NAMES)}. Exit: 0 passed, 1 a check failed, 2 server/setup failed.",
    )
    target = p.add_mutually_exclusive_group()
    target.add_argument("--model-path", help=f"launch a server for this model: a folder or a hub id (default {DEFAULT_MODEL})")
    target.add_argument("--server-url", help="use a running server, e.g. http://127.0.0.1:30000")
    p.add_argument("--launcher", choices=sorted(LAUNCHER_MODULES), default="sglang", help="server to launch with --model-path")
    p.add_argument("--tool-call-parser", help="override the detected tool-call parser ('none' to run without)")
    p.add_argument("--reasoning-parser", help="override the detected reasoning parser ('none' to run without)")
    p.add_argument("--startup-timeout", type=float, default=900.0, help="seconds to wait for /health_generate (default 900)")
    p.add_argument("--request-timeout", type=float, default=300.0, help="seconds for one HTTP request (default 300)")
    p.add_argument("--report", help="write the JSON report here")
    p.add_argument("--port", type=int, help="port for the launched server (default: a free one)")
    p.add_argument("--host", default="127.0.0.1", help="host for the launched server (default 127.0.0.1)")
    p.add_argument("--sglang-version", metavar="VERSION",
                   help="SGLang release under test (picks its server flags and stock response keys); default: what "
                        "the server reports (--server-url), else the installed sglang distribution's version")
    p.add_argument("--tokenizer", help="tokenizer folder or hub id (default: the model path, or what the server reports)")
    p.add_argument("--server-arg", action="append", default=[], metavar="ARG",
                   help="extra argument for the launched server, repeatable (e.g. --server-arg=--stream-interval --server-arg=3)")
    p.add_argument("--check", action="append", default=[], metavar="NAME", help="run only these checks (repeatable)")
    p.add_argument("--skip-check", action="append", default=[], metavar="NAME", help="do not run these checks (repeatable)")
    p.add_argument("--gpu-gate", action="store_true",
                   help="gpu mode: every check the release requires (gate.py) must pass; a skipped or left-out one fails the run")
    p.add_argument("--max-tokens", type=int, default=48, help="max_tokens of the shared greedy requests (default 48)")
    p.add_argument("--log-dir", help="where the server logs go (default: a temporary folder)")
    args = p.parse_args(argv)
    if not args.model_path and not args.server_url:
        args.model_path = DEFAULT_MODEL
    if args.server_url and (args.port or args.server_arg):
        p.error("--port and --server-arg only apply with --model-path (a server this tool launches)")
    if args.startup_timeout <= 0 or args.request_timeout <= 0:
        p.error("--startup-timeout and --request-timeout must be positive")
    try:
        args.selected = select_checks(args.check, args.skip_check)
    except ValueError as e:
        p.error(str(e))
    return args


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class Session:
    """Everything one run holds, so that cleanup always finds it."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.servers: List[LaunchedServer] = []
        self.main_server: Optional[LaunchedServer] = None
        self.main_stopped_on_purpose = False
        self.main_exit_before_stop: Optional[int] = None
        self.log_dir = args.log_dir or tempfile.mkdtemp(prefix="tokenids-verify-")
        os.makedirs(self.log_dir, exist_ok=True)
        self.target: Dict[str, Any] = {
            "mode": "launch" if args.model_path else "server-url",
            "launcher": args.launcher if args.model_path else None,
            "model_path": args.model_path,
            "server_url": args.server_url,
            "tool_call_parser": None,
            "reasoning_parser": None,
            "tokenizer": None,
            "server_log": None,
            "sglang_version": None,
            "sglang_version_source": None,
            "stream_output_flag": None,
        }
        self.release: Optional[Release] = None

    def resolve_release(self, reported: Optional[str] = None) -> Release:
        """--sglang-version, else the server's own report, else the installed distribution."""
        a = self.args
        for version, source in ((a.sglang_version, "--sglang-version"), (reported, "server"),
                                (installed_sglang_version(), "the sglang on this interpreter's path")):
            if version:
                try:
                    self.release = release_for(version)
                except UnknownRelease as e:
                    raise SetupError(f"{e} (version from {source})") from e
                self.target.update(sglang_version=version, sglang_version_source=source,
                                   stream_output_flag=self.release.stream_output_flag)
                return self.release
        raise SetupError("cannot tell which SGLang release is under test (no sglang distribution installed here); "
                         "pass --sglang-version")

    def _release(self) -> Release:
        if self.release is None:  # prepare() resolves it before any launch
            raise SetupError("internal: the SGLang release was not resolved before launching a server")
        return self.release

    def launch(self, name: str, stream_output: bool, check=None) -> LaunchedServer:
        a = self.args
        port = a.port if (a.port and not stream_output) else free_port(a.host if a.host != "0.0.0.0" else "127.0.0.1")
        argv = server_argv(
            a.launcher,
            a.model_path,
            a.host,
            port,
            tool_call_parser=self.target["tool_call_parser"],
            reasoning_parser=self.target["reasoning_parser"],
            stream_output_flag=self._release().stream_output_flag if stream_output else None,
            extra_args=a.server_arg,
        )
        server = LaunchedServer(argv, os.path.join(self.log_dir, f"{name}.log"), a.host, port)
        self.servers.append(server)
        log(f"starting {name} server: {' '.join(argv)} (log: {server.log_path})")
        server.start()
        try:
            took = server.wait_ready(a.startup_timeout, check=check)
        except ServerStartError as e:
            raise SetupError(f"{name} server did not start: {e}") from e
        log(f"{name} server ready at {server.url} after {took:.1f}s")
        return server

    @contextlib.contextmanager
    def stream_output_server(self) -> Iterator[ChatClient]:
        # One accelerator may not hold two copies of the model: stop the first server (noting
        # first whether it had died on its own, which is a server failure, not ours).
        if self.main_server is not None:
            self.main_exit_before_stop = self.main_server.exited()
            self.main_server.stop()
            self.main_stopped_on_purpose = True
        server = self.launch("stream-output", stream_output=True)
        try:
            yield ChatClient(server.url, timeout=self.args.request_timeout, model=self.model_name(server.url))
        finally:
            server.stop()

    def model_name(self, url: str) -> str:
        try:
            data = ChatClient(url, timeout=30).get_json("/v1/models").get("data") or []
            if data and data[0].get("id"):
                return data[0]["id"]
        except Exception:
            pass
        return "default"

    def server_death(self, wait: float = 0.0) -> Optional[int]:
        """Exit code of the main server if it died by itself during the checks, else None.
        ``wait``: a server that drops a connection as it dies may still be exiting when the
        failed check returns, so give it that long to show its exit code."""
        if self.main_server is None or self.main_server.proc is None:
            return None
        if self.main_stopped_on_purpose:
            return self.main_exit_before_stop
        deadline = time.monotonic() + wait
        while self.main_server.exited() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.main_server.exited()

    def stop_all(self) -> None:
        for server in self.servers:
            server.stop()

    def log_tail(self) -> List[str]:
        tail: List[str] = []
        for server in self.servers:
            lines = server.log_tail()
            if lines:
                tail += [f"--- {os.path.basename(server.log_path)} (last {len(lines)} lines) ---"] + lines
        return tail


def _server_reported_settings(client: ChatClient) -> Dict[str, Any]:
    """What a running SGLang server says about itself (the harness may not answer these)."""
    out: Dict[str, Any] = {}
    for path in ("/get_server_info", "/server_info"):
        try:
            info = client.get_json(path, timeout=30)
            args = info.get("server_args", info) if isinstance(info, dict) else {}
            for key in ("tool_call_parser", "reasoning_parser", "model_path", "tokenizer_path"):
                if args.get(key):
                    out[key] = args[key]
            if isinstance(info, dict) and isinstance(info.get("version"), str):
                out["version"] = info["version"]
            break
        except Exception:
            continue
    if "model_path" not in out:
        try:
            info = client.get_json("/get_model_info", timeout=30)
            for key in ("model_path", "tokenizer_path"):
                if info.get(key):
                    out[key] = info[key]
        except Exception:
            pass
    return out


def prepare(session: Session) -> CheckContext:
    a = session.args
    t = session.target
    if a.model_path:
        info = detect_model_info(a.model_path)
        t["model_type"] = info.model_type
        t["model_config_source"] = info.config_source
        t["tool_call_parser"] = resolve_parser(a.tool_call_parser, info.tool_call_parser)
        t["reasoning_parser"] = resolve_parser(a.reasoning_parser, info.reasoning_parser)
        tokenizer_source = a.tokenizer or a.model_path
        # Loaded while the server starts (both are slow); a tokenizer failure ends the wait.
        session.resolve_release()
        loader = BackgroundTokenizer(tokenizer_source)
        session.main_server = session.launch("main", stream_output=False, check=loader.raise_if_failed)
        tokenizer = loader.result()
        t["server_url"] = session.main_server.url
        t["server_log"] = session.main_server.log_path
    else:
        probe = ChatClient(a.server_url, timeout=a.request_timeout)
        log(f"waiting for {a.server_url}/health_generate (up to {a.startup_timeout:g}s)")
        try:
            wait_for_health(probe, a.startup_timeout)
        except ServerStartError as e:
            raise SetupError(str(e)) from e
        reported = _server_reported_settings(probe)
        session.resolve_release(reported.get("version"))
        t["model_path"] = reported.get("model_path")
        t["tool_call_parser"] = resolve_parser(a.tool_call_parser, reported.get("tool_call_parser"))
        t["reasoning_parser"] = resolve_parser(a.reasoning_parser, reported.get("reasoning_parser"))
        tokenizer_source = a.tokenizer or reported.get("tokenizer_path") or reported.get("model_path")
        if not tokenizer_source:
            raise SetupError("the server does not say which model it serves; pass --tokenizer")
        tokenizer = _load_tokenizer(tokenizer_source)
    t["tokenizer"] = tokenizer_source
    url = t["server_url"]
    ctx = CheckContext(
        client=ChatClient(url, timeout=a.request_timeout, model=session.model_name(url)),
        tokenizer=tokenizer,
        tool_call_parser=t["tool_call_parser"],
        reasoning_parser=t["reasoning_parser"],
        max_tokens=a.max_tokens,
        release=session.release,
    )
    if ctx.reasoning_parser in THINKING_SWITCH_PARSERS:
        ctx.no_thinking_kwargs = {"enable_thinking": False}
    if a.model_path:
        ctx.stream_output_server = session.stream_output_server
    else:
        ctx.stream_output_unavailable_reason = (
            f"needs a second server started with {session.release.stream_output_flag}; with --server-url the suite does not launch servers"
        )
    return ctx


class BackgroundTokenizer:
    def __init__(self, source: str):
        self._result = None
        self._error: Optional[BaseException] = None
        self._thread = threading.Thread(target=self._run, args=(source,), name="tokenizer-load", daemon=True)
        self._thread.start()

    def _run(self, source: str) -> None:
        try:
            self._result = _load_tokenizer(source)
        except BaseException as e:  # handed to the main thread
            self._error = e

    def raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error

    def result(self):
        self._thread.join()
        self.raise_if_failed()
        return self._result


def _load_tokenizer(source: str):
    try:
        return load_tokenizer(source)
    except TokenizerLoadError as e:
        raise SetupError(str(e)) from e


def _already_stopping(signum, _frame) -> None:
    log(f"received {signal.Signals(signum).name} while stopping the servers: already stopping")


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    started_at, start = _now(), time.monotonic()
    session = Session(args)
    results: List[CheckResult] = []
    error: Optional[str] = None
    gate: Optional[Dict[str, Any]] = None

    def on_signal(signum, _frame):
        raise Interrupted(f"received signal {signal.Signals(signum).name}")

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        ctx = prepare(session)
        log(f"running {len(args.selected)} checks against {ctx.client.base_url}")

        def progress(r: CheckResult) -> None:
            print(format_result_line(r), flush=True)

        results = run_checks(ctx, args.selected, on_result=progress)
        if args.gpu_gate:
            results, gate = apply_gpu_gate(session.release.version, results)
            for v in gate["violations"]:
                log(f"gpu gate: {v['check']} {v['was']} ({v['reason']}): required for SGLang {session.release.version} in gpu mode")
        dead = session.server_death(wait=3.0 if any(r.status == "failed" for r in results) else 0.0)
        if dead is not None:
            error = f"the server exited with code {dead} during the checks"
    except SetupError as e:
        error = str(e)
    except Interrupted as e:
        error = f"interrupted: {e}"
    except Exception as e:  # a bug or an unexpected environment problem: still report and clean up
        error = f"{type(e).__name__}: {e}"
    finally:
        # The first signal started this cleanup; a later one (GitHub's SIGTERM 7.5 s after its
        # SIGINT, docker stop after a Ctrl-C) is the same cancellation and must not cut the
        # servers' stop short with a traceback.
        for s in previous:
            signal.signal(s, _already_stopping)
        try:
            session.stop_all()
        finally:
            for s, h in previous.items():
                signal.signal(s, h)

    if error:
        exit_code = EXIT_SETUP_FAILED
    elif any(r.status == "failed" for r in results):
        exit_code = EXIT_CHECK_FAILED
    else:
        exit_code = EXIT_PASSED
    tail = session.log_tail() if exit_code != EXIT_PASSED else []
    report = build_report(exit_code, session.target, results, started_at, _now(), time.monotonic() - start, error, tail)
    if gate is not None:
        report["gate"] = gate
    print(format_report(report), flush=True)
    if tail:
        print("\nserver log tail:", file=sys.stderr)
        print("\n".join(tail), file=sys.stderr, flush=True)
    if args.report:
        try:
            write_report(args.report, report)
            log(f"JSON report: {args.report}")
        except OSError as e:
            log(f"could not write the JSON report to {args.report}: {e}")
            return EXIT_SETUP_FAILED
    return exit_code
