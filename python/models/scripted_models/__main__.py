"""python3 -m scripted_models OUT_DIR [--default-script NAME]: write a scripted checkpoint."""

from __future__ import annotations

import argparse
import sys

from . import ALL_SCRIPTS, Routing, ScriptConflict, build_checkpoint


def main(argv: list[str] | None = None) -> int:
    names = [s.name for s in ALL_SCRIPTS]
    parser = argparse.ArgumentParser(prog="python3 -m scripted_models", description=__doc__)
    parser.add_argument("out_dir", help="folder to write (created if missing)")
    parser.add_argument("--default-script", default="plain", choices=names,
                        help="script answered to a plain conversation")
    parser.add_argument("--thinking-by-default", action="store_true",
                        help="think unless chat_template_kwargs.enable_thinking is false (Qwen3 style)")
    args = parser.parse_args(argv)
    routing = Routing(default_script=args.default_script, thinking_by_default=args.thinking_by_default)
    try:
        model = build_checkpoint(args.out_dir, routing)
    except ScriptConflict as err:
        print(f"scripted_models: {err}", file=sys.stderr)
        return 2
    print(model.path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
