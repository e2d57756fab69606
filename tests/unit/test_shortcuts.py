"""The shortcuts of orchestration/shortcuts.py still hold for the installed libraries."""

import os
import subprocess
import sys

from dagster_dbt import DbtCliResource

from orchestration import shortcuts
from orchestration.settings import DBT_PROJECT_DIR, REPO_ROOT


def test_dbt_cli_shortcuts_override_methods_dagster_dbt_still_has():
    # A renamed private method would leave the override unused, silently.
    for name in ("_cli_version", "_initialize_dbt_core_adapter"):
        assert name in vars(DbtCliResource), name
        assert name in vars(shortcuts.DbtCliWithoutProbes), name


def test_dbt_version_shortcut_gives_the_answer_of_dbt_itself():
    project = str(DBT_PROJECT_DIR)
    probed = DbtCliResource(project_dir=project)._cli_version  # runs `dbt --version`
    assert shortcuts.DbtCliWithoutProbes(project_dir=project)._cli_version == probed


def test_the_dbt_resource_builds_no_adapter():
    resource = shortcuts.DbtCliWithoutProbes(project_dir=str(DBT_PROJECT_DIR))
    assert resource._initialize_dbt_core_adapter(["build"]) is None


def test_child_guard_sets_environment_and_directory_of_the_command(tmp_path):
    from orchestration import child_guard

    argv = child_guard.command(
        sys.executable,
        env={"AIW_T_SET": "work=/a b"},
        env_defaults={"AIW_T_DEFAULT": "cautious", "AIW_T_KEPT": "default"},
        cwd=tmp_path,
    )
    probe = (
        "import os; print(os.environ['AIW_T_SET'], os.environ['AIW_T_DEFAULT'], "
        "os.environ['AIW_T_KEPT'], os.getcwd())"
    )
    result = subprocess.run(
        [*argv, "-c", probe],
        cwd=REPO_ROOT,
        env={**os.environ, "AIW_T_SET": "overridden", "AIW_T_KEPT": "caller"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["work=/a", "b", "cautious", "caller", str(tmp_path)]


def test_great_expectations_warms_up_once_on_a_thread():
    from data_quality import expectations

    first = shortcuts.warm_up_great_expectations_in_background()
    assert shortcuts.warm_up_great_expectations_in_background() is first
    first.join(timeout=120)
    assert expectations._build_batch_definition.cache_info().currsize == 1
