"""Serving-layer throughput, patched vs unpatched SGLang v0.5.9, on the same scripted engine.

    .venv/bin/python bench/serving_bench.py [--rounds N] [--seconds S]

Two worker processes (one per sglang copy: the v0.5.9 wheel, and the same with
patches/sglang-v0.5.9 applied) each build the real OpenAIServingChat around the harness's
scripted engine (harness/sglang_engineless) and run measurement rounds in turn, alternating,
so both see the same machine load. Per round: streamed chat requests (chunks per CPU
second of the worker) and non-streaming ones (responses per CPU second), one at a time,
in-process (no HTTP); CPU time rather than wall time because the machine is shared. The
ratio of each pair of back-to-back rounds is taken, and the median over rounds reported
(best-of figures too). Bytes added per streamed token: SSE bytes of the patched
stream (ids on, the server default) minus the unpatched stream's for the same request,
divided by the completion tokens. Writes bench/serving.json and bench/serving.md.
Goals: throughput ratio >= 0.97, <= 8 bytes per streamed token on average.
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
BODY = {
    "messages": [{"role": "user", "content": "Tell me something about Paris and the weather"}],
    "max_tokens": 64,
    "ignore_eos": True,
}


# ---------------------------------------------------------------- worker (one sglang copy)
def worker(work_dir: str) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    sys.path.insert(0, str(REPO / "harness"))
    from sglang_engineless.app import build_serving
    from sglang_engineless.make_tokenizer import write_model_dir
    from sglang.srt.entrypoints.openai.protocol import ChatCompletionRequest

    model = write_model_dir(os.path.join(work_dir, "tok"))
    tm, chat = build_serving(model)

    async def one(stream):
        req = ChatCompletionRequest(**dict(BODY, stream=stream))
        resp = await chat.handle_request(req, None)
        if not stream:
            return 1, len(resp.model_dump_json()), 0
        chunks = size = 0
        async for raw in resp.body_iterator:
            size += len(raw.encode())
            chunks += raw.count("data: ") - raw.count("data: [DONE]")
        return chunks, size, 0

    async def timed(stream, seconds):
        # CPU seconds of this process, not wall time: the machine is shared (2 cores), and
        # other load would otherwise dominate the comparison.
        count = requests = 0
        start, cpu0 = time.perf_counter(), time.process_time()
        while time.perf_counter() - start < seconds:
            n, _, _ = await one(stream)
            count += n
            requests += 1
        return count / (time.process_time() - cpu0), requests

    async def stream_bytes():
        _, size, _ = await one(True)
        return size

    loop = asyncio.new_event_loop()
    loop.run_until_complete(one(True))  # warm-up
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        secs = cmd["seconds"]
        chunks_s, sreq = loop.run_until_complete(timed(True, secs))
        resp_s, freq = loop.run_until_complete(timed(False, secs))
        size = loop.run_until_complete(stream_bytes())
        print(json.dumps({"chunks_per_s": chunks_s, "responses_per_s": resp_s,
                          "stream_requests": sreq, "full_requests": freq,
                          "stream_bytes": size, "tokens": BODY["max_tokens"]}), flush=True)


# ---------------------------------------------------------------- driver
def start_worker(tree: Path, work: Path):
    env = dict(os.environ, PYTHONPATH=f"{tree}{os.pathsep}{REPO / 'harness'}")
    env.pop("SGLANG_TOKEN_IDS_DEFAULT", None)
    proc = subprocess.Popen(
        [sys.executable, "-W", "ignore", __file__, "--worker", str(work)],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    return proc  # started in parallel; the driver waits for each one's ready line


def round_trip(proc, seconds):
    proc.stdin.write(json.dumps({"seconds": seconds}) + "\n")
    proc.stdin.flush()
    line = proc.stdout.readline()
    if not line:
        raise SystemExit("serving_bench: a worker died")
    return json.loads(line)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker")
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=2.0)
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
                for name in order:
                    rounds[name].append(round_trip(workers[name], args.seconds / 2))
        finally:
            for proc in workers.values():
                proc.stdin.close()
                proc.wait(timeout=30)

    best = {k: {"chunks_per_s": max(r["chunks_per_s"] for r in v),
                "responses_per_s": max(r["responses_per_s"] for r in v)} for k, v in rounds.items()}
    def median(xs):
        xs = sorted(xs)
        return (xs[len(xs) // 2] + xs[(len(xs) - 1) // 2]) / 2

    # Rounds alternate, so round i of both copies ran back to back: their ratio is the
    # least load-sensitive figure; the median over rounds is the headline.
    paired = {
        metric: median([p[metric] / u[metric] for p, u in zip(rounds["patched"], rounds["unpatched"])])
        for metric in ("chunks_per_s", "responses_per_s")
    }
    added = (rounds["patched"][-1]["stream_bytes"] - rounds["unpatched"][-1]["stream_bytes"]) / BODY["max_tokens"]
    result = {
        "what": "serving-layer throughput, real OpenAIServingChat on the scripted engine, in-process",
        "request": BODY,
        "rounds": args.rounds,
        "seconds_per_measurement": args.seconds / 2,
        "unpatched": best["unpatched"],
        "patched": best["patched"],
        "stream_ratio": paired["chunks_per_s"],
        "nonstream_ratio": paired["responses_per_s"],
        "stream_ratio_best_of": best["patched"]["chunks_per_s"] / best["unpatched"]["chunks_per_s"],
        "nonstream_ratio_best_of": best["patched"]["responses_per_s"] / best["unpatched"]["responses_per_s"],
        "bytes_added_per_streamed_token": added,
        "goals": {"ratio_min": 0.97, "bytes_per_token_max": 8},
        "all_rounds": rounds,
        "wall_seconds": time.time() - t0,
    }
    result["meets_goals"] = (
        result["stream_ratio"] >= 0.97 and result["nonstream_ratio"] >= 0.97 and added <= 8
    )
    (REPO / "bench/serving.json").write_text(json.dumps(result, indent=2) + "\n")
    md = [
        "# Serving-layer benchmark (patched vs unpatched SGLang v0.5.9)",
        "",
        f"Real `OpenAIServingChat` on the harness's scripted engine, in-process, {BODY['max_tokens']}-token completions; {args.rounds} alternating rounds, CPU-time based.",
        "",
        "| copy | streamed chunks per CPU-s | non-streaming responses per CPU-s |",
        "| --- | --- | --- |",
        f"| unpatched | {best['unpatched']['chunks_per_s']:.1f} | {best['unpatched']['responses_per_s']:.1f} |",
        f"| patched (ids on) | {best['patched']['chunks_per_s']:.1f} | {best['patched']['responses_per_s']:.1f} |",
        "",
        f"- stream ratio: {result['stream_ratio']:.3f}, non-streaming ratio: {result['nonstream_ratio']:.3f} (median of paired rounds; goal >= 0.97)",
        f"- best-of ratios: stream {result['stream_ratio_best_of']:.3f}, non-streaming {result['nonstream_ratio_best_of']:.3f}",
        f"- bytes added per streamed token: {added:.2f} (goal <= 8)",
        f"- meets goals: {result['meets_goals']}",
    ]
    (REPO / "bench/serving.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
