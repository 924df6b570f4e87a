"""Serving-layer throughput, patched vs unpatched SGLang v0.5.9, on the same scripted engine.

    .venv/bin/python bench/serving_bench.py [--rounds N] [--seconds S]

Two worker processes (one per sglang copy: the v0.5.9 wheel, and the same with
patches/sglang-v0.5.9 applied) each build the real OpenAIServingChat around the harness's
scripted engine (python/harness/sglang_engineless). Per round and per request kind (logprobs off,
and logprobs on with top_logprobs 5), streamed chat requests and non-streaming ones are
measured, one at a time, in-process (no HTTP), as completion tokens per CPU second of the
worker (CPU time rather than wall time because the machine is shared); the two workers take
turns measurement by measurement (first one, then the other, the order swapped each round)
so each pair sees the same machine load. The ratio of each back-to-back pair is taken, and
the median over rounds reported (best-of figures too).
Bytes added per streamed token: SSE bytes of the patched stream (ids on, the server
default) minus the unpatched stream's for the same request, divided by the completion
tokens; with logprobs on this includes the log-probabilities v0.5.9 loses and the patch
set sends. Writes bench/serving.json and bench/serving.md.
Goals: every throughput ratio >= 0.97; <= 8 bytes per streamed token with logprobs off.
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# ignore_eos keeps every answer at 64 tokens (the scripted model goes on with its text).
BODY = {
    "messages": [{"role": "user", "content": "Tell me something about Paris and the weather"}],
    "max_tokens": 64,
    "ignore_eos": True,
}
# request kind -> body
BODIES = {
    "logprobs_off": BODY,
    "logprobs_on": dict(BODY, logprobs=True, top_logprobs=5),
}
TOKENS = BODY["max_tokens"]


# ---------------------------------------------------------------- worker (one sglang copy)
def worker(work_dir: str) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    sys.path.insert(0, str(REPO / "python" / "harness"))
    from sglang_engineless.app import build_serving
    from sglang_engineless.make_tokenizer import write_model_dir
    from sglang.srt.entrypoints.openai.protocol import ChatCompletionRequest

    model = write_model_dir(os.path.join(work_dir, "tok"))
    tm, chat = build_serving(model)

    async def one(body, stream):
        req = ChatCompletionRequest(**dict(body, stream=stream))
        resp = await chat.handle_request(req, None)
        if not stream:
            return len(resp.model_dump_json())
        size = 0
        async for raw in resp.body_iterator:
            size += len(raw.encode())
        return size

    async def timed(body, stream, seconds):
        # CPU seconds of this process, not wall time: the machine is shared (2 cores), and
        # other load would otherwise dominate the comparison.
        requests = 0
        start, cpu0 = time.perf_counter(), time.process_time()
        while time.perf_counter() - start < seconds:
            await one(body, stream)
            requests += 1
        return requests * TOKENS / (time.process_time() - cpu0), requests

    loop = asyncio.new_event_loop()
    for body in BODIES.values():
        loop.run_until_complete(one(body, True))  # warm-up
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        # One measurement per command: the driver alternates the two workers measurement
        # by measurement, so each pair runs back to back under the same machine load.
        cmd = json.loads(line)
        body = BODIES[cmd["kind"]]
        metric = "stream_tokens_per_s" if cmd["stream"] else "full_tokens_per_s"
        tps, requests = loop.run_until_complete(timed(body, cmd["stream"], cmd["seconds"]))
        out = {metric: tps, "requests": requests}
        if cmd["stream"]:
            out["stream_bytes"] = loop.run_until_complete(one(body, True))
        print(json.dumps(out), flush=True)


# ---------------------------------------------------------------- driver
def start_worker(tree: Path, work: Path):
    env = dict(os.environ, PYTHONPATH=f"{tree}{os.pathsep}{REPO / 'python' / 'harness'}")
    env.pop("SGLANG_TOKEN_IDS_DEFAULT", None)
    proc = subprocess.Popen(
        [sys.executable, "-W", "ignore", __file__, "--worker", str(work)],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    return proc  # started in parallel; the driver waits for each one's ready line


def round_trip(proc, **cmd):
    proc.stdin.write(json.dumps(cmd) + "\n")
    proc.stdin.flush()
    line = proc.stdout.readline()
    if not line:
        raise SystemExit("serving_bench: a worker died")
    return json.loads(line)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker")
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--seconds", type=float, default=0.5)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker)
        return 0

    t0 = time.time()
    src = Path(subprocess.run(["bash", str(REPO / "scripts/fetch-sglang.sh")], check=True,
                              capture_output=True, text=True).stdout.strip().splitlines()[-1])
    with tempfile.TemporaryDirectory(prefix="serving-bench.") as tmp:
        tmp = Path(tmp)
        subprocess.run(["bash", str(REPO / "scripts/patches-check.sh"), str(src), "--out", str(tmp / "patched")],
                       check=True, capture_output=True, text=True)
        workers = {
            "unpatched": start_worker(src, tmp / "w-unpatched"),
            "patched": start_worker(tmp / "patched", tmp / "w-patched"),
        }
        for name, proc in workers.items():
            if not proc.stdout.readline():
                raise SystemExit(f"serving_bench: the {name} worker failed to start")
        rounds = {k: [] for k in workers}
        try:
            for r in range(args.rounds):
                order = ["unpatched", "patched"] if r % 2 == 0 else ["patched", "unpatched"]
                results = {name: {kind: {} for kind in BODIES} for name in workers}
                for kind in BODIES:
                    for stream in (True, False):
                        for name in order:
                            results[name][kind].update(round_trip(
                                workers[name], kind=kind, stream=stream, seconds=args.seconds / 2))
                for name in workers:
                    rounds[name].append(results[name])
        finally:
            for proc in workers.values():
                proc.stdin.close()
                proc.wait(timeout=30)

    def median(xs):
        xs = sorted(xs)
        return (xs[len(xs) // 2] + xs[(len(xs) - 1) // 2]) / 2

    metrics = ("stream_tokens_per_s", "full_tokens_per_s")
    figures = {}
    for kind in BODIES:
        pat = [r[kind] for r in rounds["patched"]]
        unp = [r[kind] for r in rounds["unpatched"]]
        best = {name: {m: max(r[m] for r in rs) for m in metrics}
                for name, rs in (("unpatched", unp), ("patched", pat))}
        figures[kind] = {
            **best,
            # Rounds alternate, so round i of both copies ran back to back: their ratio is
            # the least load-sensitive figure; the median over rounds is the headline.
            "stream_ratio": median([p["stream_tokens_per_s"] / u["stream_tokens_per_s"] for p, u in zip(pat, unp)]),
            "nonstream_ratio": median([p["full_tokens_per_s"] / u["full_tokens_per_s"] for p, u in zip(pat, unp)]),
            "stream_ratio_best_of": best["patched"]["stream_tokens_per_s"] / best["unpatched"]["stream_tokens_per_s"],
            "nonstream_ratio_best_of": best["patched"]["full_tokens_per_s"] / best["unpatched"]["full_tokens_per_s"],
            "bytes_added_per_streamed_token": (pat[-1]["stream_bytes"] - unp[-1]["stream_bytes"]) / TOKENS,
        }
    ratios = [f[r] for f in figures.values() for r in ("stream_ratio", "nonstream_ratio")]
    result = {
        "what": "serving-layer throughput, real OpenAIServingChat on the scripted engine, in-process",
        "requests": BODIES,
        "rounds": args.rounds,
        "seconds_per_measurement": args.seconds / 2,
        **figures,
        "goals": {"ratio_min": 0.97, "bytes_per_token_max_logprobs_off": 8},
        # Per round: patched / unpatched, back to back (the medians above come from these).
        "paired_ratios": {
            kind: {
                metric: [round(p[kind][metric] / u[kind][metric], 4)
                         for p, u in zip(rounds["patched"], rounds["unpatched"])]
                for metric in metrics
            }
            for kind in BODIES
        },
        "wall_seconds": time.time() - t0,
    }
    result["meets_goals"] = (
        min(ratios) >= 0.97 and figures["logprobs_off"]["bytes_added_per_streamed_token"] <= 8
    )
    (REPO / "bench/serving.json").write_text(json.dumps(result, indent=2) + "\n")
    md = [
        "# Serving-layer benchmark (patched vs unpatched SGLang v0.5.9)",
        "",
        f"Real `OpenAIServingChat` on the harness's scripted engine, in-process, {TOKENS}-token completions; "
        f"{args.rounds} alternating rounds, completion tokens per CPU-second.",
        "",
        "| request | copy | streamed tokens per CPU-s | non-streaming tokens per CPU-s |",
        "| --- | --- | --- | --- |",
    ]
    for kind, f in figures.items():
        for name in ("unpatched", "patched"):
            md.append(f"| {kind} | {name}{' (ids on)' if name == 'patched' else ''} | "
                      f"{f[name]['stream_tokens_per_s']:.0f} | {f[name]['full_tokens_per_s']:.0f} |")
    md.append("")
    for kind, f in figures.items():
        md.append(
            f"- {kind}: stream ratio {f['stream_ratio']:.3f}, non-streaming ratio {f['nonstream_ratio']:.3f} "
            f"(median of paired rounds; goal >= 0.97); best-of {f['stream_ratio_best_of']:.3f} / "
            f"{f['nonstream_ratio_best_of']:.3f}; bytes added per streamed token {f['bytes_added_per_streamed_token']:.2f}"
        )
    md.append("- with logprobs on, the added bytes include the log-probabilities v0.5.9 never sends "
              "(held-back text) that the patch set sends with their ids")
    md.append(f"- meets goals: {result['meets_goals']}")
    (REPO / "bench/serving.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
