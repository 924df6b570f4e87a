"""scripts/test-cost-by-release.py: a JUnit report's times summed by the release each test names."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "scripts/test-cost-by-release.py"

JUNIT = """<?xml version="1.0"?><testsuites><testsuite name="pytest" tests="5">
<testcase classname="test.python.patches.test_serving_matrix" name="test_patched[0.5.23-plain-so0]" time="30.5"/>
<testcase classname="test.python.patches.test_serving_matrix" name="test_patched[0.5.12.post1-plain]" time="2"/>
<testcase classname="test.python.cpu_engine.test_real_server_later" name="test_ids[v0.5.12-plain]" time="50"/>
<testcase classname="test.python.verify.test_suite_on_0_5_23" name="test_x" time="1.5"/>
<testcase classname="test.python.verify.test_cli" name="test_y[10.5.9]" time="4"/>
</testsuite></testsuites>"""


def load():
    spec = importlib.util.spec_from_file_location("test_cost_by_release", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sums_by_release_with_post_releases_their_own_and_the_rest_shared(tmp_path):
    report = tmp_path / "python.xml"
    report.write_text(JUNIT)
    out = subprocess.run([sys.executable, str(SCRIPT), str(report), "--json"], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == {
        "0.5.12": {"seconds": 50.0, "tests": 1},
        "0.5.12.post1": {"seconds": 2.0, "tests": 1},
        "0.5.23": {"seconds": 32.0, "tests": 2},
        "shared": {"seconds": 4.0, "tests": 1},
    }


def test_a_version_inside_a_longer_number_is_not_a_release():
    module = load()
    assert module.release_of("t[10.5.9]") == "shared"
    assert module.release_of("t[0.5.9-so1]") == "0.5.9"
