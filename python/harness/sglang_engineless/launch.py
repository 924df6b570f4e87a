"""One call from a release name to a running harness server (needs this repository's scripts).

    from sglang_engineless.launch import serve
    with serve(release="0.5.23", patched=False, tool_call_parser="qwen25") as srv:
        srv.url                               # http://127.0.0.1:PORT (/v1/chat/completions, ...)
        srv.post("/v1/chat/completions", {...}, headers={...})   # -> (status, headers, body)

    python3 -m sglang_engineless.launch --release 0.5.23 [--patched] [--port P] [serve flags]

What it does, each step cached under .cache/ and safe to run from several processes:
  tree(release, patched)  the release's files (scripts/fetch-sglang.sh), with
                          patches/sglang-vRELEASE/ applied when patched (scripts/patches-check.sh);
  python(release)         the interpreter that runs that release (scripts/release-env.sh:
                          .venv, or .venv-sglang-RELEASE layered on it);
  model_dir(release)      the harness tokenizer folder (make_tokenizer, release's transformers);
then `python -m sglang_engineless.serve` with the release's tree on PYTHONPATH, ready once
/health_generate answers. Server flags are serve.py's (keyword arguments with underscores:
tool_call_parser="qwen25", stream_output=True means the release's delta-ids flag,
return_output_ids=True, delivery="each", ...).
"""

import argparse
import fcntl
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from sglang_engineless.adapters import RELEASE_FLAGS, release_key

HARNESS = Path(__file__).resolve().parents[1]


def repo_root() -> Path:
    """The repository holding scripts/fetch-sglang.sh: SGLANG_PATCHER_REPO, else the checkout
    this harness sits in."""
    root = Path(os.environ.get("SGLANG_PATCHER_REPO") or HARNESS.parents[1])
    if not (root / "scripts/fetch-sglang.sh").is_file():
        raise RuntimeError(f"{root} has no scripts/fetch-sglang.sh: set SGLANG_PATCHER_REPO "
                           "to the sglang-image-patcher checkout")
    return root


def _script(*args) -> str:
    proc = subprocess.run(["bash", *map(str, args)], cwd=repo_root(), capture_output=True,
                          text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args))} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return proc.stdout.strip().splitlines()[-1]


def patch_dir(release: str) -> Path:
    return repo_root() / f"patches/sglang-v{release_key(release)}"


def has_patches(release: str) -> bool:
    return any(patch_dir(release).glob("*.patch"))


def tree(release: str, patched: bool) -> Path:
    """Folder holding the release's sglang/ package, stock or with its patch series applied
    (one patched copy per series content, reused while the patches are unchanged)."""
    release = release_key(release)
    root = repo_root()
    stock = Path(_script(root / "scripts/fetch-sglang.sh", release))
    if not patched:
        return stock
    patches = sorted(patch_dir(release).glob("*.patch"))
    if not patches:
        raise RuntimeError(f"no patch series for SGLang {release}: {patch_dir(release)} holds no *.patch")
    digest = hashlib.sha256()
    for p in patches:
        digest.update(p.name.encode() + b"\0" + p.read_bytes())
    out = root / ".cache" / "harness-trees" / f"sglang-{release}-patched-{digest.hexdigest()[:16]}"
    if (out / "sglang").is_dir():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "sglang").is_dir():
            tmp = Path(tempfile.mkdtemp(dir=out.parent)) / "tree"
            _script(root / "scripts/patches-check.sh", release, "--out", tmp)
            tmp.rename(out)
            shutil.rmtree(tmp.parent, ignore_errors=True)
    return out


def python(release: str) -> str:
    """The interpreter whose packages run this release's serving code."""
    return str(Path(_script(repo_root() / "scripts/release-env.sh", release_key(release))) / "bin/python")


def model_dir(release: str, reasoning: bool = False) -> Path:
    """The harness tokenizer folder, written by the release's own transformers."""
    release = release_key(release)
    out = repo_root() / ".cache" / "harness-model" / release / ("tok-reasoning" if reasoning else "tok")
    if not (out / "tokenizer_config.json").is_file():
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=out.parent))
        subprocess.run([python(release), "-m", "sglang_engineless.make_tokenizer", str(tmp / "tok"),
                        *(["--reasoning"] if reasoning else [])],
                       env=dict(os.environ, PYTHONPATH=str(HARNESS)), check=True,
                       capture_output=True)
        try:
            (tmp / "tok").rename(out)
        except OSError:  # another process made it meanwhile
            pass
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def env_for(tree_dir) -> dict:
    env = dict(os.environ, PYTHONPATH=f"{tree_dir}{os.pathsep}{HARNESS}")
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TRANSFORMERS_OFFLINE", "1")
    return env


def serve_args(release: str, **flags) -> list:
    """serve.py's command-line flags for keyword flags; stream_output=True becomes the
    release's own delta-ids flag."""
    args = []
    for name, value in flags.items():
        if value is None or value is False:
            continue
        flag = "--" + name.replace("_", "-")
        if name == "stream_output":
            flag = RELEASE_FLAGS[release_key(release)].STREAM_OUTPUT_FLAG
        args += [flag] if value is True else [flag, str(value)]
    return args


class Server:
    """A running harness server; stop() (or leaving the `with`) ends it."""

    def __init__(self, release, patched, tree_dir, port, proc, log_path):
        self.release, self.patched, self.tree, self.port = release, patched, tree_dir, port
        self.url = f"http://127.0.0.1:{port}"
        self.proc, self.log_path = proc, log_path

    def post(self, path, body, headers=None, timeout=60):
        """(status, response headers, body: parsed JSON, or the raw SSE text of a stream)."""
        req = urllib.request.Request(
            self.url + path, data=json.dumps(body).encode(),
            headers={"content-type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                status, hdrs, raw = r.status, dict(r.headers), r.read().decode()
        except urllib.error.HTTPError as e:
            status, hdrs, raw = e.code, dict(e.headers), e.read().decode()
        try:
            return status, hdrs, json.loads(raw)
        except ValueError:
            return status, hdrs, raw

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(release: str = "0.5.9", patched: bool = True, port: int = None, reasoning=None,
          ready_timeout: float = 300, **flags) -> Server:
    """Start the harness on `release` (stock or patched) and return once it is ready.
    `reasoning`: tokenizer with Qwen3-style thinking (default: when reasoning_parser is set)."""
    release = release_key(release)
    tree_dir = tree(release, patched)
    port = port or free_port()
    reasoning = bool(flags.get("reasoning_parser")) if reasoning is None else reasoning
    cmd = [python(release), "-W", "ignore", "-m", "sglang_engineless.serve",
           "--model-path", str(model_dir(release, reasoning)), "--port", str(port),
           *serve_args(release, **flags)]
    log = tempfile.NamedTemporaryFile(prefix=f"harness-{release}-", suffix=".log", delete=False)
    proc = subprocess.Popen(cmd, env=env_for(tree_dir), stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    server = Server(release, patched, tree_dir, port, proc, log.name)
    deadline = time.time() + ready_timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"harness server exited {proc.returncode}:\n"
                               f"{Path(log.name).read_text()[-3000:]}")
        try:
            urllib.request.urlopen(f"{server.url}/health_generate", timeout=5)
            return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.time() > deadline:
                server.stop()
                raise RuntimeError(f"harness server not ready in {ready_timeout} s; log {log.name}")
            time.sleep(0.5)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m sglang_engineless.launch",
                                 description="Fetch, patch and serve a release on the harness "
                                 "(other flags go to sglang_engineless.serve).")
    ap.add_argument("--release", default="0.5.9")
    ap.add_argument("--patched", action="store_true", help="apply patches/sglang-vRELEASE/")
    ap.add_argument("--port", type=int, default=30000)
    ap.add_argument("--reasoning", action="store_true", help="tokenizer with thinking")
    args, rest = ap.parse_known_args(argv)
    release = release_key(args.release)
    tree_dir = tree(release, args.patched)
    cmd = [python(release), "-m", "sglang_engineless.serve", "--model-path",
           str(model_dir(release, args.reasoning)), "--port", str(args.port), *rest]
    print(f"sglang_engineless.launch: SGLang {release} {'patched' if args.patched else 'stock'} "
          f"from {tree_dir}", file=sys.stderr)
    os.execvpe(cmd[0], cmd, env_for(tree_dir))


if __name__ == "__main__":
    sys.exit(main())
