"""HTTP server: the real (patched or unpatched) SGLang chat serving code on the scripted engine.

    PYTHONPATH=<dir holding sglang/>:harness python3 -m sglang_engineless.serve \\
        --model-path TOKENIZER_DIR [--host H] [--port P] \\
        [--stream-output | --incremental-streaming-output] [--stream-interval N] \\
        [--tool-call-parser P] [--reasoning-parser R] \\
        [--return-input-ids] [--return-output-ids] \\
        [--delivery each|bunched|whole|lag] [--step-tokens K]

Flags mean what they mean to `python3 -m sglang.launch_server` of the release on PYTHONPATH:
delta ids in streams are --stream-output on v0.5.9 and --incremental-streaming-output on
0.5.10.post1 (--stream-output its deprecated alias) and 0.5.23 (which has no --stream-output;
the other release's flag is an error here too), and
--return-input-ids/--return-output-ids (sglext ids for every chat request) exist from 0.5.20.
Other launch_server flags are accepted and ignored (named on stderr). To fetch, patch and
start a release in one call, see sglang_engineless.launch. Serves /v1/chat/completions and
/v1/completions (stream and not), /health, /health_generate, /v1/models. The sglang
package is whichever copy PYTHONPATH finds first; its path is printed at startup. Make
TOKENIZER_DIR with
`python3 -m sglang_engineless.make_tokenizer DIR [--reasoning]`.
"""

import argparse
import os
import sys


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python3 -m sglang_engineless.serve")
    p.add_argument("--model-path", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=30000)
    p.add_argument("--stream-output", action="store_true")
    p.add_argument("--incremental-streaming-output", action="store_true")
    p.add_argument("--return-input-ids", action="store_true")
    p.add_argument("--return-output-ids", action="store_true")
    p.add_argument("--stream-interval", type=int, default=1)
    p.add_argument("--tool-call-parser", default=None)
    p.add_argument("--reasoning-parser", default=None)
    p.add_argument(
        "--burst",
        type=int,
        default=1,
        help="engine outputs queued before the waiter runs (harness only; >1 coalesces)",
    )
    p.add_argument(
        "--delivery",
        choices=("each", "bunched", "whole", "lag"),
        default="bunched",
        help="how engine outputs reach the serving layer (harness only): one per read, "
        "bunched by --burst, the whole answer in one read, or readers (n > 1) that lag "
        "the engine",
    )
    p.add_argument(
        "--step-tokens", type=int, default=1, help="tokens per engine step (harness only)"
    )
    args, ignored = p.parse_known_args(argv)
    release = _release()
    if release is not None:
        own = release.STREAM_OUTPUT_FLAG
        # a deprecated alias of its own flag (0.5.10.post1's --stream-output) means the same
        accepted = (own, *getattr(release, "STREAM_OUTPUT_ALIASES", ()))
        for flag in ("--stream-output", "--incremental-streaming-output"):
            if getattr(args, flag[2:].replace("-", "_")) and flag not in accepted:
                p.error(f"{flag} is not a flag of SGLang {release.RELEASE} (its delta-ids flag: {own})")
        for flag in ("--return-input-ids", "--return-output-ids"):
            if getattr(args, flag[2:].replace("-", "_")) and not getattr(release, "SGLEXT_IDS", False):
                p.error(f"{flag} is not a flag of SGLang {release.RELEASE}")
    if args.stream_interval < 1:
        p.error("--stream-interval must be >= 1")
    if args.step_tokens < 1:
        p.error("--step-tokens must be >= 1")
    if not os.path.isfile(os.path.join(args.model_path, "tokenizer_config.json")):
        p.error(f"--model-path {args.model_path}: no tokenizer_config.json there")
    return args, ignored


def _release():
    """The adapter module's constants for the sglang copy on sys.path, without importing
    sglang (None when no copy is found: the import error comes later, with its own message)."""
    from sglang_engineless import adapters

    try:
        key = adapters.release_key(adapters.installed_release())
    except (ImportError, ValueError):
        return None
    return adapters.RELEASE_FLAGS[key]


def main(argv=None) -> int:
    args, ignored = parse_args(sys.argv[1:] if argv is None else argv)
    if ignored:
        print(f"sglang_engineless.serve: ignoring {' '.join(ignored)}", file=sys.stderr)
    # Nothing is ever downloaded: the model path is a local tokenizer folder.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import uvicorn

    from sglang_engineless.app import build_app, build_serving
    import sglang

    print(f"sglang_engineless.serve: sglang from {os.path.dirname(sglang.__file__)}", file=sys.stderr)
    tm, chat = build_serving(
        args.model_path,
        stream_output=args.stream_output or args.incremental_streaming_output,
        stream_interval=args.stream_interval,
        tool_call_parser=args.tool_call_parser,
        reasoning_parser=args.reasoning_parser,
        burst=args.burst,
        **{name: True for name in ("return_input_ids", "return_output_ids") if getattr(args, name)},
    )
    tm.set_delivery(args.delivery, args.step_tokens, args.burst)
    uvicorn.run(build_app(tm, chat), host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
