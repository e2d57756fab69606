"""`make test` runs `pytest -n 2 --dist loadgroup`: the tests of one
xdist_group share one worker, so a module's expensive fixtures (a published
warehouse, a local Spark) are made once, not once per worker. pytest 9.2
broke this without a word (pytest-dev/pytest-xdist#1386): this checks that the
locked pytest and xdist still keep a group together."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

GROUPED = """
import os, time
import pytest

pytestmark = pytest.mark.xdist_group("together")

@pytest.mark.parametrize("i", range(6))
def test_grouped(i):
    time.sleep(0.05)
    with open(os.environ["WORKERS_LOG"], "a") as log:
        log.write(f"grouped {os.environ['PYTEST_XDIST_WORKER']}\\n")
"""

LOOSE = """
import os, time
import pytest

@pytest.mark.parametrize("i", range(6))
def test_loose(i):
    time.sleep(0.05)
    with open(os.environ["WORKERS_LOG"], "a") as log:
        log.write(f"loose {os.environ['PYTEST_XDIST_WORKER']}\\n")
"""


def test_a_group_runs_on_one_worker(tmp_path: Path, monkeypatch):
    (tmp_path / "test_grouped.py").write_text(GROUPED)
    (tmp_path / "test_loose.py").write_text(LOOSE)
    log = tmp_path / "workers.log"
    monkeypatch.setenv("WORKERS_LOG", str(log))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-p", "no:cacheprovider",
         "-q", "--rootdir", str(tmp_path), str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    runs = [line.split() for line in log.read_text().splitlines()]
    grouped = {worker for kind, worker in runs if kind == "grouped"}
    assert len([r for r in runs if r[0] == "grouped"]) == 6
    assert len(grouped) == 1, f"the group ran on {sorted(grouped)}"
    # the loose tests were free to use both workers: the run had two
    assert {worker for _, worker in runs} == {"gw0", "gw1"}
