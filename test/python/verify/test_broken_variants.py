"""The broken variants are made from our real patch and each edit lands exactly where meant."""

from __future__ import annotations

import difflib

import pytest

from broken_variants import VARIANTS, EditSiteNotFound, make_variant


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.name for v in VARIANTS])
def test_variant_is_a_small_edit_of_the_patched_file(variant, patched_release, tmp_path):
    root = make_variant(patched_release, tmp_path, variant)
    before = (patched_release / variant.file).read_text().splitlines()
    after = (root / variant.file).read_text().splitlines()
    changed = [line for line in difflib.unified_diff(before, after, lineterm="", n=0)
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert 1 <= len(changed) <= 12, changed
    assert any("BROKEN VARIANT" in line for line in changed)


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.name for v in VARIANTS])
def test_variant_refuses_a_file_without_its_edit_site(variant, sglang_release):
    # unpatched v0.5.9 has none of our patch's names: every variant must say so, not pass silently
    # (a file our patches add, such as tokens_as_token_ids.py, is absent there: an empty file)
    path = sglang_release / variant.file
    with pytest.raises(EditSiteNotFound, match=variant.name):
        variant.edit(path.read_text() if path.exists() else "")
