"""The gpu-mode gate: per release, the checks that may not skip when an image is verified on a GPU.

A skip is honest in a report, but a GPU verification that skipped the openai client check (the
package was absent) or the stream-output server (it could not start) proves less than its
"passed" says, and the attestation would read "GPU-verified". So in gpu mode (``--gpu-gate``,
which build-image and verify-image pass) every check a release lists here must have PASSED:
a skipped one becomes a failure, and one that was not run at all (``--check``/``--skip-check``
left it out) is added as a failure. The run then exits 1 like any failed check.

What may still skip, and why:
- ``reasoning_ids``: needs a model with a reasoning parser; the default model has none.
- ``upstream_id_fields`` before 0.5.20 (0.5.9, 0.5.10.post1): stock SGLang had no id fields of
  its own to compare.
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

from .releases import UPSTREAM_ID_FIELDS_SINCE, parse_version
from .runner import CHECK_NAMES, CheckResult

# Checks whose skip says the environment was short of something, never that the release lacks it.
_ALWAYS_REQUIRED = tuple(n for n in CHECK_NAMES if n not in ("reasoning_ids", "upstream_id_fields"))


def required_in_gpu_mode(version: str) -> Tuple[str, ...]:
    """The checks that must pass (not skip, not be left out) in gpu mode for this SGLang release."""
    extra = ("upstream_id_fields",) if parse_version(version) >= UPSTREAM_ID_FIELDS_SINCE else ()
    return tuple(n for n in CHECK_NAMES if n in _ALWAYS_REQUIRED or n in extra)


def apply_gpu_gate(version: str, results: List[CheckResult]) -> Tuple[List[CheckResult], Dict[str, Any]]:
    """Results with every required skip turned into a failure and every required absentee added
    as one; plus the gate's record for the report (what was required, what broke it)."""
    required = required_in_gpu_mode(version)
    by_name = {r.name: r for r in results}
    out: List[CheckResult] = []
    violations: List[Dict[str, str]] = []
    for r in results:
        if r.name in required and r.status == "skipped":
            reason = r.skip_reason or "no reason given"
            violations.append({"check": r.name, "was": "skipped", "reason": reason})
            out.append(CheckResult(r.name, r.description, "failed", r.seconds,
                                   problems=[f"skipped ({reason}), but SGLang {version} requires it in gpu mode"],
                                   skip_reason=r.skip_reason, details=r.details))
        else:
            out.append(r)
    for name in required:
        if name not in by_name:
            violations.append({"check": name, "was": "not run", "reason": "left out by --check/--skip-check"})
            out.append(CheckResult(name, "required in gpu mode", "failed", 0.0,
                                   problems=[f"not run (left out by --check/--skip-check), but SGLang {version} requires it in gpu mode"]))
    return out, {"mode": "gpu", "sglang_version": version, "required": list(required), "violations": violations}
