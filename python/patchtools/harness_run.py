"""Runs the engine-less harness's chat scenarios on a subset of server modes, in the
process of the sglang copy on sys.path (patchtools.overlap starts it per copy).

    python -m patchtools.harness_run OUT.json WORK_DIR [--modes overlap|one|all] [--kinds K1,...]
                                     [--completions SERVER,...] [--probe]

With --completions, the /v1/completions scenarios (sglang_engineless.completions_scenarios)
on those servers, and with --probe the protocol models (sglang_engineless.protocol_probe),
run in the same process: one import of sglang per copy instead of three.

The scenarios, the server configurations and the recording are the harness's own
(sglang_engineless.scenarios); only the list of scenarios is narrowed: the overlap report
runs a copy per diff, and four server modes that between them show every defect the
matrix knows (coalesced outputs under --stream-output, several tokens per output, the
whole answer in one read) keep that affordable.
"""

import argparse
import asyncio
import json
import os
import sys

from sglang_engineless import scenarios

MODES = ("overlap", "one", "all")
# One token per read, no --stream-output: the cheapest mode that streams several chunks.
ONE = (False, 1, "each")


def selected(modes):
    if modes == "overlap":
        return scenarios.matrix(core=True)
    every = scenarios.matrix(full=False)
    if modes == "all":
        return every
    return [(name, spec) for name, spec in every
            if (spec["stream_output"], spec["interval"], spec["delivery"]) == ONE]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m patchtools.harness_run")
    ap.add_argument("out")
    ap.add_argument("work_dir")
    ap.add_argument("--modes", choices=MODES, default="overlap")
    ap.add_argument("--kinds", default="")
    ap.add_argument("--no-chat", action="store_true", help="skip the chat scenarios")
    ap.add_argument("--completions", default="", help="completions servers to run (default: none)")
    ap.add_argument("--probe", action="store_true", help="also dump the protocol models")
    args = ap.parse_args(argv)
    kinds = {k for k in args.kinds.split(",") if k}
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.makedirs(args.work_dir, exist_ok=True)
    chosen = selected(args.modes)
    # run_all walks scenarios.matrix(); narrow it to the chosen scenarios.
    scenarios.matrix = lambda *args, **kwargs: chosen
    import sglang

    out = {"sglang": os.path.dirname(sglang.__file__), "specs": dict(chosen), "scenarios": {}}
    if not args.no_chat:
        out["scenarios"] = asyncio.run(scenarios.run_all(args.work_dir, False, kinds))
    if args.completions:
        from sglang_engineless import completions_scenarios

        servers = set(args.completions.split(","))
        out["completions"] = asyncio.run(
            completions_scenarios.run_all(os.path.join(args.work_dir, "completions"), servers))
    if args.probe:
        from sglang_engineless import protocol_probe

        out["probe"] = protocol_probe.probe()
    with open(args.out, "w") as f:
        json.dump(out, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
