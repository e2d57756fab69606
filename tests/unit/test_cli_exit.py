"""`aiw` exits without the interpreter's teardown, but not without its duties."""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from orchestration.settings import REPO_ROOT
from tests.conftest import CONFORMANCE

PROBE = textwrap.dedent(
    """
    import atexit, sys, threading, time
    from pathlib import Path
    from orchestration.shortcuts import exit_without_teardown

    out = Path(sys.argv[1])
    atexit.register(lambda: (out / "atexit").write_text("ran"))

    def late_writer():
        time.sleep(0.3)
        (out / "thread").write_text("joined")

    threading.Thread(target=late_writer).start()
    sys.stdout.write("buffered, no newline")
    exit_without_teardown(3)
    """
)


def test_exit_keeps_code_output_threads_and_atexit(tmp_path: Path):
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path)],
        cwd=REPO_ROOT,
        # buffered streams, so a missing flush would lose the output
        env={k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 3, result.stderr
    assert result.stdout == "buffered, no newline"
    assert (tmp_path / "thread").read_text() == "joined"
    assert (tmp_path / "atexit").read_text() == "ran"


def test_console_script_reports_bad_input_in_one_line(tmp_path: Path):
    aiw = Path(sys.executable).with_name("aiw")
    result = subprocess.run(
        [
            str(aiw),
            "run",
            "--landing",
            str(tmp_path / "missing"),
            "--warehouse",
            str(tmp_path / "w.duckdb"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("aiw run: error:"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def _aiw(*args: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    aiw = Path(sys.executable).with_name("aiw")
    return subprocess.run(
        [*prefix, str(aiw), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


def _one_error_line(result: subprocess.CompletedProcess) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("aiw run: error:"), result.stderr
    return lines[0]


def test_s3_landing_without_s3fs_says_what_to_install(tmp_path: Path):
    try:
        import s3fs  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("s3fs is installed here, so an s3:// URL is no error")
    result = _aiw(
        "run", "--landing", "s3://bucket/landing", "--warehouse", str(tmp_path / "w.duckdb")
    )
    assert result.returncode == 2
    assert "uv add s3fs" in _one_error_line(result)


def test_unknown_url_scheme_is_named(tmp_path: Path):
    result = _aiw("run", "--landing", "nosuch://x/y", "--warehouse", str(tmp_path / "w.duckdb"))
    assert result.returncode == 2
    assert "unknown URL scheme 'nosuch'" in _one_error_line(result)


def test_read_only_warehouse_folder_is_refused_before_any_work(tmp_path: Path):
    landing = tmp_path / "landing"
    shutil.copytree(CONFORMANCE / "landing", landing)
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    prefix: tuple[str, ...] = ()
    if os.geteuid() == 0:
        # root writes anywhere; without these capabilities it obeys the mode bits
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv to drop CAP_DAC_OVERRIDE")
        prefix = ("setpriv", "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search")
    try:
        result = _aiw(
            "run", "--landing", str(landing), "--warehouse", str(folder / "w.duckdb"), prefix=prefix
        )
    finally:
        folder.chmod(0o755)
    assert result.returncode == 2
    assert "cannot write in the warehouse folder" in _one_error_line(result)
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("kind", ["text file", "foreign duckdb"])
def test_existing_file_it_did_not_write_is_refused_and_kept(tmp_path: Path, kind: str):
    target = tmp_path / "README.md"
    if kind == "text file":
        shutil.copy(REPO_ROOT / "README.md", target)
    else:
        con = duckdb.connect(str(target))
        con.execute("CREATE TABLE main.orders AS SELECT 42 AS id")
        con.close()
    before = target.read_bytes()
    result = _aiw("run", "--landing", str(CONFORMANCE / "landing"), "--warehouse", str(target))
    assert result.returncode == 2
    assert "did not write" in _one_error_line(result) or "not a DuckDB" in result.stderr
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md"]


def test_second_run_on_a_warehouse_refuses_at_once(tmp_path: Path):
    """The lock is held by another process (as a running `aiw run` holds it)."""
    warehouse = tmp_path / "w.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(warehouse)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "HOLDING"
        result = _aiw(
            "run", "--landing", str(CONFORMANCE / "landing"), "--warehouse", str(warehouse)
        )
    finally:
        holder.kill()
        holder.wait()
    line = _one_error_line(result)
    assert result.returncode == 2
    assert f"another run is using {warehouse} since 20" in line and f"(pid {holder.pid})" in line
    # refused before any work: no WORK database, no run log
    assert sorted(p.name for p in tmp_path.iterdir()) == [".w.duckdb.lock"]


HOLD_LOCK = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from orchestration.run_guard import claim_warehouse

    with claim_warehouse(Path(sys.argv[1])):
        print("HOLDING", flush=True)
        time.sleep(600)
    """
)
