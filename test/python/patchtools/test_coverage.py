"""Releases and series: one series may cover several releases (patchset.yaml `releases:`),
scripts/patches-check.sh proves every release a series lists, and
`npm run patches:check -- --all-releases` reports every SGLang release on PyPI.

The table logic runs on a recorded PyPI answer (test/fixtures/pypi/sglang.json) and on
temporary series folders, so it does not depend on which series the tree holds; the README's
generated table is compared with what the command computes from the repo's files (offline for
the series and tests columns; with PyPI for the whole table, which under CI=true must be
reachable: a missing network fails, never skips)."""

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from patchtools import coverage as cov
from patchtools.common import REPO, ToolError, all_series, covering_series, series_releases

FIXTURE_SERIES = REPO / "test/fixtures/patchsets/fixture-v0.5.9"
RECORDED = json.loads((REPO / "test/fixtures/pypi/sglang.json").read_text())
CI = os.environ.get("CI") == "true"


def make_series(root: Path, folder: str, written_on: str, releases=None) -> Path:
    """A series folder (the fixture's two diffs) written on `written_on`, listing `releases`."""
    dst = root / folder
    shutil.copytree(FIXTURE_SERIES, dst)
    text = (dst / "patchset.yaml").read_text().replace("sglangVersion: 0.5.9", f"sglangVersion: {written_on}")
    if releases is not None:
        text += f"releases: {json.dumps(releases)}\n"
    (dst / "patchset.yaml").write_text(text)
    return dst


def check_script(*args, patches_dir=None):
    env = dict(os.environ)
    env.pop("SGLANG_PATCH_DIR", None)
    if patches_dir is not None:
        env["SGLANG_PATCHES_DIR"] = str(patches_dir)
    return subprocess.run(["bash", str(REPO / "scripts/patches-check.sh"), *map(str, args)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)


# --- series lookups (python/patchtools/common.py) ---------------------------------------------


def test_a_series_lists_its_releases_and_defaults_to_its_own(tmp_path):
    one = make_series(tmp_path, "sglang-v0.5.9", "0.5.9")
    many = make_series(tmp_path, "sglang-v0.5.12", "0.5.12", ["0.5.12", "0.5.12.post1"])
    assert series_releases(one) == ["0.5.9"]
    assert series_releases(many) == ["0.5.12", "0.5.12.post1"]
    known = all_series(tmp_path)
    assert list(known) == [one, many]
    assert covering_series("0.5.12.post1", known) == many
    assert covering_series("0.5.12", known) == many
    assert covering_series("0.5.13", known) is None


def test_a_list_without_the_written_on_release_or_two_series_on_one_release_are_errors(tmp_path):
    bad = make_series(tmp_path / "a", "sglang-v0.5.12", "0.5.12", ["0.5.12.post1"])
    with pytest.raises(ToolError, match="must list sglangVersion 0.5.12"):
        series_releases(bad)
    make_series(tmp_path / "b", "sglang-v0.5.12", "0.5.12", ["0.5.12", "0.5.12.post1"])
    make_series(tmp_path / "b", "sglang-v0.5.12.post1", "0.5.12.post1")
    with pytest.raises(ToolError, match="0.5.12.post1 is listed by more than one series: sglang-v0.5.12, sglang-v0.5.12.post1"):
        covering_series("0.5.12.post1", all_series(tmp_path / "b"))


# --- scripts/patches-check.sh: a release finds its series, a series proves every release -------


def test_a_release_is_checked_with_the_series_that_lists_it(tmp_path):
    patches = tmp_path / "patches"
    make_series(patches, "sglang-v0.5.9", "0.5.9", ["0.5.9", "0.5.9.post1"])
    # A stand-in "0.5.9.post1": the real 0.5.9 file the fixture patches, under another version.
    src = tmp_path / "src"
    rel = "sglang/srt/entrypoints/openai/protocol.py"
    (src / rel).parent.mkdir(parents=True)
    real = Path(subprocess.run(["bash", str(REPO / "scripts/fetch-sglang.sh"), "0.5.9"], capture_output=True, text=True,
                               check=True).stdout.strip())
    shutil.copy(real / rel, src / rel)
    (src / "sglang/_version.py").write_text("__version__ = version = '0.5.9.post1'\n")
    proc = check_script("0.5.9.post1", src, patches_dir=patches)
    assert proc.returncode == 0, proc.stderr
    assert "2 patches of sglang-v0.5.9 apply without fuzz" in proc.stdout
    # No series lists 0.5.9.post2: refused with every series and what it covers.
    (src / "sglang/_version.py").write_text("__version__ = version = '0.5.9.post2'\n")
    proc = check_script("0.5.9.post2", src, patches_dir=patches)
    assert proc.returncode == 2
    assert "no patch set for sglang 0.5.9.post2: no series lists sglang 0.5.9.post2" in proc.stderr
    assert "sglang-v0.5.9 (0.5.9, 0.5.9.post1)" in proc.stderr


def test_a_listed_release_the_series_does_not_apply_to_fails_the_check_naming_it(tmp_path):
    # The fixture applies to 0.5.9 and not to 0.5.19 (its protocol.py moved on). A relative
    # folder works too (git apply runs elsewhere; the script makes it absolute).
    patches = tmp_path / "patches"
    folder = make_series(patches, "sglang-v0.5.9", "0.5.9", ["0.5.9", "0.5.19"])
    folder = os.path.relpath(folder, REPO)
    proc = check_script("--series", folder, patches_dir=patches)
    assert proc.returncode == 1
    assert "ok 0002-add-marker-constant.patch" in proc.stdout  # 0.5.9 itself passed
    assert "0002-add-marker-constant.patch does not apply to" in proc.stderr and "sglang-0.5.19" in proc.stderr
    assert "series sglang-v0.5.9 does not apply to 0.5.19, which its releases: lists" in proc.stderr
    # The run without arguments checks every series on every release it lists: it fails too.
    proc = check_script(patches_dir=patches)
    assert proc.returncode == 1 and "failed for sglang-v0.5.9" in proc.stderr


# --- --all-releases: the table logic on a recorded PyPI answer ---------------------------------


def test_pypi_releases_from_0_5_9_on_in_order_with_pre_releases_and_yanked_marked():
    answer = json.loads(json.dumps(RECORDED))
    for f in answer["releases"]["0.5.11"]:
        f["yanked"] = True  # PyPI yanks per file: a release is yanked when all its files are
    answer["releases"]["0.5.13"][0]["yanked"] = True
    releases = cov.pypi_releases(answer)
    versions = [r.version for r in releases]
    assert versions[0] == "0.5.9" and "0.5.8" not in versions
    assert versions[:5] == ["0.5.9", "0.5.10rc0", "0.5.10", "0.5.10.post1", "0.5.11"]
    assert versions[-1] == RECORDED["info"]["version"]
    marks = {r.version: (r.prerelease, r.yanked) for r in releases}
    assert marks["0.5.10rc0"] == (True, False)
    assert marks["0.5.11"] == (False, True)
    assert marks["0.5.13"] == (False, False)


def test_coverage_rows_series_apply_nearest_and_tests(tmp_path):
    known = {
        make_series(tmp_path, "sglang-v0.5.9", "0.5.9"): ["0.5.9"],
        make_series(tmp_path, "sglang-v0.5.12", "0.5.12", ["0.5.12", "0.5.12.post1"]): ["0.5.12", "0.5.12.post1"],
    }
    releases = [r for r in cov.pypi_releases(RECORDED) if cov.release_order(r.version) <= cov.release_order("0.5.13")]
    checked = []

    def check(version, folder):
        checked.append((version, folder.name))
        ok = version not in ("0.5.12.post1", "0.5.10.post1")
        return ok, "" if ok else "0001-x.patch does not apply"

    adapters = {"0.5.9": "v0_5_9", "0.5.12": "v0_5_12"}
    rows = {r.release: r for r in cov.coverage(releases, known, adapters, check)}
    assert (rows["0.5.12.post1"].series, rows["0.5.12.post1"].applies) == ("sglang-v0.5.12", False)
    assert rows["0.5.12.post1"].tests  # 0.5.12's adapter (the harness's own rule) and a series
    assert rows["0.5.9"].tests and rows["0.5.12"].applies
    # Uncovered: the series of the nearest covered release in PyPI's order is tried
    # (0.5.10rc0: 0.5.9 is 1 away; 0.5.10.post1: 0.5.12 is 2 away, 0.5.9 is 3).
    assert (rows["0.5.10rc0"].series, rows["0.5.10rc0"].nearest) == (None, "sglang-v0.5.9")
    assert rows["0.5.11"].nearest == rows["0.5.10.post1"].nearest == "sglang-v0.5.12"
    assert rows["0.5.10"].nearest == "sglang-v0.5.9"
    assert rows["0.5.13"].nearest == "sglang-v0.5.12"
    assert (rows["0.5.10.post1"].nearest_applies, rows["0.5.10.post1"].detail) == (False, "0001-x.patch does not apply")
    assert not rows["0.5.11"].tests  # no series, so its serving code is not driven by the suite
    assert ("0.5.12.post1", "sglang-v0.5.12") in checked
    table = cov.markdown(list(rows.values()))
    assert "| 0.5.10rc0 | pre-release | none | no series; nearest sglang-v0.5.9 would apply | no |" in table
    assert "| 0.5.12.post1 | release | sglang-v0.5.12 | **no** (0001-x.patch does not apply) | yes |" in table
    assert "| 0.5.10.post1 | release | none | no series; nearest sglang-v0.5.12 would **not** apply (0001-x.patch does not apply) | no |" in table


def test_a_release_with_the_same_serving_code_counts_as_tested_through_the_adapter_it_uses(tmp_path):
    adapters = cov.harness_adapters()
    # 0.5.15 runs 0.5.15.post1's adapter, 0.5.10 0.5.10.post1's (SAME_SERVING_CODE)
    assert adapters["0.5.15"] == adapters["0.5.15.post1"] and adapters["0.5.10"] == adapters["0.5.10.post1"]
    # ...and 0.5.13 0.5.13.post1's (NeMo-RL's bump)
    assert adapters["0.5.13"] == adapters["0.5.13.post1"] == "v0_5_13"
    # without the mapping a release is tested only through its own or its base's adapter
    harness = tmp_path / "harness"
    init = harness / "sglang_engineless/adapters/__init__.py"
    init.parent.mkdir(parents=True)
    init.write_text('ADAPTERS = {"0.5.15.post1": "v0_5_15"}\n')
    assert not cov.has_adapter("0.5.15", cov.harness_adapters(harness))
    init.write_text('ADAPTERS = {"0.5.15.post1": "v0_5_15"}\nSAME_SERVING_CODE = {"0.5.15": "0.5.15.post1"}\n')
    assert cov.has_adapter("0.5.15", cov.harness_adapters(harness))
    init.write_text('NOT_ADAPTERS = {}\n')
    with pytest.raises(ToolError, match="no ADAPTERS mapping"):
        cov.harness_adapters(harness)


def test_all_releases_exits_1_when_a_covered_release_does_not_apply(tmp_path, monkeypatch, capsys):
    recorded = tmp_path / "pypi.json"
    recorded.write_text(json.dumps(RECORDED))
    folder = make_series(tmp_path, "sglang-v0.5.9", "0.5.9", ["0.5.9", "0.5.10"])
    monkeypatch.setattr(cov, "all_series", lambda: {folder: ["0.5.9", "0.5.10"]})
    monkeypatch.setattr(cov, "check_apply", lambda version, f: (version != "0.5.10", "" if version != "0.5.10" else "0001-x.patch does not apply"))
    assert cov.main(["--pypi-json", str(recorded), "--json"]) == 1
    out, err = capsys.readouterr()
    rows = {r["release"]: r for r in json.loads(out)}
    assert rows["0.5.10"]["applies"] is False and rows["0.5.9"]["applies"] is True
    assert "covered but not applying: 0.5.10" in err
    monkeypatch.setattr(cov, "check_apply", lambda version, f: (True, ""))
    assert cov.main(["--pypi-json", str(recorded)]) == 0


def test_pypi_unreachable_is_an_error_not_an_empty_table(monkeypatch, capsys):
    def refuse(*a, **k):
        raise OSError("network is unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    assert cov.main([]) == 2
    assert "could not read the SGLang releases from https://pypi.org/pypi/sglang/json" in capsys.readouterr().err


def test_the_readme_section_is_replaced_between_its_markers_only():
    text = f"intro\n{cov.BEGIN}\nold table\n{cov.END}\noutro\n"
    assert cov.with_table(text, "| new |\n") == f"intro\n{cov.BEGIN}\n| new |\n{cov.END}\noutro\n"
    with pytest.raises(ToolError, match="no generated coverage section"):
        cov.with_table("no markers", "x")


# --- the README's table is what the command computes from the repo's files ---------------------


def readme_rows():
    table = cov.readme_table((REPO / "README.md").read_text())
    rows = [line.strip("|").split("|") for line in table.splitlines()[2:] if line.startswith("|")]
    return {cells[0].strip(): [c.strip() for c in cells] for cells in rows}


def test_the_readme_table_names_the_series_and_tests_the_repo_gives_each_release():
    readme = readme_rows()
    releases = [r for r in cov.pypi_releases(RECORDED) if r.version in readme]
    assert [r.version for r in releases] == list(readme), "README rows are PyPI's releases in order"
    rows = cov.coverage(releases, all_series(), cov.harness_adapters(), check=None)
    for r in rows:
        assert readme[r.release][2] == (r.series or "none"), f"{r.release}: README's series column is stale (regenerate it)"
        assert readme[r.release][4] == ("yes" if r.tests else "no"), f"{r.release}: README's tests column is stale"


def pypi_answer():
    try:
        return cov.fetch_pypi(timeout=20)
    except ToolError as e:
        if CI:
            pytest.fail(f"PyPI is needed for the README's apply column and CI=true: {e}")
        pytest.skip(f"PyPI unreachable: {e}")


def test_the_readme_table_is_exactly_what_all_releases_prints():
    answer = pypi_answer()
    rows = cov.coverage(cov.pypi_releases(answer), all_series(), cov.harness_adapters())
    assert cov.readme_table((REPO / "README.md").read_text()) == cov.markdown(rows), (
        "README.md's coverage table is stale: npm run patches:check -- --all-releases --readme")


def test_without_pyyaml_the_lookups_read_a_flow_list(monkeypatch):
    # scripts/patches-check.sh may run under a bare python3 (no .venv): the two keys still read.
    from patchtools import common

    monkeypatch.setitem(sys.modules, "yaml", None)
    text = 'name: x\nsglangVersion: 0.5.12\nreleases: ["0.5.12", "0.5.12.post1"]  # both\nupstream:\n  tag: v0.5.12\n'
    assert common._manifest(text) == {"sglangVersion": "0.5.12", "releases": ["0.5.12", "0.5.12.post1"]}
    with pytest.raises(ToolError, match="only a"):
        common._manifest("sglangVersion: 0.5.12\nreleases:\n  - 0.5.12\n")


def test_a_wheel_that_cannot_be_fetched_counts_as_not_applying(monkeypatch, tmp_path):
    def no_wheel(version):
        raise ToolError(f"could not fetch sglang {version}: no matching distribution")

    monkeypatch.setattr(cov, "fetch", no_wheel)
    ok, detail = cov.check_apply("0.5.99", make_series(tmp_path, "sglang-v0.5.9", "0.5.9"))
    assert not ok and detail.startswith("could not fetch the wheel: could not fetch sglang 0.5.99")


# --- releases that run another release's adapter and key table ------------------------------

# What the harness drives and the verify suite judges: the OpenAI entrypoints, the managers on
# the output path, the tool-call and reasoning parsers.
SERVING_CODE = ("srt/entrypoints/openai", "srt/managers/tokenizer_manager.py", "srt/managers/detokenizer_manager.py",
                "srt/managers/io_struct.py", "srt/function_call", "srt/parser")


def _same_serving_code():
    from sglang_engineless.adapters import SAME_SERVING_CODE as harness
    from tokenids_verify.releases import SAME_SERVING_CODE as verify

    return sorted(set(harness.items()) | set(verify.items()))


# (`version`, not `release`: a cheap read of two wheels that the default run's tiers keep.)
@pytest.mark.parametrize("version,same_as", _same_serving_code())
def test_a_release_said_to_have_another_releases_serving_code_has_it_byte_for_byte(version, same_as):
    """adapters.SAME_SERVING_CODE and tokenids_verify.releases.SAME_SERVING_CODE let a release
    borrow another's adapter and key table: only while its serving code is that release's, and
    the series covering one covers the other (no skip: the wheels come from PyPI)."""
    import filecmp

    def fetch(version):
        out = subprocess.run(["bash", str(REPO / "scripts/fetch-sglang.sh"), version], capture_output=True, text=True,
                             check=True, timeout=600)
        return Path(out.stdout.strip().splitlines()[-1]) / "sglang"

    mine, theirs = fetch(version), fetch(same_as)
    differ = []
    for part in SERVING_CODE:
        a, b = mine / part, theirs / part
        files = sorted({p.relative_to(a) for p in a.rglob("*.py")} | {p.relative_to(b) for p in b.rglob("*.py")}) if a.is_dir() else [Path()]
        differ += [f"{part}/{f}" for f in files
                   if not ((a / f).is_file() and (b / f).is_file() and filecmp.cmp(a / f, b / f, shallow=False))]
    assert differ == [], f"{version} and {same_as} differ in {differ}: give {version} its own adapter and key table"
    assert covering_series(version, all_series()) == covering_series(same_as, all_series()) is not None
