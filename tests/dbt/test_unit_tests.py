"""dbt's native unit tests (one per metric rule) run green on an empty database.

The fixtures are `format: sql`, so no raw table or built model is needed: the
DuckDB file under tmp_path stays empty.
"""

from __future__ import annotations

from tests.dbt._dbt import failures, run_dbt


def test_dbt_unit_tests_pass(tmp_path, monkeypatch):
    monkeypatch.setenv("AIW_WORK_DB", str(tmp_path / "unit.duckdb"))
    result = run_dbt(["test", "--select", "test_type:unit"], tmp_path, tmp_path / "unit.duckdb")

    assert result.success, "\n".join(failures(result))
    ran = [r.node.unique_id for r in result.result.results]
    assert len(ran) >= 15, f"expected the metric-rule unit tests, ran {ran}"
