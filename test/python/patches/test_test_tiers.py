"""The default run's release tiers (sglang_engineless.test_tiers): a core-tier release keeps
only its every_release tests; full-tier releases, tests without a release and releases the
harness does not know are never filtered."""

from types import SimpleNamespace

import pytest

from sglang_engineless import test_tiers


class Item(SimpleNamespace):
    def get_closest_marker(self, name):
        return name if name in self.marks else None


def item(marks=(), **params):
    return Item(callspec=SimpleNamespace(params=params), marks=set(marks), name=str(params))


@pytest.fixture
def tiers(monkeypatch):
    # A fixed tier map, so the test holds whatever releases the harness drives today.
    table = {"0.5.9": "full", "0.5.12": "core", "0.5.23": "full"}

    def tier_of(release):
        if release not in table:
            raise ValueError(release)
        return table[release]

    monkeypatch.setattr(test_tiers, "tier_of", tier_of)


def test_a_core_release_keeps_only_its_every_release_tests(tiers):
    kept_marked = item(marks={"every_release"}, release="0.5.12")
    dropped = [item(release="0.5.12"), item(patched="0.5.12"), item(stock="0.5.12")]
    full = [item(release="0.5.9"), item(patched="0.5.23")]
    unrelated = [item(), item(version="0.5.12"), item(release="0.6.0")]
    items = [kept_marked, *dropped, *full, *unrelated]
    seen = []
    config = SimpleNamespace(hook=SimpleNamespace(pytest_deselected=lambda items: seen.extend(items)))

    test_tiers.pytest_collection_modifyitems(config, items)

    assert items == [kept_marked, *full, *unrelated]
    assert seen == dropped  # reported as deselected, not silently lost


def test_nothing_is_dropped_when_every_release_is_full(monkeypatch):
    monkeypatch.setenv("SGLANG_TEST_MATRIX", "full")
    items = [item(release=r) for r in test_tiers.RELEASES_OF_HARNESS]
    test_tiers.pytest_collection_modifyitems(SimpleNamespace(hook=None), items)
    assert len(items) == len(test_tiers.RELEASES_OF_HARNESS)
