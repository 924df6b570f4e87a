"""Per-release glue between the harness and one SGLang release's serving code.

The scenario definitions, the scripted model and the engine loop (engine.py) are shared; what
moved between releases (how server args are built and published, which TokenizerManager
attributes the output path reads, the scheduler's output rule, the detokenizer's state,
sync/async output handling, where TemplateManager lives) sits in one module per release:
v0_5_9.py, v0_5_10.py (0.5.10.post1: v0.5.9's but for the flag, the state and the output
rule's fields), v0_5_12.py, v0_5_13.py (0.5.13.post1: 0.5.15.post1's, whose internals it
already has), v0_5_15.py, v0_5_23.py (the last two share _shared.py), v0_5_19.py
(0.5.23's, less what 0.5.19 lacks), v0_5_20.py (0.5.19's, with 0.5.20's sglext ids). The adapter is chosen by the version of the sglang copy
on sys.path (sglang/version.py), or named with SGLANG_HARNESS_RELEASE; an unknown release is
an error, not a guess.
"""

import importlib
import os
import re
from types import SimpleNamespace

# release -> adapter module (relative to this package)
ADAPTERS = {"0.5.9": "v0_5_9", "0.5.10.post1": "v0_5_10", "0.5.12": "v0_5_12", "0.5.13.post1": "v0_5_13",
            "0.5.15.post1": "v0_5_15", "0.5.19": "v0_5_19", "0.5.20": "v0_5_20", "0.5.23": "v0_5_23"}
RELEASES = tuple(ADAPTERS)

# Releases whose serving code is a release's with an adapter, byte for byte (diff -r of the
# unpacked wheels): they use that adapter. 0.5.10 differs from 0.5.10.post1 only in
# _version.py and the flashinfer version its engine.py / utils/common.py ask for; 0.5.13 from
# 0.5.13.post1 in _version.py, the grpc extension and two speculative v2 workers; 0.5.15 from
# 0.5.15.post1 in server_args.py's attention-backend lookup and model, speculative and
# disaggregation files. (A post release of a release with an adapter, 0.5.12.post1, needs no
# entry: release_key maps it by its first three parts.)
SAME_SERVING_CODE = {"0.5.10": "0.5.10.post1", "0.5.13": "0.5.13.post1", "0.5.15": "0.5.15.post1"}


# What callers need to know of a release before importing its serving code (command lines);
# the adapter modules carry the same constants (checked by the tests).
RELEASE_FLAGS = {
    "0.5.9": SimpleNamespace(RELEASE="0.5.9", STREAM_OUTPUT_FLAG="--stream-output",
                             SGLEXT_IDS=False),
    "0.5.10.post1": SimpleNamespace(RELEASE="0.5.10.post1",
                                    STREAM_OUTPUT_FLAG="--incremental-streaming-output",
                                    STREAM_OUTPUT_ALIASES=("--stream-output",),
                                    SGLEXT_IDS=False),
    "0.5.12": SimpleNamespace(RELEASE="0.5.12", STREAM_OUTPUT_FLAG="--incremental-streaming-output",
                              SGLEXT_IDS=False),
    "0.5.13.post1": SimpleNamespace(RELEASE="0.5.13.post1",
                                    STREAM_OUTPUT_FLAG="--incremental-streaming-output",
                                    SGLEXT_IDS=False),
    "0.5.15.post1": SimpleNamespace(RELEASE="0.5.15.post1",
                                    STREAM_OUTPUT_FLAG="--incremental-streaming-output",
                                    SGLEXT_IDS=False),
    "0.5.19": SimpleNamespace(RELEASE="0.5.19", STREAM_OUTPUT_FLAG="--incremental-streaming-output",
                              SGLEXT_IDS=False),
    "0.5.20": SimpleNamespace(RELEASE="0.5.20", STREAM_OUTPUT_FLAG="--incremental-streaming-output",
                              SGLEXT_IDS=True),
    "0.5.23": SimpleNamespace(RELEASE="0.5.23", STREAM_OUTPUT_FLAG="--incremental-streaming-output",
                              SGLEXT_IDS=True),
}


def installed_release() -> str:
    """The version of the sglang copy on sys.path (without importing sglang itself, whose
    __init__ pulls in torch and, from 0.5.2x, patches transformers)."""
    import importlib.util

    spec = importlib.util.find_spec("sglang")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("no sglang package on sys.path")
    root = list(spec.submodule_search_locations)[0]
    path = os.path.join(root, "_version.py")  # written by the wheel build (setuptools-scm)
    if os.path.isfile(path):
        with open(path) as f:
            found = re.search(r"^__version__\s*=.*?['\"]([^'\"]+)['\"]", f.read(), re.M)
        if found:
            return found.group(1).lstrip("v")
    raise ImportError(f"cannot tell the release of the sglang copy at {root}")


def release_key(release: str) -> str:
    """'v0.5.23', '0.5.23' or '0.5.23.post1'-style names -> the adapter key they use."""
    release = release.lstrip("v")
    if release in ADAPTERS:
        return release
    if release in SAME_SERVING_CODE:
        return SAME_SERVING_CODE[release]
    base = ".".join(release.split(".")[:3])
    if base in ADAPTERS:
        return base
    raise ValueError(
        f"no harness adapter for SGLang {release}; adapters: {', '.join(RELEASES)} "
        "(add python/harness/sglang_engineless/adapters/v<release>.py)"
    )


def load(release: str = None):
    """The adapter module for `release` (default: SGLANG_HARNESS_RELEASE, else the release of
    the sglang copy on sys.path). Importing it imports that release's serving code."""
    release = release or os.environ.get("SGLANG_HARNESS_RELEASE") or installed_release()
    return importlib.import_module(f"{__name__}.{ADAPTERS[release_key(release)]}")


# How much of each release the default test run (`npm test`, CI) drives. "full": the default
# scenario matrix, each diff's negative control and every release-specific test; "core": the
# core matrix patched and stock (the unpatched control), the series applying, and one start of
# the release's real engine on CPU. The default release (the tool's defaultTargets) and the
# newest are full; every release between is core, so CI time grows by a core share per added
# release. SGLANG_TEST_MATRIX=full (`npm run test:matrix`) drives every release in full.
DEFAULT_RELEASE = "0.5.9"


def _version_key(release: str):
    from packaging.version import Version

    return Version(release)


NEWEST_RELEASE = max(RELEASES, key=_version_key)


def tier_of(release: str) -> str:
    """'full' or 'core' (above) for a release the harness drives."""
    if os.environ.get("SGLANG_TEST_MATRIX") == "full":
        return "full"
    return "full" if release_key(release) in (DEFAULT_RELEASE, NEWEST_RELEASE) else "core"
