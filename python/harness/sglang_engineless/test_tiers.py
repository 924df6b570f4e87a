"""Which release-parametrised tests the default run keeps (the tiers of adapters.tier_of).

A test runs once per release when it is parametrised by one: a `release` argument, or the
`patched` / `stock` real-engine fixtures and test_serve_http's `later_server`, whose parameter is the release. For a core-tier
release the default run keeps only the tests marked `every_release` (the series applying, the
core matrix patched and stock, one start of the real engine); the rest of that release's tests
are deselected, not skipped, so a green run never reports a check that was not made as passed
or skipped. `npm run test:matrix` (SGLANG_TEST_MATRIX=full) makes every release full.

Each conftest that collects release-parametrised tests installs the hook below; it is
idempotent, so a session loading several of them filters once in effect.
"""

from __future__ import annotations

from .adapters import RELEASES as RELEASES_OF_HARNESS  # noqa: F401  (the releases tiered, for tests)
from .adapters import tier_of

# Argument / fixture names whose parameter is an SGLang release.
RELEASE_PARAMS = ("release", "patched", "stock", "later_server")
MARKER = "every_release"
MARKER_HELP = f"{MARKER}: runs for core-tier releases too (sglang_engineless.test_tiers)"


def release_of(item) -> str | None:
    params = getattr(getattr(item, "callspec", None), "params", {})
    for name in RELEASE_PARAMS:
        value = params.get(name)
        if isinstance(value, str):
            return value
    return None


def core_tier_only(item) -> bool:
    """True when the default run leaves `item` out: a core-tier release's test not marked
    every_release."""
    release = release_of(item)
    if release is None or item.get_closest_marker(MARKER) is not None:
        return False
    try:
        return tier_of(release) == "core"
    except ValueError:  # a release the harness has no adapter for: not ours to filter
        return False


def pytest_configure(config):
    config.addinivalue_line("markers", MARKER_HELP)


def pytest_collection_modifyitems(config, items):
    dropped = [item for item in items if core_tier_only(item)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if not core_tier_only(item)]
