"""Makes SGLang's serving code importable on a CPU-only machine."""

import importlib.util
import os
import sys

SHIM_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_cpu_shims")


def install() -> None:
    # A real sgl_kernel (GPU image) always wins: the stand-in only fills a gap.
    if importlib.util.find_spec("sgl_kernel") is None and SHIM_DIR not in sys.path:
        sys.path.append(SHIM_DIR)
