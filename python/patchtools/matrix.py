"""The core harness matrix on a release with a series, and the same matrix on the stock release
as its unpatched control (`npm run release:propose` runs it; usable alone).

    python -m patchtools.matrix VERSION --series DIR [--modes overlap|one|all] [--python PY] [--json]

The scenarios and checks are the overlap report's (patchtools.overlap.harness, matrix_counts):
"overlap" modes are the four server modes that between them show every defect the matrix knows
(scenarios.matrix(core=True)). The patched copy must keep the contract in every scenario; the
stock copy must fail at least one, or the checks proved nothing on this release (a control that
cannot fail). Exit 0 when both hold, 1 when either does not or the harness could not run (a
release without a harness adapter, say), 2 on bad usage.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from patchtools.common import PYTHON, ToolError, fetch, patched_tree, series, version_of


def core_matrix(version: str, patches: list[Path], python=PYTHON, modes="overlap", log=lambda m: None) -> dict:
    from patchtools import overlap

    src = fetch(version)
    out = {"release": version, "modes": modes}
    with tempfile.TemporaryDirectory(prefix="patches-matrix.") as tmp:
        tmp = Path(tmp)
        for name, tree in (("patched", None), ("stock", src)):
            began = time.monotonic()
            try:
                if tree is None:
                    tree = patched_tree(version, patches, tmp / "tree", src)
                log(f"matrix: sglang {version} {name}")
                data = overlap.harness(tree, tmp / f"{name}-run", {"chat"}, python, modes=modes)
                out[name] = dict(overlap.matrix_counts(data["chat"]), seconds=round(time.monotonic() - began, 1))
            except RuntimeError as e:
                lines = str(e).strip().splitlines()
                out[name] = {"error": lines[-1] if lines else "failed", "seconds": round(time.monotonic() - began, 1)}
    patched, stock = out["patched"], out["stock"]
    out["patched_passes"] = "error" not in patched and patched["passed"] == patched["total"] > 0
    # The control: stock must fail somewhere, or these checks cannot tell the series' work apart.
    out["control_fails"] = "error" not in stock and stock["passed"] < stock["total"]
    out["ok"] = out["patched_passes"] and out["control_fails"]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m patchtools.matrix", description=__doc__.split("\n\n")[0])
    ap.add_argument("version")
    ap.add_argument("--series", type=Path, required=True, help="the series folder to apply")
    ap.add_argument("--modes", default="overlap", choices=("overlap", "one", "all"))
    ap.add_argument("--python", default=os.environ.get("SGLANG_HARNESS_PYTHON", PYTHON))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    try:
        version = version_of(args.version)
        patches = series(args.series)
        if not patches:
            raise ToolError(f"no *.patch files in {args.series}")
        report = core_matrix(version, patches, args.python, args.modes, log=lambda m: print(m, file=sys.stderr))
    except ToolError as e:
        print(f"patches-matrix: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        for name in ("patched", "stock"):
            r = report[name]
            print(f"{name}: " + (f"could not run: {r['error']}" if "error" in r else f"{r['passed']}/{r['total']} scenarios keep the contract"))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
